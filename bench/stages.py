"""Where the scoring time goes: each stage of `score_frame` timed alone, one core, no profiler.

A profiler inflates pure-Python code several times over, which misplaces the cost; this
times each stage with a clock instead, best of `--repeat` passes over the same chunks, and
prints it in microseconds per article and as a share of `score_frame` (the stages of one
article, measured in the same run). Reading is the shipped reader on the 2025 pool
(Parquet); `python -m bench.bulk` measures the JSONL.gz floor and the end-to-end rates.

Run from the repository root: `.venv/bin/python -m bench.stages [--n 20000] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import build_info, git_state, machine_info
from classifier.archive import read_chunks
from classifier.articles import to_columns
from classifier.model import clean_columns, load_model
from classifier.scoring import score_frame
from classifier.where import load_where

POOL = Path(__file__).resolve().parents[2] / "shared" / "data" / "pool-2025.parquet"
OUT = Path(__file__).resolve().parent / "out" / "stages.json"
TEXT = ["headline", "body"]


def best(fn: Callable[[], object], repeat: int) -> float:
    """Fastest wall-clock seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles (at most the pool's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pool", type=Path, default=POOL)
    args = parser.parse_args()

    model, where = load_model(), load_where()
    gc.freeze()
    chunk_size = 2_000
    n_chunks = max(1, args.n // chunk_size)

    def read() -> list:
        return list(itertools.islice(read_chunks(args.pool, chunk_size=chunk_size), n_chunks))

    chunks = read()
    frames = [c.frame for c in chunks]
    n = sum(len(f) for f in frames)
    features, linear = model.pipeline_.named_steps["features"], model.pipeline_.named_steps["clf"]
    columns = [to_columns(f[TEXT]) for f in frames]
    model.share_scanner(where.matcher_)  # as every door that loads both
    readings = [model.read(c) for c in columns]  # what the extractor is handed: texts, scans, proba
    cleaned = [r.cleaned for r in readings]
    matrices = [r.features for r in readings]
    probas = [model.word_proba_from(r.features, r.proba) for r in readings]
    scored = [score_frame(model, f, where=where) for f in frames]
    scratch = tempfile.TemporaryDirectory(prefix="regstance-stages-")
    out_dir = Path(scratch.name)

    def write() -> None:
        for i, frame in enumerate(scored):
            keep = [c for c in frame.columns if c not in ("headline", "body")]
            pq.write_table(pa.Table.from_pandas(frame[keep], preserve_index=False), out_dir / f"{i}.parquet")

    stages = {
        "read + parse (Parquet pool)": read,
        "articles to columns": lambda: [to_columns(f[TEXT]) for f in frames],
        "cleaning": lambda: [clean_columns(f[TEXT]) for f in frames],
        "tokenise + TF-IDF + actor indicators' scan": lambda: [features.transform(c) for c in cleaned],
        "logistic regression": lambda: [linear.predict_proba(m) for m in matrices],
        "jurisdiction extractor (reading the indicators' scans)": lambda: [
            where.places_of(*r.cleaned, stance_proba=p, scans=r.scans)
            for r, p in zip(readings, probas, strict=True)
        ],
        "to Arrow + write Parquet": write,
        "score_frame (all of the above but reading and writing)": lambda: [
            score_frame(model, f, where=where) for f in frames
        ],
    }
    with scratch:
        seconds = {name: best(fn, args.repeat) for name, fn in stages.items()}
    total = seconds["score_frame (all of the above but reading and writing)"]
    print(f"{n:,} articles of {args.pool.name}, one core, best of {args.repeat}; {build_info()}")
    print(f"{'stage':<56} {'us/article':>10} {'x score_frame':>14}")
    rows = []
    for name, s in seconds.items():
        per = s / n * 1e6
        print(f"{name:<56} {per:>10.1f} {s / total:>14.3f}")
        rows.append(
            {"stage": name, "seconds": round(s, 4), "us_per_article": round(per, 2), "share": s / total}
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "stages",
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "git": git_state(),
                "machine": machine_info(),
                "articles": n,
                "model_version": model.version,
                "where_version": where.metadata_.get("version"),
                "stages": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
