"""The compiled featuriser gives scikit-learn's own matrix, from one tokenisation for every view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import compiled_and_source
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from classifier.features import CompiledTfidf, Vocabulary
from classifier.model import TOKEN_PATTERN, ArticleFeatures, clean_columns

EMBEDDINGS = "training/embeddings/minilm-256"


@pytest.fixture(scope="module")
def texts(corpus: pd.DataFrame) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    rows = corpus[corpus["origin"] == "pool"]
    fit = clean_columns(rows[["headline", "body"]].iloc[:1500])
    # unseen rows, plus the awkward ones: empty, digits only, stop words only, non-ASCII letters
    later = rows[["headline", "body"]].iloc[1500:2000]
    extra = pd.DataFrame(
        {
            "headline": ["", "2025 100", "the and of", "Zürich regulator approves ETF", "SEC"],
            "body": ["", "", "to be or not", "Die Finanzmarktaufsicht FINMA erteilt … licence", "x"],
        }
    )
    return fit, clean_columns(pd.concat([later, extra], ignore_index=True))


def test_compiled_tfidf_equals_the_vectorizer(texts) -> None:
    fit, unseen = texts
    features = ArticleFeatures().fit(fit)
    vocabulary = features.vocabulary_
    for vectorizer, compiled, column in zip(
        (features.headline_, features.body_), features.compiled_, unseen, strict=True
    ):
        expected = vectorizer.transform(column)
        got = compiled.transform_ids(*vocabulary.encode(column), len(column))
        assert got.shape == expected.shape
        assert (got != expected).nnz == 0 or np.abs(got - expected).max() < 1e-6
        assert got.nnz == expected.nnz


def test_vocabulary_drops_stop_words_and_keeps_text_positions() -> None:
    vocabulary = Vocabulary(TOKEN_PATTERN, ENGLISH_STOP_WORDS)
    vocabulary.add(["sec", "bans"])
    ids, doc = vocabulary.encode(["The SEC bans it", "", "bans 2025 unknownword"])
    assert ids.tolist() == [0, 1, 1, -1]
    assert doc.tolist() == [0, 0, 2, 2]


def test_only_word_ngrams_up_to_two_compile(texts) -> None:
    features = ArticleFeatures(ngram_max=3).fit(texts[0])
    assert features.compiled_ is None
    with pytest.raises(ValueError, match="1-2-grams"):
        CompiledTfidf(features.body_, features.vocabulary_)
    with pytest.raises(ValueError, match="ngram_max <= 2"):
        ArticleFeatures(ngram_max=3, embeddings=EMBEDDINGS).fit(texts[0])


def test_embeddings_carry_meaning_for_words_never_seen_in_training(texts) -> None:
    features = ArticleFeatures(embeddings=EMBEDDINGS).fit(texts[0])
    table = features.embedder_
    ids = features.vocabulary_.ids
    assert "outlawed" not in features.body_.vocabulary_  # not an n-gram the model knows
    banned, outlawed, pizza = (table.table[ids[w]] for w in ("banned", "outlawed", "pizza"))

    def cos(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert cos(banned, outlawed) > cos(banned, pizza) + 0.3
    matrix = features.transform(([""] * 2, ["crackdown on exchanges", ""]))
    dense = matrix[:, -2 * table.dim :].toarray()
    assert np.linalg.norm(dense[0, table.dim :]) == pytest.approx(1.0, abs=1e-5)
    assert not dense[1].any()  # an empty text has no vector, not NaN


def test_word_ids_are_the_token_patterns_tokens(corpus: pd.DataFrame) -> None:
    """`classifier.tokens` splits on whitespace before it looks for words; it must find exactly
    what the vectorizers' regular expression finds, compiled by mypyc and from its source."""
    import re

    from classifier.tokens import LETTER_WORDS

    pattern = re.compile(LETTER_WORDS)
    texts = [*corpus["headline"].head(3_000), *corpus["body"].head(3_000)]
    texts += [
        "",
        "   ",
        "ab_cd x_y 2025 btc2 ab-cd",
        "x² Ⅻ ½ é café NAÏVE “ban” (SEC's) l'AMF",
        "a\tb\x1cc\u2028dd",
    ]
    ids = {w: i for i, w in enumerate(sorted({w for t in texts for w in pattern.findall(t.lower())}))}
    expected = [[ids[w] for w in pattern.findall(t.lower())] for t in texts]
    with compiled_and_source("tokens") as (built, source):
        for module in (built, source):
            found, lengths = module.word_ids(texts, ids, pattern, -1)
            assert lengths == [len(e) for e in expected]
            assert found == [i for e in expected for i in e]


def test_a_compiled_module_older_than_its_source_is_reported(tmp_path) -> None:
    import os

    from classifier.builds import PACKAGE_DIR, compiled_modules, stale_builds

    source, built, helper = (
        tmp_path / "mod.py",
        tmp_path / "mod.cpython-311-x86_64-linux-gnu.so",
        tmp_path / "mod__mypyc.so",
    )
    for path in (source, built, helper):
        path.write_text("")
    os.utime(built, (1_000, 1_000))
    os.utime(source, (2_000, 2_000))
    assert stale_builds(tmp_path) == [(source, built)]  # the runtime library has no source: skipped
    assert compiled_modules(tmp_path) == ["mod"]
    os.utime(built, (3_000, 3_000))
    assert stale_builds(tmp_path) == []
    assert stale_builds(PACKAGE_DIR) == []  # this install is fresh
