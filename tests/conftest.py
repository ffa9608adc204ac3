"""Shared fixtures: the real shipped model, the real corpus, real files."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier import StanceModel, bulk, load_model
from classifier.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_ARTICLE = ROOT.parent / "shared" / "data" / "seed-article.txt"


@pytest.fixture(scope="session")
def model() -> StanceModel:
    return load_model()


@pytest.fixture(scope="session")
def corpus() -> pd.DataFrame:
    return pd.read_parquet(ROOT / "training" / "data" / "corpus.parquet")


@pytest.fixture(scope="session")
def seed_text() -> str:
    if SEED_ARTICLE.is_file():
        return SEED_ARTICLE.read_text(encoding="utf-8")
    return (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")


@contextlib.contextmanager
def running_server(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real `regstance serve` in its own process on a free 127.0.0.1 port, ready; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("regstance")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "server did not become ready in 60 s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def score(*args: str) -> tuple[int, str]:
    """`regstance score ARGS` through the real CLI, in this process: (exit code, output)."""
    result = CliRunner().invoke(app, ["score", *args])
    return result.exit_code, result.output


def rejects_of(out: Path) -> list[dict]:
    """The rejects file `regstance score` wrote beside `out`, as records ([] when there is none)."""
    path = out.with_name(out.name + ".rejects.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def flip_byte(path: Path, at: int) -> None:
    """Invert one byte of a file in place: a saved artifact damaged in the smallest way."""
    with open(path, "r+b") as fh:
        fh.seek(at)
        byte = fh.read(1)
        fh.seek(at)
        fh.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture
def count_scored_chunks(monkeypatch):
    """Call it to start counting the chunks bulk scoring scores (a spy: the real score_frame runs);
    it returns the list of their sizes, which grows as chunks are scored."""

    def start() -> list[int]:
        sizes: list[int] = []
        real = bulk.score_frame

        def counting(model, frame, **kw):
            sizes.append(len(frame))
            return real(model, frame, **kw)

        monkeypatch.setattr(bulk, "score_frame", counting)
        return sizes

    return start


@contextlib.contextmanager
def compiled_and_source(name: str) -> Iterator[tuple[object, object]]:
    """The compiled build of `classifier.<name>` (setup.py, mypyc) and the same module run from
    its .py source, side by side. Fails where the build is missing, unless REGSTANCE_PURE_PYTHON
    asked for none (then skips)."""
    import importlib
    import importlib.util

    import pytest

    built = importlib.import_module(f"classifier.{name}")
    if os.environ.get("REGSTANCE_PURE_PYTHON"):
        pytest.skip("built without mypyc on purpose (REGSTANCE_PURE_PYTHON)")
    assert Path(built.__file__).suffix == ".so", f"{built.__file__}: not compiled; run `make install`"
    spec = importlib.util.spec_from_file_location(
        f"regstance_{name}_source", Path(built.__file__).with_name(f"{name}.py")
    )
    source = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = source  # dataclasses look their module up
    try:
        spec.loader.exec_module(source)
        yield built, source
    finally:
        del sys.modules[spec.name]
