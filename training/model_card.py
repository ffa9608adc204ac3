"""Write artifacts/MODEL_CARD.md from a run's metrics: filled in by the run, never by hand.

A section whose numbers the run did not produce becomes an HTML comment, not a guess.
"""

from __future__ import annotations

import json
from pathlib import Path

POOLS = ("2020", "2021-2022", "2025")

INTENDED_USE = """\
For compliance and policy analysts, crypto market researchers and journalists who
need the direction of regulatory news at volume: which articles report authorities
moving to **adopt** (enable, legitimise) or **restrict** (ban, enforce, warn) crypto
and digital assets, and which are **neutral**. Scores are a triage and trend signal
(see `regstance index`), not a legal judgement: read the article before acting on one."""

LIMITS = """\
- The real articles come from crypto trade press of 2020, 2021-22 and mid-2025 only, with few
  mainstream outlets. Years 2011-2024 are represented in training by news items that helper
  sessions wrote about real events (kept only where a blind second label agrees), never by real
  articles of those years: every score here is on real articles, and how the model does on real
  2011-2019 or 2023-24 news is measured only as far as a held-out pool stands in for it.
- Labels were given by LLM helper sessions reading against the guide, with ~10 % labelled
  twice (see `training/data/agreement.json`); label noise bounds what any model can score.
  Nine in ten real articles are neutral: adoption and restriction precision is far lower than
  neutral's (see the per-class table), which is why the `uncertain` threshold is set on macro
  precision, not accuracy.
- A bag-of-words linear model: it reads the headline and the first 1,500 characters of
  the body. Stance decided late in a long article, sarcasm, or negation ("did not ban")
  can be missed. Evidence terms show what pushed the score.
- Regulatory news without a direction (hearings, delays) sits close to both sides; the
  `uncertain` flag marks low-confidence calls.
- Names: where the chosen settings read names of places and authorities as their kind, a
  country or agency name no longer carries the label (see the name-swap line above), but names
  the gazetteer does not hold (people, coins, companies) still can; the first sentence alone is
  the weakest view.
- Actor indicators: where the chosen settings have them (`actor_marks`), whether an authority is
  named is read from the jurisdiction gazetteer; an authority it lacks, or one named only by a
  phrase it does not hold ("the agency sued ..."), counts as no actor, which leans
  the article toward neutral."""


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _scores_table(name_scores: list[tuple[str, dict]]) -> str:
    lines = [
        "| split | n | macro-F1 | accuracy | calibration error (ECE) |",
        "|---|---|---|---|---|",
    ]
    for name, s in name_scores:
        lines.append(
            f"| {name} | {s['n']} | {_pct(s['macro_f1'])} | {_pct(s['accuracy'])} | "
            f"{_pct(s['calibration_error'])} |"
        )
    return "\n".join(lines)


def _per_class(s: dict) -> str:
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for c, v in s["per_class"].items():
        lines.append(
            f"| {c} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} | {v['support']} |"
        )
    return "\n".join(lines)


def _groups(groups: dict, limit: int = 25) -> str:
    lines = ["| group | n | macro-F1 | accuracy |", "|---|---|---|---|"]
    for key, v in list(groups.items())[:limit]:
        flag = " (few rows)" if v["too_small"] else ""
        lines.append(f"| {key}{flag} | {v['n']} | {_pct(v['macro_f1'])} | {_pct(v['accuracy'])} |")
    return "\n".join(lines)


def _candidates(rows: list[dict], selected: dict) -> str:
    lines = [
        "| candidate | suite score | pools held out (2020 / 2021-22 / 2025) | validation: full / headline / "
        "lede / junk pages | articles/s, one core | × reference |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = " **(chosen)**" if r["params"] == selected else ""
        if r.get("fast_enough") is False:
            mark += " (too slow for bulk scoring)"
        pools = " / ".join(_pct(r["leave_one_pool_out"].get(p, {}).get("macro_f1")) for p in POOLS)
        v = r["validation_views"]
        views = " / ".join(
            _pct(v[k]["macro_f1"]) for k in ("full_text", "headline_only", "lede_only", "junk_pages")
        )
        lines.append(
            f"| `{_short(r['params'])}`{mark} | {r['suite_score']:.3f} | {pools} | {views} | "
            f"{r['articles_per_s_one_core']:,.0f} | {r['speed_ratio']:.2f} |"
        )
    return "\n".join(lines)


def _short(params: dict) -> dict:
    """Settings as the card shows them: the embedding folder by its name only."""
    return {k: (Path(v).name if k == "embeddings" and v else v) for k, v in params.items()}


def _slice_row(name: str, s: dict) -> str:
    return (
        f"| {name} | {s['n']} | {_pct(s['macro_f1'])} | {_pct(s['accuracy'])} | "
        f"{_pct(s.get('accuracy_when_confident'))} | {_pct(s.get('macro_precision_when_confident'))} | "
        f"{_pct(s.get('coverage_when_confident'))} |"
    )


def ood_section(ood: dict) -> str:
    """The out-of-distribution table: what a user meets on news unlike the training rows."""
    head = [
        "| slice | n | macro-F1 | accuracy | accuracy when confident | macro precision when confident | share confident |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [
        _slice_row(f"pool {p} held out (all its rows)", v) for p, v in ood["pool_held_out_all_rows"].items()
    ]
    rows += [
        _slice_row(f"pool {p} held out (its test rows)", v) for p, v in ood["pool_held_out_test_rows"].items()
    ]
    names = {
        "full_text": "test, full articles",
        "headline_only": "test, headline only",
        "lede_only": "test, first sentence only",
        "one_line_lede": "test, headline + first sentence",
        "junk_pages": "test, pages wrapped in page junk",
    }
    rows += [_slice_row(names[k], v) for k, v in ood["test_views"].items()]
    rows += [_slice_row(f"test, pool {p}", v) for p, v in ood["test_per_pool"].items()]
    swap = ood["name_swap"]
    evidence = ood.get("evidence_names")
    text = [
        "\n".join(head + rows),
        f"Suite score (mean macro-F1 of the pools held out and the headline, first-sentence and junk-page "
        f"views): **{ood['suite_score']:.3f}**.",
        f"**Names swapped** (countries, capitals, agencies, people, coins, exchanges replaced by others of "
        f"their kind, `training/names.py`): {swap['changed_share']:.1%} of test predictions change "
        f"({swap['changed_share_of_rows_with_names']:.1%} of the {swap['n_with_names']} rows that hold a listed name).",
    ]
    if evidence:
        text.append(
            f"**Evidence and names:** of the top-{evidence['k']} evidence terms of the test articles, "
            f"{evidence['name_share']:.1%} are proper names (terms written capitalised wherever they occur "
            "mid-sentence in the test texts)."
        )
    text.append(
        "A held-out pool is fitted on the train and validation rows of the other pools and all written "
        "items; rows of the held-out pool outside its test split were also used to choose among "
        "candidates, so the 'test rows' lines are the clean ones. 'Confident' is the validation-chosen "
        "`uncertain` threshold; macro precision is the mean over labels of how often a confident "
        "prediction of that label is right."
    )
    return "\n\n".join(text)


def render(metrics: dict) -> str:
    data = metrics["data"]
    rob = metrics.get("test_robustness")
    unc = metrics.get("uncertain_flag", {})
    parts = [
        f"# Model card: {metrics['model_version']}",
        "Generated by `regstance train` from `artifacts/metrics.json`; do not edit by hand.",
        "## Model",
        "\n".join(
            [
                f"- Version `{metrics['model_version']}`, trained {metrics['trained_at']} in "
                f"{metrics['training_seconds']} s on {metrics['environment']['n_jobs']} cores "
                f"(Python {metrics['environment']['python']}, scikit-learn {metrics['environment']['sklearn']}).",
                f"- File `artifacts/model/model.joblib`, SHA-256 `{metrics['model_sha256']}` (checked on load).",
                f"- Chosen settings: `{_short(metrics['selected'])}` — TF-IDF word n-grams of the headline and of "
                "the cleaned body lead, weighted apart (with `abstract_names`, one-word names of places and "
                "authorities read as their kind; with `embeddings`, static word vectors appended; with "
                "`actor_marks`, six indicators at that weight of whether the headline and the lead name an "
                "authority, only a place, or no actor, from the jurisdiction gazetteer), into a "
                "logistic regression (with `headline_head`, a second one fitted on the training headlines "
                "alone scores the articles whose body gives the model no feature: headlines sent alone).",
                "- Classes: `adoption`, `neutral`, `restriction`, as defined in `training/ANNOTATION.md`.",
            ]
        ),
        "## Intended use",
        INTENDED_USE,
        "## Data",
        "Corpus `training/data/corpus.parquet` (datasheet: `training/data/DATASHEET.md`). "
        "Splits are grouped by story; test is the latest stretch of time of each pool.",
        "\n".join(
            [
                "| split | n | adoption | neutral | restriction | published from | to |",
                "|---|---|---|---|---|---|---|",
                *[
                    f"| {s} | {d['n']} | {d['labels'].get('adoption', 0)} | {d['labels'].get('neutral', 0)} | "
                    f"{d['labels'].get('restriction', 0)} | {d['published'][0][:10]} | {d['published'][1][:10]} |"
                    for s, d in data.items()
                ],
            ]
        ),
        "## Scores",
        _scores_table(
            [
                ("validation (model fit on train)", metrics["validation"]),
                ("test (final model, reported once)", metrics["test"]),
            ]
        ),
        "### Test, per class",
        _per_class(metrics["test"]),
        "![confusion matrix on test](confusion_test.png)",
    ]
    if rob:
        parts += [
            "### Test, on the text users will send",
            f"| view | macro-F1 |\n|---|---|\n| full article | {_pct(rob['full_text'])} |\n"
            f"| headline alone | {_pct(rob['headline_only'])} |\n| one-line lede (headline + first sentence) | "
            f"{_pct(rob['one_line_lede'])} |",
            "### Test, per pool (year and text format)",
            _groups(rob["per_pool"]),
            "### Test, per outlet (largest first)",
            _groups(rob["per_outlet"]),
        ]
    else:
        parts.append("<!-- robustness not evaluated in this run -->")
    if metrics.get("out_of_distribution"):
        parts += [
            "## Out of distribution: news unlike the training rows",
            ood_section(metrics["out_of_distribution"]),
        ]
    if unc and not unc.get("target_not_reached"):
        parts += [
            "## The `uncertain` flag",
            f"An article is flagged `uncertain` when its top probability is below **{unc['threshold']:.2f}**, "
            f"chosen on validation as the lowest threshold at which the confident predictions of each label "
            f"are right {metrics['args']['target_confident_accuracy']:.0%} of the time on average (macro "
            "precision: plain accuracy would let the neutral majority hide wrong adoption and restriction "
            f"calls). There {unc['coverage']:.0%} of articles were confident, with macro precision "
            f"{_pct(unc.get('macro_precision_when_confident'))} and accuracy {_pct(unc['accuracy_when_confident'])}, "
            f"against accuracy {_pct(unc['accuracy_when_uncertain'])} for the flagged rest.",
        ]
    else:
        parts.append("<!-- uncertain threshold: target accuracy not reached on validation -->")
    parts += [
        "## Model selection",
        "Each candidate is scored on the out-of-distribution suite without touching a test row: every "
        "pool held out in turn (fit on the real train and validation rows of the other pools plus the "
        "written items, score the held-out pool's train and validation rows), and validation articles "
        "as headline alone, first sentence alone and pages wrapped in junk. The suite score is the mean "
        "of those six macro-F1s; the best is chosen among candidates scoring at least "
        f"{metrics['args']['min_speed_ratio']:.0%} of the speed of the reference `{metrics['args']['speed_reference']}` "
        f"({metrics['speed_reference_articles_per_s']:,.0f} articles/s in this run). Speed is predict_proba on "
        "full validation articles, cleaning included, one model at a time.",
        _candidates(metrics["candidates"], metrics["selected"]),
        "## Limits",
        LIMITS,
    ]
    return "\n\n".join(parts) + "\n"


def where_section(where: dict | None) -> str:
    """The jurisdiction extractor's section, from artifacts/jurisdiction/metrics.json (training/where.py)."""
    if not where:
        return "<!-- jurisdiction extractor not evaluated: run `python -m training.where` -->\n"
    t = where["test"]
    worst = ", ".join(
        f"{w['jurisdiction']} (found in {w['recall']:.0%} of its {w['n']} rows)"
        for w in where["worst_jurisdictions"]
    )
    targets = where.get("targets", {})
    verdict = []
    for name, key, value in (
        ("overall", "jurisdiction_accuracy", t["jurisdiction_accuracy"]),
        ("where an authority acts", "where_authority_acts", t["jurisdiction_accuracy_where_authority_acts"]),
    ):
        if key in targets:
            met = "met" if value >= targets[key] else "**not met**"
            verdict.append(f"{name} ≥ {targets[key]:.2f}: {met} ({_pct(value)})")
    top = [(code, v) for code, v in where["test_per_jurisdiction"].items()][:12]
    pools = where["test_per_pool"]
    lines = [
        "## Where: jurisdiction and authority",
        f"A separate component, `artifacts/jurisdiction/extractor.joblib` (version `{where['version']}`, "
        f"SHA-256 `{where['sha256']}`, checked on load), names the jurisdiction (ISO 3166-1/3166-2, `EU`, `INT` "
        "or `none`) and the acting authority of each article, as `training/ANNOTATION.md` defines them. It finds "
        "every authority and place the headline and lead name (a gazetteer from pycountry, countryinfo and "
        f"`classifier/data/`: {where['gazetteer']['aliases']:,} aliases), ranks them with a logistic regression "
        "trained on the labelled train and validation rows, and a second one decides whether any authority acts "
        f"(threshold {where['gate_threshold']}, chosen by cross-validation on those rows, each weighed by the "
        "rows of its draw it stands for: they were drawn heavy in acting authorities). It does not change the "
        f"stance labels. Trained on {where['n_train']:,} labelled rows (the gate also on "
        f"{where.get('n_gate_only', 0):,} other train/validation rows whose stance labels say whether an "
        f"authority acts, each counting {where.get('gate_only_row_weight', 1)} of a row read for jurisdiction, "
        "with out-of-fold stance probabilities) against stance model "
        "(whose probabilities it reads with the pull of the model's actor indicators taken out, "
        "`StanceModel.word_proba`: the gate finds the names itself) "
        f"`{where['stance_model_version']}`.",
        f"Measured on the {t['n']} labelled test rows ({t['n_acting']} where an authority acts) by "
        f"`{where['command']}`; authorities compared in the table's canonical spelling:",
        "\n".join(
            [
                "| measure | overall | where an authority acts |",
                "|---|---|---|",
                f"| jurisdiction accuracy | {_pct(t['jurisdiction_accuracy'])} | "
                f"{_pct(t['jurisdiction_accuracy_where_authority_acts'])} |",
                f"| authority accuracy (with its jurisdiction) | {_pct(t['authority_accuracy'])} | "
                f"{_pct(t['authority_accuracy_where_authority_acts'])} |",
            ]
        ),
        f"`none` is answered for {_pct(t['none_recall'])} of the articles where no authority acts, and for "
        f"{_pct(t['acting_said_none'])} of those where one does. The issue's targets for jurisdiction "
        f"accuracy: {'; '.join(verdict) or '—'}.",
        "\n".join(
            [
                "| test pool | n | jurisdiction accuracy | where an authority acts |",
                "|---|---|---|---|",
                *[
                    f"| {pool} | {v['n']} | {_pct(v['jurisdiction_accuracy'])} | "
                    f"{_pct(v['jurisdiction_accuracy_where_authority_acts'])} |"
                    for pool, v in pools.items()
                ],
            ]
        ),
        "\n".join(
            [
                "| jurisdiction (largest in test) | n | found (recall) | right when answered (precision) |",
                "|---|---|---|---|",
                *[f"| {code} | {v['n']} | {_pct(v['recall'])} | {_pct(v['precision'])} |" for code, v in top],
            ]
        ),
        f"Worst among jurisdictions with at least 5 test rows: {worst}. It takes its candidates from the "
        f"headline and the first {where.get('lead_chars', 600):,} characters of the body as the stance model "
        f"cleans it (the body up to {where.get('reach_chars', 1500):,} only weighs between them), and knows "
        "only the names in its "
        "tables: an authority the tables lack, or one named only later in the article, is missed. Labels "
        "are one helper session's reading (two for ~10 %; agreement in "
        "`training/data/jurisdiction_agreement.json`), which bounds what can be measured.",
        f"Speed: {where['articles_per_s_one_core']:,.0f} articles/s on one core, the extractor alone as "
        "scoring runs it: on the stance model's cleaned texts and the scans of its actor indicators, which "
        "it reads instead of scanning the same texts again.",
    ]
    return "\n\n".join(lines) + "\n"


def write_model_card(path: Path, metrics: dict) -> None:
    """The stance card, then the jurisdiction section from `jurisdiction/metrics.json` beside it."""
    where_file = Path(path).parent / "jurisdiction" / "metrics.json"
    where = json.loads(where_file.read_text()) if where_file.is_file() else None
    Path(path).write_text(render(metrics) + "\n" + where_section(where))
