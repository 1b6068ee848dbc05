"""The records every source yields, stated once.

A source (``veilleur.sources.*``) turns an input format into a stream of these records and knows
nothing of the store; the importer (``veilleur.ingest``) writes them. Every record carries a
:class:`Position` so that any stored row can be cited back to the exact place in the evidence it
came from.

Identities follow Telegram's own model: a peer is ``(kind, bare_id)`` with kind ``user``, ``chat``
(basic group) or ``channel`` (supergroup or broadcast channel). Id spaces of the three kinds
overlap, so the kind is always part of the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PeerKind = Literal["user", "chat", "channel"]
TimeBasis = Literal["unixtime", "html_offset", "local_with_offset", "local_unknown_offset"]
"""How a stored UTC instant was obtained.

``unixtime``: from ``date_unixtime`` (exact). ``html_offset``: from an HTML tooltip that carries
``UTC+HH:MM`` (exact). ``local_with_offset``: exporter-local time plus an analyst-supplied offset.
``local_unknown_offset``: exporter-local time read as UTC because no offset was known (flagged).
"""
Coverage = Literal["all", "own_messages_only"]
"""Whether an export holds every message of a chat in its range, or only the exporter's own."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record was read: a file of the export and a place inside it.

    ``file`` is the path relative to the export root (``result.json``, ``messages2.html``);
    ``byte_offset`` is the offset of the record's first byte in that file as stored on disk (before
    any repair); ``page`` names the HTML page for HTML records; ``index`` is the ordinal of the
    record in its list (message number within its chat, contact number, ...).
    """

    file: str
    byte_offset: int | None = None
    index: int | None = None
    page: str | None = None
    byte_length: int | None = None
    """Length of the record's bytes in the file as stored (before repair), when known."""


@dataclass(frozen=True, slots=True)
class PeerRef:
    """A Telegram peer. ``peer_id`` is ``None`` when the source gives only a name (HTML)."""

    kind: PeerKind | None
    peer_id: int | None
    name: str | None = None

    @property
    def key(self) -> str:
        """The stable key of this peer inside a case (``telegram:user:42``)."""
        if self.peer_id is not None and self.kind is not None:
            return f"telegram:{self.kind}:{self.peer_id}"
        return f"telegram:name:{self.name or ''}"


@dataclass(slots=True)
class ExportInfo:
    """What kind of export this is, told once at the start of a source's stream."""

    layout: Literal["single_chat", "full_account"]
    format: Literal["json", "html"]
    exporter: PeerRef | None = None
    features: list[str] = field(default_factory=list)
    """Writer-version signals found (``date_unixtime``, ``text_entities``, ``int_from_id``...)."""


@dataclass(slots=True)
class ChatRecord:
    """A dialog: told before its messages. ``name`` is the title as the exporting account saw it."""

    ref: PeerRef
    type: str
    name: str | None
    coverage: Coverage
    section: str | None
    position: Position


@dataclass(slots=True)
class Entity:
    """A text entity. ``offset``/``length`` index the message's full text (Python characters)."""

    type: str
    text: str
    offset: int
    length: int
    user_id: int | None = None
    href: str | None = None
    extra: dict[str, Any] | None = None


@dataclass(slots=True)
class MediaRef:
    """A media file a message refers to, present in the export or not.

    ``path`` is the relative path exactly as the export wrote it; ``placeholder`` is the reason
    code when the export wrote a placeholder instead (``not_included``, ``exceeds_max_size``,
    ``unavailable``, ``unknown``). Metadata is kept even when the file is absent.
    """

    role: str
    path: str | None
    placeholder: str | None = None
    placeholder_text: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    media_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: int | None = None
    spoiler: bool = False
    ttl_seconds: int | None = None


@dataclass(slots=True)
class Reactor:
    peer: PeerRef | None
    date_utc: int | None


@dataclass(slots=True)
class Reaction:
    type: str
    count: int
    emoji: str | None = None
    document_id: str | None = None
    reactors: list[Reactor] = field(default_factory=list)


@dataclass(slots=True)
class MessageRecord:
    """One message or service action, as the export shows it.

    ``raw`` holds the message exactly as read (JSON object bytes after escape repair, or the
    message's HTML fragment) so that nothing the export held is lost even where no column maps it.
    ``sender`` is ``None`` only where the export names no sender at all; ``sender.peer_id`` is
    ``None`` where it gives a name only (HTML), which the store marks as weak identity.
    """

    chat: PeerRef
    message_id: int
    kind: Literal["message", "service", "unsupported"]
    position: Position
    raw: bytes
    sender: PeerRef | None = None
    date_utc: int | None = None
    time_basis: TimeBasis | None = None
    date_local: str | None = None
    edited_utc: int | None = None
    text: str = ""
    entities: list[Entity] = field(default_factory=list)
    reply_to_message_id: int | None = None
    reply_to_peer: PeerRef | None = None
    forwarded_from: str | None = None
    saved_from: str | None = None
    via_bot: str | None = None
    author: str | None = None
    action: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Action arguments, poll, location, shared contact, invoice...: kept structured."""
    media: list[MediaRef] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    migrated: bool = False
    """History merged from a migrated basic group (negative id in the export)."""


@dataclass(slots=True)
class ExporterRecord:
    """A sensitive record of the exporting account: contact, session, personal information...

    Kept whole in ``data``; ``peer``, ``phone``, ``ip`` and ``name`` are lifted out because later
    analyses (identity resolution) query them.
    """

    section: str
    data: dict[str, Any]
    position: Position
    peer: PeerRef | None = None
    phone: str | None = None
    ip: str | None = None
    name: str | None = None
    date_utc: int | None = None


@dataclass(slots=True)
class Repair:
    """A change the parser made to bytes it could not read as they were (logged, never silent)."""

    file: str
    byte_offset: int
    kind: str
    detail: str


@dataclass(slots=True)
class Notice:
    """A warning for the analyst, tied to a place when there is one."""

    code: str
    message: str
    file: str | None = None
    byte_offset: int | None = None
    chat: PeerRef | None = None


SourceRecord = ExportInfo | ChatRecord | MessageRecord | ExporterRecord | Repair | Notice
