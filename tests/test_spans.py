"""Evidence spans on the shipped model: offsets into the submitted text, faithful weights, what is not read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import StanceModel
from classifier.spans import TOP_SENTENCES, evidence_spans, read_end, sentence_ranges, sentence_weights
from classifier.text import american_spelling, clean_body, dropped_ranges, split_text

RESERVE = "That includes setting aside 2,000 megawatts of power for Bitcoin mining"
SUIT = {
    "headline": "SEC sues crypto exchange for operating an unregistered securities exchange",
    "body": "The Securities and Exchange Commission filed a lawsuit on Tuesday. "
    "The regulator says the exchange sold unregistered securities without a licence.",
}


def _of(spans, kind):
    return [s for s in spans if s.kind == kind]


def test_seed_page_as_pasted(model: StanceModel, seed_text: str) -> None:
    [spans] = evidence_spans(model, [{"text": seed_text}], ["adoption"])
    headline, _ = split_text(seed_text)
    sentences = _of(spans, "sentence")
    assert all(s.field == "text" for s in spans)
    # strongest first; the headline outweighs every body sentence by far
    assert [s.weight for s in sentences] == sorted((s.weight for s in sentences), reverse=True)
    assert (sentences[0].start, sentences[0].end) == (0, len(headline))
    assert sentences[0].weight > 10 * sentences[1].weight > 0
    # Pakistan's power for mining and the reserve is read and marked as pushing toward adoption
    reserve = [s for s in sentences if seed_text[s.start : s.end].startswith(RESERVE)]
    assert len(reserve) == 1 and reserve[0].weight > 0
    assert seed_text[reserve[0].start : reserve[0].end].endswith("to oversee crypto regulation.")
    assert len(sentences) <= 1 + TOP_SENTENCES


def test_seed_page_teaser_and_boilerplate_are_dropped(model: StanceModel, seed_text: str) -> None:
    [spans] = evidence_spans(model, [{"text": seed_text}], ["adoption"])
    dropped = {s.reason: s for s in _of(spans, "dropped")}
    teaser = dropped["teaser"]
    assert seed_text[teaser.start :].startswith("You may also like")
    assert teaser.end == len(seed_text.rstrip())
    assert "People's Bank of China" in seed_text[teaser.start : teaser.end]
    boilerplate = [seed_text[s.start : s.end] for s in _of(spans, "dropped") if s.reason == "boilerplate"]
    assert any(
        b.startswith("The post El Salvador") and b.endswith("appeared first on CryptoSlate.")
        for b in boilerplate
    )
    assert any(b.startswith("Disclaimer:") for b in boilerplate)
    # the model reads the lead only: the rest is "past_lead", and nothing marked lies in a dropped range
    assert seed_text[dropped["past_lead"].start :].startswith("Salvador, which adopted Bitcoin")
    for mark in _of(spans, "sentence") + _of(spans, "term"):
        assert not any(d.start < mark.end and mark.start < d.end for d in _of(spans, "dropped"))


def test_what_is_not_dropped_is_what_the_model_reads(corpus: pd.DataFrame) -> None:
    """The dropped ranges and the lead's end, taken out of the text, leave exactly clean_body's output."""
    plain = corpus[~corpus["body"].str.contains("[<&]", regex=True)]["body"]
    assert len(plain) > 5_000
    for body in plain:
        ranges = dropped_ranges(body)
        end = read_end(body, ranges)
        kept = list(body[:end])
        for start, stop, _ in ranges:
            kept[start:stop] = " " * (min(stop, end) - min(start, end))
        assert american_spelling(" ".join("".join(kept).split())) == clean_body(body)


def test_offsets_point_into_each_submitted_field(model: StanceModel, seed_text: str) -> None:
    headline, body = split_text(seed_text)
    padded = "\n  " + seed_text
    [as_fields, as_text] = evidence_spans(
        model, [{"headline": headline, "body": body}, {"text": padded}], ["adoption", "adoption"]
    )
    assert len(as_fields) == len(as_text)
    for one, other in zip(as_fields, as_text, strict=True):
        submitted = headline if one.field == "headline" else body
        assert submitted[one.start : one.end] == padded[other.start : other.end]
        assert (one.kind, one.weight, one.text, one.reason) == (
            other.kind,
            other.weight,
            other.text,
            other.reason,
        )


def test_weight_is_the_fall_in_log_odds_without_the_sentence(model: StanceModel) -> None:
    [spans] = evidence_spans(model, [SUIT], ["restriction"])
    [top_body] = [s for s in _of(spans, "sentence") if s.field == "body"][:1]
    without = SUIT["body"][: top_body.start] + " " + SUIT["body"][top_body.end :]
    proba = model.predict_proba([SUIT, {**SUIT, "body": without}])
    j = list(model.classes_).index("restriction")
    log_odds = np.log(proba[:, j]) - np.log(1 - proba[:, j])
    assert top_body.weight == pytest.approx(log_odds[0] - log_odds[1], abs=1e-3)
    assert top_body.weight > 0


def test_restriction_terms_sit_inside_marked_sentences(model: StanceModel) -> None:
    [stance] = model.classify([SUIT])
    assert stance.label == "restriction"
    [spans] = evidence_spans(model, [SUIT], [stance.label])
    sentences = _of(spans, "sentence")
    assert sentences[0].field == "headline" and sentences[0].start == 0
    terms = _of(spans, "term")
    assert {"sec", "sues"} <= {word for t in terms for word in t.text.split()}  # alone or as a bigram
    for term in terms:
        source = SUIT[term.field][term.start : term.end].lower()
        assert american_spelling(source).split() == term.text.split() or term.text.split()[0] in source
        assert any(s.field == term.field and s.start <= term.start and term.end <= s.end for s in sentences)
    assert _of(spans, "dropped") == []


def test_all_sentences_weighed_in_text_order(model: StanceModel, seed_text: str) -> None:
    [weighed] = sentence_weights(model, [{"text": seed_text}], ["adoption"])
    starts = [s.start for s in weighed]
    assert starts == sorted(starts)
    assert not any("People's Bank" in seed_text[s.start : s.end] for s in weighed), (
        "a dropped teaser was weighed"
    )
    [marked] = evidence_spans(model, [{"text": seed_text}], ["adoption"])
    marked_body = [s for s in _of(marked, "sentence") if s.start > 0]
    best_body = sorted((s for s in weighed if s.start > 0), key=lambda s: -s.weight)[:TOP_SENTENCES]
    assert marked_body == best_body


def test_html_urls_and_code_points() -> None:
    html = "<p>SEC sues an exchange.</p> See https://x.io/a for <b>more</b>."
    assert [(html[s:e], r) for s, e, r in dropped_ranges(html)] == [
        ("<p>", "markup"),
        ("</p>", "markup"),
        ("https://x.io/a", "url"),
        ("<b>", "markup"),
        ("</b>", "markup"),
    ]
    assert dropped_ranges("You may also like\nOther story", boilerplate=False) == []
    # offsets count code points: an emoji before a sentence does not shift it
    text = "🚀 Bitcoin rallies. Regulator approves ETF."
    assert [text[s:e] for s, e in sentence_ranges(text)] == ["🚀 Bitcoin rallies.", "Regulator approves ETF."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Gensler spoke. The SEC acted.", ["Mr. Gensler spoke.", "The SEC acted."]),
        ("The U.S. economy grew. Prices rose!", ["The U.S. economy grew.", "Prices rose!"]),
        ('He said "yes." Then left.', ['He said "yes."', "Then left."]),
        ("Headline without a stop\nBody line one. Two", ["Headline without a stop", "Body line one.", "Two"]),
        ("  \n\n  ", []),
    ],
)
def test_sentence_ranges(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_ranges(text)] == expected


def test_empty_and_headline_only(model: StanceModel) -> None:
    assert evidence_spans(model, [], []) == []
    [spans] = evidence_spans(model, [{"headline": "Texas creates a state bitcoin reserve"}], ["adoption"])
    assert _of(spans, "sentence")[0].field == "headline"
    assert not any(s.field == "body" for s in spans)


_PIECES = [
    *'ab Cd.!?\n\t<>/&;:é🚀’"',
    "http://x.io/a ",
    "You may also like\n",
    "Mr. ",
    "<p>",
    "Disclaimer: x",
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=80).map("".join)


@settings(max_examples=150, deadline=None, database=None)
@given(headline=_TEXTS, body=_TEXTS, as_text=st.booleans())
def test_any_text_gives_spans_inside_it(model: StanceModel, headline: str, body: str, as_text: bool) -> None:
    article = {"text": f"{headline}\n{body}"} if as_text else {"headline": headline, "body": body}
    [stance] = model.classify([article])
    [spans] = evidence_spans(model, [article], [stance.label])
    for span in spans:
        source = article[span.field]
        assert 0 <= span.start < span.end <= len(source)
        assert source[span.start : span.end].strip(), "a span of nothing but whitespace"
        assert span.kind != "sentence" or span.weight > 0
