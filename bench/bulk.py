"""Bulk scoring throughput and peak memory of `regstance score` on a large JSONL.gz archive.

The jurisdiction extractor's cost is measured the same way: each local run is repeated
with `--no-where` in the same run, interleaved (without-with, with-without, ...), and its
time is reported as a ratio (with / without, the best of each side; the issue allows at
most +15 %), with each pair's ratio beside it: on a shared machine they spread by several
points.

Every rate is also printed as a ratio to the floor measured in the same run: reading and
parsing the same archive with `classifier.archive.read_chunks` (the real reader: gzip,
json.loads per line, normalise, one frame per chunk) and nothing else. Each run is a
subprocess whose process tree's RSS is sampled every 0.1 s, so --jobs 2 and Dask workers
count. Targets are printed, never asserted.

Run from the repository root: `.venv/bin/python -m bench.bulk [--n 100000] [--quick] [--flat-check]`.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pyarrow.parquet as pq

from bench.common import build_info, machine_info

REPO = Path(__file__).resolve().parents[1]
POOL = REPO.parent / "shared" / "data" / "pool-2025.parquet"
WORKDIR = Path("/tmp/regstance-bench")
OUT = REPO / "bench" / "out" / "bulk.json"
FIELDS = ["id", "published", "outlet", "url", "headline", "body"]
TARGET_RATE = 6_000  # full articles/s end to end with --jobs 2 (model v2's issue; v0.1's was 3,000)
TARGET_FLOOR_RATIO = 0.24  # ... and as a share of the read floor measured in the same run
FLAT_TOLERANCE = 1.2  # peak RSS at 4x the articles within this factor counts as flat
WHERE_BUDGET = 0.15  # the jurisdiction extractor may add at most this share to scoring time
WHERE_REPEATS = 5  # with/without pairs per job count, interleaved; the best of each side counts
SUMMARY = re.compile(r"scored ([\d,]+) articles, rejected ([\d,]+) .*? in ([\d.]+) s \(([\d,]+) records/s")


@dataclass
class Run:
    """One measured subprocess: how fast, how much memory, how contended."""

    name: str
    articles: int
    wall_s: float
    articles_per_s: float
    ratio_to_floor: float | None
    peak_rss_tree_mb: float
    peak_rss_process_mb: float
    peak_processes: int
    cpu_s: float
    other_cpu_pct: float
    tool_seconds: float | None = None  # what `regstance score` itself reports (after imports)
    tool_rate: float | None = None
    exit_code: int = 0


# ---------------------------------------------------------------- archive


def build_archive(n: int, workdir: Path, pool: Path) -> tuple[Path, bool]:
    """n full articles as JSONL.gz, reused when already built (the name carries n).

    The pool has ~30k articles, so rows repeat with a new id (`<id>-r<k>`): scoring cost
    does not depend on uniqueness, and the ids stay distinct as a real archive's would.
    """
    path = workdir / f"articles-{n}.jsonl.gz"
    if path.is_file():
        return path, True
    workdir.mkdir(parents=True, exist_ok=True)
    rows = pq.read_table(pool, columns=FIELDS).to_pylist()
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as fh:
        for i in range(n):
            row = dict(rows[i % len(rows)])
            if i >= len(rows):
                row["id"] = f"{row['id']}-r{i // len(rows)}"
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)  # a half-written archive is never reused
    return path, False


# ---------------------------------------------------------------- measuring


class RssSampler(threading.Thread):
    """Peak RSS of a process and all its descendants, sampled every `interval` seconds.

    The tree sum counts pages shared after fork once per process: an upper bound.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_tree = self.peak_one = 0
        self.peak_procs = 0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = []
            for p in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss.append(p.memory_info().rss)
            if rss:
                self.peak_tree = max(self.peak_tree, sum(rss))
                self.peak_one = max(self.peak_one, max(rss))
                self.peak_procs = max(self.peak_procs, len(rss))
            self.done.wait(self.interval)


def machine_busy_seconds() -> float:
    """All cores' non-idle CPU time, to tell how much other work shared the machine."""
    t = psutil.cpu_times()
    return (
        sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    )


def children_cpu_seconds() -> float:
    """CPU of all finished descendants (workers are waited for by their parents)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(name: str, cmd: list[str], articles: int) -> tuple[Run, str, str]:
    """Run `cmd` to completion, sampling its tree's RSS; the wall clock includes start-up."""
    cpu0, busy0 = children_cpu_seconds(), machine_busy_seconds()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    try:
        stdout, stderr = proc.communicate()
    finally:
        sampler.done.set()
        sampler.join()
        if proc.poll() is None:
            proc.kill()
    wall = time.perf_counter() - start
    cpu, busy = children_cpu_seconds() - cpu0, machine_busy_seconds() - busy0
    run = Run(
        name=name,
        articles=articles,
        wall_s=round(wall, 2),
        articles_per_s=round(articles / wall, 1),
        ratio_to_floor=None,
        peak_rss_tree_mb=round(sampler.peak_tree / 2**20, 1),
        peak_rss_process_mb=round(sampler.peak_one / 2**20, 1),
        peak_processes=sampler.peak_procs,
        cpu_s=round(cpu, 1),
        other_cpu_pct=round(100 * max(0.0, busy - cpu) / wall, 1),
        exit_code=proc.returncode,
    )
    return run, stdout, stderr


# ---------------------------------------------------------------- the floor


def floor_in_process(path: Path, raw: bool) -> dict:
    """Time reading + parsing only (no model); runs inside the measured subprocess.

    The import comes before the clock starts: importing `classifier` pulls in pandas and
    scikit-learn, which is start-up, not reading.
    """
    from classifier.archive import read_chunks

    start = time.perf_counter()
    count = rejected = 0
    if raw:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                json.loads(line)
                count += 1
    else:
        for chunk in read_chunks(path):
            count += len(chunk.frame)
            rejected += len(chunk.rejects)
    return {"articles": count, "rejected": rejected, "seconds": time.perf_counter() - start}


def run_floor(archive: Path, n: int, raw: bool) -> Run:
    """The floor as a subprocess like the rest, rated by its own timed loop (no start-up)."""
    name = "floor: gzip + json.loads" if raw else "floor: read_chunks"
    cmd = [sys.executable, "-m", "bench.bulk", "--floor-of", str(archive)] + (["--raw"] if raw else [])
    run, stdout, stderr = measure(name, cmd, n)
    if run.exit_code != 0:
        raise RuntimeError(f"{name} failed:\n{stderr[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["articles"] != n:
        raise RuntimeError(f"{name} read {result['articles']:,} articles, expected {n:,}")
    run.tool_seconds = round(result["seconds"], 2)
    run.tool_rate = run.articles_per_s = round(n / result["seconds"], 1)  # the floor is the loop alone
    return run


# ---------------------------------------------------------------- scoring runs


def regstance_exe() -> str:
    """The venv's `regstance` script, next to the running interpreter."""
    exe = Path(sys.executable).parent / "regstance"
    return str(exe) if exe.exists() else "regstance"


def run_score(archive: Path, n: int, workdir: Path, jobs: int, engine: str, where: bool = True) -> Run:
    """`regstance score` end to end; checks that every article came out scored."""
    name = f"score --engine {engine} --jobs {jobs}" + ("" if where else " --no-where")
    output = workdir / f"scored-{engine}-j{jobs}-{n}{'' if where else '-nowhere'}.parquet"
    cmd = [regstance_exe(), "score", str(archive), "-o", str(output), "--jobs", str(jobs), "--engine", engine]
    if not where:
        cmd.append("--no-where")
    try:
        run, _, stderr = measure(name, cmd, n)
        if run.exit_code != 0:
            raise RuntimeError(f"{name} exited {run.exit_code}:\n{stderr[-2000:]}")
        rows = pq.ParquetFile(output).metadata.num_rows
        if rows != n:
            raise RuntimeError(f"{name} wrote {rows:,} rows, expected {n:,}")
    finally:
        output.unlink(missing_ok=True)
    if m := SUMMARY.search(stderr):
        run.tool_seconds = float(m.group(3))
        run.tool_rate = float(m.group(4).replace(",", ""))
    return run


# ---------------------------------------------------------------- report


HEADER = (
    f"{'run':<36} {'articles':>9} {'wall s':>8} {'art/s':>8} {'x floor':>8} "
    f"{'tool art/s':>10} {'RSS tree':>9} {'RSS max1':>9} {'procs':>5} {'oth%':>5}"
)


def print_run(r: Run) -> None:
    """One line per run, as it finishes."""
    ratio = f"{r.ratio_to_floor:.3f}" if r.ratio_to_floor is not None else "-"
    tool = f"{r.tool_rate:,.0f}" if r.tool_rate else "-"
    print(
        f"{r.name:<36} {r.articles:>9,} {r.wall_s:>8.1f} {r.articles_per_s:>8,.0f} {ratio:>8} "
        f"{tool:>10} {r.peak_rss_tree_mb:>9,.0f} {r.peak_rss_process_mb:>9,.0f} {r.peak_processes:>5} "
        f"{r.other_cpu_pct:>5.0f}",
        flush=True,
    )


def _where_times(runs: list[Run], jobs: int) -> tuple[list[float], list[float]]:
    """Scoring seconds of the runs with the extractor and of those without it, in run order."""
    name = f"score --engine local --jobs {jobs}"
    with_ = [r.tool_seconds or r.wall_s for r in runs if r.name == name]
    without = [r.tool_seconds or r.wall_s for r in runs if r.name == f"{name} --no-where"]
    return with_, without


def where_cost(runs: list[Run], jobs: int) -> float | None:
    """Scoring time with the extractor over time without it, best wall clock of each (same run)."""
    with_, without = _where_times(runs, jobs)
    if not with_ or not without:
        return None
    return round(min(with_) / min(without), 3)


def where_pairs(runs: list[Run], jobs: int) -> list[float]:
    """With / without of each interleaved pair, in order: how far apart the same comparison
    lands within one run of the benchmark (the machine's noise, beside the extractor's cost)."""
    with_, without = _where_times(runs, jobs)
    return [round(w / wo, 3) for w, wo in zip(with_, without, strict=False)]


def checks(runs: list[Run], flat: tuple[Run, Run] | None) -> list[dict]:
    """The issue's throughput target per 2-core run, and RSS flatness when measured."""
    scored = [r for r in runs if "--jobs 2" in r.name and "(" not in r.name and "--no-where" not in r.name]
    out = [
        {
            "check": f">= {TARGET_RATE:,} full articles/s end to end on 2 cores",
            "run": r.name,
            "value": r.articles_per_s,
            "met": r.articles_per_s >= TARGET_RATE,
        }
        for r in scored
    ]
    out += [
        {
            "check": f">= {TARGET_FLOOR_RATIO}x the read floor of the same run",
            "run": r.name,
            "value": r.ratio_to_floor,
            "met": r.ratio_to_floor is not None and r.ratio_to_floor >= TARGET_FLOOR_RATIO,
        }
        for r in scored
    ]
    for jobs in (1, 2):
        cost = where_cost(runs, jobs)
        if cost is not None:
            out.append(
                {
                    "check": f"jurisdiction extractor costs at most +{WHERE_BUDGET:.0%} (time with / without)",
                    "run": f"score --engine local --jobs {jobs}",
                    "value": cost,
                    "pairs": where_pairs(runs, jobs),
                    "met": cost <= 1 + WHERE_BUDGET,
                }
            )
    if flat:
        small, big = flat
        ratio = big.peak_rss_tree_mb / small.peak_rss_tree_mb if small.peak_rss_tree_mb else float("inf")
        out.append(
            {
                "check": f"peak RSS flat: {big.articles:,} vs {small.articles:,} articles within {FLAT_TOLERANCE}x",
                "run": "score --engine local --jobs 2",
                "value": round(ratio, 3),
                "met": ratio <= FLAT_TOLERANCE,
            }
        )
    return out


def write_json(args: argparse.Namespace, runs: list[Run], found: list[dict], archives: dict) -> None:
    """Everything needed to compare runs later: results, checks and where they ran."""
    payload = {
        "benchmark": "bulk",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "floor": "read_chunks over the same archive, no model (rate from its own timed loop)",
        "rss_note": "tree RSS sums every process; pages shared after fork count once per process",
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "archives": archives,
        "runs": [asdict(r) for r in runs],
        "checks": found,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="Articles in the archive.")
    parser.add_argument("--quick", action="store_true", help="Smoke run: 10,000 articles, no Dask.")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--flat-check", action="store_true", help="Also --jobs 2 on --flat-n articles.")
    parser.add_argument("--flat-n", type=int, default=400_000)
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="Archives and outputs (not the repo).")
    parser.add_argument("--pool", type=Path, default=POOL)
    parser.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)  # internal: the floor subprocess
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.floor_of:
        print(json.dumps(floor_in_process(args.floor_of, args.raw)))
        return
    if args.quick:
        args.n, args.skip_dask = 10_000, True
    workdir = args.workdir.resolve()
    if workdir.is_relative_to(REPO):
        parser.error(f"--workdir must be outside the repository ({REPO}): archives are hundreds of MB")

    archives: dict[str, dict] = {}
    archive = prepare(args.n, workdir, args.pool, archives)
    print(
        f"load average {os.getloadavg()[0]:.2f} on {psutil.cpu_count()} CPUs; others' work shows as oth%; "
        f"{build_info()}"
    )
    print(HEADER + "   (RSS in MB; oth%: other work on the machine, 100 = one core)")

    floor = run_floor(archive, args.n, raw=False)
    runs: list[Run] = []

    def record(run: Run) -> None:
        run.ratio_to_floor = round(run.articles_per_s / floor.articles_per_s, 3)
        runs.append(run)
        print_run(run)

    record(floor)
    record(run_floor(archive, args.n, raw=True))
    for jobs in (1, 2):  # with and without the extractor, interleaved so load drifts hit both:
        for i in range(WHERE_REPEATS):  # without-with, then with-without, ... (a drift cancels out)
            for where in (False, True) if i % 2 == 0 else (True, False):
                record(run_score(archive, args.n, workdir, jobs, "local", where=where))
    if not args.skip_dask:
        record(run_score(archive, args.n, workdir, 2, "dask"))

    flat = None
    if args.flat_check:
        big_archive = prepare(args.flat_n, workdir, args.pool, archives)
        big = run_score(big_archive, args.flat_n, workdir, 2, "local")
        big.name += f" ({args.flat_n:,})"
        record(big)
        small = max(
            (r for r in runs if r.name == "score --engine local --jobs 2"), key=lambda r: r.articles_per_s
        )
        flat = (small, big)
    found = checks(runs, flat)
    report(runs, found)
    write_json(args, runs, found, archives)
    print(f"\nwrote {OUT}")


def prepare(n: int, workdir: Path, pool: Path, archives: dict) -> Path:
    """Build (or reuse) the n-article archive and note it for the JSON."""
    start = time.perf_counter()
    path, reused = build_archive(n, workdir, pool)
    took = time.perf_counter() - start
    size = path.stat().st_size / 2**20
    verb = "reused" if reused else f"built in {took:.0f} s"
    print(f"archive {path} ({n:,} articles, {size:,.0f} MB gzipped) {verb}", flush=True)
    archives[str(n)] = {"path": str(path), "mb": round(size, 1), "reused": reused}
    return path


def report(runs: list[Run], found: list[dict]) -> None:
    """Ratios to the floor (end-to-end rate over read_chunks' rate) and the printed targets."""
    print("\nend-to-end articles/s as a ratio to the floor (read_chunks alone, same archive, same run):")
    for r in runs[1:]:
        print(f"  {r.name:<36} {r.ratio_to_floor:>6.3f} x floor  ({r.articles_per_s:,.0f} articles/s)")
    for jobs in (1, 2):
        cost = where_cost(runs, jobs)
        if cost is not None:
            pairs = ", ".join(f"{x:.3f}" for x in where_pairs(runs, jobs))
            print(
                f"  jurisdiction extractor, --jobs {jobs}: {cost:.3f} x the time without it ({cost - 1:+.1%}; "
                f"best of each side; pair by pair {pairs})"
            )
    print("\ntargets (printed, not asserted):")
    for c in found:
        verdict = "MET" if c["met"] else "MISSED"
        print(f"  [{verdict:>6}] {c['run']}: {c['check']}: {c['value']:,}")
    busiest = max(runs, key=lambda r: r.other_cpu_pct)
    if busiest.other_cpu_pct > 25:
        print(
            f"  warning: other work on the machine used up to {busiest.other_cpu_pct:.0f}% CPU "
            f"({busiest.name}): absolute numbers are contended"
        )


if __name__ == "__main__":
    main()
