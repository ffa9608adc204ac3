"""The out-of-distribution suite's parts: text views, junk pages, name swaps, pools held out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifier.text import clean_body
from training.names import NAME_GROUPS, swap_names, swap_table, swapped
from training.ood import junk_pages, leave_one_pool_out, lede_only, proper_names

FRAME = pd.DataFrame(
    {
        "headline": ["SEC sues Binance", "Pakistan plans bitcoin reserve", "Bitcoin rises"],
        "body": [
            "The SEC sued Binance on Monday. It said the exchange broke the law.",
            "Pakistan will set aside 2,000 MW for mining. The reserve comes next.",
            "Prices rose 3% as traders eyed options expiry.",
        ],
        "label": ["restriction", "adoption", "neutral"],
        "pool": ["2025", "2021-2022", "2020"],
        "story_id": ["a", "b", "c"],
    }
)


def test_lede_only_is_the_first_sentence_sent_as_one_line() -> None:
    view = lede_only(FRAME)
    assert view["headline"].tolist()[0] == "The SEC sued Binance on Monday."
    assert (view["body"] == "").all()


def test_junk_pages_keep_the_article_and_the_cleaner_drops_the_teasers() -> None:
    pages = junk_pages(FRAME, seed=1)
    for original, page in zip(FRAME["body"], pages["body"], strict=True):
        assert all(part in page for part in original.split(". ")[:1])
        assert "Related: " in page and "More stories" in page
        assert len(page) > len(original) + 60
    assert junk_pages(FRAME, seed=1).equals(pages)  # deterministic
    # everything after a teaser heading is not the article
    assert "More stories" not in clean_body(pages["body"][0])


def test_name_swap_keeps_kinds_and_changes_every_listed_name() -> None:
    table = swap_table(seed=3)
    kind = {name: k for k, names in NAME_GROUPS.items() for name in names}
    assert all(kind[a] == kind[b] and a != b for a, b in table.items())
    text = swap_names("The SEC sued Binance; Pakistan and Bitcoin too. SECURITIES stay.", table)
    assert "SEC " not in text and "Binance" not in text and "Pakistan" not in text
    assert "SECURITIES stay" in text
    frame, changed = swapped(FRAME, seed=3)
    assert changed.tolist() == [True, True, True]
    assert frame["label"].equals(FRAME["label"])


def test_leave_one_pool_out_never_fits_on_the_held_out_pool() -> None:
    seen: list[set[str]] = []

    class Recorder:
        classes_ = np.array(["adoption", "neutral", "restriction"])

        def __init__(self, train: pd.DataFrame) -> None:
            seen.append(set(train["pool"]))

        def predict_proba(self, X) -> np.ndarray:
            return np.tile([0.2, 0.6, 0.2], (len(X), 1))

    written = FRAME.iloc[:1].assign(pool="written", story_id="event:x")
    out = leave_one_pool_out(Recorder, FRAME, written)
    assert set(out["all"]) == {"2020", "2021-2022", "2025"}
    for pools, held in zip(seen, ("2020", "2021-2022", "2025"), strict=True):
        assert held not in pools and "written" in pools


def test_proper_names_are_words_capitalised_mid_sentence() -> None:
    texts = pd.Series(
        ["The regulator met Binance. Later Binance said no. A Binance user and the regulator"] * 2
    )
    names = proper_names(texts)
    assert "binance" in names and "regulator" not in names
