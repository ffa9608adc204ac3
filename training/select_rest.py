"""Corpus v2: cut every pool story not yet read into labelling batches.

v1 read a stratified, then model-ranked, choice of stories (`selected_as` keeps
which). v2 reads all the rest, so the corpus holds the news stream's own class
shares. Nothing here assigns a label: it only decides who reads what.

- primary batches `r00`, `r01`, ... cover every unread story once;
- double batches `e00`, ... re-draw `DOUBLE_SHARE` of them, mixed across primary
  batches, for a second blind label.

Run: `python -m training.select_rest [OUT_DIR]` (default /work/labelling/batches);
it appends the new rows to `training/data/labels/selection.csv`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from training.pools import assign_story_ids, read_pools
from training.select import one_row_per_story, write_batch_files

LABELS_DIR = Path(__file__).resolve().parent / "data" / "labels"
BATCH_SIZE = 1_000
DOUBLE_SHARE = 0.10
DOUBLE_BATCH_SIZE = 850
MIN_CHARS = 20
SELECTED_AS = "rest (every unread story)"


def unread_stories(seed: int = 20251) -> tuple[pd.DataFrame, int]:
    """One row per story not in `selection.csv`, and how many were too short to read."""
    selection = pd.read_csv(LABELS_DIR / "selection.csv", dtype=str)
    rows = read_pools()
    rows["story_id"] = assign_story_ids(rows).to_numpy()
    stories = one_row_per_story(rows, seed)
    unread = stories[~stories["story_id"].isin(selection["story_id"])]
    readable = (unread["headline"].str.len() + unread["body"].str.len()) >= MIN_CHARS
    return unread[readable], int((~readable).sum())


def main(out_dir: Path = Path("/work/labelling/batches"), seed: int = 20251) -> None:
    unread, too_short = unread_stories(seed)
    order = unread.sample(frac=1.0, random_state=seed + 10).reset_index(drop=True)
    n_batches = -(-len(order) // BATCH_SIZE)
    order["batch"] = [f"r{i % n_batches:02d}" for i in range(len(order))]
    order["selected_as"] = SELECTED_AS
    double = order.sample(frac=DOUBLE_SHARE, random_state=seed + 11).reset_index(drop=True)
    double["batch"] = [f"e{i // DOUBLE_BATCH_SIZE:02d}" for i in range(len(double))]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_batch_files(pd.concat([order, double]), out_dir)
    selection = pd.read_csv(LABELS_DIR / "selection.csv", dtype=str)
    selection = selection[selection["selected_as"] != SELECTED_AS]
    extra = order[["id", "story_id", "pool", "outlet", "selected_as", "batch"]]
    pd.concat([selection, extra]).to_csv(LABELS_DIR / "selection.csv", index=False)
    print(f"{len(order)} unread stories in {n_batches} batches; {len(double)} double; {too_short} too short")
    print(order.groupby("pool").size().to_string())


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:2]))
