"""Write training/data/DATASHEET.md from the corpus and agreement file: counts are computed, never typed.

Run: `python -m training.datasheet` (training.assemble runs it too).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from training.data import CORPUS_DIR, CORPUS_FILE

LABELS = ["adoption", "neutral", "restriction"]

SOURCES = """\
| pool | upstream | licence | years | text |
|---|---|---|---|---|
| 2025 | github.com/mouadja02/bitcoin-news-data (hourly CSV history, merged, de-duplicated on url) | MIT (collection); article text belongs to its publishers | 2025-05 to 2025-08 (a few 2026-06) | headline + full body with publishers' boilerplate |
| 2021-2022 | github.com/nyu-tandon-capstone/crypto-team4 (a "Crypto News +" snapshot) | MIT (collection); text belongs to its publishers | 2021-10 to 2022-07 | headline + one-paragraph lede |
| 2020 | github.com/TheManohar/CryptoNews (NewsAPI poll, recovered from the repository's history) | MIT (collection); text belongs to its publishers | 2020-04 to 2020-06 | headline + lede + ~200 chars of body; half mainstream outlets |

The text of every article belongs to its publisher; the corpus keeps each row's `url`
and `outlet` so that it can be traced, and is for research and model training."""

PROCESS = """\
1. **Stories.** The three pools (37,719 rows) were grouped into stories: rows whose normalised
   headline is identical, or whose headline + first 300 body characters have TF-IDF cosine
   similarity >= 0.6, are one story (`training/pools.py`). One row per story was kept, chosen at
   random, so no story can sit in two splits.
2. **What to read** (`training/select.py`, then `training/prioritise.py`). Keywords and feed tags only
   chose *which* rows to read, never a label: per pool, strata of stories whose headline suggests an
   authority restricting (`restrictive`), enabling (`enabling`), any authority (`authority`), and a
   plain random sample (`random`), outlets weighted by 1/sqrt(size); all of the 2020 pool (`all`).
   The first reads gave too few adoption and restriction stories, so a second round read the
   unread stories that a quick model, trained on the first labels, ranked highest for adoption or
   restriction (`model-ranked …`). The stratum of each row is in `selected_as`.
3. **Labels.** Rows were cut into batches of 550-630; each batch was read by one helper session
   (an LLM annotator) given only the guide and its own batch, labelling every item by reading it
   (headline + first ~900 characters); no script assigned labels. Instructions and tools:
   `training/labelling/`; raw labels: `training/data/labels/<batch>.tsv`; annotator of each batch:
   `labels/annotators.json`; their borderline notes: `labels/notes/`.
4. **Double labels.** A random 10 % (batches `d00`-`d02`, drawn across all first batches) was labelled
   again by other helper sessions that saw neither the first label nor any first batch. Where the
   two disagree, the label was adjudicated by the guide (`labels/adjudication.tsv`, with a reason per row).
5. **Neutral topic.** Neutral rows not drawn at random were read once more and tagged `regulatory`
   (about authorities or regulation, without a direction) or `other` (`neutral_topic`;
   random-sample neutrals are `untagged`).
6. **Splits.** Within each pool, the latest 15 % of stories by publication time are `test`, the 15 %
   before them `validation`, the rest `train`: users score tomorrow's news with a model trained on
   yesterday's, and test holds both full 2025 pages and 2021-22 ledes."""

GAPS = """\
- **Years.** The pools cover 2020-04 to 2020-06, 2021-10 to 2022-07 and 2025-05 to 2025-08 only:
  nothing from 2013-2019, 2022-08 to 2025-04, or after 2025-08 (but 23 rows from 2026-06).
  `bench/generalisation.py` measures how much a model loses on an era it never saw.
- **Outlets.** Mostly crypto trade press; mainstream outlets (Reuters, Bloomberg, Forbes, Yahoo …)
  come almost only from the small 2020 pool, which is also mostly off-topic for regulation.
  The 2021-22 pool has three outlets only.
- **Text formats.** 2021-22 rows are a headline and one-paragraph lede; 2020 rows are truncated
  ledes; 2025 rows are full pages with boilerplate.
- **Selection.** Keyword and model-ranked strata over-represent clear-cut regulatory stories,
  so the class balance here is not the balance of a news feed (ordinary feeds are far more neutral,
  see the `random` stratum), and the model-ranked rows lean toward what a first model found easy.
- **Annotators.** All labels come from LLM helper sessions of one model family; their agreement
  may be higher than that of two human annotators, and they may share blind spots. Annotators were
  uneven on a few rules (crimes where crypto holders are the victims, lawmakers' letters, approved
  then stayed ETFs): see `training/ANNOTATION.md`.
- **Labelled view.** Annotators read the headline and the first ~900 characters of the body; a
  stance that appears only late in a long article can be missed.
- **Near-duplicates.** Story grouping is lexical; one event covered in very different words by two
  outlets can remain two stories (in different splits)."""


def _table(frame: pd.DataFrame) -> str:
    frame = frame.copy()
    head = "| " + " | ".join([frame.index.name or "", *map(str, frame.columns)]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    rows = ["| " + " | ".join([str(i), *(f"{v:,}" if isinstance(v, int) else str(v) for v in r)]) + " |"
            for i, r in zip(frame.index, frame.itertuples(index=False), strict=True)]  # fmt: skip
    return "\n".join([head, rule, *rows])


def _counts(corpus: pd.DataFrame, by: str) -> pd.DataFrame:
    table = pd.crosstab(corpus[by], corpus["label"]).reindex(columns=LABELS, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index.name = by
    table.columns.name = None
    return table.astype(int)


def _shares(corpus: pd.DataFrame, by: str) -> pd.DataFrame:
    table = pd.crosstab(corpus[by], corpus["label"], normalize="index").reindex(columns=LABELS, fill_value=0)
    table = (table * 100).round(1).astype(str) + " %"
    table.index.name = by
    table.columns.name = None
    return table


def render(corpus: pd.DataFrame, agreement: dict) -> str:
    agreement = agreement.get("pool", agreement)
    corpus = corpus[corpus["origin"] == "pool"] if "origin" in corpus else corpus
    counts = corpus["label"].value_counts()
    regulatory_neutral = int(
        ((corpus["label"] == "neutral") & (corpus["neutral_topic"] == "regulatory")).sum()
    )
    outlets = _counts(corpus, "outlet").sort_values("total", ascending=False)
    top = outlets.head(40)
    rest = outlets.iloc[40:]
    per_class = ", ".join(f"{k} {v:.3f}" for k, v in agreement["kappa_per_class"].items())
    confusion = pd.DataFrame(agreement["confusion_first_by_second"]).T.reindex(index=LABELS, columns=LABELS)
    confusion.index.name = "first \\ second"
    year = corpus.assign(year=pd.to_datetime(corpus["published"], utc=True).dt.year.astype(str))
    parts = [
        "# Datasheet: regstance labelled corpus v1",
        "Generated by `python -m training.datasheet` from `corpus.parquet` and `agreement.json`.",
        "## What it is",
        f"{len(corpus):,} real crypto news stories (one row per story), each labelled for the regulatory "
        f"stance of public authorities: **adoption** {counts['adoption']:,}, **neutral** {counts['neutral']:,} "
        f"(of which {regulatory_neutral:,} about regulation or authorities without a direction), "
        f"**restriction** {counts['restriction']:,}; from {corpus['outlet'].nunique()} outlets. "
        "Label definitions: `training/ANNOTATION.md` (following the project's stance guide).",
        "Columns: `id` (sha1 of the url, 16 hex), `story_id`, `published` (UTC), `outlet` (canonical "
        "lower-case name), `url`, `headline`, `body` (as published, up to 20,000 characters), `label`, "
        "`split`, `pool`, `selected_as`, `feed_categories`, `label_a`/`label_b` (first and second raw "
        "labels), `batch_a`/`batch_b`, `annotator_a`/`annotator_b`, `adjudicated`, `adjudication_reason`, "
        "`labelled_by`, `note_a` (first annotator's note on a borderline row), `neutral_topic`.",
        "## Sources and licences",
        SOURCES,
        "## How rows were chosen and labelled",
        PROCESS,
        "## Agreement",
        f"{agreement['n_double_labelled']:,} stories ({agreement['n_double_labelled'] / len(corpus):.1%}) were "
        f"labelled twice independently: raw agreement {agreement['raw_agreement']:.3f}, Cohen's kappa "
        f"{agreement['kappa']:.3f} (one-vs-rest per class: {per_class}). "
        f"{int(corpus['adjudicated'].sum())} disagreements were adjudicated.",
        _table(confusion.astype(int)),
        "## Class counts per split",
        _table(_counts(corpus, "split").reindex(["train", "validation", "test"])),
        "Time span per split and pool:",
        _table(
            corpus.groupby(["split", "pool"])["published"]
            .agg(lambda s: f"{s.min():%Y-%m-%d} to {s.max():%Y-%m-%d}")
            .unstack()
            .reindex(["train", "validation", "test"])
        ),
        "## Selection strata",
        _table(_counts(corpus, "selected_as")),
        "## How the classes shift between the pools' years",
        _table(_shares(year, "year")),
        "Counts:",
        _table(_counts(year, "year")),
        "Per pool and selection stratum, the share of each label (the `random` rows estimate a plain feed):",
        _table(
            _shares(
                corpus.assign(pool_stratum=corpus["pool"] + " / " + corpus["selected_as"]), "pool_stratum"
            )
        ),
        "## Neutral topic",
        _table(
            corpus.loc[corpus["label"] == "neutral", "neutral_topic"].value_counts().rename("rows").to_frame()
        ),
        "## Class counts per outlet",
        f"The 40 largest of {len(outlets)} outlets; the other {len(rest)} hold {int(rest['total'].sum()):,} rows "
        f"({int(rest['adoption'].sum())} adoption, {int(rest['restriction'].sum())} restriction).",
        _table(top),
        "## Known gaps and biases",
        GAPS,
    ]
    return "\n\n".join(parts) + "\n"


def write_datasheet(corpus_dir: Path = CORPUS_DIR) -> Path:
    corpus = pd.read_parquet(corpus_dir / CORPUS_FILE)
    agreement = json.loads((corpus_dir / "agreement.json").read_text())
    path = corpus_dir / "DATASHEET.md"
    path.write_text(render(corpus, agreement))
    return path


if __name__ == "__main__":
    print(write_datasheet())
