"""The API through TestClient (every endpoint and error path), a schema fuzz, and a real server."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
from conftest import running_server
from fastapi.testclient import TestClient

from classifier.api import BodyLimit, create_app
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


def test_one_automaton_serves_the_model_and_the_extractor(client: TestClient) -> None:
    state = client.app.state
    actors = state.model.pipeline_.named_steps["features"].actors_
    assert actors._matcher is state.where.matcher_


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


def _pieces(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body as a generator: httpx and urllib send it chunked, with no Content-Length."""
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_chunked_body_over_the_limit_gets_413(client: TestClient) -> None:
    r = client.post("/v1/classify", content=_pieces(4_000_001), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4000000 bytes" in r.json()["detail"]
    body = json.dumps({"articles": [ARTICLE] * 3}).encode()
    pieces = (body[i : i + 10] for i in range(0, len(body), 10))  # a body under the limit is passed on whole
    r = client.post("/v1/classify/batch", content=pieces, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["count"] == 3


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


LIMIT = 1_000_000  # the real server's REGSTANCE_MAX_REQUEST_BYTES


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`regstance serve` in its own process on 127.0.0.1, with a 1 MB body limit; yields its base URL."""
    with running_server(env={"REGSTANCE_MAX_REQUEST_BYTES": str(LIMIT)}) as base:
        yield base


@pytest.mark.slow
def test_real_server_on_loopback(server: str) -> None:
    r = httpx.post(f"{server}/v1/classify", json=ARTICLE, timeout=10)
    assert r.status_code == 200 and r.json()["label"] == "restriction"
    r = httpx.post(f"{server}/v1/classify", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 422


def _urllib_post(url: str, data) -> tuple[int, dict]:
    """POST with urllib, which writes the whole body before it reads a byte of the answer."""
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
@pytest.mark.parametrize("size", [LIMIT + 1, 20 * LIMIT])
def test_urllib_gets_the_413_not_a_reset(server: str, size: int) -> None:
    """Content-Length over the limit; urllib also sends `Connection: close`, so the server closes after."""
    code, body = _urllib_post(f"{server}/v1/classify", b"x" * size)
    assert code == 413 and f"{LIMIT} bytes" in body["detail"]


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_gets_413_from_a_real_server(server: str) -> None:
    code, body = _urllib_post(f"{server}/v1/classify", _pieces(8 * LIMIT))  # urllib: chunked, then read
    assert code == 413 and f"{LIMIT} bytes" in body["detail"]
    r = httpx.post(
        f"{server}/v1/classify", content=_pieces(8 * LIMIT), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    article = json.dumps(ARTICLE).encode()
    code, body = _urllib_post(
        f"{server}/v1/classify", (article[i : i + 7] for i in range(0, len(article), 7))
    )
    assert code == 200 and body["label"] == "restriction"  # under the limit, chunked: scored as usual


def _answer_without_sending_the_body(server: str, headers: str) -> bytes:
    """Send only a request's head; return the status line and headers the server answers with."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /v1/classify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{headers}\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
    return answer


@pytest.mark.slow
def test_refusals_that_need_no_body(server: str) -> None:
    """Waiting for 100 Continue, or declaring more than the server would drain: the 413 comes at once."""
    answer = _answer_without_sending_the_body(
        server, f"Content-Length: {50 * LIMIT}\r\nExpect: 100-continue\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    beyond = LIMIT + BodyLimit.DRAIN_BYTES + 1
    answer = _answer_without_sending_the_body(server, f"Content-Length: {beyond}\r\n")
    assert answer.startswith(b"HTTP/1.1 413") and b"connection: close" in answer.lower(), answer[:200]
