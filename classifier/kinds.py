"""Names read as their kind: "Pakistan" as "country", "SEC" as "regulator", "Powell" as "centralbank".

The stance model should learn what authorities *do*, not who they are: v0.1 learned that
"sec" leans adoption because 2025's news about the SEC did. Reading each one-word name of
the jurisdiction gazetteer (`classifier.gazetteer`: pycountry, countryinfo and the project's
authority table) as the word for its kind keeps "sues", "bans", "approves" and "reserve" as
the evidence, and lets a model trained on one year's actors read another year's.

Only one-word aliases are mapped, and only where the word is not also an ordinary word of
the news: a word that the training texts mostly write in lower case mid-sentence ("house",
"reserve", "fund", "us") keeps its own meaning. The map is built when a model is fitted and
saved inside it.
"""

from __future__ import annotations

import re

#: The word each kind of name is read as: single tokens, none of them a stop word.
KIND_WORDS = {
    "country": "country",
    "subdivision": "state",
    "demonym": "national",
    "metonym": "government",
    "government": "government",
    "regulator": "regulator",
    "central bank": "centralbank",
    "legislature": "legislature",
    "court": "court",
    "police": "police",
    "prosecutors": "prosecutors",
    "tax authority": "taxauthority",
}
_WORD = re.compile(r"[^\W\d_]{2,}")
_FUNCTION_WORDS = {"of", "the", "and", "de", "la", "du", "des", "del", "da", "do", "di", "al", "on"}
# a word not at the start of a sentence or line
_MID_SENTENCE = re.compile(r"(?<![.!?:]\s)(?<!^)\b([^\W\d_]{2,})\b", re.MULTILINE)


def common_words(texts: list[str], share: float = 0.5) -> set[str]:
    """Lower-cased words written in lower case in at least `share` of their mid-sentence uses."""
    seen: dict[str, int] = {}
    lower: dict[str, int] = {}
    for text in texts:
        for word in _MID_SENTENCE.findall(text):
            key = word.lower()
            seen[key] = seen.get(key, 0) + 1
            lower[key] = lower.get(key, 0) + (word == key)
    return {w for w, n in seen.items() if lower[w] >= share * n}


def name_kinds(common: set[str]) -> dict[str, str]:
    """Lower-cased one-word name -> the word for its kind, except words in `common`."""
    from classifier.gazetteer import (
        AUTHORITY,
        BLOCK,
        COUNTRY,
        DEMONYM,
        GENERIC,
        KIND_NAMES,
        METONYM,
        SUBDIVISION,
        build_gazetteer,
    )

    PRECEDENCE = (AUTHORITY, METONYM, COUNTRY, DEMONYM, SUBDIVISION)
    gazetteer = build_gazetteer()
    out: dict[str, str] = {}
    places = (COUNTRY, SUBDIVISION, DEMONYM, METONYM)
    for key, (written, _, entries) in gazetteer.aliases.items():
        if any(e.kind in (BLOCK, GENERIC) for e in entries):
            continue
        if not _WORD.fullmatch(written):
            # a place of several words ("El Salvador", "Hong Kong"): each of its words that is no
            # ordinary word of the news ("el", "salvador"; not "united", "states", "south")
            if all(e.kind in places for e in entries):
                words = [w.lower() for w in _WORD.findall(written)]
                kind = KIND_WORDS[KIND_NAMES[min(entries, key=lambda e: PRECEDENCE.index(e.kind)).kind]]
                for w in words:
                    if w not in common and w not in _FUNCTION_WORDS:
                        out.setdefault(w, kind)
            continue
        if key in common:
            continue
        # one name, several readings ("Washington": the US government, or the state): the
        # reading news means most often wins
        ranked = sorted(entries, key=lambda e: PRECEDENCE.index(e.kind) if e.kind in PRECEDENCE else 99)
        best = ranked[0]
        kind = best.generic if best.kind == AUTHORITY else KIND_NAMES[best.kind]
        if best.kind in PRECEDENCE and kind in KIND_WORDS:
            out[key] = KIND_WORDS[kind]
    return out
