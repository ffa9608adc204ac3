"""The stance estimator and its file format.

`StanceModel` is a scikit-learn classifier over articles: clean -> TF-IDF of the
headline and of the body lead, weighted apart -> a linear model with calibrated
probabilities. Everything the fitted object needs lives in `classifier/`, so
the API and the bulk scorer load it without importing `training/`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FunctionTransformer, Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from classifier.actors import ACTOR_KINDS, ActorMarks, Scans
from classifier.articles import Columns, to_columns
from classifier.features import CompiledTfidf, Vocabulary, WordEmbeddings
from classifier.kinds import common_words, name_kinds
from classifier.text import clean_articles
from classifier.tokens import LETTER_WORDS

LABELS = ("adoption", "neutral", "restriction")
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_DIR = PROJECT_ROOT / "artifacts" / "model"
# letters only, two or more: numbers, dates and amounts carry no stance and are where
# a model memorises one story.
TOKEN_PATTERN = LETTER_WORDS
#: Feature-name prefix of embedding dimensions: they carry meaning but no readable term.
EMBEDDING_PREFIX = "embedding__"
#: Feature-name prefix of the actor indicators (`classifier.actors`): facts, not terms of the text.
ACTOR_PREFIX = "actors__"


class ModelIntegrityError(RuntimeError):
    """The model file is missing, altered, or does not match its manifest."""


def clean_columns(X: Any) -> tuple[list[str], list[str]]:
    """Pipeline step: any article input -> cleaned (headlines, bodies)."""
    return clean_articles(*to_columns(X))


class ArticleFeatures(TransformerMixin, BaseEstimator):
    """TF-IDF of the headline and of the body lead, side by side, the headline weighted apart;
    optionally the static embeddings of both.

    A ColumnTransformer does the same through pandas and costs ~6 ms per call
    even for one article; this reads the two lists directly. Fitting uses scikit-learn's
    vectorizers; transforming uses their compiled form (`classifier.features`), which
    tokenises each text once for every view and gives the same matrix several times faster.

    Parameters
    ----------
    ngram_max : int, default=2
    min_df : int, default=2
    headline_weight : float, default=1.5
    char_headline : bool, default=False
        Add character 2-5-grams of the headline.
    embeddings : str or None, default=None
        Folder of a model2vec static embedding model (relative paths from the project root).
        The mean word vector of the headline and of the body lead are appended, so that words
        close in meaning ("crackdown" / "clampdown") count alike, even unseen in training. The
        word vectors are taken at fit time and saved inside the fitted object: prediction never
        reads the folder.
    embedding_weight : float, default=1.0
    embed_tokens : int, default=60
        Words of the body lead (stop words aside) that are embedded.
    abstract_names : bool, default=False
        Read one-word names of countries, places and authorities as the word for their kind
        ("Pakistan" -> "country", "SEC" -> "regulator"; `classifier.kinds`), so that the
        model learns actions rather than actors.
    """

    def __init__(
        self,
        *,
        ngram_max=2,
        min_df=2,
        headline_weight=1.5,
        char_headline=False,
        embeddings=None,
        embedding_weight=1.0,
        embed_tokens=60,
        abstract_names=False,
        actor_marks=0.0,
    ):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.headline_weight = headline_weight
        self.char_headline = char_headline
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.embed_tokens = embed_tokens
        self.abstract_names = abstract_names
        self.actor_marks = actor_marks

    def _words(self) -> TfidfVectorizer:
        return TfidfVectorizer(
            ngram_range=(1, self.ngram_max),
            min_df=self.min_df,
            max_df=0.5,
            sublinear_tf=True,
            token_pattern=TOKEN_PATTERN,
            # function words carry no stance; without this a one-paragraph text, read as a
            # long headline, is swamped by "the", "and", "as" that short neutral headlines share
            stop_words="english",
            dtype=np.float32,
        )

    def fit(self, X: tuple[list[str], list[str]], y=None) -> ArticleFeatures:
        headlines, bodies = X
        self.vocabulary_ = Vocabulary(TOKEN_PATTERN, ENGLISH_STOP_WORDS)
        self.name_kinds_ = name_kinds(common_words(headlines + bodies)) if self.abstract_names else {}
        if self.name_kinds_:
            # fitted on the names read as their kinds; at transform time the vocabulary maps them
            self.vocabulary_.alias(self.name_kinds_)
            headlines = self.vocabulary_.rewrite(headlines, self.name_kinds_)
            bodies = self.vocabulary_.rewrite(bodies, self.name_kinds_)
        self.headline_ = self._words().fit(headlines)
        self.body_ = self._words().fit(bodies)
        self.headline_chars_ = None
        if self.char_headline:
            self.headline_chars_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                min_df=self.min_df,
                sublinear_tf=True,
                dtype=np.float32,
            ).fit(headlines)
        self.compiled_ = None
        if self.ngram_max <= 2:
            self.compiled_ = (
                CompiledTfidf(self.headline_, self.vocabulary_),
                CompiledTfidf(self.body_, self.vocabulary_),
            )
        self.embedder_ = None
        if self.embeddings:
            if self.compiled_ is None:
                raise ValueError("embeddings need ngram_max <= 2 (they read the compiled tokens)")
            self.embedder_ = WordEmbeddings(_static_model(self.embeddings), self.vocabulary_)
        self.actors_ = None
        if self.actor_marks:
            from classifier.gazetteer import build_gazetteer  # reads pycountry: fitting only

            self.actors_ = ActorMarks(build_gazetteer())
        return self

    def transform(self, X: tuple[list[str], list[str]]) -> sp.csr_matrix:
        return self.transform_scanned(X)[0]

    def transform_scanned(self, X: tuple[list[str], list[str]]) -> tuple[sp.csr_matrix, Scans | None]:
        """`transform`, and what the actor indicators' scans found in the texts as given
        (None without indicators, or where they read the texts rewritten)."""
        check_is_fitted(self)
        given = headlines, bodies = X
        # getattr: a model saved before the compiled form existed still loads and predicts
        compiled, embedder = getattr(self, "compiled_", None), getattr(self, "embedder_", None)
        kinds = getattr(self, "name_kinds_", None)
        if kinds and (compiled is None or self.headline_chars_ is not None):
            headlines = self.vocabulary_.rewrite(headlines, kinds)
            if compiled is None:
                bodies = self.vocabulary_.rewrite(bodies, kinds)
        if compiled is None:
            blocks = [self.headline_.transform(headlines), self.body_.transform(bodies)]
        else:
            n = len(headlines)
            head_ids, body_ids = self.vocabulary_.encode(headlines), self.vocabulary_.encode(bodies)
            blocks = [compiled[0].transform_ids(*head_ids, n), compiled[1].transform_ids(*body_ids, n)]
        blocks[0] = blocks[0] * self.headline_weight
        if self.headline_chars_ is not None:
            blocks.append(self.headline_chars_.transform(headlines) * self.headline_weight)
        if embedder is not None:
            dense = np.hstack(
                [
                    embedder.transform_ids(*head_ids, n, 0),
                    embedder.transform_ids(*body_ids, n, self.embed_tokens),
                ]
            )
            blocks.append(sp.csr_matrix(dense * self.embedding_weight))
        actors, scans = getattr(self, "actors_", None), None
        if actors is not None:
            head_scans, body_scans = actors.scan(headlines), actors.scan(bodies)
            marks = np.hstack([actors.marks(headlines, head_scans), actors.marks(bodies, body_scans)])
            blocks.append(sp.csr_matrix(marks * self.actor_marks))
            if headlines is given[0] and bodies is given[1]:
                scans = Scans(actors.matcher, head_scans, body_scans)
        # float64 for the linear model: in float32 a confident article's 1 - p rounds away, and
        # log-odds (evidence spans' weights) with it
        return sp.hstack(blocks, format="csr", dtype=np.float64), scans

    def __setstate__(self, state: dict) -> None:
        super().__setstate__({"actor_marks": 0.0, **state})  # saved before the parameter existed

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self)
        parts = [("headline", self.headline_), ("body", self.body_)]
        if self.headline_chars_ is not None:
            parts.append(("headline chars", self.headline_chars_))
        names = [
            np.array([f"{name}__{t}" for t in vec.get_feature_names_out()], dtype=object)
            for name, vec in parts
        ]
        if getattr(self, "embedder_", None) is not None:
            names.append(
                np.array(
                    [f"{EMBEDDING_PREFIX}{part}{i}" for part in "hb" for i in range(self.embedder_.dim)],
                    dtype=object,
                )
            )
        if getattr(self, "actors_", None) is not None:
            names.append(
                np.array(
                    [f"{ACTOR_PREFIX}{p}_{k}" for p in ("headline", "body") for k in ACTOR_KINDS],
                    dtype=object,
                )
            )
        return np.concatenate(names)


def _static_model(folder: str):
    from model2vec import StaticModel

    path = Path(folder)
    return StaticModel.from_pretrained(str(path if path.is_absolute() else PROJECT_ROOT / path))


class Reading(NamedTuple):
    """What `StanceModel.read` gives: the probabilities and all that led to them."""

    cleaned: Columns  # the texts as the model read them (`clean_columns`)
    features: sp.csr_matrix
    proba: np.ndarray
    scans: Scans | None  # the actor indicators' scans of `cleaned`, if any


@dataclass(frozen=True)
class Stance:
    """One article's answer, as every door reports it."""

    label: str
    probabilities: dict[str, float]
    confidence: float
    uncertain: bool
    evidence: list[str]
    model_version: str
    #: Where (classifier/where.py): None unless `classify` was given the jurisdiction extractor.
    jurisdiction: str | None = None
    jurisdiction_name: str | None = None
    authority: str | None = None


class StanceModel(ClassifierMixin, BaseEstimator):
    """Regulatory stance of a news article: adoption, neutral or restriction.

    Parameters
    ----------
    C : float, default=4.0
        Inverse regularisation strength of the linear model.
    classifier : {"logreg", "svm"}, default="logreg"
        Logistic regression, or a linear SVM with sigmoid-calibrated probabilities.
    headline_weight : float, default=1.5
        Weight of the headline features against the body features.
    ngram_max : int, default=2
        Longest word n-gram.
    char_headline : bool, default=False
        Add character 2-5-grams of the headline (about halves scoring speed).
    min_df : int, default=2
        Terms seen in fewer training articles are ignored.
    headline_copies : bool or float, default=False
        Also fit on each article's headline alone, so that the model has seen
        the headline-only input that users send. A number in (0, 1) weighs each copy
        that much against its article: the copies teach headline-only input, but at full
        weight they also teach that a headline's names alone lean one way.
    headline_head : bool, default=False
        Also fit a second linear model on the training headlines alone, and score by it
        the articles whose body gives the model no feature (headlines sent alone): they
        learn headline-only input without the copies changing the model of full articles.
    embeddings : str or None, default=None
        Folder of a model2vec static embedding model whose mean vectors of the headline and
        body lead are appended to the n-grams (see `ArticleFeatures`).
    embedding_weight : float, default=1.0
    embed_tokens : int, default=60
    abstract_names : bool, default=False
        Read names of countries, places and authorities as their kind (see `ArticleFeatures`).
    actor_marks : float, default=0.0
        Weight of the indicators of whether the headline and the lead name an authority, only
        a place, or no actor (see `ArticleFeatures`); 0 leaves them out.
    class_balance : float, default=1.0
        How far each label is weighed up by its rarity: weight (n / (3 n_label)) ** class_balance,
        so 1.0 is scikit-learn's "balanced" and 0.0 weighs every article alike. Nine in ten
        articles are neutral: below 1.0 the model calls fewer of them adoption or restriction.
    abstain_below : float, default=0.0
        `classify` flags an article `uncertain` when its top probability is
        lower; `predict` still answers one of the three labels.
    random_state : int or None, default=None
        Seed of every random part.

    Attributes
    ----------
    classes_ : ndarray of shape (3,)
        Stance labels, in the column order of `predict_proba`.
    pipeline_ : Pipeline
        The fitted clean -> features -> clf pipeline.
    evidence_weights_ : ndarray of shape (3, n_features)
        Each class's feature weights relative to the mean over classes; a term's
        evidence for a label is its tf-idf value times this weight.
    feature_names_ : ndarray of shape (n_features,)
        "headline__term" / "body__term" names of the features.
    metadata_ : dict
        Version, training date and corpus facts, filled in by training.
    """

    def __init__(
        self,
        *,
        C: float = 4.0,
        classifier: str = "logreg",
        headline_weight: float = 1.5,
        ngram_max: int = 2,
        char_headline: bool = False,
        min_df: int = 2,
        headline_copies: bool | float = False,
        headline_head: bool = False,
        embeddings: str | None = None,
        embedding_weight: float = 1.0,
        embed_tokens: int = 60,
        abstract_names: bool = False,
        actor_marks: float = 0.0,
        class_balance: float = 1.0,
        abstain_below: float = 0.0,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.classifier = classifier
        self.headline_weight = headline_weight
        self.ngram_max = ngram_max
        self.char_headline = char_headline
        self.min_df = min_df
        self.headline_copies = headline_copies
        self.headline_head = headline_head
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.embed_tokens = embed_tokens
        self.abstract_names = abstract_names
        self.actor_marks = actor_marks
        self.class_balance = class_balance
        self.abstain_below = abstain_below
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.classifier not in ("logreg", "svm"):
            raise ValueError(f"classifier must be 'logreg' or 'svm', got {self.classifier!r}")
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        if not 0.0 <= self.class_balance <= 1.0:
            raise ValueError(f"class_balance must be in [0, 1], got {self.class_balance!r}")
        if not 0.0 <= self.abstain_below < 1.0:
            raise ValueError(f"abstain_below must be in [0, 1), got {self.abstain_below!r}")
        if self.ngram_max not in (1, 2, 3):
            raise ValueError(f"ngram_max must be 1, 2 or 3, got {self.ngram_max!r}")
        if not 0.0 <= float(self.headline_copies) <= 1.0:
            raise ValueError(
                f"headline_copies must be a bool or a weight in [0, 1], got {self.headline_copies!r}"
            )

    def _features(self) -> ArticleFeatures:
        return ArticleFeatures(
            ngram_max=self.ngram_max,
            min_df=self.min_df,
            headline_weight=self.headline_weight,
            char_headline=self.char_headline,
            embeddings=self.embeddings,
            embedding_weight=self.embedding_weight,
            embed_tokens=self.embed_tokens,
            abstract_names=self.abstract_names,
            actor_marks=self.actor_marks,
        )

    def _linear(self, y: np.ndarray) -> BaseEstimator:
        weights: str | dict = "balanced"
        if self.class_balance != 1.0:
            labels, counts = np.unique(y, return_counts=True)
            weights = {
                label: float((len(y) / (len(labels) * count)) ** self.class_balance)
                for label, count in zip(labels.tolist(), counts.tolist(), strict=True)
            }
        if self.classifier == "logreg":
            # tol 1e-3: half the iterations of the default 1e-4 at the same macro-F1 (measured on
            # the corpus), which keeps training with every held-out pool within minutes
            return LogisticRegression(
                C=self.C, max_iter=2_000, tol=1e-3, class_weight=weights, random_state=self.random_state
            )
        svm = LinearSVC(C=self.C, class_weight=weights, random_state=self.random_state)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=3)

    def fit(self, X: Any, y: Sequence[str]) -> StanceModel:
        self._check_params()
        y = np.asarray(y)
        unknown = sorted(set(y) - set(LABELS))
        if unknown:
            raise ValueError(f"labels must be among {LABELS}, got {unknown}")
        fit_params = {}
        articles, labels = to_columns(X), y
        copy_weight = float(self.headline_copies)
        if copy_weight > 0:
            headlines, bodies = articles
            X = pd.DataFrame({"headline": headlines * 2, "body": bodies + [""] * len(bodies)})
            if copy_weight != 1.0:
                fit_params["clf__sample_weight"] = np.r_[np.ones(len(y)), np.full(len(y), copy_weight)]
            y = np.concatenate([y, y])
        self.pipeline_ = Pipeline(
            [
                ("clean", FunctionTransformer(clean_columns)),
                ("features", self._features()),
                ("clf", self._linear(y)),
            ]
        ).fit(X, y, **fit_params)
        self.classes_ = self.pipeline_.classes_
        weights = self.linear_weights()
        self.feature_names_ = self.pipeline_.named_steps["features"].get_feature_names_out()
        # embedding dimensions and actor indicators move the score but name no term: not evidence
        is_term = is_term_feature(self.feature_names_)
        self.actor_columns_ = np.flatnonzero(
            np.char.startswith(self.feature_names_.astype(str), ACTOR_PREFIX)
        )
        self.evidence_weights_ = ((weights - weights.mean(axis=0, keepdims=True)) * is_term).astype(
            np.float32
        )
        self.headline_clf_ = None
        if self.headline_head:
            body = np.flatnonzero(np.char.startswith(self.feature_names_.astype(str), "body__"))
            self.body_columns_ = (int(body[0]), int(body[-1]) + 1) if len(body) else (0, 0)
            alone = Columns(articles.headlines, [""] * len(articles.headlines))
            self.headline_clf_ = self._linear(labels).fit(self.transform(alone), labels)
            head = _weights_of(self.headline_clf_)
            self.headline_evidence_weights_ = ((head - head.mean(axis=0, keepdims=True)) * is_term).astype(
                np.float32
            )
        self.metadata_: dict[str, Any] = {}
        return self

    def _headline_only(self, features: sp.csr_matrix) -> np.ndarray:
        """Rows whose body gives no feature: what the headline model scores."""
        lo, hi = self.body_columns_
        in_body = (features.indices >= lo) & (features.indices < hi)
        rows = np.repeat(np.arange(features.shape[0]), np.diff(features.indptr))
        return np.bincount(rows[in_body], minlength=features.shape[0]) == 0

    def transform(self, X: Any) -> sp.csr_matrix:
        """Articles -> the sparse features the linear model reads (clean, then TF-IDF)."""
        check_is_fitted(self)
        return self.pipeline_.named_steps["features"].transform(clean_columns(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self._proba(self.transform(X))

    def share_scanner(self, matcher: Any) -> bool:
        """Let the actor indicators scan with the jurisdiction extractor's automaton
        (`JurisdictionExtractor.matcher_`) when both read the same gazetteer: one automaton in
        the cache instead of two, the same answers. The doors that load both call it; False
        (nothing changed) without indicators or where the gazetteers differ."""
        actors = getattr(self.pipeline_.named_steps["features"], "actors_", None)
        return actors is not None and actors.share(matcher)

    def read(self, X: Any) -> Reading:
        """`predict_proba`, and what it read on the way: the cleaned texts, the features (for
        `word_proba_from`) and the actor indicators' scans, which the jurisdiction extractor
        takes instead of cleaning and scanning the same texts again."""
        check_is_fitted(self)
        cleaned = Columns(*clean_columns(X))
        features, scans = self.pipeline_.named_steps["features"].transform_scanned(cleaned)
        return Reading(cleaned, features, self._proba(features), scans)

    def word_proba(self, X: Any) -> np.ndarray:
        """`predict_proba` with the actor indicators' pull taken out (see `word_proba_from`)."""
        reading = self.read(X)
        return self.word_proba_from(reading.features, reading.proba)

    def word_proba_from(self, features: sp.csr_matrix, proba: np.ndarray) -> np.ndarray:
        """The probabilities with the actor indicators' pull taken out: what the words alone say.

        What the jurisdiction extractor reads. Its gate decides whether an authority acts from
        the names it finds and from the stance the words carry; the indicators say "an authority
        is named" again, and fed to the gate inside the probabilities they cost it ~0.03 of its
        accuracy where an authority acts (threshold CV of `training.where`, 2026-12-02). For a
        softmax model the indicators' terms come straight off the log-probabilities, with no
        second pass over the features. `features` and `proba` are `transform`'s and `_proba`'s
        for the same articles; without indicators, `proba` itself.
        """
        columns = getattr(self, "actor_columns_", None)
        if columns is None or not len(columns):
            return proba
        marks = features[:, columns].toarray()
        clf, head = self.pipeline_.named_steps["clf"], getattr(self, "headline_clf_", None)
        if not isinstance(clf, LogisticRegression):  # calibrated SVM: score again without them
            plain = features.copy()
            plain.data[np.isin(plain.indices, columns)] = 0.0
            return self._proba(plain)
        pull = marks @ clf.coef_[:, columns].T
        if head is not None:
            alone = self._headline_only(features)
            if alone.any():
                pull[alone] = marks[alone] @ head.coef_[:, columns].T
        logits = np.log(np.maximum(proba, 1e-300)) - pull
        logits -= logits.max(axis=1, keepdims=True)
        out = np.exp(logits)
        return out / out.sum(axis=1, keepdims=True)

    def _proba(self, features: sp.csr_matrix) -> np.ndarray:
        # the steps called directly: same result as pipeline_.predict_proba, a third of the overhead
        proba = self.pipeline_.named_steps["clf"].predict_proba(features)
        head = getattr(self, "headline_clf_", None)  # getattr: models saved before it existed
        if head is not None:
            alone = self._headline_only(features)
            if alone.any():
                proba[alone] = head.predict_proba(features[alone])
        return proba

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def uncertain(self, proba: np.ndarray) -> np.ndarray:
        """A flag beside the label: the model's top probability is below `abstain_below`."""
        return proba.max(axis=1) < self.abstain_below

    def classify(self, X: Any, *, evidence: int = 5, where: Any = None) -> list[Stance]:
        """Per article: label, all probabilities, confidence, `uncertain` flag, evidence, version.

        With `where` (a fitted JurisdictionExtractor, `classifier.load_where()`), also the
        jurisdiction, its name and the authority; the stance answer is the same either way.
        """
        reading = self.read(X)  # what the model read, the extractor reads too
        features, proba = reading.features, reading.proba
        labels = self.classes_[proba.argmax(axis=1)]
        flags = self.uncertain(proba)
        terms = self.evidence_from(features, labels, evidence) if evidence else [[] for _ in labels]
        places = None
        if where is not None:
            places = where.places_of(
                *reading.cleaned, stance_proba=self.word_proba_from(features, proba), scans=reading.scans
            )
        return [
            Stance(
                label=str(labels[i]),
                probabilities={str(c): float(proba[i, j]) for j, c in enumerate(self.classes_)},
                confidence=float(proba[i].max()),
                uncertain=bool(flags[i]),
                evidence=terms[i],
                model_version=self.version,
                **(
                    {
                        "jurisdiction": places[i].jurisdiction,
                        "jurisdiction_name": places[i].jurisdiction_name,
                        "authority": places[i].authority,
                    }
                    if places is not None
                    else {}
                ),
            )
            for i in range(len(labels))
        ]

    @property
    def version(self) -> str:
        return getattr(self, "metadata_", {}).get("version", "unversioned")

    def __getstate__(self) -> dict:
        return pickled_state(dict(super().__getstate__()))

    def __setstate__(self, state: dict) -> None:
        # saved before these parameters existed: "balanced" weights, no actor indicators
        super().__setstate__({"class_balance": 1.0, "actor_marks": 0.0, **unpickled_state(state)})

    def linear_weights(self) -> np.ndarray:
        """Per-class feature weights (n_classes, n_features), averaged over calibration folds."""
        return _weights_of(self.pipeline_.named_steps["clf"])

    def evidence(self, X: Any, labels: np.ndarray, k: int = 5) -> list[list[str]]:
        """The k terms that pushed each article hardest toward its label."""
        return self.evidence_from(self.transform(X), labels, k)

    def evidence_from(self, features: sp.csr_matrix, labels: np.ndarray, k: int = 5) -> list[list[str]]:
        """`evidence` from the features `transform` (or `read`) gave, without a second pass."""
        # contribution of a term to a class: its tf-idf value times the class's weight relative
        # to the mean weight over classes (what moves this class's probability against the others)
        rows = np.searchsorted(self.classes_, labels)
        weights = [self.evidence_weights_] * len(rows)
        if getattr(self, "headline_clf_", None) is not None:  # headlines alone: the headline model's
            for i in np.flatnonzero(self._headline_only(features)):
                weights[i] = self.headline_evidence_weights_
        out = []
        for i, row in enumerate(rows):
            start, end = features.indptr[i], features.indptr[i + 1]
            idx = features.indices[start:end]
            contrib = features.data[start:end] * weights[i][row, idx]
            top = np.argsort(-contrib)[:k]
            out.append([_readable(self.feature_names_[idx[j]]) for j in top if contrib[j] > 0])
        return out


#: The one key of a state that `pickled_state` wrote.
PICKLED_STATE = "pickled_state"


def pickled_state(state: dict) -> dict:
    """An object's state as one blob, for `__getstate__`.

    joblib reads a file with Python's own unpickler, one object at a time: the stance
    model's ~580,000 terms (its vocabularies and feature names) took most of its ~0.85 s
    load and the gazetteer's ~150,000 objects most of the extractor's 0.28 s. One blob is
    read whole and unpickled in C (`unpickled_state`).
    """
    return {PICKLED_STATE: pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)}


def unpickled_state(state: dict) -> dict:
    """The state `pickled_state` wrote, or `state` itself (a file saved before it), for `__setstate__`."""
    return pickle.loads(state[PICKLED_STATE]) if PICKLED_STATE in state else state


def _weights_of(clf: BaseEstimator) -> np.ndarray:
    """A fitted linear classifier's per-class weights, averaged over calibration folds."""
    if isinstance(clf, CalibratedClassifierCV):
        return np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
    return clf.coef_


def is_term_feature(names: np.ndarray) -> np.ndarray:
    """Which features are terms of the text ("headline__sec charges"), not embedding dimensions
    or actor indicators: only terms are evidence, and only terms can be marked in the text."""
    names = np.asarray(names).astype(str)
    return ~(np.char.startswith(names, EMBEDDING_PREFIX) | np.char.startswith(names, ACTOR_PREFIX))


def _readable(feature: str) -> str:
    """'headline__sec charges' -> 'sec charges (headline)'."""
    part, _, term = feature.partition("__")
    return f"{term} ({part})"


@dataclass
class Manifest:
    """What sits beside the model file: its digest and the facts a server reports."""

    sha256: str
    version: str
    created: str
    sklearn_version: str
    classes: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks: the digest every saved artifact's manifest holds."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(model: StanceModel, directory: Path | str, *, created: str) -> Manifest:
    """Write model.joblib and a manifest with its SHA-256 into `directory`."""
    check_is_fitted(model)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    joblib.dump(model, path, compress=3)
    manifest = Manifest(
        sha256=file_sha256(path),
        version=model.version,
        created=created,
        sklearn_version=sklearn.__version__,
        classes=[str(c) for c in model.classes_],
        extra=dict(model.metadata_),
    )
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
    return manifest


def load_model(path: Path | str | None = None, *, expected_sha256: str | None = None) -> StanceModel:
    """Load a saved model, refusing a file whose digest does not match.

    joblib runs code while loading, so the digest is checked first. The manifest
    guards against accidental change; against deliberate tampering pin the digest
    outside the folder with `expected_sha256` (or REGSTANCE_MODEL_SHA256).

    Parameters
    ----------
    path : path-like, optional
        A model folder (holding model.joblib and manifest.json). Defaults to
        REGSTANCE_MODEL_DIR, else the shipped `artifacts/model`.
    """
    return load_verified(
        path or os.environ.get("REGSTANCE_MODEL_DIR") or DEFAULT_MODEL_DIR,
        MODEL_FILE,
        expected_sha256 or os.environ.get("REGSTANCE_MODEL_SHA256"),
        StanceModel,
        ModelIntegrityError,
        train_hint="`regstance train`",
    )


def load_verified(
    path: Path | str,
    file_name: str,
    expected_sha256: str | None,
    kind: type,
    error: type[Exception],
    *,
    train_hint: str,
) -> Any:
    """The joblib object `file_name` in folder `path`, after its SHA-256 matched `expected_sha256`
    (else its manifest's): joblib runs code while loading, so the digest is checked first.

    One check for every saved artifact (the stance model, the jurisdiction extractor).
    """
    directory = Path(path)
    if directory.is_file():
        directory = directory.parent
    artifact_file, manifest_file = directory / file_name, directory / MANIFEST_FILE
    for needed in (artifact_file, manifest_file):
        if not needed.is_file():
            raise error(f"no {needed.name} in {directory}: train one with {train_hint}")
    manifest = json.loads(manifest_file.read_text())
    actual = file_sha256(artifact_file)
    expected = expected_sha256 or manifest.get("sha256")
    if actual != expected:
        raise error(
            f"{artifact_file} has SHA-256 {actual}, expected {expected}: "
            "the file was changed after training; retrain or restore it"
        )
    loaded = joblib.load(artifact_file)
    if not isinstance(loaded, kind):
        raise error(f"{artifact_file} holds a {type(loaded).__name__}, not a {kind.__name__}")
    return loaded
