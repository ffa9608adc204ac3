"""`regstance`: serve the API, score archives, build the stance index, train.

Results go to files or stdout; messages and progress go to stderr.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="Which way authorities are moving on crypto: adoption, restriction or neutral, article by article.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)

#: Exit codes: 0 all scored; 1 some records rejected or some files with faults (see the rejects
#: file); 2 usage or input error, or a duplicate id under --on-duplicate error.
EXIT_REJECTS, EXIT_USAGE = 1, 2


class OnDuplicate(StrEnum):
    """--on-duplicate: what to do with a record whose id came earlier in the run."""

    keep = "keep"
    first = "first"
    error = "error"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, each with its own model.")] = 1,
    model: Annotated[
        Path | None, typer.Option(exists=True, help="Model folder; default: the shipped model.")
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs ~10% throughput; /metrics counts them anyway).")
    ] = False,
    index: Annotated[
        list[Path] | None,
        typer.Option(
            "--index",
            exists=True,
            dir_okay=False,
            help="A scored file (`regstance score` output) whose stance index the page charts; repeatable.",
        ),
    ] = None,
) -> None:
    """Serve the web page at / and the prediction API (FastAPI on uvicorn); OpenAPI docs at /docs."""
    import json

    import uvicorn

    from classifier.index import read_scored
    from classifier.model import ModelIntegrityError, load_model
    from classifier.where import WhereIntegrityError, load_where

    if model is not None:
        os.environ["REGSTANCE_MODEL_DIR"] = str(model.resolve())
    try:  # fail here, with one clear line, rather than in every worker
        load_model(model)  # reads REGSTANCE_MODEL_SHA256 itself
        load_where()  # the jurisdiction extractor: REGSTANCE_WHERE_DIR, REGSTANCE_WHERE_SHA256
    except (OSError, ModelIntegrityError, WhereIntegrityError) as exc:
        err.print(f"[red]cannot load the model:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    if index:
        try:
            read_scored(index)
        except (ValueError, KeyError, OSError) as exc:
            err.print(f"[red]cannot read the scored files:[/red] {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
        os.environ["REGSTANCE_INDEX_FILES"] = json.dumps([str(p.resolve()) for p in index])
    uvicorn.run(
        "classifier.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )


# One string per paragraph: rich keeps a docstring's line breaks, mid-sentence.
SCORE_HELP = "\n\n".join(
    [
        "Score every article in INPUTS; write one row per article to OUTPUT.",
        "Formats are recognised by their first bytes (gzip, Parquet, WARC), not trusted from the name; "
        "a name that lies about a readable file is a warning.",
        "What is not scored goes to OUTPUT.rejects.jsonl, one JSON line each with file, position (line, "
        "row, row group or byte offset), reason and kind: record (a bad record; the rest of its file is "
        "scored), fault (a truncated or damaged file: all before the fault is scored; or a file that "
        "cannot be read at all) or warning (a mislabelled file, a duplicate id). A fault never stops the "
        "run, and --resume reports it again in the same place.",
        "Exit code 0: all scored; 1: some records rejected or files with faults; 2: a usage error, or a "
        "duplicate id under --on-duplicate error.",
    ]
)


@app.command(help=SCORE_HELP)
def score(
    inputs: Annotated[
        list[str], typer.Argument(help="Files, directories or globs: JSONL(.gz), CSV, Parquet, WARC.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write: .parquet or .jsonl.")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Processes (local) or workers (dask).")
    ] = 1,
    engine: Annotated[
        str, typer.Option(help="local, or dask (a LocalCluster unless --scheduler).")
    ] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run, skipping finished chunks.")
    ] = False,
    on_duplicate: Annotated[
        OnDuplicate,
        typer.Option(
            help="A record whose id came earlier in the run: keep both, keep the first, or error "
            "(write nothing, exit 2). Each is listed in the rejects file either way."
        ),
    ] = OnDuplicate.keep,
    evidence: Annotated[
        int, typer.Option(min=0, max=20, help="Add the N strongest evidence terms per row.")
    ] = 0,
    chunk_size: Annotated[int, typer.Option(min=1, help="Records per chunk (bounds memory).")] = 2_000,
    model: Annotated[
        Path | None, typer.Option(exists=True, help="Model folder; default: the shipped one.")
    ] = None,
    where: Annotated[
        bool, typer.Option(help="Add jurisdiction, jurisdiction_name and authority columns.")
    ] = True,
    where_model: Annotated[
        Path | None,
        typer.Option(exists=True, help="Jurisdiction extractor folder; default: the shipped one."),
    ] = None,
    id_field: Annotated[str | None, typer.Option(help="Input field for the id (default: id).")] = None,
    headline_field: Annotated[str | None, typer.Option(help="Default: headline, else title.")] = None,
    body_field: Annotated[str | None, typer.Option(help="Default: body, else text, else content.")] = None,
    date_field: Annotated[str | None, typer.Option(help="Default: published, else date.")] = None,
    outlet_field: Annotated[str | None, typer.Option(help="Default: outlet, else source.")] = None,
    url_field: Annotated[str | None, typer.Option(help="Default: url.")] = None,
) -> None:
    """Score archives into one output file; what a user reads about it is SCORE_HELP."""
    from rich.markup import escape

    from classifier.archive import FieldMap, expand_inputs  # its ArchiveError is a ValueError
    from classifier.bulk import DuplicateIdError, ResumeError, ScoreJob, run
    from classifier.model import ModelIntegrityError
    from classifier.where import WhereIntegrityError

    try:
        fields = FieldMap.with_overrides(
            id=id_field, headline=headline_field, body=body_field, published=date_field,
            outlet=outlet_field, url=url_field,
        )  # fmt: skip
        job = ScoreJob(
            inputs=expand_inputs(inputs), output=output.resolve(), fields=fields,
            chunk_size=chunk_size, evidence=evidence, model_dir=model, where=where, where_dir=where_model,
        )  # fmt: skip
        with _ProgressLine(chunk_size) as on_progress:
            summary = run(
                job, jobs=jobs, engine=engine, scheduler=scheduler, resume=resume,
                on_duplicate=on_duplicate.value, on_progress=on_progress,
            )  # fmt: skip
    # EOFError too: click would print a bare "Aborted." for it, as if the user had pressed Ctrl-D
    except (
        ResumeError, DuplicateIdError, ModelIntegrityError, WhereIntegrityError, ValueError, OSError, EOFError
    ) as exc:  # fmt: skip
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    err.print(_summary_line(summary), markup=False, highlight=False)
    for notice in summary.notices:
        err.print(
            f"  {notice.kind}: {notice.file} {notice.position}: {notice.reason}",
            markup=False,
            highlight=False,
        )
    if summary.notices_left_out:
        err.print(f"  and {summary.notices_left_out:,} more file faults and warnings", highlight=False)
    if summary.rejects_file:
        err.print(f"every reject, fault and warning: {summary.rejects_file}", markup=False, highlight=False)
    if summary.rejected or summary.faults:
        raise typer.Exit(EXIT_REJECTS)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _summary_line(summary) -> str:
    """One line a person reads first: what was scored and what was not, and where it went."""
    return (
        f"scored {summary.scored:,} articles, rejected {_count(summary.rejected, 'record', 'records')}, "
        f"{_count(summary.faults, 'file', 'files')} with faults, "
        f"{_count(summary.duplicates, 'duplicate id', 'duplicate ids')}, "
        f"{_count(summary.warnings, 'warning', 'warnings')} "
        f"in {summary.seconds:.1f} s ({summary.rate:,.0f} records/s, engine {summary.engine}) -> {summary.output}"
    )


class _ProgressLine:
    """A records/s progress display on a terminal; silent in pipes and CI logs."""

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"({task.speed:,.0f} records/s)" if task.speed else "")

        self.bar = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TextColumn("~{task.completed:,.0f} records"),
            Rate(), TimeElapsedColumn(), console=err,
        )  # fmt: skip
        self.bar.start()
        task = self.bar.add_task("scoring", total=None)
        return lambda chunks: self.bar.update(task, completed=chunks * self.chunk_size)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def index(
    scored: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Outputs of `regstance score`.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV of the index.")] = Path("index.csv"),
    freq: Annotated[str, typer.Option(help="Period: D (day), W (week) or M (month).")] = "W",
    by: Annotated[str | None, typer.Option(help="Break down by: outlet or jurisdiction.")] = None,
    top: Annotated[
        int | None, typer.Option(min=1, help="With --by: keep the N largest groups by volume.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Also draw the index as a PNG here; with --by jurisdiction a heatmap, "
            "and small multiples beside it (NAME-lines.png)."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day to include, e.g. 2025-05-01.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day to include, e.g. 2025-08-31.")] = None,
) -> None:
    """Stance index over time: counts and shares per label and the net index (adoption - restriction).

    With --by jurisdiction, one index per jurisdiction (articles where no authority acts are
    left out) and, with --plot, a heatmap of the net index by jurisdiction and period.
    """
    from classifier.index import plot_index, plot_jurisdictions, read_scored, stance_index

    try:
        table, undated = stance_index(
            read_scored(scored, by=by), freq=freq.upper(), by=by, start=start, end=end, top=top
        )
    except (ValueError, KeyError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    if table.empty:
        err.print("[red]error:[/red] no dated rows to index")
        raise typer.Exit(EXIT_USAGE)
    table.to_csv(output, index=False)
    drawn = []
    if plot and by == "jurisdiction":
        drawn = plot_jurisdictions(table, plot, freq=freq.upper())
    elif plot:
        plot_index(table, plot, freq=freq.upper(), by=by)
        drawn = [plot]
    note = f"; {undated:,} rows without a usable date left out" if undated else ""
    written = "".join(f" and {p}" for p in drawn)
    err.print(f"{len(table)} rows -> {output}{written}{note}")


@app.command()
def train(
    out_dir: Annotated[Path | None, typer.Option(help="Where to write the model, metrics and card.")] = None,
    corpus_dir: Annotated[Path | None, typer.Option(help="Folder holding corpus.parquet.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random part.")] = 42,
    n_jobs: Annotated[int, typer.Option(min=1, help="Processes for cross-validation.")] = 2,
) -> None:
    """Train the stance model on the labelled corpus and write artifacts/ (model, metrics, card)."""
    from training.args import TrainingArgs  # the one place classifier/ reaches into training/
    from training.train import train as run_training

    kwargs = {"seed": seed, "n_jobs": n_jobs}
    if out_dir:
        kwargs["out_dir"] = out_dir
    if corpus_dir:
        kwargs["corpus_dir"] = corpus_dir
    try:
        metrics = run_training(TrainingArgs(**kwargs))
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    typer.echo(f"test macro-F1 {metrics['test']['macro_f1']:.3f}  model {metrics['model_version']}")


if __name__ == "__main__":
    app()
