"""Find the authorities and places an article names, and describe each as a candidate actor.

One Aho-Corasick pass (pyahocorasick, in C) over the lowercased headline and
lead finds every alias of the gazetteer and every stance-bearing term at once;
Python then only walks the few matches. Each distinct (jurisdiction,
authority) named becomes a candidate with a row of features: where it stands
(headline, lead, how early), what kind of name it is, how near the
stance-bearing words it sits, and how much else in the article points to the
same jurisdiction. The extractor's ranker scores these rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ahocorasick
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
)


@dataclass
class Candidate:
    """One actor an article may be about, with what the ranker needs to know of it."""

    jurisdiction: str
    authority: str
    kinds: set[int]  # indices into CANDIDATE_KINDS of the mentions behind it
    first: int  # char offset of its first mention in headline + "\n" + lead
    mentions: int
    headline_first: int  # -1 when not in the headline
    lead_first: int  # offset within the lead, -1 when not there
    headline_stance: float
    lead_stance: float
    after_preposition: bool


class Matcher:
    """The gazetteer and the stance terms compiled into one automaton.

    Parameters
    ----------
    gazetteer : Gazetteer
    stance_terms : sequence of str
        Lowercased words and phrases that carry a stance ("ban", "approves").
    """

    def __init__(self, gazetteer: Gazetteer, stance_terms: tuple[str, ...] = ()) -> None:
        self.gazetteer = gazetteer
        self.payloads: list[tuple[str, bool, tuple[Entry, ...], tuple[Entry, ...]]] = []
        self.automaton = ahocorasick.Automaton()
        keys = set(gazetteer.aliases) | set(gazetteer.local)
        for key in sorted(keys):
            written, sensitive, entries = gazetteer.aliases.get(key, ("", False, ()))
            local_written, local_sensitive, local = gazetteer.local.get(key, ("", False, ()))
            if not entries:
                written, sensitive = local_written, local_sensitive
            self.automaton.add_word(key, (len(self.payloads), len(key)))
            self.payloads.append((written, sensitive, entries, local))
        self.automaton.make_automaton()
        # stance terms apart: a term such as "sec charges" must not swallow the name it contains
        self.stance_automaton = ahocorasick.Automaton()
        for term in stance_terms:
            self.stance_automaton.add_word(term, len(term))
        if stance_terms:
            self.stance_automaton.make_automaton()

    def matches(self, text: str) -> tuple[list[tuple[int, int, int]], list[int]]:
        """Names as (start, end, payload), whole words, leftmost-longest, case checked; and the
        start of every stance term."""
        lower = text.lower()
        if len(lower) != len(text):  # a few characters lowercase to two; keep offsets aligned
            lower = "".join(c.lower()[:1] or c for c in text)
        names = []
        n = len(text)
        for end_index, (payload, length) in self.automaton.iter_long(lower):
            end = end_index + 1
            start = end - length
            if (start > 0 and lower[start - 1].isalnum()) or (end < n and lower[end].isalnum()):
                continue
            written, sensitive = self.payloads[payload][0], self.payloads[payload][1]
            if sensitive and not _same_case(text[start:end], written):
                continue
            names.append((start, end, payload))
        stance = []
        if self.stance_automaton.kind == ahocorasick.AHOCORASICK:
            for end_index, length in self.stance_automaton.iter(lower):
                start, end = end_index + 1 - length, end_index + 1
                if (start == 0 or not lower[start - 1].isalnum()) and (end >= n or not lower[end].isalnum()):
                    stance.append(start)
        return names, stance


def _same_case(found: str, written: str) -> bool:
    """ "SEC" matches "SEC" (and "SEC" in an all-caps headline), not "sec"; "Fed" matches "Fed"."""
    if found == written or (found.isupper() and found == written.upper()):
        return True
    return found == " ".join(w[:1].upper() + w[1:] for w in written.split(" "))


def _distance(positions: list[int], at: int) -> float:
    if not positions or at < 0:
        return 3.0
    return min(3.0, min(abs(p - at) for p in positions) / 50.0)


def candidates(matcher: Matcher, headline: str, lead: str) -> list[Candidate]:
    """Every actor the headline and lead name, merged by (jurisdiction, authority)."""
    gaz = matcher.gazetteer
    text = f"{headline}\n{lead}"
    split = len(headline)
    named, stance_at = matcher.matches(text)
    head_stance = [s for s in stance_at if s < split]
    lead_stance = [s for s in stance_at if s > split]

    raw: list[tuple[str, str, int, int, bool]] = []  # jurisdiction, authority, kind, start, after_prep
    places: list[tuple[int, str]] = []  # (start, jurisdiction) of every place named
    pending: list[tuple[int, Entry]] = []  # unbound generic words, bound later to a place
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
                    raw.append((entry.jurisdiction, bound, 1, start, False))
                    places.append((start, entry.jurisdiction))
                    bound_to_next = i + 1
                    continue
            places.append((start, entry.jurisdiction))
            authority = entry.authority if entry.kind == METONYM else "government"
            raw.append(
                (entry.jurisdiction, authority, _KIND_OF[entry.kind], start, _after_preposition(text, start))
            )
        elif (entry is not None and entry.kind == AUTHORITY) or local:
            # "the Securities and Exchange Commission of Thailand", "the central bank of Iran"
            nxt = named[i + 1] if i + 1 < len(named) else None
            if nxt is not None and text[end : nxt[0]] in (" of ", " of the "):
                place = matcher.payloads[nxt[2]][2]
                if place and place[0].kind in (COUNTRY, SUBDIVISION, METONYM):
                    bound = _bind(gaz, place[0].jurisdiction, matcher.payloads[payload])
                    if bound is not None:
                        raw.append((place[0].jurisdiction, bound, 1, start, False))
                        places.append((nxt[0], place[0].jurisdiction))
                        bound_to_next = i + 1
                        continue
            if entry is not None and entry.kind == AUTHORITY:
                raw.append((entry.jurisdiction, entry.authority, 0, start, False))
            else:
                pending.append((start, local[0]))
    for start, entry in pending:  # "the government", "regulators": the nearest place named before
        before = [j for s, j in places if s < start]
        after = [j for s, j in places if s > start]
        jurisdiction = before[-1] if before else (after[0] if after else None)
        if jurisdiction is not None:
            raw.append((jurisdiction, gaz.canonical(jurisdiction, entry.generic), 2, start, False))

    merged: dict[tuple[str, str], Candidate] = {}
    for jurisdiction, authority, kind, start, after_prep in raw:
        key = (jurisdiction, authority)
        in_head = start < split
        c = merged.get(key)
        if c is None:
            c = merged[key] = Candidate(
                jurisdiction, authority, set(), start, 0, -1, -1, 3.0, 3.0, after_prep
            )
        c.mentions += 1
        c.kinds.add(kind)
        if in_head and c.headline_first < 0:
            c.headline_first = start
            c.headline_stance = _distance(head_stance, start)
        if not in_head and c.lead_first < 0:
            c.lead_first = start - split - 1
            c.lead_stance = _distance(lead_stance, start)
        c.after_preposition = c.after_preposition and after_prep
    return list(merged.values())


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


def _after_preposition(text: str, start: int) -> bool:
    """ "an exchange in Singapore", "users from Nigeria": a place as a location, not an actor."""
    before = text[max(0, start - 6) : start].lower()
    return before.endswith((" in ", " from ", " across ", " to ", "\nin "))


def features(cands: list[Candidate], headline_length: int, lead_chars: int) -> np.ndarray:
    """One row of FEATURES per candidate (see the module docstring)."""
    rows = np.zeros((len(cands), len(FEATURES)), dtype=np.float64)
    if not cands:
        return rows
    same: dict[str, int] = {}
    for c in cands:
        same[c.jurisdiction] = same.get(c.jurisdiction, 0) + c.mentions
    order = sorted(range(len(cands)), key=lambda i: cands[i].first)
    rank = {i: r for r, i in enumerate(order)}
    head_first = min((c.headline_first for c in cands if c.headline_first >= 0), default=-1)
    k = len(CANDIDATE_KINDS)
    for i, c in enumerate(cands):
        row = rows[i]
        row[0] = c.headline_first >= 0
        row[1] = c.headline_first / max(headline_length, 1) if c.headline_first >= 0 else 1.5
        row[2] = c.lead_first / max(lead_chars, 1) if c.lead_first >= 0 else 1.5
        row[3] = math.log1p(c.mentions)
        for kind in c.kinds:
            row[4 + kind] = 1.0
        row[4 + k] = c.headline_stance
        row[5 + k] = c.lead_stance
        row[6 + k] = c.jurisdiction == "INT"
        row[7 + k] = c.jurisdiction == "EU"
        row[8 + k] = "-" in c.jurisdiction
        row[9 + k] = math.log1p(same[c.jurisdiction] - c.mentions)
        row[10 + k] = c.authority in GENERIC_KINDS
        row[11 + k] = min(rank[i], 5) / 5
        row[12 + k] = c.headline_first >= 0 and c.headline_first == head_first
        row[13 + k] = c.after_preposition
        row[14 + k] = 0 <= c.headline_first <= 2
    return rows
