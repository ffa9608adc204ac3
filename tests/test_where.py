"""Where: the shipped jurisdiction extractor on the guide's examples, its file's integrity, every door."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import compiled_and_source, flip_byte
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from classifier import (
    JurisdictionExtractor,
    StanceModel,
    WhereIntegrityError,
    load_model,
    load_where,
    score_frame,
)
from classifier.api import create_app
from classifier.cli import app
from classifier.config import Settings
from classifier.gazetteer import build_gazetteer
from classifier.model import PICKLED_STATE, unpickled_state
from classifier.text import split_text
from classifier.where import DEFAULT_WHERE_DIR, EXTRACTOR_FILE, WHERE_COLUMNS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


@pytest.fixture(scope="module")
def where() -> JurisdictionExtractor:
    return load_where()


def place(where: JurisdictionExtractor, model: StanceModel, headline: str, body: str = "") -> tuple[str, str]:
    """(jurisdiction, authority) the way every door computes it: with the stance probabilities."""
    frame = pd.DataFrame({"headline": [headline], "body": [body]})
    [p] = where.places(frame, stance_proba=model.word_proba(frame))
    return p.jurisdiction, p.authority


# the guide's worked examples (../shared/jurisdiction-guide.md)
GUIDE = [
    ("Pakistan sets aside 2,000 MW of power for bitcoin mining", "", "PK", {"government"}),
    (
        "The People's Bank of China held a meeting to crack down on virtual currency trading",
        "",
        "CN",
        {"PBoC"},
    ),
    ("Texas creates a state bitcoin reserve", "", "US-TX", {"legislature", "government"}),
    ("IMF urges El Salvador to drop bitcoin as legal tender", "", "INT", {"IMF"}),
    ("Bitcoin rises 3% as traders eye options expiry", "", "none", {"none"}),
]


@pytest.mark.parametrize(("headline", "body", "jurisdiction", "authorities"), GUIDE)
def test_the_guides_worked_examples(where, model, headline, body, jurisdiction, authorities) -> None:
    j, a = place(where, model, headline, body)
    assert j == jurisdiction and a in authorities


@pytest.mark.parametrize(
    ("headline", "jurisdiction", "authority"),
    [
        ("Beijing orders banks to stop serving crypto exchanges", "CN", "government"),
        ("Brussels readies sweeping rules for crypto issuers", "EU", "European Commission"),
        ("Washington moves to ban crypto mixers outright", "US", "government"),
    ],
)
def test_metonyms(where, model, headline, jurisdiction, authority) -> None:
    assert place(where, model, headline) == (jurisdiction, authority)


def test_a_us_state_and_an_intergovernmental_body(where, model) -> None:
    assert place(where, model, "New York regulator fines crypto exchange $10 million")[0] == "US-NY"
    assert place(where, model, "Wyoming governor signs stablecoin bill into law")[0] == "US-WY"
    assert place(where, model, "FATF warns countries over lax crypto travel rule enforcement")[0] == "INT"


def test_a_price_story_is_about_no_jurisdiction(where, model) -> None:
    assert place(where, model, "Ether jumps 8% as whales accumulate ahead of the weekend") == ("none", "none")
    assert place(where, model, "Solana price prediction: analysts eye $300 as volumes climb") == (
        "none",
        "none",
    )


def test_a_place_where_a_company_sits_is_not_an_actor(where, model) -> None:
    j, _ = place(where, model, "Dubai-based exchange launches new trading app with lower fees")
    assert j == "none"


def test_a_qualified_authority_takes_the_place_that_qualifies_it(where, model) -> None:
    assert place(where, model, "Nigeria's SEC fines crypto exchange for unregistered operations") == (
        "NG",
        "SEC (Nigeria)",
    )
    assert place(where, model, "Chinese police arrest 12 over illegal bitcoin mining")[0] == "CN"


def test_a_name_is_matched_in_the_case_it_is_written(where, model) -> None:
    """One lowercased key, two spellings: "Trump" is the White House, "TRUMP" a memecoin; "BoJ"
    and "BOJ" are both the Bank of Japan (the first spelling in the tables once hid the others)."""
    assert place(where, model, "Trump signs executive order opening 401(k) plans to bitcoin") == (
        "US",
        "White House",
    )
    assert place(where, model, "TRUMP memecoin jumps 20% as whales accumulate")[0] == "none"
    gaz = build_gazetteer()
    assert {spelling for spelling, _, _ in gaz.variants["boj"]} | {gaz.aliases["boj"][0]} == {"BOJ", "BoJ"}


def test_names_outside_ascii_and_in_curly_quotes_are_found_and_question_marks_are_not_them(where) -> None:
    """The automaton reads every character outside ASCII as "?": a pattern holding one must be
    checked against the text, so that "?SEC?" or "afġ?nist?n" is no name, while “SEC” and the
    name written with its own letters are."""
    matcher = where.matcher_
    assert matcher.folded  # patterns holding "?" exist, and are the checked ones

    def names(text: str) -> list[str]:
        return [text[start:end] for start, end, _ in matcher.matches(text)[0]]

    assert names("“SEC” sues Binance") == ["SEC"]
    assert names("?SEC? sues Binance") == []
    assert names("Adam Glapiński warns on crypto") == ["Adam Glapiński"]
    assert names("Adam Glapi?ski warns on crypto") == []
    assert names("Adam Glapińsko warns on crypto") == []


def test_the_gates_headline_words_are_scikit_learns(corpus: pd.DataFrame) -> None:
    """The gate hashes headlines with a hand-built analyzer (faster); it must give exactly the
    words HashingVectorizer's own would, or the saved gate would read different features."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from classifier.where import _HEADLINE_HASH, _headline_words

    reference = HashingVectorizer(
        n_features=2**16, ngram_range=(1, 2), alternate_sign=False, norm="l2", token_pattern=r"(?u)\b\w+\b"
    )
    headlines = [*corpus["headline"].head(2_000), "Ünïcode ÇA ça: l'AMF, 1.5bn ₿ — SEC's “ban”", "", "one"]
    analyzer = reference.build_analyzer()
    assert [_headline_words(h) for h in headlines] == [analyzer(h) for h in headlines]
    assert (reference.transform(headlines) != _HEADLINE_HASH.transform(headlines)).nnz == 0


def test_a_loaded_extractor_has_its_automaton_built_and_never_pickles_it() -> None:
    """Built on load, before the bulk scorer and the API freeze their heaps; rebuilt, not saved."""
    import pickle

    loaded = load_where()
    assert "_matcher" in loaded.__dict__
    assert set(loaded.__getstate__()) == {PICKLED_STATE}  # one blob, for the C unpickler
    saved = unpickled_state(loaded.__getstate__())
    assert "_matcher" not in saved and "gazetteer_" in saved
    again = pickle.loads(pickle.dumps(loaded))
    assert "_matcher" in again.__dict__ and again.gazetteer_.aliases == loaded.gazetteer_.aliases


def test_the_compiled_mention_finder_runs_exactly_its_python_source(where, model, corpus) -> None:
    """setup.py compiles classifier/mentions.py with mypyc (the extractor's hot loop, ~1.4x
    faster). On real articles the build must give what the source gives, candidate by
    candidate, feature by feature."""
    frame = corpus[["headline", "body"]].head(3_000)
    proba = model.word_proba(frame).tolist()
    weights = where.stance_weights_.tolist()
    found = {}
    with compiled_and_source("mentions") as (built, source):
        for module in (built, source):
            matcher = module.Matcher(where.gazetteer_, where.stance_terms_, where.name_weights_)
            cands = [
                module.candidates(
                    matcher,
                    h,
                    b,
                    lead_chars=where.lead_chars,
                    reach_chars=where.reach_chars,
                    term_weights=weights,
                    stance_mix=tuple(p),
                )
                for h, b, p in zip(frame["headline"], frame["body"], proba, strict=True)
            ]
            rows = module.feature_rows(cands, [len(h) for h in frame["headline"]], where.lead_chars)
            found[module] = ([[(c.jurisdiction, c.authority) for c in cs] for cs in cands], rows)
    assert sum(map(len, found[built][0])) > 1_000  # real articles name many actors
    assert found[built][0] == found[source][0]
    np.testing.assert_array_equal(found[built][1], found[source][1])


def test_the_actor_indicators_scan_with_the_extractors_automaton(where, corpus) -> None:
    """The doors that load both hand the model's actor scan the extractor's automaton: the same
    indicators, match for match, as with its own; a gazetteer that differs is refused."""
    from classifier.actors import ActorMarks

    own = ActorMarks(where.gazetteer_)
    shared = ActorMarks(where.gazetteer_)
    assert shared.share(where.matcher_) and shared._matcher is where.matcher_
    texts = [
        f"{h}\n{b[:1500]}"
        for h, b in zip(corpus["headline"].head(3_000), corpus["body"].head(3_000), strict=True)
    ]
    texts += ["“SEC” sues ‘Binance’", "Glapiński’s NBP", "İstanbul ban“ on ſtablecoins", "Wall Street cheers"]
    marks = own.transform(texts)
    assert marks[:, 0].sum() > 500 and marks[:, 1].sum() > 100 and marks[:, 2].sum() > 500
    np.testing.assert_array_equal(shared.transform(texts), marks)
    smaller = build_gazetteer()
    smaller.aliases.pop("sec")
    assert not ActorMarks(smaller).share(where.matcher_)


def test_the_extractor_reads_the_stance_models_scans_and_answers_as_if_it_scanned(where, corpus) -> None:
    """Scoring hands the extractor what the actor indicators found in the cleaned texts; it must
    answer exactly as when it cleans and scans them itself, and read no scans but its own
    matcher's (a model that does not share keeps its own automaton, without stance terms)."""
    frame = pd.concat(
        [corpus[["headline", "body"]].head(2_000), corpus[["headline"]].tail(200).assign(body="")]
    )
    model = load_model()  # its own, unshared, until told
    plain = model.read(frame)
    assert plain.scans is not None and plain.scans.matcher is not where.matcher_
    proba = model.word_proba_from(plain.features, plain.proba)
    itself = where.places(frame, stance_proba=proba)
    assert where.places_of(*plain.cleaned, stance_proba=proba, scans=plain.scans) == itself

    assert model.share_scanner(where.matcher_)
    shared = model.read(frame)
    assert shared.scans.matcher is where.matcher_ and (shared.proba == plain.proba).all()
    assert shared.scans.headlines == [where.matcher_.matches(h) for h in shared.cleaned.headlines]
    read = where.places_of(*shared.cleaned, stance_proba=proba, scans=shared.scans)
    assert read == itself and sum(p.jurisdiction != "none" for p in read) > 500
    with pytest.raises(ValueError, match="scans of 2200 articles for 10"):
        where.places_of(*(c[:10] for c in shared.cleaned), stance_proba=proba[:10], scans=shared.scans)


def test_the_seed_page_is_pakistan(where, model, seed_text: str) -> None:
    headline, body = split_text(seed_text)
    assert place(where, model, headline, body)[0] == "PK"


def test_labels_are_normalised_through_the_authorities_table() -> None:
    gaz = build_gazetteer()
    assert gaz.canonical("US", "U.S. SEC") == "SEC"
    assert gaz.canonical("US", "Securities and Exchange Commission") == "SEC"
    assert gaz.canonical("RU", "central bank") == "Bank of Russia"
    assert gaz.canonical("KR", "FSC") == "FSC (South Korea)"
    assert gaz.canonical("none", "anything") == "none"
    assert gaz.names["US-TX"] == "Texas" and gaz.names["EU"] == "European Union"


def test_cv_rows_are_weighed_back_to_the_news_they_were_drawn_from(corpus: pd.DataFrame) -> None:
    """The rows read for jurisdiction in train and validation were drawn heavy in acting
    authorities; weighed by their draws, they hold about as many as the test split, which was
    read whole (the gate's threshold is chosen on them)."""
    from training.where import design_weights

    seen = corpus[corpus["split"] != "test"].reset_index(drop=True)
    rows = seen[seen["jurisdiction"].notna()].reset_index(drop=True)
    weights = design_weights(rows, seen)
    assert len(weights) == len(rows) and (weights > 0).all()
    acting = (rows["jurisdiction"] != "none").to_numpy()
    test = corpus[corpus["split"] == "test"]
    truth = float((test["jurisdiction"] != "none").mean())
    weighed = float(np.average(acting, weights=weights))
    assert abs(weighed - truth) < 0.05 < abs(acting.mean() - truth)


def test_a_changed_extractor_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "jurisdiction"
    shutil.copytree(DEFAULT_WHERE_DIR, copy)
    flip_byte(copy / EXTRACTOR_FILE, 200)
    with pytest.raises(WhereIntegrityError, match="SHA-256"):
        load_where(copy)
    with pytest.raises(WhereIntegrityError, match=r"no extractor\.joblib"):
        load_where(tmp_path)
    with pytest.raises(WhereIntegrityError, match="SHA-256"):
        load_where(DEFAULT_WHERE_DIR, expected_sha256="0" * 64)


def test_metrics_card_and_manifest_agree(where) -> None:
    manifest = json.loads((DEFAULT_WHERE_DIR / "manifest.json").read_text())
    metrics = json.loads((DEFAULT_WHERE_DIR / "metrics.json").read_text())
    card = (DEFAULT_WHERE_DIR.parent / "MODEL_CARD.md").read_text()
    assert metrics["sha256"] == manifest["sha256"] and metrics["version"] == where.metadata_["version"]
    corpus = pd.read_parquet(
        DEFAULT_WHERE_DIR.parents[1] / "training" / "data" / "corpus.parquet",
        columns=["split", "jurisdiction"],
    )
    test = corpus[corpus["split"] == "test"]
    assert (
        metrics["test"]["n"] == len(test) and test["jurisdiction"].notna().all()
    )  # every test row is labelled
    assert f"{metrics['test']['jurisdiction_accuracy']:.3f}" in card and manifest["sha256"] in card


def test_stance_is_the_same_with_or_without_the_extractor(where, model) -> None:
    frame = pd.read_parquet(FIXTURES / "articles.parquet")
    plain = score_frame(model, frame)
    placed = score_frame(model, frame, where=where)
    pd.testing.assert_frame_equal(plain, placed.drop(columns=list(WHERE_COLUMNS)))
    assert placed["jurisdiction"].notna().all() and set(WHERE_COLUMNS) <= set(placed.columns)
    stances = model.classify(frame, where=where)
    assert [s.label for s in stances] == plain["label"].tolist()
    assert [s.jurisdiction for s in stances] == placed["jurisdiction"].tolist()
    assert model.classify(frame)[0].jurisdiction is None  # asked for nothing, computed nothing


def test_the_api_reports_where() -> None:
    with TestClient(create_app(Settings())) as client:
        seed = client.post(
            "/v1/classify",
            json={
                "id": "pk",
                "headline": "Pakistan sets aside 2,000 MW of power for bitcoin mining",
                "body": "The government also plans a national bitcoin reserve.",
            },
        ).json()
        assert (seed["jurisdiction"], seed["jurisdiction_name"], seed["authority"]) == (
            "PK",
            "Pakistan",
            "government",
        )
        batch = client.post(
            "/v1/classify/batch",
            json={"articles": [{"headline": "SEC sues crypto exchange"}, {"headline": "Bitcoin rises 3%"}]},
        ).json()["results"]
        assert [(r["jurisdiction"], r["authority"]) for r in batch] == [("US", "SEC"), ("none", "none")]
        assert batch[1]["jurisdiction_name"] is None
        assert client.get("/v1/model").json()["jurisdiction_version"].startswith("where-")
        schema = client.get("/openapi.json").json()["components"]["schemas"]["StanceOut"]
        assert {"jurisdiction", "jurisdiction_name", "authority"} <= set(schema["required"])


def test_bulk_output_has_the_three_columns_and_can_leave_them_out(tmp_path: Path) -> None:
    out, bare = tmp_path / "out.parquet", tmp_path / "bare.parquet"
    assert runner.invoke(app, ["score", str(FIXTURES / "articles.parquet"), "-o", str(out)]).exit_code == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns[-3:]) == list(WHERE_COLUMNS)
    assert frame["jurisdiction"].notna().all() and frame["authority"].notna().all()
    assert (frame["jurisdiction_name"].isna() == (frame["jurisdiction"] == "none")).all()
    args = ["score", str(FIXTURES / "articles.parquet"), "-o", str(bare), "--no-where"]
    assert runner.invoke(app, args).exit_code == 0
    plain = pd.read_parquet(bare)
    assert not set(WHERE_COLUMNS) & set(plain.columns)
    pd.testing.assert_frame_equal(plain, frame.drop(columns=list(WHERE_COLUMNS)))


def test_index_by_jurisdiction_writes_the_csv_and_both_charts(tmp_path: Path) -> None:
    days = pd.date_range("2025-06-02", periods=28, freq="D").strftime("%Y-%m-%d").tolist()
    rows = []
    for i, day in enumerate(days):
        rows += [
            {"published": day, "outlet": "a", "label": "adoption", "jurisdiction": "US", "jurisdiction_name": "United States"},
            {"published": day, "outlet": "a", "label": "restriction" if i % 2 else "adoption", "jurisdiction": "CN", "jurisdiction_name": "China"},
            {"published": day, "outlet": "b", "label": "restriction", "jurisdiction": "RU", "jurisdiction_name": "Russian Federation"},
            {"published": day, "outlet": "b", "label": "neutral", "jurisdiction": "none", "jurisdiction_name": None},
        ]  # fmt: skip
    rows.append({"published": days[0], "outlet": "c", "label": "adoption", "jurisdiction": "SV", "jurisdiction_name": "El Salvador"})  # fmt: skip
    path = tmp_path / "scored.parquet"
    pd.DataFrame(rows).to_parquet(path)
    out, png = tmp_path / "by-jurisdiction.csv", tmp_path / "by-jurisdiction.png"
    args = ["index", str(path), "-o", str(out), "--by", "jurisdiction", "--top", "3", "--plot", str(png)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    index = pd.read_csv(out)
    assert set(index["jurisdiction"]) == {"US", "CN", "RU"}  # "none" is no jurisdiction; SV not in the top 3
    net = index.groupby("jurisdiction").apply(
        lambda g: (g["adoption"].sum() - g["restriction"].sum()) / g["n"].sum()
    )
    assert net["US"] == 1.0 and net["RU"] == -1.0 and net["CN"] == 0.0
    assert index.loc[index["jurisdiction"] == "CN", "jurisdiction_name"].iloc[0] == "China"
    assert png.stat().st_size > 20_000
    assert (tmp_path / "by-jurisdiction-lines.png").stat().st_size > 20_000
    unscored = tmp_path / "old.parquet"
    pd.DataFrame(rows).drop(columns=["jurisdiction", "jurisdiction_name"]).to_parquet(unscored)
    result = runner.invoke(app, ["index", str(unscored), "--by", "jurisdiction", "-o", str(out)])
    assert result.exit_code == 2 and "no jurisdiction" in result.output
