"""Read news archives in bounded chunks, and write scored rows.

Formats: JSONL (.jsonl, .ndjson, .json lines), CSV, Parquet and WARC (HTML
responses, main text extracted with trafilatura), each optionally gzip; the
format is sniffed from the first bytes (classifier/sniff.py), not trusted from
the name. Every format yields the same thing: chunks of at most `chunk_size`
records as a frame of canonical columns, plus what could not be read, each with
its file, its line, row, row group or byte offset, and a reason in words:

- a bad record (kind "record") never stops the rest of its file;
- a fault (kind "fault": a truncated gzip stream, a damaged Parquet row group or
  footer, a file that is not what its name says and not readable as anything)
  ends the read of that file, or of that Parquet row group; everything read
  before it is kept, and no exception leaves the reader;
- a warning (kind "warning": a name that lies about a readable file) loses nothing.

Every partition reading a file meets a fault at the same record, so the fault
lands in one chunk, whichever engine and stride read it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.sniff import Unreadable, has_known_name, sniff

#: Canonical columns of a read chunk, in order.
COLUMNS = ["id", "headline", "body", "published", "outlet", "url"]


class ArchiveError(ValueError):
    """An input named on the command line does not exist (a usage error, not a data fault)."""


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
    """One line of OUTPUT.rejects.jsonl: a record not scored, a file fault, or a warning."""

    file: str
    position: str  # "line 12", "row 40", "row group 3", "offset 1234", "byte 0", "whole file"
    reason: str
    raw: str = ""
    kind: str = "record"  # "record" | "fault" | "warning" (see the module docstring)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


@dataclass(frozen=True)
class Notice:
    """A finding about the file rather than one record: it takes no record's place in a chunk."""

    kind: str  # "fault" | "warning"
    position: str
    reason: str


@dataclass
class Chunk:
    index: int
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)  # of the frame's rows, for duplicate reports


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files, directories (searched recursively for known formats) and globs, in a stable order."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = [p for p in sorted(path.rglob("*")) if p.is_file() and has_known_name(p)]
        elif path.is_file():
            matches = [path]
        else:
            matches = (
                sorted(p for p in Path().glob(item) if p.is_file()) if any(c in item for c in "*?[") else []
            )
        if not matches:
            raise ArchiveError(f"{item}: no such file, or no archive files in it")
        found.extend(matches)
    # a file named on the command line is read whatever its name (sniffed; a reject if unreadable)
    return list(dict.fromkeys(p.resolve() for p in found))


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


def _open_binary(path: Path, compressed: bool) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if compressed else open(path, "rb")


Item = tuple[str, Any, Any, str] | Notice  # (position, record, error, raw) or a file-level notice


def _chunked(
    items: Iterator[Item],
    path: Path,
    fields: FieldMap,
    chunk_size: int,
    wanted: Callable[[int], bool],
) -> Iterator[Chunk]:
    """Group (position, record, error, raw) items into chunks; skip chunks not `wanted`.

    A Notice joins the chunk the next record would have gone to, so a fault after exactly
    k full chunks makes a chunk k of its own (no rows, one reject).
    """
    rows: list[dict] = []
    positions: list[str] = []
    rejects: list[Reject] = []
    index, count = 0, 0
    for item in items:
        if isinstance(item, Notice):
            if wanted(index):
                rejects.append(Reject(str(path), item.position, item.reason, kind=item.kind))
            continue
        position, record, error, raw = item
        if wanted(index):
            if error is None:
                row, error = normalise(record, fields)
                if row is not None:
                    rows.append(row)
                    positions.append(position)
            if error is not None:
                rejects.append(Reject(str(path), position, error, raw[:200]))
        count += 1
        if count == chunk_size:
            if wanted(index):
                yield Chunk(index, _frame(rows), rejects, positions)
            rows, positions, rejects, index, count = [], [], [], index + 1, 0
    if (count or rejects) and wanted(index):
        yield Chunk(index, _frame(rows), rejects, positions)


#: What reading a damaged file raises: gzip (EOFError, zlib.error, BadGzipFile is an OSError),
#: pyarrow (ArrowException; its IO errors are OSErrors), warcio (ArchiveLoadFailed), the OS.
def _data_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa
    from warcio.exceptions import ArchiveLoadFailed

    return (EOFError, zlib.error, OSError, pa.ArrowException, ArchiveLoadFailed)


def _message(exc: BaseException) -> str:
    """An exception's first line, printable (pyarrow's thrift errors quote raw bytes)."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return "".join(ch if ch.isprintable() else "?" for ch in text).strip()


def _fault(exc: BaseException, position: str, done: str) -> Notice:
    """A fault in words: what broke, how far the read got (`done`, e.g. "after line 6,214")."""
    message = _message(exc)
    if isinstance(exc, EOFError):
        reason = f"gzip stream ends early {done}: the file is truncated (an interrupted download or copy?)"
    elif isinstance(exc, gzip.BadGzipFile) and message.startswith("Not a gzipped file"):
        reason = f"the bytes {done} are not gzip ({message}): garbage after the stream, or a damaged member"
    elif isinstance(exc, gzip.BadGzipFile | zlib.error):
        reason = f"gzip data is corrupt {done}: {message}"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = f"read error {done}: {exc.strerror}"
    else:
        reason = f"cannot be read {done}: {type(exc).__name__}: {message}"
    return Notice("fault", position, reason)


def _after_line(number: int) -> str:
    return f"after line {number:,}" if number else "before the first line"


def _jsonl_items(path: Path, compressed: bool, wanted_line: Callable[[int], bool]) -> Iterator[Item]:
    number = 0
    try:
        with _open_binary(path, compressed) as fh:
            for number, raw in enumerate(fh, start=1):  # `number` also dates a fault
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
    except _data_errors() as exc:
        yield _fault(exc, f"line {number + 1}", _after_line(number))


def _csv_items(path: Path, compressed: bool) -> Iterator[Item]:
    csv.field_size_limit(sys.maxsize)
    read = 0  # physical lines read so far
    try:
        with _open_binary(path, compressed) as raw_fh:
            text = io.TextIOWrapper(raw_fh, encoding="utf-8", errors="surrogateescape", newline="")
            reader = csv.reader(text)
            try:
                header = next(reader)
            except StopIteration:
                return
            while True:
                read = reader.line_num
                start_line = read + 1
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
    except _data_errors() as exc:
        yield _fault(exc, f"line {read + 1}", _after_line(read))


def _parquet_items(path: Path, batch_size: int) -> Iterator[Item]:
    """Row group by row group: a damaged one is a fault, and the next ones are still read."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except _data_errors() as exc:
        yield Notice("fault", "footer", _footer_reason(path, exc))
        return
    with parquet:
        groups = parquet.metadata.num_row_groups
        row = 0
        for group in range(groups):
            end = row + parquet.metadata.row_group(group).num_rows
            try:
                for batch in parquet.iter_batches(batch_size=batch_size, row_groups=[group]):
                    for record in batch.to_pylist():
                        yield f"row {row}", record, None, ""
                        row += 1
            except _data_errors() as exc:
                message = _message(exc)
                yield Notice(
                    "fault",
                    f"row group {group} (row {row})",
                    f"row group {group} of {groups} is damaged from row {row:,} on ({message}): "
                    f"its {end - row:,} remaining rows are lost; the other row groups are read",
                )
            row = end


def _footer_reason(path: Path, exc: BaseException) -> str:
    message = _message(exc)
    try:
        with open(path, "rb") as fh:
            fh.seek(-4, io.SEEK_END)
            ends_well = fh.read(4) == b"PAR1"
    except OSError:
        ends_well = False
    if not ends_well:
        return (
            "Parquet footer missing: the file does not end with PAR1, so it is truncated "
            "(an interrupted download or copy?); no row can be located without the footer"
        )
    return f"Parquet footer cannot be read: {message}"


def _warc_items(path: Path) -> Iterator[Item]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    after, done = 0, "at the start"  # where the next record starts, and the words for it
    try:
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
                payload = record.content_stream().read()  # before the offset: asking first empties it
                offset = records.get_record_offset()
                position = f"offset {offset}"
                if getattr(record.raw_stream, "limit", 0) > 0:  # warcio hands out a cut record as is
                    yield Notice(
                        "fault",
                        position,
                        f"the WARC record at offset {offset:,} ends before its declared length: "
                        "the file is truncated (an interrupted download or copy?)",
                    )
                    return
                after, done = offset + records.get_record_length(), f"after the record at offset {offset:,}"
                if "html" not in ctype.lower():
                    continue  # images, scripts, robots.txt: not articles, not errors
                yield _warc_article(trafilatura, record, url, payload, position)
    except _data_errors() as exc:
        yield _fault(exc, f"offset {after}", done)


def _warc_article(trafilatura: Any, record: Any, url: str, payload: bytes, position: str) -> Item:
    html = payload.decode("utf-8", "replace")
    try:
        extracted = trafilatura.bare_extraction(
            html, url=url, with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )  # fmt: skip
    except (ValueError, TypeError, AttributeError) as exc:  # lxml and trafilatura on odd HTML
        return position, None, f"HTML could not be parsed: {type(exc).__name__}: {exc}", url
    if extracted is None:
        return position, None, "no article text found in the HTML", url
    meta = extracted if isinstance(extracted, dict) else extracted.as_dict()
    date = meta.get("date") or record.rec_headers.get_header("WARC-Date")
    article = {
        "url": url,
        "headline": meta.get("title") or "",
        "body": meta.get("text") or "",
        "published": date,
        "outlet": meta.get("sitename") or meta.get("hostname"),
    }
    return position, article, None, url


def _items(path: Path, chunk_size: int, wanted: Callable[[int], bool]) -> Iterator[Item]:
    try:
        sniffed = sniff(path)
    except Unreadable as exc:
        yield Notice("fault", exc.position, exc.reason)
        return
    if sniffed.warning:
        yield Notice("warning", "byte 0", sniffed.warning)
    if sniffed.format == "jsonl":
        items = _jsonl_items(path, sniffed.gzip, lambda line: wanted((line - 1) // chunk_size))
    elif sniffed.format == "csv":
        items = _csv_items(path, sniffed.gzip)
    elif sniffed.format == "parquet":
        items = _parquet_items(path, chunk_size)
    else:
        items = _warc_items(path)
    try:
        yield from items
    except MemoryError:
        raise
    except Exception as exc:  # a failure no reader foresaw still ends this file only, and says what
        yield Notice("fault", "unknown", f"cannot be read: unexpected {type(exc).__name__}: {_message(exc)}")


def read_chunks(
    path: Path,
    *,
    fields: FieldMap = FieldMap(),
    chunk_size: int = 2_000,
    wanted: Callable[[int], bool] = lambda index: True,
) -> Iterator[Chunk]:
    """Chunks of `path` in order; chunks for which `wanted(index)` is false are skipped unparsed.

    Never raises for what is in the file: faults and unreadable files come back as rejects.
    """
    return _chunked(_items(path, chunk_size, wanted), path, fields, chunk_size, wanted)
