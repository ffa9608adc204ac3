"""Fast featurisation: tokenise each text once and read every view from the same tokens.

scikit-learn's `TfidfVectorizer` builds every n-gram as a Python string and looks each
up in a dict, one document at a time; on a 1,500-character lead that is most of the
model's time. Here a fitted vectorizer is *compiled*: words become integer ids once,
bigrams become integer pairs matched with one vectorised search, and the sparse matrix
is assembled with numpy. The result equals the vectorizer's own `transform` (a test
holds it to that). The same word ids index a table of static word embeddings, so the
semantic view costs one sparse product and no second tokeniser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.tokens import LETTER_WORDS, word_ids

_STOP = -2
_UNKNOWN = -1


class Vocabulary:
    """Word -> integer id for every word any view reads; stop words map to a marker."""

    def __init__(self, token_pattern: str, stop_words: Iterable[str]) -> None:
        self.pattern = re.compile(token_pattern)
        self.ids: dict[str, int] = {w: _STOP for w in stop_words}
        self.words: list[str] = []

    def add(self, words: Iterable[str]) -> None:
        for w in words:
            if w not in self.ids:
                self.ids[w] = len(self.words)
                self.words.append(w)

    def alias(self, aliases: dict[str, str]) -> None:
        """Read each alias as its target word: "pakistan" -> "country", one id for both."""
        self.add(sorted(set(aliases.values())))
        for word, target in aliases.items():
            if self.ids.get(word) != _STOP:
                self.ids[word] = self.ids[target]

    def rewrite(self, texts: Sequence[str], aliases: dict[str, str]) -> list[str]:
        """Texts as lower-case tokens with aliases replaced: what the vectorizers are fitted on
        when `alias` will map the same words at transform time."""
        findall, get = self.pattern.findall, aliases.get
        return [" ".join(get(w, w) for w in findall(t.lower())) for t in texts]

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """All texts' non-stop-word tokens as ids (-1 where unknown), and each token's text index."""
        if self.pattern.pattern == LETTER_WORDS:  # the model's own pattern: the compiled loop
            found, counts = word_ids(list(texts), self.ids, self.pattern, _UNKNOWN)
            flat = np.array(found, dtype=np.int64)
            lengths = np.array(counts, dtype=np.int64)
        else:
            findall = self.pattern.findall
            tokens = [findall(t.lower()) for t in texts]
            lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            flat = np.fromiter(
                map(self.ids.get, chain.from_iterable(tokens), repeat(_UNKNOWN)),
                dtype=np.int64,
                count=int(lengths.sum()),
            )
        doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        keep = flat != _STOP
        return flat[keep], doc[keep]


class CompiledTfidf:
    """A fitted word 1-2-gram `TfidfVectorizer` (l2 norm, idf, optional sublinear tf) as arrays."""

    def __init__(self, vectorizer: TfidfVectorizer, vocabulary: Vocabulary) -> None:
        if vectorizer.ngram_range[0] != 1 or vectorizer.ngram_range[1] > 2 or vectorizer.norm != "l2":
            raise ValueError("only word 1-2-grams with l2 norm are compiled")
        self.sublinear_tf = vectorizer.sublinear_tf
        self.idf = vectorizer.idf_.astype(np.float32)
        self.n_features = len(vectorizer.vocabulary_)
        self.dtype = vectorizer.dtype
        uni_words, uni_cols, bi_pairs, bi_cols = [], [], [], []
        for term, col in vectorizer.vocabulary_.items():
            parts = term.split(" ")
            if len(parts) == 1:
                uni_words.append(term)
                uni_cols.append(col)
            else:
                bi_pairs.append(parts)
                bi_cols.append(col)
        vocabulary.add(uni_words)
        vocabulary.add(chain.from_iterable(bi_pairs))
        self._vocabulary = vocabulary
        self._n_words_at_fit = len(vocabulary)
        self.unigram_col = np.full(len(vocabulary), -1, dtype=np.int64)
        self.unigram_col[[vocabulary.ids[w] for w in uni_words]] = uni_cols
        keys = np.array(
            [vocabulary.ids[a] * self._n_words_at_fit + vocabulary.ids[b] for a, b in bi_pairs],
            dtype=np.int64,
        )
        order = np.argsort(keys)
        self.bigram_keys = keys[order]
        self.bigram_cols = np.asarray(bi_cols, dtype=np.int64)[order]

    def transform_ids(self, ids: np.ndarray, doc: np.ndarray, n_docs: int) -> sp.csr_matrix:
        """TF-IDF rows from the token ids of `Vocabulary.encode`."""
        known = (ids >= 0) & (ids < len(self.unigram_col))
        uni = np.full(len(ids), -1, dtype=np.int64)
        uni[known] = self.unigram_col[ids[known]]
        rows = [doc[uni >= 0]]
        cols = [uni[uni >= 0]]
        if len(self.bigram_keys) and len(ids) > 1:
            a, b = ids[:-1], ids[1:]
            pair = (doc[:-1] == doc[1:]) & (a >= 0) & (b >= 0)
            pair &= (a < self._n_words_at_fit) & (b < self._n_words_at_fit)
            keys = a[pair] * self._n_words_at_fit + b[pair]
            at = np.searchsorted(self.bigram_keys, keys)
            at[at == len(self.bigram_keys)] = 0
            hit = self.bigram_keys[at] == keys
            rows.append(doc[:-1][pair][hit])
            cols.append(self.bigram_cols[at[hit]])
        r, c = np.concatenate(rows), np.concatenate(cols)
        matrix = sp.csr_matrix(
            (np.ones(len(r), dtype=np.float32), (r, c)), shape=(n_docs, self.n_features), dtype=np.float32
        )
        matrix.sum_duplicates()
        if self.sublinear_tf:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        lengths = np.diff(matrix.indptr)
        row = np.repeat(np.arange(n_docs), lengths)
        norms = np.sqrt(np.bincount(row, weights=matrix.data.astype(np.float64) ** 2, minlength=n_docs))
        matrix.data /= norms[row].astype(np.float32)
        return matrix.astype(self.dtype, copy=False)


class WordEmbeddings:
    """Static word vectors (from a model2vec model) indexed by `Vocabulary` ids.

    A text's vector is the mean of its words' vectors, l2-normalised: model2vec's own
    sentence encoding, read from the tokens the n-grams already produced.
    """

    def __init__(self, static_model, vocabulary: Vocabulary) -> None:
        # every whole word of the embedding model's own vocabulary, beside the n-gram words:
        # a word never seen in training still carries its meaning
        pieces = static_model.tokenizer.get_vocab()
        vocabulary.add(sorted(w for w in pieces if vocabulary.pattern.fullmatch(w)))
        table = np.zeros((len(vocabulary), static_model.embedding.shape[1]), dtype=np.float32)
        known = np.zeros(len(vocabulary), dtype=bool)
        # each id once, by its own word (an alias shares its target's id and vector)
        own = list(enumerate(vocabulary.words))
        whole = [(w, i) for i, w in own if w in pieces]
        emb = np.asarray(static_model.embedding, dtype=np.float32)
        if whole:
            idx = np.array([i for _, i in whole])
            table[idx] = emb[[pieces[w] for w, _ in whole]]
            known[idx] = True
        rest = [(w, i) for i, w in own if not known[i]]
        if rest:
            vectors = static_model.encode([w for w, _ in rest], normalize=False)
            idx = np.array([i for _, i in rest])
            table[idx] = vectors
            known[idx] = True
        self.table = table
        self.dim = table.shape[1]

    def transform_ids(self, ids: np.ndarray, doc: np.ndarray, n_docs: int, max_tokens: int) -> np.ndarray:
        """Mean word vector of the first `max_tokens` known words of each text, l2-normalised."""
        ok = (ids >= 0) & (ids < len(self.table))
        ids, doc = ids[ok], doc[ok]
        if max_tokens and len(doc):
            start = np.searchsorted(doc, doc)  # first position of each token's text
            keep = (np.arange(len(doc)) - start) < max_tokens
            ids, doc = ids[keep], doc[keep]
        counts = sp.csr_matrix(
            (np.ones(len(ids), dtype=np.float32), (doc, ids)), shape=(n_docs, len(self.table))
        )
        out = np.asarray(counts @ self.table, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out
