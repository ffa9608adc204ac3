"""Shared fixtures: the real shipped model, the real corpus, real files."""

from __future__ import annotations

from pathlib import Path

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
