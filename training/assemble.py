"""Build `training/data/corpus.parquet` and `agreement.json` from the raw labels.

Inputs, all committed under `training/data/labels/`:
- `selection.csv`: which pool rows were chosen to read, their story and batch;
- `<batch>.tsv`: one annotator's labels for one batch (n, id, label[, note]);
  `p*` and `x*` batches are first labels, `d*` batches second labels;
- `annotators.json`: batch -> the helper session that labelled it;
- `adjudication.tsv`: the guide's answer where the two labels disagree;
- `t*.tsv`: for neutral rows not drawn at random, a second read tagging the topic
  `regulatory` (about authorities, no direction) or `other`;
- v2: `r*.tsv` first labels and `e*.tsv` second labels of every story v1 left unread;
- `../written/w<year>.jsonl`: news items written by helper sessions about real events of years
  the pools lack, with the writer's label; `b*.tsv`: a second, blind label of each (by
  `written_batches.csv`). A written item is kept only where both labels agree, and only ever
  in the train split: every reported score is on real articles.

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
from training.select_rest import SELECTED_AS as SELECTED_AS_REST

LABELS_DIR = CORPUS_DIR / "labels"
WRITTEN_DIR = CORPUS_DIR / "written"
FIRST_BATCHES = ("p", "x", "r")
SECOND_BATCHES = ("d", "e")
MAX_BODY_CHARS = 20_000
#: Share of each pool's latest stretch of time held out for test, and before it for validation.
TEST_SHARE = 0.15
VALIDATION_SHARE = 0.15


def read_labels(labels_dir: Path) -> pd.DataFrame:
    """Every label line of every batch, with the batch and its annotator."""
    annotators = json.loads((labels_dir / "annotators.json").read_text())
    frames = []
    for path in sorted(p for p in labels_dir.glob("*.tsv") if p.name[0] in FIRST_BATCHES + SECOND_BATCHES):
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
    per story, so no story can sit in two splits. The stretches are those of v1's rows
    (the latest 15 % of them by time, and the 15 % before); the rows v2 added fall into
    the split whose stretch holds their date, so v1's test rows stay test rows and the
    split is the same whichever v2 batches have landed.
    """
    split = pd.Series("train", index=frame.index)
    v1 = frame["selected_as"] != SELECTED_AS_REST
    for _, rows in frame[v1].groupby("pool"):
        order = rows.sort_values(["published", "id"]).index
        n_test = round(TEST_SHARE * len(order))
        n_val = round(VALIDATION_SHARE * len(order))
        split[order[len(order) - n_test :]] = "test"
        split[order[len(order) - n_test - n_val : len(order) - n_test]] = "validation"
    for pool, rows in frame[~v1].groupby("pool"):
        old = frame[v1 & (frame["pool"] == pool)]
        test_from = old.loc[split[old.index] == "test", "published"].min()
        val_from = old.loc[split[old.index] == "validation", "published"].min()
        split[rows.index[rows["published"] >= val_from]] = "validation"
        split[rows.index[rows["published"] >= test_from]] = "test"
    return split


def read_written(labels_dir: Path, written_dir: Path, annotators: dict) -> pd.DataFrame:
    """Written items with both labels; kept only where the writer's and the blind label agree."""
    files = sorted(written_dir.glob("w*.jsonl"))
    batches_file = labels_dir / "written_batches.csv"
    if not files or not batches_file.is_file():
        return pd.DataFrame()
    items = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for k, line in enumerate(fh, 1):
                if line.strip():
                    item = json.loads(line)
                    items.append({**item, "id": f"{path.stem}-{k:04d}", "file": path.stem})
    written = pd.DataFrame(items)
    where = pd.read_csv(batches_file, dtype=str)
    blind = pd.concat(
        pd.read_csv(labels_dir / f"{b}.tsv", sep="\t", header=None, names=["n", "id", "label_b"], usecols=[0, 1, 2],
                    dtype=str, quoting=3).assign(batch_b=b)
        for b in sorted(where["batch"].unique()) if (labels_dir / f"{b}.tsv").is_file()
    )  # fmt: skip
    written = written.merge(blind[["id", "label_b", "batch_b"]], on="id", how="inner")
    written["annotator_a"] = written["file"].map(annotators)
    written["annotator_b"] = written["batch_b"].map(annotators)
    written["agree"] = written["label"] == written["label_b"]
    return written


def written_rows(written: pd.DataFrame) -> pd.DataFrame:
    """The agreed written items as corpus rows: train split, their event as the story."""
    kept = written[written["agree"]]
    return pd.DataFrame(
        {
            "id": kept["id"],
            "story_id": "event:" + kept["event"],
            "published": pd.NaT,
            "outlet": "written: " + kept["style"],
            "url": None,
            "headline": kept["headline"],
            "body": kept["body"],
            "label": kept["label"],
            "split": "train",
            "pool": "written",
            "origin": "written",
            "selected_as": "written",
            "feed_categories": None,
            "label_a": kept["label"],
            "label_b": kept["label_b"],
            "batch_a": kept["file"],
            "annotator_a": kept["annotator_a"],
            "batch_b": kept["batch_b"],
            "annotator_b": kept["annotator_b"],
            "adjudicated": False,
            "adjudication_reason": None,
            "labelled_by": "written and labelled by one helper session, labelled again blind by another; "
            "kept because both agree",
            "note_a": None,
            # a writer's "hard" neutral is about regulation without a direction: the pool rows' "regulatory"
            "neutral_topic": np.where(
                kept["label"] == "neutral",
                kept["neutral_kind"].map({"hard": "regulatory", "other": "other"}),
                None,
            ),
            "year": kept["year"].astype(int),
            "style": kept["style"],
            "written_jurisdiction": kept["jurisdiction"],
            "event": kept["event"],
        }
    )


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


def assemble(
    labels_dir: Path = LABELS_DIR, out_dir: Path = CORPUS_DIR, written_dir: Path = WRITTEN_DIR
) -> pd.DataFrame:
    selection = pd.read_csv(labels_dir / "selection.csv", dtype=str)
    labels = read_labels(labels_dir)
    first = labels[labels["batch"].str[0].isin(FIRST_BATCHES)]
    second = labels[labels["batch"].str[0].isin(SECOND_BATCHES)]
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
    corpus["origin"] = "pool"
    corpus["year"] = corpus["published"].dt.year
    corpus["style"] = None
    corpus["written_jurisdiction"] = None
    corpus["event"] = None
    written = read_written(labels_dir, written_dir, json.loads((labels_dir / "annotators.json").read_text()))
    if len(written):
        corpus = pd.concat([corpus, written_rows(written)], ignore_index=True)
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
        "origin",
        "year",
        "style",
        "written_jurisdiction",
        "event",
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

    real = corpus[corpus["origin"] == "pool"]
    stats = {"pool": agreement_by_version(real)}
    if len(written):
        stats["written"] = {
            **agreement(written["label"], written["label_b"]),
            "n_written": len(written),
            "n_kept": int(written["agree"].sum()),
        }
    (out_dir / "agreement.json").write_text(json.dumps(stats, indent=2) + "\n")
    return corpus


def agreement_by_version(real: pd.DataFrame) -> dict:
    """Agreement on all doubly labelled pool rows, and on v1's and v2's rows apart."""
    double = real[real["label_b"].notna()]
    out = agreement(double["label_a"], double["label_b"])
    v2 = double["selected_as"] == SELECTED_AS_REST
    for name, rows in (("v1_rows", double[~v2]), ("v2_rows", double[v2])):
        if len(rows):
            out[name] = agreement(rows["label_a"], rows["label_b"])
    return out


def main() -> None:
    corpus = assemble()
    write_datasheet()
    print(corpus["origin"].value_counts().to_string())
    print(pd.crosstab(corpus["split"], corpus["label"], margins=True).to_string())
    print("outlets:", corpus["outlet"].nunique())
    print(corpus["neutral_topic"].value_counts().to_string())
    print(json.loads((CORPUS_DIR / "agreement.json").read_text()))


if __name__ == "__main__":
    main()
