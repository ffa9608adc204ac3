"""The stance index over HTTP: the rows `regstance index` computes, filtered, as JSON and as CSV."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from classifier import StanceModel
from classifier.api import create_app
from classifier.config import Settings
from classifier.index import read_scored, stance_index

SCORED = Path(__file__).resolve().parent / "fixtures" / "scored-index.parquet"


@pytest.fixture(scope="module")
def client(model: StanceModel) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(index_files=[SCORED]), model=model)) as c:
        yield c


def _expected(freq: str, **only: str) -> pd.DataFrame:
    frame = read_scored([SCORED])
    for column, value in only.items():
        frame = frame[frame[column] == value]
    table, _ = stance_index(frame, freq=freq)
    return table


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_index_rows_are_regstance_index(client: TestClient, freq: str) -> None:
    out = client.get(f"/v1/index?freq={freq}").json()
    expected = _expected(freq)
    assert [r["period"] for r in out["rows"]] == expected["period"].dt.strftime("%Y-%m-%d").tolist()
    assert [r["net_index"] for r in out["rows"]] == expected["net_index"].tolist()
    assert [r["adoption"] for r in out["rows"]] == expected["adoption"].tolist()
    assert out["articles"] == 417 and out["undated"] == 3 and out["files"] == ["scored-index.parquet"]


def test_filters_come_from_the_files(client: TestClient) -> None:
    filters = client.get("/v1/index").json()["filters"]
    assert [o["value"] for o in filters["outlets"]] == ["cointelegraph", "coindesk", "newsbtc"]
    assert {j["value"] for j in filters["jurisdictions"]} == {"US", "US-TX", "PK", "EU", "none"}
    assert sum(o["n"] for o in filters["outlets"]) == 417


def test_outlet_and_jurisdiction_filters(client: TestClient) -> None:
    out = client.get("/v1/index", params={"freq": "W", "outlet": "coindesk", "jurisdiction": "PK"}).json()
    expected = _expected("W", outlet="coindesk", jurisdiction="PK")
    assert [r["n"] for r in out["rows"]] == expected["n"].tolist() and out["outlet"] == "coindesk"
    assert out["articles"] == int(expected["n"].sum()) > 0
    empty = client.get("/v1/index", params={"outlet": "no such outlet"}).json()
    assert empty["rows"] == [] and empty["articles"] == 0


def test_csv_is_what_is_shown(client: TestClient) -> None:
    params = {"freq": "M", "outlet": "newsbtc"}
    shown = client.get("/v1/index", params=params).json()["rows"]
    r = client.get("/v1/index.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="stance-index-M-newsbtc.csv"'
    csv = pd.read_csv(io.StringIO(r.text), dtype={"period": str})
    assert csv.columns.tolist() == list(shown[0])
    assert csv.to_dict("records") == shown


def test_no_jurisdiction_column_no_filter(tmp_path: Path, model: StanceModel) -> None:
    plain = tmp_path / "plain.parquet"
    pd.read_parquet(SCORED).drop(columns="jurisdiction").to_parquet(plain)
    with TestClient(create_app(Settings(index_files=[plain]), model=model)) as c:
        out = c.get("/v1/index").json()
        assert out["filters"]["jurisdictions"] is None and out["articles"] == 417
        r = c.get("/v1/index", params={"jurisdiction": "PK"})
        assert r.status_code == 422 and "no jurisdiction column" in r.json()["detail"]


def test_bad_requests_and_no_files(client: TestClient, model: StanceModel) -> None:
    assert client.get("/v1/index?freq=Y").status_code == 422
    with TestClient(create_app(Settings(), model=model)) as c:
        r = c.get("/v1/index")
        assert r.status_code == 404 and "regstance serve --index" in r.json()["detail"]
        assert c.get("/v1/index.csv").status_code == 404
    missing = Settings(index_files=[Path("nope.parquet")])
    with pytest.raises(FileNotFoundError), TestClient(create_app(missing, model=model)):
        pass


def test_serve_refuses_a_file_it_cannot_index(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from classifier.cli import app

    notes = tmp_path / "notes.txt"
    notes.write_text("not scored")
    result = CliRunner().invoke(app, ["serve", "--index", str(notes)])
    assert result.exit_code == 2 and "cannot read the scored files" in result.output
