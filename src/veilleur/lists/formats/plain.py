"""Plain hash lists: bare values one per line, ``<type> <value>`` lines, and CSV with a header.

* **text** — one hex value per line; blank lines and ``#`` comments skipped. The type is told by
  length: 32 hex characters MD5, 40 SHA-1, 288 PhotoDNA. 64 is SHA-256 *or* PDQ, which nothing
  in the value tells apart, so such a list needs its type given (``--hash-type``).
* **typed** — ``<type> <value>`` per line, as python-threatexchange's local file exchange writes
  them (``pdq 9f3e…``, ``video_md5 …``); types are matched leniently (``SHA-1``, ``sha_256``,
  ``pdna``); an unknown type is an error, not a skipped line. A ``vpdq`` value is the rest of
  the line, since TE's serialisation (a JSON array, ``["<pdq>,<quality>,<seconds>", …]``) holds
  spaces.
* **csv** — a header row names the columns (case, spaces, ``_`` and ``-`` ignored): hash columns
  ``md5``, ``sha1``, ``sha256``, ``pdq``, ``photodna``, ``vpdq`` (several per row allowed; a
  ``vpdq`` cell holds ``;``-separated ``<pdq>,<quality>,<seconds>`` frames or a JSON array, quoted
  where it holds the delimiter), or a ``hash`` /
  ``value`` column with an optional ``type`` column; ``category`` (or ``grade``,
  ``classification``), ``series``, ``flags`` (or ``tags``; split on ``|``, ``;``, ``,``) and
  ``id`` (or ``media_id``, ``external_id``). Other columns are ignored. The delimiter (``,``,
  ``;`` or tab) is taken from the header.

Every error names the line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import IO

from veilleur.errors import BadInput
from veilleur.lists.base import (
    HashType,
    InvalidHash,
    ListFormat,
    ListItem,
    ListRecord,
    ReadOptions,
    TextLines,
    describe_token,
    detect_hash_type,
    hash_type_named,
    normalise_hash,
)

_HEXLINE = re.compile(rb"[0-9A-Fa-f]{16,}")
_TYPED = re.compile(rb"([A-Za-z][A-Za-z0-9_\-]*)[ \t]+(\S.*)")
_FLAG_SPLIT = re.compile(r"[|;,]")
_GENERIC_HASH = {"hash", "hashvalue", "value", "signal", "fingerprint"}
_TYPE_COLUMNS = {"type", "hashtype", "algorithm", "signaltype"}
_CATEGORY = {"category", "cat", "grade", "classification"}
_SERIES = {"series"}
_FLAGS = {"flags", "tags", "flag", "tag"}
_IDS = {"id", "mediaid", "externalid", "identifier", "entryid"}
_MAX_FIELD = 16 << 20
"""The longest CSV cell read: a vPDQ cell of the most frames a value may have (about 90 characters
a frame) fits; Python's csv module refuses cells over 128 KiB by default (about 1,700 frames)."""


def _first_data_line(head: bytes) -> bytes | None:
    for line in head.removeprefix(b"\xef\xbb\xbf").splitlines():
        s = line.strip()
        if s and not s.startswith(b"#"):
            return s
    return None


def _column(cell: str) -> str:
    return re.sub(r"[\s_\-\"']", "", cell).lower()


def _is_hash_column(key: str) -> bool:
    return key in _GENERIC_HASH or hash_type_named(key) is not None


class TextFormat(ListFormat):
    name = "text"
    description = "plain text, one hex hash per line (type told by length)"

    def sniff(self, head: bytes, filename: str) -> bool:
        line = _first_data_line(head)
        return line is not None and _HEXLINE.fullmatch(line) is not None

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        if options.hash_type == "vpdq":
            raise BadInput(
                "a plain list holds one hex hash per line, not vPDQ values "
                "(give them as 'vpdq <value>' lines, --format typed, or in a CSV vpdq column)",
                file=name,
                place="byte 0",
            )
        for n, text in TextLines(stream, name):
            s = text.strip()
            if not s or s.startswith("#"):
                continue
            place = f"line {n}"
            if len(s.split()) > 1 or "," in s:
                raise BadInput(
                    "more than one value on the line (for '<type> <value>' lines or CSV give --format)",
                    file=name,
                    place=place,
                )
            try:
                hash_type = options.hash_type or detect_hash_type(s)
                value = normalise_hash(hash_type, s, allow_base64=options.hash_type is not None)
            except InvalidHash as e:
                raise BadInput(str(e), file=name, place=place) from None
            yield ListItem(hashes=((hash_type, value),), place=place)


class TypedLinesFormat(ListFormat):
    name = "typed"
    description = "'<type> <value>' lines (python-threatexchange local file layout)"

    def sniff(self, head: bytes, filename: str) -> bool:
        line = _first_data_line(head)
        if line is None:
            return False
        m = _TYPED.fullmatch(line)
        if m is None or _HEXLINE.fullmatch(m.group(1)):
            return False
        if hash_type_named(m.group(1).decode()) == "vpdq":
            return True  # its value is the rest of the line, spaces and all
        value = m.group(2)
        return len(value) >= 16 and not any(c in value for c in b" \t")

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        for n, text in TextLines(stream, name):
            s = text.strip()
            if not s or s.startswith("#"):
                continue
            place = f"line {n}"
            parts = s.split(maxsplit=1)
            hash_type = hash_type_named(parts[0])
            if hash_type != "vpdq":
                parts = s.split()
            if len(parts) != 2:
                raise BadInput(
                    f"expected '<type> <value>', found {len(parts)} fields", file=name, place=place
                )
            if hash_type is None:
                raise BadInput(
                    f"unknown hash type {describe_token(parts[0])} "
                    "(known: md5, sha1, sha256, pdq, photodna, vpdq and their pytx names)",
                    file=name,
                    place=place,
                )
            try:
                value = normalise_hash(hash_type, parts[1])
            except InvalidHash as e:
                raise BadInput(str(e), file=name, place=place) from None
            yield ListItem(hashes=((hash_type, value),), place=place)


class CsvFormat(ListFormat):
    name = "csv"
    description = "CSV with a header naming its columns (md5, sha1, sha256, pdq, photodna, vpdq, category…)"

    def sniff(self, head: bytes, filename: str) -> bool:
        if filename.lower().endswith((".csv", ".tsv")):
            return True
        line = _first_data_line(head)
        if line is None:
            return False
        text = line.decode("utf-8", "replace")
        delimiter = _delimiter(text)
        cells = [_column(c) for c in (text.split(delimiter) if delimiter else [text])]
        if any(_HEXLINE.fullmatch(c.encode()) for c in cells):
            return False  # a value, not a header: typed lines or a bare list
        return any(_is_hash_column(c) for c in cells) and (delimiter is not None or len(cells) == 1)

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        if csv.field_size_limit() < _MAX_FIELD:
            csv.field_size_limit(_MAX_FIELD)  # process-wide; only ever raised
        lines = TextLines(stream, name)
        numbered = iter(lines)
        texts = (text for _, text in numbered)
        header: list[str] | None = None
        reader: Iterator[list[str]] | None = None
        for text in texts:
            if text.strip():
                delimiter = _delimiter(text) or ","
                header = next(csv.reader([text], delimiter=delimiter))
                reader = csv.reader(texts, delimiter=delimiter, strict=True)
                break
        if header is None or reader is None:
            raise BadInput("empty CSV: no header row", file=name, place=f"line {max(lines.lineno, 1)}")
        header_line = lines.lineno
        layout = _Layout(header, name, f"line {header_line}")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise BadInput(f"malformed CSV: {e}", file=name, place=f"line {lines.lineno}") from None
            if not any(cell.strip() for cell in row):
                continue
            yield layout.item(row, f"line {lines.lineno}", options)


def _delimiter(text: str) -> str | None:
    counts = {d: text.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


class _Layout:
    """Which column holds what, from the header."""

    def __init__(self, header: list[str], name: str, place: str) -> None:
        self.name = name
        self.width = len(header)
        self.hash_columns: list[tuple[int, HashType]] = []
        self.generic: int | None = None
        self.type_column: int | None = None
        self.category: int | None = None
        self.series: int | None = None
        self.flags: int | None = None
        self.id: int | None = None
        for i, cell in enumerate(header):
            key = _column(cell)
            hash_type = hash_type_named(key)
            if hash_type is not None:
                self.hash_columns.append((i, hash_type))
            elif key in _GENERIC_HASH and self.generic is None:
                self.generic = i
            elif key in _TYPE_COLUMNS and self.type_column is None:
                self.type_column = i
            elif key in _CATEGORY and self.category is None:
                self.category = i
            elif key in _SERIES and self.series is None:
                self.series = i
            elif key in _FLAGS and self.flags is None:
                self.flags = i
            elif key in _IDS and self.id is None:
                self.id = i
        if not self.hash_columns and self.generic is None:
            raise BadInput(
                "no hash column in the CSV header (expected md5, sha1, sha256, pdq, photodna, vpdq, or hash)",
                file=name,
                place=place,
            )

    def item(self, row: list[str], place: str, options: ReadOptions) -> ListItem:
        if len(row) > self.width:
            raise BadInput(
                f"row has {len(row)} fields, the header names {self.width}", file=self.name, place=place
            )
        cells = row + [""] * (self.width - len(row))

        def cell(i: int | None) -> str | None:
            return (cells[i].strip() or None) if i is not None else None

        hashes: list[tuple[HashType, str]] = []
        rejected: list[tuple[HashType, str, str]] = []
        for i, hash_type in self.hash_columns:
            if cells[i].strip():
                try:
                    hashes.append((hash_type, normalise_hash(hash_type, cells[i])))
                except InvalidHash as e:
                    # A column names its type: one malformed cell costs that fingerprint, not the
                    # file (a bare value's type is guessed from it, so there it stays an error).
                    rejected.append((hash_type, f"{hash_type} (column {i + 1})", str(e)))
        try:
            raw = cell(self.generic)
            if raw:
                named = cell(self.type_column)
                if named:
                    hash_type_or_none = hash_type_named(named)
                    if hash_type_or_none is None:
                        raise BadInput(
                            f"unknown hash type {describe_token(named)}", file=self.name, place=place
                        )
                    hashes.append((hash_type_or_none, normalise_hash(hash_type_or_none, raw)))
                else:
                    hash_type = options.hash_type or detect_hash_type(raw)
                    hashes.append((hash_type, normalise_hash(hash_type, raw, allow_base64=False)))
        except InvalidHash as e:
            raise BadInput(str(e), file=self.name, place=place) from None
        if not hashes and not rejected:
            raise BadInput("row without a hash value", file=self.name, place=place)
        flags = cell(self.flags)
        return ListItem(
            hashes=tuple(dict.fromkeys(hashes)),
            place=place,
            category=cell(self.category),
            series=cell(self.series),
            flags=tuple(sorted({f.strip() for f in _FLAG_SPLIT.split(flags) if f.strip()})) if flags else (),
            external_id=cell(self.id),
            rejected=tuple(rejected),
        )
