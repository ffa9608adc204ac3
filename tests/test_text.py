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


def _random_texts(pieces: list[str], n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(n)]


def test_teaser_found_where_a_search_of_the_whole_text_finds_it() -> None:
    """The teaser heading is tried only at the starts of lines holding a hint: the same first match."""
    from classifier.text import _TEASER, _first_teaser, _hints_in

    pieces = ["Read more", "Related", "related news", " more ", "You may also like", "\n", "\n  ", " :",
              "Trending now", "Trendıng", "İ", "ſ", "latest", "Popular Posts", "word ", ". ", "\t"]  # fmt: skip
    found_any = 0
    for text in _random_texts(pieces, 3_000, seed=1):
        lowered = text.lower()
        whole = _TEASER.search(text)
        fast = _first_teaser(text, lowered, _hints_in(lowered))
        assert (fast and fast.span()) == (whole and whole.span()), text
        found_any += whole is not None
    assert found_any > 300  # the texts do hold teasers, at many places


def test_american_spelling_word_by_word_is_one_pass_over_the_text() -> None:
    from classifier.text import _SPELLING, _american, american_spelling

    pieces = ["licence", "Licences", "legalised", "LEGALISATION", "authorise", "journalist", "regularis",
              "capitalism", "decriminalising", "_", "x²", "ı", "ſ", "İ", "-", " ", "\n", ".", "analysis"]  # fmt: skip
    changed = 0
    for text in _random_texts(pieces, 3_000, seed=2):
        fast = american_spelling(text)
        assert fast == _SPELLING.sub(_american, text), text
        changed += fast != text
    assert changed > 1_000


def test_bodies_without_a_british_spelling_hint_skip_the_spelling_pass() -> None:
    """Whatever cleaning cuts or blanks, British spellings left in the lead are made American."""
    from classifier.text import american_spelling

    pieces = ["licence", "legalis", "ed ", "Authorise ", "<b>", "</b>", "https://x.io/", "alis", "e ",
              "Disclaimer: ", "\n", "The post ", " appeared first on X.", "share this article ", "words "]  # fmt: skip
    for body in _random_texts(pieces, 3_000, seed=3):
        cleaned = clean_body(body, max_chars=200)
        assert american_spelling(cleaned) == cleaned, body
    assert (
        clean_body("The regulator will licence and legalise it.")
        == "The regulator will license and legalize it."
    )


def test_investment_advice_lines_go_but_not_words_that_end_in_not() -> None:
    body = "Brokers cannot financial advice anyone. Not financial advice. This is not investment advice, readers."
    assert clean_body(body) == "Brokers cannot financial advice anyone. This is"
