"""Score whole archives: in this process, in N local processes, or on a Dask cluster.

Every engine runs the same unit of work, `score_partition`: read one input
file, keep every K-th chunk of it (stride k of K), score each with
`score_frame`, and write each scored chunk as its own part file. The parts
live in `<output>.parts/` until all are done; then they are joined in input
order into a temporary file that is renamed onto the output. So:

- memory is bounded by the chunk size, whatever the archive's size;
- `--resume` after a crash skips chunks whose part is already written, and
  the joined output is byte-for-byte that of an uninterrupted run;
- the output appears whole or not at all;
- a damaged input is a fault in the rejects file, never a crash: the reader
  (classifier/archive.py) keeps what it read before the fault, and the fault is
  stored with its chunk, so a resumed run reports it again, in the same place;
- duplicate ids are found when the parts are joined, from each part's id column
  (a 64-bit hash per article in memory, 16 bytes an article at the peak), and
  reported with both positions.
"""

from __future__ import annotations

import functools
import gc
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.archive import FieldMap, Reject, read_chunks
from classifier.model import StanceModel, load_model
from classifier.scoring import SCORE_COLUMNS, score_frame
from classifier.where import WHERE_COLUMNS, JurisdictionExtractor, load_where

OUTPUT_COLUMNS = ["id", "published", "outlet", "url", *SCORE_COLUMNS, *WHERE_COLUMNS]
PLAN_FILE = "plan.json"
#: Parts also hold each row's line/row/offset in its input (for duplicate reports); a parts folder
#: written by an older layout is not resumed.
PARTS_FORMAT = 2
POSITION = "_position"
#: What to do with a record whose id was already written in this run.
ON_DUPLICATE = ("keep", "first", "error")
#: How many file faults and warnings the summary keeps for the terminal (all are in the file).
NOTICES_SHOWN = 20


class ResumeError(RuntimeError):
    """--resume was asked for, but the unfinished run differs from this one."""


class DuplicateIdError(RuntimeError):
    """--on-duplicate error, and some id occurs twice: nothing is written, the parts are kept."""


@dataclass(frozen=True)
class Partition:
    """Stride `stride` of `strides` over the chunks of input file number `file_index`."""

    file_index: int
    path: str
    stride: int
    strides: int


@dataclass
class Summary:
    scored: int = 0
    rejected: int = 0  # records that could not be scored
    faults: int = 0  # files that could not be read to their end, or at all
    warnings: int = 0  # findings that lost nothing (a name that lies about the format)
    duplicates: int = 0  # records whose id came earlier in the run
    output: str = ""
    rejects_file: str | None = None
    seconds: float = 0.0
    engine: str = "local"
    notices: list[Reject] = field(default_factory=list)  # the first file faults and warnings
    notices_left_out: int = 0  # file faults and warnings beyond NOTICES_SHOWN

    @property
    def rate(self) -> float:
        return (self.scored + self.rejected) / self.seconds if self.seconds else 0.0


@dataclass
class ScoreJob:
    """One `regstance score` run: what to read, how, and where to write."""

    inputs: list[Path]
    output: Path
    fields: FieldMap = field(default_factory=FieldMap)
    chunk_size: int = 2_000
    evidence: int = 0
    model_dir: Path | None = None
    #: add jurisdiction, jurisdiction_name and authority (the extractor in `where_dir`)
    where: bool = True
    where_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.output.suffix.lower() not in (".parquet", ".jsonl"):
            raise ValueError(f"output must end in .parquet or .jsonl, got {self.output.name!r}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")

    @property
    def parts_dir(self) -> Path:
        return self.output.with_name(self.output.name + ".parts")

    @property
    def rejects_file(self) -> Path:
        return self.output.with_name(self.output.name + ".rejects.jsonl")

    def plan(self, model_version: str, where_version: str | None = None) -> dict:
        """What must match for a resumed run to give the same output (as it reads back from JSON)."""
        plan = {
            "inputs": [
                {"path": str(p), "size": p.stat().st_size, "mtime": p.stat().st_mtime} for p in self.inputs
            ],
            "fields": asdict(self.fields),
            "chunk_size": self.chunk_size,
            "evidence": self.evidence,
            "model_version": model_version,
            "where_version": where_version,
            "output": str(self.output),
            "parts_format": PARTS_FORMAT,
        }
        return json.loads(json.dumps(plan))


def part_name(file_index: int, chunk_index: int) -> str:
    return f"f{file_index:05d}-c{chunk_index:07d}"


def _part_file_index(name: str) -> int:
    return int(name[1 : name.index("-")])


def _output_schema(evidence: int, where: bool = True) -> pa.Schema:
    types = {"float32": pa.float32(), "bool": pa.bool_()}
    schema = [(c, pa.string()) for c in ("id", "published", "outlet", "url")]
    schema += [(c, types.get(dtype, pa.string())) for c, dtype in SCORE_COLUMNS.items()]
    if where:
        schema += [(c, pa.string()) for c in WHERE_COLUMNS]
    if evidence:
        schema.append(("evidence", pa.list_(pa.string())))
    return pa.schema(schema)


def _part_schema(evidence: int, where: bool = True) -> pa.Schema:
    return _output_schema(evidence, where).append(pa.field(POSITION, pa.string()))


def score_partition(
    partition: Partition,
    job: ScoreJob,
    model: StanceModel | None = None,
    where: JurisdictionExtractor | None = None,
) -> tuple[int, int]:
    """Read, score and write this partition's chunks not already written. Returns (scored, rejected)."""
    model = model if model is not None else _loaded(load_model, job.model_dir)
    if job.where and where is None:
        where = _loaded(load_where, job.where_dir)
    if where is not None:
        model.share_scanner(where.matcher_)  # every engine's partitions pass here; at once if shared
    # the model's vocabularies never change: keep the cyclic GC from re-scanning them on every
    # full collection (~80 ms each; see classifier/api.py's lifespan)
    gc.freeze()
    schema = _part_schema(job.evidence, job.where)
    parts = job.parts_dir
    scored = rejected = 0

    # asked once per line by the reader: decide each chunk once (a stat per line cost ~20 us/article)
    @functools.cache
    def wanted(index: int) -> bool:
        return (
            index % partition.strides == partition.stride
            and not (parts / f"{part_name(partition.file_index, index)}.parquet").exists()
        )

    for chunk in read_chunks(
        Path(partition.path), fields=job.fields, chunk_size=job.chunk_size, wanted=wanted
    ):
        result = score_frame(model, chunk.frame, evidence=job.evidence, where=where if job.where else None)
        result[POSITION] = pd.Series(chunk.positions, index=result.index, dtype=object)
        table = pa.Table.from_pandas(result[schema.names], schema=schema, preserve_index=False)
        name = part_name(partition.file_index, chunk.index)
        _write_atomic(parts / f"{name}.rejects.jsonl", "".join(r.to_json() + "\n" for r in chunk.rejects))
        tmp = parts / f"{name}.parquet.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, parts / f"{name}.parquet")  # the part's presence marks the chunk done
        scored += len(result)
        rejected += len(chunk.rejects)
    return scored, rejected


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


#: (loader, folder) -> what it loaded: once per worker process (a cache, not shared state)
_LOADED: dict[tuple[Callable[..., Any], str], Any] = {}


def _loaded(loader: Callable[..., Any], directory: Path | None) -> Any:
    """`loader(directory)` (`load_model`, `load_where`), loaded once per worker process."""
    key = (loader, str(directory))
    if key not in _LOADED:
        _LOADED[key] = loader(directory)
    return _LOADED[key]


def prepare(job: ScoreJob, model_version: str, *, resume: bool, where_version: str | None = None) -> None:
    """Create the parts folder, or check that the unfinished run there is this one."""
    plan = job.plan(model_version, where_version)
    plan_file = job.parts_dir / PLAN_FILE
    if resume and plan_file.is_file():
        previous = json.loads(plan_file.read_text())
        if previous != plan:
            changed = sorted(k for k in plan if plan[k] != previous.get(k))
            raise ResumeError(
                f"cannot resume: {', '.join(changed)} differ from the unfinished run in {job.parts_dir}; "
                "run without --resume to start over"
            )
        return
    if job.parts_dir.exists():
        shutil.rmtree(job.parts_dir)
    job.parts_dir.mkdir(parents=True)
    _write_atomic(plan_file, json.dumps(plan, indent=2))


def partitions(job: ScoreJob, strides: int) -> list[Partition]:
    return [Partition(i, str(path), k, strides) for i, path in enumerate(job.inputs) for k in range(strides)]


def progress_count(parts_dir: Path) -> int:
    """Chunks finished so far (for the progress display)."""
    return sum(1 for _ in parts_dir.glob("*.parquet"))


def combine(job: ScoreJob, on_duplicate: str = "keep") -> Summary:
    """Join the parts in input order into the output and rejects files, atomically.

    The rejects file holds every part's rejects in part order, then one line per duplicate id.
    It is renamed into place before the output, so a new output never sits beside old rejects.
    """
    schema = _output_schema(job.evidence, job.where)
    names = sorted(p.name[: -len(".parquet")] for p in job.parts_dir.glob("*.parquet"))
    duplicates, drop = _find_duplicates(job, names, on_duplicate)
    summary = Summary(duplicates=len(duplicates), output=str(job.output))
    rejects_tmp = job.rejects_file.with_name(job.rejects_file.name + ".tmp")
    fault_files: set[str] = set()
    with open(rejects_tmp, "w", encoding="utf-8") as out:
        for name in names:
            text = (job.parts_dir / f"{name}.rejects.jsonl").read_text(encoding="utf-8")
            for line in text.splitlines():
                reject = Reject(**json.loads(line))
                if reject.kind == "record":
                    summary.rejected += 1
                    continue
                if reject.kind == "fault":
                    fault_files.add(reject.file)
                else:
                    summary.warnings += 1
                if len(summary.notices) < NOTICES_SHOWN:
                    summary.notices.append(reject)
                else:
                    summary.notices_left_out += 1
            out.write(text)
        for reject in duplicates:
            out.write(reject.to_json() + "\n")
    summary.faults = len(fault_files)
    if summary.rejected or summary.faults or summary.warnings or summary.duplicates:
        os.replace(rejects_tmp, job.rejects_file)
        summary.rejects_file = str(job.rejects_file)
    else:
        rejects_tmp.unlink()
        job.rejects_file.unlink(missing_ok=True)
    if duplicates and on_duplicate == "error":
        first = duplicates[0]
        raise DuplicateIdError(
            f"{len(duplicates):,} records repeat an id seen earlier in this run, the first {first.raw!r} "
            f"at {first.file} {first.position} ({first.reason.split('; ')[0]}); nothing written to "
            f"{job.output} (--on-duplicate error). Every one is listed in {job.rejects_file}. The scored "
            "chunks are kept: add --resume --on-duplicate keep (or first) to finish without scoring again"
        )
    summary.scored = _write_output(job, schema, names, drop)
    shutil.rmtree(job.parts_dir)
    return summary


def _read_part(job: ScoreJob, name: str, columns: list[str]) -> pa.Table:
    return pq.read_table(job.parts_dir / f"{name}.parquet", columns=columns)


def _find_duplicates(
    job: ScoreJob, names: list[str], on_duplicate: str
) -> tuple[list[Reject], dict[str, np.ndarray]]:
    """Every record whose id came earlier in the run (one reject each), and the rows to drop per part.

    First pass: a 64-bit hash of every id, sorted once (16 bytes an article at the peak). Only
    parts holding a hash seen twice are read again, with positions, and ids compared exactly there.
    """
    hashes = [
        pd.util.hash_array(
            _read_part(job, name, ["id"]).column("id").to_numpy(zero_copy_only=False).astype(object)
        )
        for name in names
    ]
    if not hashes:
        return [], {}
    ordered = np.sort(np.concatenate(hashes))
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(repeated):
        return [], {}
    first_at: dict[str, str] = {}
    found: list[Reject] = []
    drop: dict[str, list[int]] = {}
    action = {
        "keep": "both written (--on-duplicate keep)",
        "first": "this one not written (--on-duplicate first)",
        "error": "the run stops (--on-duplicate error)",
    }[on_duplicate]
    for name, part_hashes in zip(names, hashes, strict=True):
        rows = np.flatnonzero(np.isin(part_hashes, repeated))
        if not len(rows):
            continue
        table = _read_part(job, name, ["id", POSITION])
        ids, positions = table.column("id").to_pylist(), table.column(POSITION).to_pylist()
        file = str(job.inputs[_part_file_index(name)])
        for row in rows.tolist():
            here = f"{file} {positions[row]}"
            if ids[row] not in first_at:
                first_at[ids[row]] = here
                continue
            found.append(
                Reject(
                    file,
                    positions[row],
                    f"duplicate id: first at {first_at[ids[row]]}; {action}",
                    raw=ids[row],
                    kind="error" if on_duplicate == "error" else "warning",
                )
            )
            drop.setdefault(name, []).append(row)
    if on_duplicate != "first":
        drop = {}
    return found, {name: np.array(rows) for name, rows in drop.items()}


def _write_output(job: ScoreJob, schema: pa.Schema, names: list[str], drop: dict[str, np.ndarray]) -> int:
    """The parts in order into a temporary file, renamed onto the output; returns the rows written."""
    tmp = job.output.with_name(job.output.name + ".tmp")
    rows = 0
    with ExitStack() as stack:
        if job.output.suffix.lower() == ".parquet":
            writer = stack.enter_context(pq.ParquetWriter(tmp, schema))
        else:
            out = stack.enter_context(open(tmp, "w", encoding="utf-8"))
        for name in names:
            table = pq.read_table(job.parts_dir / f"{name}.parquet", columns=schema.names).cast(schema)
            if name in drop:
                keep = np.ones(table.num_rows, dtype=bool)
                keep[drop[name]] = False
                table = table.filter(pa.array(keep))
            rows += table.num_rows
            if job.output.suffix.lower() != ".parquet":
                out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in table.to_pylist())
            elif table.num_rows:
                writer.write_table(table)
    os.replace(tmp, job.output)
    return rows


def run(
    job: ScoreJob,
    *,
    jobs: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    on_duplicate: str = "keep",
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    """Score `job` with the chosen engine; see the module docstring for the guarantees."""
    if engine not in ("local", "dask"):
        raise ValueError(f"engine must be 'local' or 'dask', got {engine!r}")
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}, got {on_duplicate!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    start = time.perf_counter()
    model = load_model(job.model_dir)
    where = load_where(job.where_dir) if job.where else None
    prepare(
        job, model.version, resume=resume, where_version=where.metadata_.get("version") if where else None
    )
    if engine == "dask":
        _run_dask(job, model, where, scheduler, jobs, on_progress)
    elif jobs == 1:
        for partition in partitions(job, 1):
            score_partition(partition, job, model, where)
            if on_progress:
                on_progress(progress_count(job.parts_dir))
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_inheriting(job, model, where)) as pool:
            futures = [pool.submit(score_partition, p, job) for p in partitions(job, jobs)]
            _wait(futures, job, on_progress)
    summary = combine(job, on_duplicate)
    summary.seconds, summary.engine = time.perf_counter() - start, engine
    return summary


def _inheriting(job: ScoreJob, model: StanceModel, where: JurisdictionExtractor | None):
    """A start method whose workers inherit the model this process loaded and checked.

    On Linux, forked workers find it in the per-process caches and skip loading it again
    (~0.4 s each since the files are pickled for the C unpickler; it was ~1.2 s, a tenth of a
    100,000-article run with --jobs 2); elsewhere they load it.
    """
    if sys.platform != "linux":
        return None
    _LOADED[(load_model, str(job.model_dir))] = model
    if where is not None:
        _LOADED[(load_where, str(job.where_dir))] = where
    gc.freeze()  # the parent's objects stay out of the workers' collections (and their pages shared)
    return multiprocessing.get_context("fork")


def _wait(futures: list[Future], job: ScoreJob, on_progress: Callable[[int], None] | None) -> None:
    """Report progress until every future is done, then raise the first worker error, if any
    (local `concurrent.futures` and Dask futures alike)."""
    while not all(f.done() for f in futures):
        if on_progress:
            on_progress(progress_count(job.parts_dir))
        time.sleep(0.25)
    for f in futures:
        f.result()  # re-raise a worker's error here


def _run_dask(
    job: ScoreJob,
    model: StanceModel,
    where: JurisdictionExtractor | None,
    scheduler: str | None,
    jobs: int,
    on_progress: Callable[[int], None] | None,
) -> None:
    """The same partitions as local, as tasks on a Dask cluster (a LocalCluster without an address).

    Workers must see the inputs and the output folder (a shared filesystem).
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info()["workers"]))
        shared = client.scatter(model, broadcast=True)
        shared_where = client.scatter(where, broadcast=True) if where is not None else None
        futures = [
            client.submit(score_partition, p, job, shared, shared_where, pure=False)
            for p in partitions(job, n_workers)
        ]
        _wait(futures, job, on_progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
