"""The labelled corpus: schema, de-duplication, splits, class minimums, agreement."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from datasets import DatasetDict
from sklearn.metrics import cohen_kappa_score

from training.data import COLUMNS, CORPUS_DIR, SPLITS, load_corpus

LABELS = {"adoption", "neutral", "restriction"}


def test_schema_and_labels(corpus: pd.DataFrame) -> None:
    assert set(COLUMNS) <= set(corpus.columns)
    assert set(corpus["label"]) == LABELS
    assert set(corpus["split"]) == set(SPLITS)
    assert corpus["id"].is_unique
    assert corpus[["headline", "body"]].fillna("").apply(lambda r: (r.str.strip() != "").any(), axis=1).all()


def test_one_row_per_story_and_no_story_in_two_splits(corpus: pd.DataFrame) -> None:
    assert corpus["story_id"].is_unique
    assert corpus.groupby("story_id")["split"].nunique().max() == 1


def test_class_minimums_and_sources(corpus: pd.DataFrame) -> None:
    counts = corpus["label"].value_counts()
    assert len(corpus) >= 6_000
    assert counts["adoption"] >= 900
    assert counts["restriction"] >= 900
    assert ((corpus["label"] == "neutral") & (corpus["neutral_topic"] == "regulatory")).sum() >= 800
    assert corpus["outlet"].nunique() >= 40
    assert set(corpus["pool"]) == {"2020", "2021-2022", "2025"}


def test_test_split_is_the_latest_stretch_of_each_pool(corpus: pd.DataFrame) -> None:
    for _, rows in corpus.groupby("pool"):
        assert (
            rows.loc[rows["split"] == "test", "published"].min()
            >= rows.loc[rows["split"] != "test", "published"].max()
        )


def test_provenance_recorded_per_row(corpus: pd.DataFrame) -> None:
    assert corpus["annotator_a"].notna().all()
    assert corpus["batch_a"].notna().all()
    double = corpus["label_b"].notna()
    assert corpus.loc[double, "annotator_b"].notna().all()
    assert (corpus.loc[double, "annotator_a"] != corpus.loc[double, "annotator_b"]).all()
    disagree = double & (corpus["label_a"] != corpus["label_b"])
    assert (corpus["adjudicated"] == disagree).all()
    assert corpus.loc[disagree, "adjudication_reason"].notna().all()
    agree = ~disagree
    assert (corpus.loc[agree, "label"] == corpus.loc[agree, "label_a"]).all()


def test_agreement_file_matches_the_rows(corpus: pd.DataFrame) -> None:
    stats = json.loads((CORPUS_DIR / "agreement.json").read_text())
    double = corpus[corpus["label_b"].notna()]
    assert stats["n_double_labelled"] == len(double)
    assert stats["n_double_labelled"] >= 0.10 * len(corpus)
    assert stats["kappa"] == pytest.approx(cohen_kappa_score(double["label_a"], double["label_b"]))
    assert stats["raw_agreement"] == pytest.approx((double["label_a"] == double["label_b"]).mean())
    assert set(stats["kappa_per_class"]) == LABELS


def test_loader_returns_the_three_splits() -> None:
    splits = load_corpus()
    assert isinstance(splits, DatasetDict)
    assert list(splits) == list(SPLITS)
    assert {"headline", "body", "label", "story_id"} <= set(splits["train"].column_names)
    assert sum(len(s) for s in splits.values()) == len(pd.read_parquet(CORPUS_DIR / "corpus.parquet"))


def test_loader_names_what_is_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no corpus"):
        load_corpus(tmp_path)
    pd.DataFrame({"id": ["a"], "label": ["neutral"]}).to_parquet(tmp_path / "corpus.parquet")
    with pytest.raises(ValueError, match="lacks columns"):
        load_corpus(tmp_path)


def test_datasheet_and_guide_exist() -> None:
    assert "Cohen" in (CORPUS_DIR / "DATASHEET.md").read_text()
    guide = (CORPUS_DIR.parent / "ANNOTATION.md").read_text()
    assert "Connecticut bans state investment in bitcoin reserves" in guide


def test_jurisdiction_labels_cover_test_and_every_pool(corpus: pd.DataFrame) -> None:
    labelled = corpus[corpus["jurisdiction"].notna()]
    assert len(labelled) >= 2_000
    assert corpus.loc[corpus["split"] == "test", "jurisdiction"].notna().all()
    assert set(labelled["split"]) == set(SPLITS) and set(labelled["pool"]) == {"2020", "2021-2022", "2025"}
    codes = labelled["jurisdiction"]
    shaped = codes.str.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?") | codes.isin(["EU", "INT", "none"])
    assert shaped.all(), codes[~shaped].unique()
    assert ((labelled["authority"] == "none") == (codes == "none")).all()
    assert corpus.loc[corpus["jurisdiction"].isna(), "authority"].isna().all()


def test_jurisdiction_agreement_file_matches_the_raw_labels() -> None:
    from training.jurisdiction import LABELS_DIR, jurisdiction_labels

    labels, stats = jurisdiction_labels(LABELS_DIR)
    assert labels["id"].is_unique and len(labels) == stats["n_labelled"]
    assert json.loads((CORPUS_DIR / "jurisdiction_agreement.json").read_text()) == json.loads(
        json.dumps(stats)
    )
    assert stats["n_double_labelled"] >= 0.10 * stats["n_labelled"]
    assert 0 < stats["jurisdiction"]["kappa"] <= 1 and 0 < stats["authority"]["kappa"] <= 1
    adjudication = pd.read_csv(LABELS_DIR / "adjudication.tsv", sep="\t")
    assert adjudication["reason"].str.len().min() > 20 and stats["adjudicated"] == len(adjudication)
