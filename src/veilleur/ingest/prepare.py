"""Record → row values: everything about writing a message that needs no database.

Splitting this from the writer lets the work run where it is cheapest: in the reading process
when an import is pipelined across two processes (see :mod:`veilleur.ingest.pipeline`), in the
importer's own process otherwise. A :class:`PreparedMessage` is made only of plain values so that
it crosses a process boundary cheaply.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import orjson

from veilleur.model.records import MessageRecord, PeerRef

PeerTuple = tuple[str | None, int | None, str | None]
"""``(kind, peer_id, name)`` of a :class:`PeerRef`."""

ROW_COLS = (
    "message_id",
    "kind",
    "sender_name",
    "date_utc",
    "time_basis",
    "date_local",
    "edited_utc",
    "text",
    "reply_to_message_id",
    "reply_to_peer",
    "forwarded_from",
    "saved_from",
    "via_bot",
    "author",
    "action",
    "details",
    "migrated",
    "possibly_deleted",
    "byte_offset",
    "page",
    "content_hash",
    "n_versions",
    "byte_length",
)
"""The ``messages`` columns a prepared message fills; the writer adds the ids in front."""


class PreparedMessage(NamedTuple):
    message_id: int
    kind: str
    file: str
    byte_offset: int | None
    page: str | None
    byte_length: int
    date_utc: int | None
    edited_utc: int | None
    text: str
    content_hash: str
    sender: PeerTuple | None
    sender_deleted: bool
    row: tuple[Any, ...]
    entities: tuple[tuple[Any, ...], ...]
    """``(type, text, offset, length, user_id, href, extra_json)`` each."""
    media: tuple[tuple[Any, ...], ...]
    """``(role, path, placeholder, placeholder_text, file_name, file_size, mime_type, media_type,
    width, height, duration_seconds, spoiler, ttl_seconds)`` each."""
    reactions: tuple[tuple[Any, ...], ...]
    """``(type, emoji, document_id, count, ((kind, peer_id, name, date_utc), ...))`` each."""
    problems: tuple[tuple[str, str], ...] = ()
    """``(field, what is wrong)`` of each field the source could not read (its JSON is in
    ``details.unreadable_fields``); the writer logs a notice for each."""
    case_id_reason: str | None = None
    """Why the message has no usable id of its own (``details.case_message_id``), or None."""


def content_hash(text: str, edited_utc: int | None) -> str:
    """What makes two sightings of a message different versions: its text and edit time."""
    h = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12)
    h.update(b"\x00" + str(edited_utc).encode())
    return h.hexdigest()


def peer_tuple(p: PeerRef | None) -> PeerTuple | None:
    return None if p is None else (p.kind, p.peer_id, p.name)


def prepare(rec: MessageRecord) -> PreparedMessage:
    pos = rec.position
    length = pos.byte_length if pos.byte_length is not None else len(rec.raw)
    chash = content_hash(rec.text, rec.edited_utc)
    details = rec.details
    row = (
        rec.message_id,
        rec.kind,
        rec.sender.name if rec.sender else None,
        rec.date_utc,
        rec.time_basis,
        rec.date_local,
        rec.edited_utc,
        rec.text,
        rec.reply_to_message_id,
        rec.reply_to_peer.key if rec.reply_to_peer else None,
        rec.forwarded_from,
        rec.saved_from,
        rec.via_bot,
        rec.author,
        rec.action,
        orjson.dumps(details).decode() if details else None,
        rec.migrated,
        False,
        pos.byte_offset,
        pos.page,
        chash,
        1,
        length,
    )
    ents = (
        tuple(
            (
                e.type,
                e.text,
                e.offset,
                e.length,
                e.user_id,
                e.href,
                orjson.dumps(e.extra).decode() if e.extra else None,
            )
            for e in rec.entities
        )
        if rec.entities
        else ()
    )
    media = (
        tuple(
            (
                m.role,
                m.path,
                m.placeholder,
                m.placeholder_text,
                m.file_name,
                m.file_size,
                m.mime_type,
                m.media_type,
                m.width,
                m.height,
                m.duration_seconds,
                m.spoiler,
                m.ttl_seconds,
            )
            for m in rec.media
        )
        if rec.media
        else ()
    )
    reactions = (
        tuple(
            (
                r.type,
                r.emoji,
                r.document_id,
                r.count,
                tuple((w.peer.kind, w.peer.peer_id, w.peer.name, w.date_utc) for w in r.reactors if w.peer),
            )
            for r in rec.reactions
        )
        if rec.reactions
        else ()
    )
    unreadable = details.get("unreadable_fields") if details else None
    case_id = details.get("case_message_id") if details else None
    return PreparedMessage(
        rec.message_id,
        rec.kind,
        pos.file,
        pos.byte_offset,
        pos.page,
        length,
        rec.date_utc,
        rec.edited_utc,
        rec.text,
        chash,
        peer_tuple(rec.sender),
        bool(details.get("sender_name_null")),
        row,
        ents,
        media,
        reactions,
        tuple((k, v["problem"]) for k, v in unreadable.items() if k not in _ID_FIELDS) if unreadable else (),
        case_id["reason"] if case_id else None,
    )


_ID_FIELDS = ("id", "message")
"""Unreadable fields that leave a message without an id: their notice is the one for its case id."""
