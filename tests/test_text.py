"""Cleaning: what the publisher wrapped around an article is not the article."""

from __future__ import annotations

from classifier.articles import to_columns
from classifier.text import clean_body, clean_headline, split_text


def test_seed_article_loses_its_teasers_and_boilerplate(seed_text: str) -> None:
    headline, body = split_text(seed_text)
    cleaned = clean_body(body, max_chars=100_000)
    assert headline.startswith("El Salvador, Pakistan")
    assert "2,000 megawatts" in cleaned
    for gone in ("People's Bank of China", "VitaDAO", "appeared first on", "Disclaimer", "You may also like"):
        assert gone not in cleaned


def test_html_entities_urls_and_share_lines_go() -> None:
    html = "<div><p>SEC &amp; CFTC sign a pact.</p><script>var x=1;</script> See https://x.io/a</div>"
    assert clean_body(html) == "SEC & CFTC sign a pact. See"
    assert clean_headline("<b>Fed</b> acts &gt; expected") == "Fed acts > expected"


def test_body_is_cut_to_the_lead() -> None:
    long = "word " * 2_000
    assert len(clean_body(long, max_chars=300)) <= 300


def test_one_text_is_headline_then_body() -> None:
    assert split_text("Headline here\nBody one.\nBody two.") == ("Headline here", "Body one.\nBody two.")
    assert split_text("Only a headline") == ("Only a headline", "")
    heads, bodies = to_columns([{"text": "A\nB"}, {"headline": "H", "body": None}, "T"])
    assert heads == ["A", "H", "T"] and bodies == ["B", "", ""]


def test_spaces_collapsed_on_a_prefix_read_the_same() -> None:
    """clean_body collapses whitespace only as far as it reads; the lead must not change."""
    import random

    from classifier.text import _collapse_spaces

    rng = random.Random(0)
    pieces = ["a", "bb", "ccc", "word", "x" * 40, " ", "  ", "\n", "\t \n  ", " " * 30]
    for _ in range(2_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 1_200)))
        full = " ".join(text.split())
        fast = _collapse_spaces(text, 300)
        assert full.startswith(fast) and (len(fast) > 300) == (len(full) > 300)
        assert fast[:300] == full[:300]


def test_boilerplate_rules_read_the_text_as_each_left_it() -> None:
    """A rule's hint found once, the text it finds is the text after the earlier rules."""
    body = (
        "Market share rose as regulators approved the plan.\nDisclaimer: not investment advice.\n"
        "Share this article on X\nThe post X appeared first on Y."
    )
    assert clean_body(body) == "Market share rose as regulators approved the plan."
