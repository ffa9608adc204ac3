"""Cut the written news items into blind labelling batches (`b00`, `b01`, ...).

Each batch mixes the items of several writers and years in random order and shows only
the headline and text, never the writer's label, event, style or jurisdiction: the second
label is blind. `training/data/labels/written_batches.csv` records which item went where.

Run: `python -m training.written_batches YEAR [YEAR ...]` for the years whose files are
complete and not yet batched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from training.assemble import LABELS_DIR, WRITTEN_DIR
from training.select import label_view


def main(years: list[str], out_dir: Path = Path("/work/labelling/batches"), seed: int = 20252) -> None:
    index_file = LABELS_DIR / "written_batches.csv"
    done = (
        pd.read_csv(index_file, dtype=str) if index_file.is_file() else pd.DataFrame(columns=["id", "batch"])
    )
    rows = []
    for year in years:
        path = WRITTEN_DIR / f"w{year}.jsonl"
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                item = json.loads(line)
                rows.append({"id": f"w{year}-{k:04d}", "headline": item["headline"], "body": item["body"]})
    items = pd.DataFrame(rows)
    items = items[~items["id"].isin(done["id"])].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    batch = f"b{done['batch'].nunique() if len(done) else 0:02d}"
    with open(out_dir / f"{batch}.jsonl", "w", encoding="utf-8") as fh:
        for n, row in enumerate(items.itertuples(), start=1):
            fh.write(json.dumps({"n": n, "id": row.id, "text": label_view(row.headline, row.body)}) + "\n")
    pd.concat([done, items[["id"]].assign(batch=batch)]).to_csv(index_file, index=False)
    print(f"{batch}: {len(items)} items from {', '.join(years)}")


if __name__ == "__main__":
    main(sys.argv[1:])
