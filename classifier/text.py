"""Clean an article before featurisation: what the publisher wrapped around it is not the article.

Pages arrive with HTML, disclaimers, "The post … appeared first on …",
share buttons and "You may also like" teasers of unrelated stories. A teaser
about a PBoC crackdown under an article about Pakistan's bitcoin reserve must
not flip its label, so everything from a teaser heading on is dropped.

Pure functions only: the fitted model calls them as a pipeline step, so
training and serving clean text the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import ahocorasick_rs

#: Characters of body text the model reads. The guide decides on the headline
#: and lead; the rest of a long page costs time and adds noise.
BODY_CHARS = 1_500

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,2000}>", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"https?://\S+|www\.\S+")

# A teaser or "more stories" heading on a line of its own: it and all after it are not the article.
_TEASER = re.compile(
    r"(?im)^[ \t]*(?:you may also like|related(?: articles| posts| news| stories| reading)?|"
    r"read more|read also|recommended(?: for you)?|more (?:news|stories)|also read|"
    r"trending(?: now)?|latest news|popular posts?|more from)[ \t]*:?[ \t]*$"
)
_TEASER_HINTS = ("like", "related", "read", "recommended", "more", "trending", "latest", "popular")

# Boilerplate wherever it occurs, each rule gated by a literal that must be present:
# a substring test on the lowercased text is far cheaper than running every regex. Where every
# match holds that literal, the regex runs only around its occurrences: `before` is how far a
# match can start ahead of the literal, `after` how far it can run past it (None: to the end
# of the line); None for both runs the regex over the whole text.
_BOILERPLATE = [
    (hint, re.compile(p, re.IGNORECASE | re.DOTALL), before, after)
    for hint, p, before, after in (
        ("appeared first on", r"the post\b.{0,300}?\bappeared first on\b[^.\n]{0,80}\.?", 320, 100),
        ("disclaimer", r"\bdisclaimer\s*:[^\n]*", 0, None),
        ("disclosure", r"\bdisclosure\s*:[^\n]*", 0, None),
        (
            "this article",
            r"this article (?:does not|is not intended to|is for informational)[^.\n]*\.?",
            0,
            None,
        ),
        (
            "intended",
            r"(?:not|nor is it) (?:offered or )?intended (?:to be used )?as "
            r"(?:legal|financial|investment)[^.\n]*\.?",
            30,
            None,
        ),
        (
            "do their own research",
            r"(?:readers|users) (?:should|must) do their own research[^.\n]*\.?",
            20,
            None,
        ),
        # matches "not financial advice" too, which lacks the literal: the whole text. "no" comes
        # first and the word boundary is checked behind it: where the boundary comes first the
        # regex tries it at every character, at twice the cost
        (
            "investment advice",
            r"no(?<=\bno)[tr] (?:constitute )?(?:financial |investment )+advice[^.\n]*\.?",
            None,
            None,
        ),
        ("follow us on", r"follow us on (?:twitter|x|facebook|telegram)[^.\n]*\.?", 0, None),
        (
            "featured image",
            r"featured image (?:from|created with|by)[^\n]*?(?:tradingview(?:\.com)?|\n|$)\.?",
            0,
            None,
        ),
        (
            "chasing new coins",
            r"🚀 are you chasing new coins\?.*?click here to discover new altcoins!",
            None,
            None,
        ),
        ("share", r"\b(?:share (?:this )?(?:article|post|on)|click to share)\b[^\n]{0,80}", 9, 120),
        ("newsletter", r"\b(?:subscribe to|sign up for) (?:our|the) newsletter[^.\n]*\.?", 20, None),
        ("bitcoinworld", r"^\s*bitcoinworld\b", None, None),
    )
]


# British spellings of stance words, mapped to the American ones most of the corpus uses,
# so that "grants a licence" reads like "grants a license".
_SPELLING = re.compile(
    r"(?i)\b(?:(licen)ce(s|d)?|(legali|authori|recogni|criminali|decriminali|tokeni|regulari|organi|"
    r"categori|stabili|penali|formali|capitali|normali|harmoni|digiti)s(e|es|ed|ing|ation|ations))\b"
)


def _american(match: re.Match) -> str:
    if match.group(1):
        return f"{match.group(1)}se{match.group(2) or ''}"
    return f"{match.group(3)}z{match.group(4)}"


_SPELLING_HINTS = (
    "licenc",
    "alis",
    "oris",
    "ognis",
    "kenis",
    "laris",
    "ganis",
    "goris",
    "bilis",
    "monis",
    "gitis",
)


_SPELLING_SCAN = ahocorasick_rs.AhoCorasick(list(_SPELLING_HINTS))


_HINTS = (*_TEASER_HINTS, *(hint for hint, *_ in _BOILERPLATE), *_SPELLING_HINTS)
_FIRST_SPELLING_HINT = len(_HINTS) - len(_SPELLING_HINTS)
#: every hint of the teaser, boilerplate and spelling rules in one automaton: one pass over the
#: lowered text tells which rules can match, where one substring test per hint cost ~1 us each
_HINT_SCAN = ahocorasick_rs.AhoCorasick(list(_HINTS), matchkind=ahocorasick_rs.MatchKind.Standard)


def _hints_in(lowered: str) -> list[tuple[int, int]]:
    """(index into _HINTS, end) of every occurrence of a hint."""
    return [(i, end) for i, _, end in _HINT_SCAN.find_matches_as_indexes(lowered, overlapping=True)]


def _lowered_in_step(text: str, lowered: str) -> bool:
    """Whether hints found in `lowered` are where the case-blind regexes would match in `text`.

    Not where lower() changed the length (İ -> i̇), nor where the text holds one of the two
    letters that a case-blind regex reads as an ASCII one but lower() leaves as they are
    (ı for i, ſ for s).
    """
    return len(lowered) == len(text) and "ı" not in text and "ſ" not in text


def _first_teaser(body: str, lowered: str, found: list[tuple[int, int]]) -> re.Match | None:
    """`_TEASER.search(body)`, tried only at the starts of the lines that hold a teaser hint.

    Every teaser heading holds a hint and fills its line, so the first line where the heading
    matches is where the search over the whole text would stop; searching it all cost ~17 us.
    """
    if not _lowered_in_step(body, lowered):
        return _TEASER.search(body)
    starts = {lowered.rfind("\n", 0, end - len(_HINTS[i])) + 1 for i, end in found if i < len(_TEASER_HINTS)}
    for start in sorted(starts):
        match = _TEASER.match(body, start)
        if match:
            return match
    return None


def _sub_near(body: str, lowered: str, hint: str, pattern: re.Pattern, before: int, after: int | None) -> str:
    """`pattern.sub(" ", body)`, searching only around the occurrences of `hint` in `lowered`."""
    pieces: list[str] = []
    last, at = 0, lowered.find(hint)
    while at >= 0:
        if after is None:
            end = lowered.find("\n", at)
            end = len(body) if end < 0 else end + 1
        else:
            end = min(len(body), at + len(hint) + after)
        # a match that must start at the hint is tried there alone, not searched for up to `end`
        find = pattern.match if before == 0 else pattern.search
        match = find(body, max(last, at - before), end)
        # a match that starts past this occurrence holds a later one: found again, in its own bounds
        if match and match.start() <= at:
            pieces += [body[last : match.start()], " "]
            last = match.end()
        at = lowered.find(hint, max(last, at + 1))
    if not pieces:
        return body
    pieces.append(body[last:])
    return "".join(pieces)


def american_spelling(text: str) -> str:
    """British stance spellings made American, the regex run only on the words that hold a hint.

    Every match is one word holding a hint, so substituting word by word gives the answer of
    one pass over the text, which cost ~140 us on a 1,500-character lead.
    """
    lowered = text.lower()
    hits = _SPELLING_SCAN.find_matches_as_indexes(lowered)
    if not hits:
        return text
    if not _lowered_in_step(text, lowered):
        return _SPELLING.sub(_american, text)
    pieces: list[str] = []
    last = 0
    for _, start, end in hits:
        if end <= last:  # inside a word already done
            continue
        while start > last and _is_word_char(text[start - 1]):
            start -= 1
        while end < len(text) and _is_word_char(text[end]):
            end += 1
        pieces += [text[last:start], _SPELLING.sub(_american, text[start:end])]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _is_word_char(char: str) -> bool:
    """What the regex's \\b reads as part of a word (\\w: alphanumeric or underscore)."""
    return char.isalnum() or char == "_"


def strip_html(text: str) -> str:
    """Tags out, entities decoded; a page scraped as HTML reads as its text."""
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def strip_boilerplate(body: str) -> str:
    """Drop teasers (and all after them) and publisher boilerplate from an article body."""
    return _strip_boilerplate(body)[0]


def _strip_boilerplate(body: str) -> tuple[str, bool]:
    """`strip_boilerplate`, and whether the body held a British-spelling hint.

    Cleaning only cuts text or replaces it with spaces, and no hint holds a space, so a body
    without a hint cleans to a text without one: `american_spelling` need not lower and scan it
    again (95 % of the 2025 pool's bodies).
    """
    lowered = body.lower()
    found = _hints_in(lowered)
    spelling = any(i >= _FIRST_SPELLING_HINT for i, _ in found)
    if any(i < len(_TEASER_HINTS) for i, _ in found):
        teaser = _first_teaser(body, lowered, found)
        if teaser:
            body = body[: teaser.start()]
            lowered = lowered[: teaser.start()]
            found = [(i, end) for i, end in found if end <= len(lowered)]
    present = {_HINTS[i] for i, _ in found}
    for hint, pattern, before, after in _BOILERPLATE:
        if hint in present:
            # where lower() moved positions or folds case otherwise than the regex, search it all
            if before is None or not _lowered_in_step(body, lowered):
                cleaned = pattern.sub(" ", body)
            else:
                cleaned = _sub_near(body, lowered, hint, pattern, before, after)
            if cleaned != body:  # the rules after this one read the text as it is now
                body, lowered = cleaned, cleaned.lower()
                present = {_HINTS[i] for i, _ in _hints_in(lowered)}
    return body, spelling


def clean_body(body: str, max_chars: int = BODY_CHARS) -> str:
    """Body text as the model reads it: no HTML, no boilerplate, no urls, the lead only."""
    text = strip_html(body)
    # Only the lead is read: cut a generous window first so that long pages cost no more
    # than short ones (boilerplate removed inside the window can at most halve it).
    text, spelling = _strip_boilerplate(text[: 3 * max_chars])
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    text = _collapse_spaces(text, max_chars)
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
    return american_spelling(text) if spelling else text


def _collapse_spaces(text: str, max_chars: int) -> str:
    """`" ".join(text.split())`, or a prefix of it longer than `max_chars`: all that is read.

    The collapse of any prefix of a text is a prefix of the collapse of the whole (a word cut
    at the end is a prefix of the word), so a raw prefix that collapses past `max_chars`
    gives the same first `max_chars` characters, and the same answer to "is it longer".
    """
    if len(text) > 2 * max_chars:
        head = " ".join(text[: max_chars + max_chars // 4].split())
        if len(head) > max_chars:
            return head
    return " ".join(text.split())


def clean_headline(headline: str) -> str:
    return american_spelling(" ".join(_URL.sub(" ", strip_html(headline)).split()))


def split_text(text: str) -> tuple[str, str]:
    """A single text is read as its first line (the headline) and the rest (the body).

    A one-line text is all headline: a headline alone, or a one-line lede, is
    then read by the same features that read headlines in training.
    """
    text = text.strip()
    head, _, rest = text.partition("\n")
    return head, rest


def clean_articles(headlines: Iterable[str], bodies: Iterable[str]) -> tuple[list[str], list[str]]:
    """Clean parallel columns of headlines and bodies."""
    return [clean_headline(h) for h in headlines], [clean_body(b) for b in bodies]


_REST = re.compile(r"(?s).+")


def dropped_ranges(text: str, *, boilerplate: bool = True) -> list[tuple[int, int, str]]:
    """Where in `text`, as submitted, the cleaner drops characters: (start, end, reason).

    For the evidence shown beside a label: what the model never read. Reasons:
    "markup" (HTML tags, scripts), "teaser" (a teaser heading and all after it),
    "boilerplate" (disclaimers, "appeared first on", share lines) and "url";
    `boilerplate=False` finds only markup and urls, as `clean_headline` drops.
    The patterns are `clean_body`'s, run on a copy in which each range found is
    blanked with as many spaces, so offsets stay those of `text`. Exact for plain
    text; in HTML, entities are left undecoded. Ranges are trimmed of whitespace,
    merged where they overlap, and in order.
    """
    found: list[tuple[int, int, str]] = []

    def blanker(reason: str):
        def blank(match: re.Match) -> str:
            part = match.group()
            start = match.start() + len(part) - len(part.lstrip())
            end = match.end() - len(part) + len(part.rstrip())
            if end > start:
                found.append((start, end, reason))
            return " " * len(part)

        return blank

    masked = text
    if "<" in masked and ">" in masked:
        masked = _TAG.sub(blanker("markup"), masked)
    if boilerplate:
        teaser = _TEASER.search(masked)
        if teaser:  # the heading and everything after it
            masked = masked[: teaser.start()] + blanker("teaser")(_REST.match(masked, teaser.start()))
        lowered = masked.lower()
        for hint, pattern, _, _ in _BOILERPLATE:
            if hint in lowered:
                masked = pattern.sub(blanker("boilerplate"), masked)
    if "http" in masked or "www." in masked:
        masked = _URL.sub(blanker("url"), masked)
    merged: list[tuple[int, int, str]] = []
    for start, end, reason in sorted(found):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, reason))
    return merged
