"""Streaming readers: a records file, CSV or JSON, as validated rows with their place.

* **CSV**: UTF-8, with or without a BOM; a header row naming the columns (as
  :mod:`veilleur.records.schemas` states them; case, spaces and ``-`` in names do not matter);
  ``,`` or ``;`` as delimiter (whichever the header uses), ``"`` quoting. A row's place is
  ``line N``, the physical line it starts on (the header is line 1).
* **JSON**: an array of objects (place ``item N``, counting from 1), or JSON Lines, one object per
  line (place ``line N``). Keys are column names; ``null`` and ``""`` mean absent.

Every value is checked and normalised (:mod:`veilleur.records.normalise`) as it is read; the
first problem raises :class:`RecordError` (a :class:`~veilleur.errors.BadInput`) naming the file,
the place and the field. Memory holds one row at a time (one JSON item, one CSV record).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from veilleur.errors import BadInput
from veilleur.jsonscan import JsonScanner
from veilleur.records import normalise as norm
from veilleur.records.schemas import Column, RecordKind, columns, header_name

_UNDECODABLE = re.compile("[\udc80-\udcff]")
_MAX_FIELD = 1 << 20


class RecordError(BadInput):
    """A records file that cannot be imported: ``file``, ``place`` (``line N`` / ``item N``) and
    ``field`` (the column, when one is concerned) say where."""

    def __init__(self, message: str, *, file: str, place: str, field: str | None = None) -> None:
        where = f"{place}, field {field!r}" if field else place
        super().__init__(message, file=file, place=where)
        self.row_place = place
        self.field = field


@dataclass(frozen=True)
class Row:
    """One validated record: its place in the file and its normalised values (absent ones left out)."""

    place: str
    values: dict[str, Any]


# -- the file as raw rows -------------------------------------------------------------------------


def detect_format(head: bytes, filename: str) -> str:
    """``csv`` or ``json`` from the file name, else from the first byte that is not blank."""
    lower = filename.lower()
    if lower.endswith((".csv", ".txt")):
        return "csv"
    if lower.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return "json" if first in (b"[", b"{") else "csv"


def _check_encoding(head: bytes, name: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4096]:
        raise RecordError(
            "the file is not UTF-8 (UTF-16 or binary?); records files are UTF-8 text "
            "(convert it, e.g. iconv -f UTF-16 -t UTF-8)",
            file=name,
            place="line 1",
        )


def _lines(stream: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    """Physical lines as text (invalid UTF-8 kept as lone surrogates, found later by field)."""
    for n, raw in enumerate(stream, 1):
        if n == 1:
            _check_encoding(raw, name)
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        yield n, raw.decode("utf-8", "surrogateescape")


def csv_rows(
    stream: IO[bytes], name: str, *, on_header: Callable[[list[str], str], None] | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """(place, {column: cell}) of each data row; empty cells left out; blank lines skipped.
    ``on_header`` is called with the column names and the header's place, to check them."""
    if csv.field_size_limit() < _MAX_FIELD:
        csv.field_size_limit(_MAX_FIELD)  # process-wide; only ever raised
    numbered = _lines(stream, name)
    lineno = 0

    def texts() -> Iterator[str]:
        nonlocal lineno
        for n, t in numbered:
            lineno = n
            yield t

    source = texts()
    header_text = None
    for t in source:
        if t.strip():
            header_text = t
            break
    if header_text is None:
        raise RecordError("empty file: no header row", file=name, place="line 1")
    header_line = lineno
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
    try:
        header = next(csv.reader([header_text], delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise RecordError(f"malformed CSV header: {e}", file=name, place=f"line {header_line}") from None
    names = []
    for cell in header:
        if _UNDECODABLE.search(cell):
            raise RecordError("invalid UTF-8 in the header", file=name, place=f"line {header_line}")
        names.append(header_name(cell))
    _check_header(names, name, f"line {header_line}")
    if on_header is not None:
        on_header(names, f"line {header_line}")
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    last = header_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise RecordError(f"malformed CSV: {e}", file=name, place=f"line {last + 1}") from None
        start, last = last + 1, lineno
        if not any(c.strip() for c in cells):
            continue
        place = f"line {start}"
        if len(cells) != len(names):
            raise RecordError(
                f"{len(cells)} cells, but the header names {len(names)} columns"
                + (" (a ';'-separated list in a ';'-delimited file is quoted)" if delimiter == ";" else ""),
                file=name,
                place=place,
            )
        row: dict[str, str] = {}
        for col, cell in zip(names, cells, strict=True):
            if _UNDECODABLE.search(cell):
                raise RecordError("invalid UTF-8 (the file must be UTF-8)", file=name, place=place, field=col)
            if cell.strip():
                row[col] = cell
        yield place, row


def _check_header(names: list[str], name: str, place: str) -> None:
    seen: set[str] = set()
    for n in names:
        if not n:
            raise RecordError("the header has an empty column name", file=name, place=place)
        if n in seen:
            raise RecordError("column named twice in the header", file=name, place=place, field=n)
        seen.add(n)


def json_rows(stream: IO[bytes], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(place, object) of each object of a JSON array or of JSON Lines."""
    head = stream.read(4096)
    _check_encoding(head, name)
    stream.seek(0)
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if first == b"[":
        yield from _json_array(stream, name)
    elif first == b"{":
        yield from _json_lines(stream, name)
    else:
        raise RecordError(
            "not JSON records: expected an array of objects, or JSON Lines (one object per line)",
            file=name,
            place="line 1",
        )


def _json_array(stream: IO[bytes], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    repairs: list[tuple[int, str]] = []
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(0)
    sc = JsonScanner(
        stream,
        name=name,
        on_repair=lambda at, kind, _detail: repairs.append((at, kind)),
        lenient_utf8=True,
        start=stream.tell(),
    )
    n = 0
    items = sc.array_items()
    while True:
        try:
            at = next(items, None)
        except BadInput as e:
            raise RecordError(e.message, file=name, place=f"after item {n} ({e.place})") from None
        if at is None:
            break
        n += 1
        place = f"item {n}"
        try:
            _, _, data, value = sc.read_value_raw()
        except BadInput as e:
            raise RecordError(e.message, file=name, place=f"{place} ({e.place})") from None
        if repairs:
            where, kind = repairs[0]
            if kind == "invalid_utf8":
                field = _undecodable_field(data)
                raise RecordError(
                    "invalid UTF-8 (the file must be UTF-8)",
                    file=name,
                    place=place if field else f"{place} (byte {where})",
                    field=field,
                )
            raise RecordError(f"not JSON: an invalid escape (byte {where})", file=name, place=place)
        if not isinstance(value, dict):
            raise RecordError("expected an object", file=name, place=place)
        yield place, value
    if not sc.at_end():
        raise RecordError(
            "content after the closing ']'", file=name, place=f"after item {n} (byte {sc.offset})"
        )


def _json_lines(stream: IO[bytes], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for n, raw in enumerate(stream, 1):
        if n == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        place = f"line {n}"
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as ue:
                field = _undecodable_field(raw)
                raise RecordError(
                    "invalid UTF-8 (the file must be UTF-8)",
                    file=name,
                    place=place if field else f"{place} (byte {ue.start + 1} of the line)",
                    field=field,
                ) from None
            truncated = " (truncated?)" if not raw.endswith(b"\n") else ""
            raise RecordError(f"malformed JSON{truncated}: {e.msg}", file=name, place=place) from None
        if not isinstance(value, dict):
            raise RecordError("expected an object (JSON Lines: one object per line)", file=name, place=place)
        yield place, value


def _undecodable_field(data: bytes) -> str | None:
    """The key of the object in ``data`` whose value holds bytes that are not UTF-8, if it parses."""
    try:
        value = json.loads(data.decode("utf-8", "surrogateescape"))
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    for k, v in value.items():
        if _UNDECODABLE.search(k) or _UNDECODABLE.search(json.dumps(v, ensure_ascii=False)):
            return header_name(k) if not _UNDECODABLE.search(k) else "(a key)"
    return None


# -- validation -----------------------------------------------------------------------------------


def read_rows(
    stream: IO[bytes],
    *,
    kind: RecordKind,
    format: str,
    name: str,
    region: str = norm.DEFAULT_REGION,
) -> Iterator[Row]:
    """The validated rows of a records file of ``kind`` in ``format`` (``csv`` or ``json``)."""
    spec = columns(kind)

    def header(names: list[str], place: str) -> None:
        for n in names:
            if n not in spec:
                raise RecordError(_unknown(kind, spec), file=name, place=place, field=n)
        for col in spec.values():
            if col.required and col.name not in names:
                raise RecordError(
                    "required column missing from the header", file=name, place=place, field=col.name
                )

    raw_rows = csv_rows(stream, name, on_header=header) if format == "csv" else json_rows(stream, name)
    for place, raw in raw_rows:
        yield validate(kind, spec, place, raw, name=name, region=region)


def _unknown(kind: RecordKind, spec: dict[str, Column]) -> str:
    return f"unknown column for {kind} records (known: {', '.join(spec)})"


def validate(
    kind: RecordKind,
    spec: dict[str, Column],
    place: str,
    raw: dict[str, Any],
    *,
    name: str,
    region: str = norm.DEFAULT_REGION,
) -> Row:
    """Check one raw row against its kind's columns; return it normalised."""
    present: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in raw.items():
        key_name = header_name(key) if isinstance(key, str) else str(key)
        if key_name not in spec:
            raise RecordError(_unknown(kind, spec), file=name, place=place, field=key_name)
        if key_name in seen:
            raise RecordError("column given twice", file=name, place=place, field=key_name)
        seen.add(key_name)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue
        if isinstance(value, str) and _UNDECODABLE.search(value):
            raise RecordError(
                "invalid UTF-8 (the file must be UTF-8)", file=name, place=place, field=key_name
            )
        present[key_name] = value
    for col in spec.values():
        if col.required and col.name not in present:
            raise RecordError("required field missing or empty", file=name, place=place, field=col.name)

    def check(col: Column, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except norm.Invalid as e:
            raise RecordError(str(e), file=name, place=place, field=col.name) from None

    values: dict[str, Any] = {}
    order = sorted(spec.values(), key=lambda c: c.name != "kind")  # kind first: others depend on it
    for col in order:
        if col.name not in present:
            if col.default is not None:
                values[col.name] = col.default
            continue
        v = present[col.name]
        if col.only_for and values.get("kind") not in col.only_for:
            raise RecordError(
                f"applies only to kind {' or '.join(col.only_for)}", file=name, place=place, field=col.name
            )
        values[col.name] = check(col, _reader(col, values, region), v)
    _cross_checks(kind, values, place, name)
    return Row(place, values)


def _reader(col: Column, values: dict[str, Any], region: str) -> Any:
    t = col.type
    if t == "text":
        return lambda v: norm.text(v, max_length=col.max_length)
    if t == "choice":
        return lambda v: norm.choice(v, col.choices)
    if t == "account":
        return norm.account
    if t == "identifier":
        if values["kind"] == "ip":  # (address, port written with it): split in _cross_checks
            return norm.ip_with_port
        return lambda v: norm.identifier(values["kind"], v, region)
    if t == "port":
        return norm.port
    if t == "timestamp":
        return norm.timestamp
    if t == "date":
        return norm.day
    if t == "birth_date":
        return norm.birth_date
    if t == "departement":
        return norm.departement
    if t == "boolean":
        return norm.boolean
    if t == "terms":
        return norm.items
    if t == "phones":
        return lambda v: _each(lambda x: norm.phone(x, region), norm.items(v))
    if t == "emails":
        return lambda v: _each(norm.email, norm.items(v))
    raise AssertionError(f"no reader for column type {t}")


def _each(fn: Callable[[str], str], items: list[str]) -> list[str]:
    """Each item of a list normalised (duplicates dropped); an error says which item."""
    out = []
    for n, item in enumerate(items, 1):
        try:
            out.append(fn(item))
        except norm.Invalid as e:
            raise norm.Invalid(f"item {n} of the list: {e}") from None
    return list(dict.fromkeys(out))


def _cross_checks(kind: RecordKind, values: dict[str, Any], place: str, name: str) -> None:
    if kind == "returns":
        if isinstance(values["value"], tuple):
            values["value"], written = values["value"]
            stated = values.get("port")
            if written is not None and stated is not None and written != stated:
                raise RecordError(
                    f"the port written in value ({written}) and the port column ({stated}) differ",
                    file=name,
                    place=place,
                    field="port",
                )
            if written is not None:
                values["port"] = written
        first, last = values.get("first_seen"), values.get("last_seen")
        if first is not None and last is not None and last < first:
            raise RecordError("last_seen is before first_seen", file=name, place=place, field="last_seen")
    elif kind == "identity":
        if not any(k != "person" for k in values):
            raise RecordError(
                "an identity record with nothing but the person: no field to import", file=name, place=place
            )
    elif kind == "attributes" and values["kind"] == "criminal_record":
        stated = values.get("sexual_offence_against_minor")
        implied = [
            t
            for t in values.get("offence_types", [])
            if (o := norm.offence_type(t)) and o.against_minor_sexual
        ]
        if stated is False and implied:
            raise RecordError(
                "stated false, but an offence type is a sexual offence against a minor",
                file=name,
                place=place,
                field="sexual_offence_against_minor",
            )
