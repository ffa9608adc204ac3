"""The shipped model on real text, its scikit-learn contract, and its file's integrity."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import flip_byte
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from classifier import ModelIntegrityError, StanceModel, load_model
from classifier.articles import to_columns
from classifier.model import DEFAULT_MODEL_DIR, LABELS, MODEL_FILE, clean_columns
from classifier.text import split_text

# the teaser paragraph as it stands in the seed page, below its own teaser headline
PBOC_TEASER = (
    "The People's Bank of China held a meeting to crack down on virtual currency trading and speculation, "
    "clearly defining stablecoins as a form of virtual currency with risks of illegal financial activities, "
    "and emphasized the continued prohibition of all virtual currency-related businesses."
)
VITADAO_TEASER = "Decoding VitaDAO: A Paradigm Revolution in Decentralized Science"

# Clear cases written for these tests (not taken from the corpus).
CLEAR = {
    "adoption": [
        "Parliament passes law making bitcoin legal tender alongside the national currency",
        "Texas governor signs bill creating a state bitcoin reserve",
        "Financial regulator grants full crypto exchange licence to local trading platform",
        "Central bank launches pilot of its digital currency in three cities",
        "SEC approves spot ether ETFs, clearing the way for trading next week",
    ],
    "restriction": [
        "Police arrest 12 in crackdown on illegal crypto mining farms",
        "SEC sues crypto exchange for operating as an unregistered securities exchange",
        "Government bans cryptocurrency trading and orders exchanges to shut down",
        "Regulator fines crypto firm $30 million over anti-money laundering failures",
        "Treasury sanctions crypto mixer used to launder stolen funds",
    ],
    "neutral": [
        "Bitcoin price climbs above $100,000 as traders eye the options market",
        "Ethereum developers schedule next network upgrade for testnet",
        "Crypto exchange launches new mobile app with lower trading fees",
        "Analyst says solana could rally 40% if support holds",
        "NFT marketplace volume drops for the third straight month",
    ],
}


def test_seed_article_is_adoption_and_its_teasers_do_not_flip_it(model: StanceModel, seed_text: str) -> None:
    assert model.predict([seed_text])[0] == "adoption"
    headline, body = split_text(seed_text)
    assert model.predict(pd.DataFrame({"headline": [headline], "body": [body]}))[0] == "adoption"


def test_seed_teasers_alone(model: StanceModel) -> None:
    assert model.predict([PBOC_TEASER])[0] == "restriction"
    assert model.predict([VITADAO_TEASER])[0] == "neutral"


@pytest.mark.parametrize(("label", "text"), [(lab, t) for lab, ts in CLEAR.items() for t in ts])
def test_clear_cases(model: StanceModel, label: str, text: str) -> None:
    assert model.predict([text])[0] == label


def test_classify_reports_everything(model: StanceModel) -> None:
    [stance] = model.classify([{"headline": "SEC sues crypto exchange", "body": "The regulator charged it."}])
    assert stance.label == "restriction"
    assert set(stance.probabilities) == {"adoption", "neutral", "restriction"}
    assert sum(stance.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert stance.confidence == max(stance.probabilities.values())
    assert stance.uncertain == (stance.confidence < model.abstain_below)
    assert stance.evidence and all(term.endswith(("(headline)", "(body)")) for term in stance.evidence)
    assert stance.model_version == model.version


def test_predict_is_argmax_of_proba_in_classes_order(model: StanceModel) -> None:
    texts = [t for ts in CLEAR.values() for t in ts]
    proba = model.predict_proba(texts)
    assert list(model.classes_) == ["adoption", "neutral", "restriction"]
    assert (model.predict(texts) == model.classes_[proba.argmax(axis=1)]).all()
    assert model.uncertain(proba).dtype == bool


def test_articles_split_once_read_the_same(model: StanceModel, corpus: pd.DataFrame) -> None:
    """Scoring splits a frame into Columns once and hands them to the model and the extractor."""
    frame = corpus[["headline", "body"]].head(300)
    columns = to_columns(frame)
    assert to_columns(columns) is columns
    assert np.array_equal(model.predict_proba(columns), model.predict_proba(frame))


def test_rejects_a_bare_string(model: StanceModel) -> None:
    with pytest.raises(TypeError, match="wrap it"):
        model.predict("one string")


def test_sklearn_contract() -> None:
    fresh = StanceModel(C=3.0, random_state=0)
    assert clone(fresh).get_params() == fresh.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict_proba(["x"])
    with pytest.raises(ValueError, match="abstain_below"):
        StanceModel(abstain_below=1.5).fit(["a", "b"], ["neutral", "adoption"])
    with pytest.raises(ValueError, match="labels must be among"):
        StanceModel().fit(["a", "b"], ["neutral", "bullish"])
    with pytest.raises(ValueError, match="headline_copies"):
        StanceModel(headline_copies=2.0).fit(["a", "b"], ["neutral", "adoption"])


def test_headline_copies_are_weighed(corpus: pd.DataFrame) -> None:
    """A copy weight between none and full copies moves a headline's probabilities between theirs."""
    sample = corpus.sample(1_500, random_state=1)
    X, y = sample[["headline", "body"]], sample["label"]
    headlines = pd.DataFrame({"headline": sample["headline"], "body": ""})
    p = {
        w: StanceModel(headline_copies=w, random_state=0).fit(X, y).predict_proba(headlines)
        for w in (0.0, 0.5, 1.0)
    }
    np.testing.assert_array_equal(
        p[0.0], StanceModel(headline_copies=False, random_state=0).fit(X, y).predict_proba(headlines)
    )
    assert not np.allclose(p[0.5], p[0.0]) and not np.allclose(p[0.5], p[1.0])
    neutral = LABELS.index("neutral")  # classes_ are LABELS, in that order
    # on average, half-weight copies leave headlines nearer full copies than no copies do, and vice versa
    gap = lambda a, b: float(np.abs(a[:, neutral] - b[:, neutral]).mean())  # noqa: E731
    assert gap(p[0.5], p[1.0]) < gap(p[0.0], p[1.0]) and gap(p[0.5], p[0.0]) < gap(p[1.0], p[0.0])


def test_the_headline_model_scores_headlines_alone(corpus: pd.DataFrame) -> None:
    """With headline_head, a headline sent alone (or a body that gives no feature) is scored by the
    model fitted on headlines; full articles score exactly as without it, evidence included."""
    sample = corpus.sample(1_500, random_state=2)
    X, y = sample[["headline", "body"]], sample["label"]
    plain = StanceModel(random_state=0).fit(X, y)
    headed = StanceModel(headline_head=True, random_state=0).fit(X, y)
    full = X[~headed._headline_only(headed.transform(X))].head(200)
    np.testing.assert_array_equal(headed.predict_proba(full), plain.predict_proba(full))
    labels = headed.predict(full)
    assert headed.evidence(full, labels) == plain.evidence(full, labels)
    alone = pd.DataFrame({"headline": list(full["headline"]) * 2, "body": [""] * 200 + ["@@ ## !!"] * 200})
    features = headed.transform(alone)
    assert headed._headline_only(features).all()
    expected = headed.headline_clf_.predict_proba(features)
    np.testing.assert_array_equal(headed.predict_proba(alone), expected)
    assert not np.allclose(expected, plain.predict_proba(alone))
    # mixed batches route row by row
    mixed = pd.concat([full.head(5), alone.head(5)], ignore_index=True)
    np.testing.assert_array_equal(
        headed.predict_proba(mixed), np.vstack([plain.predict_proba(full.head(5)), expected[:5]])
    )
    # evidence of a headline alone comes from the headline model's weights
    only = alone.head(50)
    assert headed.evidence(only, headed.predict(only)) != plain.evidence(only, headed.predict(only))


def test_training_is_deterministic(corpus: pd.DataFrame) -> None:
    sample = corpus.sample(1_200, random_state=0)
    params = json.loads((DEFAULT_MODEL_DIR.parent / "metrics.json").read_text())["selected"]
    X, y = sample[["headline", "body"]], sample["label"]
    a = StanceModel(**params, random_state=7).fit(X, y).predict_proba(X)
    b = StanceModel(**params, random_state=7).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_the_model_pickles_as_one_blob_and_loads_back_the_same(
    model: StanceModel, corpus: pd.DataFrame
) -> None:
    """joblib unpickles object by object in Python: the ~580,000 terms of the vocabularies and
    feature names go into the file inside one blob that the C unpickler reads (load ~0.85 ->
    ~0.25 s), and come back as the same dicts, lists and arrays, predicting the same."""
    import pickle
    import pickletools

    from classifier.model import PICKLED_STATE

    assert set(model.__getstate__()) == {PICKLED_STATE}
    blob = pickle.dumps(model)
    strings = sum(op.name.endswith("UNICODE") for op, _, _ in pickletools.genops(blob))
    assert strings < 5_000, strings  # not one per term
    loaded = pickle.loads(blob)
    before, after = model.pipeline_.named_steps["features"], loaded.pipeline_.named_steps["features"]
    assert before.body_.vocabulary_ == after.body_.vocabulary_ and len(after.body_.vocabulary_) > 100_000
    assert before.headline_.vocabulary_ == after.headline_.vocabulary_
    assert (before.vocabulary_.ids, before.vocabulary_.words) == (
        after.vocabulary_.ids,
        after.vocabulary_.words,
    )
    assert after.compiled_[0]._vocabulary is after.vocabulary_  # still one shared vocabulary
    np.testing.assert_array_equal(loaded.feature_names_, model.feature_names_)
    X = corpus[["headline", "body"]].head(500)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_class_balance_weighs_rare_labels_up_less(corpus: pd.DataFrame) -> None:
    """1.0 is scikit-learn's "balanced"; 0.0 weighs every article alike, so that the rare
    labels (one article in ten) are called less often."""
    sample = corpus.sample(2_000, random_state=1)
    X, y = sample[["headline", "body"]], sample["label"]
    calls = {}
    for balance in (0.0, 1.0):
        predicted = StanceModel(C=8.0, class_balance=balance, random_state=0).fit(X, y).predict(X)
        calls[balance] = int((predicted != "neutral").sum())
    assert calls[0.0] < calls[1.0]
    with pytest.raises(ValueError, match="class_balance"):
        StanceModel(class_balance=1.5).fit(X, y)


def test_card_and_metrics_agree_with_the_model_file(model: StanceModel) -> None:
    artifacts = DEFAULT_MODEL_DIR.parent
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    metrics = json.loads((artifacts / "metrics.json").read_text())
    card = (artifacts / "MODEL_CARD.md").read_text()
    assert metrics["model_sha256"] == manifest["sha256"]
    assert metrics["model_version"] == manifest["version"] == model.version
    assert model.get_params()["abstain_below"] == metrics["uncertain_flag"]["threshold"]
    assert model.metadata_["params"] == metrics["selected"]
    assert model.version in card and manifest["sha256"] in card
    assert f"{metrics['test']['macro_f1']:.3f}" in card
    assert (artifacts / "confusion_test.png").stat().st_size > 1_000
    # every candidate is reported by its numbers only: no fitted model or array repr in the file
    for row in metrics["candidates"]:
        assert not [k for k in row if k.startswith("_")], row["params"]
        assert {"suite_score", "leave_one_pool_out", "validation_views"} <= set(row)


def test_a_changed_model_file_is_refused(tmp_path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    flip_byte(copy / MODEL_FILE, 100)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        load_model(copy)
    with pytest.raises(ModelIntegrityError, match=r"no model\.joblib"):
        load_model(tmp_path)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        load_model(DEFAULT_MODEL_DIR, expected_sha256="0" * 64)


def test_seed_evidence_names_what_the_authority_does(model: StanceModel, seed_text: str) -> None:
    """Among the seed page's evidence is what the authority does (a reserve, power for mining)."""
    [stance] = model.classify([seed_text], evidence=25)
    terms = [t.rsplit(" (", 1)[0] for t in stance.evidence]
    assert any(w in t for t in terms for w in ("reserve", "mining", "power")), terms


def test_top_evidence_is_not_dominated_by_proper_names(model: StanceModel, corpus: pd.DataFrame) -> None:
    from training.ood import evidence_names

    test = corpus[(corpus["split"] == "test") & (corpus["origin"] == "pool")]
    assert evidence_names(model, test)["name_share"] < 0.5


def test_names_read_as_their_kind() -> None:
    from classifier.kinds import name_kinds

    kinds = name_kinds(common={"house", "reserve"})
    assert kinds["pakistan"] == "country" and kinds["sec"] == "regulator" and kinds["texas"] == "state"
    assert kinds["salvador"] == "country"  # a word of "El Salvador"
    assert "house" not in kinds and "reserve" not in kinds  # ordinary words keep their meaning
    texts = [
        "SEC sues exchange\nThe SEC sued the exchange on Monday.",
        "FCA fines broker\nThe FCA fined the broker on Monday.",
        "Bitcoin price rises\nThe price rose on Monday.",
        "Ether price falls\nThe price fell on Monday.",
    ]
    model = StanceModel(abstract_names=True, random_state=0).fit(
        texts * 3, ["restriction", "restriction", "neutral", "neutral"] * 3
    )
    # an agency never seen in training reads as the same word as the ones that were
    features = model.pipeline_.named_steps["features"]
    assert (
        features.vocabulary_.ids["cftc"]
        == features.vocabulary_.ids["sec"]
        == features.vocabulary_.ids["regulator"]
    )
    assert model.predict(["CFTC acts\nThe CFTC acted on Monday."])[0] == "restriction"


#: Six one-line stories, two per label, for the small fits of the actor-indicator tests.
TOY_TEXTS = [
    "SEC sues exchange\nThe SEC sued the exchange on Monday.",
    "FCA fines broker\nThe FCA fined the broker on Monday.",
    "Bitcoin price rises\nThe price rose on Monday.",
    "Ether price falls\nThe price fell on Monday.",
    "ECB backs digital euro\nThe ECB backed the digital euro on Monday.",
    "BoE approves token\nThe BoE approved the token on Monday.",
]
TOY_LABELS = ["restriction", "restriction", "neutral", "neutral", "adoption", "adoption"]


def test_actor_marks_say_whether_an_authority_is_named() -> None:
    from classifier.actors import ActorMarks
    from classifier.gazetteer import build_gazetteer

    marks = ActorMarks(build_gazetteer())
    got = marks.transform(
        [
            "SEC sues exchange over unregistered tokens",  # an authority
            "The People's Bank of China cracks down on stablecoins",  # an authority
            "Crypto bank raises $5M led by the University of Wyoming",  # a place, no authority
            "Bitcoin price jumps 5% as traders pile in",  # no actor
            "",  # no text: no indicator
        ]
    )
    assert got.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
    # rebuilt from its gazetteer when loaded: the same answers
    again = pickle.loads(pickle.dumps(marks))
    assert (
        again.transform(["SEC sues exchange", "Wyoming bank"])
        == marks.transform(["SEC sues exchange", "Wyoming bank"])
    ).all()


def test_actor_marks_are_features_but_never_evidence() -> None:
    texts, labels = TOY_TEXTS, TOY_LABELS * 3
    model = StanceModel(actor_marks=0.25, headline_head=True, random_state=0).fit(texts * 3, labels)
    names = model.feature_names_.astype(str)
    assert [n for n in names if n.startswith("actors__")] == [
        f"actors__{p}_{k}" for p in ("headline", "body") for k in ("authority", "place", "none")
    ]
    # the indicators carry weight: an authority named leans away from neutral
    weights = model.linear_weights()
    neutral = list(model.classes_).index("neutral")
    assert (
        weights[neutral, list(names).index("actors__headline_authority")]
        < weights[neutral, list(names).index("actors__headline_none")]
    )
    assert not model.evidence_weights_[:, np.char.startswith(names, "actors__")].any()
    for row in model.classify([*texts, "CFTC acts\nThe CFTC acted on Monday."], evidence=10):
        assert all("headline_" not in t and "body_" not in t for t in row.evidence)
    # nor a stance term of the jurisdiction extractor
    from classifier.gazetteer import build_gazetteer
    from classifier.where import _stance_terms

    terms, _ = _stance_terms(model, 1000, build_gazetteer())
    assert terms and not [t for t in terms if t.startswith(("headline_", "body_"))]
    plain = StanceModel(headline_head=True, random_state=0).fit(texts * 3, labels)
    assert model.transform(texts).shape[1] == plain.transform(texts).shape[1] + 6


def test_a_model_saved_before_actor_marks_loads_and_clones(model: StanceModel) -> None:
    old = pickle.loads(pickle.dumps(model))
    features = old.pipeline_.named_steps["features"]
    for obj in (old, features):
        del obj.actor_marks  # as a model saved before the parameter existed
    again = pickle.loads(pickle.dumps(old))
    assert again.get_params()["actor_marks"] == 0.0
    assert again.pipeline_.named_steps["features"].get_params()["actor_marks"] == 0.0
    assert clone(again).get_params() == {**clone(model).get_params(), "actor_marks": 0.0}


def test_word_proba_takes_the_actor_indicators_out(model: StanceModel, corpus: pd.DataFrame) -> None:
    """What the extractor reads: the shipped model's probabilities as if no indicator were set,
    computed from the log-probabilities; the same as scoring again with those columns zeroed."""
    rows = corpus.sample(300, random_state=0)
    frame = pd.concat([rows[["headline", "body"]], rows[["headline"]].assign(body="")])
    reading = model.read(frame)
    proba, features = reading.proba, reading.features
    words = model.word_proba_from(features, proba)
    columns = np.flatnonzero(np.char.startswith(model.feature_names_.astype(str), "actors__"))
    assert len(columns) == 6  # the shipped model has them
    plain = features.copy()
    plain.data[np.isin(plain.indices, columns)] = 0.0
    np.testing.assert_allclose(words, model._proba(plain), atol=1e-9)
    np.testing.assert_allclose(model.word_proba(frame), words)
    assert np.abs(words - proba).max() > 0.05  # the indicators do move the probabilities
    assert (proba == model.predict_proba(frame)).all()  # and the stance answer is untouched
    assert reading.cleaned == clean_columns(frame) and (features != model.transform(frame)).nnz == 0


def test_word_proba_of_a_calibrated_svm_scores_again_without_the_indicators() -> None:
    texts, labels = TOY_TEXTS, TOY_LABELS * 3
    model = StanceModel(classifier="svm", actor_marks=1.0, random_state=0).fit(texts * 3, labels)
    reading = model.read(texts)
    proba, features = reading.proba, reading.features
    words = model.word_proba_from(features, proba)
    plain = model.transform(texts).toarray()
    plain[:, np.char.startswith(model.feature_names_.astype(str), "actors__")] = 0.0
    np.testing.assert_allclose(words, model.pipeline_.named_steps["clf"].predict_proba(plain))
    assert not np.allclose(words, proba)
    assert (model.transform(texts).toarray() == features.toarray()).all()  # features left as they were
