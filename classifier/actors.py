"""Whether a text names an authority, only a place, or no actor at all: three indicators.

The guide calls an article adoption or restriction only when an authority acts. The
words around a name say what it does; whether any authority is named at all is a
separate fact, and one that holds in every year's news whoever the actors are: a
2020 funding round "led by the University of Wyoming" names a place but no
regulator, a 2025 "SEC charges" story names one. The names come from the
jurisdiction extractor's gazetteer (`classifier.gazetteer`: pycountry, countryinfo and
the project's authority table), scanned by the same automaton (`classifier.mentions`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from classifier.gazetteer import AUTHORITY, BLOCK, GENERIC, Gazetteer
from classifier.mentions import Matcher, Scan

#: The indicators, in column order: an authority is named; places only; neither.
ACTOR_KINDS = ("authority", "place", "none")
_AUTHORITY, _PLACE, _OTHER = 0, 1, -1
_EMPTY: Scan = ([], [])


class Scans(NamedTuple):
    """What the indicators' scans found in each headline and body, and the matcher that
    found it: the jurisdiction extractor reads them instead of scanning the same cleaned
    texts again, where the matcher is its own (`ActorMarks.share`)."""

    matcher: Matcher
    headlines: list[Scan]
    bodies: list[Scan]


class ActorMarks:
    """Three one-hot columns per text, from the gazetteer it is built with.

    The automaton is rebuilt from the gazetteer when loaded (~0.2 s), never pickled. Where the
    jurisdiction extractor runs beside it over the same gazetteer, `share` lets both scan with
    the extractor's automaton: one DFA of the names in memory and in the cache instead of two
    (peak RSS of a `--jobs 1` run in `bench.bulk` 472-476 MB, against 489-500 with two). The
    names it finds there are the same; the extractor's stance terms are read past.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._use(Matcher(gazetteer))

    def share(self, matcher: Matcher) -> bool:
        """Scan with `matcher` (the jurisdiction extractor's) if it was built over an equal
        gazetteer; else keep its own and return False."""
        if matcher is self._matcher:
            return True
        if matcher.gazetteer != self.gazetteer:
            return False
        self._use(matcher)
        return True

    def _use(self, matcher: Matcher) -> None:
        self._matcher = matcher
        kinds = []
        for _, _, entries, local in matcher.payloads:
            found = {e.kind for e in entries or local}
            if not found or BLOCK in found:
                kinds.append(_OTHER)  # "Wall Street", "bitcoin treasury": neither place nor authority
            elif found & {AUTHORITY, GENERIC}:
                kinds.append(_AUTHORITY)
            else:
                kinds.append(_PLACE)
        self._kinds = kinds

    def transform(self, texts: list[str]) -> np.ndarray:
        """(n, 3) indicators; an empty text has none set (no text, no fact about it)."""
        return self.marks(texts, self.scan(texts))

    def scan(self, texts: list[str]) -> list[Scan]:
        """`Matcher.matches` of each text (an empty one finds nothing)."""
        matches = self._matcher.matches
        return [matches(text) if text else _EMPTY for text in texts]

    @property
    def matcher(self) -> Matcher:
        """The automaton it scans with: its own, or the one it was given to `share`."""
        return self._matcher

    def marks(self, texts: list[str], scans: list[Scan]) -> np.ndarray:
        """`transform` from the texts' `scan`."""
        out = np.zeros((len(texts), len(ACTOR_KINDS)), dtype=np.float64)
        kinds = self._kinds
        for row, (text, (names, _)) in enumerate(zip(texts, scans, strict=True)):
            if not text:
                continue
            seen = {kinds[payload] for _, _, payload in names}
            out[row, 0 if _AUTHORITY in seen else 1 if _PLACE in seen else 2] = 1.0
        return out

    def __getstate__(self) -> dict:
        return {"gazetteer": self.gazetteer}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["gazetteer"])
