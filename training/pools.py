"""Read the raw, unlabelled news pools and group near-duplicate rows into stories.

The pools repeat one story under several urls and reworded headlines. Every
later step (selection, splitting) works on `story_id`, so that no story can
sit in two splits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POOL_FILES = {
    "2025": "pool-2025.parquet",
    "2021-2022": "pool-2021-2022.parquet",
    "2020": "pool-2020.parquet",
}
#: Cosine similarity of headline + lede above which two rows are one story.
SAME_STORY_COSINE = 0.6

_NON_WORD = re.compile(r"[^a-z0-9]+")


def canonical_outlet(name: str) -> str:
    """One spelling per outlet: the pools write 'Cointelegraph' and 'cointelegraph'."""
    key = name.strip().lower()
    key = re.sub(r"_crypto_$", "", key)
    key = re.sub(r"\.co$", "", key)
    return {"newsbtc": "newsbtc", "crypto_news": "crypto news"}.get(key, key)


def normalise_headline(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def read_pools(data_dir: Path = SHARED_DATA) -> pd.DataFrame:
    """All pools as one frame, with the pool name and a canonical outlet."""
    frames = []
    for pool, name in POOL_FILES.items():
        frame = pd.read_parquet(data_dir / name)
        frame["pool"] = pool
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    rows["headline"] = rows["headline"].fillna("").astype(str)
    rows["body"] = rows["body"].fillna("").astype(str)
    rows["outlet"] = rows["outlet"].fillna("").astype(str).map(canonical_outlet)
    rows = rows.drop_duplicates("id").reset_index(drop=True)
    return rows


def assign_story_ids(rows: pd.DataFrame, threshold: float = SAME_STORY_COSINE) -> pd.Series:
    """Cluster rows into stories: same normalised headline, or near-identical headline + lede.

    Returns a `story_id` per row: the smallest row `id` in its cluster, so the
    id is stable whichever row of the story is kept.
    """
    keys = rows["headline"].map(normalise_headline)
    lede = (rows["headline"] + " " + rows["body"].str.slice(0, 300)).str.lower()
    vectors = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.3).fit_transform(lede)

    n = len(rows)
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    for start in range(0, n, 2_000):
        sims = vectors[start : start + 2_000] @ vectors.T
        sims.data[sims.data < threshold] = 0
        sims.eliminate_zeros()
        coo = sims.tocoo()
        src.append(coo.row + start)
        dst.append(coo.col)
    # rows whose headline normalises to the same non-trivial key are one story too
    codes = pd.factorize(keys.where(keys.str.len() >= 20, other=pd.Series(rows.index.astype(str))))[0]
    first_of_code = pd.Series(np.arange(n)).groupby(codes).transform("min").to_numpy()
    src.append(np.arange(n))
    dst.append(first_of_code)

    from scipy.sparse import coo_matrix

    graph = coo_matrix(
        (np.ones(sum(len(s) for s in src)), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)
    )
    _, component = connected_components(graph, directed=False)
    return rows["id"].groupby(component).transform("min").rename("story_id")
