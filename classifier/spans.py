"""Evidence spans: where in the submitted article the model found its label, and what it never read.

Three kinds of span, each a character range of the text as submitted:

- "sentence": the sentences that pushed the label most. A sentence's weight is
  how far the label's log-odds fall when the model reads the article without
  it (leave one out), so it measures what this model did with this article,
  context and all, not what the sentence would say on its own.
- "term": the model's strongest evidence terms for the label, where they stand
  inside those sentences.
- "dropped": what the model never read: markup, teasers, boilerplate and urls
  the cleaner drops, and the body past the lead it reads (`BODY_CHARS`).

Only the model's public API is used (`predict_proba` for every article and its
leave-one-out variants in one vectorised call, `evidence` in a second), so the
spans explain a retrained model with other features just as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from classifier.model import TOKEN_PATTERN, StanceModel
from classifier.text import BODY_CHARS, american_spelling, dropped_ranges, split_text

#: Sentences returned from the headline and from the body of each article: the strongest, if they
#: pushed toward the label at all. Per part, because the two are read by separate features: one
#: headline nearly always outweighs any one body sentence, which would leave the body unmarked.
TOP_SENTENCES = 3
#: Evidence terms looked for inside those sentences.
TOP_TERMS = 12

_CANDIDATE_END = re.compile(r"[.!?…]+[\"'’”)\]]*(?=\s)")
_LAST_WORD = re.compile(r"(\w+)\W*$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
#: Words whose full stop ends no sentence ("Mr. Gensler", "U.S. lawmakers" is handled by case).
_ABBREVIATION_WORDS = (
    "mr mrs ms dr prof sen rep gov gen st jr sr inc ltd corp co no vs etc approx dept est fig "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_TOKEN = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True)
class Span:
    """A character range [start, end) of one submitted field (code points, as Python indexes)."""

    kind: str  # "sentence" | "term" | "dropped"
    field: str  # "headline" | "body" | "text"
    start: int
    end: int
    weight: float | None = None  # sentence: fall in the label's log-odds without it
    text: str | None = None  # term: the term as the model counts it
    reason: str | None = None  # dropped: markup | teaser | boilerplate | url | past_lead


def sentence_ranges(text: str) -> list[tuple[int, int]]:
    """Sentences of `text` as (start, end) offsets: a line break or a full stop ends one.

    A stop followed by a lower-case word, or after an initial or a common
    abbreviation, does not ("the U.S. economy", "Mr. Gensler").
    """
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for end in _CANDIDATE_END.finditer(text, line.start(), line.end()):
            following = _NEXT_CHAR.match(text, end.end(), line.end())
            word = _LAST_WORD.search(text, start, end.start() + 1)
            last = word.group(1).lower() if word else ""
            if following is None or following.group(1).islower():
                continue
            if (len(last) == 1 and last.isalpha()) or last in _ABBREVIATIONS:
                continue
            out.append((start, end.end()))
            start = end.end()
        out.append((start, line.end()))
    return [_trim(text, s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    part = text[start:end]
    return start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())


def read_end(body: str, dropped: Sequence[tuple[int, int, str]], max_chars: int = BODY_CHARS) -> int:
    """Offset in `body` after which the model reads nothing: the end of its lead of `max_chars`.

    Mirrors `clean_body`: what is left once the dropped ranges are out, with
    whitespace runs read as one space, cut to `max_chars` at a word boundary.
    """
    kept = list(body[: 3 * max_chars])  # clean_body's window
    for start, end, _ in dropped:
        kept[start:end] = " " * (min(end, len(kept)) - min(start, len(kept)))
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", "".join(kept))]
    if sum(e - s for s, e in words) + len(words) - 1 <= max_chars:  # all of the window is read
        return len(body) if len(body) <= len(kept) else (words[-1][1] if words else 0)
    length, previous = -1, 0
    for start, end in words:
        length += 1 + end - start
        if length >= max_chars:  # clean_body cuts at the last space before max_chars
            return previous if previous else start + max_chars  # one word longer than the lead
        previous = end
    raise AssertionError("unreachable: the words are longer than max_chars")


@dataclass(frozen=True)
class _Part:
    """The headline or body of an article, and where it starts in the submitted field."""

    name: str  # "headline" | "body"
    field: str  # the submitted field its offsets refer to
    offset: int
    text: str


def _parts(article: Mapping[str, Any]) -> tuple[_Part, _Part]:
    """Headline and body as the model reads them, the way `articles.to_columns` splits them."""
    headline, body, text = (str(article.get(k) or "") for k in ("headline", "body", "text"))
    if text and not (headline or body):
        head, rest = split_text(text)
        lead = len(text) - len(text.lstrip())
        return _Part("headline", "text", lead, head), _Part("body", "text", lead + len(head) + 1, rest)
    return _Part("headline", "headline", 0, headline), _Part("body", "body", 0, body)


def _log_odds(proba: np.ndarray, column: np.ndarray) -> np.ndarray:
    rows = np.arange(len(proba))
    p = np.clip(proba[rows, column].astype(np.float64), 1e-12, 1.0)
    rest = np.clip(proba.sum(axis=1, dtype=np.float64) - proba[rows, column], 1e-12, 1.0)
    return np.log(p) - np.log(rest)


def _term_spans(
    part: _Part, sentences: list[tuple[int, int]], terms: list[str], dropped: Sequence[tuple[int, int, str]]
) -> list[Span]:
    """Occurrences of the evidence terms inside the sentences, found with the model's word tokens."""
    wanted = {tuple(t.split()) for t in terms}
    if not wanted:
        return []
    longest = max(len(t) for t in wanted)
    out = []
    for s_start, s_end in sentences:
        tokens = [
            (m.start(), m.end(), word)
            for m in _TOKEN.finditer(part.text, s_start, s_end)
            for word in [american_spelling(m.group().lower())]
            if word not in ENGLISH_STOP_WORDS
            and not any(a < m.end() and m.start() < b for a, b, _ in dropped)
        ]
        i = 0
        while i < len(tokens):  # longest term first; a word belongs to one term at most
            for n in range(min(longest, len(tokens) - i), 0, -1):
                gram = tuple(word for _, _, word in tokens[i : i + n])
                if gram in wanted:
                    start, end = part.offset + tokens[i][0], part.offset + tokens[i + n - 1][1]
                    out.append(Span("term", part.field, start, end, text=" ".join(gram)))
                    i += n
                    break
            else:
                i += 1
    return out


@dataclass(frozen=True)
class _Reading:
    """One article as the model reads it: its parts, what it drops, where it stops, its sentences."""

    headline: _Part
    body: _Part
    dropped: dict[str, list[tuple[int, int, str]]]
    end: int  # read_end of the body
    sentences: list[tuple[_Part, int, int]]  # part-local offsets

    @property
    def read(self) -> dict[str, str]:
        return {"headline": self.headline.text, "body": self.body.text[: self.end]}

    def without(self, part: _Part, start: int, end: int) -> dict[str, str]:
        """The article as read, with one sentence blanked out."""
        read = self.read
        read[part.name] = f"{read[part.name][:start]} {read[part.name][end:]}"
        return read


def _reading(article: Mapping[str, Any]) -> _Reading:
    headline, body = _parts(article)
    dropped = {
        "headline": dropped_ranges(headline.text, boilerplate=False),
        "body": dropped_ranges(body.text),
    }
    end = read_end(body.text, dropped["body"])
    sentences = [
        (part, s, e)
        for part, limit in ((headline, len(headline.text)), (body, end))
        for s, e in sentence_ranges(part.text[:limit])
        if not any(a <= s and e <= b for a, b, _ in dropped[part.name])
    ]
    return _Reading(headline, body, dropped, end, sentences)


def _weigh(model: StanceModel, readings: Sequence[_Reading], labels: Sequence[str]) -> list[np.ndarray]:
    """Per article, each sentence's weight: the fall in the label's log-odds without it.

    One `predict_proba` call for every article as read and every variant less one sentence.
    """
    classes = [str(c) for c in model.classes_]
    inputs, owner = [], []
    for i, reading in enumerate(readings):
        inputs.append(reading.read)
        inputs += [reading.without(*sentence) for sentence in reading.sentences]
        owner += [i] * (1 + len(reading.sentences))
    if not inputs:
        return []
    column = np.asarray([classes.index(str(label)) for label in labels])[np.asarray(owner)]
    log_odds = _log_odds(model.predict_proba(inputs), column)
    weights, first = [], 0
    for reading in readings:
        n = len(reading.sentences)
        weights.append(log_odds[first] - log_odds[first + 1 : first + 1 + n])
        first += 1 + n
    return weights


def _sentence_span(sentence: tuple[_Part, int, int], weight: float) -> Span:
    part, start, end = sentence
    return Span(
        "sentence", part.field, part.offset + start, part.offset + end, weight=round(float(weight), 4)
    )


def sentence_weights(
    model: StanceModel, articles: Sequence[Mapping[str, Any]], labels: Sequence[str]
) -> list[list[Span]]:
    """Every sentence the model read, per article, in text order, with its leave-one-out weight."""
    readings = [_reading(a) for a in articles]
    return [
        [_sentence_span(sentence, w) for sentence, w in zip(reading.sentences, weights, strict=True)]
        for reading, weights in zip(readings, _weigh(model, readings, labels), strict=True)
    ]


def evidence_spans(
    model: StanceModel, articles: Sequence[Mapping[str, Any]], labels: Sequence[str]
) -> list[list[Span]]:
    """Per article (headline/body or text mappings, as the API takes them): its evidence spans.

    Up to TOP_SENTENCES sentences of the headline and of the body that pushed toward
    `labels`, strongest first; then
    the evidence terms inside them and the dropped ranges, headline then body, in text order.
    """
    readings = [_reading(a) for a in articles]
    if not readings:
        return []
    weights = _weigh(model, readings, labels)
    evidence = model.evidence([r.read for r in readings], np.asarray(labels, dtype=object), k=TOP_TERMS)
    out = []
    for reading, weight, terms in zip(readings, weights, evidence, strict=True):
        top = []
        for part in (reading.headline, reading.body):
            mine = [i for i, (p, _, _) in enumerate(reading.sentences) if p is part and weight[i] > 0]
            top += sorted(mine, key=lambda i: -weight[i])[:TOP_SENTENCES]
        top.sort(key=lambda i: -weight[i])
        spans = [_sentence_span(reading.sentences[i], weight[i]) for i in top]
        for part in (reading.headline, reading.body):
            extras: list[Span] = []
            marked = sorted((s, e) for i in top for p, s, e in [reading.sentences[i]] if p is part)
            part_terms = [t.rsplit(" (", 1)[0] for t in terms if t.endswith(f"({part.name})")]
            extras += _term_spans(part, marked, part_terms, reading.dropped[part.name])
            ranges = list(reading.dropped[part.name])
            if part is reading.body:
                ranges += _unread_gaps(part.text, reading.end, ranges)
            extras += [
                Span("dropped", part.field, part.offset + s, part.offset + e, reason=r) for s, e, r in ranges
            ]
            spans += sorted(extras, key=lambda span: (span.start, span.kind))
        out.append(spans)
    return out


def _unread_gaps(body: str, end: int, dropped: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The body past the lead, less what is already a dropped range: reason "past_lead"."""
    gaps, cursor = [], end
    for start, stop, _ in [*dropped, (len(body), len(body), "")]:
        if stop <= cursor:
            continue
        if start > cursor:
            s, e = _trim(body, cursor, start)
            if e > s:
                gaps.append((s, e, "past_lead"))
        cursor = max(cursor, stop)
    return gaps
