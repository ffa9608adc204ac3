"""Request and response models: the OpenAPI schema is the contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StanceLabel = Literal["adoption", "neutral", "restriction"]

SEED_HEADLINE = "El Salvador, Pakistan inaugurate diplomatic relations to collaborate on digital assets"
SEED_BODY = (
    "Pakistan and El Salvador have formalized diplomatic relations, anchoring the partnership on crypto "
    "collaboration. The government is setting aside 2,000 megawatts of power for Bitcoin mining and "
    "planning a national Bitcoin reserve."
)
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
