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
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from sklearn.model_selection import GroupKFold

from classifier.model import StanceModel, save_model
from training.args import TrainingArgs
from training.data import CORPUS_FILE, load_corpus
from training.evaluate import (
    choose_abstain_threshold,
    confusion_png,
    headline_only,
    macro_f1,
    robustness,
    scores,
    throughput,
)
from training.model_card import write_model_card

TEXT = ["headline", "body"]
#: The code whose change changes predictions; its digest is part of the model version.
FEATURE_CODE = ("text.py", "articles.py", "model.py")


def _log(args: TrainingArgs, message: str) -> None:
    if args.show_progress:
        print(message, file=sys.stderr, flush=True)


def full_and_headline(model: StanceModel, frame: pd.DataFrame) -> tuple[float, float]:
    """Macro-F1 on full articles and on their headlines alone: users send both."""
    return macro_f1(model, frame), macro_f1(model, headline_only(frame))


def _cv_score(
    params: dict, frame: pd.DataFrame, train_idx, test_idx, seed: int
) -> tuple[float, float, float]:
    """Full-article and headline-only macro-F1 on the held-out fold, and articles/s predicting it."""
    model = StanceModel(**params, random_state=seed)
    model.fit(frame.iloc[train_idx][TEXT], frame.iloc[train_idx]["label"])
    held_out = frame.iloc[test_idx]
    start = time.perf_counter()
    proba = model.predict_proba(held_out[TEXT])
    rate = len(held_out) / (time.perf_counter() - start)
    full = scores(held_out["label"], proba, model.classes_)["macro_f1"]
    return full, macro_f1(model, headline_only(held_out)), rate


def cross_validate(args: TrainingArgs, train: pd.DataFrame) -> list[dict]:
    """Macro-F1 of each candidate by GroupKFold on train, grouped by story.

    The selection score is the mean of full-article and headline-only macro-F1.
    """
    folds = list(GroupKFold(n_splits=args.cv_folds).split(train, groups=train["story_id"]))
    jobs = [(i, params, tr, te) for i, params in enumerate(args.candidates) for tr, te in folds]
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_cv_score)(params, train, tr, te, args.seed) for _, params, tr, te in jobs
    )
    table = []
    for i, params in enumerate(args.candidates):
        full, head, rate = zip(*[s for (j, *_), s in zip(jobs, results, strict=True) if j == i], strict=True)
        table.append(
            {
                "params": params,
                "cv_macro_f1": float(np.mean(full)),
                "cv_std": float(np.std(full)),
                "cv_headline_macro_f1": float(np.mean(head)),
                "cv_score": float(np.mean(full) + np.mean(head)) / 2,
                "cv_articles_per_s": float(np.median(rate)),
            }
        )
    return table


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def choose(fitted: list[tuple[dict, StanceModel]]) -> tuple[dict, StanceModel]:
    """The best validation score among finalists fast enough for bulk scoring; else the fastest."""
    fast = [pair for pair in fitted if pair[0]["fast_enough"]]
    if fast:
        return max(fast, key=lambda pair: pair[0]["validation_score"])
    return max(fitted, key=lambda pair: pair[0]["articles_per_s_one_core"])


def train(args: TrainingArgs | None = None) -> dict:
    args = args or TrainingArgs()
    started = time.perf_counter()
    corpus = load_corpus(args.corpus_dir)
    frames = {split: corpus[split].to_pandas() for split in corpus}
    train_df, val_df, test_df = frames["train"], frames["validation"], frames["test"]
    _log(args, f"corpus: {len(train_df)} train, {len(val_df)} validation, {len(test_df)} test")

    _log(
        args, f"cross-validating {len(args.candidates)} candidates, {args.cv_folds} folds grouped by story …"
    )
    table = cross_validate(args, train_df)
    for row in table:
        _log(
            args,
            f"  cv macro-F1 {row['cv_macro_f1']:.3f} ± {row['cv_std']:.3f}, "
            f"headline-only {row['cv_headline_macro_f1']:.3f}, {row['cv_articles_per_s']:.0f} articles/s  "
            f"{row['params']}",
        )

    finalists = sorted(table, key=lambda r: -r["cv_score"])[: args.finalists]
    reference = StanceModel(**args.speed_reference, random_state=args.seed).fit(
        train_df[TEXT], train_df["label"]
    )
    reference_speed = throughput(reference, val_df)
    _log(args, f"  speed reference {reference_speed:.0f} articles/s  {args.speed_reference}")
    fitted = []
    for row in finalists:
        model = StanceModel(**row["params"], random_state=args.seed).fit(train_df[TEXT], train_df["label"])
        full, head = full_and_headline(model, val_df)
        row["validation_macro_f1"], row["validation_headline_macro_f1"] = full, head
        row["validation_score"] = (full + head) / 2
        row["articles_per_s_one_core"] = throughput(model, val_df)
        _log(
            args,
            f"  validation macro-F1 {full:.3f}, headline-only {head:.3f}, "
            f"{row['articles_per_s_one_core']:.0f} articles/s  {row['params']}",
        )
        row["speed_ratio"] = row["articles_per_s_one_core"] / reference_speed
        row["fast_enough"] = row["speed_ratio"] >= args.min_speed_ratio
        fitted.append((row, model))
    best, best_model = choose(fitted)

    val_proba = best_model.predict_proba(val_df[TEXT])
    validation = scores(val_df["label"], val_proba, best_model.classes_)
    threshold, abstain = choose_abstain_threshold(
        val_df["label"], val_proba, best_model.classes_, args.target_confident_accuracy
    )

    fit_df = pd.concat([train_df, val_df]) if args.refit_on_validation else train_df
    final = StanceModel(**best["params"], abstain_below=threshold, random_state=args.seed)
    final.fit(fit_df[TEXT], fit_df["label"])
    test_proba = final.predict_proba(test_df[TEXT])
    test = scores(test_df["label"], test_proba, final.classes_)
    holds_up = robustness(final, test_df)
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
        "candidates": table,
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
