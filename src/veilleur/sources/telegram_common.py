"""Telegram facts shared by the JSON and HTML readers: peer ids, chat types, placeholders, time.

Each rule here cites the Telegram Desktop exporter behaviour it follows (see
``docs/telegram-format.md``), because these are the places where other parsers break.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from veilleur.model.records import PeerKind, PeerRef, TimeBasis
from veilleur.timefmt import LATEST_EPOCH

# Dialog ``type`` → peer kind. ``*_supergroup`` and ``*_channel`` are channels, ``private_group``
# is a basic group, the rest are users. A modern dialog ``id`` is bare and is never decoded by
# magnitude: its kind comes from here.
CHAT_TYPE_KIND: dict[str, PeerKind] = {
    "personal_chat": "user",
    "bot_chat": "user",
    "saved_messages": "user",
    "replies": "user",
    "verification_codes": "user",
    "private_group": "chat",
    "private_supergroup": "channel",
    "public_supergroup": "channel",
    "private_channel": "channel",
    "public_channel": "channel",
}
GROUP_TYPES = frozenset(
    {"private_group", "private_supergroup", "public_supergroup", "private_channel", "public_channel"}
)

_PREFIXED_ID = re.compile(r"^(user|channel|chat)(-?[0-9]+)$")
_USER_SHIFT = 1 << 32
_CHAT_SHIFT = 2 << 32
INT64 = 1 << 63
"""Ids, sizes and dates are stored as signed 64-bit integers: a value outside ±2**63 is unreadable."""
_DECIMAL = re.compile(r"-?[0-9]{1,20}")

CASE_MESSAGE_IDS = 1 << 62
"""Message ids from here up are made by the case, never read from an export: a message with no
usable id of its own (missing, not a number, past this bound) or with the id of an earlier
message of its chat is kept under one (``details.case_message_id`` says why). Telegram's own ids
are 32-bit, so none comes near."""


def int64(value: object) -> int | None:
    """``value`` as an integer if it is one, or a string of ASCII digits, that fits 64 signed bits.

    Not ``str.isdigit``, which is true of ``"²"`` (that ``int`` refuses) and of other scripts'
    digits; and never ``int`` of a string of thousands of digits, which Python refuses as well.
    """
    if value.__class__ is int:  # not bool, whose class is bool
        n: int = value
    elif value.__class__ is str and _DECIMAL.fullmatch(value):
        n = int(value)
    else:
        return None
    return n if -INT64 <= n < INT64 else None


def plausible_epoch(t: int) -> bool:
    """Whether ``t`` can be the time of a Telegram message: none is before 1970, where Telegram's
    dates start counting, and a date past the year 9999 is no calendar date."""
    return 0 <= t <= LATEST_EPOCH


def parse_peer_id(value: object, name: str | None = None) -> PeerRef | None:
    """Normalise any of the three historic ``from_id`` forms to ``(kind, bare id)``.

    Strings (v2.7.2+) carry a prefix: ``user42``. Integers come from older writers: from v2.4.0 to
    v2.7.1 an *encoded* PeerId (users ``2**32 + id``, chats and channels ``2**33 + id``), before
    that a plain user id. Integer decoding is applied only to integer values, never to a modern
    bare id, whose magnitude says nothing about its kind.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        m = _PREFIXED_ID.match(value)
        if m:
            bare = int64(m.group(2))
            return None if bare is None else PeerRef(m.group(1), bare, name)  # type: ignore[arg-type]
        value = int64(value)
    elif isinstance(value, int):
        value = int64(value)
    if isinstance(value, int):
        if value >= _CHAT_SHIFT and value < (3 << 32):
            # Chats and channels share the 2**33 tag in those writers; a channel is the common
            # case for groups that still exist, but the tag alone cannot tell: mark as channel.
            return PeerRef("channel", value & 0xFFFFFFFF, name)
        if value >= _USER_SHIFT and value < _CHAT_SHIFT:
            return PeerRef("user", value & 0xFFFFFFFF, name)
        return PeerRef("user", value, name)
    return None


def decode_dialog_id(value: int | None, kind: str | None) -> int | None:
    """The bare id of a dialog ``id`` written by v1.4.8 to v2.7.1, which encoded it as a PeerId
    (users ``2**32 + id``, chats and channels ``2**33 + id``); the dialog's ``type`` gives the
    kind. Only for files whose writer is known to be of that era (integer ``from_id``): a modern
    bare id is never decoded by its magnitude. A value outside its kind's range is kept as is."""
    if value is None:
        return None
    if kind == "user" and _USER_SHIFT <= value < _CHAT_SHIFT:
        return value - _USER_SHIFT
    if kind in ("chat", "channel") and _CHAT_SHIFT <= value < (3 << 32):
        return value - _CHAT_SHIFT
    return value


def bot_api_id(ref: PeerRef) -> int | None:
    """The Bot-API "marked" id investigators often get from other tools (``-100…`` for channels)."""
    if ref.peer_id is None:
        return None
    if ref.kind == "channel":
        return -(1_000_000_000_000 + ref.peer_id)
    if ref.kind == "chat":
        return -ref.peer_id
    return ref.peer_id


# The exporter writes one of these instead of a path when a file was not saved
# (``export_api_wrap.cpp``); profile pictures and stories use a "(Photo ...)" variant.
_PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("not included", "not_included"),
    ("exceeds maximum size", "exceeds_max_size"),
    ("unavailable", "unavailable"),
)


def placeholder_reason(value: str) -> str | None:
    """The reason code if ``value`` is a placeholder rather than a path, else ``None``.

    Any value that starts with ``(`` is treated as "not present", since no exporter path does.
    """
    if not value.startswith("("):
        return None
    low = value.lower()
    for needle, code in _PLACEHOLDERS:
        if needle in low:
            return code
    return "unknown"


def utc_offset(text: str) -> timezone:
    """Parse an analyst-supplied offset: ``+02:00``, ``-0530``, ``UTC+1``, ``Z``."""
    t = text.strip().upper().removeprefix("UTC").removeprefix("GMT")
    if t in ("", "Z"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", t)
    if not m:
        raise ValueError(f"not a UTC offset: {text!r} (expected e.g. +02:00)")
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        raise ValueError(f"UTC offset out of range: {text!r}")
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def local_to_utc(local_iso: str, offset: timezone | None) -> tuple[int, TimeBasis]:
    """Turn an exporter-local ISO time (no offset) into epoch seconds, saying how it was done."""
    naive = datetime.fromisoformat(local_iso)
    if naive.tzinfo is not None:
        return int(naive.timestamp()), "html_offset"
    if offset is None:
        return int(naive.replace(tzinfo=UTC).timestamp()), "local_unknown_offset"
    return int(naive.replace(tzinfo=offset).timestamp()), "local_with_offset"
