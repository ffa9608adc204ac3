"""Build `training/data/corpus.parquet` and `agreement.json` from the raw labels.

Inputs, all committed under `training/data/labels/`:
- `selection.csv`: which pool rows were chosen to read, their story and batch;
- `<batch>.tsv`: one annotator's labels for one batch (n, id, label[, note]);
  `p*` and `x*` batches are first labels, `d*` batches second labels;
- `annotators.json`: batch -> the helper session that labelled it;
- `adjudication.tsv`: the guide's answer where the two labels disagree;
- `t*.tsv`: for neutral rows not drawn at random, a second read tagging the topic
  `regulatory` (about authorities, no direction) or `other`.

Run: `python -m training.assemble`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from classifier.model import LABELS
from training.data import CORPUS_DIR, CORPUS_FILE
from training.datasheet import write_datasheet
from training.jurisdiction import add_jurisdiction
from training.pools import read_pools

LABELS_DIR = CORPUS_DIR / "labels"
MAX_BODY_CHARS = 20_000
#: Share of each pool's latest stretch of time held out for test, and before it for validation.
TEST_SHARE = 0.15
VALIDATION_SHARE = 0.15


def read_labels(labels_dir: Path) -> pd.DataFrame:
    """Every label line of every batch, with the batch and its annotator."""
    annotators = json.loads((labels_dir / "annotators.json").read_text())
    frames = []
    for path in sorted(labels_dir.glob("[pdx]*.tsv")):
        frame = pd.read_csv(
            path,
            sep="\t",
            header=None,
            names=["n", "id", "label", "note"],
            dtype=str,
            quoting=3,
            on_bad_lines="error",
        )
        frame["batch"] = path.stem
        frame["annotator"] = annotators[path.stem]
        frames.append(frame)
    labels = pd.concat(frames, ignore_index=True)
    bad = labels[~labels["label"].isin(LABELS)]
    if len(bad):
        raise ValueError(f"labels outside {LABELS}: {bad[['batch', 'n', 'label']].head().to_dict('records')}")
    return labels


def read_topics(labels_dir: Path) -> pd.Series:
    """id -> 'regulatory' or 'other', from the topic-tagging batches."""
    frames = [
        pd.read_csv(p, sep="\t", header=None, usecols=[1, 2], names=["id", "topic"], dtype=str, quoting=3)
        for p in sorted(labels_dir.glob("t*.tsv"))
    ]
    if not frames:
        return pd.Series(dtype=str)
    topics = pd.concat(frames).drop_duplicates("id")
    bad = topics[~topics["topic"].isin(["regulatory", "other"])]
    if len(bad):
        raise ValueError(f"topic tags must be regulatory or other: {bad.head().to_dict('records')}")
    return topics.set_index("id")["topic"]


def time_splits(frame: pd.DataFrame) -> pd.Series:
    """Within each pool, the latest stretch is test and the one before it validation.

    Per pool, so that test holds both full 2025 pages and 2021-22 ledes; one row
    per story, so no story can sit in two splits.
    """
    split = pd.Series("train", index=frame.index)
    for _, rows in frame.groupby("pool"):
        order = rows.sort_values(["published", "id"]).index
        n_test = round(TEST_SHARE * len(order))
        n_val = round(VALIDATION_SHARE * len(order))
        split[order[len(order) - n_test :]] = "test"
        split[order[len(order) - n_test - n_val : len(order) - n_test]] = "validation"
    return split


def agreement(first: pd.Series, second: pd.Series) -> dict:
    """Cohen's kappa overall and one-vs-rest per class, on doubly labelled rows."""
    per_class = {label: float(cohen_kappa_score(first == label, second == label)) for label in LABELS}
    confusion = pd.crosstab(first, second).reindex(index=LABELS, columns=LABELS, fill_value=0)
    return {
        "n_double_labelled": len(first),
        "kappa": float(cohen_kappa_score(first, second)),
        "kappa_per_class": per_class,
        "raw_agreement": float((first.to_numpy() == second.to_numpy()).mean()),
        "confusion_first_by_second": {a: confusion.loc[a].astype(int).to_dict() for a in LABELS},
    }


def assemble(labels_dir: Path = LABELS_DIR, out_dir: Path = CORPUS_DIR) -> pd.DataFrame:
    selection = pd.read_csv(labels_dir / "selection.csv", dtype=str)
    labels = read_labels(labels_dir)
    first = labels[labels["batch"].str[0].isin(["p", "x"])]
    second = labels[labels["batch"].str.startswith("d")]
    duplicated = first["id"][first["id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"ids labelled twice as first labels: {duplicated.head().tolist()}")

    rows = read_pools().set_index("id")
    corpus = selection.merge(
        first[["id", "label", "batch", "annotator", "note"]].rename(
            columns={"label": "label_a", "batch": "batch_a", "annotator": "annotator_a", "note": "note_a"}
        ),
        on="id",
        how="inner",
    )
    corpus = corpus.merge(
        second[["id", "label", "batch", "annotator"]].rename(
            columns={"label": "label_b", "batch": "batch_b", "annotator": "annotator_b"}
        ),
        on="id",
        how="left",
    )
    adjudication_file = labels_dir / "adjudication.tsv"
    adjudicated = (
        pd.read_csv(adjudication_file, sep="\t", dtype=str).set_index("id")
        if adjudication_file.is_file()
        else pd.DataFrame(columns=["label", "reason"])
    )
    disagree = corpus["label_b"].notna() & (corpus["label_a"] != corpus["label_b"])
    pending = sorted(set(corpus.loc[disagree, "id"]) - set(adjudicated.index))
    if pending:
        raise ValueError(f"{len(pending)} disagreements lack an adjudication, e.g. {pending[:5]}")
    corpus["adjudicated"] = disagree
    corpus["label"] = np.where(disagree, corpus["id"].map(adjudicated["label"]), corpus["label_a"])
    corpus["adjudication_reason"] = corpus["id"].map(adjudicated["reason"]).where(disagree)
    corpus["labelled_by"] = np.where(
        corpus["label_b"].notna(), "two helper sessions, independently", "one helper session"
    )

    topics = read_topics(labels_dir)
    corpus["neutral_topic"] = np.where(
        corpus["label"] == "neutral", corpus["id"].map(topics).astype(object).fillna("untagged"), None
    )

    text = rows.loc[corpus["id"], ["published", "url", "headline", "body", "feed_categories"]]
    corpus = pd.concat([corpus.reset_index(drop=True), text.reset_index(drop=True)], axis=1)
    corpus["body"] = corpus["body"].str.slice(0, MAX_BODY_CHARS)
    corpus["published"] = pd.to_datetime(corpus["published"], utc=True)
    corpus["split"] = time_splits(corpus)
    corpus = corpus.sort_values(["published", "id"]).reset_index(drop=True)

    columns = [
        "id",
        "story_id",
        "published",
        "outlet",
        "url",
        "headline",
        "body",
        "label",
        "split",
        "pool",
        "selected_as",
        "feed_categories",
        "label_a",
        "label_b",
        "batch_a",
        "annotator_a",
        "batch_b",
        "annotator_b",
        "adjudicated",
        "adjudication_reason",
        "labelled_by",
        "note_a",
        "neutral_topic",
    ]
    corpus = add_jurisdiction(corpus[columns], out_dir=out_dir)  # + jurisdiction, authority columns
    corpus.to_parquet(out_dir / CORPUS_FILE, index=False, compression="zstd")

    double = corpus[corpus["label_b"].notna()]
    stats = agreement(double["label_a"], double["label_b"])
    (out_dir / "agreement.json").write_text(json.dumps(stats, indent=2) + "\n")
    return corpus


def main() -> None:
    corpus = assemble()
    write_datasheet()
    print(pd.crosstab(corpus["split"], corpus["label"], margins=True).to_string())
    print("outlets:", corpus["outlet"].nunique())
    print(corpus["neutral_topic"].value_counts().to_string())
    print(json.loads((CORPUS_DIR / "agreement.json").read_text()))


if __name__ == "__main__":
    main()
