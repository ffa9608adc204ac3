"""The API through TestClient (every endpoint and error path), a schema fuzz, and a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from classifier.api import create_app
from classifier.config import Settings

ARTICLE = {"id": "a1", "headline": "SEC sues crypto exchange", "body": "The regulator charged the firm."}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def test_classify_one(client: TestClient) -> None:
    r = client.post("/v1/classify", json=ARTICLE)
    assert r.status_code == 200
    out = r.json()
    assert out["id"] == "a1" and out["label"] == "restriction"
    assert set(out["probabilities"]) == {"adoption", "neutral", "restriction"}
    assert out["confidence"] == max(out["probabilities"].values())
    assert isinstance(out["uncertain"], bool) and out["evidence"]
    assert out["model_name"] == "regstance" and out["model_version"].startswith("regstance-")


def test_classify_text_form(client: TestClient) -> None:
    r = client.post("/v1/classify", json={"text": "Government bans crypto trading\nExchanges must close."})
    assert r.status_code == 200 and r.json()["label"] == "restriction" and r.json()["id"] is None


def test_batch_keeps_order_and_ids(client: TestClient) -> None:
    articles = [
        {"id": "x", "headline": "Parliament makes bitcoin legal tender"},
        {"id": "y", "headline": "Bitcoin price climbs as traders buy"},
        {"id": "z", "headline": "Police arrest crypto fraud suspects"},
    ]
    r = client.post("/v1/classify/batch", json={"articles": articles})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    assert [x["id"] for x in body["results"]] == ["x", "y", "z"]
    assert [x["label"] for x in body["results"]] == ["adoption", "neutral", "restriction"]


def test_spans_only_when_asked(client: TestClient, seed_text: str) -> None:
    assert client.post("/v1/classify", json=ARTICLE).json()["evidence_spans"] is None
    out = client.post("/v1/classify?spans=true", json={"id": "seed", "text": seed_text}).json()
    assert out["label"] == "adoption"
    spans = out["evidence_spans"]
    assert {s["kind"] for s in spans} == {"sentence", "term", "dropped"}
    for span in spans:  # offsets index the text as sent, here in UTF-8 with curly quotes
        assert span["field"] == "text" and 0 <= span["start"] < span["end"] <= len(seed_text)
    [teaser] = [s for s in spans if s.get("reason") == "teaser"]
    assert seed_text[teaser["start"] :].startswith("You may also like")
    top = spans[0]
    assert top["kind"] == "sentence" and seed_text[top["start"] : top["end"]] == seed_text.split("\n")[0]


def test_batch_spans_per_article(client: TestClient) -> None:
    articles = [{"id": "r", **{k: v for k, v in ARTICLE.items() if k != "id"}}, {"id": "t", "headline": "Hi"}]
    r = client.post("/v1/classify/batch?spans=true", json={"articles": articles})
    assert r.status_code == 200
    first, second = r.json()["results"]
    [headline] = [s for s in first["evidence_spans"] if s["kind"] == "sentence" and s["field"] == "headline"]
    assert ARTICLE["headline"][headline["start"] : headline["end"]] == ARTICLE["headline"]
    assert all(s["field"] == "headline" for s in second["evidence_spans"])
    assert client.post("/v1/classify?spans=maybe", json=ARTICLE).status_code == 422


def test_model_info(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["classes"] == ["adoption", "neutral", "restriction"]
    assert info["metrics"]["test"]["macro_f1"] > 0.5
    assert set(info["label_definitions"]) == {"adoption", "neutral", "restriction"}
    assert info["limits"]["max_batch"] == 256 and info["trained_at"]


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    client.post("/v1/classify", json=ARTICLE)
    text = client.get("/metrics").text
    assert 'regstance_requests_total{method="POST",route="/v1/classify",status="200"}' in text
    assert 'regstance_predictions_total{label="restriction"}' in text
    assert "regstance_request_seconds_bucket" in text


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        ({}, 422, "non-blank"),
        ({"headline": "   ", "body": ""}, 422, "non-blank"),
        ({"headline": 5}, 422, "string"),
        ({"text": "a", "headline": "b"}, 422, "not both"),
        ({"headline": "x", "colour": "red"}, 422, "extra"),
        ([1, 2], 422, "object"),
        ({"headline": "x" * 100_001}, 413, "at most 100000"),
    ],
)
def test_bad_articles_get_4xx_that_say_why(client: TestClient, payload, code: int, says: str) -> None:
    r = client.post("/v1/classify", json=payload)
    assert r.status_code == code
    assert says.lower() in r.text.lower()


def test_bad_bodies(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert client.post("/v1/classify", content=b"not json", headers=headers).status_code == 422
    r = client.post("/v1/classify", content=b'{"headline": "caf\xe9"}', headers=headers)
    assert 400 <= r.status_code < 500
    r = client.post("/v1/classify", content=b"x" * 4_000_001, headers=headers)
    assert r.status_code == 413 and "4000000 bytes" in r.json()["detail"]


def test_batch_limits(client: TestClient) -> None:
    r = client.post("/v1/classify/batch", json={"articles": [{"headline": "a"}] * 257})
    assert r.status_code == 422 and "at most 256" in r.json()["detail"]
    assert client.post("/v1/classify/batch", json={"articles": []}).status_code == 422
    r = client.post("/v1/classify/batch", json={"articles": [{"headline": "ok"}, {"body": ""}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "articles", 1]


def test_api_key_and_no_wildcard_cors() -> None:
    with TestClient(create_app(Settings(api_key="s3cret"))) as c:
        assert c.post("/v1/classify", json=ARTICLE).status_code == 401
        assert c.post("/v1/classify", json=ARTICLE, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post("/v1/classify", json=ARTICLE, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes stay open
        r = c.options(
            "/v1/classify",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in r.headers


def test_missing_model_stops_start_up(tmp_path) -> None:
    from classifier.model import ModelIntegrityError

    with pytest.raises(ModelIntegrityError), TestClient(create_app(Settings(model_dir=tmp_path))):
        pass


def test_openapi_schema_is_the_contract(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/classify", "/v1/classify/batch", "/v1/model", "/healthz", "/readyz", "/metrics"} <= set(
        paths
    )
    components = schema["components"]["schemas"]
    label = components["StanceOut"]["properties"]["label"]
    assert label["enum"] == ["adoption", "neutral", "restriction"]
    span = components["EvidenceSpan"]
    assert span["properties"]["kind"]["enum"] == ["sentence", "term", "dropped"]
    assert "code points" in span["properties"]["start"]["description"] and span["examples"]
    params = {p["name"]: p for p in paths["/v1/classify"]["post"]["parameters"]}
    assert params["spans"]["in"] == "query" and params["spans"]["schema"]["default"] is False
    assert "413" in paths["/v1/classify"]["post"]["responses"]


def test_schemathesis_finds_no_server_error(model) -> None:
    """A bounded fuzz of every operation in the OpenAPI schema: no 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    app = create_app(Settings(), model=model)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, calls = [], []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def check(case) -> None:
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.method, case.path, response.status_code, response.text[:200]))

        check()
    assert failures == []
    assert len(calls) >= 6 * 10, "the fuzz sent too few requests to mean anything"
    assert any(400 <= c < 500 for c in calls), "no invalid input was generated"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_real_server_on_loopback() -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("regstance")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
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
        r = httpx.post(f"{base}/v1/classify", json=ARTICLE, timeout=10)
        assert r.status_code == 200 and r.json()["label"] == "restriction"
        r = httpx.post(f"{base}/v1/classify", content=b"{", headers={"content-type": "application/json"})
        assert r.status_code == 422
    finally:
        proc.terminate()
        proc.wait(timeout=20)
