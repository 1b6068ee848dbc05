"""The case as tables other tools read: CSV (RFC 4180) and JSON Lines, the same rows in both.

Four tables, each one file (``accounts``, ``messages``, ``exchanges``, ``matches``, with the
extension ``.csv`` or ``.jsonl``), rows streamed from the store so that a case of millions of
messages is written in bounded memory:

* **accounts** — one row per account: its id in this case, key, platform, platform id, kind,
  identity basis (``platform_id`` or ``name_only``), whether a deleted account was seen, and every
  display name, username and other name (contact name, …) it was observed under, first seen first;
* **messages** — one row per message: chat key, message id, date (UTC), sender key and name as
  exported, kind and service action, text, ``forwarded_from``, the message replied to, and its
  citation: evidence id and the evidence file's SHA-256, byte offset and length (JSON) or page
  (HTML), and whether it is *possibly deleted*;
* **exchanges** — one row per exchange of flagged media × recipient
  (:func:`veilleur.analysis.exchanges.flagged_exchanges`): the message and its citation, the
  setting (private, group, saved), the sender, the recipient with whether the data records it or
  it is inferred and on what basis, the flagged files (SHA-256), and the lists, categories,
  methods and distances of the hits behind them. An exchange with no recipient (saved messages, a
  group whose members at that time are unknown) has one row with the recipient left empty;
* **matches** — one row per hit of the matching run (positive and negative lists, suppressed
  hits included): the case file's SHA-256, the list's name, kind and version, the entry's id,
  identifier and category, hash type, method, distance and threshold, the negative entry that
  suppressed it and when it was matched. Never a list entry's hash value.

CSV: UTF-8 without BOM, comma-separated, fields quoted when needed, CRLF line ends, a header row;
empty for none, ``true``/``false`` for booleans, and a JSON array in a cell for a list of values
(names, files, lists…). JSON Lines: one JSON object per line, lists as arrays, none as ``null``.

A spreadsheet takes a cell beginning with ``=``, ``+``, ``-`` or ``@`` for a formula (some strip a
leading tab or carriage return first), and case text is written by whoever wrote the messages: a
display name ``=HYPERLINK("http://…","click")`` becomes a live link, ``=WEBSERVICE(…)`` a request
that can carry the sheet's content out. So by default every CSV text cell beginning with one of
those characters is written with a leading apostrophe (OWASP's CSV-injection recommendation),
which spreadsheets show as text and hide; the manifest says so and counts the cells per file.
``raw=True`` writes the values exactly as the case holds them, for a tool that reads CSV as data.
Numbers Veilleur writes (ids, offsets, distances) are never changed: ``-5`` is a number, not a
formula. JSON Lines always hold the values exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, select

from veilleur.analysis.exchanges import Exchange, flagged_exchanges
from veilleur.outputs.exports.base import (
    STREAM,
    ExportFiles,
    account_records,
    clean_text,
    resolve_run,
    run_lists,
)
from veilleur.store.lookups import account_keys, chunks
from veilleur.store.schema import accounts, chats, evidence, matches, messages
from veilleur.timefmt import iso_utc

__all__ = [
    "ACCOUNT_COLUMNS",
    "EXCHANGE_COLUMNS",
    "FORMULA_START",
    "MATCH_COLUMNS",
    "MESSAGE_COLUMNS",
    "TABLES",
    "account_rows",
    "exchange_rows",
    "match_rows",
    "message_rows",
    "neutralise",
    "write_csv",
    "write_jsonl",
]

Row = dict[str, Any]

ACCOUNT_COLUMNS = (
    "id",
    "key",
    "platform",
    "platform_id",
    "kind",
    "identity",
    "deleted_seen",
    "display_names",
    "usernames",
    "other_names",
)
MESSAGE_COLUMNS = (
    "chat_key",
    "message_id",
    "date_utc",
    "sender_key",
    "sender_name",
    "kind",
    "action",
    "text",
    "forwarded_from",
    "reply_to_message_id",
    "evidence_id",
    "evidence_sha256",
    "byte_offset",
    "byte_length",
    "page",
    "possibly_deleted",
)
EXCHANGE_COLUMNS = (
    "chat_key",
    "chat_title",
    "setting",
    "message_id",
    "date_utc",
    "sender_key",
    "sender_name",
    "recipient_key",
    "recipient_recorded",
    "recipient_basis",
    "recipient_basis_message_id",
    "files",
    "lists",
    "categories",
    "methods",
    "distances",
    "forwarded_from",
    "forward_origin_key",
    "reply_to_message_id",
    "evidence_id",
    "evidence_sha256",
    "byte_offset",
    "page",
    "citation",
)
MATCH_COLUMNS = (
    "run_id",
    "sha256",
    "list_name",
    "list_kind",
    "list_version",
    "entry_id",
    "entry_identifier",
    "category",
    "hash_type",
    "method",
    "variant",
    "frame_ms",
    "distance",
    "threshold",
    "quality",
    "query_match_pct",
    "compared_match_pct",
    "suppressed_by",
    "suppressed_by_list",
    "suppressed_by_entry",
    "matched_at",
)


# -- rows -----------------------------------------------------------------------------------------


def account_rows(conn: Connection, run_id: int | None = None) -> Iterator[Row]:
    """Every account of the case with every name observed (``run_id`` is unused)."""
    for a in account_records(conn):
        yield {
            "id": a.id,
            "key": a.key,
            "platform": a.platform,
            "platform_id": a.peer_id,
            "kind": a.kind,
            "identity": a.identity,
            "deleted_seen": a.deleted_seen,
            "display_names": a.display_names,
            "usernames": a.usernames,
            "other_names": [{"kind": k, "value": v} for k, v in a.other_names],
        }


def message_rows(conn: Connection, run_id: int | None = None) -> Iterator[Row]:
    """Every message of the case by chat and message id, streamed (``run_id`` is unused)."""
    m = messages
    stmt = (
        select(
            chats.c.key.label("chat_key"),
            m.c.message_id,
            m.c.date_utc,
            accounts.c.key.label("sender_key"),
            m.c.sender_name,
            m.c.kind,
            m.c.action,
            m.c.text,
            m.c.forwarded_from,
            m.c.reply_to_message_id,
            m.c.evidence_id,
            evidence.c.sha256.label("evidence_sha256"),
            m.c.byte_offset,
            m.c.byte_length,
            m.c.page,
            m.c.possibly_deleted,
        )
        .select_from(m)
        .join(chats, chats.c.id == m.c.chat_id)
        .join(evidence, evidence.c.id == m.c.evidence_id)
        .outerjoin(accounts, accounts.c.id == m.c.sender_id)
        .order_by(m.c.chat_id, m.c.message_id)
    )
    for r in conn.execute(stmt, execution_options={"stream_results": True, "yield_per": STREAM}):
        row = r._asdict()
        row["date_utc"] = iso_utc(r.date_utc)
        row["possibly_deleted"] = bool(r.possibly_deleted)
        yield row


def _evidence_sha256(conn: Connection, ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in chunks(ids):
        out.update(
            conn.execute(select(evidence.c.id, evidence.c.sha256).where(evidence.c.id.in_(part))).all()
        )
    return out


def exchange_rows(
    conn: Connection, run_id: int | None = None, exchanges: Sequence[Exchange] | None = None
) -> Iterator[Row]:
    """One row per exchange of flagged media and recipient (one row, recipient empty, for an
    exchange without recipients), by time."""
    found = exchanges if exchanges is not None else flagged_exchanges(conn, resolve_run(conn, run_id))
    ids: set[int] = set()
    for e in found:
        ids.update(p.account_id for p in e.recipients)
        if e.sender_id is not None:
            ids.add(e.sender_id)
        if e.forward_origin is not None and e.forward_origin.account_id is not None:
            ids.add(e.forward_origin.account_id)
    keys = account_keys(conn, ids)
    shas = _evidence_sha256(conn, {e.evidence_id for e in found if e.evidence_id is not None})
    for e in found:
        origin = e.forward_origin.account_id if e.forward_origin is not None else None
        base = {
            "chat_key": e.chat_key,
            "chat_title": e.chat_title,
            "setting": e.setting,
            "message_id": e.message_id,
            "date_utc": iso_utc(e.date_utc),
            "sender_key": keys.get(e.sender_id) if e.sender_id is not None else None,
            "sender_name": e.sender_name,
        }
        tail = {
            "files": e.files,
            "lists": sorted({h.list_name for h in e.hits}),
            "categories": sorted({h.category for h in e.hits if h.category}),
            "methods": sorted({h.method for h in e.hits}),
            "distances": sorted({h.distance for h in e.hits if h.distance is not None}),
            "forwarded_from": e.forwarded_from,
            "forward_origin_key": keys.get(origin) if origin is not None else None,
            "reply_to_message_id": e.reply_to_message_id,
            "evidence_id": e.evidence_id,
            "evidence_sha256": shas.get(e.evidence_id) if e.evidence_id is not None else None,
            "byte_offset": e.byte_offset,
            "page": e.page,
            "citation": e.citation,
        }
        parties: list[Any] = list(e.recipients) or [None]
        for p in parties:
            yield {
                **base,
                "recipient_key": keys.get(p.account_id) if p is not None else None,
                "recipient_recorded": p.recorded if p is not None else None,
                "recipient_basis": p.basis if p is not None else None,
                "recipient_basis_message_id": p.message_id if p is not None else None,
                **tail,
            }


def match_rows(conn: Connection, run_id: int | None = None) -> Iterator[Row]:
    """Every hit of the matching run (the current one unless ``run_id``), streamed; the list's name
    and version as the run recorded them. Never a list entry's hash value."""
    run_id = resolve_run(conn, run_id)
    if run_id is None:
        return
    lists = {x["id"]: x for x in run_lists(conn, run_id)}
    versions = {x.get("version_id"): x.get("version") for x in lists.values()}
    m = matches
    # The negative entries that suppress hits, as the same run matched them (a few at most).
    negative: dict[int, tuple[str | None, str | None]] = {}
    for entry_id, list_id, external_id in conn.execute(
        select(m.c.entry_id, m.c.list_id, m.c.external_id).where(
            m.c.run_id == run_id, m.c.list_kind == "negative"
        )
    ):
        negative[entry_id] = (lists.get(list_id, {}).get("name"), external_id)
    stmt = (
        select(m)
        .where(m.c.run_id == run_id)
        .order_by(m.c.sha256, m.c.list_kind.desc(), m.c.list_id, m.c.entry_id, m.c.method, m.c.id)
    )
    for r in conn.execute(stmt, execution_options={"stream_results": True, "yield_per": STREAM}):
        info = lists.get(r.list_id, {})
        suppressor = negative.get(r.suppressed_by) if r.suppressed_by is not None else None
        yield {
            "run_id": r.run_id,
            "sha256": r.sha256,
            "list_name": info.get("name"),
            "list_kind": r.list_kind,
            "list_version": versions.get(r.list_version_id),
            "entry_id": r.entry_id,
            "entry_identifier": r.external_id,
            "category": r.category,
            "hash_type": r.hash_type,
            "method": r.method,
            "variant": r.variant,
            "frame_ms": r.frame_ms,
            "distance": r.distance,
            "threshold": r.threshold,
            "quality": r.quality,
            "query_match_pct": r.query_match_pct,
            "compared_match_pct": r.compared_match_pct,
            "suppressed_by": r.suppressed_by,
            "suppressed_by_list": suppressor[0] if suppressor else None,
            "suppressed_by_entry": suppressor[1] if suppressor else None,
            "matched_at": r.matched_at,
        }


RowSource = Callable[[Connection, int | None], Iterator[Row]]

TABLES: dict[str, tuple[tuple[str, ...], RowSource]] = {
    "accounts": (ACCOUNT_COLUMNS, account_rows),
    "messages": (MESSAGE_COLUMNS, message_rows),
    "exchanges": (EXCHANGE_COLUMNS, exchange_rows),
    "matches": (MATCH_COLUMNS, match_rows),
}
"""Each table's columns, in order, and the function that yields its rows."""


# -- serialisation --------------------------------------------------------------------------------


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read a cell beginning with as the start of a formula (OWASP, CSV
injection): a tab or carriage return first because some strip it and read what follows."""


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, dict)):
        return _json(value).decode("utf-8")
    return str(value)


def _text_cell(value: Any, raw: bool) -> tuple[str, bool]:
    """The cell and whether it was neutralised. Only text from the case is: numbers are ours, and a
    list or mapping cell is JSON, which begins with ``[`` or ``{``."""
    cell = _cell(value)
    if raw or not isinstance(value, str) or not cell.startswith(FORMULA_START):
        return cell, False
    return neutralise(cell), True


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(_cleaned(value))


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return value


def _write_csv(f: IO[str], columns: tuple[str, ...], rows: Iterable[Row], raw: bool) -> tuple[int, int]:
    """Write the header and rows; return the rows written and the cells neutralised."""
    w = csv.writer(f, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(columns)
    n = neutralised = 0
    for row in rows:
        cells = []
        for c in columns:
            cell, changed = _text_cell(row[c], raw)
            cells.append(cell)
            neutralised += changed
        w.writerow(cells)
        n += 1
    return n, neutralised


def _write_jsonl(f: IO[bytes], columns: tuple[str, ...], rows: Iterable[Row]) -> int:
    n = 0
    for row in rows:
        f.write(_json({c: row[c] for c in columns}))
        f.write(b"\n")
        n += 1
    return n


_LEFT_OUT = [
    "hash lists: no list entry, hash value, series or flag; a hit gives the list's name and version "
    "and the entry's identifier and category only",
    "media: files are named by SHA-256 only, never copied",
    "message versions, reactions, entities and exporter records (contacts, sessions) are not "
    "exported in this format",
]


_NEUTRALISED = (
    "formula cells: text cells beginning with = + - @, a tab or a carriage return are written with a "
    "leading apostrophe so that a spreadsheet shows them as text (files[].neutralised_cells counts "
    "them); remove it to read the value as the case holds it, or export again with raw values"
)
_RAW = (
    "formula cells: values are written exactly as the case holds them; a spreadsheet may run a cell "
    "beginning with = + - @ as a formula: import the files as text rather than opening them"
)


def _write(conn: Connection, out_dir: Path, run_id: int | None, fmt: str, raw: bool = False) -> list[Path]:
    run_id = resolve_run(conn, run_id)
    description = (
        "Accounts, messages, exchanges of flagged media and matches, as RFC 4180 CSV"
        if fmt == "csv"
        else "Accounts, messages, exchanges of flagged media and matches, as JSON Lines"
    )
    out = ExportFiles(conn, out_dir, fmt, description, run_id)
    exchanges = flagged_exchanges(conn, run_id) if run_id is not None else []
    for table, (columns, source) in TABLES.items():
        rows = exchange_rows(conn, run_id, exchanges) if table == "exchanges" else source(conn, run_id)
        name = f"{table}.{fmt}"
        if fmt == "csv":
            with out.text(name) as t:
                n, neutralised = _write_csv(t, columns, rows, raw)
            out.set_info(name, rows=n, neutralised_cells=neutralised)
        else:
            with out.binary(name) as b:
                n = _write_jsonl(b, columns, rows)
            out.set_rows(name, n)
    notes = [f"exchanges: {len(exchanges)} messages carrying flagged media"]
    extra: dict[str, Any] = {}
    if fmt == "csv":
        notes.append(_RAW if raw else _NEUTRALISED)
        extra["formula_cells"] = "raw" if raw else "neutralised"
    return out.finish(
        left_out=_LEFT_OUT,
        notes=notes,
        columns={table: list(columns) for table, (columns, _) in TABLES.items()},
        **extra,
    )


def write_csv(conn: Connection, out_dir: Path, *, run_id: int | None = None, raw: bool = False) -> list[Path]:
    """``accounts.csv``, ``messages.csv``, ``exchanges.csv``, ``matches.csv`` and the manifest.

    Text cells a spreadsheet would run as a formula get a leading apostrophe unless ``raw``
    (module doc)."""
    return _write(conn, out_dir, run_id, "csv", raw)


def write_jsonl(conn: Connection, out_dir: Path, *, run_id: int | None = None) -> list[Path]:
    """``accounts.jsonl``, ``messages.jsonl``, ``exchanges.jsonl``, ``matches.jsonl`` and the manifest."""
    return _write(conn, out_dir, run_id, "jsonl")
