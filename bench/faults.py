"""Fault injection at scale: hundreds of archive files, random faults, random kill -9, rows lost.

Builds --files archive files (JSONL, JSONL.gz, CSV.gz, Parquet with several row groups) of
real corpus articles, gives about --fault-rate of them one random fault (a gzip stream cut
short, a bad CRC, garbage after the stream, a plain file named .gz, Parquet named .jsonl, a
Parquet footer cut off, a damaged row group, an error page or a zstd file or nothing under a
.jsonl.gz name, a plain JSONL cut mid-line) and lets a few files repeat ids of earlier ones
(a re-crawl). Which records must survive is worked out here, without classifier/: zlib over
the cut bytes, the Parquet metadata, json.loads of the lines.

Then `regstance score` over all of them, twice:

1. uninterrupted: the reference;
2. killed with SIGKILL (the whole process group, as a crash would) at random moments and
   resumed with --resume (with --jobs drawn at random each time) until it finishes; kills
   stop after --seconds, so the bench takes about two uninterrupted runs plus --seconds.

Printed for each: rows lost (records that had to survive and are missing: must be 0), rows
extra, whether every fault was reported for its file, and for the killed run whether the
output and the rejects are byte-identical to the reference. Exit code 1 if rows were lost or
the runs differ. WARC is left out (covered by tests/test_faults.py): whether trafilatura finds
an article in a page is not a fault, and it would blur the count.

Run from the repository root: `.venv/bin/python -m bench.faults [--files 300] [--seconds 120]`.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import git_state, machine_info

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "training" / "data" / "corpus.parquet"
WORKDIR = Path("/tmp/regstance-faults")
OUT = REPO / "bench" / "out" / "faults.json"
FIELDS = ["id", "published", "outlet", "url", "headline", "body"]
# fault kind -> the format it is made on, and whether it is a fault (True) or a warning (False)
FAULTS = {
    "gzip cut short": ("jsonl.gz", True),
    "csv.gz cut short": ("csv.gz", True),
    "gzip CRC corrupt": ("jsonl.gz", True),
    "garbage after gzip": ("jsonl.gz", True),
    "plain JSONL named .gz": ("jsonl.gz", False),
    "Parquet named .jsonl": ("jsonl", False),
    "Parquet footer cut off": ("parquet", True),
    "Parquet row group damaged": ("parquet", True),
    "error page named .jsonl.gz": ("jsonl.gz", True),
    "zstd named .jsonl.gz": ("jsonl.gz", True),
    "empty .jsonl.gz": ("jsonl.gz", True),
    "JSONL cut mid-line": ("jsonl", False),  # the cut line is a bad record, not a file fault
}
FORMATS = ["jsonl", "jsonl.gz", "csv.gz", "parquet"]


@dataclass
class Made:
    """One input file: its name, the fault it got, and the ids that must come out of it."""

    name: str
    fault: str | None
    ids: list[str]
    reported_as: str | None = None  # "fault" or "warning": the reject kind the file must get


@dataclass
class Outcome:
    """One finished `regstance score` over the set."""

    name: str
    wall_s: float
    exit_code: int
    starts: int
    kills: int
    rows_lost: int
    rows_extra: int
    faults_reported: str
    identical_output: bool | None = None
    identical_rejects: bool | None = None
    kill_moments_s: list[float] = field(default_factory=list)


# ---------------------------------------------------------------- the archive set


def load_articles() -> list[dict]:
    frame = pd.read_parquet(CORPUS, columns=FIELDS)
    frame = frame[frame["headline"].fillna("").str.strip().str.len() > 0].copy()
    frame["published"] = frame["published"].astype(str)
    for column in ("headline", "body"):  # one line per CSV row, so cut CSV can be counted by lines
        frame[column] = frame[column].fillna("").str.replace(r"[\r\n]+", " ", regex=True)
    return frame.to_dict("records")


def jsonl(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def whole_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def gunzip_prefix(data: bytes) -> bytes:
    """All a perfect reader can get from cut gzip bytes (zlib stops where the bytes do)."""
    try:
        return zlib.decompressobj(wbits=31).decompress(data)
    except zlib.error:
        return b""  # cut inside the header


def make_file(folder: Path, index: int, records: list[dict], fault: str | None, rng: random.Random) -> Made:
    """Write file `index` holding `records`, with `fault` applied; return what must survive."""
    ids = [r["id"] for r in records]
    fmt = FAULTS[fault][0] if fault else rng.choice(FORMATS)
    path = folder / f"{index:04d}.{fmt}"
    reported_as = ("fault" if FAULTS[fault][1] else "warning") if fault else None
    if fault == "JSONL cut mid-line":
        reported_as = None
    made = Made(path.name, fault, ids, reported_as)
    if fmt == "parquet" or fault == "Parquet named .jsonl":
        pq.write_table(pa.Table.from_pylist(records), path, row_group_size=max(1, len(records) // 4))
        if fault == "Parquet footer cut off":
            data = path.read_bytes()
            path.write_bytes(data[: rng.randrange(len(data) // 2, len(data) - 8)])
            made.ids = []
        elif fault == "Parquet row group damaged":
            meta = pq.ParquetFile(path).metadata
            group = rng.randrange(meta.num_row_groups)
            column = meta.row_group(group).column(0)
            start = column.dictionary_page_offset or column.data_page_offset
            data = bytearray(path.read_bytes())
            data[start : start + 16] = b"\xff" * 16
            path.write_bytes(bytes(data))
            before = sum(meta.row_group(g).num_rows for g in range(group))
            made.ids = ids[:before] + ids[before + meta.row_group(group).num_rows :]
        return made
    if fmt == "csv.gz":
        data = gzip.compress(pd.DataFrame(records, columns=FIELDS).to_csv(index=False).encode(), mtime=0)
        if fault:
            data = data[: rng.randrange(len(data))]
            made.ids = [line.split(b",", 1)[0].decode() for line in whole_lines(gunzip_prefix(data))[1:]]
        path.write_bytes(data)
        return made
    plain = jsonl(records)
    if fmt == "jsonl":
        if fault == "JSONL cut mid-line":
            plain = plain[: rng.randrange(len(plain))]
            made.ids = [json.loads(line)["id"] for line in whole_lines(plain)]
            tail = plain.rsplit(b"\n", 1)[-1]
            if tail and _parses(tail):
                made.ids.append(json.loads(tail)["id"])
        path.write_bytes(plain)
        return made
    data = gzip.compress(plain, mtime=0)
    if fault == "gzip cut short":
        data = data[: rng.randrange(len(data))]
        made.ids = [json.loads(line)["id"] for line in whole_lines(gunzip_prefix(data))]
    elif fault == "gzip CRC corrupt":
        data = bytearray(data)
        data[-8] ^= 0xFF
        data = bytes(data)
    elif fault == "garbage after gzip":
        data += rng.randbytes(rng.randrange(1, 64)).replace(b"\x1f\x8b", b"xx")
    elif fault == "plain JSONL named .gz":
        data = plain
    elif fault == "error page named .jsonl.gz":
        data, made.ids = b"<html><body><h1>503 Service Unavailable</h1></body></html>\n", []
    elif fault == "zstd named .jsonl.gz":
        data, made.ids = b"\x28\xb5\x2f\xfd" + rng.randbytes(200), []
    elif fault == "empty .jsonl.gz":
        data, made.ids = b"", []
    path.write_bytes(data)
    return made


def _parses(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def build_set(folder: Path, files: int, fault_rate: float, rng: random.Random) -> list[Made]:
    """The archive set: unique ids per file, a few files re-crawling an earlier file's articles."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    articles = load_articles()
    made: list[Made] = []
    for index in range(files):
        n = rng.randrange(20, 400)
        picks = rng.sample(articles, min(n, len(articles)))
        records = [{**r, "id": f"f{index}-{j}"} for j, r in enumerate(picks)]
        if made and rng.random() < 0.05:  # a re-crawl: some ids of an earlier file again
            earlier = rng.choice(made)
            for j, key in enumerate(earlier.ids[: rng.randrange(1, 10)]):
                records[j]["id"] = key
        fault = rng.choice(list(FAULTS)) if rng.random() < fault_rate else None
        made.append(make_file(folder, index, records, fault, rng))
    return made


# ---------------------------------------------------------------- runs


def regstance_exe() -> str:
    exe = Path(sys.executable).parent / "regstance"
    return str(exe) if exe.exists() else "regstance"


def command(inputs: list[Path], output: Path, jobs: int, chunk_size: int, resume: bool) -> list[str]:
    cmd = [regstance_exe(), "score", *map(str, inputs), "-o", str(output)]
    cmd += ["--jobs", str(jobs), "--chunk-size", str(chunk_size)]
    return cmd + (["--resume"] if resume else [])


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as fh:  # its own session: kill -9 reaches the workers too, as a crash would
        return subprocess.Popen(cmd, stdout=fh, stderr=fh, start_new_session=True)


def check(name: str, output: Path, made: list[Made], wall: float, code: int) -> Outcome:
    """Rows lost and extra against what had to survive; every fault reported for its own file."""
    want = collections.Counter(key for m in made for key in m.ids)
    ids = pq.read_table(output, columns=["id"]).column("id").to_pylist() if output.exists() else []
    got = collections.Counter(ids)
    rejects = output.with_name(output.name + ".rejects.jsonl")
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    if rejects.exists():
        for line in rejects.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if not r["reason"].startswith("duplicate id"):
                kinds[Path(r["file"]).name].add(r["kind"])
    expected = [m for m in made if m.reported_as]
    right = sum(1 for m in expected if m.reported_as in kinds.get(m.name, set()))
    stray = sum(1 for m in made if not m.reported_as and kinds.get(m.name, set()) & {"fault", "warning"})
    return Outcome(
        name=name,
        wall_s=round(wall, 1),
        exit_code=code,
        starts=1,
        kills=0,
        rows_lost=sum((want - got).values()),
        rows_extra=sum((got - want).values()),
        faults_reported=f"{right}/{len(expected)}" + (f" (+{stray} on files without one)" if stray else ""),
    )


def reference_run(inputs: list[Path], made: list[Made], workdir: Path, args: argparse.Namespace) -> Outcome:
    output = workdir / "reference.parquet"
    began = time.perf_counter()
    proc = start(command(inputs, output, args.jobs, args.chunk_size, resume=False), workdir / "reference.log")
    code = proc.wait()
    return check("uninterrupted", output, made, time.perf_counter() - began, code)


def killed_run(
    inputs: list[Path], made: list[Made], workdir: Path, args: argparse.Namespace, reference: Outcome,
    rng: random.Random,
) -> Outcome:  # fmt: skip
    """Kill -9 at random moments until --seconds are used, resuming each time; then let it finish."""
    output = workdir / "killed.parquet"
    log = workdir / "killed.log"
    began = time.perf_counter()
    starts, moments = 0, []
    while True:
        jobs = rng.choice([1, args.jobs]) if starts else args.jobs
        proc = start(command(inputs, output, jobs, args.chunk_size, resume=starts > 0), log)
        starts += 1
        if time.perf_counter() - began < args.seconds:
            # up to half an uninterrupted run: most starts die, at any stage (imports, reading,
            # scoring, writing parts, joining), and each one that lives long enough gets further
            delay = rng.uniform(0.2, max(1.0, reference.wall_s / 2))
            try:
                code = proc.wait(timeout=delay)
                break  # finished before the kill came
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                moments.append(round(delay, 2))
                continue
        code = proc.wait()
        break
    outcome = check("killed and resumed", output, made, time.perf_counter() - began, code)
    outcome.starts, outcome.kills, outcome.kill_moments_s = starts, len(moments), moments
    ref = workdir / "reference.parquet"
    outcome.identical_output = output.read_bytes() == ref.read_bytes()
    outcome.identical_rejects = _bytes(output) == _bytes(ref)
    return outcome


def _bytes(output: Path) -> bytes:
    rejects = output.with_name(output.name + ".rejects.jsonl")
    return rejects.read_bytes() if rejects.exists() else b""


# ---------------------------------------------------------------- report


def report(made: list[Made], outcomes: list[Outcome]) -> None:
    faults = collections.Counter(m.fault for m in made if m.fault)
    rows = sum(len(m.ids) for m in made)
    print(f"{len(made)} files, {sum(faults.values())} with a fault; {rows:,} rows must survive")
    for kind, n in sorted(faults.items()):
        print(f"  {n:>4}  {kind}")
    print(
        f"\n{'run':<20} {'wall s':>7} {'exit':>4} {'starts':>6} {'kills':>5} {'lost':>5} {'extra':>5}  faults reported"
    )
    for o in outcomes:
        print(
            f"{o.name:<20} {o.wall_s:>7.1f} {o.exit_code:>4} {o.starts:>6} {o.kills:>5} {o.rows_lost:>5} "
            f"{o.rows_extra:>5}  {o.faults_reported}"
        )
    killed = outcomes[-1]
    print(f"\nkill -9 after (s): {', '.join(f'{m:.1f}' for m in killed.kill_moments_s) or 'none'}")
    print(
        f"killed run against the uninterrupted one: output byte-identical {_yes(killed.identical_output)}, "
        f"rejects byte-identical {_yes(killed.identical_rejects)}"
    )
    print(f"rows lost: {max(o.rows_lost for o in outcomes)}")


def _yes(flag: bool | None) -> str:
    return "yes" if flag else "NO"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="Archive files to build.")
    parser.add_argument("--seconds", type=float, default=120, help="Stop killing after this long.")
    parser.add_argument("--fault-rate", type=float, default=0.3, help="Share of files given a fault.")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="Files and outputs (not the repo).")
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    if workdir.is_relative_to(REPO):
        parser.error(f"--workdir must be outside the repository ({REPO})")
    rng = random.Random(args.seed)
    made = build_set(workdir / "in", args.files, args.fault_rate, rng)
    inputs = [workdir / "in" / m.name for m in made]
    for name in ("reference", "killed"):
        for suffix in (".parquet", ".parquet.rejects.jsonl", ".log"):
            (workdir / f"{name}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(workdir / f"{name}.parquet.parts", ignore_errors=True)
    reference = reference_run(inputs, made, workdir, args)
    outcomes = [reference, killed_run(inputs, made, workdir, args, reference, rng)]
    report(made, outcomes)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "faults",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_state(),
        "machine": machine_info(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "faults": collections.Counter(m.fault for m in made if m.fault),
        "rows_must_survive": sum(len(m.ids) for m in made),
        "runs": [asdict(o) for o in outcomes],
    }
    OUT.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {OUT}")
    bad = any(o.rows_lost or o.rows_extra for o in outcomes) or not (
        outcomes[-1].identical_output and outcomes[-1].identical_rejects
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
