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
6. **Splits.** Within each pool, the latest 15 % of v1's stories by publication time are `test`, the
   15 % before them `validation`, the rest `train`: users score tomorrow's news with a model trained
   on yesterday's, and test holds both full 2025 pages and 2021-22 ledes. v2's rows fall into the
   split whose stretch of time holds their date, so v1's test rows stay test rows.
7. **v2: every remaining story** (`training/select_rest.py`). The 24,629 stories v1 had not read were
   cut into batches of ~985 (`r00`-`r24`), each read by one helper session exactly as above; a random
   10 % (`e00`-`e02`) was read again blind by other sessions, and disagreements adjudicated with a
   reason. `selected_as` = `rest (every unread story)` marks these rows.
8. **v2: written news for the missing years** (`training/data/written/`). Helper sessions wrote news
   items, each sentence their own, about real events of 2011-2024 they know of, in five styles (wire
   copy with a dateline, mainstream pages wrapped in page junk, trade-press headline alone, trade-press
   one-line lede, authorities' press releases and enforcement notices), with the writer's label,
   jurisdiction and event. Every item was then labelled again by another helper session that saw only
   its headline and text, mixed with other years' items (`b*` batches, `labels/written_batches.csv`);
   an item is kept only where both labels agree. Written items sit in `train` only and are never
   scored: every reported score is on real articles."""

GAPS = """\
- **Years.** The real pools cover 2020-04 to 2020-06, 2021-10 to 2022-07 and 2025-05 to 2025-08 only:
  no real article from 2011-2019, 2022-08 to 2025-04, or after 2025-08 (but 23 rows from 2026-06).
  The written items stand in for those years in training, but they are one model family's picture of
  the news, not the news: nothing can be scored on them, and how well the model does on real old news
  is measured only as far as a held-out pool stands in for it (`bench/generalisation.py`).
- **Written items.** Facts are from the writers' memory; some details (amounts, dates) may be off,
  and writers kept them vague where unsure. Their styles are imitations of wire, mainstream and
  press-release copy.
- **Outlets.** Mostly crypto trade press; mainstream outlets (Reuters, Bloomberg, Forbes, Yahoo …)
  come almost only from the small 2020 pool, which is also mostly off-topic for regulation.
  The 2021-22 pool has three outlets only.
- **Text formats.** 2021-22 rows are a headline and one-paragraph lede; 2020 rows are truncated
  ledes; 2025 rows are full pages with boilerplate.
- **Selection.** v1's keyword and model-ranked strata over-represented clear-cut regulatory
  stories; v2 labels the rest of the pools, so the pool rows as a whole now have the stream's class
  shares (far more neutral). Where v2's batches are not all labelled yet, the rows present still
  lean the old way: the counts above say how far v2 has got.
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


def _agreement_line(name: str, a: dict) -> str:
    per_class = ", ".join(f"{k} {v:.3f}" for k, v in a["kappa_per_class"].items())
    return (
        f"| {name} | {a['n_double_labelled']:,} | {a['raw_agreement']:.3f} | {a['kappa']:.3f} | {per_class} |"
    )


def _confusion(a: dict) -> str:
    confusion = pd.DataFrame(a["confusion_first_by_second"]).T.reindex(index=LABELS, columns=LABELS)
    confusion.index.name = "first \\ second"
    return _table(confusion.fillna(0).astype(int))


def render(corpus: pd.DataFrame, agreement: dict, effect: dict | None = None) -> str:
    real = corpus[corpus["origin"] == "pool"]
    written = corpus[corpus["origin"] == "written"]
    pool_agreement = agreement["pool"]
    counts = real["label"].value_counts()
    regulatory_neutral = int(((real["label"] == "neutral") & (real["neutral_topic"] == "regulatory")).sum())
    outlets = _counts(real, "outlet").sort_values("total", ascending=False)
    top, rest = outlets.head(40), outlets.iloc[40:]
    year = corpus.assign(year=corpus["year"].astype("Int64").astype(str))
    agreement_rows = [
        "| rows | doubly labelled | raw agreement | Cohen's kappa | kappa per class (one vs rest) |",
        "|---|---|---|---|---|",
        _agreement_line("all pool rows", pool_agreement),
    ]
    for key, name in (("v1_rows", "pool rows of v1"), ("v2_rows", "pool rows added in v2")):
        if key in pool_agreement:
            agreement_rows.append(_agreement_line(name, pool_agreement[key]))
    if "written" in agreement:
        agreement_rows.append(
            _agreement_line("written items (writer vs blind second label)", agreement["written"])
        )
    parts = [
        "# Datasheet: regstance labelled corpus v2",
        "Generated by `python -m training.datasheet` from `corpus.parquet`, `agreement.json` and "
        "`written_effect.json`; nothing here is typed by hand.",
        "## What it is",
        f"{len(real):,} real crypto news stories (one row per story, `origin` = `pool`), each labelled for the "
        f"regulatory stance of public authorities: **adoption** {counts.get('adoption', 0):,}, **neutral** "
        f"{counts.get('neutral', 0):,} (of which {regulatory_neutral:,} tagged as about regulation without a "
        f"direction), **restriction** {counts.get('restriction', 0):,}; from {real['outlet'].nunique()} outlets. "
        f"Beside them, {len(written):,} **written** news items (`origin` = `written`) about real events of "
        "2011-2024, years the pools lack, in the train split only. Label definitions: "
        "`training/ANNOTATION.md` (following the project's stance guide).",
        "Columns: `id`, `story_id` (written items: `event:<slug>`, so an event's items stay together), "
        "`published` (UTC; empty for written items), `outlet`, `url`, `headline`, `body` (up to 20,000 "
        "characters), `label`, `split`, `pool` (`written` for written items), `origin`, `year`, `style` (written "
        "items: wire, mainstream_page, trade_headline, trade_lede, press_release), `written_jurisdiction`, "
        "`event`, `selected_as`, `feed_categories`, `label_a`/`label_b` (first and second raw labels), "
        "`batch_a`/`batch_b`, `annotator_a`/`annotator_b`, `adjudicated`, `adjudication_reason`, "
        "`labelled_by`, `note_a`, `neutral_topic`, `jurisdiction`/`authority` (where the article's acting "
        f"authority is, labelled to the jurisdiction guide on {int(corpus['jurisdiction'].notna().sum()):,} rows: "
        "every test row and a spread of train and validation rows; agreement in "
        "`jurisdiction_agreement.json`; empty where unlabelled).",
        "## Sources and licences",
        SOURCES,
        "## How rows were chosen, labelled and written",
        PROCESS,
        "## Agreement",
        "\n".join(agreement_rows),
        f"{int(real['adjudicated'].sum())} disagreements between two pool labels were adjudicated by the guide, "
        "each with a written reason. Written items whose two labels disagree are not in the corpus"
        + (
            f" ({agreement['written']['n_written'] - agreement['written']['n_kept']:,} of "
            f"{agreement['written']['n_written']:,} dropped)."
            if "written" in agreement
            else "."
        ),
        "First by second label, all doubly labelled pool rows:",
        _confusion(pool_agreement),
        "## Class counts per split (real rows, then written)",
        _table(_counts(real, "split").reindex(["train", "validation", "test"]).dropna().astype(int)),
        "Time span per split and pool:",
        _table(
            real.groupby(["split", "pool"])["published"]
            .agg(lambda s: f"{s.min():%Y-%m-%d} to {s.max():%Y-%m-%d}")
            .unstack()
            .reindex(["train", "validation", "test"])
        ),
        "Per origin and pool:",
        _table(_counts(corpus.assign(origin_pool=corpus["origin"] + " / " + corpus["pool"]), "origin_pool")),
        "## Selection",
        "What v1 chose to read (`selected_as`); v2 read every story v1 left (`rest (every unread story)`), so "
        "the pools' rows are now all labelled and their class shares are the news stream's own:",
        _table(_counts(real, "selected_as")),
        "## Per year (pool rows by publication year, written items by the year of their event)",
        _table(_counts(year, "year")),
        _table(_shares(year, "year")),
    ]
    if len(written):
        parts += [
            "## Written items",
            f"{len(written):,} items about {written['event'].nunique()} real events in "
            f"{written['written_jurisdiction'].nunique()} jurisdictions (`none` counted as one).",
            "Per style:",
            _table(_counts(written, "style")),
            "Hard neutrals (about regulation, without a direction) among the written neutrals: "
            f"{int((written['neutral_topic'] == 'regulatory').sum()):,} of {int((written['label'] == 'neutral').sum()):,}.",
        ]
    if effect:
        parts += ["## What the written items buy", render_effect(effect)]
    else:
        parts.append("<!-- written_effect.json not present: python -m training.written_effect -->")
    parts += [
        "## Neutral topic",
        _table(
            real.loc[real["label"] == "neutral", "neutral_topic"].value_counts().rename("rows").to_frame()
        ),
        "## Class counts per outlet",
        f"The 40 largest of {len(outlets)} outlets; the other {len(rest)} hold {int(rest['total'].sum()):,} rows "
        f"({int(rest['adoption'].sum())} adoption, {int(rest['restriction'].sum())} restriction).",
        _table(top),
        "## Known gaps and biases",
        GAPS,
    ]
    return "\n\n".join(parts) + "\n"


def render_effect(effect: dict) -> str:
    """The table of `training.written_effect`: scores on real rows with 0-100 % of the written items."""
    slices = effect["slices"]
    head = "| written items used | n written | " + " | ".join(slices) + " | mean |"
    lines = [head, "|" + "---|" * (len(slices) + 3)]
    for row in effect["rows"]:
        values = " | ".join(f"{row['scores'][k]:.3f}" for k in slices)
        lines.append(f"| {row['share']:.0%} | {row['n_written']:,} | {values} | {row['mean']:.3f} |")
    return "\n\n".join(
        [
            f"Recipe `{effect['params']}`, seed {effect['seed']}; macro-F1 on real articles only. "
            + effect["description"],
            "\n".join(lines),
        ]
    )


def write_datasheet(corpus_dir: Path = CORPUS_DIR) -> Path:
    corpus = pd.read_parquet(corpus_dir / CORPUS_FILE)
    agreement = json.loads((corpus_dir / "agreement.json").read_text())
    effect_file = corpus_dir / "written_effect.json"
    effect = json.loads(effect_file.read_text()) if effect_file.is_file() else None
    path = corpus_dir / "DATASHEET.md"
    path.write_text(render(corpus, agreement, effect))
    return path


if __name__ == "__main__":
    print(write_datasheet())
