"""The shipped model against the baselines a user would otherwise reach for, on the corpus test split.

Compared in one run, on the same rows, timed on the same machine:

- ``model``: the shipped ``classifier.load_model()``.
- ``keywords``: a small policy dictionary (`RESTRICTION_TERMS`, `ADOPTION_TERMS`) counted
  in the headline and the first 1,500 characters of the body. It is a baseline, not a
  labeller: it exists to show what the model adds, not to label anything.
- ``vader``: VADER sentiment as a stance proxy, compound >= 0.5 -> adoption,
  <= -0.5 -> restriction, else neutral.
- ``vader_tuned_on_validation``: the same scores with the two thresholds chosen on the
  validation split (per input view); its test numbers are therefore a best case.
- ``always_neutral``: the majority class, the floor any labeller has to clear.

Every labeller receives raw articles and cleans them with `classifier.text.clean_articles`
(HTML, publisher boilerplate and teasers out, body cut to its first 1,500 characters), so
the comparison is between labellers, not between text preparations; timings include the
cleaning. Docs/s is the best of `--repeats` passes over the whole test split, full
articles, one process: on a shared 2-core machine these numbers are noisy, compare them
within one run only.

Run from the repository root: ``.venv/bin/python -m bench.baselines [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.common import git_state
from classifier import LABELS, load_model
from classifier.articles import to_columns
from classifier.model import DEFAULT_MODEL_DIR, MANIFEST_FILE
from classifier.text import BODY_CHARS, clean_articles
from training.data import load_corpus
from training.evaluate import headline_only, scores

OUT_DIR = Path(__file__).resolve().parent / "out"
METRICS_FILE = Path(__file__).resolve().parents[1] / "artifacts" / "metrics.json"
TEXT = ["headline", "body"]

Labeller = Callable[[pd.DataFrame], np.ndarray]

# --- (a) keyword policy dictionary -----------------------------------------------------------
# A baseline, not a labeller: these are the words a reader scans for, written as regular
# expressions (case-insensitive, whole words) so that inflections count once per occurrence.
# Known blind spots, kept on purpose because a user's dictionary would have them too:
# "fine" also means "all right", "sanctioned" can mean "approved", "lifts ban" counts as a
# ban, and no term knows whether an *authority* is acting (the guide's first condition).
RESTRICTION_TERMS: dict[str, str] = {
    "ban": r"ban(?:s|ned|ning)?",
    "crackdown": r"crack(?:s|ed|ing)?[ -]?downs?",
    "charged": r"charg(?:ed|es)",
    "indict": r"indict(?:s|ed|ment|ments)?",
    "lawsuit": r"lawsuits?",
    "sues": r"su(?:e|es|ed|ing)",
    "fine": r"fine[sd]?",
    "penalty": r"penalt(?:y|ies)",
    "arrest": r"arrest(?:s|ed|ing)?",
    "seize": r"seiz(?:e|es|ed|ing|ure|ures)",
    "sanction": r"sanction(?:s|ed|ing)?",
    "warning": r"warn(?:s|ed|ing|ings)?",
    "illegal": r"illegal(?:ly)?",
    "prohibit": r"prohibit(?:s|ed|ing|ion|ions)?",
    "shut down": r"shut(?:s|ting)? down",
    "freeze": r"freez(?:e|es|ing)|frozen",
    "enforcement": r"enforcement",
}
ADOPTION_TERMS: dict[str, str] = {
    "legal tender": r"legal tender",
    # not the Federal Reserve, a "Reserve Bank" (a central bank's name) or an exchange's proof of reserves
    "reserve": r"(?<!federal )(?<!proof of )(?<!proof-of-)reserves?(?! bank)",
    "approve": r"approv(?:e|es|ed|ing|al|als)",
    "licence": r"licen[cs](?:e|es|ed|ing)",
    "legalize": r"legali[sz](?:e|es|ed|ing|ation)",
    "framework": r"frameworks?",
    "sandbox": r"sandbox(?:es)?",
    "pilot": r"pilot(?:s|ed|ing)?",
    "cbdc launch": r"cbdc launch(?:es|ed)?|launch(?:es|ed|ing)? (?:a |an |its |the )?(?:cbdc|central bank digital currency)",
    "adopt": r"adopt(?:s|ed|ing|ion)?",
    "green light": r"green[- ]light(?:s|ed)?",
    "regulatory clarity": r"regulatory clarity",
}


def _alternation(terms: dict[str, str]) -> re.Pattern[str]:
    """One regex per side: a single scan of the text instead of one per term."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in terms.values()) + r")\b", re.IGNORECASE)


_RESTRICTION = _alternation(RESTRICTION_TERMS)
_ADOPTION = _alternation(ADOPTION_TERMS)


def _cleaned_texts(frame: pd.DataFrame) -> list[str]:
    """Headline and body lead as the model reads them, joined: the same input for every baseline."""
    headlines, bodies = clean_articles(*to_columns(frame[TEXT]))
    return [f"{h}\n{b}" if b else h for h, b in zip(headlines, bodies, strict=True)]


def keyword_label(text: str) -> str:
    """The side with more dictionary hits; neutral when tied or when neither side is hit."""
    restrict = len(_RESTRICTION.findall(text))
    adopt = len(_ADOPTION.findall(text))
    if adopt > restrict:
        return "adoption"
    if restrict > adopt:
        return "restriction"
    return "neutral"


def keyword_labeller(frame: pd.DataFrame) -> np.ndarray:
    """Baseline (a), not a labeller: keyword counts over the cleaned headline + first 1,500 body characters."""
    return np.array([keyword_label(t) for t in _cleaned_texts(frame)], dtype=object)


# --- (b) VADER sentiment as a stance proxy ------------------------------------------------------
#: Fixed thresholds: VADER's own convention for "clearly positive/negative" is +-0.05; +-0.5 asks
#: for a strong tone, since most crypto news reads mildly positive or negative whatever its stance.
VADER_ADOPTION_AT = 0.5
VADER_RESTRICTION_AT = -0.5
#: Tuning grid: steps of 0.05, finer near +-1 where the compound of a long article piles up.
_GRID = np.unique(np.round(np.r_[np.arange(-0.95, 0.951, 0.05), -0.99, -0.975, 0.975, 0.99], 3))


@cache
def _vader() -> SentimentIntensityAnalyzer:
    """Built once: it reads a 7,500-line lexicon, which is set-up, not labelling."""
    return SentimentIntensityAnalyzer()


def vader_compound(frame: pd.DataFrame) -> np.ndarray:
    """VADER compound score of each cleaned article (headline + body lead)."""
    analyzer = _vader()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in _cleaned_texts(frame)])


def vader_labels(compound: np.ndarray, adoption_at: float, restriction_at: float) -> np.ndarray:
    """Compound score -> stance: strong positive tone reads as adoption, strong negative as restriction."""
    out = np.full(len(compound), "neutral", dtype=object)
    out[compound >= adoption_at] = "adoption"
    out[compound <= restriction_at] = "restriction"
    return out


def vader_labeller(frame: pd.DataFrame) -> np.ndarray:
    """Baseline (b) with the fixed, documented thresholds."""
    return vader_labels(vader_compound(frame), VADER_ADOPTION_AT, VADER_RESTRICTION_AT)


def tune_vader(compound: np.ndarray, y_true: np.ndarray) -> dict:
    """Thresholds that maximise macro-F1 on the given (validation) rows: VADER's best case."""
    truth = _label_index(y_true)
    best = {"macro_f1": -1.0}
    for lo in _GRID:
        for hi in _GRID[lo < _GRID]:
            f1 = _fast_macro_f1(truth, _label_index(vader_labels(compound, hi, lo)))
            if f1 > best["macro_f1"]:
                best = {"adoption_at": float(hi), "restriction_at": float(lo), "macro_f1": f1}
    return best


def _label_index(labels: np.ndarray) -> np.ndarray:
    index = {label: i for i, label in enumerate(LABELS)}
    return np.array([index[str(label)] for label in labels], dtype=np.int64)


def _fast_macro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 from a bincount confusion matrix: the threshold grid needs ~700 of them."""
    k = len(LABELS)
    cm = np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1.mean())


# --- scoring and timing ---------------------------------------------------------------------------
def label_scores(y_true: pd.Series, pred: np.ndarray) -> dict:
    """`training.evaluate.scores` on hard labels: the same macro-F1 and per-class numbers as training."""
    classes = np.array(LABELS, dtype=object)
    onehot = (np.asarray(pred, dtype=object)[:, None] == classes[None, :]).astype(float)
    out = scores(y_true, onehot, classes)
    out.pop("calibration_error")  # meaningless for hard labels
    return out


def docs_per_second(labeller: Labeller, frame: pd.DataFrame, repeats: int) -> tuple[np.ndarray, dict]:
    """Label the whole frame `repeats` times; return the labels and the best pass's docs/s.

    Best-of-n, after a small warm-up, because on a shared machine the slowest pass
    measures the neighbours, not the labeller.
    """
    labeller(frame.head(20))
    runs, labels = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        labels = labeller(frame)
        runs.append(len(frame) / (time.perf_counter() - start))
    return labels, {"docs_per_s": float(max(runs)), "runs_docs_per_s": [float(r) for r in runs]}


def _sample(frame: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """A random subset for smoke runs: the first rows in time order would all be 2020 news."""
    if limit is None or limit >= len(frame):
        return frame.reset_index(drop=True)
    return frame.sample(n=limit, random_state=seed).reset_index(drop=True)


def run(limit: int | None = None, repeats: int = 3, seed: int = 0) -> dict:
    """Score and time every labeller on the test split, full articles and headline alone."""
    corpus = load_corpus()
    test = _sample(corpus["test"].to_pandas(), limit, seed)
    validation = _sample(corpus["validation"].to_pandas(), limit, seed)
    model = load_model()
    shipped = _shipped_reference()  # read beside the load: a retrain mid-run must not pass unseen
    views = {"full_text": test, "headline_only": headline_only(test)}

    labellers: dict[str, Labeller] = {
        "model": lambda f: model.predict(f[TEXT]),
        "keywords": keyword_labeller,
        "vader": vader_labeller,
        "always_neutral": lambda f: np.full(len(f), "neutral", dtype=object),
    }
    results: dict[str, dict] = {}
    for name, labeller in labellers.items():
        if name == "always_neutral":  # nothing to time: it reads no text
            pred, timing = labeller(test), {"docs_per_s": None}
        else:
            pred, timing = docs_per_second(labeller, test, repeats)
        results[name] = {"full_text": label_scores(test["label"], pred), **timing}
        results[name]["headline_only"] = label_scores(test["label"], labeller(views["headline_only"]))

    tuned: dict = {"docs_per_s": results["vader"]["docs_per_s"], "note": "same computation as vader"}
    for view, frame in views.items():
        val_view = validation if view == "full_text" else headline_only(validation)
        best = tune_vader(vader_compound(val_view), val_view["label"].to_numpy())
        pred = vader_labels(vader_compound(frame), best["adoption_at"], best["restriction_at"])
        tuned[view] = {
            **label_scores(test["label"], pred),
            "thresholds_tuned_on_validation": {
                "adoption_at": best["adoption_at"],
                "restriction_at": best["restriction_at"],
                "validation_macro_f1": best["macro_f1"],
                "validation_n": len(val_view),
            },
        }
    results["vader_tuned_on_validation"] = tuned
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "split": "test",
        "n": len(test),
        "limit": limit,
        "repeats": repeats,
        "model_version": model.version,
        "shipped": shipped,
        "labellers": results,
        "keyword_terms": {"restriction": RESTRICTION_TERMS, "adoption": ADOPTION_TERMS},
        "keyword_body_chars": BODY_CHARS,
        "vader_thresholds": {"adoption_at": VADER_ADOPTION_AT, "restriction_at": VADER_RESTRICTION_AT},
        "environment": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1m": os.getloadavg()[0],
            "git": git_state(),
        },
    }


def _shipped_reference() -> dict:
    """What training wrote, to check that this run scores the same model the same way.

    metrics.json describes one model file; if the model was retrained since (or
    REGSTANCE_MODEL_DIR points elsewhere) the digests differ and the card's number
    is not this model's.
    """
    model_dir = Path(os.environ.get("REGSTANCE_MODEL_DIR") or DEFAULT_MODEL_DIR)
    out: dict = {"model_sha256": None, "metrics_model_sha256": None, "metrics_test_macro_f1": None}
    try:
        out["model_sha256"] = json.loads((model_dir / MANIFEST_FILE).read_text())["sha256"]
        metrics = json.loads(METRICS_FILE.read_text())
        out["metrics_model_sha256"] = metrics.get("model_sha256")
        out["metrics_test_macro_f1"] = float(metrics["test"]["macro_f1"])
    except (OSError, KeyError, ValueError):
        pass
    out["same_model"] = out["model_sha256"] is not None and out["model_sha256"] == out["metrics_model_sha256"]
    return out


def format_table(report: dict) -> str:
    """Two blocks, full articles then headline only: macro-F1, per-class F1, accuracy, docs/s."""
    lines = [
        f"test split, n={report['n']}{' (--limit sample)' if report['limit'] else ''}, "
        f"model {report['model_version']}",
    ]
    for view, title in (("full_text", "full articles"), ("headline_only", "headline only")):
        lines += [
            "",
            f"{title}:",
            f"{'labeller':<28}{'macro-F1':>9}{'adoption':>10}{'neutral':>9}{'restrict':>10}"
            f"{'accuracy':>10}" + (f"{'docs/s':>10}" if view == "full_text" else ""),
        ]
        for name, res in report["labellers"].items():
            s = res[view]
            f1 = {c: s["per_class"][c]["f1"] for c in LABELS}
            row = (
                f"{name:<28}{s['macro_f1']:>9.3f}{f1['adoption']:>10.3f}{f1['neutral']:>9.3f}"
                f"{f1['restriction']:>10.3f}{s['accuracy']:>10.3f}"
            )
            if view == "full_text":
                row += f"{res['docs_per_s']:>10,.0f}" if res["docs_per_s"] else f"{'-':>10}"
            lines.append(row)
    tuned = report["labellers"]["vader_tuned_on_validation"]
    lines += ["", "vader thresholds (adoption_at / restriction_at):"]
    lines.append(f"  fixed: {VADER_ADOPTION_AT:+.2f} / {VADER_RESTRICTION_AT:+.2f}")
    for view in ("full_text", "headline_only"):
        t = tuned[view]["thresholds_tuned_on_validation"]
        lines.append(
            f"  tuned on validation, {view}: {t['adoption_at']:+.3f} / {t['restriction_at']:+.3f} "
            f"(validation macro-F1 {t['validation_macro_f1']:.3f})"
        )
    shipped = report["shipped"]
    if shipped["metrics_test_macro_f1"] is not None:
        same = "same model" if shipped["same_model"] else "WARNING: a different model file than this run's"
        lines.append(
            f"artifacts/metrics.json test macro-F1: {shipped['metrics_test_macro_f1']:.3f} ({same}, "
            f"sha256 {str(shipped['model_sha256'])[:12]})"
        )
    lines.append(f"docs/s: best of {report['repeats']} passes, one process, cleaning included")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="score a random sample of N test rows")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per labeller (best kept)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --limit sample")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "baselines.json")
    args = parser.parse_args(argv)
    report = run(limit=args.limit, repeats=args.repeats, seed=args.seed)
    print(format_table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
