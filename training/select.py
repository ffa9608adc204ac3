"""Choose which pool rows humans (helper sessions) read and label, and cut them into batches.

Keyword patterns here only choose *what to read*, so that rare classes are
read often enough; every label comes from reading the article against
`training/ANNOTATION.md`. A random slice of ordinary news is read too, so that
neutral is not only near-misses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from training.pools import assign_story_ids, read_pools

AUTHORITY = re.compile(
    r"\b(?:sec|cftc|regulat\w*|government|minist\w+|parliament|senat\w+|congress\w*|lawmaker\w*|"
    r"bill|act|law\w*|court|judge|police|prosecut\w+|doj|fbi|irs|ofac|treasury|central bank|"
    r"cbdc|imf|fatf|tax\w*|ban\w*|legal tender|reserve|licen[cs]\w*|president|prime minister|"
    r"mica|esma|fca|mas|sfc|vara|authorit\w+|state|federal|crackdown|illegal|sanction\w*|"
    r"white house|trump|governor|official\w*|pboc|rbi|ecb|fed)\b"
)
RESTRICTIVE = re.compile(
    r"\b(?:ban\w*|crack\w*|arrest\w*|charg\w+|indict\w*|sue[sd]?|lawsuit\w*|fine[sd]?|penalt\w+|"
    r"seiz\w+|sanction\w*|shut\w*|freez\w+|froze\w*|illegal\w*|warn\w*|prohibit\w*|fraud\w*|"
    r"prosecut\w+|jail\w*|prison|sentenc\w+|raid\w*|revok\w+|reject\w*|block\w*|restrict\w*|"
    r"tighten\w*|probe\w*|investigat\w+|enforcement)\b"
)
ENABLING = re.compile(
    r"\b(?:legal tender|reserve\w*|approv\w+|licen[cs]\w*|framework|sign\w*|pass\w*|sandbox|pilot\w*|"
    r"cbdc|legali[sz]\w+|embrac\w+|adopt\w*|clarity|genius|charter\w*|green ?light\w*|"
    r"dismiss\w*|drop\w*|lift\w*|exempt\w*|register\w*|authori[sz]\w+|tokeni[sz]\w+|accept\w*)\b"
)

#: How many stories to read per pool and per selection stratum.
PLAN = {
    "2025": {"restrictive": 1300, "enabling": 1300, "authority": 1000, "random": 950},
    "2021-2022": {"restrictive": 600, "enabling": 600, "authority": 400, "random": 450},
    "2020": {"all": 10_000},
}
LABEL_VIEW_CHARS = 900


def one_row_per_story(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Keep one row of each story, chosen at random so that no outlet is favoured."""
    shuffled = rows.sample(frac=1.0, random_state=seed)
    return shuffled.drop_duplicates("story_id").sort_index()


def stratum(rows: pd.DataFrame) -> pd.Series:
    text = (rows["headline"] + " " + rows["body"].str.slice(0, 600)).str.lower()
    auth = text.str.contains(AUTHORITY) | rows["feed_categories"].str.contains("REGULATION")
    restr = auth & rows["headline"].str.lower().str.contains(RESTRICTIVE)
    enab = auth & rows["headline"].str.lower().str.contains(ENABLING)
    out = pd.Series("random", index=rows.index)
    out[auth] = "authority"
    out[enab] = "enabling"
    out[restr] = "restrictive"
    return out


def choose(stories: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Draw the stories to read, pool by pool and stratum by stratum.

    Within a pool, outlets are weighted by 1/sqrt(size) so that one prolific
    outlet does not fill the corpus.
    """
    rng = np.random.default_rng(seed)
    picked = []
    for pool, plan in PLAN.items():
        rows = stories[stories["pool"] == pool]
        rows = rows[(rows["headline"].str.len() + rows["body"].str.len()) >= 20]
        weights = 1.0 / np.sqrt(rows["outlet"].map(rows["outlet"].value_counts()).to_numpy())
        strata = stratum(rows)
        taken = pd.Series(False, index=rows.index)
        for name, n in plan.items():
            mask = ~taken if name in ("all", "random") else (strata == name) & ~taken
            pool_rows = rows[mask]
            n = min(n, len(pool_rows))
            w = weights[mask.to_numpy()]
            idx = rng.choice(len(pool_rows), size=n, replace=False, p=w / w.sum())
            chosen = pool_rows.iloc[idx].assign(selected_as=name)
            taken[chosen.index] = True
            picked.append(chosen)
    return pd.concat(picked)


def label_view(headline: str, body: str) -> str:
    body = re.sub(r"\s+", " ", body).strip()
    if len(body) > LABEL_VIEW_CHARS:
        body = body[:LABEL_VIEW_CHARS].rsplit(" ", 1)[0] + " …[truncated]"
    return f"{headline.strip()}\n{body}"


def write_batch_files(frame: pd.DataFrame, out_dir: Path) -> None:
    """One `<batch>.jsonl` per batch: what an annotator reads, numbered from 1."""
    for batch, rows in frame.groupby("batch"):
        with open(out_dir / f"{batch}.jsonl", "w", encoding="utf-8") as fh:
            for n, row in enumerate(rows.itertuples(), start=1):
                item = {"n": n, "id": row.id, "text": label_view(row.headline, row.body)}
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def write_batches(
    chosen: pd.DataFrame, out_dir: Path, *, n_primary: int, double_share: float, seed: int
) -> None:
    """Primary batches cover every chosen story; double batches re-draw a share of them.

    A double batch mixes stories from all primary batches, so its annotator
    sees neither the first label nor any one primary batch.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    order = chosen.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    order["batch"] = [f"p{i % n_primary:02d}" for i in range(len(order))]
    n_double = round(double_share * len(order))
    double = order.sample(n=n_double, random_state=seed + 1).reset_index(drop=True)
    double["batch"] = [f"d{i % 2:02d}" for i in range(len(double))]
    write_batch_files(pd.concat([order, double]), out_dir)
    order[["id", "story_id", "pool", "outlet", "selected_as", "batch"]].to_csv(
        out_dir / "selection.csv", index=False
    )


def main(out_dir: Path = Path("/work/labelling/batches"), seed: int = 20251) -> None:
    rows = read_pools()
    rows["story_id"] = assign_story_ids(rows).to_numpy()
    stories = one_row_per_story(rows, seed)
    chosen = choose(stories, seed)
    print(chosen.groupby(["pool", "selected_as"]).size().to_string())
    print("outlets:", chosen["outlet"].nunique(), "stories:", len(chosen))
    write_batches(chosen, out_dir, n_primary=12, double_share=0.10, seed=seed)


if __name__ == "__main__":
    main()
