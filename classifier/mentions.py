"""Find the authorities and places an article names, and describe each as a candidate actor.

One Aho-Corasick pass (ahocorasick_rs, a DFA in Rust) over the lowercased headline
and over the body finds every alias of the gazetteer and every stance-bearing term at
once (the stance model's actor indicators make the same passes over the same cleaned
texts, and scoring hands them over); Python then only walks the few matches. Each distinct (jurisdiction,
authority) named becomes a candidate with a row of features: where it stands
(headline, lead, how early), what kind of name it is, how near the
stance-bearing words it sits, and how much else in the article points to the
same jurisdiction. The extractor's ranker scores these rows.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import ahocorasick_rs
import numpy as np

from classifier.gazetteer import (
    AUTHORITY,
    BLOCK,
    COUNTRY,
    DEMONYM,
    GENERIC_KINDS,
    METONYM,
    SUBDIVISION,
    Entry,
    Gazetteer,
)

#: A place this close before an authority or a generic word qualifies it: "Nigeria's SEC",
#: "Chinese police", "South Korean prosecutors", "Texas lawmakers".
_BINDING_GAP = {"", " ", "'s ", "’s ", "' ", "’ ", "-"}
_LOCATED = (" based", "-based", "-headquartered", "-listed", "-registered")
#: Kinds of candidate, by the strongest mention behind it.
CANDIDATE_KINDS = ("authority", "bound", "inferred", "country", "subdivision", "demonym", "metonym")
_KIND_OF = {AUTHORITY: 0, COUNTRY: 3, SUBDIVISION: 4, DEMONYM: 5, METONYM: 6}
#: The kind_* feature values of every set of kinds, by its bit mask.
_KIND_FLAGS = [
    tuple(float(mask >> kind & 1) for kind in range(len(CANDIDATE_KINDS)))
    for mask in range(1 << len(CANDIDATE_KINDS))
]
FEATURES = (
    "in_headline",
    "headline_position",
    "lead_position",
    "log_mentions",
    *(f"kind_{k}" for k in CANDIDATE_KINDS),
    "headline_stance_distance",
    "lead_stance_distance",
    "is_int",
    "is_eu",
    "is_subdivision",
    "log_same_jurisdiction",
    "generic_authority",
    "order",
    "first_in_headline",
    "after_preposition",
    "headline_starts_with_it",
    "jurisdiction_share",
    "in_first_sentence",
    "log_pull",
    "pull_share",
    "log_rest_pull",
    "rest_pull_share",
    "total_pull_share",
    "name_toward",
    "name_regulatory",
    "name_toward_is_max",
    "first_in_lead",
    "coordinated_first_in_lead",
    "former",
    "owns_or_locates",
    "unplaced",
)


@dataclass(slots=True)
class Candidate:
    """One actor an article may be about, with what the ranker needs to know of it."""

    jurisdiction: str
    authority: str
    kinds: set[int]  # indices into CANDIDATE_KINDS of the mentions behind it
    first: int  # char offset of its first mention in headline + "\n" + body
    mentions: int
    headline_first: int  # -1 when not in the headline
    lead_first: int  # offset within the lead, -1 when not there
    headline_stance: float
    lead_stance: float
    after_preposition: int  # flags (see `_flags`) that every mention of it carries
    pull: float = 0.0  # stance weight of the terms near its mentions (see `candidates`)
    rest_pull: float = 0.0  # the same for its jurisdiction, in the body after the lead
    name_toward: float = 0.0  # the stance model's weight for its name, toward this article's stance
    name_regulatory: float = 0.0  # ... and away from neutral


class Matcher:
    """The gazetteer and the stance terms compiled into one automaton.

    Parameters
    ----------
    gazetteer : Gazetteer
    stance_terms : sequence of str
        Lowercased words and phrases that carry a stance ("ban", "approves").
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        stance_terms: tuple[str, ...] = (),
        name_weights: dict[str, tuple[float, ...]] | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.payloads: list[tuple[str, bool, tuple[Entry, ...], tuple[Entry, ...]]] = []
        #: payload -> the payloads of its other spellings, tried when its case does not match
        self.alternates: dict[int, list[int]] = {}
        # the stance model's own weights for each name, (adoption, neutral, restriction) in the
        # headline then in the body; zeros for names it has no feature for
        weights = name_weights or {}
        self.name_weights: list[tuple[float, ...]] = []
        # pattern -> what it stands for; a pattern written twice keeps its last meaning
        words: dict[str, tuple[int, int, int, int, bool]] = {}
        keys = set(gazetteer.aliases) | set(gazetteer.local)
        for key in sorted(keys):
            written, sensitive, entries = gazetteer.aliases.get(key, ("", False, ()))
            local_written, local_sensitive, local = gazetteer.local.get(key, ("", False, ()))
            if not entries:
                written, sensitive = local_written, local_sensitive
            payload = len(self.payloads)
            self.payloads.append((written, sensitive, entries, local))
            key_weights = tuple(float(x) for x in weights.get(key, (0.0,) * 6))
            self.name_weights.append(key_weights)
            for other, other_sensitive, other_entries in gazetteer.variants.get(key, ()):
                self.alternates.setdefault(payload, []).append(len(self.payloads))
                self.payloads.append((other, other_sensitive, other_entries, local))
                self.name_weights.append(key_weights)
            if len(key) <= 4 and key.isalnum():
                # short names ("us", "ed", "bi") only where a word starts: anywhere, they fire
                # inside most words only to be thrown away
                for before in _WORD_STARTS:
                    words[before + key] = (_NAME, payload, len(key), 0, False)
            else:
                words[key] = (_NAME, payload, len(key), 0, False)
        # the stance terms in the same automaton, one pass for both; all matches are read
        # (overlapping), so a term such as "sec charges" cannot hide the name inside it. Short
        # words ("ban", "act", "sign") are spelt out between boundaries, or they fire inside
        # "bank", "action", "signal" only to be thrown away.
        for index, term in enumerate(stance_terms):
            if len(term) <= 5 and term.isalpha():
                for before in _TERM_STARTS:
                    for after in _TERM_ENDS:
                        words[before + term + after] = (_TERM, index, len(term), 1, True)
            elif term not in words:
                words[term] = (_TERM, index, len(term), 0, False)
        # per payload whose case matters, the payload each spelling found in the text stands for
        # (its own or another's), and what any other spelling stands for (-1: no name)
        self.case_forms: list[dict[str, int]] = [{} for _ in self.payloads]
        self.case_default: list[int] = [-1] * len(self.payloads)
        for payload, (_, sensitive, _, _) in enumerate(self.payloads):
            if sensitive:
                self.case_forms[payload], self.case_default[payload] = self._case_table(payload)
        #: what each pattern of the automaton stands for: (kind, payload or term index, characters
        #: from the name's or term's end to the match's end, its length, whether its boundaries are
        #: spelt out, and whether case matters: for a name, `case_forms` then says which)
        meanings = [
            (what, value, 1 + tail, length, bounded, what == _NAME and self.payloads[value][1])
            for what, value, length, tail, bounded in words.values()
        ]
        # The automaton reads the text with every character outside ASCII written "?" (one byte
        # each, so offsets hold), and its patterns so written too: they then hold 50 distinct
        # bytes, not 138, and the DFA takes 12 MB, not 49, which costs the rest of scoring far
        # fewer cache misses. A pattern holding "?" may stand for several (“us, ‘us)
        # or for none of what it matches ("ban“"): `folded` holds, per such pattern, the meaning
        # of each text it stands for, checked against the text itself.
        patterns: dict[bytes, int] = {}
        self.meanings: list[tuple[int, int, int, int, bool, bool]] = []
        self.folded: dict[int, dict[str, tuple[int, int, int, int, bool, bool]]] = {}
        for original, meaning in zip(words, meanings, strict=True):
            ascii_form = original.encode("ascii", "replace")
            index = patterns.setdefault(ascii_form, len(patterns))
            if index == len(self.meanings):
                self.meanings.append(meaning)  # read as it is where the pattern holds no "?"
            if b"?" in ascii_form:
                self.folded.setdefault(index, {})[original] = meaning
        # a DFA: the fastest of the library's automata to search, built in ~0.1 s
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            list(patterns),
            matchkind=ahocorasick_rs.MatchKind.Standard,
            implementation=ahocorasick_rs.Implementation.DFA,
        )

    def matches(self, text: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
        """Names as (start, end, payload), whole words, leftmost-longest, case checked; and the
        (start, term index) of every stance term."""
        lower = f" {text.lower()} "  # spaces around, so that a word may start or end the text
        if len(lower) != len(text) + 2:  # a few characters lowercase to two; keep offsets aligned
            lower = " " + "".join(c.lower()[:1] or c for c in text) + " "
        found, stance = [], []
        meanings, case_forms, case_default = self.meanings, self.case_forms, self.case_default
        folded = self.folded
        scanned = lower.encode("ascii", "replace")
        for pattern, start_index, end_index in self.automaton.find_matches_as_indexes(
            scanned, overlapping=True
        ):
            if pattern in folded:
                meaning = folded[pattern].get(lower[start_index:end_index])
                if meaning is None:
                    continue
                what, value, back, length, bounded, sensitive = meaning
            else:
                what, value, back, length, bounded, sensitive = meanings[pattern]
            end = end_index - back  # in `text`, which is one shorter at the front
            start = end - length
            if not bounded and (lower[end + 1].isalnum() or lower[start].isalnum()):
                continue
            if what == _TERM:
                stance.append((start, value))
                continue
            if sensitive:
                value = case_forms[value].get(text[start:end], case_default[value])
                if value < 0:
                    continue
            found.append((start, end, value))
        if len(found) < 2:
            return found, stance
        names, last_end = [], -1  # leftmost-longest: "U.S. SEC" is one name, not "SEC" inside it
        for match in sorted(found, key=_leftmost_longest):
            if match[0] >= last_end:
                names.append(match)
                last_end = match[1]
        return names, stance

    def _case_table(self, payload: int) -> tuple[dict[str, int], int]:
        """Each spelling `_case_forms` accepts for the name or, failing it, for its other
        spellings in turn, mapped to the payload it stands for; and the payload of the first
        other spelling whose case does not matter (any spelling is that one), else -1."""
        forms: dict[str, int] = {}
        for other in [payload, *self.alternates.get(payload, ())]:
            written, sensitive = self.payloads[other][0], self.payloads[other][1]
            if not sensitive:
                return forms, other
            for form in _case_forms(written):
                forms.setdefault(form, other)
        return forms, -1


_NAME, _TERM = 0, 1
#: What may come right before a short name, lowercased text having a space put first.
_WORD_STARTS = (" ", "\n", "(", '"', "'", "“", "‘", "-", "/", "$", "#", "@", "[")
#: ... and right before and after a short stance word.
_TERM_STARTS = (" ", "\n", '"', "'", "“", "(")
_TERM_ENDS = (" ", ".", ",", ":", ";", "\n", "'", "’", ")", "?", "!")


def _case_forms(written: str) -> tuple[str, ...]:
    """The spellings of a name whose case matters: "SEC" matches "SEC" (and "SEC" in an
    all-caps headline), not "sec"; "Fed" matches "Fed" and "FED", "Treasury" also "Treasury"
    in a headline in title case."""
    return (written, written.upper(), " ".join(w[:1].upper() + w[1:] for w in written.split(" ")))


def _leftmost_longest(match: tuple[int, int, int]) -> tuple[int, int]:
    return match[0], -match[1]


def _distance(positions: list[int], at: int) -> float:
    if not positions or at < 0:
        return 3.0
    nearest = abs(positions[0] - at)
    for p in positions:
        if abs(p - at) < nearest:
            nearest = abs(p - at)
    return min(3.0, nearest / 50.0)


#: What `Matcher.matches` gives for one text: its names (start, end, payload) and its stance
#: terms (start, term index).
Scan = tuple[list[tuple[int, int, int]], list[tuple[int, int]]]


def candidates(
    matcher: Matcher,
    headline: str,
    body: str,
    *,
    lead_chars: int,
    reach_chars: int = 0,
    term_weights: list[list[float]] | None = None,
    stance_mix: tuple[float, float, float] | None = None,
    scanned: tuple[Scan, Scan] | None = None,
) -> list[Candidate]:
    """Every actor the headline and the lead (the names that start in the body's first
    `lead_chars`) name, merged by (jurisdiction, authority).

    `stance_mix` is the article's stance probabilities (adoption, neutral, restriction).
    `term_weights` (per stance term, its adoption and restriction weights) mixed by them
    say how hard each term pushes toward this article's stance, and give each candidate
    its `pull`: the weights of the stance terms near each of its mentions, decaying with
    distance. The actor a stance is about sits where the words that carry it are ("the
    government is setting aside 2,000 MW"). The body after the lead, up to `reach_chars`,
    names no new candidates; where the headline and lead name more than one
    jurisdiction, it adds its pull to each (`rest_pull`). The mix also weighs what the
    stance model itself learnt of each name: `name_toward`, how hard the name pushes
    toward this article's stance, and `name_regulatory`, how far it pushes from neutral.

    `scanned` is `matcher.matches` of the headline and of the whole body, where the caller
    has them already (the stance model's actor indicators scan the same cleaned texts with
    the same matcher: `classifier.actors.Scans`); without it both are scanned here. Either
    way the body is scanned whole and cut by where each name starts, so the two agree.
    """
    (head_named, head_terms), (body_named, body_terms) = (
        scanned if scanned is not None else (matcher.matches(headline), matcher.matches(body))
    )
    split = len(headline)
    offset = split + 1  # offsets below are in `text`: the headline, a newline, the body
    named = head_named + [(s + offset, e + offset, p) for s, e, p in body_named if s < lead_chars]
    if not named:
        return []
    stance_found = head_terms + [(s + offset, i) for s, i in body_terms if s < lead_chars]
    text = f"{headline}\n{body}"
    gaz = matcher.gazetteer
    mix = (1 / 3, 1 / 3, 1 / 3) if stance_mix is None else stance_mix
    head_stance = [s for s, _ in stance_found if s < split]
    lead_stance = [s for s, _ in stance_found if s > split]
    # the headline's words pull the headline's names, the lead's the lead's
    head_weighted: list[tuple[int, float]] = []
    lead_weighted: list[tuple[int, float]] = []
    if term_weights is not None:
        for at, weight in _pushing(stance_found, term_weights, mix):
            (head_weighted if at < split else lead_weighted).append((at, weight))

    raw: list[
        tuple[str, str, int, int, int, int]
    ] = []  # jurisdiction, authority, kind, start, after_prep, payload
    places: list[tuple[int, str]] = []  # (start, jurisdiction) of every place named
    pending: list[tuple[int, Entry, int, int]] = []  # unbound generic words, bound later to a place
    bound_to_next = -1
    for i, (start, end, payload) in enumerate(named):
        _, _, entries, local = matcher.payloads[payload]
        if i == bound_to_next:
            continue
        entry = entries[0] if entries else None
        if entry is not None and entry.kind == BLOCK:
            continue
        if entry is not None and entry.kind in (COUNTRY, SUBDIVISION, DEMONYM, METONYM):
            if text.startswith(_LOCATED, end) and not text.startswith(" based on", end):
                continue  # "a Dubai-based exchange" says where a company sits, not who acts
            nxt = named[i + 1] if i + 1 < len(named) else None
            if nxt is not None and text[end : nxt[0]] in _BINDING_GAP and nxt[0] - end <= 3:
                bound = _bind(gaz, entry.jurisdiction, matcher.payloads[nxt[2]])
                if bound is not None:
                    raw.append(
                        (entry.jurisdiction, bound, 1, start, _flags(text, start, end, False), payload)
                    )
                    places.append((start, entry.jurisdiction))
                    bound_to_next = i + 1
                    continue
            places.append((start, entry.jurisdiction))
            authority = entry.authority if entry.kind == METONYM else "government"
            raw.append(
                (
                    entry.jurisdiction,
                    authority,
                    _KIND_OF[entry.kind],
                    start,
                    _flags(text, start, end, True),
                    payload,
                )
            )
        elif (entry is not None and entry.kind == AUTHORITY) or local:
            # "the Securities and Exchange Commission of Thailand", "the central bank of Iran"
            nxt = named[i + 1] if i + 1 < len(named) else None
            if nxt is not None and text[end : nxt[0]] in (" of ", " of the "):
                place = matcher.payloads[nxt[2]][2]
                if place and place[0].kind in (COUNTRY, SUBDIVISION, METONYM):
                    bound = _bind(gaz, place[0].jurisdiction, matcher.payloads[payload])
                    if bound is not None:
                        raw.append(
                            (place[0].jurisdiction, bound, 1, start, _flags(text, start, end, False), nxt[2])
                        )
                        places.append((nxt[0], place[0].jurisdiction))
                        bound_to_next = i + 1
                        continue
            if entry is not None and entry.kind == AUTHORITY:
                raw.append(
                    (entry.jurisdiction, entry.authority, 0, start, _flags(text, start, end, False), payload)
                )
            else:
                pending.append((start, local[0], payload, _flags(text, start, end, False)))
    for start, word, payload, flags in pending:  # "the government", "regulators": the nearest place before
        before = [j for s, j in places if s < start]
        after = [j for s, j in places if s > start]
        jurisdiction = before[-1] if before else (after[0] if after else None)
        if jurisdiction is None:
            # no place named at all ("Former OpenSea employee charged"): in this news that is
            # mostly the US; flagged so the ranker and the gate learn how far to trust it
            jurisdiction, flags = "US", flags | 8
        raw.append((jurisdiction, gaz.canonical(jurisdiction, word.generic), 2, start, flags, payload))

    merged: dict[tuple[str, str], Candidate] = {}
    name_weights = matcher.name_weights
    for jurisdiction, authority, kind, start, after_prep, payload in raw:
        key = (jurisdiction, authority)
        in_head = start < split
        c = merged.get(key)
        if c is None:
            c = merged[key] = Candidate(
                jurisdiction, authority, set(), start, 0, -1, -1, 3.0, 3.0, after_prep
            )
        c.mentions += 1
        c.kinds.add(kind)
        w = name_weights[payload]
        if in_head:
            a, n, r = w[0], w[1], w[2]
        else:
            a, n, r = w[3], w[4], w[5]
        toward = a * mix[0] + r * mix[2]
        if toward > c.name_toward:
            c.name_toward = toward
        if -n > c.name_regulatory:
            c.name_regulatory = -n
        for at, weight in head_weighted if in_head else lead_weighted:
            c.pull += weight * math.exp(-abs(at - start) / 80.0)
        if in_head:
            if c.headline_first < 0:
                c.headline_first = start
                c.headline_stance = _distance(head_stance, start)
        elif c.lead_first < 0:
            c.lead_first = start - split - 1
            c.lead_stance = _distance(lead_stance, start)
        c.after_preposition = c.after_preposition & after_prep
    # a former office ("ex-SEC chair") or a place that only owns or locates something
    # ("Australia's largest bank", "a Texas man") in every mention is no actor at all
    out = [c for c in merged.values() if not c.after_preposition & 6]
    # the rest of the body only settles a choice between jurisdictions: read it only then
    if reach_chars > lead_chars and term_weights is not None and len({c.jurisdiction for c in out}) > 1:
        rest_named = [m for m in body_named if lead_chars <= m[0] < reach_chars]
        rest_stance = [t for t in body_terms if lead_chars <= t[0] < reach_chars]
        pull = _rest_pull(
            matcher, rest_named, rest_stance, term_weights, mix, places[-1][1] if places else None
        )
        for c in out:
            c.rest_pull = pull.get(c.jurisdiction, 0.0)
    return out


def _pushing(
    stance_found: list[tuple[int, int]], term_weights: list[list[float]], mix: tuple[float, float, float]
) -> list[tuple[int, float]]:
    """(start, weight) of each stance term found that pushes toward this article's stance: its
    adoption and restriction weights mixed by the article's probabilities of those labels."""
    out: list[tuple[int, float]] = []
    for at, i in stance_found:
        adoption, restriction = term_weights[i]
        weight = adoption * mix[0] + restriction * mix[2]
        if weight > 0:
            out.append((at, weight))
    return out


def _rest_pull(
    matcher: Matcher,
    named: list[tuple[int, int, int]],
    stance_found: list[tuple[int, int]],
    term_weights: list[list[float]],
    mix: tuple[float, float, float],
    last_place: str | None,
) -> dict[str, float]:
    """Per jurisdiction, the stance weight of the terms near its mentions in the rest of the body."""
    weighted = _pushing(stance_found, term_weights, mix)
    if not weighted or not named:
        return {}
    pull: dict[str, float] = {}
    place = last_place
    for start, _, payload in named:
        _, _, entries, local = matcher.payloads[payload]
        if entries and entries[0].kind == BLOCK:
            continue
        if entries:
            jurisdiction = entries[0].jurisdiction
            if entries[0].kind != AUTHORITY:
                place = jurisdiction
        elif local and place is not None:
            jurisdiction = place  # "the government": the last place named
        else:
            continue
        near = sum(w * math.exp(-abs(at - start) / 80.0) for at, w in weighted)
        pull[jurisdiction] = pull.get(jurisdiction, 0.0) + near
    return pull


def _bind(gaz: Gazetteer, jurisdiction: str, payload: tuple) -> str | None:
    """The authority a place qualifies: "Nigeria's" + "SEC" -> SEC (Nigeria); "Chinese" + "police" -> police."""
    written, _, entries, local = payload
    for entry in entries:
        if entry.kind == AUTHORITY and entry.jurisdiction == jurisdiction:
            return entry.authority
    # the same name in the place's own table: "Thailand's SEC" -> SEC (Thailand)
    for key in (written.lower(), *(e.authority.lower() for e in entries if e.kind == AUTHORITY)):
        own = gaz.authorities.get((jurisdiction, key))
        if own is not None and own not in GENERIC_KINDS:
            return own
    generic = local[0].generic if local else None
    if generic is None:
        for entry in entries:
            if entry.kind == AUTHORITY:
                generic = entry.generic
                break
    if generic is None or generic not in GENERIC_KINDS:
        return None
    if local and local[0].authority not in GENERIC_KINDS:  # "Ministry of Finance" keeps its name
        return gaz.canonical(jurisdiction, local[0].authority)
    return gaz.canonical(jurisdiction, generic)


#: Words that, right after a place, make it a location or an owner, not an actor:
#: "Australia's largest bank", "Russian region", "a Texas man", "Chinese tech giants".
# fmt: off
_NON_ACTOR_NOUNS = frozenset((
    "bank", "banks", "banker", "bankers", "lender", "lenders", "company", "companies", "firm", "firms",
    "startup", "startups", "exchange", "exchanges", "platform", "platforms", "miner", "miners",
    "mining", "industry", "market", "markets", "economy", "investor", "investors", "trader", "traders",
    "user", "users", "citizens", "residents", "people", "man", "woman", "men", "women", "couple",
    "family", "families", "customers", "clients", "region", "regions", "city", "town", "village",
    "tech", "giant", "giants", "fintech", "fintechs", "crypto", "bitcoin", "btc", "stablecoin",
    "hacker", "hackers", "developer", "developers", "entrepreneur", "entrepreneurs", "businesses",
    "brand", "brands", "chain", "club", "orthodox", "church", "oligarch", "oligarchs", "expat",
    "expats", "fans", "players", "students", "gym", "hub", "pilot", "flood", "billionaire",
))
_NON_ACTOR_ADJECTIVES = (
    "largest", "biggest", "top", "leading", "major", "own", "local", "first", "state-owned",
    "state-run",
)
# fmt: on
_NON_ACTOR = re.compile(
    rf"(?:'s|’s)?\s+(?:(?:{'|'.join(_NON_ACTOR_ADJECTIVES)}) )?(?:{'|'.join(sorted(_NON_ACTOR_NOUNS))})\b",
    re.IGNORECASE,
)
#: The word after a place (and its "'s"), where _NON_ACTOR looks for its adjective or noun.
_NEXT_WORD = re.compile(r"(?:'s|’s)?\s+(\w+)", re.IGNORECASE)
#: What that word is where an adjective follows ("state" of "state-owned").
_ADJECTIVE_WORDS = frozenset(adjective.split("-")[0] for adjective in _NON_ACTOR_ADJECTIVES)
_FORMER = re.compile(r"(?:\b(?:ex|former|onetime|one-time|erstwhile|late)[- ])$", re.IGNORECASE)


def _flags(text: str, start: int, end: int, place: bool) -> int:
    """Why a mention may not be the actor: 1 after a preposition ("an exchange in Singapore"),
    2 a former office ("ex-SEC chair"), 4 a place owning or locating something else
    ("Australia's largest bank"); 8 (set by `candidates`) no place named at all."""
    before = text[max(0, start - 12) : start]
    flags = 0
    if place and before.lower().endswith((" in ", " from ", " across ", " to ", "\nin ")):
        flags |= 1
    # _FORMER ends in a word's last letter (x, r or e) and a space or hyphen: test that first
    maybe_former = len(before) > 2 and before[-1] in "- " and before[-2] in "xXrReE"
    if (maybe_former and _FORMER.search(before)) or (
        text.startswith("House", start) and before.endswith(("'s ", "’s "))
    ):
        flags |= 2  # "ex-SEC chair"; "Do Kwon's House" is his home
    if place and _non_actor(text, end):
        flags |= 4
    return flags


def _non_actor(text: str, end: int) -> bool:
    """`_NON_ACTOR.match(text, end)`, its ~80 nouns tried only where the next word may be one.

    The regex ends in a noun then a word boundary, so past an adjective it matches only where
    the whole next word is a noun: a set lookup answers for every other word, and the regex
    itself runs only after an adjective's first word, or on a word not in ASCII (whose case
    the regex may fold otherwise than lower()). It cost ~1.1 us a place.
    """
    found = _NEXT_WORD.match(text, end)
    if found is None:
        return False
    word = found.group(1)
    if not word.isascii():
        return _NON_ACTOR.match(text, end) is not None
    lowered = word.lower()
    if lowered in _NON_ACTOR_NOUNS:
        return True
    if lowered in _ADJECTIVE_WORDS:
        return _NON_ACTOR.match(text, end) is not None
    return False


def best_of(found: list[list[Candidate]], scores: list[float]) -> tuple[list[tuple[float, ...]], list[int]]:
    """What the none gate reads of each article's ranked candidates, (1, best score, the
    runner-up's, log1p(candidates)), and the row of `scores` (all articles' candidates, in
    order) of each best one: the first of equal scores, as argmax."""
    head: list[tuple[float, ...]] = []
    best_rows: list[int] = []
    start = 0
    for cands in found:
        k = len(cands)
        best, top, second = 0, scores[start], -math.inf
        for j in range(1, k):
            v = scores[start + j]
            if v > top:
                best, top, second = j, v, top
            elif v > second:
                second = v
        if k == 1:
            second = -5.0  # no runner-up
        head.append((1.0, top, second, math.log1p(k)))
        best_rows.append(start + best)
        start += k
    return head, best_rows


def actors(
    found: list[list[Candidate]],
    scores: list[float],
    best_rows: list[int],
    acts: list[bool],
    *,
    prefer_named: bool,
) -> list[Candidate | None]:
    """The actor of each article: its best candidate where the gate says some authority acts,
    else None. With `prefer_named`, a bare place ("Thailand bans ...") stands for its
    government unless the headline or lead names the body that acts there: then the best
    such body."""
    out: list[Candidate | None] = []
    start = 0
    for cands, best_row, act in zip(found, best_rows, acts, strict=True):
        if not act:
            out.append(None)
            start += len(cands)
            continue
        best = cands[best_row - start]
        if prefer_named and best.authority == "government" and not best.kinds & _NAMED_KINDS:
            top = 0.0
            body: Candidate | None = None
            for j, c in enumerate(cands):
                if (
                    c.jurisdiction == best.jurisdiction
                    and c.kinds & _NAMED_KINDS
                    and c.authority != "government"
                    and (body is None or scores[start + j] > top)
                ):
                    body, top = c, scores[start + j]
            if body is not None:
                best = body
        out.append(best)
        start += len(cands)
    return out


#: Kinds of mention that name a body: an authority, or a place bound to one ("Nigeria's SEC").
_NAMED_KINDS = {0, 1}


def features(cands: list[Candidate], headline_length: int, lead_chars: int) -> np.ndarray:
    """One row of FEATURES per candidate (see the module docstring)."""
    return feature_rows([cands], [headline_length], lead_chars)


def feature_rows(found: list[list[Candidate]], headline_lengths: list[int], lead_chars: int) -> np.ndarray:
    """The FEATURES rows of many articles' candidates, article after article, in one array."""
    out: list[float] = []  # flat: numpy reads one flat list of numbers far faster than nested rows
    for cands, headline_length in zip(found, headline_lengths, strict=True):
        if cands:
            _append_rows(out, cands, headline_length, lead_chars)
    return np.array(out, dtype=np.float64).reshape(-1, len(FEATURES))


def _append_rows(out: list[float], cands: list[Candidate], headline_length: int, lead_chars: int) -> None:
    if len(cands) == 1:
        rank = {0: 0}
    else:
        order = sorted(range(len(cands)), key=lambda i: cands[i].first)
        rank = {i: r for r, i in enumerate(order)}
    same: dict[str, int] = {}
    rest_of: dict[str, float] = {}  # per jurisdiction, its last candidate's rest_pull
    in_head: set[int] = set()
    head_places: set[str] = set()
    pulls, top_toward, lead_first = 0.0, cands[0].name_toward, -1
    for c in cands:
        same[c.jurisdiction] = same.get(c.jurisdiction, 0) + c.mentions
        rest_of[c.jurisdiction] = c.rest_pull
        pulls += c.pull
        if c.name_toward > top_toward:
            top_toward = c.name_toward
        if c.headline_first >= 0:
            in_head.add(c.headline_first)
            head_places.add(c.jurisdiction)
        if c.lead_first >= 0 and (lead_first < 0 or c.lead_first < lead_first):
            lead_first = c.lead_first
    head_first = min(in_head, default=-1)
    # two actors named side by side in the headline ("El Salvador, Pakistan inaugurate ..."):
    # the headline's order says little, the lead's says more
    coordinated = (
        len(head_places) > 1
        and len(in_head) > 1
        and any(0 < b - a <= 20 for a, b in itertools.pairwise(sorted(in_head)))
    )
    total = sum(same.values())
    rest_pulls = sum(rest_of.values())
    for i, c in enumerate(cands):
        mask = 0
        for kind in c.kinds:
            mask |= 1 << kind
        kinds = _KIND_FLAGS[mask]
        first_in_lead = c.lead_first >= 0 and c.lead_first == lead_first
        out.extend(
            (
                c.headline_first >= 0,
                c.headline_first / max(headline_length, 1) if c.headline_first >= 0 else 1.5,
                c.lead_first / max(lead_chars, 1) if c.lead_first >= 0 else 1.5,
                math.log1p(c.mentions),
                *kinds,
                c.headline_stance,
                c.lead_stance,
                c.jurisdiction == "INT",
                c.jurisdiction == "EU",
                "-" in c.jurisdiction,
                math.log1p(same[c.jurisdiction] - c.mentions),
                c.authority in GENERIC_KINDS,
                min(rank[i], 5) / 5,
                c.headline_first >= 0 and c.headline_first == head_first,
                bool(c.after_preposition & 1),
                0 <= c.headline_first <= 2,
                same[c.jurisdiction] / total,
                0 <= c.lead_first < 200,
                math.log1p(c.pull),
                c.pull / pulls if pulls > 0 else 0.0,
                math.log1p(c.rest_pull),
                c.rest_pull / rest_pulls if rest_pulls > 0 else 0.0,
                (c.pull + c.rest_pull) / (pulls + rest_pulls) if pulls + rest_pulls > 0 else 0.0,
                c.name_toward,
                c.name_regulatory,
                c.name_toward > 0 and c.name_toward == top_toward,
                first_in_lead,
                first_in_lead and coordinated,
                bool(c.after_preposition & 2),
                bool(c.after_preposition & 4),
                bool(c.after_preposition & 8),
            )
        )
