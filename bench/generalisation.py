"""How the model holds up on news it never saw: the out-of-distribution suite, v0.1 against now.

Two systems, each refitted here and scored on the same real rows of the current corpus:

- **v0.1**: v0.1's recipe (word 1-2-gram TF-IDF, logistic regression, C 8, headline copies)
  on v0.1's data (the corpus v1 rows: no rest-of-pool rows, no written items);
- **current**: the recipe in ``artifacts/metrics.json["selected"]`` on the whole current
  corpus (all labelled pool rows and the written items, in train only).

For each, `training.ood.ood_report`: every pool held out in turn (fit on the system's rows of
the other pools, score every row of the held-out pool, and its test rows apart), the test split
as full articles, headline alone, first sentence alone, headline + first sentence and pages in
page junk, per pool, the share of predictions that change when names are swapped, and the share
of evidence terms that are proper names. Accuracy when confident uses each system's
validation-chosen threshold. Written items are never scored.

Nothing under ``artifacts/`` is written. Run: ``.venv/bin/python -m bench.generalisation``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn

from bench.common import git_state
from classifier import StanceModel
from training.data import load_corpus
from training.evaluate import choose_abstain_threshold
from training.ood import ood_report
from training.select_rest import SELECTED_AS

OUT_DIR = Path(__file__).resolve().parent / "out"
METRICS_FILE = Path(__file__).resolve().parents[1] / "artifacts" / "metrics.json"
TEXT = ["headline", "body"]
SEED = 42
V01_PARAMS = {"classifier": "logreg", "C": 8.0, "headline_copies": True}


def _fit(params: dict, frame: pd.DataFrame, abstain_below: float = 0.0) -> StanceModel:
    return StanceModel(**params, abstain_below=abstain_below, random_state=SEED).fit(
        frame[TEXT], frame["label"]
    )


def system(name: str, params: dict, splits: dict[str, pd.DataFrame], v1_only: bool) -> dict:
    """Fit a system as training would (threshold on validation, final on train + validation)
    and run the suite on the current corpus's real test rows and pools."""
    start = time.perf_counter()
    train_df, val_df, test_df = splits["train"], splits["validation"], splits["test"]
    if v1_only:
        keep = (train_df["origin"] == "pool") & (train_df["selected_as"] != SELECTED_AS)
        train_df = train_df[keep]
        val_fit = val_df[val_df["selected_as"] != SELECTED_AS]
    else:
        val_fit = val_df
    model = _fit(params, train_df)
    threshold, _ = choose_abstain_threshold(
        val_df["label"], model.predict_proba(val_df[TEXT]), model.classes_, 0.9
    )
    final = _fit(params, pd.concat([train_df, val_fit]), threshold)
    fit = partial(_fit_v1_rows if v1_only else _fit, params)
    # the full train split for both: `fit` decides which rows a system learns from, so both are
    # scored on the same held-out rows
    report = ood_report(fit, splits["train"], val_df, test_df, final, threshold)
    report.update(
        name=name, params=params, threshold=threshold, seconds=round(time.perf_counter() - start, 1)
    )
    return report


def _fit_v1_rows(params: dict, frame: pd.DataFrame) -> StanceModel:
    return _fit(params, frame[(frame["origin"] == "pool") & (frame["selected_as"] != SELECTED_AS)])


def run(current: dict | None = None) -> dict:
    corpus = load_corpus()
    splits = {s: corpus[s].to_pandas() for s in corpus}
    current = current or json.loads(METRICS_FILE.read_text())["selected"]
    systems = [system("v0.1", V01_PARAMS, splits, v1_only=True), system("current", current, splits, False)]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": SEED,
        "systems": systems,
        "environment": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "cpus": os.cpu_count(),
            "git": git_state(),
        },
    }


def rows(report: dict) -> list[tuple[str, dict]]:
    """(slice name, scores) in table order, for one system."""
    out = [(f"pool {p} held out, all rows", v) for p, v in report["pool_held_out_all_rows"].items()]
    out += [(f"pool {p} held out, test rows", v) for p, v in report["pool_held_out_test_rows"].items()]
    out += [(f"test, {k.replace('_', ' ')}", v) for k, v in report["test_views"].items()]
    out += [(f"test, pool {p}", v) for p, v in report["test_per_pool"].items()]
    return out


def format_table(report: dict) -> str:
    a, b = report["systems"]
    lines = [
        f"{'slice':<36}{'n':>6}  {'v0.1 F1':>8}{'now F1':>8}{'Δ':>8}  {'v0.1 acc@conf':>14}{'now acc@conf':>13}"
    ]
    for (name, x), (_, y) in zip(rows(a), rows(b), strict=True):
        lines.append(
            f"{name:<36}{x['n']:>6}  {x['macro_f1']:>8.3f}{y['macro_f1']:>8.3f}{y['macro_f1'] - x['macro_f1']:>+8.3f}"
            f"  {_pct(x.get('accuracy_when_confident')):>14}{_pct(y.get('accuracy_when_confident')):>13}"
        )
    lines.append(f"{'suite score':<36}{'':>6}  {a['suite_score']:>8.3f}{b['suite_score']:>8.3f}")
    for key, label in (("changed_share", "names swapped: predictions changed"),):
        lines.append(f"{label:<36}{'':>6}  {a['name_swap'][key]:>8.1%}{b['name_swap'][key]:>8.1%}")
    lines.append(
        f"{'evidence terms that are names':<36}{'':>6}  {a['evidence_names']['name_share']:>8.1%}"
        f"{b['evidence_names']['name_share']:>8.1%}"
    )
    lines.append(f"\nv0.1: {a['params']} on v1 rows; now: {b['params']}")
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR / "generalisation.json")
    args = parser.parse_args(argv)
    report = run()
    print(format_table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    print(f"wrote {args.out}")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    main()
