"""Telegram Desktop HTML export reader: pages of ``messages*.html`` into records, losslessly.

The HTML export (the default format of Telegram Desktop) carries less than ``result.json``: senders
are display names only, service messages are English sentences, media metadata is rendered as
text. This reader recovers everything the markup holds and says where each record came from: every
:class:`MessageRecord` keeps the exact bytes of its ``<div class="message …">`` and the byte offset
of that ``<div`` in the page file, so any stored row can be cited back to the page.

Markup follows ``export_output_html.cpp`` of tdesktop (see ``telegram-export-format.md`` §9):

* one ``div.history`` per page holding ``div.message`` children with ``id="message<ID>"``;
* date separators are ``div.message.service`` with small *negative* ids (``message-1``), skipped;
  history merged from a migrated basic group also has negative ids (``-10**9 + id``) and is kept;
* "joined" messages (``class="… joined"``) leave out ``from_name``: the sender is carried forward;
* the tooltip ``title`` of ``div.pull_right.date.details`` holds ``DD.MM.YYYY HH:MM:SS UTC+HH:MM``
  (v3.7.6+) or no offset (older exports).

Pages are read one at a time (a page holds at most 1,000 messages), and no media file is ever
opened: media paths are recorded exactly as the page links them.
"""

from __future__ import annotations

import codecs
import contextvars
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import lxml.etree

from veilleur.errors import BadInput
from veilleur.model.records import (
    ChatRecord,
    Coverage,
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
from veilleur.sources.telegram_common import local_to_utc, placeholder_reason

__all__ = ["read_html_export"]

Element = lxml.etree._Element

_PAGE_RE = re.compile(r"^(?P<prefix>(?:chats/chat_(?P<chat>\d+)/)?)messages(?P<n>\d*)\.html$")
_MESSAGE_ID_RE = re.compile(r"^message(-?\d+)$")
_GO_TO_RE = re.compile(r"(?:^|/)(?P<page>messages\d*\.html)?#go_to_message(?P<id>-?\d+)$")
_MENTION_HREF = re.compile(r"https?://(?:www\.)?(?:t\.me|telegram\.me)/(?P<name>[A-Za-z0-9_]{3,64})/?")
_TITLE_RE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s+(?:UTC|GMT)(?:\s*([+-])(\d{1,2})(?::?(\d{2}))?)?)?\s*$"
)
_DURATION_RE = re.compile(r"^\s*(?:(\d+):)?(\d+):(\d{2})\b")
_SIZE_RE = re.compile(r"(\d+)\s*[x×]\s*(\d+)")
_VOTES_RE = re.compile(r"(\d+) votes?")
_DIV_TAG_RE = re.compile(rb"<(/?)div\b", re.IGNORECASE)
_ENTRY_TAG_RE = re.compile(rb"<(?:div|a)\b[^>]*\bclass=\"entry\b", re.IGNORECASE)
_VIA_RE = re.compile(r"^(?P<name>.*?)\s+via\s+(?P<bot>@\w+)\s*$", re.DOTALL)
_PRETTY_TAIL_RE = re.compile(r"\n[ \t]*\Z")

_DATE_SEPARATOR_MIN_ID = -500_000_000
"""Date separators count down from -1 (one per day shown); migrated history sits near -10**9."""
_MIGRATED_SHIFT = 1_000_000_000
_MAX_REPAIRS_PER_PAGE = 1000

_MESSAGE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


# --------------------------------------------------------------------------------------------
# Decoding: invalid UTF-8 is replaced and logged, never silently.

_DECODE_ERRORS: contextvars.ContextVar[list[tuple[int, int]]] = contextvars.ContextVar("_decode_errors")


def _record_decode_error(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise err
    _DECODE_ERRORS.get().append((err.start, err.end))
    return ("\ufffd", err.end)


_ERROR_HANDLER = "veilleur-html-replace"
codecs.register_error(_ERROR_HANDLER, _record_decode_error)


def _decode(data: bytes, rel: str) -> tuple[str, list[Repair]]:
    """Decode a page as UTF-8; each invalid sequence becomes U+FFFD and a :class:`Repair`."""
    repairs: list[Repair] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        spans: list[tuple[int, int]] = []
        token = _DECODE_ERRORS.set(spans)
        try:
            text = data.decode("utf-8", errors=_ERROR_HANDLER)
        finally:
            _DECODE_ERRORS.reset(token)
        merged: list[tuple[int, int]] = []
        for start, end in spans:  # one repair per run of bad bytes, one U+FFFD per bad sequence
            if merged and merged[-1][1] == start:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        spans = merged
        for start, end in spans[:_MAX_REPAIRS_PER_PAGE]:
            repairs.append(
                Repair(
                    rel,
                    start,
                    "invalid_utf8",
                    f"bytes {data[start:end][:64].hex()} are not UTF-8; each invalid sequence read as U+FFFD",
                )
            )
        if len(spans) > _MAX_REPAIRS_PER_PAGE:
            start = spans[_MAX_REPAIRS_PER_PAGE][0]
            repairs.append(
                Repair(
                    rel,
                    start,
                    "invalid_utf8",
                    f"{len(spans) - _MAX_REPAIRS_PER_PAGE} more runs of invalid UTF-8 from here on, "
                    "each invalid sequence read as U+FFFD",
                )
            )
    nul = data.find(b"\x00")
    count = 0
    while nul != -1 and count < _MAX_REPAIRS_PER_PAGE:
        repairs.append(Repair(rel, nul, "nul_byte", "NUL byte read as U+FFFD"))
        count += 1
        nul = data.find(b"\x00", nul + 1)
    if count:
        text = text.replace("\x00", "\ufffd")
    repairs.sort(key=lambda r: r.byte_offset)
    return text, repairs


def _load_page(container: ExportContainer, rel: str) -> tuple[bytes, Element, list[Repair | Notice]]:
    """Read one HTML file whole (pages are bounded) and parse it, saying what the parser had to
    recover: libxml2 mends broken markup silently, and a page it mended may hold less than its
    bytes do. ``huge_tree`` keeps a text node over 10 MB whole (without it, libxml2 drops it)."""
    where = container.original_path(rel)
    try:
        with container.open(rel) as fh:
            data = fh.read()
    except OSError as e:
        raise BadInput(f"cannot read HTML page ({e})", file=where) from e
    text, repairs = _decode(data, rel)
    parser = lxml.etree.HTMLParser(huge_tree=True)
    try:
        root = lxml.etree.fromstring(text, parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as e:
        raise BadInput(f"not a Telegram Desktop HTML export page ({e})", file=where) from e
    if root is None:
        raise BadInput("not a Telegram Desktop HTML export page (empty document)", file=where)
    return data, root, [*repairs, *_recovered(data, root, parser, rel)]


_MESSAGE_DIV = re.compile(rb'<div class="message[ "][^>]*\bid="message-?\d+"')


def _recovered(data: bytes, root: Element, parser: Any, rel: str) -> list[Notice]:
    """Warnings for a page the parser had to mend: errors it logged (with line and column), a
    page cut off before its end, and messages in its bytes that did not come out of the parse."""
    out: list[Notice] = []
    errors = [e for e in parser.error_log if e.level >= 2]  # ERROR or FATAL, not warnings
    if errors:
        e = errors[0]
        out.append(
            Notice(
                "html_recovered",
                f"{rel}: the HTML parser mended {len(errors)} error(s), the first at line {e.line}, "
                f"column {e.column} ({e.message.strip()}); check the page against what was stored",
                rel,
                _line_offset(data, e.line),
            )
        )
    if not data.rstrip().endswith(b"</html>"):
        out.append(
            Notice(
                "html_cut_off",
                f"{rel}: the page ends at byte {len(data)} before its closing </html>: it was cut off, "
                "and its last message may be incomplete",
                rel,
                len(data),
            )
        )
    in_bytes = len(_MESSAGE_DIV.findall(data))
    parsed = sum(1 for el in root.iter("div") if (el.get("id") or "").startswith("message"))
    if parsed < in_bytes:
        out.append(
            Notice(
                "html_messages_lost",
                f"{rel}: {in_bytes} messages in the page's bytes, {parsed} after parsing: "
                f"{in_bytes - parsed} could not be read",
                rel,
                None,
            )
        )
    return out


def _flatten(el: Element) -> None:
    """Replace each too-deep subtree of ``el`` by its text (lxml serialises it without recursing
    in Python), so that the message can be read with its formatting lost but no character."""
    for node in list(el.iter()):
        depth, up = 0, node  # type: tuple[int, Element | None]
        while up is not None and up is not el:
            depth, up = depth + 1, up.getparent()
        if depth == FLATTEN_DEPTH and len(node):
            text = lxml.etree.tostring(node, method="text", encoding=str, with_tail=False)
            for child in list(node):
                node.remove(child)
            node.text = text


FLATTEN_DEPTH = 50
"""Depth below a message at which markup is flattened to text when it is too deep to walk."""


def _line_offset(data: bytes, line: int) -> int | None:
    """The byte offset where ``line`` (1-based) of ``data`` starts."""
    at = 0
    for _ in range(max(0, line - 1)):
        at = data.find(b"\n", at) + 1
        if at == 0:
            return None
    return at


# --------------------------------------------------------------------------------------------
# Small markup helpers.


def _classes(el: Element) -> list[str]:
    return (el.get("class") or "").split()


def _has_class(el: Element, *names: str) -> bool:
    value = el.get("class")
    if not value:
        return False
    cls = value.split()
    return all(n in cls for n in names)


def _children(el: Element, *names: str) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str) and _has_class(c, *names)]


def _child(el: Element, *names: str) -> Element | None:
    for c in el:
        if isinstance(c.tag, str) and _has_class(c, *names):
            return c
    return None


def _descendant(el: Element, *names: str) -> Element | None:
    for c in el.iterdescendants():
        if isinstance(c.tag, str) and _has_class(c, *names):
            return c
    return None


def _descendants(el: Element, *names: str) -> list[Element]:
    return [c for c in el.iterdescendants() if isinstance(c.tag, str) and _has_class(c, *names)]


def _text(el: Element | None) -> str:
    """Visible text of an element, whitespace of the pretty-printer collapsed at the ends."""
    if el is None:
        return ""
    return " ".join("".join(_itertext(el)).split())


def _itertext(el: Element) -> Iterator[str]:
    """Text of ``el`` and its descendants, comments and processing instructions left out."""
    if el.text and isinstance(el.tag, str):
        yield el.text
    for child in el:
        if isinstance(child.tag, str):
            yield from _itertext(child)
        if child.tail:
            yield child.tail


def _own_text(el: Element) -> str:
    """Text of ``el`` without the text of its child elements (a name before its date span)."""
    parts = [el.text or ""]
    parts.extend(c.tail or "" for c in el)
    return " ".join("".join(parts).split())


def _find_history(root: Element) -> Element | None:
    for el in root.iter("div"):
        if _has_class(el, "history"):
            return el
    return None


def _header_title(root: Element) -> str | None:
    header = None
    for el in root.iter("div"):
        if _has_class(el, "page_header"):
            header = el
            break
    if header is None:
        return None
    title = _descendant(header, "text", "bold")
    if title is None:
        return None
    return _text(title)


def _parse_duration(text: str) -> int | None:
    m = _DURATION_RE.match(text)
    if not m:
        return None
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def _parse_time(title: str, offset: timezone | None) -> tuple[int, TimeBasis] | None:
    """Epoch seconds for a tooltip ``DD.MM.YYYY HH:MM[:SS][ UTC±HH:MM]``, and how it was had."""
    m = _TITLE_RE.match(title)
    if not m:
        return None
    day, month, year, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    if "UTC" in title or "GMT" in title:
        minutes = int(m.group(8) or 0) * 60 + int(m.group(9) or 0)
        if m.group(7) == "-":
            minutes = -minutes
        tz = timezone(timedelta(minutes=minutes))
        return int(datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()), "html_offset"
    iso = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    return local_to_utc(iso, offset)


def _div_end(data: bytes, start: int) -> int | None:
    """End offset (exclusive) of the ``<div`` element starting at ``start``, by tag depth.

    Safe on tdesktop output: text is written escaped, so ``<div`` never occurs inside text.
    """
    depth = 0
    for m in _DIV_TAG_RE.finditer(data, start):
        if m.group(1):
            depth -= 1
            if depth == 0:
                close = data.find(b">", m.end())
                return None if close == -1 else close + 1
        else:
            depth += 1
    return None


# --------------------------------------------------------------------------------------------
# Text and entities.


def _classify_entity(el: Element, text: str) -> tuple[str, str | None, dict[str, Any] | None] | None:
    """Entity type (and href, extra) that tdesktop's ``FormatText`` wrote as ``el``."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in ("strong", "b"):
        return "bold", None, None
    if tag in ("em", "i"):
        return "italic", None, None
    if tag == "u":
        return "underline", None, None
    if tag in ("s", "strike", "del"):
        return "strikethrough", None, None
    if tag == "code":
        return "code", None, None
    if tag == "pre":
        return "pre", None, None
    if tag == "blockquote":
        return "blockquote", None, None
    if tag == "span":
        return ("spoiler", None, None) if _has_class(el, "spoiler") else None
    if tag != "a":
        return None
    onclick = el.get("onclick") or ""
    href = el.get("href")
    if "ShowHashtag" in onclick:
        return "hashtag", None, None
    if "ShowCashtag" in onclick:
        return "cashtag", None, None
    if "ShowBotCommand" in onclick:
        return "bot_command", None, None
    if "ShowMentionName" in onclick:
        return "mention_name", None, None
    if "ShowNotLoadedEmoji" in onclick or "ShowNotAvailableEmoji" in onclick:
        return "custom_emoji", None, {"loaded": False}
    if href is None:
        return "unknown", None, None
    low = href.lower()
    if low.startswith("mailto:"):
        return "email", None, None
    if low.startswith("tel:"):
        return "phone", None, None
    if href == text:
        return "link", None, None
    m = _MENTION_HREF.fullmatch(href)
    if text.startswith("@") and m is not None and m.group("name").lower() == text[1:].lower():
        # What the writer writes for an @username: a link to t.me/username, implied by the name.
        # A link elsewhere that only reads like a mention stays a link, its target kept.
        return "mention", None, None
    if href and ":" not in href and not href.startswith("#") and len(text) <= 8:
        # A custom emoji is linked to its sticker file, relative to the page.
        return "custom_emoji", None, {"path": href}
    return "text_link", href, None


def _rich_text(root: Element) -> tuple[str, list[Entity]]:
    """Plain text of a ``div.text`` (``<br>`` as newline) and its entities at Python offsets."""
    parts: list[str] = []
    length = 0
    spans: list[tuple[int, int, Element]] = []

    def add(s: str | None) -> None:
        nonlocal length
        if s:
            parts.append(s)
            length += len(s)

    def walk(node: Element) -> None:
        add(node.text)
        for child in node:
            if isinstance(child.tag, str):
                if child.tag.lower() == "br":
                    add("\n")
                else:
                    start = length
                    walk(child)
                    spans.append((start, length, child))
            add(child.tail)

    walk(root)
    full = "".join(parts)
    # The pretty-printer puts a newline after ``<div class="text">`` and a newline plus the
    # indent before ``</div>``; message newlines are always ``<br>``, never literal.
    lead = 1 if full.startswith("\n") else 0
    m = _PRETTY_TAIL_RE.search(full, lead)
    end = m.start() if m else len(full)
    text = full[lead:end]
    entities: list[Entity] = []
    for s, e, el in spans:
        s2, e2 = max(s - lead, 0), min(e - lead, len(text))
        if e2 <= s2:
            continue
        etext = text[s2:e2]
        kind = _classify_entity(el, etext)
        if kind is None:
            continue
        etype, href, extra = kind
        entities.append(Entity(etype, etext, s2, e2 - s2, href=href, extra=extra))
    entities.sort(key=lambda en: (en.offset, -en.length))
    return text, entities


# --------------------------------------------------------------------------------------------
# Service messages: English sentences back to actions.

_Q = "«(?P<title>.*)»"
_SERVICE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(?P<actor>.+?) created group {_Q}(?: with members (?P<members>.+))?$"), "create_group"),
    (re.compile(rf"^Channel {_Q} created$"), "create_channel"),
    (re.compile(rf"^(?P<actor>.+?) changed group (?:title|name) to {_Q}$"), "edit_group_title"),
    (re.compile(rf"^Channel (?:title|name) changed to {_Q}$"), "edit_group_title"),
    (re.compile(r"^(?P<actor>.+?) changed group photo$"), "edit_group_photo"),
    (re.compile(r"^Channel photo changed$"), "edit_group_photo"),
    (re.compile(r"^(?P<actor>.+?) removed group photo$"), "delete_group_photo"),
    (re.compile(r"^Channel photo removed$"), "delete_group_photo"),
    (re.compile(r"^(?P<actor>.+?) invited (?P<members>.+) to the voice chat$"), "invite_to_group_call"),
    (re.compile(r"^(?P<actor>.+?) invited (?P<members>.+)$"), "invite_members"),
    (re.compile(r"^(?P<actor>.+?) joined group by link from (?P<inviter>.+)$"), "join_group_by_link"),
    (re.compile(r"^(?P<actor>.+?) joined (?:the )?group by request$"), "join_group_by_request"),
    (re.compile(r"^(?P<actor>.+?) left the group$"), "remove_members"),
    (re.compile(r"^(?P<actor>.+?) removed (?P<members>.+)$"), "remove_members"),
    (re.compile(r"^(?P<actor>.+?) converted this group to a supergroup$"), "migrate_to_supergroup"),
    (
        re.compile(rf"^(?P<actor>.+?) converted a basic group to this supergroup(?: {_Q})?$"),
        "migrate_from_group",
    ),
    (re.compile(r"^(?P<actor>.+?) pinned (?:this message|«.*»|.+)$"), "pin_message"),
    (re.compile(r"^History cleared$"), "clear_history"),
    (re.compile(r"^(?P<actor>.+?) scored (?P<score>\d+) in this game$"), "score_in_game"),
    (re.compile(r"^(?P<actor>.+?) took a screenshot$"), "take_screenshot"),
    (re.compile(r"^(?P<actor>.+?) joined Telegram$"), "joined_telegram"),
    (re.compile(r"^(?P<actor>.+?) requested your phone number$"), "requested_phone_number"),
    (re.compile(r"^(?P<actor>.+?) started voice chat(?: \((?P<duration>\d+) seconds\))?$"), "group_call"),
    (re.compile(r"^Voice chat(?: \((?P<duration>\d+) seconds\))?$"), "group_call"),
    (re.compile(r"^(?P<actor>.+?) scheduled a voice chat for (?P<when>.+)$"), "group_call_scheduled"),
    (re.compile(r"^Voice chat scheduled for (?P<when>.+)$"), "group_call_scheduled"),
    (re.compile(r"^(?P<actor>.+?) has set messages to auto-delete in (?P<period>.+)$"), "set_messages_ttl"),
    (re.compile(r"^(?P<actor>.+?) has set messages not to auto-delete$"), "set_messages_ttl"),
    (re.compile(r"^New messages will auto-delete in (?P<period>.+)$"), "set_messages_ttl"),
    (re.compile(r"^New messages will not auto-delete$"), "set_messages_ttl"),
    (re.compile(r"^(?P<actor>.+?) changed chat theme to (?P<emoticon>.+)$"), "edit_chat_theme"),
    (re.compile(r"^(?P<actor>.+?) disabled chat theme$"), "edit_chat_theme"),
    (re.compile(r"^Channel theme was changed to (?P<emoticon>.+)$"), "edit_chat_theme"),
    (re.compile(r"^Channel theme was disabled$"), "edit_chat_theme"),
    (re.compile(rf"^(?P<actor>.+?) created topic {_Q}$"), "topic_created"),
    (re.compile(r"^(?P<actor>.+?) changed topic (?P<change>.+)$"), "topic_edit"),
    (re.compile(r"^(?P<actor>.+?) set a new background for this chat$"), "set_chat_wallpaper"),
    (re.compile(r"^(?P<actor>.+?) set the same background for this chat$"), "set_same_chat_wallpaper"),
    (re.compile(r"^(?P<actor>.+?) suggests to use this photo$"), "suggest_profile_photo"),
    (re.compile(r"^(?P<actor>.+?) sent you a gift.*$"), "send_premium_gift"),
    (re.compile(r"^You have successfully transferred (?P<amount>.+?) for this invoice.*$"), "send_payment"),
    (re.compile(r"^You were charged (?P<amount>.+?) via recurring payment$"), "send_payment"),
    (re.compile(r"^You have sent the following documents: (?P<values>.+)$"), "send_passport_values"),
    (re.compile(r"^You allowed this bot to message you.*$"), "allow_sending_messages"),
    (
        re.compile(r"^You have just successfully transferred data from the «(?P<text>.*)» button.*$"),
        "send_webview_data",
    ),
    (re.compile(r"^(?P<from>.+?) is now within (?P<distance>.+?) from (?P<to>.+)$"), "proximity_reached"),
    (re.compile(r"^You are now within (?P<distance>.+?) from (?P<to>.+)$"), "proximity_reached"),
]
_UNSUPPORTED_PREFIX = "This message is not supported by this version of Telegram Desktop"


def _split_names(value: str) -> list[str]:
    """Undo tdesktop's ``SerializeList``: ``A, B and C`` (names that contain these are ambiguous)."""
    head, sep, last = value.rpartition(" and ")
    if not sep:
        return [value]
    return [*head.split(", "), last]


def _classify_service(text: str) -> tuple[str, str | None, dict[str, Any]]:
    for pattern, action in _SERVICE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        actor = groups.pop("actor", None)
        details: dict[str, Any] = {}
        if "title" in groups:
            details["title"] = groups.pop("title")
        if "members" in groups:
            details["members"] = _split_names(groups.pop("members"))
        elif action == "remove_members" and actor is not None:
            details["members"] = [actor]  # "X left the group"
        if "inviter" in groups:
            details["inviter"] = groups.pop("inviter")
        if "duration" in groups:
            details["duration"] = int(groups.pop("duration"))
        if "score" in groups:
            details["score"] = int(groups.pop("score"))
        if "values" in groups:
            details["values"] = _split_names(groups.pop("values"))
        details.update(groups)
        return action, actor, details
    return "html_service", None, {}


# --------------------------------------------------------------------------------------------
# Media.

_GENERIC_MEDIA = (
    "media_photo",
    "media_video",
    "media_voice_message",
    "media_audio_file",
    "media_file",
    "media_contact",
    "media_location",
    "media_live_location",
    "media_venue",
    "media_game",
    "media_invoice",
    "media_call",
)


def _maps_coords(href: str | None) -> tuple[float, float] | None:
    if not href:
        return None
    m = re.search(r"[?&](?:q|ll)=(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)", href)
    if not m:
        return None
    return float(m.group(1)), float(m.group(2))


def _thumb_ref(el: Element) -> MediaRef | None:
    for img in el.iter("img"):
        src = img.get("src")
        if src:
            return MediaRef(role="thumbnail", path=src)
    return None


@dataclass
class _MediaResult:
    media: list[MediaRef] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    call: dict[str, Any] | None = None


def _generic_media(block: Element, out: _MediaResult) -> None:
    cls = _classes(block)
    kind = next((c for c in cls if c in _GENERIC_MEDIA), None)
    href = block.get("href") if block.tag == "a" else None
    body = _first(_child(block, "body"), block)
    assert body is not None
    title = _text(_child(body, "title"))
    description = _text(_child(body, "description"))
    status = _text(_child(body, "status"))
    info = {
        k: v
        for k, v in (("class", kind), ("title", title), ("status", status), ("description", description))
        if v
    }
    out.details.setdefault("media_html", []).append(info)

    if kind == "media_call":
        call: dict[str, Any] = {"status": status.split(" (")[0] if status else None}
        m = re.search(r"\((\d+) seconds\)", status)
        if m:
            call["duration_seconds"] = int(m.group(1))
        low = status.lower()
        if low.startswith(("missed", "cancelled")):
            call["discard_reason"] = "missed"
        elif low.startswith("declined"):
            call["discard_reason"] = "busy"
        if title:
            call["peer_name"] = title
        out.call = {k: v for k, v in call.items() if v is not None}
        return
    if kind == "media_contact":
        phone = status.removesuffix(" - vCard").strip()
        out.details["contact"] = {k: v for k, v in (("name", title), ("phone_number", phone)) if v}
        if href:
            out.media.append(MediaRef(role="contact_vcard", path=href, media_type="contact"))
        return
    if kind in ("media_location", "media_live_location", "media_venue"):
        loc: dict[str, Any] = {}
        coords = _maps_coords(href)
        if coords is None and status:
            m2 = re.match(r"^(-?\d+(?:\.\d+)?), (-?\d+(?:\.\d+)?)$", status)
            if m2:
                coords = float(m2.group(1)), float(m2.group(2))
        if coords is not None:
            loc["latitude"], loc["longitude"] = coords
        if kind == "media_venue":
            out.details["venue"] = {"title": title, "address": description, **loc}
        else:
            out.details["location"] = loc
            if kind == "media_live_location":
                out.details["live_location"] = True
        return
    if kind == "media_game":
        out.details["game"] = {"title": title, "description": description, "link": href}
        return
    if kind == "media_invoice":
        out.details["invoice"] = {"title": title, "description": description, "amount": status}
        return

    # Files: photo, video, voice, audio, sticker, animation, document.
    role = "file"
    media_type: str | None = None
    file_name: str | None = None
    if kind == "media_photo":
        if title == "Sticker":
            media_type = "sticker"
        else:
            role, media_type = "photo", None
    elif kind == "media_video":
        media_type = {
            "Video message": "video_message",
            "Animation": "animation",
            "Video file": "video_file",
        }.get(title, "video_file")
    elif kind == "media_voice_message":
        media_type = "voice_message"
    elif kind == "media_audio_file":
        media_type = "audio_file"
        if " – " in title:
            performer, _, song = title.partition(" – ")
            out.details["audio"] = {"performer": performer, "title": song}
    elif kind == "media_file" and title and title != "File":
        file_name = title
    placeholder: str | None = None
    placeholder_text: str | None = None
    if title.startswith("Self-destructing"):
        placeholder, placeholder_text = "unavailable", f"{title}: {status}" if status else title
        href = None
    elif not href:
        placeholder = placeholder_reason(f"({description}") if description else "unknown"
        placeholder_text = description or None
    width = height = None
    if role == "photo":
        size = _SIZE_RE.search(status)
        if size:
            width, height = int(size.group(1)), int(size.group(2))
    duration = (
        _parse_duration(status)
        if kind in ("media_video", "media_voice_message", "media_audio_file")
        else None
    )
    out.media.append(
        MediaRef(
            role=role,
            path=href or None,
            placeholder=placeholder,
            placeholder_text=placeholder_text,
            file_name=file_name,
            media_type=media_type,
            width=width,
            height=height,
            duration_seconds=duration,
        )
    )
    thumb = _thumb_ref(block)
    if thumb is not None:
        out.media.append(thumb)


def _poll(block: Element) -> dict[str, Any]:
    answers = []
    for ans in _children(block, "answer"):
        detail = _text(_child(ans, "details"))
        own = _own_text(ans)
        text = own[2:] if own.startswith("- ") else own
        votes = _VOTES_RE.search(detail)
        answers.append(
            {"text": text, "voters": int(votes.group(1)) if votes else 0, "chosen": "chosen vote" in detail}
        )
    state = _text(_child(block, "details"))
    total = _VOTES_RE.search(_text(_child(block, "total")))
    return {
        "question": _text(_child(block, "question")),
        "closed": state == "Final results",
        "total_voters": int(total.group(1)) if total else 0,
        "answers": answers,
    }


def _parse_media(wrap: Element, out: _MediaResult) -> None:
    for block in wrap:
        if not isinstance(block.tag, str):
            continue
        href = block.get("href")
        if _has_class(block, "photo_wrap"):
            out.media.append(
                MediaRef(role="photo", path=href or None, placeholder=None if href else "unknown")
            )
            thumb = _thumb_ref(block)
            if thumb is not None:
                out.media.append(thumb)
        elif _has_class(block, "video_file_wrap") or _has_class(block, "animated_wrap"):
            animated = _has_class(block, "animated_wrap")
            out.media.append(
                MediaRef(
                    role="file",
                    path=href or None,
                    placeholder=None if href else "unknown",
                    media_type="animation" if animated else "video_file",
                    duration_seconds=_parse_duration(_text(_descendant(block, "video_duration"))),
                )
            )
            thumb = _thumb_ref(block)
            if thumb is not None:
                out.media.append(thumb)
        elif _has_class(block, "sticker_wrap"):
            out.media.append(
                MediaRef(
                    role="file",
                    path=href or None,
                    placeholder=None if href else "unknown",
                    media_type="sticker",
                )
            )
            thumb = _thumb_ref(block)
            if thumb is not None:
                out.media.append(thumb)
        elif _has_class(block, "media_poll"):
            out.details["poll"] = _poll(block)
        elif _has_class(block, "media"):
            _generic_media(block, out)
        else:
            out.details.setdefault("media_html", []).append(
                {"class": block.get("class"), "text": _text(block)}
            )


# --------------------------------------------------------------------------------------------
# Reactions and buttons.


def _parse_reactions(el: Element) -> list[Reaction]:
    reactions: list[Reaction] = []
    for r in _children(el, "reaction"):
        emoji = _text(_child(r, "emoji")) or None
        users = _child(r, "userpics")
        reactors: list[Reactor] = []
        if users is not None:
            for pic in _children(users, "userpic"):
                name = pic.get("title")
                reactors.append(Reactor(PeerRef(None, None, name) if name else None, None))
        count_text = _text(_child(r, "count"))
        count = int(count_text) if count_text.isdigit() else len(reactors)
        rtype = "paid" if _has_class(r, "paid") else "emoji"
        reactions.append(Reaction(type=rtype, count=count, emoji=emoji, reactors=reactors))
    return reactions


def _parse_buttons(table: Element) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = []
    for tr in table.iter("tr"):
        row: list[dict[str, Any]] = []
        for td in tr.iter("td"):
            text = _text(td)
            if not text:
                continue
            button: dict[str, Any] = {"text": text}
            link = next((a.get("href") for a in td.iter("a") if a.get("href")), None)
            if link:
                button["href"] = link
            row.append(button)
        if row:
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Messages.


@dataclass
class _ChatState:
    chat: PeerRef
    offset: timezone | None
    index: int = 0
    prev_sender: PeerRef | None = None
    prev_via: str | None = None
    prev_forward: str | None = None
    day: str | None = None


def _reply_target(href: str) -> int | None:
    m = _GO_TO_RE.search(href)
    return int(m.group("id")) if m else None


def _first(*els: Element | None) -> Element | None:
    """The first element that exists (lxml elements without children are falsy: never ``or``)."""
    for el in els:
        if el is not None:
            return el
    return None


def _first_href(el: Element) -> str | None:
    for a in el.iter("a"):
        href = a.get("href")
        if href:
            return href
    return None


def _build_service(
    el: Element, msg_id: int, state: _ChatState, position: Position, raw: bytes
) -> MessageRecord:
    migrated = msg_id < 0
    body = _first(_child(el, "body"), el)
    assert body is not None
    text = _text(body)
    state.prev_sender = state.prev_via = state.prev_forward = None
    if text.startswith(_UNSUPPORTED_PREFIX):
        return MessageRecord(
            chat=state.chat,
            message_id=msg_id,
            kind="unsupported",
            position=position,
            raw=raw,
            details={"service_text": text},
            migrated=migrated,
        )
    action, actor, details = _classify_service(text)
    link = _first_href(body)
    target = _reply_target(link) if link else None
    if target is not None:
        key = {"score_in_game": "game_message_id", "send_payment": "invoice_message_id"}.get(
            action, "message_id"
        )
        details[key] = target
    media: list[MediaRef] = []
    pic = _child(el, "userpic_wrap")
    if pic is not None:
        photo = _first_href(pic)
        if photo:
            media.append(MediaRef(role="photo", path=photo))
    if state.day:
        details["day"] = state.day
    return MessageRecord(
        chat=state.chat,
        message_id=msg_id,
        kind="service",
        position=position,
        raw=raw,
        sender=PeerRef(None, None, actor) if actor else None,
        text=text,
        action=action,
        details=details,
        media=media,
        migrated=migrated,
    )


def _sender_name(el: Element) -> tuple[str, str | None]:
    """A ``from_name`` as (name, ``@bot`` of " via @bot" or None), its date span left out."""
    name = _own_text(el)
    m = _VIA_RE.match(name)
    if m:
        return m.group("name"), m.group("bot")
    return name, None


def _build_message(
    el: Element, msg_id: int, state: _ChatState, position: Position, raw: bytes, rel: str
) -> tuple[MessageRecord, list[Notice]]:
    if _has_class(el, "service"):
        return _build_service(el, msg_id, state, position, raw), []
    notices: list[Notice] = []
    body = _first(_child(el, "body"), el)
    assert body is not None
    details: dict[str, Any] = {}
    # Time.
    date_utc: int | None = None
    basis: TimeBasis | None = None
    date_local: str | None = None
    date_el = _first(_child(body, "pull_right", "date", "details"), _child(body, "date"))
    if date_el is not None:
        date_local = date_el.get("title") or _text(date_el) or None
        parsed = _parse_time(date_local, state.offset) if date_local else None
        if parsed is None and date_local:
            notices.append(
                Notice(
                    "html_bad_date",
                    f"message {msg_id}: unreadable time {date_local!r}",
                    file=rel,
                    byte_offset=position.byte_offset,
                    chat=state.chat,
                )
            )
        elif parsed is not None:
            date_utc, basis = parsed
    # Sender: named, or carried from the message this one is joined to.
    from_el = _child(body, "from_name")
    sender: PeerRef | None
    via_bot: str | None
    if from_el is not None:
        name, via_bot = _sender_name(from_el)
        sender = PeerRef(None, None, name)
    else:
        sender, via_bot = state.prev_sender, state.prev_via
        if sender is None:
            notices.append(
                Notice(
                    "html_joined_without_sender",
                    f"message {msg_id} continues a sender that this page does not name",
                    file=rel,
                    byte_offset=position.byte_offset,
                    chat=state.chat,
                )
            )
        else:
            details["sender_carried"] = True
    # Forward: its name and date; its reply, media, text and signature are the message's own.
    content = body
    forwarded_from: str | None = None
    fwd = _child(body, "forwarded", "body")
    if fwd is not None:
        content = fwd
        fwd_name = _child(fwd, "from_name")
        if fwd_name is not None:
            forwarded_from, fwd_via = _sender_name(fwd_name)
            via_bot = via_bot or fwd_via
            # The 2018 writer put the original date in a plain ``details`` span of the header.
            date_span = _first(_descendant(fwd_name, "date"), _descendant(fwd_name, "details"))
            if date_span is not None:
                fdate = date_span.get("title") or _text(date_span)
                if fdate:
                    details["forwarded_date"] = fdate
                    parsed_f = _parse_time(fdate, state.offset)
                    if parsed_f is not None:
                        details["forwarded_date_utc"], details["forwarded_time_basis"] = parsed_f
        else:
            forwarded_from = state.prev_forward
            if forwarded_from is not None:
                details["forwarded_from_carried"] = True
    # Reply.
    reply_to: int | None = None
    reply = _first(_child(content, "reply_to"), _child(body, "reply_to"))
    if reply is not None:
        link = _first_href(reply)
        if link:
            reply_to = _reply_target(link)
            page = _GO_TO_RE.search(link)
            if page is not None and page.group("page"):
                details["reply_to_page"] = page.group("page")
        elif "another chat" in _text(reply):
            details["reply_cross_chat"] = True
        if reply_to is None and not details.get("reply_cross_chat"):
            details["reply_html"] = _text(reply)
    # Media, text, signature, reactions, buttons.
    media_out = _MediaResult()
    for wrap in _children(content, "media_wrap"):
        _parse_media(wrap, media_out)
    details.update(media_out.details)
    text = ""
    entities: list[Entity] = []
    text_el = _child(content, "text")
    if text_el is not None:
        text, entities = _rich_text(text_el)
    sig = _first(_child(content, "signature"), _child(body, "signature"))
    author = (_text(sig) or None) if sig is not None else None
    react_el = _first(_child(body, "reactions"), _child(content, "reactions"), _child(el, "reactions"))
    reactions = _parse_reactions(react_el) if react_el is not None else []
    buttons = _first(_child(content, "bot_buttons_table"), _child(body, "bot_buttons_table"))
    if buttons is not None:
        details["inline_bot_buttons"] = _parse_buttons(buttons)

    state.prev_sender, state.prev_via, state.prev_forward = sender, via_bot, forwarded_from
    kind: Literal["message", "service"] = "message"
    action: str | None = None
    if media_out.call is not None:
        # Calls are service actions in JSON; HTML draws them as a message with a call "media".
        kind, action = "service", "phone_call"
        details.update(media_out.call)
    rec = MessageRecord(
        chat=state.chat,
        message_id=msg_id,
        kind=kind,
        position=position,
        raw=raw,
        sender=sender,
        date_utc=date_utc,
        time_basis=basis,
        date_local=date_local,
        text=text,
        entities=entities,
        reply_to_message_id=reply_to,
        forwarded_from=forwarded_from,
        via_bot=via_bot,
        author=author,
        action=action,
        details=details,
        media=media_out.media,
        reactions=reactions,
        migrated=msg_id < 0,
    )
    return rec, notices


def _read_page(
    container: ExportContainer,
    rel: str,
    state: _ChatState,
    page: tuple[bytes, Element, list[Repair | Notice]],
) -> Iterator[SourceRecord]:
    data, root, repairs = page
    where = container.original_path(rel)
    yield from repairs
    history = _find_history(root)
    if history is None:
        raise BadInput("not a Telegram Desktop HTML export page (no div.history)", file=where)
    cursor = 0
    for el in history:
        if not isinstance(el.tag, str) or el.tag.lower() != "div":
            continue
        ident = el.get("id") or ""
        if not ident.startswith("message"):
            continue
        m = _MESSAGE_ID_RE.match(ident)
        if not m:
            raise BadInput(f"message id {ident!r} is not a number", file=where, place=f"line {el.sourceline}")
        msg_id = int(m.group(1))
        if msg_id < 0 and msg_id > _DATE_SEPARATOR_MIN_ID and _has_class(el, "service"):
            state.day = _text(el) or None
            state.prev_sender = state.prev_via = state.prev_forward = None
            continue
        needle = f'id="{ident}"'.encode()
        at = data.find(needle, cursor)
        if at == -1:
            at = data.find(needle)
        start: int | None = data.rfind(b"<div", 0, at) if at != -1 else None
        raw: bytes | None = None
        if start is not None and start >= 0:
            end = _div_end(data, start)
            if end is not None:
                raw = data[start:end]
                cursor = end
        else:
            start = None
        if raw is None:
            raw = lxml.etree.tostring(el, encoding="utf-8", method="html", with_tail=False)
        position = Position(file=rel, byte_offset=start, index=state.index, page=rel)
        try:
            try:
                rec, notices = _build_message(el, msg_id, state, position, raw, rel)
            except RecursionError:
                # Markup nested deeper than Python's stack: keep every character of the message's
                # text, its formatting flattened, and say so.
                _flatten(el)
                rec, notices = _build_message(el, msg_id, state, position, raw, rel)
                notices.append(
                    Notice(
                        "html_deep_nesting",
                        f"message {msg_id}: its markup is nested too deep to read as formatting; its "
                        "text is kept whole, as plain text",
                        rel,
                        start,
                        state.chat,
                    )
                )
        except _MESSAGE_ERRORS as e:
            place = f"message {msg_id}" + (f" at byte {start}" if start is not None else "")
            raise BadInput(f"unreadable message ({type(e).__name__}: {e})", file=where, place=place) from e
        state.index += 1
        yield from notices
        yield rec


# --------------------------------------------------------------------------------------------
# Full-account lists.


@dataclass
class _ListEntry:
    name: str | None
    subname: str | None
    details: list[str]
    info: str | None
    link: str | None
    byte_offset: int | None
    section: str | None = None


def _list_entries(data: bytes, root: Element) -> list[_ListEntry]:
    """Entries of a list page (contacts, sessions, chats...), in page order.

    ``lists/chats.html`` holds one ``entry_list`` for the chats and, after it, one for the chats
    left (``validateDialogsMode``), each after its ``page_about``: the second list, or a single
    list whose about text speaks of chats left or banned from, is ``left_chats``.
    """
    offsets = [m.start() for m in _ENTRY_TAG_RE.finditer(data)]
    lists = [el for el in root.iter("div") if _has_class(el, "entry_list")]
    found: list[_ListEntry] = []
    for n, lst in enumerate(lists):
        about = lst.getprevious()
        about_text = _text(about).lower() if about is not None and _has_class(about, "page_about") else ""
        left = n > 0 or bool(re.search(r"\bleft\b|\bbanned\b", about_text))
        for el in lst.iterdescendants():
            if not isinstance(el.tag, str) or not _has_class(el, "entry"):
                continue
            body = _first(_child(el, "body"), el)
            assert body is not None
            found.append(
                _ListEntry(
                    name=_text(_child(body, "name")) or None,
                    subname=_text(_child(body, "subname")) or None,
                    details=[_text(d) for d in _children(body, "details_entry")],
                    info=_text(_child(body, "info")) or None,
                    link=el.get("href") if el.tag == "a" else None,
                    byte_offset=None,
                    section="left_chats" if left else "chats",
                )
            )
    if len(offsets) == len(found):
        for entry, off in zip(found, offsets, strict=True):
            entry.byte_offset = off
    return found


def _list_date(text: str | None) -> int | None:
    if not text:
        return None
    parsed = _parse_time(text, None)
    return parsed[0] if parsed and parsed[1] == "html_offset" else None


def _exporter_records(container: ExportContainer, rel: str, section: str) -> Iterator[SourceRecord]:
    data, root, repairs = _load_page(container, rel)
    yield from repairs
    for i, entry in enumerate(_list_entries(data, root)):
        pos = Position(file=rel, byte_offset=entry.byte_offset, index=i, page=rel)
        record: dict[str, Any] = {
            k: v
            for k, v in (
                ("name", entry.name),
                ("subname", entry.subname),
                ("details", entry.details),
                ("info", entry.info),
                ("link", entry.link),
            )
            if v
        }
        name = entry.name
        phone = ip = None
        date_utc = None
        if section == "contacts":
            phone = entry.details[0] if entry.details else None
            record["phone_number"] = phone
            record["date"] = entry.info
            date_utc = _list_date(entry.info)
        elif section in ("sessions", "web_sessions"):
            for d in entry.details:
                if d.startswith("Last active: "):
                    record["last_active"] = d.removeprefix("Last active: ")
                    date_utc = _list_date(record["last_active"])
                elif d.startswith("Created: "):
                    record["created"] = d.removeprefix("Created: ")
                elif ip is None:
                    ip_part, _, region = d.partition(" – ")
                    ip = ip_part.strip() or None
                    record["ip"] = ip
                    record["location"] = region.strip()
            if section == "sessions":
                record["application"] = entry.name
                record["device"] = entry.subname
            else:
                record["domain"] = entry.name
                record["browser"] = entry.subname
                record["bot_username"] = entry.info
        elif section == "frequent_contacts":
            record["category"] = entry.info
            rating = entry.details[0].removeprefix("Rating: ") if entry.details else ""
            if rating.isdigit():
                record["rating"] = int(rating)
        elif section in ("profile_pictures", "stories"):
            record["path"] = entry.link
            record["date"] = entry.info
            date_utc = _list_date(entry.info)
        yield ExporterRecord(
            section=section,
            data={k: v for k, v in record.items() if v is not None},
            position=pos,
            phone=phone,
            ip=ip,
            name=name,
            date_utc=date_utc,
        )


_LIST_SECTIONS = (
    ("lists/contacts.html", "contacts"),
    ("lists/frequent.html", "frequent_contacts"),
    ("lists/sessions.html", "sessions"),
    ("lists/web_sessions.html", "web_sessions"),
    ("lists/profile_pictures.html", "profile_pictures"),
    ("lists/stories.html", "stories"),
)


def _personal_info(container: ExportContainer) -> tuple[PeerRef | None, list[SourceRecord]]:
    rel = "export_results.html"
    data, root, repairs = _load_page(container, rel)
    out: list[SourceRecord] = list(repairs)
    info = None
    for el in root.iter("div"):
        if _has_class(el, "personal_info"):
            info = el
            break
    if info is None:
        return None, out
    values: dict[str, str] = {}
    for row in _descendants(info, "row"):
        label = _text(_child(row, "label"))
        value = _text(_child(row, "value"))
        if label:
            values[label] = value
    start = data.find(b'class="personal_info')
    start = data.rfind(b"<div", 0, start) if start != -1 else -1
    name = " ".join(v for v in (values.get("First name"), values.get("Last name")) if v) or None
    out.append(
        ExporterRecord(
            section="personal_information",
            data=values,
            position=Position(file=rel, byte_offset=start if start >= 0 else None, index=0, page=rel),
            phone=values.get("Phone number"),
            name=name,
        )
    )
    return (PeerRef(None, None, name) if name else None), out


# --------------------------------------------------------------------------------------------
# Chats.


@dataclass
class _ChatListing:
    name: str | None
    type_word: str | None
    coverage: Coverage | None
    section: str | None
    position: Position


_TYPE_WORDS = {"bot": "bot_chat"}


def _chat_type(ref: PeerRef, listing: _ChatListing | None) -> str:
    word = listing.type_word if listing else None
    if word == "private":
        if listing is not None and listing.name == "Saved messages":
            return "saved_messages"
        if listing is not None and listing.name == "Replies":
            return "replies"
        return "personal_chat"
    if word in _TYPE_WORDS:
        return _TYPE_WORDS[word]
    if ref.kind == "chat":
        return "private_group"  # the only basic-group type
    return "unknown"


def _chat_listing(
    container: ExportContainer,
) -> tuple[dict[str, _ChatListing], list[SourceRecord], list[_ChatListing]]:
    """``lists/chats.html``: type word, "outgoing" (only my messages) and section per chat folder."""
    rel = "lists/chats.html"
    by_prefix: dict[str, _ChatListing] = {}
    unlinked: list[_ChatListing] = []
    if not container.exists(rel):
        return by_prefix, [], unlinked
    data, root, repairs = _load_page(container, rel)
    for i, entry in enumerate(_list_entries(data, root)):
        count = entry.details[0] if entry.details else ""
        coverage: Coverage | None
        if "outgoing" in count.lower():
            coverage = "own_messages_only"
        elif count:
            coverage = "all"
        else:
            coverage = None
        listing = _ChatListing(
            name=entry.name,
            type_word=entry.info,
            coverage=coverage,
            section=entry.section,
            position=Position(file=rel, byte_offset=entry.byte_offset, index=i, page=rel),
        )
        if entry.link:
            target = posixpath.normpath(posixpath.join("lists", entry.link.split("#", 1)[0]))
            by_prefix[posixpath.dirname(target) + "/"] = listing
        else:
            unlinked.append(listing)
    return by_prefix, list(repairs), unlinked


_LINK_RE = re.compile(rb'<a class="pagination block_link" href="(?P<href>[^"]+)"')


def renamed_first_page(container: ExportContainer, files: list[str]) -> str | None:
    """The first page of a single-chat export published under another name (``index.html``):
    ``messages2.html`` links back to ``messages.html``, which is not there, and exactly one other
    page at the top of the export links forward to ``messages2.html``. None when the export has
    its ``messages.html``, or when its pages' own links do not say which page is the first."""
    if "messages.html" in files or "messages2.html" not in files:
        return None
    try:
        with container.open("messages2.html") as f:
            second = f.read(1 << 22)
    except OSError:
        return None
    if b"messages.html" not in {m.group("href") for m in _LINK_RE.finditer(second)}:
        return None
    found = []
    for rel in files:
        if "/" in rel or not rel.endswith(".html") or _PAGE_RE.match(rel) or rel == "export_results.html":
            continue
        try:
            with container.open(rel) as f:
                head = f.read(1 << 22)
        except OSError:
            continue
        links = {m.group("href") for m in _LINK_RE.finditer(head)}
        if b"messages2.html" in links and b'class="history"' in head:
            found.append(rel)
    return found[0] if len(found) == 1 else None


def _chat_pages(files: list[str]) -> dict[str, list[str]]:
    """Page files per chat folder prefix, each list in numeric page order."""
    pages: dict[str, list[tuple[int, str]]] = {}
    for f in files:
        m = _PAGE_RE.match(f)
        if not m:
            continue
        n = int(m.group("n")) if m.group("n") else 1
        pages.setdefault(m.group("prefix"), []).append((n, f))

    def chat_key(prefix: str) -> tuple[int, str]:
        m = re.search(r"chat_(\d+)/$", prefix)
        return (int(m.group(1)) if m else -1, prefix)

    return {p: [f for _n, f in sorted(pages[p])] for p in sorted(pages, key=chat_key)}


def _read_chat(
    container: ExportContainer,
    prefix: str,
    pages: list[str],
    chat_index: int,
    *,
    layout: Literal["single_chat", "full_account"],
    offset: timezone | None,
    chat_refs: Mapping[str, PeerRef],
    listing: _ChatListing | None,
) -> Iterator[SourceRecord]:
    first = pages[0]
    loaded = _load_page(container, first)
    data, root, _repairs = loaded
    if _find_history(root) is None:
        raise BadInput(
            "not a Telegram Desktop HTML export page (no div.history)", file=container.original_path(first)
        )
    title = _header_title(root) or (listing.name if listing else None)
    known = chat_refs.get(prefix)
    if known is not None:
        ref = known if known.name is not None else PeerRef(known.kind, known.peer_id, title)
    else:
        ref = PeerRef(None, None, title)
    notices: list[Notice] = []
    coverage: Coverage
    if layout == "single_chat":
        coverage = "all"
    elif listing is not None and listing.coverage is not None:
        coverage = listing.coverage
    else:
        coverage = "all" if ref.kind == "user" else "own_messages_only"
        notices.append(
            Notice(
                "html_coverage_unknown",
                f"{prefix}: lists/chats.html does not say whether all messages or only the exporter's "
                f"own were exported; assumed {coverage}",
                file=first,
                chat=ref,
            )
        )
    header_at = data.find(b'class="page_header"')
    header_at = data.rfind(b"<div", 0, header_at) if header_at != -1 else -1
    yield ChatRecord(
        ref=ref,
        type=_chat_type(ref, listing),
        name=title,
        coverage=coverage,
        section=(listing.section if listing else "chats") if layout == "full_account" else None,
        position=Position(
            file=first, byte_offset=header_at if header_at >= 0 else None, index=chat_index, page=first
        ),
    )
    yield from notices
    state = _ChatState(chat=ref, offset=offset)
    yield from _read_page(container, first, state, loaded)
    del loaded, data, root
    for rel in pages[1:]:
        state.prev_sender = state.prev_via = state.prev_forward = None
        yield from _read_page(container, rel, state, _load_page(container, rel))


def read_html_export(
    container: ExportContainer,
    *,
    utc_offset: timezone | None = None,
    chat_refs: Mapping[str, PeerRef] | None = None,
) -> Iterator[SourceRecord]:
    """Read a Telegram Desktop HTML export (single chat or whole account) as records.

    ``utc_offset`` is the analyst-supplied offset of the exporting machine, used only for tooltips
    written without ``UTC±HH:MM`` (exports older than v3.7.6). ``chat_refs`` maps a chat's folder
    prefix (``""`` for a single-chat export, ``"chats/chat_03/"`` in a full export) to the identity
    known from the JSON of the same export, since HTML carries no ids.

    Yields :class:`ExportInfo` first, then each chat's :class:`ChatRecord` followed by its messages
    in page order, and (full export) the exporter's lists as :class:`ExporterRecord`. Raises
    :class:`BadInput`, naming the file, on anything that is not such an export.
    """
    refs: Mapping[str, PeerRef] = chat_refs or {}
    files = container.files()
    full = container.exists("export_results.html")
    renamed = None if full else renamed_first_page(container, files)
    if not full and not container.exists("messages.html") and renamed is None:
        raise BadInput(
            "not a Telegram Desktop HTML export: no messages.html or export_results.html",
            file=container.label,
        )
    all_pages = _chat_pages(files)
    if renamed is not None:
        all_pages[""] = [renamed, *all_pages.get("", [])]
    if not full:
        yield ExportInfo(layout="single_chat", format="html")
        if renamed is not None:
            yield Notice(
                "first_page_renamed",
                f"the export's first page is {renamed!r}: messages2.html links back to it as "
                "messages.html, the name the exporter gave it, and it links forward to messages2.html",
                renamed,
                0,
            )
        yield from _read_chat(
            container,
            "",
            all_pages.get("", ["messages.html"]),
            0,
            layout="single_chat",
            offset=utc_offset,
            chat_refs=refs,
            listing=None,
        )
        return

    exporter, personal = _personal_info(container)
    yield ExportInfo(layout="full_account", format="html", exporter=exporter)
    yield from personal
    listing, list_records, unlinked = _chat_listing(container)
    yield from list_records
    chat_index = 0
    for prefix, pages in all_pages.items():
        if not prefix:
            continue  # a stray root messages.html is not part of a full export's chats
        yield from _read_chat(
            container,
            prefix,
            pages,
            chat_index,
            layout="full_account",
            offset=utc_offset,
            chat_refs=refs,
            listing=listing.get(prefix),
        )
        chat_index += 1
    for entry in unlinked:
        # Listed with no exported message: the dialog exists, its folder was never written.
        ref = PeerRef(None, None, entry.name)
        yield ChatRecord(
            ref=ref,
            type=_chat_type(ref, entry),
            name=entry.name,
            coverage=entry.coverage or "all",
            section=entry.section,
            position=entry.position,
        )
        chat_index += 1
    for rel, section in _LIST_SECTIONS:
        if container.exists(rel):
            yield from _exporter_records(container, rel, section)
