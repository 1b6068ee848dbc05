"""A writer of ``result.json`` that reproduces Telegram Desktop's ``JsonWriter`` byte for byte.

Telegram Desktop does not use a JSON library: ``export_output_json.cpp`` concatenates strings by
hand. The importer is judged on real exports, so the demo files must carry every quirk of that
hand-written output (see ``shared/reference/telegram-export-format.md`` §2-§7):

* pretty printing with **one space per nesting level**, ``"key": value`` and ``,\\n`` separators,
  and no newline at the end of the file (``SerializeObject`` / ``SerializeArray`` /
  ``pushNesting`` / ``popNesting``);
* ``SerializeString``: ``\\n \\r \\t " \\\\`` escaped, U+2028/U+2029 written as ``\\u2028`` /
  ``\\u2029``, every **other control byte written as ``\\xHH``** (invalid JSON, kept on purpose),
  all other text as literal UTF-8;
* keys in the writer's order, optional keys simply absent, explicit ``null`` only where the code
  uses ``StringAllowNull`` (``from``/``actor``/``members``/``inviter`` of deleted accounts) and for
  an empty geo point;
* ``date`` in the exporting PC's local time without offset, ``date_unixtime`` as a *string*;
* ``text`` as a plain string when there is a single plain run, else a mixed array, and
  ``text_entities`` always as objects;
* the ``reactions`` array indented one level deeper than its key, because the C++ code pushes a
  nesting level before calling ``SerializeArray`` (``SerializeMessage``, reactions block).

The module also holds the small record model (:class:`Message`, :class:`Peer`, media classes) that
mirrors tdesktop's ``Data::Message``; the HTML writer renders the same records.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, TypeAlias

__all__ = [
    "ABOUT_CHATS",
    "ABOUT_CONTACTS",
    "ABOUT_FREQUENT",
    "ABOUT_LEFT_CHATS",
    "ABOUT_SESSIONS",
    "ABOUT_TELEGRAM",
    "ABOUT_WEB_SESSIONS",
    "PLACEHOLDERS",
    "Action",
    "Button",
    "Dialog",
    "Document",
    "FileRef",
    "GeoPoint",
    "JsonWriter",
    "Message",
    "Part",
    "Peer",
    "Photo",
    "Poll",
    "PollAnswer",
    "Reaction",
    "SharedContact",
    "local_iso",
    "serialize_string",
]

# --- boilerplate strings of a full export (``PrepareEnvironment``, lang keys lng_export_about_*) ---

ABOUT_TELEGRAM = (
    "Here is the data you requested. Remember: Telegram is ad free, it doesn't use your data for ad "
    "targeting and doesn't sell it to others. Telegram only keeps the information it needs to function "
    "as a secure and feature-rich cloud service.\n\nCheck out Settings > Privacy & Security on "
    "Telegram's mobile apps for the relevant settings."
)
ABOUT_CONTACTS = (
    "If you allow access, your contacts are continuously synced with Telegram. Thanks to this, you can "
    "easily switch to Telegram without losing your existing social graph \u2013 and connect with friends "
    "across all your devices. We use data about your contacts to let you know when they join Telegram. "
    "We also use it to make sure that you see the names you have in your phone book instead of the "
    "screen names people choose for themselves.\n\nYou can disable contacts syncing or delete your "
    "stored contacts in Settings > Privacy & Security on Telegram's mobile apps."
)
ABOUT_FREQUENT = (
    "This rating shows which people you are likelier to message frequently. Telegram uses this data to "
    "populate the 'People' box at the top of the Search section. The rating is also calculated for "
    "inline bots so that the app can suggest you the bots you are most likely to use in the attachment "
    'menu (or when you start a new message with "@").\n\nTo delete this data, go to Settings > Privacy '
    "& Security and disable 'Suggest Frequent Contacts' (requires Telegram for iOS v.4.8.3 or Telegram "
    "for Android v.4.8.10 or higher). See this page for more information: "
    "https://telegram.org/faq/data-export"
)
ABOUT_SESSIONS = (
    "We store this to display your connected devices in Settings > Privacy & Security > Active "
    "Sessions. Terminating a session removes this data from Telegram servers."
)
ABOUT_WEB_SESSIONS = (
    "We store this to display you the websites where you used Telegram to log in in Settings > Privacy "
    "& Security > Active Sessions. Disconnecting a website removes this data from Telegram servers."
)
ABOUT_CHATS = "This page lists all chats from this export."
ABOUT_LEFT_CHATS = "This page lists all supergroups and channels from this export that you've left."

SkipReason: TypeAlias = Literal["not_included", "exceeds_max_size", "unavailable"]

# ``pushPath``: what the exporter writes instead of a path, by skip reason.
PLACEHOLDERS: dict[str, str] = {
    "unavailable": "(File unavailable, please try again later)",
    "exceeds_max_size": "(File exceeds maximum size. Change data exporting settings to download.)",
    "not_included": "(File not included. Change data exporting settings to download.)",
}
PHOTO_PLACEHOLDERS: dict[str, str] = {k: v.replace("(File", "(Photo", 1) for k, v in PLACEHOLDERS.items()}

PeerKind: TypeAlias = Literal["user", "chat", "channel"]


# --------------------------------------------------------------------------------------------------
# Record model (what ``Data::Message`` holds, as far as the writers need it)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A user, basic group (``chat``) or channel/supergroup (``channel``) *as one export sees it*.

    Names are per export: a contact-saved name, a later rename or a deleted account (both names
    empty) all give different :class:`Peer` values for the same id. For groups and channels the
    title lives in ``first_name``.
    """

    kind: PeerKind
    id: int
    first_name: str = ""
    last_name: str = ""
    username: str = ""

    @property
    def name(self) -> str:
        """``ContactInfo::name()``: "First Last", either part alone, or "" for deleted accounts."""
        if not self.first_name:
            return self.last_name
        if not self.last_name:
            return self.first_name
        return f"{self.first_name} {self.last_name}"

    @property
    def ref(self) -> str:
        """The ``from_id`` form since v2.7.2: ``user123``, ``chat123``, ``channel123``."""
        return f"{self.kind}{self.id}"


@dataclass(frozen=True)
class Part:
    """One run of text: ``type`` is the JSON entity type (``plain``, ``bold``, ``mention_name``...).

    ``extra`` holds ``user_id`` (mention_name), ``href`` (text_link), ``language`` (pre),
    ``document_id`` (custom_emoji) or ``collapsed`` (blockquote).
    """

    type: str
    text: str
    extra: str | int | bool | None = None


@dataclass(frozen=True)
class FileRef:
    """A file as ``Data::File``: a relative path when saved, else the reason it was skipped."""

    path: str = ""
    size: int = 0
    skip: SkipReason | None = None

    def json_value(self, photo_wording: bool = False) -> str:
        if self.skip is None:
            return self.path
        return (PHOTO_PLACEHOLDERS if photo_wording else PLACEHOLDERS)[self.skip]


@dataclass(frozen=True)
class Photo:
    file: FileRef
    width: int
    height: int
    spoiler: bool = False


@dataclass(frozen=True)
class Document:
    """A document; ``media_type`` follows the writer's precedence (sticker > video_message > ...)."""

    file: FileRef
    mime: str
    name: str = ""
    thumb: FileRef | None = None
    thumb_size: tuple[int, int] = (0, 0)
    media_type: str | None = None
    sticker_emoji: str = ""
    performer: str = ""
    title: str = ""
    duration: int = 0
    width: int = 0
    height: int = 0
    spoiler: bool = False


@dataclass(frozen=True)
class SharedContact:
    first_name: str
    last_name: str
    phone: str
    vcard: FileRef | None = None


@dataclass(frozen=True)
class GeoPoint:
    """A location; ``latitude is None`` is the empty geo point written as ``null``."""

    latitude: float | None
    longitude: float | None = None
    live_period: int = 0


@dataclass(frozen=True)
class PollAnswer:
    text: str
    voters: int
    chosen: bool = False


@dataclass(frozen=True)
class Poll:
    question: str
    answers: tuple[PollAnswer, ...]
    total_voters: int
    closed: bool = False


Media: TypeAlias = Photo | Document | SharedContact | GeoPoint | Poll


@dataclass(frozen=True)
class Action:
    """A service action: ``type`` is the JSON ``action`` value (``invite_members``...)."""

    type: str
    title: str = ""
    members: tuple[Peer, ...] = ()
    inviter: Peer | None = None
    message_id: int = 0
    photo: Photo | None = None


@dataclass(frozen=True)
class Reaction:
    count: int
    emoji: str = ""
    type: str = "emoji"
    document_id: str = ""
    recent: tuple[tuple[Peer, int], ...] = ()


@dataclass(frozen=True)
class Button:
    """An inline keyboard button; callback data is written base64url without padding."""

    type: str
    text: str
    data: bytes = b""


@dataclass
class Message:
    """One exported message, as the exporter holds it before serialising (``Data::Message``)."""

    id: int
    date: int
    sender: Peer | None = None
    text: tuple[Part, ...] = ()
    action: Action | None = None
    edited: int = 0
    author: str = ""
    forwarded_from: Peer | None = None
    forwarded_name: str = ""
    forwarded_date: int = 0
    saved_from: Peer | None = None
    reply_to: int = 0
    reply_peer: Peer | None = None
    via_bot: Peer | None = None
    media: Media | None = None
    ttl: int = 0
    buttons: tuple[tuple[Button, ...], ...] = ()
    reactions: tuple[Reaction, ...] = ()
    unsupported: bool = False

    @property
    def forwarded(self) -> bool:
        return self.forwarded_from is not None or bool(self.forwarded_name)

    @property
    def plain_text(self) -> str:
        return "".join(p.text for p in self.text)


@dataclass
class Dialog:
    """A chat of the export: ``type`` is the JSON dialog type, ``peer`` the chat itself.

    ``name`` is what ``writeDialogStart`` prints (a user's *first name only*; ``None`` for saved
    messages, which have no ``name`` key). ``last_name`` is only used by the HTML header.
    """

    type: str
    peer: Peer
    name: str | None
    messages: Sequence[Message] = field(default_factory=list)
    last_name: str = ""


# --------------------------------------------------------------------------------------------------
# Serialisation primitives
# --------------------------------------------------------------------------------------------------

_ESCAPES: dict[int, str] = {i: f"\\x{i:02X}" for i in range(32)}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x22: '\\"', 0x5C: "\\\\"})
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def serialize_string(value: str) -> str:
    """``SerializeString``: quote and escape exactly as Telegram Desktop does (``\\xHH`` included)."""
    return '"' + value.translate(_ESCAPES) + '"'


def local_iso(ts: int, offset: int) -> str:
    """``QDateTime::fromSecsSinceEpoch(t).toString(Qt::ISODate)`` on a PC at UTC+``offset`` seconds."""
    t = time.gmtime(ts + offset)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


class Raw(str):
    """Already serialised JSON text, written as is (e.g. the literal ``[]`` of empty entities)."""


class Shifted(list[object]):
    """An array serialised one level deeper than its key: the ``reactions`` indentation quirk."""


JsonValue: TypeAlias = object


class _Serializer:
    """Recursive serialiser reproducing ``SerializeObject``/``SerializeArray`` indentation.

    ``depth`` is the number of spaces of the line on which the value starts; members of an object
    or array go one space deeper. ``escapes`` counts the ``\\xHH`` sequences written so far.
    """

    def __init__(self) -> None:
        self.escapes = 0

    def string(self, value: str) -> str:
        if _CONTROL.search(value):
            self.escapes += len(_CONTROL.findall(value))
        return '"' + value.translate(_ESCAPES) + '"'

    def value(self, v: JsonValue, depth: int) -> str:
        if isinstance(v, Raw):
            return str(v)
        if isinstance(v, str):
            return self.string(v)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return f"{v:.6f}"  # std::to_string(double)
        if isinstance(v, dict):
            inner = "\n" + " " * (depth + 1)
            body = ",".join(inner + self.string(k) + ": " + self.value(x, depth + 1) for k, x in v.items())
            return "{" + body + "\n" + " " * depth + "}"
        if isinstance(v, Shifted):
            inner = "\n" + " " * (depth + 2)
            body = ",".join(inner + self.value(x, depth + 2) for x in v)
            return "[" + body + "\n" + " " * (depth + 1) + "]"
        if isinstance(v, list | tuple):
            inner = "\n" + " " * (depth + 1)
            body = ",".join(inner + self.value(x, depth + 1) for x in v)
            return "[" + body + "\n" + " " * depth + "]"
        raise TypeError(f"cannot serialise {type(v).__name__}")


# --------------------------------------------------------------------------------------------------
# Message -> ordered key/value pairs (``SerializeMessage``)
# --------------------------------------------------------------------------------------------------


def _name_or_null(peer: Peer | None) -> str | None:
    """``StringAllowNull(peer.name())``: deleted accounts (empty name) become ``null``."""
    return peer.name if peer is not None and peer.name else None


def _text_value(parts: Sequence[Part], as_objects: bool) -> JsonValue:
    """``SerializeText``: plain string for a single plain run, else a mixed (or object) array."""
    if not parts:
        return Raw("[]") if as_objects else ""
    if not as_objects and len(parts) == 1 and parts[0].type == "plain":
        return parts[0].text
    items: list[JsonValue] = []
    for p in parts:
        if p.type == "plain" and not as_objects:
            items.append(p.text)
            continue
        obj: dict[str, JsonValue] = {"type": p.type, "text": p.text}
        if p.type == "mention_name":
            obj["user_id"] = int(p.extra or 0)
        elif p.type == "custom_emoji":
            obj["document_id"] = str(p.extra or "")
        elif p.type == "pre":
            obj["language"] = str(p.extra or "")
        elif p.type == "text_link":
            obj["href"] = str(p.extra or "")
        elif p.type == "blockquote":
            obj["collapsed"] = bool(p.extra)
        items.append(obj)
    return items


def _photo_pairs(out: dict[str, JsonValue], photo: Photo) -> None:
    out["photo"] = photo.file.json_value()
    out["photo_file_size"] = photo.file.size
    if photo.width and photo.height:
        out["width"] = photo.width
        out["height"] = photo.height
    if photo.spoiler:
        out["media_spoiler"] = True


def message_pairs(msg: Message, tz: int) -> dict[str, JsonValue]:
    """The message object's keys and values in the order ``SerializeMessage`` pushes them."""
    if msg.unsupported:
        return {"id": msg.id, "type": "unsupported"}
    out: dict[str, JsonValue] = {
        "id": msg.id,
        "type": "service" if msg.action is not None else "message",
        "date": local_iso(msg.date, tz),
        "date_unixtime": str(msg.date),
    }
    if msg.edited:
        out["edited"] = local_iso(msg.edited, tz)
        out["edited_unixtime"] = str(msg.edited)
    action = msg.action
    if action is not None:
        if msg.sender is not None and action.type not in ("send_payment", "proximity_reached"):
            out["actor"] = _name_or_null(msg.sender)
            out["actor_id"] = msg.sender.ref
        out["action"] = action.type
        if action.type in ("create_group", "edit_group_title", "create_channel", "migrate_from_group"):
            out["title"] = action.title
        if action.type == "edit_group_photo" and action.photo is not None:
            _photo_pairs(out, action.photo)
        if action.type in ("create_group", "invite_members", "remove_members"):
            out["members"] = [_name_or_null(p) for p in action.members]
        if action.type == "join_group_by_link":
            out["inviter"] = _name_or_null(action.inviter)
        if action.type == "pin_message" and action.message_id:
            out["message_id"] = action.message_id
    else:
        if msg.sender is not None:
            out["from"] = _name_or_null(msg.sender)
            out["from_id"] = msg.sender.ref
        if msg.author:
            out["author"] = msg.author
        if msg.forwarded_from is not None:
            out["forwarded_from"] = _name_or_null(msg.forwarded_from)
        elif msg.forwarded_name:
            out["forwarded_from"] = msg.forwarded_name
        if msg.saved_from is not None:
            out["saved_from"] = _name_or_null(msg.saved_from)
        if msg.reply_to:
            out["reply_to_message_id"] = msg.reply_to
            if msg.reply_peer is not None:
                out["reply_to_peer_id"] = msg.reply_peer.ref
        if msg.via_bot is not None and msg.via_bot.username:
            out["via_bot"] = "@" + msg.via_bot.username
    _media_pairs(out, msg)
    out["text"] = _text_value(msg.text, False)
    out["text_entities"] = _text_value(msg.text, True)
    if msg.buttons:
        out["inline_bot_buttons"] = [[_button(b) for b in row] for row in msg.buttons]
    if msg.reactions:
        out["reactions"] = Shifted(_reaction(r, tz) for r in msg.reactions)
    return out


def _media_pairs(out: dict[str, JsonValue], msg: Message) -> None:
    media = msg.media
    if isinstance(media, Photo):
        _photo_pairs(out, media)
        if msg.ttl:
            out["self_destruct_period_seconds"] = msg.ttl
    elif isinstance(media, Document):
        out["file"] = media.file.json_value()
        if media.name:
            out["file_name"] = media.name
        out["file_size"] = media.file.size
        if media.thumb is not None:
            out["thumbnail"] = media.thumb.json_value()
            out["thumbnail_file_size"] = media.thumb.size
        if media.media_type:
            out["media_type"] = media.media_type
            if media.media_type == "sticker" and media.sticker_emoji:
                out["sticker_emoji"] = media.sticker_emoji
            if media.media_type == "audio_file":
                if media.performer:
                    out["performer"] = media.performer
                if media.title:
                    out["title"] = media.title
        if media.mime:
            out["mime_type"] = media.mime
        if media.duration:
            out["duration_seconds"] = media.duration
        if media.width and media.height:
            out["width"] = media.width
            out["height"] = media.height
        if media.spoiler:
            out["media_spoiler"] = True
        if msg.ttl:
            out["self_destruct_period_seconds"] = msg.ttl
    elif isinstance(media, SharedContact):
        out["contact_information"] = {
            "first_name": media.first_name,
            "last_name": media.last_name,
            "phone_number": media.phone,
        }
        if media.vcard is not None:
            out["contact_vcard"] = media.vcard.json_value()
            out["contact_vcard_file_size"] = media.vcard.size
    elif isinstance(media, GeoPoint):
        if media.latitude is None or media.longitude is None:
            out["location_information"] = None
        else:
            out["location_information"] = {"latitude": media.latitude, "longitude": media.longitude}
        if msg.ttl:
            out["live_location_period_seconds"] = msg.ttl
    elif isinstance(media, Poll):
        out["poll"] = {
            "question": media.question,
            "closed": media.closed,
            "total_voters": media.total_voters,
            "answers": [{"text": a.text, "voters": a.voters, "chosen": a.chosen} for a in media.answers],
        }


def _button(b: Button) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"type": b.type}
    if b.text:
        out["text"] = b.text
    if b.data:
        if b.type in ("callback", "callback_with_password"):
            out["dataBase64"] = base64.urlsafe_b64encode(b.data).decode("ascii").rstrip("=")
            out["data"] = ""
        else:
            out["data"] = b.data.decode("utf-8")
    return out


def _reaction(r: Reaction, tz: int) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"type": r.type, "count": r.count}
    if r.type == "emoji":
        out["emoji"] = r.emoji
    elif r.type == "custom_emoji":
        out["document_id"] = r.document_id
    if r.recent:
        out["recent"] = [
            {"from": _name_or_null(p), "from_id": p.ref, "date": local_iso(d, tz)} for p, d in r.recent
        ]
    return out


# --------------------------------------------------------------------------------------------------
# The streaming writer (``JsonWriter``)
# --------------------------------------------------------------------------------------------------

_DIALOG_TYPES_WITHOUT_NAME = frozenset({"saved_messages", "replies", "verification_codes"})


class JsonWriter:
    """Stream a ``result.json`` to a binary file object, block by block, as ``JsonWriter`` does.

    Single chat: ``begin_dialog`` ... ``write_message``* ... ``end_dialog``.
    Full export: ``start`` then sections (``personal_information``, ``contacts`` ...), then
    ``begin_list("chats")``, dialogs, ``end_list()``, optionally the same for ``left_chats``,
    then ``finish``. Memory stays bounded: blocks are flushed every ``flush_bytes``.
    """

    def __init__(self, fp: BinaryIO, tz_offset: int, single_chat: bool, flush_bytes: int = 1 << 20):
        self._fp = fp
        self.tz = tz_offset
        self.single = single_chat
        self._nesting: list[str] = []
        self._had_item = False
        self._buf: list[str] = []
        self._buffered = 0
        self._flush_bytes = flush_bytes
        self._ser = _Serializer()
        self.bytes_written = 0
        self.messages_written = 0

    @property
    def escapes(self) -> int:
        """Number of ``\\xHH`` escapes written so far."""
        return self._ser.escapes

    # -- low level, mirroring pushNesting / prepareObjectItemStart / popNesting --------------------

    def _emit(self, text: str) -> None:
        self._buf.append(text)
        self._buffered += len(text)
        if self._buffered >= self._flush_bytes:
            self.flush()

    def flush(self) -> None:
        data = "".join(self._buf).encode("utf-8")
        self._fp.write(data)
        self.bytes_written += len(data)
        self._buf.clear()
        self._buffered = 0

    def _indent(self) -> str:
        return " " * len(self._nesting)

    def _push(self, kind: str) -> str:
        self._nesting.append(kind)
        self._had_item = False
        return "{" if kind == "object" else "["

    def _key(self, key: str) -> str:
        sep = ",\n" if self._had_item else "\n"
        self._had_item = True
        return sep + self._indent() + serialize_string(key) + ": "

    def _item(self) -> str:
        sep = ",\n" if self._had_item else "\n"
        self._had_item = True
        return sep + self._indent()

    def _pop(self) -> str:
        kind = self._nesting.pop()
        self._had_item = True
        return "\n" + self._indent() + ("}" if kind == "object" else "]")

    # -- full export sections ----------------------------------------------------------------------

    def start(self, about: str = ABOUT_TELEGRAM) -> None:
        """``JsonWriter::start``: the root object and its ``about`` (full export only)."""
        if self.single:
            return
        self._emit(self._push("object") + self._key("about") + self._ser.string(about))

    def write_value(self, key: str, value: JsonValue) -> None:
        """A root-level section written in one block (``personal_information``...)."""
        self._emit(self._key(key) + self._ser.value(value, len(self._nesting)))

    def write_list_section(self, key: str, about: str, items: Iterable[JsonValue]) -> None:
        """``{"about": ..., "list": [...]}`` sections: contacts, frequent_contacts, sessions..."""
        block = self._key(key) + self._push("object") + self._key("about") + self._ser.string(about)
        block += self._key("list") + self._push("array")
        for item in items:
            block += self._item() + self._ser.value(item, len(self._nesting))
        block += self._pop() + self._pop()
        self._emit(block)

    def write_array_section(self, key: str, items: Iterable[JsonValue]) -> None:
        """A root-level array written item by item (``profile_pictures``)."""
        block = self._key(key) + self._push("array")
        for item in items:
            block += self._item() + self._ser.value(item, len(self._nesting))
        self._emit(block + self._pop())

    def begin_list(self, key: str, about: str) -> None:
        """``writeChatsStart``: open ``chats`` or ``left_chats``."""
        self._emit(
            self._key(key)
            + self._push("object")
            + self._key("about")
            + self._ser.string(about)
            + self._key("list")
            + self._push("array")
        )

    def end_list(self) -> None:
        """``writeChatsEnd``."""
        self._emit(self._pop() + self._pop())

    def finish(self) -> None:
        """``JsonWriter::finish``: close the root object (full export) and flush."""
        if not self.single:
            self._emit(self._pop())
        self.flush()

    # -- dialogs -----------------------------------------------------------------------------------

    def begin_dialog(self, dialog_type: str, chat_id: int, name: str | None) -> None:
        """``writeDialogStart``: name (absent for saved messages), type, bare id, ``messages: [``."""
        block = "" if self.single else self._item()
        block += self._push("object")
        if dialog_type not in _DIALOG_TYPES_WITHOUT_NAME:
            block += self._key("name") + ("null" if not name else self._ser.string(name))
        block += self._key("type") + self._ser.string(dialog_type)
        block += self._key("id") + str(chat_id)
        block += self._key("messages") + self._push("array")
        self._emit(block)

    def write_message(self, msg: Message) -> None:
        depth = len(self._nesting)
        self._emit(self._item() + self._ser.value(message_pairs(msg, self.tz), depth))
        self.messages_written += 1

    def write_raw_message(self, serialized: str) -> None:
        """Append a message already serialised at the right depth (used by the benchmark writer)."""
        self._emit(self._item() + serialized)
        self.messages_written += 1

    def end_dialog(self) -> None:
        """``writeDialogEnd``: close ``messages`` and the dialog object."""
        self._emit(self._pop() + self._pop())
        if self.single:
            self.flush()

    def write_dialog(self, dialog: Dialog) -> None:
        self.begin_dialog(dialog.type, dialog.peer.id, dialog.name)
        for msg in dialog.messages:
            self.write_message(msg)
        self.end_dialog()

    @property
    def depth(self) -> int:
        return len(self._nesting)

    def serialize(self, value: JsonValue, depth: int) -> str:
        return self._ser.value(value, depth)
