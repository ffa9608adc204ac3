"""Request and response models: the OpenAPI schema is the contract."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StanceLabel = Literal["adoption", "neutral", "restriction"]

SEED_HEADLINE = "El Salvador, Pakistan inaugurate diplomatic relations to collaborate on digital assets"
SEED_BODY = (
    "Pakistan and El Salvador have formalized diplomatic relations, anchoring the partnership on crypto "
    "collaboration. The government is setting aside 2,000 megawatts of power for Bitcoin mining and "
    "planning a national Bitcoin reserve."
)
LABEL_DEFINITIONS = {
    "adoption": "An authority moves to embrace, legitimise, enable or promote digital assets.",
    "restriction": "An authority moves to limit, prohibit, penalise or discourage digital assets.",
    "neutral": "No clear regulatory direction, or not about regulation.",
}
#: Longest string a field may hold; the model reads only the headline and body lead anyway.
MAX_FIELD_CHARS = 100_000


class ArticleIn(BaseModel):
    """One article: a headline and/or a body, or a single text whose first line is the headline."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "seed-1", "headline": SEED_HEADLINE, "body": SEED_BODY},
                {"text": "PBoC cracks down on stablecoins\nThe People's Bank of China held a meeting ..."},
            ]
        },
    )

    id: str | None = Field(default=None, max_length=256, description="Your id, echoed back.")
    headline: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    body: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    text: str | None = Field(
        default=None, max_length=MAX_FIELD_CHARS, description="Instead of headline/body: one text."
    )

    @model_validator(mode="after")
    def _has_text(self) -> ArticleIn:
        has_parts = bool((self.headline or "").strip() or (self.body or "").strip())
        has_text = bool((self.text or "").strip())
        if has_text and (self.headline is not None or self.body is not None):
            raise ValueError("send either `text` or `headline`/`body`, not both")
        if not (has_parts or has_text):
            raise ValueError("an article needs a non-blank `headline`, `body` or `text`")
        return self


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"articles": [{"id": "a1", "headline": SEED_HEADLINE}]}]},
    )

    articles: list[ArticleIn] = Field(min_length=1, description="At most `max_batch` (default 256).")


class Probabilities(BaseModel):
    adoption: float
    neutral: float
    restriction: float


SpanReason = Literal["markup", "teaser", "boilerplate", "url", "past_lead"]


class EvidenceSpan(BaseModel):
    """A character range of the submitted article: evidence for the label, or text the model did not read."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "sentence", "field": "body", "start": 114, "end": 230, "weight": 0.2451},
                {"kind": "term", "field": "body", "start": 214, "end": 229, "text": "bitcoin reserve"},
                {"kind": "dropped", "field": "body", "start": 2764, "end": 4100, "reason": "teaser"},
            ]
        }
    )

    kind: Literal["sentence", "term", "dropped"] = Field(
        description="sentence: one that pushed the label most; term: an evidence term inside such a "
        "sentence; dropped: text the model did not read."
    )
    field: Literal["headline", "body", "text"] = Field(
        description="The submitted field that `start` and `end` index: `text` when the article came as one text."
    )
    start: int = Field(
        ge=0,
        description="First character, counted in Unicode code points as Python indexes strings "
        "(in JavaScript, index `Array.from(text)`, not the UTF-16 string).",
    )
    end: int = Field(ge=0, description="One past the last character.")
    weight: float | None = Field(
        default=None,
        description="sentence: how far the label's log-odds fall when the model reads the article "
        "without this sentence (positive: it pushed toward the label).",
    )
    text: str | None = Field(default=None, description="term: the term as the model counts it, lower case.")
    reason: SpanReason | None = Field(
        default=None,
        description="dropped: markup (HTML), teaser (a teaser heading and all after it), boilerplate, url, "
        "or past_lead (the model reads only the first 1,500 characters of the cleaned body).",
    )


class StanceOut(BaseModel):
    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "id": "seed-1",
                    "label": "adoption",
                    "probabilities": {"adoption": 0.93, "neutral": 0.05, "restriction": 0.02},
                    "confidence": 0.93,
                    "uncertain": False,
                    "evidence": ["reserve (body)", "bitcoin reserve (body)"],
                    "jurisdiction": "PK",
                    "jurisdiction_name": "Pakistan",
                    "authority": "government",
                    "model_name": "regstance",
                    "model_version": "regstance-2026-11-27-0123456789",
                    "evidence_spans": [
                        {"kind": "sentence", "field": "headline", "start": 0, "end": 86, "weight": 7.5438},
                        {"kind": "sentence", "field": "body", "start": 114, "end": 230, "weight": 0.2451},
                        {
                            "kind": "term",
                            "field": "body",
                            "start": 214,
                            "end": 229,
                            "text": "bitcoin reserve",
                        },
                    ],
                }
            ]
        },
    )

    id: str | None
    label: StanceLabel
    probabilities: Probabilities
    confidence: float = Field(description="The top probability.")
    uncertain: bool = Field(description="Confidence below the threshold chosen on validation data.")
    evidence: list[str] = Field(
        description="Terms that pushed hardest toward the label, (headline) or (body)."
    )
    jurisdiction: str = Field(
        description='Where the acting authority is: ISO 3166-1 alpha-2 ("US"), ISO 3166-2 for a state or '
        'province ("US-TX"), "EU", "INT" for intergovernmental bodies, or "none" when no authority acts.'
    )
    jurisdiction_name: str | None = Field(
        description='The jurisdiction\'s name ("Pakistan"); null for "none".'
    )
    authority: str = Field(
        description='The acting body\'s short name ("SEC", "PBoC"), a generic kind ("government", '
        '"central bank", "regulator", "court", "police", "prosecutors", "legislature", "tax authority"), '
        'or "none".'
    )
    model_name: str
    model_version: str
    evidence_spans: list[EvidenceSpan] | None = Field(
        default=None,
        description="Only when asked for with `?spans=true`: the sentences that pushed the label most "
        "(strongest first), the evidence terms inside them and the text the model did not read.",
    )


class BatchOut(BaseModel):
    results: list[StanceOut] = Field(description="One per article, in input order.")
    count: int


class ScoreSummary(BaseModel):
    macro_f1: float | None = None
    accuracy: float | None = None
    n: int | None = None


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    model_name: str
    model_version: str
    jurisdiction_version: str = Field(
        description="Version of the jurisdiction extractor served beside the model."
    )
    classes: list[StanceLabel]
    trained_at: str | None
    uncertain_below: float
    metrics: dict[str, ScoreSummary] = Field(description="Headline scores from artifacts/metrics.json.")
    label_definitions: dict[StanceLabel, str]
    limits: dict[str, int]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model_version: str


class Problem(BaseModel):
    detail: str | list


class IndexRow(BaseModel):
    period: dt.date = Field(description="First day of the period.")
    n: int = Field(description="Articles published in the period.")
    adoption: int
    neutral: int
    restriction: int
    share_adoption: float
    share_neutral: float
    share_restriction: float
    net_index: float = Field(description="share_adoption - share_restriction, in [-1, 1].")


class FilterOption(BaseModel):
    value: str
    n: int = Field(description="Dated articles with this value in the served files.")


class IndexFilters(BaseModel):
    outlets: list[FilterOption] = Field(description="Most articles first.")
    jurisdictions: list[FilterOption] | None = Field(
        description="null when the scored files have no `jurisdiction` column."
    )


class IndexOut(BaseModel):
    """The stance index of the served files, filtered, per period: what the page charts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "freq": "W",
                    "outlet": None,
                    "jurisdiction": None,
                    "rows": [
                        {
                            "period": "2025-07-14",
                            "n": 1843,
                            "adoption": 301,
                            "neutral": 1312,
                            "restriction": 230,
                            "share_adoption": 0.1633,
                            "share_neutral": 0.7119,
                            "share_restriction": 0.1248,
                            "net_index": 0.0385,
                        }
                    ],
                    "articles": 1843,
                    "undated": 0,
                    "min_n": 20,
                    "files": ["scored.parquet"],
                    "filters": {"outlets": [{"value": "cointelegraph", "n": 512}], "jurisdictions": None},
                }
            ]
        }
    )

    freq: Literal["D", "W", "M"]
    outlet: str | None
    jurisdiction: str | None
    rows: list[IndexRow] = Field(description="Periods with at least one article, oldest first.")
    articles: int = Field(description="Dated articles counted, after the filters.")
    undated: int = Field(description="Rows left out for want of a usable date (before the filters).")
    min_n: int = Field(description="Periods with fewer articles are too thin for a net-index point.")
    files: list[str] = Field(description="File names of the served scored files.")
    filters: IndexFilters
