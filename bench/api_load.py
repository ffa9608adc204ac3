"""Load-test a real `regstance serve` process over loopback, for 1 and 2 uvicorn workers.

Each scenario's throughput is printed as a ratio to GET /healthz at concurrency 16,
measured against the same server in the same run (the framework's floor), so the
numbers compare across machines. Targets are printed, never asserted.

The load generator runs on the same machine as the server and takes CPU from it:
on a 2-core box the absolute numbers are a lower bound on what the server can do.
Two clients: `wrk` (C, cheap; the default when it is on PATH) runs each scenario for
`--seconds` with a generated Lua script that cycles through a few hundred real articles
(bodies cut to 3,000 characters); `httpx` (asyncio, up to a core of client CPU) sends
`--requests` requests per scenario with the full articles. wrk is duration-based, so
its soak reports how many requests it did in how long, not exactly `--soak-requests`.

Run from the repository root:
`.venv/bin/python -m bench.api_load [--client wrk|httpx] [--seconds S] [--requests N] [--soak]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import psutil
import pyarrow.parquet as pq

from bench.common import machine_info

HOST = "127.0.0.1"  # loopback only: never load-test anything else
POOL = Path(__file__).resolve().parents[2] / "shared" / "data" / "pool-2025.parquet"
OUT = Path(__file__).resolve().parent / "out" / "api_load.json"
BATCH_SIZE = 64
P99_TARGET_MS = 25.0
WRK_ARTICLES = 300  # distinct articles in a wrk Lua script (keeps the script about 1 MB)
WRK_BODY_CHARS = 3_000  # article bodies are cut to this many characters for wrk
WRK_TIMEOUT_S = 10  # wrk counts a request slower than this as a timeout error
WRK_WARMUP_S = 1  # unmeasured wrk run before each scenario (opens every connection)
LOADAVG_AT_START = os.getloadavg()
CPU_NOTE = (
    "load generator shares the machine's {cpus} CPU cores with the server; "
    "client CPU is reported per scenario, and absolute rates are a lower bound"
)


@dataclass
class Scenario:
    """One measured load: what to send, how often, how many at once."""

    name: str
    method: str
    path: str
    concurrency: int
    requests: int
    articles_per_request: int
    time_cap_s: float
    bodies: list[bytes] = field(default_factory=list, repr=False)


@dataclass
class Result:
    """What one scenario measured; ratios are filled in once the floor is known."""

    scenario: str
    workers: int
    concurrency: int
    requested: int | None  # None: wrk ran for a duration, not a request count
    completed: int
    errors: int
    seconds: float
    requests_per_s: float
    articles_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_pct: float
    server_cpu_pct: float
    other_cpu_pct: float  # everything else on the machine: high means the numbers are contended
    capped: bool
    error_samples: list[str]
    client: str = "httpx"
    ratio_to_floor: float | None = None


def load_articles(path: Path, limit: int) -> list[dict]:
    """Real full articles (headline + body), so the server parses realistic payloads."""
    table = pq.read_table(path, columns=["id", "headline", "body"])
    rows = table.slice(0, limit).to_pylist()
    return [r for r in rows if (r["headline"] or "").strip() or (r["body"] or "").strip()]


def single_bodies(articles: list[dict]) -> list[bytes]:
    """Pre-encoded bodies, so the client spends its CPU on HTTP rather than on json.dumps."""
    return [json.dumps(a).encode() for a in articles]


def batch_bodies(articles: list[dict], size: int, most: int = 100) -> list[bytes]:
    """Up to `most` distinct batches of `size` consecutive articles (wrapping around)."""
    count = min(most, max(1, len(articles) // size))
    out = []
    for b in range(count):
        batch = [articles[(b * size + i) % len(articles)] for i in range(size)]
        out.append(json.dumps({"articles": batch}).encode())
    return out


def free_port() -> int:
    """A port the OS says is free on loopback now (a tiny race, fine for a benchmark)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def regstance_exe() -> str:
    """The venv's `regstance` script, next to the running interpreter."""
    exe = Path(sys.executable).parent / "regstance"
    return str(exe) if exe.exists() else "regstance"


def wait_until(url: str, deadline: float, proc: subprocess.Popen) -> None:
    """Poll `url` until it answers 200; fail fast if the server process has died."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 in time")


@contextmanager
def server(workers: int, log_path: Path, start_timeout: float = 120.0) -> Iterator[tuple[str, int]]:
    """Start `regstance serve` in its own session; always stop it, also on error or Ctrl-C."""
    port = free_port()
    cmd = [regstance_exe(), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    base = f"http://{HOST}:{port}"
    # the log goes to a file, not a pipe: a full pipe would stall the server
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + start_timeout
            wait_until(f"{base}/healthz", deadline, proc)
            wait_until(f"{base}/readyz", deadline, proc)
            yield base, proc.pid
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (uvicorn stops its workers), then SIGKILL this server's own process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group we created with start_new_session
            proc.wait(timeout=5)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn workers)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_busy_seconds() -> float:
    """All cores' non-idle CPU time, to tell how much other work shared the machine."""
    t = psutil.cpu_times()
    return (
        sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    )


def api_headers() -> dict[str, str]:
    """Content type, plus the API key if the server will demand one (REGSTANCE_API_KEY)."""
    headers = {"content-type": "application/json"}
    if key := os.environ.get("REGSTANCE_API_KEY"):
        headers["x-api-key"] = key
    return headers


async def drive(
    clients: list[httpx.AsyncClient], sc: Scenario, count: int, time_cap: float
) -> tuple[list[float], int, list[str], float]:
    """Send up to `count` requests, one client per in-flight slot, stopping new ones at the time cap."""
    latencies: list[float] = []
    errors: list[str] = []
    next_index = 0
    headers = api_headers()
    start = time.perf_counter()
    deadline = start + time_cap

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < count and time.perf_counter() < deadline:
            i = next_index
            next_index += 1
            body = sc.bodies[i % len(sc.bodies)] if sc.bodies else None
            t0 = time.perf_counter()
            try:
                r = await client.request(sc.method, sc.path, content=body, headers=headers)
                ok = 200 <= r.status_code < 300
                if not ok:
                    errors.append(f"HTTP {r.status_code}: {r.text[:120]}")
            except httpx.HTTPError as exc:
                ok = False
                errors.append(f"{type(exc).__name__}: {exc}"[:160])
            if ok:
                latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker(c) for c in clients))
    return latencies, len(errors), errors, time.perf_counter() - start


async def run_scenario(base: str, server_pid: int, workers: int, sc: Scenario, warmup: int) -> Result:
    """Warm up (open every connection), then measure one scenario with fresh counters.

    One single-connection client per slot: httpcore's pool scans its connections on every
    request, so one shared pool's client CPU per request grows with concurrency (measured
    here: 1.4 ms at 1, 7.3 ms at 64), which would make the client, not the server, the limit.
    """
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0))
            for _ in range(sc.concurrency)
        ]
        await drive(clients, sc, min(max(warmup, 2 * sc.concurrency), sc.requests), time_cap=30.0)
        me = psutil.Process()
        c0, s0, m0 = sum(me.cpu_times()[:2]), tree_cpu_seconds(server_pid), machine_busy_seconds()
        latencies, n_err, samples, secs = await drive(clients, sc, sc.requests, sc.time_cap_s)
        c1, s1, m1 = sum(me.cpu_times()[:2]), tree_cpu_seconds(server_pid), machine_busy_seconds()
    done = len(latencies) + n_err
    ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    ok_rate = len(latencies) / secs if secs else 0.0
    return Result(
        scenario=sc.name,
        workers=workers,
        concurrency=sc.concurrency,
        requested=sc.requests,
        completed=done,
        errors=n_err,
        seconds=round(secs, 3),
        requests_per_s=round(ok_rate, 1),
        articles_per_s=round(ok_rate * sc.articles_per_request, 1),
        p50_ms=round(float(np.percentile(ms, 50)), 2),
        p95_ms=round(float(np.percentile(ms, 95)), 2),
        p99_ms=round(float(np.percentile(ms, 99)), 2),
        max_ms=round(float(ms.max()), 2),
        client_cpu_pct=round(100 * (c1 - c0) / secs, 1) if secs else 0.0,
        server_cpu_pct=round(100 * (s1 - s0) / secs, 1) if secs else 0.0,
        other_cpu_pct=round(100 * ((m1 - m0) - (c1 - c0) - (s1 - s0)) / secs, 1) if secs else 0.0,
        capped=done < sc.requests,
        error_samples=sorted(set(samples))[:5],
    )


def wrk_articles(articles: list[dict]) -> list[dict]:
    """The first WRK_ARTICLES articles, bodies cut to WRK_BODY_CHARS, to keep the Lua script small."""
    return [{**a, "body": (a["body"] or "")[:WRK_BODY_CHARS]} for a in articles[:WRK_ARTICLES]]


def lua_long_string(text: str) -> str:
    """`text` as a Lua long-bracket literal ([==[...]==]), which Lua reads without escapes."""
    level = 0
    while f"]{'=' * level}]" in text or text.endswith("]" + "=" * level):
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


WRK_LUA = r"""-- generated by bench/api_load.py for the scenario {name}
local method, path = {method}, {path}
local headers = {headers}
local bodies = {{
{bodies}
}}
local reqs, n, threads = {{}}, 0, {{}}
non2xx, sample = 0, ""

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for k, b in ipairs(bodies) do
    reqs[k] = wrk.format(method, path, headers, b)
  end
  if #reqs == 0 then
    reqs[1] = wrk.format(method, path, headers)
  end
end

function request()
  n = n + 1
  return reqs[(n - 1) % #reqs + 1]
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then
      sample = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 120)
    end
  end
end

local function jstr(s)
  return '"' .. (string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)) .. '"'
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    if first == "" then first = t:get("sample") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"duration_us":%.0f,"requests":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,'
      .. '"status":%.0f,"timeout":%.0f,"non2xx":%.0f,"p50_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,'
      .. '"max_us":%.0f,"sample":%s}}\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, jstr(first)))
end
"""


def write_wrk_script(sc: Scenario, folder: Path) -> Path:
    """A Lua script sending `sc`'s requests in turn; done() prints one WRKJSON line."""
    headers = {k.title(): v for k, v in api_headers().items()}
    lua_headers = (
        "{" + ", ".join(f"[ {lua_long_string(k)} ] = {lua_long_string(v)}" for k, v in headers.items()) + "}"
    )
    text = WRK_LUA.format(
        name=sc.name,
        method=lua_long_string(sc.method),
        path=lua_long_string(sc.path),
        headers=lua_headers,
        bodies=",\n".join(lua_long_string(b.decode()) for b in sc.bodies),
    )
    path = folder / (sc.name.replace(" ", "_").replace("(", "").replace(")", "") + ".lua")
    path.write_text(text)
    return path


def wrk_version() -> str | None:
    """The first line of `wrk -v` (it exits non-zero after printing its usage)."""
    exe = shutil.which("wrk")
    if not exe:
        return None
    out = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)
    return " ".join((out.stdout or out.stderr).split()[:2]) if (out.stdout or out.stderr) else "wrk"


def run_wrk(base: str, sc: Scenario, script: Path, seconds: int) -> tuple[dict, str]:
    """One wrk run; returns its WRKJSON numbers and its full printed output."""
    cmd = [
        "wrk",
        "-t1",
        f"-c{sc.concurrency}",
        f"-d{seconds}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "--latency",
        "-s",
        str(script),
        f"{base}{sc.path}",
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=seconds + 60, check=False)
    text = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON ") :]), text
    raise RuntimeError(
        f"wrk printed no WRKJSON line (exit {proc.returncode}): {' '.join(cmd)}\n{text[-2000:]}"
    )


def children_cpu_seconds() -> float:
    """User + system CPU of this process's reaped children (wrk; the server is reaped only at the end)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_scenario_wrk(
    base: str, server_pid: int, workers: int, sc: Scenario, seconds: int, warmup_s: int, folder: Path
) -> Result:
    """Warm up for `warmup_s`, then let wrk drive `sc` for `seconds`; errors = socket errors + non-2xx."""
    script = write_wrk_script(sc, folder)
    if warmup_s:
        run_wrk(base, sc, script, warmup_s)
    c0, s0, m0 = children_cpu_seconds(), tree_cpu_seconds(server_pid), machine_busy_seconds()
    t0 = time.perf_counter()
    w, text = run_wrk(base, sc, script, seconds)
    wall = time.perf_counter() - t0
    c1, s1, m1 = children_cpu_seconds(), tree_cpu_seconds(server_pid), machine_busy_seconds()
    (folder / script.with_suffix(".out").name).write_text(text)
    secs = w["duration_us"] / 1e6
    socket_errors = int(w["connect"] + w["read"] + w["write"] + w["timeout"])
    n_err = socket_errors + int(w["non2xx"])
    ok_rate = (w["requests"] - w["non2xx"]) / secs if secs else 0.0
    done = int(w["requests"]) + socket_errors
    samples = [" ".join(w["sample"].split())] if w["sample"] else []
    if socket_errors:
        samples.append(
            f"socket errors: connect {w['connect']:.0f}, read {w['read']:.0f}, "
            f"write {w['write']:.0f}, timeout {w['timeout']:.0f}"
        )
    requested = sc.requests if sc.name.endswith("soak") else None
    return Result(
        scenario=sc.name,
        workers=workers,
        concurrency=sc.concurrency,
        requested=requested,
        completed=done,
        errors=n_err,
        seconds=round(secs, 3),
        requests_per_s=round(ok_rate, 1),
        articles_per_s=round(ok_rate * sc.articles_per_request, 1),
        p50_ms=round(w["p50_us"] / 1000, 2),
        p95_ms=round(w["p95_us"] / 1000, 2),
        p99_ms=round(w["p99_us"] / 1000, 2),
        max_ms=round(w["max_us"] / 1000, 2),
        client_cpu_pct=round(100 * (c1 - c0) / wall, 1) if wall else 0.0,
        server_cpu_pct=round(100 * (s1 - s0) / wall, 1) if wall else 0.0,
        other_cpu_pct=round(100 * ((m1 - m0) - (c1 - c0) - (s1 - s0)) / wall, 1) if wall else 0.0,
        capped=requested is not None and done < requested,
        error_samples=samples,
        client="wrk",
    )


async def check_shapes(base: str, single: bytes, batch: bytes) -> None:
    """Fail before measuring if the endpoints do not answer what the benchmark expects."""
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
        r = await client.post("/v1/classify", content=single, headers=api_headers())
        r.raise_for_status()
        if "label" not in r.json():
            raise RuntimeError(f"/v1/classify answered without a label: {r.text[:200]}")
        r = await client.post("/v1/classify/batch", content=batch, headers=api_headers())
        r.raise_for_status()
        if r.json().get("count") != BATCH_SIZE:
            raise RuntimeError(f"/v1/classify/batch did not score {BATCH_SIZE} articles: {r.text[:200]}")


def scenarios(args: argparse.Namespace, single: list[bytes], batch: list[bytes]) -> list[Scenario]:
    """The floor first, then the issue's scenarios, then the optional soak."""
    n, cap = args.requests, args.time_cap
    out = [Scenario("healthz c16 (floor)", "GET", "/healthz", 16, n, 0, cap)]
    out += [Scenario(f"classify c{c}", "POST", "/v1/classify", c, n, 1, cap, single) for c in (1, 16, 64)]
    out.append(Scenario(f"batch{BATCH_SIZE} c4", "POST", "/v1/classify/batch", 4, n, BATCH_SIZE, cap, batch))
    if args.soak:
        soak = Scenario(
            "classify c64 soak", "POST", "/v1/classify", 64, args.soak_requests, 1, args.soak_time_cap, single
        )
        out.append(soak)
    return out


def run_workers(
    workers: int, plan: list[Scenario], args: argparse.Namespace, single: bytes, batch: bytes
) -> list[Result]:
    """All scenarios against one fresh server with `workers` processes."""
    results: list[Result] = []
    log_path = args.out.parent / f"server-w{workers}.log"
    with server(workers, log_path) as (base, pid), tempfile.TemporaryDirectory(prefix="api_load_wrk_") as tmp:
        asyncio.run(check_shapes(base, single, batch))
        for sc in plan:
            if args.client == "wrk":
                seconds = args.seconds
                if sc.name.endswith("soak"):
                    seconds = soak_seconds(sc, results, args.soak_time_cap)
                res = run_scenario_wrk(base, pid, workers, sc, seconds, wrk_warmup_s(args), Path(tmp))
            else:
                res = asyncio.run(run_scenario(base, pid, workers, sc, args.warmup))
            results.append(res)
            print_row(res, flush=True)
    floor = results[0].requests_per_s
    for res in results:
        res.ratio_to_floor = round(res.requests_per_s / floor, 3) if floor else None
    return results


def wrk_warmup_s(args: argparse.Namespace) -> int:
    """wrk's unmeasured run before each scenario; `--warmup 0` turns it off."""
    return WRK_WARMUP_S if args.warmup else 0


def soak_seconds(sc: Scenario, earlier: list[Result], cap: float) -> int:
    """wrk runs for a duration: long enough for `sc.requests` at the rate `classify c64` just
    measured on this server, plus 25% and 2 s; at most `cap`."""
    rate = next((r.requests_per_s for r in earlier if r.scenario == f"classify c{sc.concurrency}"), 0.0)
    wanted = sc.requests / rate * 1.25 + 2 if rate else cap
    return max(1, math.ceil(min(wanted, cap)))


HEADER = (
    f"{'W':>2} {'scenario':<22} {'done':>6} {'err':>4} {'req/s':>9} {'art/s':>9} "
    f"{'p50':>7} {'p95':>7} {'p99':>7} {'cli%':>5} {'srv%':>5} {'oth%':>5}"
)


def print_row(r: Result, flush: bool = False) -> None:
    """One line per scenario, as it finishes (long runs show progress)."""
    print(
        f"{r.workers:>2} {r.scenario:<22} {r.completed:>6} {r.errors:>4} {r.requests_per_s:>9.1f} "
        f"{r.articles_per_s:>9.1f} {r.p50_ms:>7.2f} {r.p95_ms:>7.2f} {r.p99_ms:>7.2f} "
        f"{r.client_cpu_pct:>5.0f} {r.server_cpu_pct:>5.0f} {r.other_cpu_pct:>5.0f}"
        + (short_note(r) if r.capped else ""),
        flush=flush,
    )


def short_note(r: Result) -> str:
    """Why a run did fewer requests than asked for."""
    if r.client == "wrk":
        return f"  (fewer than {r.requested:,} requests in {r.seconds:.1f} s)"
    return "  (time cap hit)"


def print_ratios(results: list[Result]) -> None:
    """Throughput as a fraction of the /healthz floor of the same server, and W=2 over W=1."""
    print("\nthroughput as a ratio to GET /healthz c16 on the same server (the framework's floor):")
    by_key = {(r.workers, r.scenario): r for r in results}
    for r in results:
        if r.scenario.startswith("healthz") or r.ratio_to_floor is None:
            continue
        one = by_key.get((1, r.scenario))
        scaling = (
            f"; {r.articles_per_s / one.articles_per_s:.2f} x W=1"
            if r.workers > 1 and one and one.articles_per_s
            else ""
        )
        print(
            f"  W={r.workers} {r.scenario:<22} {r.ratio_to_floor:>6.3f} x floor  "
            f"({r.articles_per_s:,.0f} articles/s{scaling})"
        )
    busiest = max(results, key=lambda r: r.other_cpu_pct, default=None)
    if busiest and busiest.other_cpu_pct > 25:
        print(
            f"  warning: other work on the machine used up to {busiest.other_cpu_pct:.0f}% CPU "
            f"(W={busiest.workers} {busiest.scenario}): absolute numbers are contended"
        )


def checks(results: list[Result], soak: bool, soak_requests: int) -> list[dict]:
    """The issue's targets, evaluated and printed; the lead decides what a miss means."""
    out = []
    for r in results:
        if r.scenario == "classify c16":
            out.append(
                {
                    "check": f"p99 <= {P99_TARGET_MS:g} ms at 16 concurrent single-article requests",
                    "workers": r.workers,
                    "value": r.p99_ms,
                    "met": r.p99_ms <= P99_TARGET_MS and r.errors == 0,
                }
            )
        if r.scenario == "classify c64 soak":
            out.append(
                {
                    "check": f"{soak_requests:,} requests at concurrency 64 with 0 errors",
                    "workers": r.workers,
                    "value": f"{r.completed:,} requests in {r.seconds:.1f} s ({r.client}), {r.errors} errors",
                    "met": r.completed >= soak_requests and r.errors == 0,
                }
            )
    if not soak:
        out.append(
            {
                "check": "10,000 requests at concurrency 64 with 0 errors",
                "workers": None,
                "value": "not run (use --soak)",
                "met": None,
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--client",
        choices=["httpx", "wrk"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="Load generator: wrk (C, cheap on CPU; the default when on PATH) or httpx (asyncio).",
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per scenario.")
    parser.add_argument("--requests", type=int, default=2_000, help="httpx: requests per scenario.")
    parser.add_argument("--time-cap", type=float, default=60.0, help="httpx: seconds per scenario at most.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Server worker counts.")
    parser.add_argument(
        "--warmup",
        type=int,
        default=50,
        help=f"httpx: unmeasured requests before each scenario (wrk: a {WRK_WARMUP_S} s run, none if 0).",
    )
    parser.add_argument("--soak", action="store_true", help="Add the 10,000-request run at concurrency 64.")
    parser.add_argument(
        "--soak-requests", type=int, default=10_000, help="wrk runs long enough for about this many."
    )
    parser.add_argument("--soak-time-cap", type=float, default=900.0)
    parser.add_argument(
        "--articles",
        type=int,
        default=5_000,
        help=f"Distinct articles to send (wrk: the first {WRK_ARTICLES}, bodies cut to {WRK_BODY_CHARS:,} chars).",
    )
    parser.add_argument("--pool", type=Path, default=POOL)
    parser.add_argument("--out", type=Path, default=OUT, help="Where the JSON goes (server logs beside it).")
    args = parser.parse_args(argv)
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not on PATH (Debian: apt-get install wrk)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    articles = load_articles(args.pool, args.articles)
    if args.client == "wrk":
        articles = wrk_articles(articles)
    single, batch = single_bodies(articles), batch_bodies(articles, BATCH_SIZE)
    note = CPU_NOTE.format(cpus=psutil.cpu_count())
    print(
        f"{len(articles):,} articles from {args.pool.name}, {len(batch)} distinct batches; "
        f"client {args.client}; note: {note}"
    )
    print(f"{HEADER}   (latency in ms; CPU of client / server tree / rest of machine, 100 = one core)")
    plan = scenarios(args, single, batch)
    results: list[Result] = []
    for w in args.workers:
        results += run_workers(w, plan, args, single[0], batch[0])
    print_ratios(results)
    found = checks(results, args.soak, args.soak_requests)
    print("\ntargets (printed, not asserted):")
    for c in found:
        verdict = {True: "MET", False: "MISSED", None: "-"}[c["met"]]
        print(f"  [{verdict:>6}] W={c['workers']} {c['check']}: {c['value']}")
    errors = [s for r in results for s in r.error_samples]
    if errors:
        print("error samples:", *errors[:5], sep="\n  ")
    write_json(args, results, found, note)
    print(f"\nwrote {args.out}")


def write_json(args: argparse.Namespace, results: list[Result], found: list[dict], note: str) -> None:
    """Everything needed to compare runs later: results, checks and where they ran."""
    payload = {
        "benchmark": "api_load",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(loadavg_at_start=LOADAVG_AT_START),
        "note": note,
        "client": args.client,
        "client_version": wrk_version() if args.client == "wrk" else f"httpx {httpx.__version__}",
        "client_notes": (
            f"wrk -t1 --timeout {WRK_TIMEOUT_S}s, {args.seconds} s per scenario after a "
            f"{wrk_warmup_s(args)} s warm-up; the first {WRK_ARTICLES} articles with bodies cut to "
            f"{WRK_BODY_CHARS:,} characters; errors = socket errors + non-2xx; p50/p95/p99 from wrk's "
            "latency histogram; the soak runs for a duration and reports the requests wrk did in it"
            if args.client == "wrk"
            else "httpx AsyncClient, one single-connection client per in-flight slot; full articles"
        ),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "floor": "GET /healthz at concurrency 16 on the same server",
        "results": [asdict(r) for r in results],
        "checks": found,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
