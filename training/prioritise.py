"""Choose more rows to read where the rare classes are likely (uncertainty-free active selection).

After the first batches, random and keyword strata gave too few adoption and
restriction stories to reach the corpus minimums. A quick model trained on the
labels so far ranks the unread stories by P(adoption) and P(restriction); the
top of each ranking is read next. The model only picks *what to read*: every
label still comes from an annotator reading the article.

Run: `python -m training.prioritise LABELS_DIR OUT_DIR`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from classifier.model import StanceModel
from training.pools import assign_story_ids, read_pools
from training.select import one_row_per_story, write_batch_files

PER_CLASS = {"adoption": 900, "restriction": 1_000}
N_BATCHES = 3
DOUBLE = 200


def main(labels_dir: Path, out_dir: Path, seed: int = 20251) -> None:
    selection = pd.read_csv(out_dir / "selection.csv", dtype=str)
    labelled = pd.concat(
        pd.read_csv(p, sep="\t", header=None, usecols=[1, 2], names=["id", "label"], quoting=3)
        for p in sorted(labels_dir.glob("p*.tsv"))
    ).drop_duplicates("id")
    rows = read_pools()
    rows["story_id"] = assign_story_ids(rows).to_numpy()
    train = rows.merge(labelled, on="id")
    model = StanceModel(C=2.0, random_state=seed).fit(train[["headline", "body"]], train["label"])

    stories = one_row_per_story(rows, seed)
    unread = stories[~stories["story_id"].isin(selection["story_id"])]
    unread = unread[(unread["headline"].str.len() + unread["body"].str.len()) >= 20]
    proba = pd.DataFrame(
        model.predict_proba(unread[["headline", "body"]]), columns=model.classes_, index=unread.index
    )
    chosen = []
    taken = pd.Index([])
    for label, n in PER_CLASS.items():
        ranked = proba[label].drop(taken).sort_values(ascending=False).index[:n]
        taken = taken.union(ranked)
        chosen.append(unread.loc[ranked].assign(selected_as=f"model-ranked {label}"))
    chosen = pd.concat(chosen).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    chosen["batch"] = [f"x{i % N_BATCHES:02d}" for i in range(len(chosen))]
    double = chosen.sample(n=DOUBLE, random_state=seed + 2).reset_index(drop=True)
    double["batch"] = "d02"
    write_batch_files(pd.concat([chosen, double]), out_dir)
    extra = chosen[["id", "story_id", "pool", "outlet", "selected_as", "batch"]]
    pd.concat([selection, extra]).to_csv(out_dir / "selection.csv", index=False)
    print(chosen.groupby(["pool", "selected_as"]).size().to_string())


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
