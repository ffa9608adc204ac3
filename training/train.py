"""Train the stance model: choose by grouped CV and validation, report on test once, write artifacts/.

Run: `regstance train` or `python -m training.train`.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd
import sklearn
from joblib import Parallel, delayed

from classifier.model import StanceModel, save_model
from training.args import TrainingArgs
from training.data import CORPUS_FILE, load_corpus
from training.evaluate import (
    choose_abstain_threshold,
    confusion_png,
    robustness,
    scores,
    throughputs,
)
from training.model_card import write_model_card
from training.ood import POOLS, fit_held_out, held_out_scores, ood_report, real_rows, suite_score, text_views

TEXT = ["headline", "body"]
#: The code whose change changes predictions; its digest is part of the model version.
FEATURE_CODE = (
    "text.py",
    "articles.py",
    "model.py",
    "features.py",
    "kinds.py",
    "actors.py",
    "mentions.py",
    "gazetteer.py",
    "data/authorities.csv",
    "data/places.csv",
)


def _log(args: TrainingArgs, message: str) -> None:
    if args.show_progress:
        print(message, file=sys.stderr, flush=True)


def _fit(params: dict, seed: int, frame: pd.DataFrame, abstain_below: float = 0.0) -> StanceModel:
    return StanceModel(**params, abstain_below=abstain_below, random_state=seed).fit(
        frame[TEXT], frame["label"]
    )


def _task(params: dict, seed: int, kind: str, train_df: pd.DataFrame, real: pd.DataFrame):
    """One fit of the suite: `kind` "train" fits on the train split; a pool name holds that pool
    out (fit on the other pools' train and validation rows and the written items)."""
    if kind == "train":
        return _fit(params, seed, train_df)
    written = train_df[train_df["origin"] == "written"]
    return fit_held_out(
        partial(_fit, params, seed), real, written, kind, (real["split"] != "test").to_numpy()
    )


def suite(args: TrainingArgs, train_df: pd.DataFrame, val_df: pd.DataFrame, real: pd.DataFrame) -> list[dict]:
    """Every candidate on the suite, all fits in one flat parallel batch.

    The selection score touches no test row: held-out pools are scored on their train and
    validation rows, text views on validation. Each row keeps its fitted model and its
    held-out predictions (for the card's report on the chosen one) under private keys.
    """
    kinds = ["train", *POOLS]
    jobs = [(i, kind) for i in range(len(args.candidates)) for kind in kinds]
    done = Parallel(n_jobs=args.n_jobs)(
        delayed(_task)(args.candidates[i], args.seed, kind, train_df, real) for i, kind in jobs
    )
    not_test = (real["split"] != "test").to_numpy()
    table = []
    for i, params in enumerate(args.candidates):
        results = {kind: out for (j, kind), out in zip(jobs, done, strict=True) if j == i}
        held = [results[pool] for pool in POOLS]
        lopo = held_out_scores(real, held, not_test)
        views = text_views(results["train"], val_df)
        table.append(
            {
                "params": params,
                "leave_one_pool_out": lopo,
                "validation_views": views,
                "suite_score": suite_score(lopo, views),
                "validation_macro_f1": views["full_text"]["macro_f1"],
                "_model": results["train"],
                "_held": held,
            }
        )
    return table


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def choose(table: list[dict]) -> dict:
    """The best suite score among candidates fast enough for bulk scoring; else the fastest."""
    fast = [row for row in table if row["fast_enough"]]
    if fast:
        return max(fast, key=lambda row: row["suite_score"])
    return max(table, key=lambda row: row["articles_per_s_one_core"])


def train(args: TrainingArgs | None = None) -> dict:
    args = args or TrainingArgs()
    started = time.perf_counter()
    corpus = load_corpus(args.corpus_dir, include_written=args.include_written)
    frames = {split: corpus[split].to_pandas() for split in corpus}
    train_df, val_df, test_df = frames["train"], frames["validation"], frames["test"]
    _log(args, f"corpus: {len(train_df)} train, {len(val_df)} validation, {len(test_df)} test")

    real = real_rows(train_df, val_df, test_df)
    _log(
        args, f"suite: {len(args.candidates)} candidates, each fitted on train and with each pool held out …"
    )
    table = suite(args, train_df, val_df, real)
    # the reference is usually a candidate too (v0.1's recipe): its fitted model is reused
    fitted = {json.dumps(row["params"], sort_keys=True): row["_model"] for row in table}
    reference = fitted.get(json.dumps(args.speed_reference, sort_keys=True)) or _fit(
        args.speed_reference, args.seed, train_df
    )
    # every model timed here, round-robin in this process, so that the ratios compare like with like
    reference_speed, *speeds = throughputs([reference, *(row["_model"] for row in table)], val_df)
    _log(args, f"  speed reference {reference_speed:.0f} articles/s  {args.speed_reference}")
    for row, speed in zip(table, speeds, strict=True):
        row["articles_per_s_one_core"] = speed
        row["speed_ratio"] = speed / reference_speed
        row["fast_enough"] = row["speed_ratio"] >= args.min_speed_ratio
        lopo = ", ".join(f"{k} {v['macro_f1']:.3f}" for k, v in row["leave_one_pool_out"].items())
        views = ", ".join(f"{k} {v['macro_f1']:.3f}" for k, v in row["validation_views"].items())
        _log(
            args,
            f"  suite {row['suite_score']:.3f} (pools out: {lopo}; validation: {views}), "
            f"{speed:.0f} articles/s ({row['speed_ratio']:.2f}x)  {row['params']}",
        )
    best = choose(table)
    best_model = best["_model"]

    val_proba = best_model.predict_proba(val_df[TEXT])
    validation = scores(val_df["label"], val_proba, best_model.classes_)
    threshold, abstain = choose_abstain_threshold(
        val_df["label"], val_proba, best_model.classes_, args.target_confident_accuracy
    )

    fit_df = pd.concat([train_df, val_df]) if args.refit_on_validation else train_df
    final = _fit(best["params"], args.seed, fit_df, abstain_below=threshold)
    test_proba = final.predict_proba(test_df[TEXT])
    test = scores(test_df["label"], test_proba, final.classes_)
    holds_up = robustness(final, test_df)
    _log(args, "out-of-distribution report: pools held out, text views, names swapped …")
    ood = ood_report(
        partial(_fit, best["params"], args.seed),
        train_df,
        val_df,
        test_df,
        final,
        threshold,
        n_jobs=args.n_jobs,
    )
    training_seconds = time.perf_counter() - started

    corpus_sha = _sha256(Path(args.corpus_dir) / CORPUS_FILE)
    code_sha = hashlib.sha256(
        b"".join((Path(__file__).parents[1] / "classifier" / f).read_bytes() for f in FEATURE_CODE)
    ).hexdigest()
    fingerprint = hashlib.sha256(
        json.dumps(
            {"corpus": corpus_sha, "code": code_sha, "args": args.model_facing()}, sort_keys=True, default=str
        ).encode()
    ).hexdigest()[:10]
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    final.metadata_ = {
        "name": "regstance",
        "version": f"regstance-{trained_at[:10]}-{fingerprint}",
        "trained_at": trained_at,
        "corpus_sha256": corpus_sha,
        "n_train": len(fit_df),
        "params": best["params"],
    }

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = save_model(final, out / "model", created=trained_at)
    confusion_png(test["confusion"], out / "confusion_test.png", "regstance — test split")
    metrics = {
        "model_version": final.version,
        "model_sha256": manifest.sha256,
        "trained_at": trained_at,
        "selected": best["params"],
        # each row's fitted model and held-out predictions stay out of the file
        "candidates": [{k: v for k, v in row.items() if not k.startswith("_")} for row in table],
        "out_of_distribution": ood,
        "speed_reference_articles_per_s": reference_speed,
        "validation": validation,
        "test": test,
        "test_robustness": holds_up,
        "uncertain_flag": abstain,
        "training_seconds": round(training_seconds, 1),
        "environment": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "machine": platform.machine(),
            "n_jobs": args.n_jobs,
        },
        "data": {
            split: {
                "n": len(df),
                "labels": df["label"].value_counts().to_dict(),
                "published": [str(df["published"].min()), str(df["published"].max())],
            }
            for split, df in frames.items()
        },
        "args": args.model_facing(),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    write_model_card(out / "MODEL_CARD.md", metrics)
    _log(args, f"test macro-F1 {test['macro_f1']:.3f}; trained in {training_seconds:.0f} s; wrote {out}")
    return metrics


def main() -> None:
    train(TrainingArgs())


if __name__ == "__main__":
    main()
