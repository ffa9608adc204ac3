"""One shape for article input: parallel lists of headlines and bodies.

An article is a headline and a body (either may be empty) or a single text,
whose first line is read as the headline. Every door (API, archives, Python)
hands its articles to the model through `to_columns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import pandas as pd

from classifier.text import split_text


class Columns(NamedTuple):
    """Articles already split into parallel lists, as `to_columns` returns them and passes them
    through: scoring splits a frame once for the model and the extractor alike."""

    headlines: list[str]
    bodies: list[str]


def _from_mapping(article: Mapping[str, Any]) -> tuple[str, str]:
    headline = article.get("headline") or ""
    body = article.get("body") or ""
    text = article.get("text") or ""
    if text and not (headline or body):
        return split_text(str(text))
    return str(headline), str(body)


def to_columns(X: Any) -> Columns:
    """Articles as two parallel lists, headlines and bodies: the cheap form the model reads.

    Accepts a DataFrame (headline/body columns, or a text column), an iterable
    of texts, an iterable of mappings with headline/body/text keys, or `Columns`.
    """
    if isinstance(X, Columns):
        return X
    if isinstance(X, str):
        raise TypeError("expected a list of articles, got one string: wrap it as [text]")
    if isinstance(X, pd.DataFrame):
        if "headline" in X.columns or "body" in X.columns:
            headline = X["headline"] if "headline" in X.columns else pd.Series("", index=X.index)
            body = X["body"] if "body" in X.columns else pd.Series("", index=X.index)
            return Columns(headline.fillna("").astype(str).tolist(), body.fillna("").astype(str).tolist())
        if "text" in X.columns:
            X = X["text"].fillna("").astype(str).tolist()
        else:
            raise ValueError(
                f"a frame of articles needs headline/body or text columns, got {list(X.columns)}"
            )
    if not isinstance(X, Iterable):
        raise TypeError(f"expected a list of articles, got {type(X).__name__}")
    pairs = [
        _from_mapping(a) if isinstance(a, Mapping) else split_text("" if a is None else str(a)) for a in X
    ]
    return Columns([h for h, _ in pairs], [b for _, b in pairs])
