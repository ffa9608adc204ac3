"""Word ids of many texts: featurisation's hot loop, compiled by mypyc (see setup.py).

Plain typed Python, run as it is where no compiled build exists. It gives exactly the
tokens of `re.findall(LETTER_WORDS, text.lower())` (scikit-learn's token pattern of
the stance model's vectorizers) for less: whitespace never
sits inside such a token and is never a word character, so the text can be split on
it first; a piece made of letters only is then one token (two letters or more), and
only pieces with digits or punctuation in them go through the regular expression.
"""

from __future__ import annotations

import re

#: Runs of two or more letters between word boundaries: the vectorizers' token pattern.
LETTER_WORDS = r"(?u)\b[^\W\d_]{2,}\b"


def word_ids(
    texts: list[str], ids: dict[str, int], pattern: re.Pattern, unknown: int
) -> tuple[list[int], list[int]]:
    """Every token of every lowercased text as its id in `ids` (`unknown` where absent), and
    each text's number of tokens. `pattern` must be LETTER_WORDS, compiled."""
    findall = pattern.findall
    out: list[int] = []
    lengths: list[int] = []
    for text in texts:
        before = len(out)
        for piece in text.lower().split():
            if piece.isalpha():
                if len(piece) > 1:
                    out.append(ids.get(piece, unknown))
            else:
                for word in findall(piece):
                    out.append(ids.get(word, unknown))
        lengths.append(len(out) - before)
    return out, lengths
