"""Read news archives in bounded chunks, and write scored rows.

Formats: JSONL (.jsonl, .ndjson, .json lines; optionally .gz), CSV (.csv, .csv.gz),
Parquet, and WARC (.warc, .warc.gz: HTML responses, main text extracted with
trafilatura). Every format yields the same thing: chunks of at most
`chunk_size` records as a frame of canonical columns, plus the records that
could not be read, each with its file and line, row or byte offset and a reason.
A bad record never stops the rest.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: Canonical columns of a read chunk, in order.
COLUMNS = ["id", "headline", "body", "published", "outlet", "url"]
SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".warc": "warc", ".arc": "warc",
}  # fmt: skip


class ArchiveError(ValueError):
    """An input cannot be read at all (unknown format, missing file)."""


@dataclass(frozen=True)
class FieldMap:
    """Which input field feeds each canonical column; the first present name wins."""

    id: tuple[str, ...] = ("id",)
    headline: tuple[str, ...] = ("headline", "title")
    body: tuple[str, ...] = ("body", "text", "content")
    published: tuple[str, ...] = ("published", "date")
    outlet: tuple[str, ...] = ("outlet", "source")
    url: tuple[str, ...] = ("url",)

    @classmethod
    def with_overrides(cls, **names: str | None) -> FieldMap:
        """A user's --headline-field etc. replace the defaults for that column."""
        return cls(**{k: (v,) for k, v in names.items() if v})


@dataclass
class Reject:
    file: str
    position: str  # "line 12", "row 40", "offset 1234"
    reason: str
    raw: str = ""

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


@dataclass
class Chunk:
    index: int
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)


def input_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise ArchiveError(
            f"{path}: unknown format; expected one of {sorted(set(SUFFIXES))} (optionally .gz)"
        )
    return fmt


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files, directories (searched recursively for known formats) and globs, in a stable order."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = [p for p in sorted(path.rglob("*")) if p.is_file() and _known(p)]
        elif path.is_file():
            matches = [path]
        else:
            matches = (
                sorted(p for p in Path().glob(item) if p.is_file()) if any(c in item for c in "*?[") else []
            )
        if not matches:
            raise ArchiveError(f"{item}: no such file, or no archive files in it")
        found.extend(matches)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    for path in unique:
        input_format(path)  # fail before any work on an unknown format
    return unique


def _known(path: Path) -> bool:
    try:
        input_format(path)
    except ArchiveError:
        return False
    return True


def stable_id(url: str, headline: str, body: str) -> str:
    """An id for a record that has none: sha1 of its url, else of its text (16 hex)."""
    key = url or f"{headline}\n{body}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _pick(record: dict, names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value is not None and value == value:  # not None, not NaN
            return value
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def normalise(record: dict, fields: FieldMap) -> tuple[dict | None, str | None]:
    """A record in canonical columns, or (None, reason) when it cannot be scored."""
    headline, body = _text(_pick(record, fields.headline)), _text(_pick(record, fields.body))
    if not (headline.strip() or body.strip()):
        names = "/".join(fields.headline + fields.body)
        return None, f"no text: none of the fields {names} holds text"
    url = _text(_pick(record, fields.url))
    published = _pick(record, fields.published)
    row = {
        "id": _text(_pick(record, fields.id)) or stable_id(url, headline, body),
        "headline": headline,
        "body": body,
        "published": None if published is None else str(published),
        "outlet": _text(_pick(record, fields.outlet)) or None,
        "url": url or None,
    }
    return row, None


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS).astype(object)


def _open_binary(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _chunked(
    items: Iterator[tuple[str, dict | None, str | None, str]],
    path: Path,
    fields: FieldMap,
    chunk_size: int,
    wanted: Callable[[int], bool],
) -> Iterator[Chunk]:
    """Group (position, record, error, raw) items into chunks; skip chunks not `wanted`."""
    rows: list[dict] = []
    rejects: list[Reject] = []
    index, count = 0, 0
    for position, record, error, raw in items:
        if wanted(index):
            if error is None:
                row, error = normalise(record, fields)
                if row is not None:
                    rows.append(row)
            if error is not None:
                rejects.append(Reject(str(path), position, error, raw[:200]))
        count += 1
        if count == chunk_size:
            if wanted(index):
                yield Chunk(index, _frame(rows), rejects)
            rows, rejects, index, count = [], [], index + 1, 0
    if count and wanted(index):
        yield Chunk(index, _frame(rows), rejects)


def _jsonl_items(path: Path, wanted_line: Callable[[int], bool]) -> Iterator[tuple[str, Any, Any, str]]:
    with _open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if not wanted_line(number):
                yield "", None, "skipped", ""
                continue
            position = f"line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield position, None, f"not UTF-8: {exc.reason} at byte {exc.start}", repr(raw[:200])
                continue
            if not line.strip():
                yield position, None, "empty line", ""
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield position, None, f"malformed JSON: {exc.msg} at column {exc.colno}", line
                continue
            if not isinstance(record, dict):
                yield position, None, f"expected a JSON object, got {type(record).__name__}", line
                continue
            yield position, record, None, line


def _csv_items(path: Path) -> Iterator[tuple[str, Any, Any, str]]:
    csv.field_size_limit(sys.maxsize)
    with _open_binary(path) as raw_fh:
        text = io.TextIOWrapper(raw_fh, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            return
        while True:
            start_line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield f"line {start_line}", None, f"malformed CSV: {exc}", ""
                continue
            position = f"line {start_line}"
            raw = ",".join(values)
            if any("\udc80" <= ch <= "\udcff" for v in values for ch in v):
                yield (
                    position,
                    None,
                    "not UTF-8: undecodable bytes in this row",
                    raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                )
                continue
            if len(values) != len(header):
                yield position, None, f"expected {len(header)} fields, got {len(values)}", raw
                continue
            yield position, dict(zip(header, values, strict=True)), None, raw


def _parquet_items(path: Path, batch_size: int) -> Iterator[tuple[str, Any, Any, str]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            yield f"row {row}", record, None, ""
            row += 1


def _warc_items(path: Path) -> Iterator[tuple[str, Any, Any, str]]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
            payload = record.content_stream().read()  # before the offset: asking it first empties the stream
            position = f"offset {records.get_record_offset()}"
            if "html" not in ctype.lower():
                continue  # images, scripts, robots.txt: not articles, not errors
            html = payload.decode("utf-8", "replace")
            extracted = trafilatura.bare_extraction(
                html, url=url, with_metadata=True,
                date_extraction_params={"extensive_search": False, "original_date": True},
            )  # fmt: skip
            if extracted is None:
                yield position, None, "no article text found in the HTML", url
                continue
            meta = extracted if isinstance(extracted, dict) else extracted.as_dict()
            date = meta.get("date") or record.rec_headers.get_header("WARC-Date")
            yield (
                position,
                {
                    "url": url,
                    "headline": meta.get("title") or "",
                    "body": meta.get("text") or "",
                    "published": date,
                    "outlet": meta.get("sitename") or meta.get("hostname"),
                },
                None,
                url,
            )


def read_chunks(
    path: Path,
    *,
    fields: FieldMap = FieldMap(),
    chunk_size: int = 2_000,
    wanted: Callable[[int], bool] = lambda index: True,
) -> Iterator[Chunk]:
    """Chunks of `path` in order; chunks for which `wanted(index)` is false are skipped unparsed."""
    fmt = input_format(path)
    if fmt == "jsonl":
        items = _jsonl_items(path, lambda line: wanted((line - 1) // chunk_size))
    elif fmt == "csv":
        items = _csv_items(path)
    elif fmt == "parquet":
        items = _parquet_items(path, chunk_size)
    else:
        items = _warc_items(path)
    return _chunked(items, path, fields, chunk_size, wanted)
