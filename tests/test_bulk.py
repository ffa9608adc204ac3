"""Bulk scoring and the stance index on real files: every format, bad records, resume, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import rejects_of, score
from typer.testing import CliRunner

import classifier.bulk as bulk
from classifier.archive import FieldMap, expand_inputs, read_chunks
from classifier.bulk import ResumeError, ScoreJob
from classifier.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()
REGSTANCE = str(Path(sys.executable).with_name("regstance"))


@pytest.mark.parametrize(
    ("name", "scored", "rejected"),
    [
        ("articles.jsonl", 6, 3),
        ("articles.jsonl.gz", 4, 0),
        ("articles.csv", 5, 1),
        ("articles.parquet", 8, 0),
        ("articles.warc.gz", 3, 0),
    ],
)
def test_each_format(tmp_path: Path, name: str, scored: int, rejected: int) -> None:
    out = tmp_path / "out.parquet"
    code, output = score(str(FIXTURES / name), "-o", str(out))
    assert code == (1 if rejected else 0), output
    frame = pd.read_parquet(out)
    assert len(frame) == scored and len(rejects_of(out)) == rejected
    assert list(frame.columns) == bulk.OUTPUT_COLUMNS
    assert set(frame["label"]) <= {"adoption", "neutral", "restriction"}
    assert frame["id"].is_unique and frame["id"].str.len().min() > 0
    probs = frame[["p_adoption", "p_neutral", "p_restriction"]].sum(axis=1)
    assert ((probs - 1).abs() < 1e-4).all()
    assert f"scored {scored:,} articles, rejected {rejected:,}" in output


def test_bad_records_are_reported_with_their_position(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, _ = score(str(FIXTURES / "articles.jsonl"), str(FIXTURES / "articles.csv"), "-o", str(out))
    assert code == 1
    reasons = {(Path(r["file"]).name, r["position"]): r["reason"] for r in rejects_of(out)}
    assert reasons[("articles.jsonl", "line 3")].startswith("malformed JSON")
    assert reasons[("articles.jsonl", "line 5")].startswith("no text")
    assert reasons[("articles.jsonl", "line 6")].startswith("not UTF-8")
    assert reasons[("articles.csv", "line 4")] == "expected 6 fields, got 8"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 11 and {"broken", "empty", "latin1"}.isdisjoint(r["id"] for r in rows)


def test_field_names_are_mapped_and_ids_made_stable(tmp_path: Path) -> None:
    chunk = next(read_chunks(FIXTURES / "articles.jsonl.gz"))
    assert chunk.frame["headline"].str.len().min() > 0  # from `title`
    assert chunk.frame["outlet"].notna().all()  # from `source`
    first = chunk.frame["id"].tolist()
    assert first == next(read_chunks(FIXTURES / "articles.jsonl.gz")).frame["id"].tolist()
    custom = FieldMap.with_overrides(headline="url")
    assert (
        next(read_chunks(FIXTURES / "articles.parquet", fields=custom))
        .frame["headline"]
        .str.startswith("http")
        .all()
    )


def test_evidence_column_on_request(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    assert score(str(FIXTURES / "articles.parquet"), "-o", str(out), "--evidence", "3")[0] == 0
    evidence = pd.read_parquet(out)["evidence"]
    assert evidence.map(len).max() <= 3 and evidence.map(len).sum() > 0


def test_inputs_and_options_are_checked(tmp_path: Path) -> None:
    code, output = score(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.parquet"))
    assert code == 2 and "no such file" in output
    (tmp_path / "notes.txt").write_text("hello")
    code, output = score(str(tmp_path / "notes.txt"), "-o", str(tmp_path / "o.parquet"))
    assert code == 1, output  # a file fault (one reject naming it), no longer a usage error
    [reject] = rejects_of(tmp_path / "o.parquet")
    assert (Path(reject["file"]).name, reject["kind"]) == ("notes.txt", "fault")
    assert reject["reason"].startswith("unknown format")
    code, output = score(str(FIXTURES / "articles.parquet"), "-o", str(tmp_path / "o.csv"))
    assert code == 2 and ".parquet or .jsonl" in output
    assert [p.name for p in expand_inputs([str(FIXTURES)])][:2] == ["articles.csv", "articles.jsonl"]


def _with_duplicates(folder: Path) -> tuple[Path, Path]:
    """a.jsonl: ids x0-x7; b.jsonl repeats x1 (a line 2) and x4 (a line 5), and n1 within itself."""
    rows = pd.read_parquet(FIXTURES / "articles.parquet").to_dict("records")
    a, b = folder / "a.jsonl", folder / "b.jsonl"
    a.write_text("".join(json.dumps({**r, "id": f"x{i}"}) + "\n" for i, r in enumerate(rows)))
    ids = ["x1", "n0", "x4", "n1", "n1"]
    b.write_text("".join(json.dumps({**rows[i], "id": key}) + "\n" for i, key in enumerate(ids)))
    return a, b


def test_duplicate_ids_are_reported_with_both_positions(tmp_path: Path) -> None:
    a, b = _with_duplicates(tmp_path)
    out = tmp_path / "keep.parquet"
    code, output = score(str(a), str(b), "-o", str(out), "--chunk-size", "3")
    assert code == 0, output  # nothing lost: a warning, not a reject
    assert "3 duplicate ids" in output
    assert pd.read_parquet(out)["id"].tolist() == [f"x{i}" for i in range(8)] + ["x1", "n0", "x4", "n1", "n1"]
    found = [(Path(r["file"]).name, r["position"], r["kind"], r["raw"], r["reason"]) for r in rejects_of(out)]
    assert found == [
        (
            "b.jsonl",
            "line 1",
            "warning",
            "x1",
            f"duplicate id: first at {a} line 2; both written (--on-duplicate keep)",
        ),
        (
            "b.jsonl",
            "line 3",
            "warning",
            "x4",
            f"duplicate id: first at {a} line 5; both written (--on-duplicate keep)",
        ),
        (
            "b.jsonl",
            "line 5",
            "warning",
            "n1",
            f"duplicate id: first at {b} line 4; both written (--on-duplicate keep)",
        ),
    ]


def test_on_duplicate_first_and_error(tmp_path: Path, count_scored_chunks) -> None:
    a, b = _with_duplicates(tmp_path)
    first = tmp_path / "first.jsonl"
    assert score(str(a), str(b), "-o", str(first), "--on-duplicate", "first", "--jobs", "2")[0] == 0
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"x{i}" for i in range(8)] + ["n0", "n1"]
    assert all("not written (--on-duplicate first)" in r["reason"] for r in rejects_of(first))

    strict = tmp_path / "strict.jsonl"
    code, output = score(str(a), str(b), "-o", str(strict), "--on-duplicate", "error")
    assert code == 2 and "'x1'" in output and f"{b} line 1" in output, output
    assert not strict.exists() and [r["kind"] for r in rejects_of(strict)] == ["error"] * 3
    assert strict.with_name(strict.name + ".parts").is_dir(), "the scored chunks are kept for --resume"

    scored_chunks = count_scored_chunks()
    job = ScoreJob(inputs=[a.resolve(), b.resolve()], output=strict)
    summary = bulk.run(job, resume=True, on_duplicate="first")
    assert scored_chunks == [] and summary.duplicates == 3
    assert strict.read_bytes() == first.read_bytes()


def _archive(path: Path, copies: int) -> Path:
    """A JSONL archive of the fixture articles repeated under new ids, with one bad line."""
    rows = pd.read_parquet(FIXTURES / "articles.parquet").to_dict("records")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(copies):
            for r in rows:
                fh.write(json.dumps({**r, "id": f"{r['id']}-{i}"}) + "\n")
            if i == copies // 2:
                fh.write("{oops\n")
    return path


@pytest.mark.slow
def test_resume_after_kill_equals_an_uninterrupted_run(tmp_path: Path, count_scored_chunks) -> None:
    archive = _archive(tmp_path / "archive.jsonl", copies=400)  # 3,200 articles + 1 bad line
    n_chunks = 65  # ceil(3,201 lines / 50)
    whole, killed = tmp_path / "whole.parquet", tmp_path / "killed.parquet"
    assert score(str(archive), "-o", str(whole), "--chunk-size", "50")[0] == 1

    proc = subprocess.Popen([REGSTANCE, "score", str(archive), "-o", str(killed), "--chunk-size", "50"],
                            stderr=subprocess.DEVNULL)  # fmt: skip
    parts = killed.with_name(killed.name + ".parts")
    deadline = time.monotonic() + 120
    while len(list(parts.glob("*.parquet"))) < 5:
        assert proc.poll() is None and time.monotonic() < deadline, "scoring ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not killed.exists(), "a partial output must never sit under the final name"
    done_before = len(list(parts.glob("*.parquet")))
    assert 5 <= done_before < n_chunks

    scored_chunks = count_scored_chunks()
    job = ScoreJob(inputs=[archive.resolve()], output=killed, chunk_size=50)
    summary = bulk.run(job, resume=True)
    assert len(scored_chunks) == n_chunks - done_before, "finished chunks must not be scored again"
    assert summary.scored == 3_200 and summary.rejected == 1
    assert killed.read_bytes() == whole.read_bytes()
    assert rejects_of(killed) == rejects_of(whole)


def test_resume_refuses_a_different_run(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    job = ScoreJob(inputs=[(FIXTURES / "articles.parquet").resolve()], output=out, chunk_size=3)
    bulk.prepare(job, "v1", resume=False)
    other = ScoreJob(inputs=job.inputs, output=out, chunk_size=4)
    with pytest.raises(ResumeError, match="chunk_size"):
        bulk.prepare(other, "v1", resume=True)


def test_local_jobs_give_the_same_output(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive.jsonl", copies=30)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    assert score(str(archive), "-o", str(one), "--chunk-size", "40")[0] == 1
    assert score(str(archive), "-o", str(two), "--chunk-size", "40", "--jobs", "2")[0] == 1
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.slow
def test_dask_engine_matches_the_local_path(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive.jsonl", copies=30)
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    assert score(str(archive), "-o", str(local), "--chunk-size", "40")[0] == 1
    code, output = score(
        str(archive), "-o", str(dask), "--chunk-size", "40", "--engine", "dask", "--jobs", "2"
    )
    assert code == 1, output
    assert "engine dask" in output
    pd.testing.assert_frame_equal(pd.read_parquet(local), pd.read_parquet(dask))
    assert rejects_of(local) == rejects_of(dask)


def test_index_on_a_scored_file(tmp_path: Path) -> None:
    scored = pd.DataFrame(
        {
            "published": ["2025-07-01T10:00:00Z", "2025-07-02", "2025-07-09T08:00:00Z", "2025-07-10", None],
            "outlet": ["a", "b", "a", "a", "b"],
            "label": ["adoption", "restriction", "adoption", "neutral", "adoption"],
        }
    )
    path = tmp_path / "scored.parquet"
    scored.to_parquet(path)
    out, png = tmp_path / "index.csv", tmp_path / "index.png"
    result = runner.invoke(app, ["index", str(path), "-o", str(out), "--freq", "W", "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "1 rows without a usable date" in result.output
    index = pd.read_csv(out)
    assert index["n"].tolist() == [2, 2]
    assert index["net_index"].tolist() == [0.0, 0.5]
    assert index[["share_adoption", "share_neutral", "share_restriction"]].sum(axis=1).round(6).eq(1).all()
    assert png.stat().st_size > 10_000

    result = runner.invoke(app, ["index", str(path), "-o", str(out), "--by", "outlet", "--freq", "M"])
    assert result.exit_code == 0
    by_outlet = pd.read_csv(out)
    assert set(by_outlet["outlet"]) == {"a", "b"} and by_outlet["n"].sum() == 4
    assert runner.invoke(app, ["index", str(path), "--freq", "Y"]).exit_code == 2


def test_every_command_has_help() -> None:
    for command in ("serve", "score", "index", "train"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
