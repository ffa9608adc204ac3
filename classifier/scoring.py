"""The one scoring function: the API, the local bulk scorer and Dask all call `score_frame`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifier.articles import to_columns
from classifier.model import LABELS, StanceModel
from classifier.where import WHERE_COLUMNS, JurisdictionExtractor

#: Columns `score_frame` adds, in order, with their dtypes.
SCORE_COLUMNS = {
    "label": "object",
    **{f"p_{label}": "float32" for label in LABELS},
    "confidence": "float32",
    "uncertain": "bool",
    "model_version": "object",
}


def score_frame(
    model: StanceModel,
    frame: pd.DataFrame,
    *,
    evidence: int = 0,
    where: JurisdictionExtractor | None = None,
) -> pd.DataFrame:
    """Score a frame of articles (`headline`/`body` columns); other columns pass through.

    Returns a new frame, row for row, with the SCORE_COLUMNS (and an `evidence`
    column of term lists when `evidence` > 0, and the WHERE_COLUMNS
    `jurisdiction`, `jurisdiction_name`, `authority` when given the extractor).
    The stance columns are the same with or without `where`.
    """
    out = frame.copy()
    if len(frame) == 0:
        for column, dtype in SCORE_COLUMNS.items():
            out[column] = pd.Series(dtype=dtype)
        if evidence:
            out["evidence"] = pd.Series(dtype="object")
        if where is not None:
            for column in WHERE_COLUMNS:
                out[column] = pd.Series(dtype="object")
        return out
    columns = to_columns(frame[["headline", "body"]])
    reading = model.read(columns)  # cleaned and scanned once, for the model and the extractor
    proba = reading.proba
    top = proba.argmax(axis=1)
    out["label"] = model.classes_[top].astype(object)
    for j, label in enumerate(model.classes_):
        out[f"p_{label}"] = proba[:, j].astype(np.float32)
    out["confidence"] = proba.max(axis=1).astype(np.float32)
    out["uncertain"] = model.uncertain(proba)
    out["model_version"] = model.version
    if evidence:
        out["evidence"] = model.evidence_from(reading.features, model.classes_[top], k=evidence)
    if where is not None:
        places = where.places_of(
            *reading.cleaned,
            stance_proba=model.word_proba_from(reading.features, proba),
            scans=reading.scans,
        )
        out["jurisdiction"] = [p.jurisdiction for p in places]
        out["jurisdiction_name"] = [p.jurisdiction_name for p in places]
        out["authority"] = [p.authority for p in places]
    return out
