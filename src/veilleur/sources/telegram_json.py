"""Telegram Desktop ``result.json`` → model records. This is where a Telegram field becomes a record.

Both layouts are read: a single-chat export (the root *is* the dialog) and a full-account export
(``personal_information``, ``contacts``, ``sessions``…, then ``chats.list`` and
``left_chats.list``). The file is streamed with :class:`~veilleur.jsonscan.JsonScanner`,
so memory is bounded by one message whatever the file size, and every record carries the byte
offset of its first byte. Key order is not relied upon.
"""

from __future__ import annotations

import io
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
    CASE_MESSAGE_IDS,
    CHAT_TYPE_KIND,
    GROUP_TYPES,
    decode_dialog_id,
    int64,
    local_to_utc,
    parse_peer_id,
    placeholder_reason,
    plausible_epoch,
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
# unless the media reference they describe was made (see _MEDIA_KEYS). Not here, so kept in
# details although read too: ``edited``, the exporter-local edit time, which no column holds and
# ``edited_unixtime`` does not give (the PC's offset may differ between the date and the edit);
# ``reactions``, whose reactors' names, local times and order the reaction tables do not hold.
# The sender's keys are kept there too when the columns cannot say which of them named it
# (see _SENDER_KEYS).
_MAPPED = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
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
        "unreadable_fields",
        "case_message_id",
        "sender_name_null",
        "forwarded_from_null",
    }
)
_OWN_KEYS = ("unreadable_fields", "case_message_id", "sender_name_null", "forwarded_from_null")
"""Keys of ``details`` that Veilleur writes itself. An export holding one is not copied over them
(a file could otherwise pass its own say for Veilleur's): it is kept as an unreadable field."""
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
_SENDER_KEYS = ("from", "from_id", "actor", "actor_id")
"""The keys that name a sender. Its columns hold one pair and do not say which: it is the pair of
the message's type (``actor`` of a service message, ``from`` of any other). A sender key outside
that pair as read (the ``from`` of a proximity_reached, a second pair, a name without its id) is
therefore kept in details too, as the export wrote it."""
_KINDS = ("message", "service", "unsupported")
_NOT_PEER = "not a peer id (user…, chat… or channel… and a number within ±2^63)"

# What the case store's columns hold: a value past these is unreadable, not an import stopped
# by the database (PostgreSQL refuses a text longer than its column, SQLite an integer past 64
# bits). tests/test_telegram_json.py checks them against veilleur.store.schema.
INT32 = 1 << 31
TEXT_LIMITS = {
    "date": 40,
    "action": 48,
    "mime_type": 128,
    "media_type": 32,
    "entity_type": 32,
    "reaction_type": 24,
    "document_id": 40,
    "dialog_type": 32,
}

NAME_KEY_LIMIT = 200
"""The longest name an account known by its name alone is keyed by (``accounts.key`` holds 300
characters, the chat's scope included); Telegram's own names are at most 128."""

Bad = dict[str, str]
"""The unreadable fields of one message: key (as the export names it) → what is wrong with it."""


def _int(v: object) -> int | None:
    return int64(v)


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _what(v: object) -> str:
    """What a JSON value is, in words, for a notice: never the value itself, which may be text."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true or false"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "text"
    return "a list" if isinstance(v, list) else "an object"


def _not_int(v: object, bits: int) -> str:
    if isinstance(v, float) and not v.is_integer():
        return "a fraction, not a whole number"
    digits = v.removeprefix("-") if isinstance(v, str) else ""
    if (isinstance(v, int | float) and not isinstance(v, bool)) or (digits.isascii() and digits.isdigit()):
        return f"a number beyond ±2^{bits}"
    return f"{_what(v)}, not a whole number"


def _number(obj: dict[str, Any], key: str, bad: Bad, bound: int = 1 << 63) -> int | None:
    """``obj[key]`` as an integer within ±``bound``; None, noted in ``bad``, if it is not one."""
    v = obj.get(key)
    if v is None:
        return None
    n = int64(v)
    if n is None or not -bound <= n < bound:
        bad[key] = _not_int(v, bound.bit_length() - 1)
        return None
    return n


def _text_field(obj: dict[str, Any], key: str, bad: Bad, limit: int | None = None) -> str | None:
    """``obj[key]`` if it is text (of at most ``limit`` characters); None, noted in ``bad``, if not."""
    v = obj.get(key)
    if v is None or (v.__class__ is str and (limit is None or len(v) <= limit)):
        return v
    bad[key] = f"longer than {limit} characters" if isinstance(v, str) else f"{_what(v)}, not text"
    return None


def _date_problem(v: object, t: int | None) -> str:
    if t is not None:
        return "before 1970, earlier than any Telegram date" if t < 0 else "after the year 9999"
    problem = _not_int(v, 63)
    return "text, not a number of seconds" if problem.startswith("text") else problem


def _raw_values(raw: bytes, keys: set[str], name: str) -> dict[str, str]:
    """The exact JSON text of the top-level ``keys`` of a message object: its raw value, which
    the decoded one may not be (orjson reads an integer past 64 bits as a float)."""
    out: dict[str, str] = {}
    sc = JsonScanner(io.BytesIO(raw), name=name)
    if sc.skip_ws() != 0x7B:
        return out
    for key in sc.object_keys():
        start, end = sc.value_span()
        if key in keys:
            out[key] = sc.buf[start:end].decode("utf-8", "replace")  # a duplicated key: the last
    return out


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
    def _time(
        self, obj: dict[str, Any], key: str, bad: Bad | None = None
    ) -> tuple[int | None, TimeBasis | None]:
        """``<key>_unixtime``, else ``<key>`` read as exporter-local time; a value that is no
        plausible Telegram time is noted in ``bad`` (a message's) and the other one tried."""
        ukey = key + "_unixtime"
        if ukey in obj:
            v = obj[ukey]
            unix = _int(v)
            if unix is not None and plausible_epoch(unix):
                return unix, "unixtime"
            if bad is not None:
                bad[ukey] = _date_problem(v, unix)
        local = obj.get(key)
        if local is None:
            return None, None
        if isinstance(local, str):
            try:
                t, basis = local_to_utc(local, self.utc_offset)
            except ValueError:
                t, basis = None, None
            if t is not None and plausible_epoch(t):
                if bad is not None and ukey in bad:
                    bad[ukey] += f"; the time is read from '{key}' instead"
                return t, basis
            problem = "not a date and time" if t is None else _date_problem(local, t)
        else:
            problem = f"{_what(local)}, not a date and time"
        if bad is not None and (ukey not in obj or ukey in bad):  # the one the time came from
            bad[key] = problem
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
        head_type = head.get("type")
        ctype = _str(head_type) or "unknown"
        unreadable: list[str] = []  # of the header: a chat's own fields, noted, never a stop
        if len(ctype) > TEXT_LIMITS["dialog_type"] or not isinstance(head_type, str | None):
            unreadable.append("type")
            ctype = "unknown"
        kind = CHAT_TYPE_KIND.get(ctype)
        raw_id = _int(head.get("id"))
        if raw_id is None and "id" in head:
            unreadable.append("id")
        if not isinstance(head.get("name"), str | None):
            unreadable.append("name")
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
        for key in unreadable:
            # Its title is shown, as for a dialog without an id: a chat's name, not message text.
            yield Notice(
                "unreadable_dialog_field",
                f"dialog {chat.name!r}: its {key} ({_what(head[key])}) cannot be read as one"
                + {"id": " (read as a dialog without one)", "type": " (read as 'unknown')"}.get(key, ""),
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

    def message(self, obj: Any, chat: PeerRef, pos: Position, raw: bytes) -> MessageRecord:
        """One message object → a MessageRecord. Every key not mapped to a field goes to details.

        A field that cannot be read as what it should be (an id that is no number, a date past
        the year 9999, a path that is a list…) never stops the import: the message is kept with
        what could be read, and the field's exact JSON text and what is wrong with it go to
        ``details.unreadable_fields``, which the writer turns into notices. A message with no
        usable id gets ``details.case_message_id`` and an id the case makes for it.
        """
        bad: Bad = {}
        details: dict[str, Any] = {}
        if not isinstance(obj, dict):
            bad["message"] = f"{_what(obj)}, not a JSON object"
            details["case_message_id"] = {"reason": "not_an_object"}
            obj = {}
        mid = obj.get("id")
        if mid.__class__ is not int or not -CASE_MESSAGE_IDS < mid < CASE_MESSAGE_IDS:
            n = _int(mid)
            if n is not None and -CASE_MESSAGE_IDS < n < CASE_MESSAGE_IDS:
                mid = n  # written as a string of digits: the id all the same
            elif "id" in obj:
                bad["id"] = _not_int(mid, 62)
                details["case_message_id"] = {"reason": "unreadable_id"}
                mid = 0
            else:
                details.setdefault("case_message_id", {"reason": "missing_id"})
                mid = 0
        mtype = obj.get("type")
        if mtype.__class__ is str and mtype in _KINDS:
            kind = mtype
        else:
            kind = "message"
            if mtype is not None:
                bad["type"] = "not one of message, service, unsupported"
        unix = obj.get("date_unixtime")
        if unix.__class__ is str and len(unix) <= 11 and unix.isascii() and unix.isdigit():
            date: int | None = int(unix)  # the usual form: seconds, up to the year 5138
            basis: TimeBasis | None = "unixtime"
        else:
            date, basis = self._time(obj, "date", bad)
        sender: PeerRef | None = None
        read: tuple[str, str] | tuple[()] = ()
        for id_key, name_key in (("from_id", "from"), ("actor_id", "actor")):
            if id_key in obj:
                read = (id_key, name_key)
                name = obj.get(name_key)
                if name is None:
                    if name_key in obj:
                        details["sender_name_null"] = True  # how the exporter writes a deleted account
                elif name.__class__ is not str:
                    bad[name_key] = f"{_what(name)}, not text"
                    name = None
                sender = self._peer(obj[id_key], name)
                if sender is None:
                    bad[id_key] = f"{_what(obj[id_key])}, {_NOT_PEER}"
                    if name and len(name) <= NAME_KEY_LIMIT:  # known by its name, as in HTML exports
                        sender = PeerRef(None, None, name)
                break
        if (
            sender is not None
            and self.integer_ids
            and sender.kind == "channel"
            and chat.kind == "chat"
            and sender.peer_id == chat.peer_id
        ):
            # The old writers' 2**33 tag covered chats and channels alike: this is the group itself.
            sender = PeerRef("chat", chat.peer_id, sender.name)
        own_pair = ("actor_id", "actor") if kind == "service" else ("from_id", "from")
        odd_sender = [k for k in _SENDER_KEYS if k in obj and (k not in read or k not in own_pair)]
        text, entities = _text(obj, bad)
        record = MessageRecord(
            chat=chat,
            message_id=mid,
            kind=kind,  # type: ignore[arg-type]
            position=pos,
            raw=raw,
            sender=sender,
            date_utc=date,
            time_basis=basis,
            date_local=_text_field(obj, "date", bad, TEXT_LIMITS["date"]),
            text=text,
            entities=entities,
            details=details,
            migrated=mid < 0,
        )
        if not bad and not odd_sender and obj.keys() <= _BASIC:  # the common case: a plain text message
            return record
        record.media = _media(obj, bad)
        used = _MAPPED.union(*(_MEDIA_KEYS[m.role] for m in record.media)).difference(odd_sender)
        for k, v in obj.items():
            if k not in used:
                details[k] = v
        if "edited" in obj or "edited_unixtime" in obj:
            record.edited_utc = self._time(obj, "edited", bad)[0]
        record.reply_to_message_id = _number(obj, "reply_to_message_id", bad)
        reply_peer = obj.get("reply_to_peer_id")
        if reply_peer is not None:
            record.reply_to_peer = parse_peer_id(reply_peer)
            if record.reply_to_peer is None:
                bad["reply_to_peer_id"] = f"{_what(reply_peer)}, {_NOT_PEER}"
        record.forwarded_from = _text_field(obj, "forwarded_from", bad)
        if "forwarded_from" in obj and obj["forwarded_from"] is None:
            details["forwarded_from_null"] = True
        record.saved_from = _text_field(obj, "saved_from", bad)
        record.via_bot = _text_field(obj, "via_bot", bad)
        record.author = _text_field(obj, "author", bad)
        record.action = _text_field(obj, "action", bad, TEXT_LIMITS["action"])
        if "reactions" in obj:
            record.reactions = _reactions(obj, bad)
        for own in _OWN_KEYS:
            if own in obj:
                bad[own] = "a key Veilleur keeps for itself in details: the export's own is kept here"
        if bad:
            if "message" in bad:
                values = {"message": raw.decode("utf-8", "replace")}
            else:
                values = _raw_values(raw, set(bad), self.name)
            details["unreadable_fields"] = {
                k: {"problem": p, "json": values[k]} if k in values else {"problem": p}
                for k, p in bad.items()
            }
        return record


def _full_name(d: dict[str, Any]) -> str | None:
    parts = [p for p in (_str(d.get("first_name")), _str(d.get("last_name"))) if p]
    return " ".join(parts) or None


def _text(obj: dict[str, Any], bad: Bad) -> tuple[str, list[Entity]]:
    """Full text and its entities: ``text_entities`` when present, else the mixed ``text`` list."""
    key = "text_entities"
    parts = obj.get(key)
    if parts is not None and not isinstance(parts, list):
        bad[key] = f"{_what(parts)}, not a list of text parts"
    plain = obj.get("text")
    if plain is not None and not isinstance(plain, str | list):
        bad["text"] = f"{_what(plain)}, not text or a list of text parts"
    if not isinstance(parts, list) or (not parts and plain):
        key = "text"
        parts = obj.get(key)
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
            bad[key] = f"holds {_what(p)}, neither text nor a text part"
            continue
        t = p.get("text")
        if not isinstance(t, str):
            if t is not None:
                bad[key] = f"holds a part whose text is {_what(t)}"
            t = ""
        etype = p.get("type")
        if isinstance(etype, str) and etype != "plain":
            found: Bad = {}
            user_id = _number(p, "user_id", found)
            href = _text_field(p, "href", found)
            if len(etype) > TEXT_LIMITS["entity_type"]:
                found["type"] = f"longer than {TEXT_LIMITS['entity_type']} characters"
            if found:
                # Its text stays in the message's; the entity itself is in the field's JSON.
                bad[key] = "holds a part whose " + ", ".join(f"{k} is {v}" for k, v in found.items())
            else:
                extra = {k: v for k, v in p.items() if k not in ("type", "text", "user_id", "href")}
                entities.append(
                    Entity(etype, t, off, len(t), user_id=user_id, href=href, extra=extra or None)
                )
        elif etype is not None and not isinstance(etype, str):
            bad[key] = f"holds a part whose type is {_what(etype)}"
        chunks.append(t)
        off += len(t)
    return "".join(chunks), entities


def _media_ref(obj: dict[str, Any], role: str, key: str, size_key: str, bad: Bad) -> MediaRef | None:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        if value is not None and not isinstance(value, str):
            bad[key] = f"{_what(value)}, not a path or a placeholder"  # in details as it is, too
        return None
    reason = placeholder_reason(value)
    is_file = role == "file"
    visual = role in ("photo", "file")
    return MediaRef(
        role=role,
        path=None if reason else value,
        placeholder=reason,
        placeholder_text=value if reason else None,
        file_name=_text_field(obj, "file_name", bad) if is_file else None,
        file_size=_number(obj, size_key, bad),
        mime_type=_text_field(obj, "mime_type", bad, TEXT_LIMITS["mime_type"]) if is_file else None,
        media_type=_text_field(obj, "media_type", bad, TEXT_LIMITS["media_type"]) if is_file else None,
        width=_number(obj, "width", bad, INT32) if visual else None,
        height=_number(obj, "height", bad, INT32) if visual else None,
        duration_seconds=_number(obj, "duration_seconds", bad, INT32) if is_file else None,
        spoiler=bool(obj.get("media_spoiler")) if visual else False,
        ttl_seconds=_number(obj, "self_destruct_period_seconds", bad, INT32) if visual else None,
    )


def _media(obj: dict[str, Any], bad: Bad) -> list[MediaRef]:
    out = []
    for role, key, size_key in _MEDIA_ROLES:
        if key in obj:
            ref = _media_ref(obj, role, key, size_key, bad)
            if ref is not None:
                out.append(ref)
    return out


def _reactions(obj: dict[str, Any], bad: Bad) -> list[Reaction]:
    """The reactions as far as they can be read. A part that cannot be is left out (a reactor) or
    read as none (a count, a type), and marks ``reactions`` unreadable: its JSON is kept whole."""
    items = obj.get("reactions")
    if not isinstance(items, list):
        if items is not None:
            bad["reactions"] = f"{_what(items)}, not a list"
        return []
    problems: list[str] = []
    out = []
    for r in items:
        if not isinstance(r, dict):
            problems.append(f"a reaction that is {_what(r)}")
            continue
        found: Bad = {}
        reactors = []
        recent = r.get("recent")
        if recent is not None and not isinstance(recent, list):
            found["recent"] = f"{_what(recent)}, not a list"
        for rec in recent if isinstance(recent, list) else ():
            if not isinstance(rec, dict):
                problems.append(f"a reactor that is {_what(rec)}")
                continue
            peer = parse_peer_id(rec.get("from_id"), _str(rec.get("from")))
            if peer is None and rec.get("from_id") is not None:
                problems.append("a reactor whose from_id is not a peer id")
            unix = _number(rec, "date_unixtime", found)
            if unix is not None and not plausible_epoch(unix):
                found["date_unixtime"], unix = _date_problem(None, unix), None
            reactors.append(Reactor(peer, unix))
        rtype = _text_field(r, "type", found, TEXT_LIMITS["reaction_type"])
        count = _number(r, "count", found, INT32)
        emoji = _text_field(r, "emoji", found)
        doc = r.get("document_id")
        document_id = doc if isinstance(doc, str) else None if _int(doc) is None else str(doc)
        if (doc is not None and document_id is None) or len(document_id or "") > TEXT_LIMITS["document_id"]:
            found["document_id"] = f"not an id of at most {TEXT_LIMITS['document_id']} characters"
            document_id = None
        problems.extend(f"a {k} that is {p}" for k, p in found.items())
        out.append(Reaction(rtype or "emoji", count or 0, emoji, document_id, reactors))
    if problems:
        bad["reactions"] = "holds " + "; ".join(dict.fromkeys(problems))
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
