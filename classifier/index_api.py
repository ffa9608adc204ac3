"""The stance index over HTTP: /v1/index (JSON, what the page charts) and /v1/index.csv (the same rows).

The scored files named by `regstance serve --index` are read once at start-up;
each request filters them and counts with `stance_index`, the function behind
`regstance index`, so the page, the CSV and the CLI agree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from classifier.index import MIN_PERIOD_ARTICLES, read_scored, stance_index
from classifier.schemas import FilterOption, IndexFilters, IndexOut, IndexRow, Problem


class ScoredIndex:
    """The served scored files: dated rows (published, outlet, label, [jurisdiction]) and filter values."""

    def __init__(self, paths: list[Path]) -> None:
        frame = read_scored(paths)
        frame["published"] = pd.to_datetime(frame["published"], errors="coerce", utc=True, format="mixed")
        self.undated = int(frame["published"].isna().sum())
        self.frame = frame.dropna(subset=["published"]).reset_index(drop=True)
        self.files = [p.name for p in paths]
        self.has_jurisdiction = "jurisdiction" in self.frame.columns
        self.filters = IndexFilters(
            outlets=self._options("outlet"),
            jurisdictions=self._options("jurisdiction") if self.has_jurisdiction else None,
        )

    def _options(self, column: str) -> list[FilterOption]:
        counts = self.frame[column].dropna().astype(str).value_counts()
        return [FilterOption(value=v, n=int(n)) for v, n in counts.items()]

    def table(self, freq: str, outlet: str | None, jurisdiction: str | None) -> pd.DataFrame:
        """The index of the rows that match the filters (None: all)."""
        frame = self.frame
        if outlet is not None:
            frame = frame[frame["outlet"].astype(str) == outlet]
        if jurisdiction is not None:
            if not self.has_jurisdiction:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    "the served files have no jurisdiction column: leave out `jurisdiction`",
                )
            frame = frame[frame["jurisdiction"].astype(str) == jurisdiction]
        if frame.empty:
            return pd.DataFrame(columns=list(IndexRow.model_fields))
        table, _ = stance_index(frame, freq=freq)
        return table


router = APIRouter(
    prefix="/v1",
    tags=["index"],
    responses={404: {"model": Problem, "description": "The server was started without scored files"}},
)
Freq = Annotated[
    Literal["D", "W", "M"], Query(description="Period: D (day), W (week from Monday), M (month).")
]
Outlet = Annotated[
    str | None, Query(max_length=300, description="Only this outlet (a value in filters.outlets).")
]
Jurisdiction = Annotated[
    str | None,
    Query(max_length=300, description="Only this jurisdiction (when the files have a jurisdiction column)."),
]


def _served(request: Request) -> ScoredIndex:
    scored = getattr(request.app.state, "scored", None)
    if scored is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "this server has no scored files: start it with `regstance serve --index scored.parquet`",
        )
    return scored


@router.get("/index", summary="Stance index of the served scored files, per period")
def index(
    request: Request, freq: Freq = "W", outlet: Outlet = None, jurisdiction: Jurisdiction = None
) -> IndexOut:
    scored = _served(request)
    table = scored.table(freq, outlet, jurisdiction)
    rows = [IndexRow(**row) for row in table[list(IndexRow.model_fields)].to_dict("records")]
    return IndexOut(
        freq=freq,
        outlet=outlet,
        jurisdiction=jurisdiction,
        rows=rows,
        articles=sum(r.n for r in rows),
        undated=scored.undated,
        min_n=MIN_PERIOD_ARTICLES,
        files=scored.files,
        filters=scored.filters,
    )


@router.get(
    "/index.csv",
    summary="The same rows as /v1/index, as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per period"}},
)
def index_csv(
    request: Request, freq: Freq = "W", outlet: Outlet = None, jurisdiction: Jurisdiction = None
) -> Response:
    table = _served(request).table(freq, outlet, jurisdiction)[list(IndexRow.model_fields)]
    table = table.assign(period=pd.to_datetime(table["period"]).dt.strftime("%Y-%m-%d"))
    name = "-".join(["stance-index", freq, *(_slug(v) for v in (outlet, jurisdiction) if v is not None)])
    return Response(
        table.to_csv(index=False),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", value).strip("-")[:60] or "x"
