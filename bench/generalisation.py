"""How the model's recipe holds up on news it never saw: a held-out era, held-out outlets.

The shipped test split shares eras and outlets with training, so its macro-F1 says
little about next year's news or a new outlet. This refits the *recipe* (the params
chosen in ``artifacts/metrics.json["selected"]``, ``random_state=42``) on part of the
whole corpus (train + validation + test rows) and scores the rest:

- leave-one-era-out: for each pool ("2020", "2021-2022", "2025") fit on the other pools,
  score every row of the held-out pool;
- held-out outlets: outlets ranked by size, ranks 3, 6, 9, … (every third) held out
  together, fit on the remaining outlets.

Each fold is scored on full articles, headline only and a one-line lede
(`training.evaluate` helpers), with a 95% bootstrap interval on the full-text macro-F1.
A held-out era also shrinks the training set (holding out 2025 leaves a third of the
rows), so every fold has a *same-size control*: a random split by story with the same
train and test sizes. Fold minus control is what the shift costs beyond having less
data; fold minus the shipped test numbers is what a user would see against the model card.

Nothing under ``artifacts/`` is written; the shipped model is not loaded.
Run from the repository root: ``.venv/bin/python -m bench.generalisation``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed

from bench.common import git_state
from classifier import LABELS, StanceModel
from training.data import load_corpus
from training.evaluate import MIN_GROUP, by_group, headline_only, macro_f1, one_line_lede, scores

OUT_DIR = Path(__file__).resolve().parent / "out"
METRICS_FILE = Path(__file__).resolve().parents[1] / "artifacts" / "metrics.json"
TEXT = ["headline", "body"]
SEED = 42
POOLS = ("2020", "2021-2022", "2025")


@dataclass(frozen=True)
class Fold:
    """One train/test partition of the whole corpus, by row position."""

    name: str
    held_out: list[str]
    train: np.ndarray
    test: np.ndarray


def whole_corpus() -> pd.DataFrame:
    """Every labelled row, splits ignored: the folds below decide what is trained on."""
    corpus = load_corpus()
    return pd.concat([corpus[s].to_pandas() for s in corpus], ignore_index=True)


def _without_shared_stories(frame: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Drop training rows whose story is also under test: a reworded copy is not unseen news."""
    shared = frame["story_id"].iloc[train].isin(set(frame["story_id"].iloc[test]))
    return train[~shared.to_numpy()]


def era_folds(frame: pd.DataFrame) -> list[Fold]:
    """Leave one pool out: fit on the other eras, score all rows of the held-out one."""
    folds = []
    for pool in POOLS:
        held = (frame["pool"] == pool).to_numpy()
        test, train = np.flatnonzero(held), np.flatnonzero(~held)
        folds.append(Fold(f"era {pool}", [pool], _without_shared_stories(frame, train, test), test))
    return folds


def held_out_outlets(frame: pd.DataFrame) -> list[str]:
    """Outlets ranked by row count (ties by name); ranks 3, 6, 9, … are held out.

    Every third by rank keeps big and small outlets on both sides, so the held-out
    set is neither one giant outlet nor only the long tail.
    """
    sizes = frame.groupby("outlet").size().reset_index(name="n")
    ranked = sizes.sort_values(["n", "outlet"], ascending=[False, True])["outlet"].tolist()
    return ranked[2::3]


def outlet_fold(frame: pd.DataFrame) -> Fold:
    held_names = held_out_outlets(frame)
    held = frame["outlet"].isin(held_names).to_numpy()
    test, train = np.flatnonzero(held), np.flatnonzero(~held)
    return Fold("held-out outlets", held_names, _without_shared_stories(frame, train, test), test)


def control_fold(frame: pd.DataFrame, fold: Fold, seed: int) -> Fold:
    """Same train and test sizes as `fold`, stories assigned at random: in-distribution, same data."""
    rng = np.random.default_rng(seed)
    stories = rng.permutation(np.asarray(frame["story_id"].unique(), dtype=object))
    rows_per_story = frame.groupby("story_id").indices
    test, train, n_test = [], [], 0
    for story in stories:
        rows = rows_per_story[story]
        if n_test < len(fold.test):
            test.append(rows)
            n_test += len(rows)
        else:
            train.append(rows)
    train_rows = np.concatenate(train)
    train_rows = rng.choice(train_rows, size=min(len(fold.train), len(train_rows)), replace=False)
    return Fold(f"control for {fold.name}", [], np.sort(train_rows), np.sort(np.concatenate(test)))


def bootstrap_ci(y_true: np.ndarray, y_pred: np.ndarray, n: int = 1_000, seed: int = 0) -> list[float]:
    """95% percentile interval of macro-F1 over row resamples: 415 rows of 2020 news are few."""
    index = {label: i for i, label in enumerate(LABELS)}
    truth = np.array([index[y] for y in y_true])
    pred = np.array([index[y] for y in y_pred])
    k, rng = len(LABELS), np.random.default_rng(seed)
    values = np.empty(n)
    for b in range(n):
        pick = rng.integers(0, len(truth), len(truth))
        cm = np.bincount(truth[pick] * k + pred[pick], minlength=k * k).reshape(k, k)
        tp, denom = np.diag(cm), cm.sum(axis=0) + cm.sum(axis=1)
        values[b] = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0).mean()
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def evaluate_fold(frame: pd.DataFrame, fold: Fold, params: dict, with_groups: bool = False) -> dict:
    """Fit the recipe on the fold's training rows; score its test rows in three views."""
    train, test = frame.iloc[fold.train], frame.iloc[fold.test]
    start = time.perf_counter()
    model = StanceModel(**params, random_state=SEED).fit(train[TEXT], train["label"])
    fit_s = time.perf_counter() - start
    proba = model.predict_proba(test[TEXT])
    full = scores(test["label"], proba, model.classes_)
    pred = model.classes_[proba.argmax(axis=1)]
    out = {
        "name": fold.name,
        "held_out": fold.held_out,
        "n_train": len(train),
        "n_test": len(test),
        "train_labels": train["label"].value_counts().to_dict(),
        "test_labels": test["label"].value_counts().to_dict(),
        "full_text": full["macro_f1"],
        "full_text_ci95": bootstrap_ci(test["label"].to_numpy(), pred),
        "headline_only": macro_f1(model, headline_only(test)),
        "one_line_lede": macro_f1(model, one_line_lede(test)),
        "per_class_f1": {c: v["f1"] for c, v in full["per_class"].items()},
        "accuracy": full["accuracy"],
        "confusion": full["confusion"],
        "fit_seconds": round(fit_s, 1),
    }
    if with_groups:
        out["per_outlet"] = by_group(model, test, "outlet")
    return out


def shipped_reference() -> dict:
    """What the model card reports: the chosen params and the in-distribution test scores."""
    metrics = json.loads(METRICS_FILE.read_text())
    robust = metrics["test_robustness"]
    return {
        "params": metrics["selected"],
        "model_version": metrics.get("model_version"),
        "model_sha256": metrics.get("model_sha256"),
        "n_train": metrics["data"]["train"]["n"] + metrics["data"]["validation"]["n"],
        "n_test": metrics["test"]["n"],
        "full_text": robust["full_text"],
        "headline_only": robust["headline_only"],
        "one_line_lede": robust["one_line_lede"],
        "per_pool": {p: v["macro_f1"] for p, v in robust["per_pool"].items()},
    }


def run(n_jobs: int = 2, controls: bool = True) -> dict:
    """All folds (and their controls) fitted in parallel; results in fold order."""
    start = time.perf_counter()
    reference = shipped_reference()
    frame = whole_corpus()
    folds = [*era_folds(frame), outlet_fold(frame)]
    jobs = [(fold, fold.name == "held-out outlets") for fold in folds]
    if controls:
        jobs += [(control_fold(frame, fold, SEED + i), False) for i, fold in enumerate(folds)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(evaluate_fold)(frame, fold, reference["params"], groups) for fold, groups in jobs
    )
    by_name = {r["name"]: r for r in results}
    rows = []
    for fold in folds:
        row = by_name[fold.name]
        row["vs_shipped_test"] = {
            v: row[v] - reference[v] for v in ("full_text", "headline_only", "one_line_lede")
        }
        if len(fold.held_out) == 1 and fold.held_out[0] in reference["per_pool"]:
            row["shipped_test_same_pool"] = reference["per_pool"][fold.held_out[0]]
        control = by_name.get(f"control for {fold.name}")
        if control:
            row["control"] = control
            row["vs_control"] = {
                v: row[v] - control[v] for v in ("full_text", "headline_only", "one_line_lede")
            }
        rows.append(row)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": SEED,
        "shipped": reference,
        "folds": rows,
        "seconds": round(time.perf_counter() - start, 1),
        "environment": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "cpus": os.cpu_count(),
            "n_jobs": n_jobs,
            "git": git_state(),
        },
    }


def format_table(report: dict) -> str:
    """One line per fold: sizes, the three views, and the gaps to the shipped test and the control."""
    ref = report["shipped"]
    head = (
        f"{'fold':<22}{'train':>7}{'test':>7}{'full':>7}{'  95% CI':<15}{'headline':>9}{'lede':>7}"
        f"{'Δ shipped':>11}{'control':>9}{'Δ control':>11}"
    )
    lines = [f"recipe {ref['params']}, random_state={report['seed']}", "", "macro-F1", head]
    lines.append(
        f"{'shipped test (card)':<22}{ref['n_train']:>7}{ref['n_test']:>7}{ref['full_text']:>7.3f}{'':<15}"
        f"{ref['headline_only']:>9.3f}{ref['one_line_lede']:>7.3f}"
    )
    for row in report["folds"]:
        lo, hi = row["full_text_ci95"]
        control = row.get("control")
        lines.append(
            f"{row['name']:<22}{row['n_train']:>7}{row['n_test']:>7}{row['full_text']:>7.3f}"
            f"{f'  [{lo:.3f}, {hi:.3f}]':<15}{row['headline_only']:>9.3f}{row['one_line_lede']:>7.3f}"
            f"{row['vs_shipped_test']['full_text']:>+11.3f}"
            + (f"{control['full_text']:>9.3f}{row['vs_control']['full_text']:>+11.3f}" if control else "")
        )
    lines += ["", "era folds against the shipped model's test rows of the same pool (in-distribution):"]
    for row in report["folds"]:
        if "shipped_test_same_pool" in row:
            lines.append(
                f"  {row['held_out'][0]:<10} held out {row['full_text']:.3f}   "
                f"shipped test rows of that pool {row['shipped_test_same_pool']:.3f}"
            )
    lines += ["", "control: random split by story, same train/test sizes; headline/lede of controls:"]
    for row in report["folds"]:
        if row.get("control"):
            c = row["control"]
            lines.append(
                f"  {row['name']:<20} full {c['full_text']:.3f}  headline {c['headline_only']:.3f}  "
                f"lede {c['one_line_lede']:.3f}"
            )
    outlets = next(r for r in report["folds"] if r["name"] == "held-out outlets")
    lines += ["", f"held-out outlets ({len(outlets['held_out'])}), per outlet with n >= {MIN_GROUP}:"]
    lines += [
        f"  {name:<22} n={g['n']:>4}  macro-F1 {g['macro_f1']:.3f}  accuracy {g['accuracy']:.3f}"
        for name, g in outlets["per_outlet"].items()
        if not g["too_small"]
    ]
    lines.append(f"\n{report['seconds']:.0f} s, n_jobs={report['environment']['n_jobs']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-jobs", type=int, default=2, help="folds fitted in parallel")
    parser.add_argument("--no-controls", action="store_true", help="skip the same-size random controls")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "generalisation.json")
    args = parser.parse_args(argv)
    report = run(n_jobs=args.n_jobs, controls=not args.no_controls)
    print(format_table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    print(f"wrote {args.out}")


def _json_default(value):
    """numpy scalars from value_counts and by_group are not JSON: write them as Python numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    main()
