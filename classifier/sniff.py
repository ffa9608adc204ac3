"""Which format a file holds, from its first bytes rather than its name.

Archives arrive mislabelled: a `.gz` that was never compressed, Parquet saved as
`.jsonl`, an empty file left by an interrupted download, a zstd file renamed.
gzip, Parquet and WARC are recognised by their magic bytes; the name decides
only between formats that have none (JSONL and CSV). A name that disagrees with
the content is a warning; a file that cannot be read at all is an `Unreadable`,
which the reader turns into one reject naming the file.
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".warc": "warc", ".arc": "warc",
}  # fmt: skip
NAMES = {"jsonl": "JSONL", "csv": "CSV", "parquet": "Parquet", "warc": "WARC"}
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
WARC_MAGIC = b"WARC/"
#: Compressions regstance does not read, by magic bytes: named so the reject says what to do.
OTHER_COMPRESSIONS = {
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\x04\x22\x4d\x18": "lz4",
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7z",
}
HEAD_BYTES = 4096


class Unreadable(Exception):
    """The file cannot be read at all; `position` and `reason` go into its reject."""

    def __init__(self, position: str, reason: str) -> None:
        super().__init__(reason)
        self.position, self.reason = position, reason


@dataclass(frozen=True)
class Sniffed:
    """How to read a file: its format, whether it is gzip-compressed, and a warning if its name lies."""

    format: str
    gzip: bool = False
    warning: str | None = None


def named_format(path: Path) -> tuple[str | None, bool]:
    """The format the file name claims, and whether it claims gzip (`.gz`)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (SUFFIXES.get(suffixes[-1]) if suffixes else None), gz


def has_known_name(path: Path) -> bool:
    """Whether a directory scan should pick this file up (a known suffix, optionally .gz)."""
    return named_format(path)[0] is not None


def sniff(path: Path) -> Sniffed:
    """Decide how to read `path` from its first bytes; raise Unreadable when nothing can be read."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise Unreadable("whole file", f"cannot be opened: {exc.strerror or exc}") from exc
    named, named_gz = named_format(path)
    if not head:
        if named_gz or named == "parquet" or named is None:
            what = "gzip" if named_gz else NAMES.get(named or "", "an archive")
            raise Unreadable(
                "byte 0", f"the file is empty (0 bytes), so it is not {what}: an interrupted download?"
            )
        return Sniffed(named)
    if head.startswith(PARQUET_MAGIC):
        return Sniffed("parquet", warning=_mismatch(path, "Parquet", named == "parquet" and not named_gz))
    if head.startswith(GZIP_MAGIC):
        return _sniff_gzip(path, head, named, named_gz)
    for magic, kind in OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise Unreadable("byte 0", f"{kind}-compressed: regstance reads gzip only; decompress it first")
    if head.startswith(WARC_MAGIC):
        return Sniffed("warc", warning=_mismatch(path, "uncompressed WARC", named == "warc" and not named_gz))
    if named_gz:
        fmt = _plain_text_format(head, named)
        if fmt is None:
            raise Unreadable("byte 0", f"not gzip despite its name: it starts with {head[:12]!r}")
        return Sniffed(fmt, warning=_mismatch(path, f"uncompressed {NAMES[fmt]}", False))
    if named == "parquet":
        if _looks_like_jsonl(head):
            return Sniffed("jsonl", warning=_mismatch(path, "JSONL", False))
        raise Unreadable("byte 0", f"not Parquet despite its name: it starts with {head[:12]!r}, not PAR1")
    if named is None:
        if _looks_like_jsonl(head):
            return Sniffed(
                "jsonl", warning=f"no known suffix on {path.name!r}; its content is JSONL: read as JSONL"
            )
        raise Unreadable(
            "byte 0",
            f"unknown format: neither the name nor the first bytes ({head[:12]!r}) say JSONL, CSV, "
            "Parquet or WARC (optionally gzip)",
        )
    return Sniffed(named)


def _sniff_gzip(path: Path, head: bytes, named: str | None, named_gz: bool) -> Sniffed:
    try:  # the first decompressed bytes tell WARC and Parquet from text
        inner = zlib.decompressobj(wbits=31).decompress(head, HEAD_BYTES)
    except zlib.error:
        inner = b""  # a damaged first block: the reader reports it with its position
    if inner.startswith(PARQUET_MAGIC):
        raise Unreadable(
            "byte 0", "gzip-compressed Parquet: Parquet is read as is (it compresses inside); gunzip it"
        )
    if inner.startswith(WARC_MAGIC):
        fmt = "warc"
    elif named in ("jsonl", "csv", "warc"):
        fmt = named
    elif _looks_like_jsonl(inner):
        fmt = "jsonl"
    else:
        raise Unreadable(
            "byte 0", f"gzip-compressed, but the content is not JSONL, CSV or WARC: {inner[:12]!r}"
        )
    # warcio reads gzip members itself, so a `.warc` name on gzip WARC is no lie worth a warning
    agrees = named == fmt and (named_gz or fmt == "warc")
    return Sniffed(fmt, gzip=True, warning=_mismatch(path, f"gzip {NAMES[fmt]}", agrees))


def _mismatch(path: Path, content: str, name_agrees: bool) -> str | None:
    return None if name_agrees else f"{content} despite the name {path.name!r}: read as {content}"


def _plain_text_format(head: bytes, named: str | None) -> str | None:
    """The format of an uncompressed file named `.gz`, if its bytes look like it; else None."""
    if named == "csv":
        return "csv" if _looks_like_text(head) else None
    if named in ("jsonl", None) and _looks_like_jsonl(head):
        return "jsonl"
    return None


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 without control characters other than tab and line breaks."""
    if any(byte < 0x20 and byte not in b"\t\n\r" for byte in head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_jsonl(head: bytes) -> bool:
    """JSONL starts with an object: `{` after an optional BOM and blank space."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return text.startswith(b"{") and _looks_like_text(head)
