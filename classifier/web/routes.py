"""The web page: two server-rendered views that call the same /v1 routes as every other client.

`/` classifies a pasted article and shows its evidence in the text; `/stance-index`
charts the stance index of the files given to `regstance serve --index`. Every
asset is in this package and served from /static: the page asks nothing of any
other host, and its Content-Security-Policy tells the browser to refuse if it did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from classifier.schemas import LABEL_DEFINITIONS

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
static = StaticFiles(directory=HERE / "static")

#: Only this origin, for everything; inline scripts and styles are refused too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    state = request.app.state
    model = state.model
    page = {
        "classes": [str(c) for c in model.classes_],
        "label_definitions": LABEL_DEFINITIONS,
        "uncertain_below": float(model.abstain_below),
        "api_key_required": bool(state.settings.api_key),
    }
    return templates.TemplateResponse(
        request,
        template,
        {"page": page, "model_version": model.version, "has_index": state.scored is not None, **context},
        headers=HEADERS,
    )


@router.get("/", response_class=HTMLResponse)
async def classify_page(request: Request) -> HTMLResponse:
    return _page(request, "classify.html", view="classify")


@router.get("/stance-index", response_class=HTMLResponse)
async def index_page(request: Request) -> HTMLResponse:
    return _page(request, "index.html", view="index", scored=request.app.state.scored)
