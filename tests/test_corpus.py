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


def test_one_row_per_story_and_no_story_or_event_in_two_splits(corpus: pd.DataFrame) -> None:
    real = corpus[corpus["origin"] == "pool"]
    assert real["story_id"].is_unique
    # written items of one event share a story id; stories and events never span splits
    assert corpus.groupby("story_id")["split"].nunique().max() == 1
    written = corpus[corpus["origin"] == "written"]
    assert (written["story_id"] == "event:" + written["event"]).all()


def test_written_items_are_train_only_marked_and_agreed(corpus: pd.DataFrame) -> None:
    written = corpus[corpus["origin"] == "written"]
    assert len(written) > 0
    assert set(corpus["origin"]) == {"pool", "written"}
    assert (written["split"] == "train").all()
    assert (written["pool"] == "written").all()
    assert (written["label_a"] == written["label_b"]).all()  # kept only where both labels agree
    assert (written["annotator_a"] != written["annotator_b"]).all()
    assert written["year"].between(2011, 2024).all()
    assert set(written["style"]) <= {
        "wire",
        "mainstream_page",
        "trade_headline",
        "trade_lede",
        "press_release",
    }
    assert written["published"].isna().all() and written["url"].isna().all()
    assert written["id"].str.fullmatch(r"w20\d\d-\d{4}").all()


def test_loader_can_leave_written_items_out() -> None:
    with_written = load_corpus()
    without = load_corpus(include_written=False)
    assert "origin" in with_written["train"].column_names
    assert set(without["train"]["origin"]) == {"pool"}
    assert len(with_written["train"]) > len(without["train"])
    for split in ("validation", "test"):
        assert set(with_written[split]["origin"]) == {"pool"}
        assert len(with_written[split]) == len(without[split])


def test_class_minimums_and_sources(corpus: pd.DataFrame) -> None:
    counts = corpus["label"].value_counts()
    assert len(corpus) >= 6_000
    assert counts["adoption"] >= 900
    assert counts["restriction"] >= 900
    assert ((corpus["label"] == "neutral") & (corpus["neutral_topic"] == "regulatory")).sum() >= 800
    assert corpus["outlet"].nunique() >= 40
    assert set(corpus.loc[corpus["origin"] == "pool", "pool"]) == {"2020", "2021-2022", "2025"}


def test_test_split_is_the_latest_stretch_of_each_pool(corpus: pd.DataFrame) -> None:
    for _, rows in corpus[corpus["origin"] == "pool"].groupby("pool"):
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
    real = corpus[corpus["origin"] == "pool"]
    double = real[real["label_b"].notna()]
    pool = stats["pool"]
    assert pool["n_double_labelled"] == len(double)
    assert pool["n_double_labelled"] >= 0.10 * len(real)
    assert pool["kappa"] == pytest.approx(cohen_kappa_score(double["label_a"], double["label_b"]))
    assert pool["raw_agreement"] == pytest.approx((double["label_a"] == double["label_b"]).mean())
    assert set(pool["kappa_per_class"]) == LABELS
    v2 = double["selected_as"] == "rest (every unread story)"
    assert pool["v1_rows"]["n_double_labelled"] == int((~v2).sum())
    if v2.any():
        assert pool["v2_rows"]["n_double_labelled"] == int(v2.sum())
    # written items: every one was labelled twice; the corpus holds the agreeing ones
    written = stats["written"]
    assert written["n_kept"] == int((corpus["origin"] == "written").sum())
    assert written["n_double_labelled"] == written["n_written"] >= written["n_kept"]


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
