"""regstance: which way authorities are moving on crypto, article by article.

>>> from classifier import load_model
>>> model = load_model()                     # the shipped default
>>> model.predict(["SEC sues exchange for selling unregistered securities"])
array(['restriction'], dtype=object)
"""

from classifier.model import (
    LABELS,
    ModelIntegrityError,
    Stance,
    StanceModel,
    load_model,
    save_model,
)
from classifier.scoring import score_frame

__all__ = [
    "LABELS",
    "ModelIntegrityError",
    "Stance",
    "StanceModel",
    "load_model",
    "save_model",
    "score_frame",
]
