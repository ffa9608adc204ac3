"""Where: the jurisdiction and authority an article's stance is about, and its file format.

`JurisdictionExtractor` is a scikit-learn estimator apart from the stance model,
saved beside it (artifacts/jurisdiction/) with its own manifest and SHA-256.
It works in three steps:

1. names: every authority and place the headline and the lead name, found by
   an Aho-Corasick automaton over a gazetteer built from pycountry, countryinfo
   and the project's authorities table (`classifier/gazetteer.py`), in the
   texts as the stance model cleans them: at scoring, the stance model's actor
   indicators have scanned them with the same automaton, and it reads their scans;
2. rank: a logistic regression, trained on the labelled rows, scores each
   candidate actor from where it stands (headline first, then the lead, how
   early, how near the words that carry the stance) and what kind of name it
   is (`classifier/mentions.py`);
3. none: a second logistic regression decides whether any authority acts at
   all, from the best candidate's score and the stance model's probabilities
   (a price story names the SEC and is still about no authority).

The stance-bearing words come from the stance model's public `linear_weights()`
and `feature_names_` at fit time; at prediction it reads only the stance
probabilities that scoring computes anyway, so the labels stay untouched.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted

from classifier.actors import Scans
from classifier.gazetteer import NONE, Gazetteer, build_gazetteer
from classifier.mentions import (
    FEATURES,
    Candidate,
    Matcher,
    actors,
    best_of,
    candidates,
    feature_rows,
    features,
)
from classifier.model import (
    clean_columns,
    file_sha256,
    is_term_feature,
    load_verified,
    pickled_state,
    unpickled_state,
)

EXTRACTOR_FILE = "extractor.joblib"
MANIFEST_FILE = "manifest.json"
DEFAULT_WHERE_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "jurisdiction"
#: The columns the extractor adds to a scored frame, in order.
WHERE_COLUMNS = ("jurisdiction", "jurisdiction_name", "authority")
#: In `fit`'s y: some authority acts, but which one is not labelled.
UNKNOWN = "?"
GATE_FEATURES = (
    "has_candidate",
    "best_score",
    "second_score",
    "log_candidates",
    "p_adoption",
    "p_neutral",
    "p_restriction",
    *(f"best_{name}" for name in FEATURES),
)


_TOKEN = re.compile(r"(?u)\b\w+\b")


def _headline_words(headline: str) -> list[str]:
    """The words and word pairs of a lowercased headline: what HashingVectorizer's own analyzer
    (this token pattern, ngram_range (1, 2)) gives, built without its per-n-gram Python loop."""
    words = _TOKEN.findall(headline.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


#: Stateless (nothing to fit or save): the same hashing at fit and at prediction.
_HEADLINE_HASH = HashingVectorizer(
    n_features=2**16, analyzer=_headline_words, alternate_sign=False, norm="l2"
)


class WhereIntegrityError(RuntimeError):
    """The extractor file is missing, altered, or does not match its manifest."""


class Place(NamedTuple):
    """One article's answer: jurisdiction code, its name, and the acting authority."""

    jurisdiction: str
    jurisdiction_name: str | None
    authority: str


class JurisdictionExtractor(BaseEstimator):
    """Jurisdiction (ISO 3166-1/3166-2, "EU", "INT" or "none") and authority of news articles.

    Parameters
    ----------
    lead_chars : int, default=400
        A name that starts in the body's first `lead_chars` characters (the body as the
        stance model cleans it) is a candidate actor: the guide decides on the headline
        and the lead. By the threshold CV of `training.where` (2026-12-03, each at its
        chosen threshold, 0.2) 400, 600 and 800 give jurisdiction 0.905, 0.901, 0.901
        overall and 0.898, 0.899, 0.882 where an authority acts. The scan costs the same
        whatever it is: the body is scanned whole (by the stance model's actor
        indicators, at scoring).
    reach_chars : int, default=1500
        Names and stance-bearing words that start after the lead and before here (the
        stance model reads as much) only add their pull to the jurisdictions already
        named.
    stance_terms : int, default=120
        Stance-bearing terms taken per direction (adoption, restriction) from the
        stance model passed to `fit`.
    C : float, default=1.0
        Inverse regularisation of the ranker.
    act_above : float, default=0.5
        The none gate answers "some authority acts" at or above this probability.
    headline_words : bool, default=False
        The gate also reads the headline's hashed words (a price story from an act).
        Off since 2026-12-02: by the threshold CV of `training.where` (labelled
        train + validation rows) the gate without them is as accurate overall (0.901
        against 0.904) and more where an authority acts (0.898 against 0.874), and the
        hashing was a tenth of the extractor's time.
    gate_C : float, default=1.0
        Inverse regularisation of the gate.
    prefer_named : bool, default=True
        A bare place's "government" gives way to a body of that place the headline
        or lead names ("Thailand bans ..." and "Thailand's SEC" in the lead).
    gate_stance : bool, default=True
        The gate reads the stance probabilities.
    random_state : int or None, default=None
        Seed of the cross-validation folds that train the gate.

    Attributes
    ----------
    gazetteer_ : Gazetteer
        The names looked for, built at fit time.
    stance_terms_ : tuple of str
        Lowercased terms that carry a stance.
    ranker_ : LogisticRegression
        Scores candidate actors (mentions.FEATURES).
    gate_ : LogisticRegression
        P(some authority acts) from GATE_FEATURES.
    metadata_ : dict
        Version and training facts, filled in by training.
    """

    def __init__(
        self,
        *,
        lead_chars: int = 400,
        reach_chars: int = 1_500,
        stance_terms: int = 120,
        C: float = 1.0,
        act_above: float = 0.5,
        headline_words: bool = False,
        gate_C: float = 1.0,
        prefer_named: bool = True,
        gate_stance: bool = True,
        random_state=None,
    ):
        self.gate_stance = gate_stance
        self.prefer_named = prefer_named
        self.headline_words = headline_words
        self.gate_C = gate_C
        self.lead_chars = lead_chars
        self.reach_chars = reach_chars
        self.act_above = act_above
        self.stance_terms = stance_terms
        self.C = C
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        stance_model: Any = None,
        stance_proba: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ):
        """Learn the ranker and the gate from labelled articles.

        Parameters
        ----------
        X : articles (a frame with headline/body, texts, or dicts)
            Read as the stance model reads them, cleaned (`clean_columns`): as at prediction.
        y : sequence of (jurisdiction, authority) pairs
            ("?", "?") marks an article where some authority acts but which is not
            labelled (an adoption or restriction article): it teaches the none gate only.
        stance_model : StanceModel, optional
            Source of the stance-bearing terms (its public weights).
        stance_proba : ndarray of shape (n, 3), optional
            The stance model's probabilities for X, columns adoption, neutral, restriction, as
            `StanceModel.word_proba` gives them (the words' reading, without the model's
            indicators of whether an authority is named: the gate finds the names itself).
        sample_weight : ndarray of shape (n,), optional
            How much each article counts in the none gate: less for articles whose target is
            only inferred from their stance labels than for articles read for jurisdiction.
        """
        if self.lead_chars < 50:
            raise ValueError(f"lead_chars must be >= 50, got {self.lead_chars!r}")
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        headlines, bodies = clean_columns(X)  # what the stance model reads, as at prediction
        pairs = [(str(j), str(a)) for j, a in y]
        if len(pairs) != len(headlines):
            raise ValueError(f"X has {len(headlines)} articles but y has {len(pairs)} labels")
        self.gazetteer_ = build_gazetteer()
        self.stance_terms_, self.stance_weights_ = _stance_terms(
            stance_model, self.stance_terms, self.gazetteer_, _common_words(headlines)
        )
        self.name_weights_ = _name_weights(stance_model, self.gazetteer_)
        gold = [self._canonical(j, a) for j, a in pairs]
        proba = self._proba_or_flat(stance_proba, len(headlines))
        found = self._candidates(headlines, bodies, proba)
        rows, targets, groups = [], [], []
        for i, (cands, (j, a)) in enumerate(zip(found, gold, strict=True)):
            if j in (NONE, UNKNOWN) or not cands:
                continue
            full = [c.jurisdiction == j and c.authority == a for c in cands]
            hits = full if any(full) else [c.jurisdiction == j for c in cands]
            rows.append(features(cands, len(headlines[i]), self.lead_chars))
            targets += hits
            groups += [i] * len(cands)
        F, t, g = np.vstack(rows), np.asarray(targets), np.asarray(groups)
        self.ranker_ = self._linear().fit(F, t)
        # the gate learns from ranker scores the ranker did not see in training (grouped folds),
        # else it would trust scores that are optimistic on the training rows
        held_out = np.zeros(len(t))
        for train, test in GroupKFold(n_splits=5).split(F, t, g):
            part = self._linear().fit(F[train], t[train])
            held_out[test] = part.decision_function(F[test])
        scores_by_article = {}
        start = 0
        for i, cands in enumerate(found):
            if gold[i][0] in (NONE, UNKNOWN) or not cands:
                continue
            scores_by_article[i] = held_out[start : start + len(cands)]
            start += len(cands)
        with_any = [i for i, c in enumerate(found) if c]  # as at prediction: no candidate, no gate
        candidate_rows = feature_rows(
            [found[i] for i in with_any], [len(headlines[i]) for i in with_any], self.lead_chars
        )
        scores = np.concatenate(
            [
                scores_by_article[i] if i in scores_by_article else self._scores(found[i], headlines[i])
                for i in with_any
            ]
        )
        G, _ = self._gate_rows([found[i] for i in with_any], scores, candidate_rows, proba[with_any])
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[with_any]
        self.gate_ = LogisticRegression(C=self.gate_C, max_iter=5_000).fit(
            self._gate_matrix(G, [headlines[i] for i in with_any]),
            [gold[i][0] != NONE for i in with_any],
            sample_weight=weights,
        )
        self.metadata_: dict[str, Any] = {}
        return self

    # ------------------------------------------------------------------ predict

    def predict(self, X: Any, *, stance_proba: np.ndarray | None = None) -> np.ndarray:
        """(n, 2) object array of (jurisdiction, authority); ("none", "none") when no authority acts."""
        return np.array(
            [(p.jurisdiction, p.authority) for p in self.places(X, stance_proba=stance_proba)], dtype=object
        ).reshape(-1, 2)

    def places(self, X: Any, *, stance_proba: np.ndarray | None = None) -> list[Place]:
        """One Place per article, with the jurisdiction's name."""
        check_is_fitted(self)
        return self.places_of(*clean_columns(X), stance_proba=stance_proba)

    def places_of(
        self,
        headlines: list[str],
        bodies: list[str],
        *,
        stance_proba: np.ndarray | None = None,
        scans: Scans | None = None,
    ) -> list[Place]:
        """`places` on cleaned parallel lists, as `StanceModel.read` gives them with the actor
        indicators' `scans` of them (what scoring already holds). Scans from another matcher
        than this extractor's are ignored: it scans the texts itself."""
        check_is_fitted(self)
        proba = self._proba_or_flat(stance_proba, len(headlines))
        found = self._candidates(headlines, bodies, proba, scans)
        # the ranker and the gate only where there is a candidate: without one the answer is "none"
        with_any = [i for i, c in enumerate(found) if c]
        out = [Place(NONE, None, NONE)] * len(found)
        if not with_any:
            return out
        named = [found[i] for i in with_any]
        rows = feature_rows(named, [len(headlines[i]) for i in with_any], self.lead_chars)
        scores = self.ranker_.decision_function(rows)
        G, best_rows = self._gate_rows(named, scores, rows, proba[with_any])
        matrix = self._gate_matrix(G, [headlines[i] for i in with_any])
        acts = self.gate_.predict_proba(matrix)[:, 1] >= self.act_above
        names = self.gazetteer_.names
        chosen = actors(named, scores.tolist(), best_rows, acts.tolist(), prefer_named=self.prefer_named)
        for i, best in zip(with_any, chosen, strict=True):
            if best is not None:
                out[i] = Place(best.jurisdiction, names.get(best.jurisdiction), best.authority)
        return out

    # ------------------------------------------------------------------ helpers

    def _canonical(self, jurisdiction: str, authority: str) -> tuple[str, str]:
        jurisdiction = (jurisdiction or NONE).strip() or NONE
        if jurisdiction.lower() == NONE:
            return NONE, NONE
        if jurisdiction == UNKNOWN:
            return UNKNOWN, UNKNOWN
        return jurisdiction, self.gazetteer_.canonical(jurisdiction, authority)

    def _linear(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=2_000)

    def canonical(self, jurisdiction: str, authority: str) -> tuple[str, str]:
        """A label in the extractor's spelling (aliases -> canonical names), for measuring."""
        check_is_fitted(self)
        return self._canonical(jurisdiction, authority)

    @property
    def matcher_(self) -> Matcher:
        # never pickled: rebuilt from the gazetteer in ~0.1 s, on load (see __setstate__), or on
        # first use by an extractor just fitted
        matcher = self.__dict__.get("_matcher")
        if matcher is None:
            matcher = self.__dict__["_matcher"] = Matcher(
                self.gazetteer_, self.stance_terms_, getattr(self, "name_weights_", None)
            )
        return matcher

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_matcher", None)
        return pickled_state(state)  # read back by the C unpickler: see `pickled_state`

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(unpickled_state(state))
        if "gazetteer_" in self.__dict__:
            # a loaded extractor is there to predict: its automaton is built now, before the
            # scorer and the API freeze their heaps, not on the first article (or in each worker)
            _ = self.matcher_

    def _candidates(
        self, headlines: list[str], bodies: list[str], proba: np.ndarray, scans: Scans | None = None
    ) -> list[list[Candidate]]:
        matcher, lead, reach = self.matcher_, self.lead_chars, self.reach_chars
        scanned: Any = [None] * len(headlines)
        if scans is not None and scans.matcher is matcher:
            if not len(scans.headlines) == len(scans.bodies) == len(headlines):
                raise ValueError(f"scans of {len(scans.headlines)} articles for {len(headlines)} articles")
            scanned = zip(scans.headlines, scans.bodies, strict=True)
        # each stance term's push toward an article's stance: its adoption and restriction weights,
        # mixed in `candidates` by the article's probabilities of those labels (for the terms found)
        weights = self.stance_weights_.tolist() if len(self.stance_terms_) else None
        return [
            candidates(
                matcher,
                h or "",
                b or "",
                lead_chars=lead,
                reach_chars=reach,
                term_weights=weights,
                stance_mix=tuple(p),
                scanned=s,
            )
            for h, b, p, s in zip(headlines, bodies, proba.tolist(), scanned, strict=True)
        ]

    def _scores(self, cands: list[Candidate], headline: str) -> np.ndarray:
        if not cands:
            return np.zeros(0)
        return self.ranker_.decision_function(features(cands, len(headline), self.lead_chars))

    @staticmethod
    def _proba_or_flat(proba: np.ndarray | None, n: int) -> np.ndarray:
        if proba is None:
            return np.full((n, 3), 1 / 3)
        proba = np.asarray(proba, dtype=np.float64)
        if proba.shape != (n, 3):
            raise ValueError(f"stance_proba must have shape ({n}, 3), got {proba.shape}")
        return proba

    def _gate_matrix(self, G: np.ndarray, headlines: list[str]) -> Any:
        """The gate's input: its dense features, and (headline_words) the headline's hashed words,
        which tell a price or company story from an authority's act whatever names it holds."""
        if not self.headline_words:
            return G
        hashed = _HEADLINE_HASH.transform(headlines)
        return sp.hstack([sp.csr_matrix(G), hashed], format="csr")

    def _gate_rows(
        self, found: list[list[Candidate]], scores: np.ndarray, rows: np.ndarray, proba: np.ndarray
    ) -> tuple[np.ndarray, list[int]]:
        """What the none gate reads, one row per article (each with a candidate): the best
        candidate's score and features, the runner-up's score, and the stance probabilities;
        and the row of `rows` (all the articles' candidates, in order) of each best one."""
        head, best_rows = best_of(found, scores.tolist())
        stance = proba if self.gate_stance else np.zeros_like(proba)
        return np.hstack([np.array(head).reshape(-1, 4), stance, rows[best_rows]]), best_rows


def _common_words(headlines: list[str], share: float = 0.03) -> set[str]:
    """Words in more than `share` of the headlines ("crypto", "bitcoin"): near every name, so they
    say nothing about which one the stance is about, and they cost the most to look for."""
    counts: dict[str, int] = {}
    for headline in headlines:
        for word in set(headline.lower().split()):
            counts[word] = counts.get(word, 0) + 1
    return {w for w, n in counts.items() if n > share * max(len(headlines), 1)}


def _stance_terms(
    stance_model: Any, k: int, gazetteer: Gazetteer, common: set[str] = frozenset()
) -> tuple[tuple[str, ...], np.ndarray]:
    """The k terms per direction that push the stance model hardest, names excluded, and
    their (adoption, restriction) weights, relative to the mean over classes and floored at 0.

    Read through the model's public `linear_weights()` and `feature_names_`; a
    term that is also a name ("sec", "pakistan") marks an actor, not a stance.
    """
    if stance_model is None or k == 0:
        return (), np.zeros((0, 2))
    weights = np.asarray(stance_model.linear_weights())
    relative = weights - weights.mean(axis=0, keepdims=True)
    # a feature that is no term of the text (an embedding dimension, an actor indicator) is never one
    names = [
        str(n).partition("__")[2] if term else ""
        for n, term in zip(
            stance_model.feature_names_, is_term_feature(stance_model.feature_names_), strict=True
        )
    ]
    classes = [str(c) for c in stance_model.classes_]
    name_words = _name_words(gazetteer)
    terms: dict[str, None] = {}
    for label in ("adoption", "restriction"):
        if label not in classes:
            continue
        taken = 0
        for index in np.argsort(-relative[classes.index(label)]):
            term = names[index]
            if (
                term
                and term not in terms
                and term not in gazetteer.local
                and term not in gazetteer.aliases
                and not name_words.intersection(term.split())
                and not (len(term.split()) == 1 and term in common)
            ):
                terms[term] = None
                taken += 1
                if taken >= k:
                    break
    # a term appears as a headline and as a body feature; keep its strongest weight per direction
    strongest: dict[str, np.ndarray] = {t: np.zeros(2) for t in terms}
    for index, term in enumerate(names):
        if term in strongest:
            for col, label in enumerate(("adoption", "restriction")):
                if label in classes:
                    value = max(0.0, float(relative[classes.index(label), index]))
                    strongest[term][col] = max(strongest[term][col], value)
    return tuple(terms), np.array([strongest[t] for t in terms]).reshape(-1, 2)


def _name_weights(stance_model: Any, gazetteer: Gazetteer) -> dict[str, tuple[float, ...]]:
    """Per alias the stance model has a feature for ("pakistan", "el salvador", "sec"): its
    (adoption, neutral, restriction) weights relative to the class mean, headline then body.

    The stance model memorises names; which names carry its stance is evidence of
    which actor the stance is about. Read through its public weights. Tuples of floats:
    what the Matcher reads per mention.
    """
    if stance_model is None:
        return {}
    weights = np.asarray(stance_model.linear_weights())
    relative = weights - weights.mean(axis=0, keepdims=True)
    classes = [str(c) for c in stance_model.classes_]
    order = [classes.index(label) for label in ("adoption", "neutral", "restriction")]
    index = {str(n): i for i, n in enumerate(stance_model.feature_names_)}
    out = {}
    for key in set(gazetteer.aliases) | set(gazetteer.local):
        head, body = index.get(f"headline__{key}"), index.get(f"body__{key}")
        if head is None and body is None:
            continue
        row = np.zeros(6)
        if head is not None:
            row[:3] = relative[order, head]
        if body is not None:
            row[3:] = relative[order, body]
        out[key] = tuple(float(x) for x in row)
    return out


#: Words of names that also carry meaning of their own; a stance term may contain them.
_COMMON = {
    "the", "of", "and", "for", "in", "on", "to", "bank", "national", "state", "states", "central", "republic",
    "federal", "department", "commission", "authority", "ministry", "council", "court", "united", "new",
    "south", "north", "financial", "services", "securities", "exchange", "reserve", "office", "agency",
    "government", "house", "senate", "congress", "trade", "digital", "assets", "crypto", "tax", "law",
}  # fmt: skip


def _name_words(gazetteer: Gazetteer) -> set[str]:
    """Words of the gazetteer's names ("salvador", "pakistan", "gensler"), less common words."""
    words = set()
    for key in gazetteer.aliases:
        words.update(w for w in key.split() if w.isalpha() and w not in _COMMON)
    return words


# ---------------------------------------------------------------------- file format


@dataclass
class WhereManifest:
    """What sits beside the extractor file: its digest and what it was trained with."""

    sha256: str
    version: str
    created: str
    sklearn_version: str
    extra: dict[str, Any] = field(default_factory=dict)


def save_where(extractor: JurisdictionExtractor, directory: Path | str, *, created: str) -> WhereManifest:
    """Write extractor.joblib and a manifest with its SHA-256 into `directory`."""
    check_is_fitted(extractor)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / EXTRACTOR_FILE
    joblib.dump(extractor, path, compress=3)
    meta = dict(getattr(extractor, "metadata_", {}))
    manifest = WhereManifest(
        sha256=file_sha256(path),
        version=meta.get("version", "unversioned"),
        created=created,
        sklearn_version=sklearn.__version__,
        extra=meta,
    )
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
    return manifest


def load_where(
    path: Path | str | None = None, *, expected_sha256: str | None = None
) -> JurisdictionExtractor:
    """Load a saved extractor, refusing a file whose digest does not match (as `load_model` does).

    Defaults to REGSTANCE_WHERE_DIR, else the shipped `artifacts/jurisdiction`;
    REGSTANCE_WHERE_SHA256 pins the digest outside the folder.
    """
    return load_verified(
        path or os.environ.get("REGSTANCE_WHERE_DIR") or DEFAULT_WHERE_DIR,
        EXTRACTOR_FILE,
        expected_sha256 or os.environ.get("REGSTANCE_WHERE_SHA256"),
        JurisdictionExtractor,
        WhereIntegrityError,
        train_hint="`python -m training.where`",
    )
