"""The page's routes without a browser: what the server renders and serves (the browser tests drive it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from classifier import StanceModel
from classifier.api import create_app
from classifier.config import Settings
from classifier.web.routes import HERE

SCORED = Path(__file__).resolve().parent / "fixtures" / "scored-index.parquet"


@pytest.fixture(scope="module")
def client(model: StanceModel) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(index_files=[SCORED]), model=model)) as c:
        yield c


def test_both_views_render_with_a_strict_policy(client: TestClient) -> None:
    for path in ("/", "/stance-index"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assert "unsafe-inline" not in policy
    page = client.get("/").text
    assert '<label for="headline">' in page and '<label for="body">' in page
    assert "regstance-" in page  # the model version in the footer


def test_assets_are_served_and_name_no_other_host(client: TestClient) -> None:
    page = client.get("/").text + client.get("/stance-index").text
    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert {"/static/page.css", "/static/common.js", "/static/classify.js", "/static/index.js"} <= assets
    for asset in assets:
        assert client.get(asset).status_code == 200
    for path in sorted(HERE.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            # the SVG namespace is a name, not a request
            urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text)) - {"http://www.w3.org"}
            assert urls == set(), f"{path.name} names {urls}"


def test_jurisdiction_filter_only_with_the_column(
    client: TestClient, tmp_path: Path, model: StanceModel
) -> None:
    page = client.get("/stance-index").text
    assert '<select id="jurisdiction"' in page and '<option value="PK">PK (' in page
    plain = tmp_path / "plain.parquet"
    pd.read_parquet(SCORED).drop(columns="jurisdiction").to_parquet(plain)
    with TestClient(create_app(Settings(index_files=[plain]), model=model)) as c:
        page = c.get("/stance-index").text
        assert 'id="outlet"' in page and 'id="jurisdiction"' not in page


def test_without_scored_files_the_index_view_says_how(model: StanceModel) -> None:
    with TestClient(create_app(Settings(), model=model)) as c:
        page = c.get("/stance-index").text
        assert "regstance serve --index scored.parquet" in page and 'id="chart"' not in page


def test_api_key_field_only_when_the_server_wants_one(model: StanceModel) -> None:
    with TestClient(create_app(Settings(api_key="s3cret"), model=model)) as c:
        page = c.get("/").text
        assert '<label for="api-key">API key</label>' in page
        assert "s3cret" not in page
        assert c.post("/v1/classify", json={"headline": "x"}).status_code == 401
    with TestClient(create_app(Settings(), model=model)) as c:
        assert 'id="api-key"' not in c.get("/").text


def test_pages_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/stance-index" not in paths
    assert {"/v1/index", "/v1/index.csv"} <= set(paths)


def test_make_serve_has_an_index_to_show() -> None:
    """`make serve` charts the shipped example: the 2025 news pool, scored by the shipped model."""
    from classifier.index_api import ScoredIndex

    example = Path(__file__).resolve().parents[1] / "artifacts" / "scored-2025-example.parquet"
    scored = ScoredIndex([example])
    assert len(scored.frame) > 25_000 and scored.undated == 0
    assert scored.frame["published"].min() >= pd.Timestamp("2025-05-01", tz="UTC")
    assert scored.frame["published"].max() < pd.Timestamp("2025-09-01", tz="UTC")
    assert set(scored.frame["label"]) == {"adoption", "neutral", "restriction"}
