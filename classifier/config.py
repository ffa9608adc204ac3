"""Service and scorer settings: one BaseSettings class, read from REGSTANCE_* variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment may change, with the limits the API documents."""

    model_config = SettingsConfigDict(env_prefix="REGSTANCE_", protected_namespaces=())

    model_dir: Path | None = Field(
        default=None, description="Model folder (model.joblib + manifest.json); default: the shipped model."
    )
    model_sha256: str | None = Field(
        default=None, description="Pin the model file's digest outside its folder (tamper check)."
    )
    where_dir: Path | None = Field(
        default=None,
        description="Jurisdiction extractor folder (extractor.joblib + manifest.json); default: the shipped one.",
    )
    where_sha256: str | None = Field(
        default=None, description="Pin the extractor file's digest outside its folder (tamper check)."
    )
    api_key: str | None = Field(
        default=None, description="When set, every /v1 request needs this value in the X-API-Key header."
    )
    max_batch: int = Field(default=256, ge=1, le=10_000, description="Most articles in one batch request.")
    max_request_bytes: int = Field(
        default=4_000_000, ge=1_000, description="Larger request bodies are refused with 413."
    )
    evidence_terms: int = Field(default=5, ge=0, le=50, description="Evidence terms returned per article.")
    index_files: list[Path] = Field(
        default_factory=list,
        description="Scored files (`regstance score` output) whose stance index /v1/index serves and the page "
        "charts; JSON list in REGSTANCE_INDEX_FILES, set by `regstance serve --index`.",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; none by default, never a wildcard."
    )
