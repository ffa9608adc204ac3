"""The prediction API: create_app() builds a FastAPI app that serves one loaded model.

Run: `regstance serve` (uvicorn with --factory classifier.api:create_app).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Security, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from classifier import index_api
from classifier.batching import MicroBatcher
from classifier.config import Settings
from classifier.model import DEFAULT_MODEL_DIR, StanceModel, load_model
from classifier.schemas import (
    LABEL_DEFINITIONS,
    MAX_FIELD_CHARS,
    ArticleIn,
    BatchIn,
    BatchOut,
    EvidenceSpan,
    Health,
    ModelInfo,
    Problem,
    Ready,
    ScoreSummary,
    StanceOut,
)
from classifier.spans import evidence_spans
from classifier.web import routes as web
from classifier.where import JurisdictionExtractor, load_where

MODEL_NAME = "regstance"
READY_PROBE = [{"headline": "Regulator approves bitcoin ETF", "body": ""}]


class Telemetry:
    """Prometheus metrics of one app, on its own registry (no process-global state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "regstance_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "regstance_request_seconds",
            "Request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.predictions = Counter(
            "regstance_predictions", "Articles classified, by label", ["label"], registry=self.registry
        )


def _metrics_summary(artifact_dir: Path) -> tuple[dict[str, ScoreSummary], str | None]:
    path = artifact_dir / "metrics.json"
    if not path.is_file():
        return {}, None
    metrics = json.loads(path.read_text())
    summary = {
        split: ScoreSummary(**{k: metrics[split].get(k) for k in ("macro_f1", "accuracy", "n")})
        for split in ("validation", "test")
        if split in metrics
    }
    robustness = metrics.get("test_robustness") or {}
    if "headline_only" in robustness:
        summary["test_headline_only"] = ScoreSummary(macro_f1=robustness["headline_only"])
    return summary, metrics.get("trained_at")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # a missing or altered model file stops start-up here, with ModelIntegrityError's message
    model = app.state.preloaded or load_model(settings.model_dir, expected_sha256=settings.model_sha256)
    app.state.model = model
    # the jurisdiction extractor beside it, checked against its own manifest the same way
    where = app.state.preloaded_where or load_where(settings.where_dir, expected_sha256=settings.where_sha256)
    app.state.where = where
    model.share_scanner(where.matcher_)  # one automaton for the model's actor scan and the extractor
    # the scored files of the stance index, read once; a missing or unreadable file stops start-up
    app.state.scored = index_api.ScoredIndex(settings.index_files) if settings.index_files else None
    # The fitted vocabularies are millions of objects that never change; left to the cyclic GC
    # they are re-scanned on every full collection, a pause of tens of ms in the latency tail.
    gc.freeze()
    app.state.batcher = MicroBatcher(
        model, evidence=settings.evidence_terms, max_batch=settings.max_batch, where=where
    )
    await app.state.batcher.start()
    artifact_dir = Path(settings.model_dir or DEFAULT_MODEL_DIR).parent
    app.state.metrics_summary, app.state.trained_at = _metrics_summary(artifact_dir)
    yield
    await app.state.batcher.stop()
    app.state.model = None


# Dependencies are `async def`: they only look things up, and FastAPI runs a plain `def`
# dependency in the threadpool, a thread hop per request for nothing.
async def get_model(request: Request) -> StanceModel:
    return request.app.state.model


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


ModelDep = Annotated[StanceModel, Depends(get_model)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def require_api_key(
    settings: SettingsDep, key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    if settings.api_key and not (key and secrets.compare_digest(key, settings.api_key)):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong X-API-Key header",
            headers={"WWW-Authenticate": "APIKey"},
        )


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "REGSTANCE_API_KEY is set and X-API-Key is missing or wrong"},
    413: {
        "model": Problem,
        "description": f"Request body over max_request_bytes, or a field over {MAX_FIELD_CHARS:,} chars",
    },
    422: {"model": Problem, "description": "Not a valid article or batch (the detail says which field)"},
}
router = APIRouter(prefix="/v1", tags=["stance"], dependencies=[Depends(require_api_key)], responses=ERRORS)


async def get_batcher(request: Request) -> MicroBatcher:
    return request.app.state.batcher


BatcherDep = Annotated[MicroBatcher, Depends(get_batcher)]


SpansQuery = Annotated[
    bool,
    Query(
        description="Also return `evidence_spans`: where in the submitted text the evidence is, and what "
        "the model did not read (costs one extra scoring call per sentence read; a few ms an article)."
    ),
]


async def _results(
    batcher: MicroBatcher, articles: list[ArticleIn], request: Request, *, spans: bool = False
) -> list[StanceOut]:
    """Score the articles in one vectorised call, together with other requests waiting."""
    dumped = [a.model_dump() for a in articles]
    stances = await batcher.classify(dumped)
    located: list[list] = [[] for _ in stances]
    if spans:  # off the event loop, like the scoring
        model = request.app.state.model
        located = await asyncio.to_thread(evidence_spans, model, dumped, [s.label for s in stances])
    counter = request.app.state.telemetry.predictions
    out = []
    for article, stance, where in zip(articles, stances, located, strict=True):
        counter.labels(stance.label).inc()
        out.append(
            StanceOut(
                id=article.id,
                label=stance.label,
                probabilities=stance.probabilities,
                confidence=stance.confidence,
                uncertain=stance.uncertain,
                evidence=stance.evidence,
                jurisdiction=stance.jurisdiction,
                jurisdiction_name=stance.jurisdiction_name,
                authority=stance.authority,
                model_name=MODEL_NAME,
                model_version=stance.model_version,
                evidence_spans=[EvidenceSpan(**vars(span)) for span in where] if spans else None,
            )
        )
    return out


# The stance models are built, so validated, by _results: they go out as JSON directly rather
# than through FastAPI's second validation of the return value (a sixth of a request's CPU).
@router.post("/classify", summary="Stance of one article", response_model=StanceOut)
async def classify(
    article: ArticleIn, batcher: BatcherDep, request: Request, spans: SpansQuery = False
) -> Response:
    [result] = await _results(batcher, [article], request, spans=spans)
    return Response(result.model_dump_json(), media_type="application/json")


@router.post(
    "/classify/batch", summary="Stance of up to max_batch articles, in input order", response_model=BatchOut
)
async def classify_batch(
    batch: BatchIn, batcher: BatcherDep, settings: SettingsDep, request: Request, spans: SpansQuery = False
) -> Response:
    if len(batch.articles) > settings.max_batch:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{len(batch.articles)} articles in one batch; at most {settings.max_batch}: split the batch",
        )
    results = await _results(batcher, batch.articles, request, spans=spans)
    return Response(
        BatchOut(results=results, count=len(results)).model_dump_json(), media_type="application/json"
    )


@router.get("/model", summary="The served model: version, classes, scores, label definitions")
async def model_info(model: ModelDep, settings: SettingsDep, request: Request) -> ModelInfo:
    return ModelInfo(
        model_name=MODEL_NAME,
        model_version=model.version,
        jurisdiction_version=request.app.state.where.metadata_.get("version", "unversioned"),
        classes=[str(c) for c in model.classes_],
        trained_at=request.app.state.trained_at,
        uncertain_below=float(model.abstain_below),
        metrics=request.app.state.metrics_summary,
        label_definitions=LABEL_DEFINITIONS,
        limits={
            "max_batch": settings.max_batch,
            "max_request_bytes": settings.max_request_bytes,
            "max_field_chars": MAX_FIELD_CHARS,
        },
    )


ops = APIRouter(tags=["operations"])


@ops.get("/healthz", summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@ops.get("/readyz", summary="The model is loaded and answering", responses={503: {"model": Problem}})
def readyz(request: Request) -> Ready:
    model = getattr(request.app.state, "model", None)
    try:
        if model is None:
            raise RuntimeError("no model loaded")
        model.predict_proba(READY_PROBE)
    except Exception as exc:  # any failure means not ready; say why
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"model not answering: {exc}") from exc
    return Ready(status="ready", model_version=model.version)


@ops.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    registry = request.app.state.telemetry.registry
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, however the body arrives.

    Pure ASGI. The body is read here, counted as it streams in (so a chunked body, or a lying
    or absent Content-Length, cannot slip past), and handed to the app whole: an error raised
    into the app half-way through its body read would come out as FastAPI's 400.

    A refused body is read and thrown away, up to DRAIN_BYTES or DRAIN_SECONDS, before the
    413 is completed (nginx's lingering close does the same): a server that closes on unread
    bytes resets the connection, and a client that writes its whole body before reading
    (Python's urllib, which also asks for `Connection: close`) then sees the reset, not the
    413. The 413's headers and detail go out first, for clients that read while they send.
    """

    DRAIN_BYTES = 64 * 2**20
    DRAIN_SECONDS = 10.0

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            # a client waiting for 100 Continue sends no body after a final answer: nothing to drain
            waits = headers.get(b"expect", b"").lower() == b"100-continue"
            drain = not waits and int(declared) <= self.limit + self.DRAIN_BYTES
            return await self._refuse(receive, send, drain=drain)
        pieces: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-body: nobody to answer
            body = message.get("body", b"")
            seen += len(body)
            more = message.get("more_body", False)
            if seen > self.limit:
                return await self._refuse(receive, send, drain=more)
            if not more:
                break
            pieces.append(body)
        if pieces:  # most bodies come in one message, passed on as it is
            message = {"type": "http.request", "body": b"".join([*pieces, body]), "more_body": False}
        delivered = False

        async def replay() -> dict:
            nonlocal delivered
            if delivered:
                return await receive()  # http.disconnect, for an app that waits for it
            delivered = True
            return message

        await self.app(scope, replay, send)

    async def _refuse(self, receive: Callable[[], Awaitable[dict]], send: Callable, *, drain: bool) -> None:
        body = json.dumps(
            {"detail": f"request body over {self.limit} bytes: send fewer or shorter articles"}
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if drain:
            await self._drain(receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _drain(self, receive: Callable[[], Awaitable[dict]]) -> None:
        """Read and drop the rest of the body, within the bounds; a longer one is cut off."""
        dropped = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.DRAIN_SECONDS):
                while dropped <= self.DRAIN_BYTES:
                    message = await receive()
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        return
                    dropped += len(message.get("body", b""))


class Observe:
    """Count requests and time them per route, for /metrics.

    Pure ASGI: a `@app.middleware("http")` function costs about a millisecond a request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status_code = 500

        async def observed_send(message: dict) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            telemetry: Telemetry = scope["app"].state.telemetry
            telemetry.latency.labels(path).observe(time.perf_counter() - start)
            telemetry.requests.labels(path, scope["method"], str(status_code)).inc()


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with pydantic's field-by-field detail; 413 when a field is over its length limit."""
    errors = jsonable_encoder(exc.errors())
    too_long = any(e.get("type") == "string_too_long" for e in errors)
    code = status.HTTP_413_CONTENT_TOO_LARGE if too_long else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse({"detail": errors}, status_code=code)


def create_app(
    settings: Settings | None = None,
    model: StanceModel | None = None,
    where: JurisdictionExtractor | None = None,
) -> FastAPI:
    """Build the app. Settings default to REGSTANCE_* environment variables.

    `model` and `where` serve an already loaded model and jurisdiction extractor
    instead of loading them at start-up (embedding in another app, tests); by
    default the lifespan loads both.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="regstance",
        version="0.1.0",
        summary="Which way authorities are moving on crypto: adoption, restriction or neutral.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.preloaded = model
    app.state.preloaded_where = where
    app.state.telemetry = Telemetry()
    app.include_router(router)
    app.include_router(index_api.router, dependencies=[Depends(require_api_key)], responses=ERRORS)
    app.include_router(ops)
    app.include_router(web.router)  # the page, at /: one more client of the routes above
    app.mount("/static", web.static, name="static")
    app.add_exception_handler(RequestValidationError, _validation_error)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.add_middleware(Observe)  # outermost: 413s from BodyLimit are counted too
    return app
