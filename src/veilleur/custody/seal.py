"""Content seals: what each import put into the case, digested into the audit chain.

Why: the audit chain proves that the log was not edited, and the evidence registry that the
files did not change. Neither says anything about the records between them: editing a message's
text or sender in the database, deleting a message, or rewriting an evidence item's stored
SHA-256 would pass both, and every dossier built on those records would be deniable.

How: when an import completes, the rows it wrote are read back in a fixed order, stream by
stream — its messages as it first saw them, the versions and sightings it added, their entities,
media and reactions, the names it observed, its chats' coverage, its notices, the evidence it
registered — and each stream's SHA-256 and row count go into the import's own audit entry, in the
same transaction: the seal commits with the rows, and from then on the chain and its witness
protect it. :func:`verify` recomputes every seal with the very same function (one definition of
what is sealed, so sealing and checking cannot drift apart), checks that no row lies outside
every seal, and that each message row's current text is one of its sealed versions.

Only what an import wrote and nothing after it may change is sealed. A message row shows the
latest version of its text (a later export may bring an edit): the first version is sealed by the
import that saw it, each later one by its own import, and the row is checked against them. A
media file linked by a later export is sealed by that export (``media.file_import_id``). Flags a
later import sets (possibly deleted) are sealed by the import that set them.

What this does not prove: that the import itself was right (the round-trip tests do), or
anything about a case imported before seals existed (:func:`verify` names such imports).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, func, select
from sqlalchemy.sql import ColumnElement

from veilleur.store.schema import (
    account_identifiers,
    account_names,
    accounts,
    audit_log,
    chat_imports,
    chat_names,
    chats,
    entities,
    evidence,
    exporter_records,
    identity_records,
    import_log,
    imports,
    media,
    message_conflicts,
    message_sightings,
    message_versions,
    messages,
    person_attributes,
    persons,
    reaction_actors,
    reactions,
    record_imports,
)

__all__ = ["SEAL_VERSION", "SealCheck", "evidence_seal", "records_seal", "telegram_seal", "verify"]

SEAL_VERSION = 1
"""Written into each seal: a later change of what is sealed gets a new number, and :func:`verify`
recomputes each seal as the version that wrote it."""

_PAGE = 10_000
"""Rows fetched at a time while digesting: memory stays flat on a million-message import."""

Query = Callable[[int], Select[Any]]
Stream = tuple[str, Query, Callable[[Sequence[Any]], Sequence[Any]] | None]


def _rows(row: Sequence[Any]) -> Sequence[Any]:
    return row


# -- what a Telegram import wrote ------------------------------------------------------------------

_v1 = message_versions.alias("v1")
_sender = accounts.alias("sender")
_FIRST_SIGHTING = ("text", "edited_utc", "content_hash", "evidence_id", "byte_offset", "page", "byte_length")


def _messages(import_id: int) -> Select[Any]:
    m = messages.c
    return (
        select(
            m.id,
            chats.c.key,
            m.message_id,
            m.kind,
            _sender.c.key,
            m.sender_name,
            m.date_utc,
            m.time_basis,
            m.date_local,
            m.reply_to_message_id,
            m.reply_to_peer,
            m.forwarded_from,
            m.saved_from,
            m.via_bot,
            m.author,
            m.action,
            m.details,
            m.migrated,
            *(m[c] for c in _FIRST_SIGHTING),
            _v1.c.version,
            *(_v1.c[c] for c in _FIRST_SIGHTING),
        )
        .join(chats, chats.c.id == m.chat_id)
        .outerjoin(_sender, _sender.c.id == m.sender_id)
        .outerjoin(_v1, and_(_v1.c.message_pk == m.id, _v1.c.version == 1))
        .where(m.first_import_id == import_id)
        .order_by(m.id)
    )


def _first_sighting(row: Sequence[Any]) -> Sequence[Any]:
    """The message as its first import saw it: once a later version exists, the row shows the
    latest and the first lives, copied unchanged, in ``message_versions`` as version 1."""
    n = len(_FIRST_SIGHTING)
    head, own, v1, copied = row[: -2 * n - 1], row[-2 * n - 1 : -n - 1], row[-n - 1], row[-n:]
    return (*head, *(copied if v1 is not None else own))


def _versions(import_id: int) -> Select[Any]:
    v = message_versions.c
    return (
        select(v.message_pk, v.version, *(v[c] for c in _FIRST_SIGHTING))
        .where(v.import_id == import_id, v.version > 1)
        .order_by(v.message_pk, v.version)
    )


def _sightings(import_id: int) -> Select[Any]:
    s = message_sightings.c
    return (
        select(s.message_pk, s.evidence_id, s.byte_offset, s.page, s.content_hash)
        .where(s.import_id == import_id)
        .order_by(s.message_pk, s.evidence_id)
    )


def _of_messages(table: Any, cols: Iterable[ColumnElement[Any]], order: Iterable[Any]) -> Query:
    def query(import_id: int) -> Select[Any]:
        return (
            select(*cols)
            .join(messages, messages.c.id == table.c.message_pk)
            .where(messages.c.first_import_id == import_id)
            .order_by(*order)
        )

    return query


def _media(import_id: int) -> Select[Any]:
    c = media.c
    return (
        select(
            c.message_pk,
            c.idx,
            c.role,
            c.placeholder,
            c.placeholder_text,
            c.file_name,
            c.file_size,
            c.mime_type,
            c.media_type,
            c.width,
            c.height,
            c.duration_seconds,
            c.spoiler,
            c.ttl_seconds,
        )
        .where(c.import_id == import_id)
        .order_by(c.message_pk, c.idx)
    )


def _media_files(import_id: int) -> Select[Any]:
    c = media.c
    return (
        select(c.message_pk, c.idx, c.relpath, c.present, c.issue, c.file_evidence_id)
        .where(c.file_import_id == import_id)
        .order_by(c.message_pk, c.idx)
    )


def _reactors(import_id: int) -> Select[Any]:
    r = reaction_actors.c
    return (
        select(r.message_pk, r.reaction_idx, accounts.c.key, r.date_utc)
        .join(messages, messages.c.id == r.message_pk)
        .join(accounts, accounts.c.id == r.account_id)
        .where(messages.c.first_import_id == import_id)
        .order_by(r.message_pk, r.reaction_idx, accounts.c.key)
    )


def _names(import_id: int) -> Select[Any]:
    n = account_names.c
    return (
        select(
            accounts.c.key,
            n.name_kind,
            n.value,
            n.evidence_id,
            n.first_seen_utc,
            n.last_seen_utc,
            n.n_seen,
            n.first_byte_offset,
        )
        .join(accounts, accounts.c.id == n.account_id)
        .where(n.import_id == import_id)
        .order_by(accounts.c.key, n.name_kind, n.value)
    )


def _chat_names(import_id: int) -> Select[Any]:
    n = chat_names.c
    return (
        select(chats.c.key, n.name, n.evidence_id, n.byte_offset)
        .join(chats, chats.c.id == n.chat_id)
        .where(n.import_id == import_id)
        .order_by(chats.c.key, n.name)
    )


def _coverage(import_id: int) -> Select[Any]:
    c = chat_imports.c
    return (
        select(chats.c.key, c.coverage, c.section, c.first_utc, c.last_utc, c.n_messages, c.complete)
        .join(chats, chats.c.id == c.chat_id)
        .where(c.import_id == import_id)
        .order_by(chats.c.key)
    )


def _flagged(import_id: int) -> Select[Any]:
    m = messages.c
    return select(m.id, m.possibly_deleted).where(m.deletion_noticed_import_id == import_id).order_by(m.id)


def _notices(import_id: int) -> Select[Any]:
    c = import_log.c
    return (
        select(c.evidence_id, c.byte_offset, c.kind, c.code, c.message, c.chat_key)
        .where(c.import_id == import_id)
        .order_by(c.id)
    )


def _exporter(import_id: int) -> Select[Any]:
    c = exporter_records.c
    return (
        select(
            c.evidence_id,
            c.section,
            c.idx,
            c.exporter_account_id,
            c.account_id,
            c.phone,
            c.ip,
            c.name,
            c.date_utc,
            c.data,
            c.byte_offset,
        )
        .where(c.import_id == import_id)
        .order_by(c.evidence_id, c.section, c.idx)
    )


def _conflicts(import_id: int) -> Select[Any]:
    c = message_conflicts.c
    return (
        select(
            c.message_pk,
            c.evidence_id,
            c.byte_offset,
            c.page,
            c.field,
            c.stored_account_id,
            c.found_account_id,
            c.found_name,
            c.content_hash,
        )
        .where(c.import_id == import_id)
        .order_by(c.id)
    )


def _import_row(import_id: int) -> Select[Any]:
    c = imports.c
    return select(
        c.id, c.evidence_id, c.source_path, c.format, c.layout, c.status, c.options, c.report
    ).where(c.id == import_id)


TELEGRAM_STREAMS: tuple[Stream, ...] = (
    ("import", _import_row, None),
    ("messages", _messages, _first_sighting),
    ("versions", _versions, None),
    ("sightings", _sightings, None),
    (
        "entities",
        _of_messages(
            entities,
            [
                entities.c[k]
                for k in ("message_pk", "idx", "type", "text", "offset", "length", "user_id", "href", "extra")
            ],
            [entities.c.message_pk, entities.c.idx],
        ),
        None,
    ),
    ("media", _media, None),
    ("media_files", _media_files, None),
    (
        "reactions",
        _of_messages(
            reactions,
            [reactions.c[k] for k in ("message_pk", "idx", "type", "emoji", "document_id", "count")],
            [reactions.c.message_pk, reactions.c.idx],
        ),
        None,
    ),
    ("reaction_actors", _reactors, None),
    ("names", _names, None),
    ("chat_names", _chat_names, None),
    ("coverage", _coverage, None),
    ("flagged", _flagged, None),
    ("notices", _notices, None),
    ("exporter_records", _exporter, None),
    ("conflicts", _conflicts, None),
)


# -- what a records import wrote ---------------------------------------------------------------------


def _identifiers(import_id: int) -> Select[Any]:
    c = account_identifiers.c
    return (
        select(c.id, accounts.c.key, c.kind, c.value, c.first_utc, c.last_utc, c.place, c.port)
        .join(accounts, accounts.c.id == c.account_id)
        .where(c.import_id == import_id)
        .order_by(c.id)
    )


def _identity(import_id: int) -> Select[Any]:
    c = identity_records.c
    return (
        select(
            c.id,
            persons.c.key,
            c.first_name,
            c.last_name,
            c.birth_date,
            c.address,
            c.postcode,
            c.city,
            c.country,
            c.departement,
            c.court,
            c.phones,
            c.emails,
            c.place,
        )
        .join(persons, persons.c.id == c.person_id)
        .where(c.import_id == import_id)
        .order_by(c.id)
    )


def _attributes(import_id: int) -> Select[Any]:
    c = person_attributes.c
    return (
        select(c.id, persons.c.key, c.kind, c.value, c.detail, c.source, c.observed_utc, c.place)
        .join(persons, persons.c.id == c.person_id)
        .where(c.import_id == import_id)
        .order_by(c.id)
    )


def _record_import_row(import_id: int) -> Select[Any]:
    c = record_imports.c
    return select(c.id, c.evidence_id, c.kind, c.format, c.source, c.n_rows, c.report).where(
        c.id == import_id
    )


RECORDS_STREAMS: tuple[Stream, ...] = (
    ("import", _record_import_row, None),
    ("identifiers", _identifiers, None),
    ("identity", _identity, None),
    ("attributes", _attributes, None),
)


# -- the evidence an action registered -----------------------------------------------------------------


def _evidence_rows(first: int, last: int) -> Select[Any]:
    c = evidence.c
    return (
        select(
            c.id,
            c.sha256,
            c.size,
            c.original_path,
            c.relpath,
            c.kind,
            c.parent_id,
            c.registered_at,
            c.operator,
        )
        .where(c.id.between(first, last))
        .order_by(c.id)
    )


# -- digesting -------------------------------------------------------------------------------------------


def _digest(
    conn: Connection, query: Select[Any], shape: Callable[[Sequence[Any]], Sequence[Any]] | None
) -> list[Any]:
    """``[rows, sha256]`` of a stream: each row's values as a JSON array, one per line."""
    h = hashlib.sha256()
    n = 0
    result = conn.execute(query.execution_options(stream_results=True, yield_per=_PAGE))
    for row in result:
        h.update(orjson.dumps(list(shape(row) if shape else row)))
        h.update(b"\n")
        n += 1
    return [n, h.hexdigest()]


def _seal(conn: Connection, streams: Sequence[Stream], import_id: int) -> dict[str, Any]:
    return {name: _digest(conn, query(import_id), shape) for name, query, shape in streams}


def evidence_seal(conn: Connection, first: int, last: int | None = None) -> dict[str, Any]:
    """The seal of the evidence registry from id ``first`` to ``last`` (default: the newest): what
    an action registered, with each file's SHA-256 as the registry holds it at sealing time."""
    if last is None:
        last = int(conn.execute(select(func.max(evidence.c.id))).scalar() or first)
    return {"from": first, "to": last, "rows": _digest(conn, _evidence_rows(first, last), None)}


def telegram_seal(conn: Connection, import_id: int, evidence_from: int) -> dict[str, Any]:
    """The seal of a completed Telegram import, to put in its audit entry (same transaction)."""
    return {
        "v": SEAL_VERSION,
        "streams": _seal(conn, TELEGRAM_STREAMS, import_id),
        "evidence": evidence_seal(conn, evidence_from),
    }


def records_seal(conn: Connection, import_id: int, evidence_id: int) -> dict[str, Any]:
    """The seal of a records import (lawful returns, identity records, attributes)."""
    return {
        "v": SEAL_VERSION,
        "streams": _seal(conn, RECORDS_STREAMS, import_id),
        "evidence": evidence_seal(conn, evidence_id, evidence_id),
    }


# -- verifying -------------------------------------------------------------------------------------------


@dataclass
class SealCheck:
    """What :func:`verify` found: ``problems`` mean the case data differs from what was sealed;
    ``unsealed`` names what carries no seal to check (imported before seals, or not completed)."""

    sealed: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    unsealed: list[str] = field(default_factory=list)


_SEALED_ACTIONS = ("import", "records.import")


def _entries(conn: Connection) -> Iterator[tuple[int, str, dict[str, Any]]]:
    q = select(audit_log.c.seq, audit_log.c.action, audit_log.c.details).where(
        audit_log.c.action.in_(_SEALED_ACTIONS)
    )
    for r in conn.execute(q.order_by(audit_log.c.seq)):
        try:
            d = orjson.loads(r.details) if r.details else {}
        except orjson.JSONDecodeError:
            d = {}
        yield int(r.seq), r.action, d if isinstance(d, dict) else {}


def _compare(
    check: SealCheck, what: str, seq: int, sealed: Mapping[str, Any], now: Mapping[str, Any]
) -> None:
    for name, was in sealed.items():
        found = now.get(name)
        check.rows += int(was[0]) if isinstance(was, list) and was else 0
        if found is None:
            check.problems.append(f"{what}: its {name} cannot be recomputed (sealed in audit #{seq})")
        elif list(found) != list(was):
            rows = (
                f"{found[0]:,} rows now, {was[0]:,} sealed"
                if found[0] != was[0]
                else f"{found[0]:,} rows, changed"
            )
            check.problems.append(f"{what}: its {name} differ from the seal in audit #{seq} ({rows})")


def _check_evidence(
    check: SealCheck, conn: Connection, what: str, seq: int, sealed: Any
) -> tuple[int, int] | None:
    if not isinstance(sealed, dict) or not {"from", "to", "rows"} <= set(sealed):
        return None
    first, last = int(sealed["from"]), int(sealed["to"])
    now = _digest(conn, _evidence_rows(first, last), None)
    if now != list(sealed["rows"]):
        check.problems.append(
            f"{what}: the evidence registry #{first}-#{last} differs from the seal in audit #{seq} "
            "(a file's SHA-256, size or path was rewritten, or an entry deleted)"
        )
    return first, last


def verify(conn: Connection) -> SealCheck:
    """Recompute every seal in the audit log and compare; then look for rows no seal covers."""
    check = SealCheck()
    sealed: dict[str, set[int]] = {"import": set(), "records.import": set()}
    legacy: dict[str, set[int]] = {"import": set(), "records.import": set()}
    ranges: list[tuple[int, int]] = []
    for seq, action, d in _entries(conn):
        import_id = d.get("import_id")
        if not isinstance(import_id, int):
            continue
        if action == "import" and d.get("status") not in ("complete", "unchanged"):
            continue
        seal = d.get("seal")
        what = f"import #{import_id}" if action == "import" else f"records import #{import_id}"
        if not isinstance(seal, dict):
            if action == "records.import" or d.get("status") == "complete":
                legacy[action].add(import_id)
                check.unsealed.append(f"{what} (audit #{seq}) was imported before content seals")
            continue
        span = _check_evidence(check, conn, what, seq, seal.get("evidence"))
        if span is not None:
            ranges.append(span)
        streams = seal.get("streams")
        if not isinstance(streams, dict):
            continue  # an export seen again from a new place: only its registration is sealed
        defined = TELEGRAM_STREAMS if action == "import" else RECORDS_STREAMS
        _compare(check, what, seq, streams, _seal(conn, defined, import_id))
        check.sealed += 1
        sealed[action].add(import_id)
    _check_current_text(check, conn)
    status = {int(r.id): str(r.status) for r in conn.execute(select(imports.c.id, imports.c.status))}
    for i, st in sorted(status.items()):
        if st != "complete" and i not in sealed["import"]:
            legacy["import"].add(i)
            check.unsealed.append(f"import #{i} is {st}: what it wrote so far carries no seal")
    known_records = set(conn.execute(select(record_imports.c.id)).scalars())
    _check_coverage(check, conn, "import", sealed["import"], legacy["import"], set(status))
    _check_coverage(
        check, conn, "records.import", sealed["records.import"], legacy["records.import"], known_records
    )
    _check_evidence_coverage(check, conn, ranges, bool(legacy["import"] or legacy["records.import"]))
    return check


def _check_current_text(check: SealCheck, conn: Connection) -> None:
    """A message row with versions shows one of them: the row itself is not sealed (it changes
    with each newer export), its versions are."""
    v = message_versions.c
    versions: dict[int, set[tuple[Any, ...]]] = {}
    q = select(v.message_pk, *(v[c] for c in _FIRST_SIGHTING)).order_by(v.message_pk)
    for r in conn.execute(q.execution_options(stream_results=True, yield_per=_PAGE)):
        versions.setdefault(int(r[0]), set()).add(tuple(r[1:]))
    m = messages.c
    multi = set(conn.execute(select(m.id).where(m.n_versions > 1)).scalars())
    pks = sorted(set(versions) | multi)
    for start in range(0, len(pks), 5_000):
        batch = pks[start : start + 5_000]
        q2 = (
            select(m.id, m.message_id, chats.c.key, *(m[c] for c in _FIRST_SIGHTING))
            .join(chats, chats.c.id == m.chat_id)
            .where(m.id.in_(batch))
        )
        for r in conn.execute(q2):
            if tuple(r[3:]) not in versions.get(int(r[0]), set()):
                check.problems.append(
                    f"message {r.message_id} of {r.key}: its text or citation is none of its sealed "
                    "versions (the row was edited)"
                )


_COVERED: dict[str, tuple[tuple[str, Any, Any], ...]] = {
    "import": (
        ("messages", messages.c.first_import_id, None),
        ("message versions", message_versions.c.import_id, message_versions.c.version > 1),
        ("sightings", message_sightings.c.import_id, None),
        ("media", media.c.import_id, None),
        ("account names", account_names.c.import_id, None),
        ("chat names", chat_names.c.import_id, None),
    ),
    "records.import": (
        ("identifiers", account_identifiers.c.import_id, None),
        ("identity records", identity_records.c.import_id, None),
        ("person attributes", person_attributes.c.import_id, None),
    ),
}


def _check_coverage(
    check: SealCheck, conn: Connection, action: str, sealed: set[int], legacy: set[int], known: set[int]
) -> None:
    """Rows that cite an import no seal covers: written before seals existed or by an import that
    never completed (those are named in ``unsealed``), or put there without any import."""
    for label, col, extra in _COVERED[action]:
        q = select(col, func.count()).group_by(col)
        if extra is not None:
            q = q.where(extra)
        for import_id, n in conn.execute(q):
            if import_id is None:
                if label != "media":  # media rows written before migration 0013 name no import
                    check.problems.append(f"{n:,} {label} cite no import")
                continue
            i = int(import_id)
            if i in sealed or i in legacy:
                continue
            if i in known:
                check.problems.append(f"{n:,} {label} cite import #{i}, which no audit entry seals")
            else:
                check.problems.append(f"{n:,} {label} cite import #{i}, which the case does not record")


def _check_evidence_coverage(
    check: SealCheck, conn: Connection, ranges: Sequence[tuple[int, int]], has_legacy: bool
) -> None:
    merged: list[list[int]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = [a for a, _ in merged]
    loose: list[int] = []
    for i in conn.execute(select(evidence.c.id).order_by(evidence.c.id)).scalars():
        k = bisect.bisect_right(starts, i) - 1
        if k < 0 or i > merged[k][1]:
            loose.append(int(i))
    if not loose:
        return
    shown = ", ".join(f"#{i}" for i in loose[:10]) + (
        f" and {len(loose) - 10:,} others" if len(loose) > 10 else ""
    )
    text = f"{len(loose):,} evidence files are in no seal ({shown})"
    if has_legacy:
        check.unsealed.append(text + ": registered before content seals")
    else:
        check.problems.append(text + ": registered outside any audited import, or added to the registry")
