"""regstance: which way authorities are moving on crypto, article by article.

>>> from classifier import load_model
>>> model = load_model()                     # the shipped default
>>> model.predict(["SEC sues exchange for selling unregistered securities"])
array(['restriction'], dtype=object)
"""

from classifier.builds import warn_if_stale
from classifier.model import (
    LABELS,
    ModelIntegrityError,
    Stance,
    StanceModel,
    load_model,
    save_model,
)
from classifier.scoring import score_frame
from classifier.where import JurisdictionExtractor, WhereIntegrityError, load_where

__all__ = [
    "LABELS",
    "JurisdictionExtractor",
    "ModelIntegrityError",
    "Stance",
    "StanceModel",
    "WhereIntegrityError",
    "load_model",
    "load_where",
    "save_model",
    "score_frame",
]

warn_if_stale()  # a compiled module older than its source runs old code: say so
