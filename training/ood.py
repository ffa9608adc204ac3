"""The out-of-distribution suite: the model judged the way users meet it, on news unlike its training rows.

Slices, all scored on real pool articles (written training items are never scored):
- leave-one-pool-out: fit without the 2020 / 2021-22 / 2025 pool, score that pool;
- headline only; lede only (the first sentence of the body, sent alone as a one-line text);
- junk pages: each body wrapped in real-looking page junk (video-player text, captions,
  cookie notices, share lines, teasers of other stories);
- name swap: countries, agencies, people, coins and exchanges swapped for others of their
  kind (`training.names`); the share of predictions that change.

`suite_score` (the mean macro-F1 of the leave-one-pool-out and text-view slices) is what
training chooses candidates by.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from classifier.model import StanceModel
from training.evaluate import confident_macro_precision, headline_only, one_line_lede, scores
from training.names import swapped

TEXT = ["headline", "body"]
POOLS = ("2020", "2021-2022", "2025")
_SENTENCE = re.compile(r"^(.{20,400}?[.!?])(?:\s|$)", re.DOTALL)

#: Page furniture seen around real articles scraped from mainstream and trade sites.
JUNK_LINES = (
    "This is a modal window.",
    "Beginning of dialog window. Escape will cancel and close the window.",
    "The media could not be loaded, either because the server or network failed or because the format is not supported.",
    "Text Color White Black Red Green Blue Yellow Magenta Cyan Transparency Opaque Semi-Transparent",
    "Photo: Getty Images",
    "File photo: a visual representation of the cryptocurrency.",
    "Advertisement",
    "ADVERTISEMENT - SCROLL TO CONTINUE",
    "Share this article",
    "Share on Facebook Share on Twitter Share via Email",
    "Copy link",
    "We use cookies to improve your experience on our site. By continuing you agree to our use of cookies.",
    "Accept all cookies",
    "Sign up for our newsletter to get the latest news delivered to your inbox.",
    "Most read",
    "Listen to this article 4 min",
    "Updated 2 hours ago",
    "Reporting by staff; editing by the desk.",
    "Our Standards: The Trust Principles.",
    "Follow the topics in this story to see more like this in your news feed.",
)


def lede_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The first sentence of the body alone, as a user pastes a one-line lede (read as a headline)."""

    def first(row) -> str:
        body = " ".join(str(row.body).split())
        match = _SENTENCE.match(body)
        return match.group(1) if match else (body[:300] or row.headline)

    return frame.assign(headline=[first(r) for r in frame.itertuples()], body="")


def junk_pages(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Each body as a scraped page: junk lines at the start, between paragraphs and at the end,
    and teasers with the headlines of other articles."""
    rng = np.random.default_rng(seed)
    headlines = frame["headline"].to_numpy()
    bodies = []
    for body in frame["body"]:
        sentences = re.split(r"(?<=[.!?])\s+", str(body))
        cut = max(1, len(sentences) // 2)
        pick = rng.choice(len(JUNK_LINES), size=5, replace=False)
        junk = [JUNK_LINES[i] for i in pick]
        teasers = [str(headlines[i]) for i in rng.integers(0, len(headlines), 2)]
        page = [
            junk[0],
            junk[1],
            " ".join(sentences[:cut]),
            junk[2],
            f"Related: {teasers[0]}",
            " ".join(sentences[cut:]),
            junk[3],
            junk[4],
            "More stories",
            teasers[1],
        ]
        bodies.append("\n".join(p for p in page if p))
    return frame.assign(body=bodies)


def _metrics(y_true, proba: np.ndarray, classes: np.ndarray, threshold: float | None) -> dict:
    s = scores(y_true, proba, classes)
    out = {"n": s["n"], "macro_f1": s["macro_f1"], "accuracy": s["accuracy"]}
    if threshold is not None:
        confident = proba.max(axis=1) >= threshold
        correct = classes[proba.argmax(axis=1)] == np.asarray(y_true)
        out["coverage_when_confident"] = float(confident.mean())
        out["accuracy_when_confident"] = float(correct[confident].mean()) if confident.any() else None
        out["macro_precision_when_confident"] = confident_macro_precision(y_true, proba, classes, threshold)
    return out


def _f1(model: StanceModel, frame: pd.DataFrame, threshold: float | None) -> dict:
    return _metrics(frame["label"], model.predict_proba(frame[TEXT]), model.classes_, threshold)


def text_views(model: StanceModel, frame: pd.DataFrame, threshold: float | None = None) -> dict:
    """Macro-F1 (and accuracy when confident) of the text views users send."""
    return {
        "full_text": _f1(model, frame, threshold),
        "headline_only": _f1(model, headline_only(frame), threshold),
        "lede_only": _f1(model, lede_only(frame), threshold),
        "one_line_lede": _f1(model, one_line_lede(frame), threshold),
        "junk_pages": _f1(model, junk_pages(frame), threshold),
    }


def name_swap(model: StanceModel, frame: pd.DataFrame, seed: int = 0) -> dict:
    """Share of predictions that change when names are swapped for others of their kind."""
    before = model.predict(frame[TEXT])
    other, touched = swapped(frame, seed)
    after = model.predict(other[TEXT])
    flips = before != after
    return {
        "n": len(frame),
        "n_with_names": int(touched.sum()),
        "changed_share": float(flips.mean()),
        "changed_share_of_rows_with_names": float(flips[touched].mean()) if touched.any() else 0.0,
    }


@dataclass(frozen=True)
class HeldOut:
    """One pool held out: every row of it, predicted by a model that never saw the pool."""

    pool: str
    index: np.ndarray  # row positions in the `real` frame it was fitted from
    proba: np.ndarray
    classes: np.ndarray


def fit_held_out(
    fit: Callable[[pd.DataFrame], StanceModel],
    real: pd.DataFrame,
    written: pd.DataFrame | None,
    pool: str,
    train_mask: np.ndarray | None = None,
) -> HeldOut:
    """Fit on the other pools' rows (where `train_mask` holds) plus every written item, predict
    every row of `pool`. Written items name no pool, so they stay in; a story of the held-out
    pool is never fitted on."""
    held = (real["pool"] == pool).to_numpy()
    keep = ~held if train_mask is None else ~held & train_mask
    train = real[keep]
    train = train[~train["story_id"].isin(set(real.loc[held, "story_id"]))]
    if written is not None and len(written):
        train = pd.concat([train, written], ignore_index=True)
    model = fit(train)
    index = np.flatnonzero(held)
    return HeldOut(pool, index, model.predict_proba(real.iloc[index][TEXT]), model.classes_)


def held_out_scores(
    real: pd.DataFrame, held: list[HeldOut], mask: np.ndarray | None = None, threshold: float | None = None
) -> dict[str, dict]:
    """{pool: scores} of the held-out predictions on the rows where `mask` holds."""
    out = {}
    labels = real["label"].to_numpy()
    for h in held:
        keep = np.ones(len(h.index), bool) if mask is None else mask[h.index]
        if keep.any():
            out[h.pool] = _metrics(labels[h.index[keep]], h.proba[keep], h.classes, threshold)
    return out


def leave_one_pool_out(
    fit: Callable[[pd.DataFrame], StanceModel],
    real: pd.DataFrame,
    written: pd.DataFrame | None,
    score_masks: dict[str, np.ndarray] | None = None,
    threshold: float | None = None,
    n_jobs: int = 1,
    train_mask: np.ndarray | None = None,
) -> dict[str, dict]:
    """For each pool: fit on the other pools' real rows (plus every written item), score the
    held-out pool's rows under each mask (default: all of them). Returns {mask name: {pool:
    scores}}; `n_jobs` pools are fitted at once."""
    pools = [p for p in POOLS if (real["pool"] == p).any()]
    held = Parallel(n_jobs=n_jobs)(
        delayed(fit_held_out)(fit, real, written, pool, train_mask) for pool in pools
    )
    masks = score_masks or {"all": None}
    return {name: held_out_scores(real, held, mask, threshold) for name, mask in masks.items()}


def suite_score(lopo: dict, views: dict) -> float:
    """Mean macro-F1 over the out-of-distribution slices: each held-out pool and each altered text view."""
    slices = [v["macro_f1"] for v in lopo.values()]
    slices += [views[k]["macro_f1"] for k in ("headline_only", "lede_only", "junk_pages")]
    return float(np.mean(slices))


_WORD = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Za-z][a-z]+|[A-Z]{2,})\b", re.MULTILINE)


def proper_names(texts: pd.Series, min_seen: int = 3, share: float = 0.9) -> set[str]:
    """Lower-cased words that are written capitalised nearly everywhere they occur mid-sentence."""
    seen: dict[str, int] = {}
    capital: dict[str, int] = {}
    for text in texts:
        for word in _WORD.findall(str(text)):
            key = word.lower()
            seen[key] = seen.get(key, 0) + 1
            capital[key] = capital.get(key, 0) + word[0].isupper()
    return {w for w, n in seen.items() if n >= min_seen and capital[w] / n >= share}


def evidence_names(model: StanceModel, frame: pd.DataFrame, k: int = 5) -> dict:
    """Share of the top-k evidence terms of each article that are (or hold) a proper name."""
    names = proper_names(frame["body"])
    labels = model.predict(frame[TEXT])
    terms = [t.rsplit(" (", 1)[0] for row in model.evidence(frame[TEXT], labels, k) for t in row]
    named = [any(w in names for w in t.split()) for t in terms]
    counts = pd.Series([t for t, n in zip(terms, named, strict=True) if n]).value_counts()
    return {
        "k": k,
        "n_terms": len(terms),
        "name_share": float(np.mean(named)) if named else 0.0,
        "most_common_names": counts.head(15).to_dict(),
    }


def real_rows(train_df: pd.DataFrame, val_df: pd.DataFrame, test_df: pd.DataFrame) -> pd.DataFrame:
    """Every real article of the three splits, in one frame (written items left out)."""
    return pd.concat([train_df[train_df["origin"] == "pool"], val_df, test_df], ignore_index=True)


def ood_report(
    fit: Callable[[pd.DataFrame], StanceModel],
    train_df: pd.DataFrame,
    val_df: pd.DataFrame,
    test_df: pd.DataFrame,
    final: StanceModel,
    threshold: float,
    n_jobs: int = 1,
    held: list[HeldOut] | None = None,
) -> dict:
    """The suite as the card reports it: each pool held out (fit on the train and validation rows
    of the other pools and the written items), scored on all its rows and on its test rows; the
    text views, pools, name swap and evidence names of `final` on test. Accuracy when confident
    uses the validation-chosen threshold throughout. `held`: the held-out predictions of
    `real_rows(...)` when training already made them."""
    written = train_df[train_df["origin"] == "written"]
    real = real_rows(train_df, val_df, test_df)
    is_test = (real["split"] == "test").to_numpy()
    if held is None:
        held = Parallel(n_jobs=n_jobs)(
            delayed(fit_held_out)(fit, real, written, pool, ~is_test) for pool in POOLS
        )
    pools = {
        "all": held_out_scores(real, held, None, threshold),
        "test": held_out_scores(real, held, is_test, threshold),
    }
    views = text_views(final, test_df, threshold)
    return {
        "pool_held_out_all_rows": pools["all"],
        "pool_held_out_test_rows": pools["test"],
        "test_views": views,
        "test_per_pool": {
            pool: text_views(final, rows, threshold)["full_text"] for pool, rows in test_df.groupby("pool")
        },
        "name_swap": name_swap(final, test_df),
        "evidence_names": evidence_names(final, test_df),
        "suite_score": suite_score(pools["all"], views),
    }
