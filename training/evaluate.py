"""Scores of a fitted model: macro-F1, per class, confusion, calibration, and how it holds up.

"Holds up" means on text unlike the training rows: per outlet, per year, headline
alone, and a one-line lede (headline + first sentence of the body).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from classifier.model import StanceModel

MIN_GROUP = 15  # per-outlet scores below this many rows are reported, flagged as too small
_FIRST_SENTENCE = re.compile(r"^(.{20,400}?[.!?])(?:\s|$)", re.DOTALL)


def expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray, bins: int = 10
) -> float:
    """Top-label ECE: |accuracy - confidence| averaged over equal-width confidence bins."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def scores(y_true, proba: np.ndarray, classes: np.ndarray) -> dict:
    y_true = np.asarray(y_true)
    y_pred = classes[proba.argmax(axis=1)]
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {
        "n": len(y_true),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        "accuracy": float((y_true == y_pred).mean()),
        "per_class": {
            str(c): {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
            for i, c in enumerate(classes)
        },
        "confusion": {
            "labels": [str(c) for c in classes],
            "matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
        },
        "calibration_error": expected_calibration_error(y_true, proba, classes),
    }


def headline_only(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(body="")


def one_line_lede(frame: pd.DataFrame) -> pd.DataFrame:
    def first(body: str) -> str:
        match = _FIRST_SENTENCE.match(" ".join(body.split()))
        return match.group(1) if match else body[:300]

    return frame.assign(body=frame["body"].map(first))


def macro_f1(model: StanceModel, frame: pd.DataFrame) -> float:
    proba = model.predict_proba(frame[["headline", "body"]])
    return scores(frame["label"], proba, model.classes_)["macro_f1"]


def by_group(model: StanceModel, frame: pd.DataFrame, column: str) -> dict:
    proba = model.predict_proba(frame[["headline", "body"]])
    pred = model.classes_[proba.argmax(axis=1)]
    out = {}
    for key, idx in frame.groupby(column).indices.items():
        y = frame["label"].to_numpy()[idx]
        out[str(key)] = {
            "n": len(idx),
            "macro_f1": float(
                f1_score(y, pred[idx], labels=model.classes_, average="macro", zero_division=0)
            ),
            "accuracy": float((y == pred[idx]).mean()),
            "too_small": bool(len(idx) < MIN_GROUP),
        }
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["n"]))


def robustness(model: StanceModel, frame: pd.DataFrame) -> dict:
    """Test-set scores on the views users will send: headline alone, one-line lede, per outlet/pool."""
    return {
        "full_text": macro_f1(model, frame),
        "headline_only": macro_f1(model, headline_only(frame)),
        "one_line_lede": macro_f1(model, one_line_lede(frame)),
        "per_pool": by_group(model, frame, "pool"),
        "per_outlet": by_group(model, frame, "outlet"),
    }


def throughput(model: StanceModel, frame: pd.DataFrame, min_docs: int = 3_000, repeats: int = 3) -> float:
    """Full articles per second through predict_proba on one core (cleaning included)."""
    return throughputs([model], frame, min_docs, repeats)[0]


def throughputs(
    models: list[StanceModel], frame: pd.DataFrame, min_docs: int = 3_000, repeats: int = 5
) -> list[float]:
    """Articles per second of each model, timed round-robin, best of `repeats` passes each.

    Round-robin, so that a burst of other work on the machine slows every model's passes
    alike instead of one model's; the best pass is the one least disturbed.
    """
    reps = max(1, int(np.ceil(min_docs / max(len(frame), 1))))
    docs = pd.concat([frame[["headline", "body"]]] * reps, ignore_index=True)
    best = [float("inf")] * len(models)
    for _ in range(repeats):
        for i, model in enumerate(models):
            start = time.perf_counter()
            model.predict_proba(docs)
            best[i] = min(best[i], time.perf_counter() - start)
    return [float(len(docs) / b) for b in best]


def confident_macro_precision(
    y_true, proba: np.ndarray, classes: np.ndarray, threshold: float
) -> float | None:
    """Mean over labels of how often a confident prediction of that label is right.

    Plain accuracy would let the neutral majority (nine in ten pool articles) hide wrong
    adoption and restriction calls, the ones analysts act on.
    """
    confident = proba.max(axis=1) >= threshold
    predicted = classes[proba.argmax(axis=1)]
    correct = predicted == np.asarray(y_true)
    per_label = [
        correct[confident & (predicted == c)].mean() for c in classes if (confident & (predicted == c)).any()
    ]
    return float(np.mean(per_label)) if per_label else None


def choose_abstain_threshold(
    y_true, proba: np.ndarray, classes: np.ndarray, target: float
) -> tuple[float, dict]:
    """Lowest confidence threshold at which validation's confident predictions of each label are
    right `target` of the time on average (macro precision, see `confident_macro_precision`)."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == np.asarray(y_true)
    grid = np.round(np.arange(0.34, 0.96, 0.01), 2)
    for t in grid:
        kept = confidence >= t
        precision = confident_macro_precision(y_true, proba, classes, t)
        if kept.any() and precision is not None and precision >= target:
            return float(t), {
                "threshold": float(t),
                "coverage": float(kept.mean()),
                "macro_precision_when_confident": precision,
                "accuracy_when_confident": float(correct[kept].mean()),
                "accuracy_when_uncertain": float(correct[~kept].mean()) if (~kept).any() else None,
            }
    t = float(grid[-1])
    return t, {"threshold": t, "coverage": float((confidence >= t).mean()), "target_not_reached": True}


def confusion_png(confusion: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], np.array(confusion["matrix"])
    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("labelled")
    ax.set_title(title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                color="white" if matrix[i, j] > matrix.max() / 2 else "black",
            )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
