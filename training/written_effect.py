"""What the written news items buy, measured on real articles only.

The chosen recipe (`artifacts/metrics.json["selected"]`) is refitted with 0 %, 25 %, 50 % and
100 % of the written items (whole events at a time, drawn at random) and scored on the test
split (all, and per pool), on each pool held out (fit on the other pools' real rows plus the
written share; score every row of the held-out pool), and on test headlines alone and first
sentences alone. Writes `training/data/written_effect.json`, which the datasheet renders.

Run: `python -m training.written_effect` (after `regstance train`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from classifier.model import StanceModel
from training.data import CORPUS_DIR, load_corpus
from training.evaluate import headline_only, macro_f1
from training.ood import POOLS, leave_one_pool_out, lede_only

METRICS_FILE = Path(__file__).resolve().parents[1] / "artifacts" / "metrics.json"
OUT_FILE = CORPUS_DIR / "written_effect.json"
SHARES = (0.0, 0.25, 0.5, 1.0)
TEXT = ["headline", "body"]
SEED = 42


def written_share(written: pd.DataFrame, share: float, seed: int = SEED) -> pd.DataFrame:
    """A share of the written items, whole events at a time (nested: 25 % is inside 50 %)."""
    events = np.random.default_rng(seed).permutation(
        np.asarray(sorted(written["event"].unique()), dtype=object)
    )
    keep = set(events[: round(share * len(events))])
    return written[written["event"].isin(keep)]


def measure(params: dict, share: float, frames: dict[str, pd.DataFrame]) -> dict:
    train_df, val_df, test_df = frames["train"], frames["validation"], frames["test"]
    real_train = train_df[train_df["origin"] == "pool"]
    written = written_share(train_df[train_df["origin"] == "written"], share)

    def fit(frame: pd.DataFrame) -> StanceModel:
        return StanceModel(**params, random_state=SEED).fit(frame[TEXT], frame["label"])

    model = fit(pd.concat([real_train, written, val_df]))
    scores = {"test": macro_f1(model, test_df)}
    for pool in POOLS:
        scores[f"test {pool}"] = macro_f1(model, test_df[test_df["pool"] == pool])
    real = pd.concat([real_train, val_df, test_df], ignore_index=True)
    for pool, value in leave_one_pool_out(fit, real, written)["all"].items():
        scores[f"{pool} held out"] = value["macro_f1"]
    scores["test headline only"] = macro_f1(model, headline_only(test_df))
    scores["test lede only"] = macro_f1(model, lede_only(test_df))
    return {"share": share, "n_written": len(written), "scores": scores}


def run(params: dict | None = None, n_jobs: int = 2) -> dict:
    params = params or json.loads(METRICS_FILE.read_text())["selected"]
    corpus = load_corpus()
    frames = {s: corpus[s].to_pandas() for s in corpus}
    rows = Parallel(n_jobs=n_jobs)(delayed(measure)(params, share, frames) for share in SHARES)
    slices = list(rows[0]["scores"])
    for row in rows:
        row["mean"] = float(np.mean([row["scores"][k] for k in slices]))
    return {
        "params": params,
        "seed": SEED,
        "slices": slices,
        "rows": rows,
        "description": "Written items enter training only; validation rows are fitted on too, as in the "
        "final model. 'held out' fits on the other pools' real rows plus the written share and scores "
        "every row of that pool.",
    }


def main() -> None:
    effect = run()
    OUT_FILE.write_text(json.dumps(effect, indent=2) + "\n")
    for row in effect["rows"]:
        print(f"{row['share']:>5.0%} {row['n_written']:>6}  mean {row['mean']:.3f}  {row['scores']}")
    from training.datasheet import write_datasheet

    write_datasheet()


if __name__ == "__main__":
    main()
