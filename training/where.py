"""Train the jurisdiction extractor, measure it on the labelled test rows, write artifacts/jurisdiction/.

The extractor learns from train and validation rows only:
- its ranker from the jurisdiction-labelled ones;
- its none gate from those and from every other train/validation row, by what its
  stance labels say: an adoption or restriction article has an acting authority by
  the guide's definition, a neutral one tagged `regulatory` mostly does, and one
  tagged `other` (not about regulation) or `untagged` (ordinary news) almost never
  does (how often, on the labelled rows: `weak_label_agreement` in metrics.json);
- the gate's stance probabilities are out of fold: five stance models with the
  shipped model's settings, each scoring the rows it did not see, so the gate
  learns how far to trust probabilities as they are on new text. The shipped stance
  model itself is never refit or changed; at prediction the gate reads its output.
The gate's threshold is chosen by grouped cross-validation on the labelled rows, each
weighed by how many rows of its draw it stands for (`design_weights`).
The test rows (every row of the test split) are read once, at the end.

Run: `python -m training.where` (writes extractor.joblib, manifest.json and
metrics.json, then re-renders artifacts/MODEL_CARD.md with the new section).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from classifier.gazetteer import NONE
from classifier.model import StanceModel, load_model
from classifier.where import UNKNOWN, JurisdictionExtractor, save_where
from training.args import ARTIFACTS_DIR
from training.data import CORPUS_DIR, CORPUS_FILE
from training.jurisdiction import LABELS_DIR
from training.model_card import write_model_card

TEXT = ["headline", "body"]
#: The none gate's thresholds tried, every 0.025: where overall accuracy crosses its target the
#: accuracy where an authority acts falls ~0.015 a step, so a coarser grid gives away most of a step.
THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(23))  # 0.05 ... 0.6
#: Jurisdictions with fewer test rows than this are not ranked among the worst (too few to say).
MIN_ROWS = 5
SEED = 42
#: What one weakly labelled row counts in the none gate, against 1 for a row read for jurisdiction.
WEAK_WEIGHT = 0.1
#: The issue's targets for jurisdiction accuracy on test: overall, and where an authority acts.
TARGET_OVERALL, TARGET_ACTING = 0.90, 0.85


def labelled(corpus: pd.DataFrame) -> pd.DataFrame:
    rows = corpus[corpus["jurisdiction"].notna()].reset_index(drop=True)
    if rows.empty:
        raise ValueError("no jurisdiction labels in the corpus: run `python -m training.assemble`")
    return rows


def accuracy(gold: pd.DataFrame, pred: np.ndarray, weights: np.ndarray | None = None) -> dict:
    """Jurisdiction accuracy overall and where an authority acts; authority accuracy likewise.

    An authority counts as right only with its jurisdiction (both in canonical spelling).
    With `weights` (one per row, see `design_weights`) every share is a weighted one.
    """
    j_ok = pred[:, 0] == gold["jurisdiction"].to_numpy()
    a_ok = j_ok & (pred[:, 1] == gold["authority"].to_numpy())
    acting = (gold["jurisdiction"] != NONE).to_numpy()
    said_none = pred[:, 0] == NONE
    w = np.ones(len(gold)) if weights is None else np.asarray(weights, dtype=float)

    def share(hit: np.ndarray, rows: np.ndarray) -> float | None:
        return float(np.average(hit[rows], weights=w[rows])) if rows.any() else None

    every = np.ones(len(gold), dtype=bool)
    return {
        "n": len(gold),
        "n_acting": int(acting.sum()),
        "jurisdiction_accuracy": share(j_ok, every),
        "jurisdiction_accuracy_where_authority_acts": share(j_ok, acting),
        "authority_accuracy": share(a_ok, every),
        "authority_accuracy_where_authority_acts": share(a_ok, acting),
        "none_recall": share(said_none, ~acting),
        "none_precision": share(~acting, said_none),
        "acting_said_none": share(said_none, acting),
    }


#: The labelling rounds of train and validation rows, and how each drew its rows (ANNOTATION.md
#: section 9.3): the first spread over stance labels and pools; the third over stance labels and
#: pools too, and among neutral rows mostly those where the extractor of 2026-12-01 found an acting
#: authority (`round3_frame.csv`: every row it drew from, with that flag).
ROUNDS = {"first": ("j00", "j01", "j02"), "third": ("j07", "j08", "j09")}
ROUND3_FRAME = LABELS_DIR / "round3_frame.csv"


def design_weights(labelled_rows: pd.DataFrame, population: pd.DataFrame) -> np.ndarray:
    """Per labelled train/validation row, how many rows of its draw it stands for.

    The rows read for jurisdiction were not drawn at random: two in three have an acting
    authority, against about one in seven of the news, and the third round's neutral rows
    were mostly ones the previous extractor already answered. Weighed by the inverse of each
    stratum's sampling rate (stance label x pool, and for the third round's neutral rows that
    flag), cross-validated accuracy estimates accuracy on the news itself, not on the rows that
    were easiest to find. Each round's weights have a mean of 1.
    """
    batch = pd.read_csv(LABELS_DIR / "selection.csv", dtype=str).set_index("id")["batch"]
    answered = pd.read_csv(ROUND3_FRAME, dtype={"id": str}).set_index("id")["old_acting"]
    real = population[population["origin"] == "pool"]
    rows = labelled_rows.assign(batch=labelled_rows["id"].map(batch).to_numpy())
    weights = np.ones(len(rows))
    for name, batches in ROUNDS.items():
        mine = rows["batch"].isin(batches).to_numpy()
        if not mine.any():
            continue
        flags = answered if name == "third" else None
        drawn_from = real[real["id"].isin(answered.index)] if flags is not None else real
        sampled = _stratum(rows[mine], flags)
        rate = sampled.value_counts() / _stratum(drawn_from, flags).value_counts()
        w = 1.0 / sampled.map(rate).to_numpy(dtype=float)
        weights[mine] = w / w.mean()
    return weights


def _stratum(rows: pd.DataFrame, flags: pd.Series | None) -> pd.Series:
    """Each row's stratum: "label|pool", and for neutral rows "|1" or "|0" by `flags` (id -> 0/1)."""
    key = rows["label"].astype(str) + "|" + rows["pool"].astype(str)
    if flags is None:
        return key
    flag = rows["id"].map(flags).fillna(0).astype(int).astype(str)
    return key + "|" + flag.where(rows["label"].to_numpy() == "neutral", "-")


def per_jurisdiction(gold: pd.DataFrame, pred: np.ndarray) -> dict:
    """Per gold jurisdiction: rows, share found (recall), share right among those predicted."""
    frame = pd.DataFrame({"gold": gold["jurisdiction"].to_numpy(), "pred": pred[:, 0]})
    out = {}
    for code, rows in frame.groupby("gold"):
        predicted = frame[frame["pred"] == code]
        out[code] = {
            "n": len(rows),
            "recall": float((rows["pred"] == code).mean()),
            "precision": float((predicted["gold"] == code).mean()) if len(predicted) else None,
            "predicted_instead": rows.loc[rows["pred"] != code, "pred"].value_counts().head(3).to_dict(),
        }
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["n"]))


def out_of_fold_proba(rows: pd.DataFrame, model: StanceModel, folds: int = 5) -> np.ndarray:
    """Stance probabilities of each row (`StanceModel.word_proba`, what the extractor reads) from a
    stance model (the shipped one's settings) that did not train on it: grouped by story, so
    near-duplicates do not leak."""
    params = {k: v for k, v in model.get_params().items() if k != "abstain_below"}
    proba = np.zeros((len(rows), 3))
    for fit_idx, test_idx in GroupKFold(n_splits=folds).split(rows, groups=rows["story_id"]):
        part = StanceModel(**params).fit(rows.iloc[fit_idx][TEXT], rows.iloc[fit_idx]["label"])
        proba[test_idx] = part.word_proba(rows.iloc[test_idx][TEXT])
    return proba


def weak_targets(rows: pd.DataFrame) -> pd.Series:
    """For the gate only: "?" (some authority acts) for adoption and restriction rows and for neutral
    rows tagged `regulatory`, "none" for neutral rows about something else (`other`, `untagged`)."""
    out = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    out[rows["label"].isin(["adoption", "restriction"])] = UNKNOWN
    out[(rows["label"] == "neutral") & (rows["neutral_topic"] == "regulatory")] = UNKNOWN
    out[(rows["label"] == "neutral") & rows["neutral_topic"].isin(["other", "untagged"])] = NONE
    return out


def fit_extractor(
    labelled_rows: pd.DataFrame,
    labelled_proba: np.ndarray,
    weak: pd.DataFrame,
    weak_proba: np.ndarray,
    model: StanceModel,
    **params,
) -> JurisdictionExtractor:
    """The extractor fitted on labelled rows plus the weakly labelled gate rows.

    The weak rows count `WEAK_WEIGHT` each in the gate: together about as much as the rows read
    for jurisdiction, so that the rule "neutral and not about regulation means no authority acts",
    wrong for about one such article in twenty (`weak_label_agreement`) and 25,000 strong, does
    not outvote what was read.
    """
    X = pd.concat([labelled_rows[TEXT], weak[TEXT]], ignore_index=True)
    y = list(zip(labelled_rows["jurisdiction"], labelled_rows["authority"], strict=True))
    y += [(t, t) for t in weak["weak"]]
    proba = np.vstack([labelled_proba, weak_proba])
    weight = np.r_[np.ones(len(labelled_rows)), np.full(len(weak), WEAK_WEIGHT)]
    return JurisdictionExtractor(random_state=SEED, **params).fit(
        X, y, stance_model=model, stance_proba=proba, sample_weight=weight
    )


def choose_threshold(
    train: pd.DataFrame,
    proba: np.ndarray,
    weak: pd.DataFrame,
    weak_proba: np.ndarray,
    model: StanceModel,
    weights: np.ndarray | None = None,
    **params,
) -> tuple[float, dict]:
    """The none gate's threshold, by grouped 5-fold CV over the labelled rows (the weak rows
    always train), accuracies weighed by `weights`: the most accurate where an authority acts
    among thresholds that keep overall accuracy at its target; if none does, the one nearest
    both targets."""
    folds = list(GroupKFold(n_splits=5).split(train, groups=train["story_id"]))
    results = {}
    gate = {}
    for fit_idx, test_idx in folds:
        extractor = fit_extractor(train.iloc[fit_idx], proba[fit_idx], weak, weak_proba, model, **params)
        for t in THRESHOLDS:
            extractor.set_params(act_above=t)
            gate.setdefault(t, np.empty((len(train), 2), dtype=object))[test_idx] = extractor.predict(
                train.iloc[test_idx][TEXT], stance_proba=proba[test_idx]
            )
    for t, pred in gate.items():
        results[t] = accuracy(train, pred, weights)
    overall_met = [t for t in THRESHOLDS if results[t]["jurisdiction_accuracy"] >= TARGET_OVERALL]
    if overall_met:
        best = max(overall_met, key=lambda t: results[t]["jurisdiction_accuracy_where_authority_acts"])
    else:
        # the threshold that comes closest to both targets: the sum of each accuracy's share of its
        # target, capped at 1 (past a target, more of that one buys nothing), ties to the higher overall
        best = max(
            THRESHOLDS,
            key=lambda t: (
                min(1.0, results[t]["jurisdiction_accuracy"] / TARGET_OVERALL)
                + min(1.0, results[t]["jurisdiction_accuracy_where_authority_acts"] / TARGET_ACTING),
                results[t]["jurisdiction_accuracy"],
            ),
        )
    return best, {str(t): r for t, r in results.items()}


def weak_agreement(train: pd.DataFrame) -> dict:
    """How often the stance-derived gate target matches the jurisdiction label, on labelled rows."""
    weak = weak_targets(train)
    acting = train["jurisdiction"] != NONE
    return {
        "adoption_or_restriction_acting": float(acting[train["label"] != "neutral"].mean()),
        "neutral_regulatory_acting": float(
            acting[(train["label"] == "neutral") & (train["neutral_topic"] == "regulatory")].mean()
        ),
        "neutral_other_or_untagged_none": float((~acting)[weak == NONE].mean()),
        "n": int(weak.notna().sum()),
    }


def throughput(extractor: JurisdictionExtractor, frame: pd.DataFrame, model: StanceModel) -> float:
    """Articles/s of the extractor on full articles as scoring runs it (best of 3): on what the
    stance model read (`StanceModel.read`: the cleaned texts and its indicators' scans), so
    neither the cleaning nor the shared scans count."""
    model.share_scanner(extractor.matcher_)
    reading = model.read(frame[TEXT])
    proba = model.word_proba_from(reading.features, reading.proba)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        extractor.places_of(*reading.cleaned, stance_proba=proba, scans=reading.scans)
        best = min(best, time.perf_counter() - start)
    return len(frame) / best


def train_where(out_dir: Path = ARTIFACTS_DIR, corpus_dir: Path = CORPUS_DIR) -> dict:
    started = time.perf_counter()
    corpus = pd.read_parquet(Path(corpus_dir) / CORPUS_FILE)
    model = load_model(Path(out_dir) / "model")
    seen = corpus[corpus["split"] != "test"].reset_index(drop=True)
    seen_proba = out_of_fold_proba(seen, model)
    has_label = seen["jurisdiction"].notna().to_numpy()
    train, train_proba = seen[has_label].reset_index(drop=True), seen_proba[has_label]
    weak = seen[~has_label].assign(weak=weak_targets(seen[~has_label]))
    keep = weak["weak"].notna().to_numpy()
    weak, weak_proba = weak[keep].reset_index(drop=True), seen_proba[~has_label][keep]
    test = labelled(corpus[corpus["split"] == "test"])
    # the shipped stance model's reading of the words, as every door hands it to the extractor
    test_proba = model.word_proba(test[TEXT])
    weights = design_weights(train, seen)
    threshold, cv = choose_threshold(train, train_proba, weak, weak_proba, model, weights)
    print(
        f"gate threshold {threshold} (CV on {len(train)} labelled train+validation rows, "
        "each weighed by the rows of its draw it stands for)",
        file=sys.stderr,
    )

    extractor = fit_extractor(train, train_proba, weak, weak_proba, model, act_above=threshold)
    pred = extractor.predict(test[TEXT], stance_proba=test_proba)
    scores = accuracy(test, pred)
    per_code = per_jurisdiction(test, pred)
    worst = sorted(
        ((code, v) for code, v in per_code.items() if v["n"] >= MIN_ROWS and code != NONE),
        key=lambda kv: kv[1]["recall"],
    )[:5]
    per_pool = {
        pool: accuracy(test[test["pool"] == pool], pred[(test["pool"] == pool).to_numpy()])
        for pool in sorted(test["pool"].unique())
    }

    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    code_sha = hashlib.sha256(
        b"".join(
            (Path(__file__).parents[1] / "classifier" / f).read_bytes()
            for f in (
                "gazetteer.py",
                "mentions.py",
                "where.py",
                "text.py",  # it reads the texts as the stance model cleans them
                "data/authorities.csv",
                "data/places.csv",
            )
        )
    ).hexdigest()
    corpus_sha = hashlib.sha256((Path(corpus_dir) / CORPUS_FILE).read_bytes()).hexdigest()
    fingerprint = hashlib.sha256(f"{code_sha}{corpus_sha}{model.version}{threshold}".encode()).hexdigest()[
        :10
    ]
    extractor.metadata_ = {
        "version": f"where-{trained_at[:10]}-{fingerprint}",
        "trained_at": trained_at,
        "stance_model_version": model.version,
        "corpus_sha256": corpus_sha,
        "n_train": len(train),
        "n_gate_only": len(weak),
        "act_above": threshold,
        "aliases": len(extractor.gazetteer_.aliases),
    }
    where_dir = Path(out_dir) / "jurisdiction"
    manifest = save_where(extractor, where_dir, created=trained_at)
    wrong = test.assign(pred_jurisdiction=pred[:, 0], pred_authority=pred[:, 1])
    wrong = wrong[wrong["pred_jurisdiction"] != wrong["jurisdiction"]]
    metrics = {
        "version": manifest.version,
        "sha256": manifest.sha256,
        "trained_at": trained_at,
        "stance_model_version": model.version,
        "command": "python -m training.where",
        "n_train": len(train),
        "n_gate_only": len(weak),
        "gate_only_row_weight": WEAK_WEIGHT,
        "weak_label_agreement": weak_agreement(train),
        "gate_threshold": threshold,
        "threshold_cv_weighed": "design_weights: inverse sampling rate of each row's stratum",
        "lead_chars": extractor.lead_chars,
        "reach_chars": extractor.reach_chars,
        "targets": {"jurisdiction_accuracy": TARGET_OVERALL, "where_authority_acts": TARGET_ACTING},
        "threshold_cv": cv,
        "test": scores,
        "test_per_pool": per_pool,
        "test_per_jurisdiction": per_code,
        "worst_jurisdictions": [{"jurisdiction": code, **v} for code, v in worst],
        "test_errors_sample": wrong[
            ["id", "headline", "jurisdiction", "authority", "pred_jurisdiction", "pred_authority"]
        ]
        .head(40)
        .to_dict("records"),
        "articles_per_s_one_core": round(throughput(extractor, test, model), 1),
        "gazetteer": {
            "aliases": len(extractor.gazetteer_.aliases),
            "jurisdictions_named": len(extractor.gazetteer_.names),
            "authorities": len({a for (_, a) in extractor.gazetteer_.kinds}),
            "stance_terms": len(extractor.stance_terms_),
        },
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    (where_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    stance_metrics = json.loads((Path(out_dir) / "metrics.json").read_text())
    write_model_card(Path(out_dir) / "MODEL_CARD.md", stance_metrics)
    return metrics


def main() -> None:
    m = train_where()
    t = m["test"]
    print(
        f"test: jurisdiction {t['jurisdiction_accuracy']:.3f} overall, "
        f"{t['jurisdiction_accuracy_where_authority_acts']:.3f} where an authority acts (n={t['n_acting']}); "
        f"authority {t['authority_accuracy']:.3f} overall, {t['authority_accuracy_where_authority_acts']:.3f} "
        f"where one acts; {m['articles_per_s_one_core']:,.0f} articles/s  ({m['version']})"
    )
    print(
        "worst:",
        ", ".join(f"{w['jurisdiction']} {w['recall']:.2f} (n={w['n']})" for w in m["worst_jurisdictions"]),
    )


if __name__ == "__main__":
    main()
