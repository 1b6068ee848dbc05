"""Telegram Desktop ``result.json`` → model records. This is where a Telegram field becomes a record.

Both layouts are read: a single-chat export (the root *is* the dialog) and a full-account export
(``personal_information``, ``contacts``, ``sessions``…, then ``chats.list`` and
``left_chats.list``). The file is streamed with :class:`~veilleur.jsonscan.JsonScanner`,
so memory is bounded by one message whatever the file size, and every record carries the byte
offset of its first byte. Key order is not relied upon.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from typing import Any

from veilleur.jsonscan import JsonScanner
from veilleur.model.records import (
    ChatRecord,
    Entity,
    ExporterRecord,
    ExportInfo,
    MediaRef,
    MessageRecord,
    Notice,
    PeerRef,
    Position,
    Reaction,
    Reactor,
    Repair,
    SourceRecord,
    TimeBasis,
)
from veilleur.sources.container import ExportContainer
from veilleur.sources.telegram_common import (
    CHAT_TYPE_KIND,
    GROUP_TYPES,
    decode_dialog_id,
    local_to_utc,
    parse_peer_id,
    placeholder_reason,
)

FULL_EXPORT_KEYS = frozenset(
    {
        "about",
        "personal_information",
        "profile_pictures",
        "stories",
        "contacts",
        "frequent_contacts",
        "sessions",
        "web_sessions",
        "other_data",
        "chats",
        "left_chats",
    }
)
# Keys mapped to MessageRecord fields; everything else goes to ``details`` as is, media keys too
# unless the media reference they describe was made (see _MEDIA_KEYS).
_MAPPED = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "actor",
        "actor_id",
        "text",
        "text_entities",
        "reply_to_message_id",
        "reply_to_peer_id",
        "forwarded_from",
        "saved_from",
        "via_bot",
        "author",
        "action",
        "reactions",
    }
)
# The keys each media reference is read from (by _media_ref). One is kept in a media row only when
# its reference is made: without it the same key means something else (a phone call's
# ``duration_seconds`` is the call's length), and it is then kept in ``details``.
_MEDIA_ROLES: tuple[tuple[str, str, str], ...] = (
    ("photo", "photo", "photo_file_size"),
    ("file", "file", "file_size"),
    ("thumbnail", "thumbnail", "thumbnail_file_size"),
    ("contact_vcard", "contact_vcard", "contact_vcard_file_size"),
)
_VISUAL = ("width", "height", "media_spoiler", "self_destruct_period_seconds")
_MEDIA_KEYS: dict[str, frozenset[str]] = {
    "photo": frozenset({"photo", "photo_file_size", *_VISUAL}),
    "file": frozenset(
        {"file", "file_size", "file_name", "mime_type", "media_type", "duration_seconds", *_VISUAL}
    ),
    "thumbnail": frozenset({"thumbnail", "thumbnail_file_size"}),
    "contact_vcard": frozenset({"contact_vcard", "contact_vcard_file_size"}),
}
LOOK_AHEAD = 1_000
"""Messages read ahead, at most, to learn the writer era of a dialog whose id may be encoded."""
_USER_TAG = 1 << 32

_BASIC = frozenset({"id", "type", "date", "date_unixtime", "from", "from_id", "text", "text_entities"})


def _int(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return int(v)
    return None


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


class _Reader:
    def __init__(
        self,
        container: ExportContainer,
        rel: str,
        utc_offset: timezone | None,
        lenient_utf8: bool,
        skip_before: int,
    ) -> None:
        self.container = container
        self.rel = rel
        self.name = container.original_path(rel)
        self.utc_offset = utc_offset
        self.lenient_utf8 = lenient_utf8
        self.skip_before = skip_before
        self.repairs: list[Repair] = []
        self.info: ExportInfo | None = None
        self._peers: dict[tuple[object, object], PeerRef | None] = {}
        self.integer_ids: bool | None = None
        """Whether this file's writer wrote peer ids as integers (before v2.7.2); None until a
        message shows it. One file is one writer: a full-account export's chats share it."""

    def _on_repair(self, offset: int, kind: str, detail: str) -> None:
        self.repairs.append(Repair(self.rel, offset, kind, detail))

    def _scanner(self, start: int = 0) -> JsonScanner:
        f = self.container.open(self.rel)
        if start:
            f.seek(start)
        return JsonScanner(
            f, name=self.name, on_repair=self._on_repair, lenient_utf8=self.lenient_utf8, start=start
        )

    def _drain(self) -> Iterator[Repair]:
        if self.repairs:
            out, self.repairs = self.repairs, []
            yield from out

    # -- time --------------------------------------------------------------------------------
    def _time(self, obj: dict[str, Any], key: str) -> tuple[int | None, TimeBasis | None]:
        unix = _int(obj.get(key + "_unixtime"))
        if unix is not None:
            return unix, "unixtime"
        local = _str(obj.get(key))
        if local:
            try:
                return local_to_utc(local, self.utc_offset)
            except ValueError:
                return None, None
        return None, None

    # -- document ----------------------------------------------------------------------------
    def read(self) -> Iterator[SourceRecord]:
        sc = self._scanner()
        first = sc.skip_ws()
        if first != 0x7B:
            raise sc.error("not a Telegram export: result.json does not start with '{'")
        root: dict[str, Any] = {}
        for key in sc.object_keys():
            if key == "messages":
                yield from self._start("single_chat")
                yield from self._dialog_messages(sc, root, None, 0, "all")
            elif key in ("chats", "left_chats"):
                yield from self._start("full_account")
                yield from self._dialog_list(sc, key)
            elif key in ("name", "type", "id") and not self.info:
                root[key] = sc.read_value()[1]
            else:
                at, value = sc.read_value()
                if key in FULL_EXPORT_KEYS:  # an unknown key alone does not make a JSON object an export
                    yield from self._start("full_account")
                yield from self._section(key, value, at)
            yield from self._drain()
        if not sc.at_end():
            raise sc.error("unexpected data after the end of the export object")
        if self.info is None:
            raise sc.error("not a Telegram export: no 'messages', 'chats' or account sections")

    def _start(self, layout: str) -> Iterator[SourceRecord]:
        if self.info is None:
            self.info = ExportInfo(layout=layout, format="json")  # type: ignore[arg-type]
            yield self.info

    def _section(self, key: str, value: Any, at: int) -> Iterator[SourceRecord]:
        """A non-chat section of a full export: sensitive records of the exporting account."""
        pos = Position(self.rel, at)
        if key == "personal_information" and isinstance(value, dict):
            peer = (
                PeerRef("user", _int(value.get("user_id")), _full_name(value))
                if _int(value.get("user_id")) is not None
                else None
            )
            if self.info is not None:
                self.info.exporter = peer
            yield ExporterRecord(
                key, value, pos, peer=peer, phone=_str(value.get("phone_number")), name=_full_name(value)
            )
            if value.get("username"):
                yield ExporterRecord(
                    "username",
                    {"username": value["username"]},
                    pos,
                    peer=peer,
                    name=_str(value.get("username")),
                )
            return
        items = value.get("list") if isinstance(value, dict) and "list" in value else None
        if isinstance(items, list):
            if isinstance(value, dict) and value.get("about"):
                yield ExporterRecord(key + ".about", {"about": value["about"]}, pos)
            for i, item in enumerate(items):
                yield self._list_item(key, item, Position(self.rel, at, index=i))
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield self._list_item(key, item, Position(self.rel, at, index=i))
            return
        yield ExporterRecord(key, value if isinstance(value, dict) else {"value": value}, pos)

    def _list_item(self, section: str, item: Any, pos: Position) -> ExporterRecord:
        if not isinstance(item, dict):
            return ExporterRecord(section, {"value": item}, pos)
        peer: PeerRef | None = None
        name = _full_name(item) or _str(item.get("name"))
        date, _ = self._time(item, "date")
        if section == "contacts" and _int(item.get("user_id")):
            peer = PeerRef("user", _int(item["user_id"]), name)
        elif section == "frequent_contacts" and _int(item.get("id")) is not None:
            kind = "user" if item.get("type") == "user" else CHAT_TYPE_KIND.get(str(item.get("type")))
            peer = PeerRef(kind, _int(item["id"]), name)
        if section in ("sessions", "web_sessions"):
            date, _ = self._time(item, "last_active")
        return ExporterRecord(
            section,
            item,
            pos,
            peer=peer,
            phone=_str(item.get("phone_number")),
            ip=_str(item.get("last_ip")),
            name=name,
            date_utc=date,
        )

    def _dialog_list(self, sc: JsonScanner, section: str) -> Iterator[SourceRecord]:
        for key in sc.object_keys():
            if key == "list":
                for index, _at in enumerate(sc.array_items()):
                    yield from self._dialog(sc, section, index)
            else:
                at, value = sc.read_value()
                yield ExporterRecord(f"{section}.{key}", {key: value}, Position(self.rel, at))

    def _dialog(self, sc: JsonScanner, section: str, index: int) -> Iterator[SourceRecord]:
        head: dict[str, Any] = {}
        pending: int | None = None
        for key in sc.object_keys():
            if key == "messages":
                if "type" in head:
                    yield from self._dialog_messages(sc, head, section, index, None)
                else:  # header after the messages: come back once it is known
                    pending = sc.skip_value()
            else:
                head[key] = sc.read_value()[1]
        if pending is not None:
            again = self._scanner(pending)
            try:
                yield from self._dialog_messages(again, head, section, index, None)
            finally:
                again.f.close()

    def _dialog_messages(
        self, sc: JsonScanner, head: dict[str, Any], section: str | None, index: int, coverage: str | None
    ) -> Iterator[SourceRecord]:
        ctype = _str(head.get("type")) or "unknown"
        kind = CHAT_TYPE_KIND.get(ctype)
        raw_id = _int(head.get("id"))
        items = iter(sc.array_items())
        ahead: list[tuple[int, int, int, bytes, Any, list[Repair]]] = []
        if raw_id is not None and raw_id >= _USER_TAG and self.integer_ids is None:
            ahead = self._look_ahead(sc, items)
        bare = decode_dialog_id(raw_id, kind) if self.integer_ids else raw_id
        chat = PeerRef(kind, bare, _str(head.get("name")))
        if coverage is None:
            # "Export Telegram data" saves only the account's own messages in groups and channels
            # unless the analyst's colleague unticked "Only my messages"; left chats always.
            own_only = section == "left_chats" or ctype in GROUP_TYPES
            coverage = "own_messages_only" if own_only else "all"
        yield ChatRecord(chat, ctype, chat.name, coverage, section, Position(self.rel, sc.offset, index))  # type: ignore[arg-type]
        if "id" not in head:
            yield Notice(
                "dialog_without_id",
                f"dialog {chat.name!r} has no id (very old export)",
                self.rel,
                sc.offset,
                chat,
            )
        if bare != raw_id:
            yield Notice(
                "dialog_id_decoded",
                f"dialog {chat.name!r}: id {raw_id} is written encoded, as writers before v2.7.2 did; "
                f"read as {kind} {bare}",
                self.rel,
                sc.offset,
                chat,
            )
        skip = self.skip_before
        for i, at, length, raw, obj, repairs in ahead:
            if at < 0:  # before the checkpoint of a resumed import: done by the interrupted run
                continue
            yield from repairs
            yield from self._one(sc, obj, chat, Position(self.rel, at, i, byte_length=length), raw)
        for i, at in enumerate(items, len(ahead)):
            if at < skip:
                sc.skip_value()
                continue
            at, length, raw, obj = sc.read_value_raw()
            yield from self._drain()
            yield from self._one(sc, obj, chat, Position(self.rel, at, i, byte_length=length), raw)

    def _one(
        self, sc: JsonScanner, obj: Any, chat: PeerRef, pos: Position, raw: bytes
    ) -> Iterator[SourceRecord]:
        if not isinstance(obj, dict) or _int(obj.get("id")) is None:
            raise sc.error("message without a numeric id", pos.byte_offset)
        yield self.message(obj, chat, pos, raw)

    def _look_ahead(
        self, sc: JsonScanner, items: Iterator[int]
    ) -> list[tuple[int, int, int, bytes, Any, list[Repair]]]:
        """Read messages until one shows which writer era the file is from (its ``from_id`` or
        ``actor_id`` an integer before v2.7.2, a prefixed string since), at most ``LOOK_AHEAD``:
        a dialog id of 2**32 or more is encoded in the old era and bare today, and nothing in the
        dialog's own header tells which. What was read is handed back to be parsed in order."""
        ahead: list[tuple[int, int, int, bytes, Any, list[Repair]]] = []
        for i, at in enumerate(items):
            if at < self.skip_before:
                sc.skip_value()
                ahead.append((i, -1, 0, b"", None, []))
                continue
            at, length, raw, obj = sc.read_value_raw()
            ahead.append((i, at, length, raw, obj, list(self._drain())))
            if isinstance(obj, dict):
                for key in ("from_id", "actor_id"):
                    v = obj.get(key)
                    if isinstance(v, str):
                        self.integer_ids = False
                    elif isinstance(v, int) and not isinstance(v, bool):
                        self.integer_ids = True
                if self.integer_ids is not None:
                    break
            if len(ahead) >= LOOK_AHEAD:
                break
        return ahead

    # -- message -----------------------------------------------------------------------------
    def _peer(self, raw_id: object, name: object) -> PeerRef | None:
        # Senders repeat: one PeerRef per (id, name) pair seen, instead of one per message.
        key = (raw_id, name)
        try:
            return self._peers[key]
        except KeyError:
            pass
        except TypeError:  # unhashable garbage in an id field
            return None
        peer = parse_peer_id(raw_id, name if isinstance(name, str) else None)
        self._peers[key] = peer
        return peer

    def message(self, obj: dict[str, Any], chat: PeerRef, pos: Position, raw: bytes) -> MessageRecord:
        """One message object → a MessageRecord. Every key not mapped to a field goes to details."""
        mid = obj["id"]
        mtype = obj.get("type")
        kind = mtype if mtype in ("message", "service", "unsupported") else "message"
        unix = obj.get("date_unixtime")
        if unix.__class__ is str and unix.isdigit():
            date: int | None = int(unix)
            basis: TimeBasis | None = "unixtime"
        else:
            date, basis = self._time(obj, "date")
        sender: PeerRef | None = None
        details: dict[str, Any] = {}
        if "from_id" in obj:
            sender = self._peer(obj["from_id"], obj.get("from"))
            if "from" in obj and obj["from"] is None:
                details["sender_name_null"] = True  # how the exporter writes a deleted account
        elif "actor_id" in obj:
            sender = self._peer(obj["actor_id"], obj.get("actor"))
            if "actor" in obj and obj["actor"] is None:
                details["sender_name_null"] = True
        if (
            sender is not None
            and self.integer_ids
            and sender.kind == "channel"
            and chat.kind == "chat"
            and sender.peer_id == chat.peer_id
        ):
            # The old writers' 2**33 tag covered chats and channels alike: this is the group itself.
            sender = PeerRef("chat", chat.peer_id, sender.name)
        text, entities = _text(obj)
        record = MessageRecord(
            chat=chat,
            message_id=mid,
            kind=kind,  # type: ignore[arg-type]
            position=pos,
            raw=raw,
            sender=sender,
            date_utc=date,
            time_basis=basis,
            date_local=_str(obj.get("date")),
            text=text,
            entities=entities,
            details=details,
            migrated=mid < 0,
        )
        if obj.keys() <= _BASIC:  # the common case: a plain text message
            return record
        record.media = _media(obj)
        used = _MAPPED.union(*(_MEDIA_KEYS[m.role] for m in record.media))
        for k, v in obj.items():
            if k not in used:
                details[k] = v
        if "edited" in obj or "edited_unixtime" in obj:
            record.edited_utc = self._time(obj, "edited")[0]
        record.reply_to_message_id = _int(obj.get("reply_to_message_id"))
        record.reply_to_peer = parse_peer_id(obj.get("reply_to_peer_id"))
        record.forwarded_from = _str(obj.get("forwarded_from"))
        if "forwarded_from" in obj and obj["forwarded_from"] is None:
            details["forwarded_from_null"] = True
        record.saved_from = _str(obj.get("saved_from"))
        record.via_bot = _str(obj.get("via_bot"))
        record.author = _str(obj.get("author"))
        record.action = _str(obj.get("action"))
        if "reactions" in obj:
            record.reactions = _reactions(obj)
        return record


def _full_name(d: dict[str, Any]) -> str | None:
    parts = [p for p in (_str(d.get("first_name")), _str(d.get("last_name"))) if p]
    return " ".join(parts) or None


def _text(obj: dict[str, Any]) -> tuple[str, list[Entity]]:
    """Full text and its entities: ``text_entities`` when present, else the mixed ``text`` list."""
    parts = obj.get("text_entities")
    if not isinstance(parts, list) or (not parts and obj.get("text")):
        parts = obj.get("text")
    if isinstance(parts, str):
        return parts, []
    if not isinstance(parts, list):
        return "", []
    chunks: list[str] = []
    entities: list[Entity] = []
    off = 0
    for p in parts:
        if isinstance(p, str):
            chunks.append(p)
            off += len(p)
            continue
        if not isinstance(p, dict):
            continue
        t = p.get("text")
        t = t if isinstance(t, str) else ""
        etype = p.get("type")
        if isinstance(etype, str) and etype != "plain":
            extra = {k: v for k, v in p.items() if k not in ("type", "text", "user_id", "href")}
            entities.append(
                Entity(
                    etype,
                    t,
                    off,
                    len(t),
                    user_id=_int(p.get("user_id")),
                    href=_str(p.get("href")),
                    extra=extra or None,
                )
            )
        chunks.append(t)
        off += len(t)
    return "".join(chunks), entities


def _media_ref(obj: dict[str, Any], role: str, key: str, size_key: str) -> MediaRef | None:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        return None
    reason = placeholder_reason(value)
    is_file = role == "file"
    return MediaRef(
        role=role,
        path=None if reason else value,
        placeholder=reason,
        placeholder_text=value if reason else None,
        file_name=_str(obj.get("file_name")) if is_file else None,
        file_size=_int(obj.get(size_key)),
        mime_type=_str(obj.get("mime_type")) if is_file else None,
        media_type=_str(obj.get("media_type")) if is_file else None,
        width=_int(obj.get("width")) if role in ("photo", "file") else None,
        height=_int(obj.get("height")) if role in ("photo", "file") else None,
        duration_seconds=_int(obj.get("duration_seconds")) if is_file else None,
        spoiler=bool(obj.get("media_spoiler")) if role in ("photo", "file") else False,
        ttl_seconds=_int(obj.get("self_destruct_period_seconds")) if role in ("photo", "file") else None,
    )


def _media(obj: dict[str, Any]) -> list[MediaRef]:
    out = []
    for role, key, size_key in _MEDIA_ROLES:
        if key in obj:
            ref = _media_ref(obj, role, key, size_key)
            if ref is not None:
                out.append(ref)
    return out


def _reactions(obj: dict[str, Any]) -> list[Reaction]:
    items = obj.get("reactions")
    if not isinstance(items, list):
        return []
    out = []
    for r in items:
        if not isinstance(r, dict):
            continue
        reactors = []
        for rec in r.get("recent") or []:
            if isinstance(rec, dict):
                unix = _int(rec.get("date_unixtime"))
                reactors.append(Reactor(parse_peer_id(rec.get("from_id"), _str(rec.get("from"))), unix))
        out.append(
            Reaction(
                str(r.get("type") or "emoji"),
                _int(r.get("count")) or 0,
                _str(r.get("emoji")),
                _str(r.get("document_id")) or (str(r["document_id"]) if "document_id" in r else None),
                reactors,
            )
        )
    return out


def read_json_export(
    container: ExportContainer,
    *,
    rel: str = "result.json",
    utc_offset: timezone | None = None,
    lenient_utf8: bool = False,
    skip_before: int = 0,
) -> Iterator[SourceRecord]:
    """Stream the records of a ``result.json``.

    ``skip_before`` (a byte offset from a checkpoint) makes messages that start before it pass
    without being converted, which is how an interrupted import resumes. Each message carries its
    exact JSON bytes (after escape repair) so that nothing unmapped is lost.
    """
    yield from _Reader(container, rel, utc_offset, lenient_utf8, skip_before).read()
