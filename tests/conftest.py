"""Shared fixtures: the real shipped model, the real corpus, real files."""

from __future__ import annotations

import contextlib
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

from classifier import StanceModel, load_model

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
