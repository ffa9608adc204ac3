"""Load the labelled corpus as a `datasets.DatasetDict` of train / validation / test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from datasets import Dataset, DatasetDict

CORPUS_DIR = Path(__file__).resolve().parent / "data"
CORPUS_FILE = "corpus.parquet"
SPLITS = ("train", "validation", "test")
COLUMNS = ("id", "story_id", "published", "outlet", "url", "headline", "body", "label", "split", "origin")


def load_corpus(corpus_dir: Path | str = CORPUS_DIR, *, include_written: bool = True) -> DatasetDict:
    """The corpus, one `Dataset` per split, rows in time order (written items, undated, last).

    `origin` is "pool" for real articles and "written" for news items helpers wrote about
    real events of years the pools lack; those sit in train only. `include_written=False`
    leaves them out. Raises a ValueError naming what is missing when the file lacks a
    column or a split, so a half-built corpus fails here and not deep in training.
    """
    path = Path(corpus_dir) / CORPUS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no corpus at {path}: build it with `python -m training.assemble`")
    frame = pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks columns {missing}; found {list(frame.columns)}")
    absent = [s for s in SPLITS if not (frame["split"] == s).any()]
    if absent:
        raise ValueError(f"{path} has no rows in split(s) {absent}")
    if not include_written:
        frame = frame[frame["origin"] == "pool"]
    frame = frame.sort_values(["published", "id"])
    return DatasetDict(
        {split: Dataset.from_pandas(frame[frame["split"] == split], preserve_index=False) for split in SPLITS}
    )
