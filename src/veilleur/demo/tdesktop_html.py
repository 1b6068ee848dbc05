"""Writer of the HTML chat export (``messages.html``, ``messages2.html``...) as Telegram Desktop
writes it (``export_output_html.cpp``; reference §9).

What is reproduced, because importers of real HTML exports depend on it:

* the markup of ``HtmlContext::pushTag``/``popTag``: each block tag on its own line, indented
  one space per open tag, a blank line between tags, text content at column 0, attributes
  sorted by name (they come from a ``std::map``), ``&apos;``/``&quot;`` escaping, control bytes
  as ``&#x0H;`` and newlines as ``<br>``;
* 1,000 messages per file, "Previous messages"/"Next messages" links (``a.pagination.block_link``);
* a date separator (service div with a *negative* id, ``--_dateMessageId``) before the first
  message of every day and at the top of every page;
* "joined" messages (``message default clearfix joined``, no userpic, no ``from_name``) when the
  same sender posts within 900 s on the same day with the same forward/via state, never after a
  service message or across pages (``messageNeedsWrap``);
* reply links ``#go_to_message<ID>`` with ``GoToMessage`` onclick inside the current page, or
  ``messagesN.html#go_to_message<ID>`` without onclick when the target is on an earlier page
  (``wrapMessageLink``);
* the timestamp tooltip ``DD.MM.YYYY HH:MM:SS UTC+HH:MM`` (v3.7.6+), or without the offset when
  ``with_utc_offset=False`` (older clients);
* media blocks and their placeholder wording (``NoFileDescription``), and the ``_thumb``
  images the HTML writer derives from downloaded photos and stickers (``WriteImageThumb``).

HTML has no user ids: only names and coloured initials. That weakness is the point of keeping it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from veilleur.demo.tdesktop_json import (
    Dialog,
    Document,
    GeoPoint,
    Message,
    Part,
    Peer,
    Photo,
    Poll,
    SharedContact,
)

__all__ = ["HtmlChatWriter", "html_escape", "write_static_files"]

MESSAGES_IN_FILE = 1000
JOIN_WITHIN_SECONDS = 900
HISTORY_USERPIC = 42
INTERNAL_LINKS = "https://t.me/"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_COLOR_MAP = (0, 7, 4, 1, 6, 3, 5)
_NO_FILE = {
    "unavailable": "Unavailable, please try again later.",
    "exceeds_max_size": "Exceeds maximum size, change data exporting settings to download.",
    "not_included": "Not included, change data exporting settings to download.",
}


def html_escape(value: str) -> str:
    """The HTML writer's ``SerializeString``."""
    out: list[str] = []
    for ch in value:
        o = ord(ch)
        if ch == "\n" or o in (0x2028, 0x2029):
            out.append("<br>")
        elif ch == '"':
            out.append("&quot;")
        elif ch == "&":
            out.append("&amp;")
        elif ch == "'":
            out.append("&apos;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif o < 32:
            out.append(f"&#x{o:02X};")
        else:
            out.append(ch)
    return "".join(out)


def color_index(bare_id: int) -> int:
    """``PeerColorIndex``: which of the 8 userpic colours a peer gets."""
    return _COLOR_MAP[bare_id % 7]


def format_size(size: int) -> str:
    """``Ui::FormatSizeText``: one decimal, truncated, in B/KB/MB."""
    if size >= 1024 * 1024:
        tenth = size * 10 // (1024 * 1024)
        return f"{tenth // 10}.{tenth % 10} MB"
    if size >= 1024:
        tenth = size * 10 // 1024
        return f"{tenth // 10}.{tenth % 10} KB"
    return f"{size} B"


def format_duration(seconds: int) -> str:
    """``Ui::FormatDurationText``: ``[h:]mm:ss`` with a zero-padded minute field."""
    hours, minutes, secs = seconds // 3600, seconds % 3600 // 60, seconds % 60
    return (f"{hours}:" if hours else "") + f"{minutes:02d}:{secs:02d}"


def _scaled(w: int, h: int, max_w: int, max_h: int) -> tuple[int, int]:
    """``QSize::scaled(..., Qt::KeepAspectRatio)`` with Qt's integer arithmetic."""
    rw = max_h * w // h
    if rw <= max_w:
        return rw, max_h
    return max_w, max_w * h // w


def thumb_size(w: int, h: int, max_w: int, max_h: int, retina: bool = False) -> tuple[int, int]:
    """``CalculateThumbSize``: fit into the box, round down to even, drop if under 80 px."""
    if not w or not h:
        return 0, 0
    mult = 2 if retina else 1
    sw, sh = _scaled(w, h, max_w, max_h) if (w * mult > max_w or h * mult > max_h) else (w, h)
    sw, sh = sw & ~1, sh & ~1
    return (0, 0) if (sw < 80 or sh < 80) else (sw, sh)


def thumb_path(large: str, postfix: str = "_thumb") -> str:
    """``WriteImageThumb`` naming: the postfix goes before the *first* dot of the file name."""
    slash = large.rfind("/")
    dot = large.find(".", slash + 1)
    return large[:dot] + postfix + large[dot:] if dot >= 0 else large + postfix


def write_static_files(root: Path) -> None:
    """Small stand-ins for ``css/style.css`` and ``js/script.js`` (the real ones are not copied)."""
    (root / "css").mkdir(parents=True, exist_ok=True)
    (root / "js").mkdir(parents=True, exist_ok=True)
    (root / "css" / "style.css").write_text(
        "/* Placeholder for Telegram Desktop's export stylesheet (not copied). */\n"
        "body { font-family: sans-serif; }\n.joined .userpic_wrap { display: none; }\n",
        encoding="utf-8",
    )
    (root / "js" / "script.js").write_text(
        "// Placeholder for Telegram Desktop's export script (not copied).\n"
        "function CheckLocation() { return true; }\nfunction GoToMessage(id) { return true; }\n"
        "function ShowHashtag(tag) { return false; }\nfunction ShowMentionName() { return false; }\n"
        "function GoBack(anchor) { return true; }\n",
        encoding="utf-8",
    )


class _Context:
    """``HtmlContext``: the stack of open tags and the indentation it implies."""

    def __init__(self) -> None:
        self.tags: list[tuple[str, bool]] = []

    def indent(self) -> str:
        return " " * len(self.tags)

    def push(
        self, tag: str, attrs: dict[str, str] | None = None, *, inline: bool = False, empty: bool = False
    ) -> str:
        inner = "".join(f' {k}="{html_escape(v)}"' for k, v in sorted((attrs or {}).items()))
        block = not inline
        out = ("\n" + self.indent() if block else "") + f"<{tag}{inner}{'/' if empty else ''}>"
        out += "\n" if block else ""
        if not empty:
            self.tags.append((tag, block))
        return out

    def pop(self) -> str:
        tag, block = self.tags.pop()
        return ("\n" + self.indent() if block else "") + f"</{tag}>" + ("\n" if block else "")

    def div(self, cls: str, style: str | None = None) -> str:
        attrs = {"class": cls}
        if style is not None:
            attrs["style"] = style
        return self.push("div", attrs)


@dataclass
class _Info:
    """``MessageInfo``: what the next message needs to decide on joining."""

    id: int
    service: bool
    from_key: tuple[str, int] | None
    via: tuple[str, int] | None
    date: int
    forwarded: bool
    fwd_key: tuple[str, int] | None
    fwd_name: str
    fwd_date: int


@dataclass
class _MediaData:
    title: str = ""
    description: str = ""
    status: str = ""
    classes: str = ""
    thumb: str = ""
    link: str = ""


class HtmlChatWriter:
    """Write one chat's ``messages*.html`` pages into ``root`` (the single-chat export layout).

    ``dialog`` supplies the header name (``name + ' ' + last_name``, exactly as
    ``writeDialogOpening`` composes it) and the dialog type; messages come from :meth:`write`.
    Photo and sticker thumbnails are created next to the files, read from ``root``.
    """

    def __init__(
        self,
        root: Path,
        dialog: Dialog,
        tz_offset: int,
        *,
        with_utc_offset: bool = True,
        messages_in_file: int = MESSAGES_IN_FILE,
    ) -> None:
        self.root = root
        self.dialog = dialog
        self.tz = tz_offset
        self.with_utc_offset = with_utc_offset
        self.per_file = messages_in_file
        self.files: list[Path] = []
        self._count = 0
        self._date_id = 0
        self._last_ids_per_file: list[int] = []
        self._ctx = _Context()
        self._chunks: list[str] = []

    # -- dates ------------------------------------------------------------------------------------

    def _local(self, ts: int) -> time.struct_time:
        return time.gmtime(ts + self.tz)

    def format_datetime(self, ts: int, with_zone: bool) -> str:
        """``Data::FormatDateTime``: ``DD.MM.YYYY HH:MM:SS`` (+ `` UTC+HH:MM`` when asked)."""
        t = self._local(ts)
        text = f"{t.tm_mday:02d}.{t.tm_mon:02d}.{t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        if with_zone and self.with_utc_offset:
            sign = "+" if self.tz >= 0 else "-"
            minutes = abs(self.tz) // 60
            text += f" UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        return text

    def _day(self, ts: int) -> tuple[int, int, int]:
        t = self._local(ts)
        return t.tm_year, t.tm_mon, t.tm_mday

    # -- file handling ----------------------------------------------------------------------------

    @staticmethod
    def messages_file(index: int) -> str:
        return "messages" + (str(index + 1) if index > 0 else "") + ".html"

    def _open(self, index: int) -> None:
        self._ctx = _Context()
        c = self._ctx
        start = "<!DOCTYPE html>" + c.push("html") + c.push("head")
        start += c.push("meta", {"charset": "utf-8"}, empty=True)
        start += c.push("title", inline=True) + "Exported Data" + c.pop()
        start += c.push(
            "meta", {"name": "viewport", "content": "width=device-width, initial-scale=1.0"}, empty=True
        )
        start += c.push("link", {"href": "css/style.css", "rel": "stylesheet"}, empty=True)
        start += c.push("script", {"src": "js/script.js", "type": "text/javascript"}) + c.pop()
        start += c.pop() + c.push("body", {"onload": "CheckLocation();"}) + c.div("page_wrap")
        d = self.dialog
        first = d.peer.first_name if d.name is None else d.name
        header = "Deleted Account" if not first and not d.last_name else f"{first} {d.last_name}"
        start += c.div("page_header") + c.div("content") + c.div("text bold") + html_escape(header)
        start += c.pop() + c.pop() + c.pop()
        start += c.div("page_body chat_page") + c.div("history")
        if index > 0:
            start += c.push("a", {"class": "pagination block_link", "href": self.messages_file(index - 1)})
            start += "Previous messages" + c.pop()
        self._chunks = [start]

    def _close(self, index: int) -> None:
        c = self._ctx
        tail = ""
        while c.tags:
            tail += c.pop()
        self._chunks.append(tail)
        path = self.root / self.messages_file(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes("".join(self._chunks).encode("utf-8"))
        self.files.append(path)

    # -- main loop (``writeDialogSlice``) ---------------------------------------------------------

    def write(self, messages: Iterable[Message]) -> list[Path]:
        index = 0
        previous: _Info | None = None
        opened = False
        for msg in messages:
            new_index = self._count // self.per_file
            if opened and new_index != index:
                c = self._ctx
                self._chunks.append(
                    c.push("a", {"class": "pagination block_link", "href": self.messages_file(new_index)})
                    + "Next messages"
                    + c.pop()
                )
                self._close(index)
                assert previous is not None
                self._last_ids_per_file.append(previous.id)
                previous = None
                opened = False
                index = new_index
            if not opened:
                self._open(index)
                opened = True
            if previous is None or self._day(previous.date) != self._day(msg.date):
                self._date_id -= 1
                self._chunks.append(self._service(self._date_id, html_escape(self._date_text(msg.date))))
            info, block = self._message(msg, previous)
            self._chunks.append(block)
            self._count += 1
            previous = info
        if not opened:
            self._open(0)
            self._date_id -= 1
            self._chunks.append(self._service(self._date_id, "No exported messages"))
        self._close(index)
        return self.files

    def _date_text(self, ts: int) -> str:
        y, m, d = self._day(ts)
        return f"{d} {_MONTHS[m - 1]} {y}"

    def _link(self, message_id: int, text: str) -> str:
        for i, last in enumerate(self._last_ids_per_file):
            if message_id <= last:
                return f'<a href="{self.messages_file(i)}#go_to_message{message_id}">{text}</a>'
        return f'<a href="#go_to_message{message_id}" onclick="return GoToMessage({message_id})">{text}</a>'

    # -- blocks -----------------------------------------------------------------------------------

    def _service(self, message_id: int, text: str) -> str:
        c = self._ctx
        return (
            c.push("div", {"class": "message service", "id": f"message{message_id}"})
            + c.div("body details")
            + text
            + c.pop()
            + c.pop()
        )

    @staticmethod
    def _peer_name(peer: Peer | None, deleted: str) -> str:
        return html_escape(peer.name) if peer is not None and peer.name else deleted

    @staticmethod
    def _names(peers: Iterable[Peer]) -> str:
        """``SerializeList``: "A", "A and B", "A, B and C"."""
        names = [HtmlChatWriter._peer_name(p, "Deleted Account") for p in peers]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]

    def _service_text(self, msg: Message) -> str:
        a = msg.action
        assert a is not None
        who = self._peer_name(msg.sender, "Deleted")
        channel = self.dialog.type in ("private_channel", "public_channel")
        title = html_escape(a.title)
        if a.type == "create_group":
            return f"{who} created group &laquo;{title}&raquo;" + (
                f" with members {self._names(a.members)}" if a.members else ""
            )
        if a.type == "edit_group_title":
            return (
                f"Channel title changed to &laquo;{title}&raquo;"
                if channel
                else f"{who} changed group title to &laquo;{title}&raquo;"
            )
        if a.type == "edit_group_photo":
            return "Channel photo changed" if channel else f"{who} changed group photo"
        if a.type == "invite_members":
            return f"{who} invited {self._names(a.members)}"
        if a.type == "remove_members":
            return f"{who} removed {self._names(a.members)}"
        if a.type == "join_group_by_link":
            return f"{who} joined group by link from {self._peer_name(a.inviter, 'Deleted Account')}"
        if a.type == "create_channel":
            return f"Channel &laquo;{title}&raquo; created"
        if a.type == "migrate_to_supergroup":
            return f"{who} converted this group to a supergroup"
        if a.type == "migrate_from_group":
            return f"{who} converted a basic group to this supergroup &laquo;{title}&raquo;"
        if a.type == "pin_message":
            return f"{who} pinned {self._link(a.message_id, 'this message')}"
        if a.type == "clear_history":
            return "History cleared"
        return ""

    def _userpic(self, peer_key: int, first: str, last: str) -> str:
        c = self._ctx
        size = f"{HISTORY_USERPIC}px"
        out = c.push(
            "div",
            {
                "class": f"userpic userpic{color_index(peer_key) + 1}",
                "style": f"width: {size}; height: {size}",
            },
        )
        out += c.div("initials", f"line-height: {size}")
        for name in (first, last):
            name = name.strip()
            if name:
                out += html_escape(name[0])
        return out + c.pop() + c.pop()

    @staticmethod
    def _names_of(peer: Peer | None) -> tuple[str, str]:
        """``FillUserpicNames``: users keep first/last, chats put the title in the first name."""
        if peer is None:
            return "", ""
        if peer.kind == "user":
            return peer.first_name, peer.last_name
        return peer.first_name, ""

    @staticmethod
    def _split_name(full: str) -> tuple[str, str]:
        parts = full.split(" ")
        return parts[0], " ".join(p for p in parts[1:] if p)

    @staticmethod
    def _compose(first: str, last: str) -> str:
        return "Deleted Account" if not first and not last else f"{first} {last}"

    def _needs_wrap(self, msg: Message, prev: _Info | None) -> bool:
        """``messageNeedsWrap``: start a new visual block (userpic + name) or join the previous."""
        if prev is None or prev.service:
            return True
        key = (msg.sender.kind, msg.sender.id) if msg.sender is not None else None
        if key is None or prev.from_key != key:
            return True
        via = (msg.via_bot.kind, msg.via_bot.id) if msg.via_bot is not None else None
        if via != prev.via or self._day(prev.date) != self._day(msg.date):
            return True
        fwd_key = (msg.forwarded_from.kind, msg.forwarded_from.id) if msg.forwarded_from else None
        if msg.forwarded != prev.forwarded or fwd_key != prev.fwd_key or msg.forwarded_name != prev.fwd_name:
            return True
        limit = 1 if (fwd_key or msg.forwarded_name) else JOIN_WITHIN_SECONDS
        return abs(msg.date - prev.date) > limit

    def _message(self, msg: Message, prev: _Info | None) -> tuple[_Info, str]:
        c = self._ctx
        fwd_key = (msg.forwarded_from.kind, msg.forwarded_from.id) if msg.forwarded_from else None
        info = _Info(
            id=msg.id,
            service=True,
            from_key=(msg.sender.kind, msg.sender.id) if msg.sender is not None else None,
            via=(msg.via_bot.kind, msg.via_bot.id) if msg.via_bot is not None else None,
            date=msg.date,
            forwarded=msg.forwarded,
            fwd_key=fwd_key,
            fwd_name=msg.forwarded_name,
            fwd_date=msg.forwarded_date,
        )
        if msg.unsupported:
            return info, self._service(
                msg.id,
                "This message is not supported by this version of "
                "Telegram Desktop. Please update the application.",
            )
        if msg.action is not None:
            text = self._service_text(msg)
            if text:
                return info, self._service(msg.id, text)
        info.service = False
        wrap = self._needs_wrap(msg, prev)
        first, last = self._names_of(msg.sender)
        sender_id = msg.sender.id if msg.sender is not None else 0
        block = c.push(
            "div",
            {"class": "message default clearfix" + ("" if wrap else " joined"), "id": f"message{msg.id}"},
        )
        if wrap:
            block += c.div("pull_left userpic_wrap") + self._userpic(sender_id, first, last) + c.pop()
        block += c.div("body")
        block += c.push(
            "div", {"class": "pull_right date details", "title": self.format_datetime(msg.date, True)}
        )
        t = self._local(msg.date)
        block += f"{t.tm_hour:02d}:{t.tm_min:02d}" + c.pop()
        via = html_escape(msg.via_bot.username) if msg.via_bot is not None and msg.via_bot.username else ""
        if wrap:
            block += c.div("from_name") + html_escape(self._compose(first, last))
            if via and not msg.forwarded:
                block += " via @" + via
            block += c.pop()
        if msg.forwarded:
            if msg.forwarded_from is not None:
                ffirst, flast = self._names_of(msg.forwarded_from)
                fkey = msg.forwarded_from.id
            else:
                ffirst, flast = self._split_name(msg.forwarded_name)
                fkey = msg.id
            fwrap = (
                wrap
                or fwd_key is None
                or prev is None
                or fwd_key != prev.fwd_key
                or fwd_key[0] != "user"
                or abs(msg.forwarded_date - prev.fwd_date) > JOIN_WITHIN_SECONDS
            )
            if fwrap:
                block += (
                    c.div("pull_left forwarded userpic_wrap") + self._userpic(fkey, ffirst, flast) + c.pop()
                )
            block += c.div("forwarded body")
            if fwrap:
                block += c.div("from_name") + html_escape(self._compose(ffirst, flast))
                if via:
                    block += " via @" + via
                block += c.push(
                    "span",
                    {"class": "date details", "title": self.format_datetime(msg.forwarded_date, True)},
                    inline=True,
                )
                block += " " + self.format_datetime(msg.forwarded_date, False) + c.pop() + c.pop()
        if msg.reply_to:
            block += c.div("reply_to details")
            if msg.reply_peer is not None:
                block += "In reply to a message in another chat"
            else:
                block += "In reply to " + self._link(msg.reply_to, "this message")
            block += c.pop()
        block += self._media(msg)
        text = format_text(msg.text)
        if text:
            block += c.div("text") + text + c.pop()
        if msg.author:
            block += c.div("signature details") + html_escape(msg.author) + c.pop()
        if msg.reactions:
            block += self._reactions(msg)
        if msg.forwarded:
            block += c.pop()
        block += c.pop() + c.pop()
        return info, block

    def _reactions(self, msg: Message) -> str:
        """Reactions (v5.5.7+), written as ``span.reactions`` > ``span.reaction``.

        Modelled on the reference (§9); the exact inner markup of newer clients may differ.
        """
        c = self._ctx
        out = c.push("span", {"class": "reactions"})
        for r in msg.reactions:
            out += c.push("span", {"class": "reaction"})
            out += c.push("span", {"class": "emoji"}) + html_escape(r.emoji or "\u2b50") + c.pop()
            out += c.push("span", {"class": "count"}) + str(r.count) + c.pop()
            out += c.pop()
        return out + c.pop()

    # -- media ------------------------------------------------------------------------------------

    def _media(self, msg: Message) -> str:
        media = msg.media
        data = _MediaData()
        if isinstance(media, Photo):
            if msg.ttl:
                data = _MediaData(
                    title="Self-destructing photo",
                    status="Please view it on your mobile",
                    classes="media_photo",
                )
                return self._generic(data)
            return self._photo(media)
        if isinstance(media, Document):
            if msg.ttl:
                return self._generic(
                    _MediaData(
                        title="Self-destructing video",
                        status="Please view it on your mobile",
                        classes="media_video",
                    )
                )
            return self._document(media)
        if isinstance(media, SharedContact):
            data = _MediaData(
                title=f"{media.first_name} {media.last_name}", classes="media_contact", status=media.phone
            )
            if media.vcard is not None:
                data.status += " - vCard"
                data.link = media.vcard.path
            return self._generic(data)
        if isinstance(media, GeoPoint):
            data = _MediaData(
                classes="media_live_location" if msg.ttl else "media_location",
                title="Live location" if msg.ttl else "Location",
            )
            if media.latitude is not None and media.longitude is not None:
                lat, lon = f"{media.latitude:.6f}", f"{media.longitude:.6f}"
                data.status = f"{lat}, {lon}"
                data.link = f"https://maps.google.com/maps?q={lat},{lon}&ll={lat},{lon}&z=16"
            return self._generic(data)
        if isinstance(media, Poll):
            return self._poll(media)
        return ""

    def _generic(self, d: _MediaData) -> str:
        """``pushGenericMedia``: icon/thumb, title, description, status."""
        c = self._ctx
        out = c.div("media_wrap clearfix")
        if not d.link:
            out += c.div("media clearfix pull_left " + d.classes)
        else:
            # Local links are relative to the page (``relativePath``: "" for a single-chat export).
            out += c.push("a", {"class": "media clearfix pull_left block_link " + d.classes, "href": d.link})
        if not d.thumb:
            out += c.div("fill pull_left") + c.pop()
        else:
            out += c.push("img", {"class": "thumb pull_left", "src": d.thumb}, empty=True)
        out += c.div("body")
        if d.title:
            out += c.div("title bold") + html_escape(d.title) + c.pop()
        if d.description:
            out += c.div("description") + html_escape(d.description) + c.pop()
        if d.status:
            out += c.div("status details") + html_escape(d.status) + c.pop()
        return out + c.pop() + c.pop() + c.pop()

    def _write_thumb(self, large: str, box: int, fmt: str | None) -> tuple[str, tuple[int, int]]:
        """``WriteImageThumb``: scale a downloaded image into ``box`` and save it next to it."""
        src = self.root / large
        try:
            with Image.open(src) as img:
                size = thumb_size(img.width, img.height, box, box)
                if not size[0]:
                    return "", (0, 0)
                thumb = img.convert("RGBA" if fmt == "PNG" else "RGB").resize(size, Image.Resampling.BILINEAR)
                rel = thumb_path(large)
                thumb.save(self.root / rel, fmt or (img.format or "JPEG"), **({} if fmt else {"quality": 75}))
                return rel, size
        except OSError:
            return "", (0, 0)

    def _photo(self, p: Photo) -> str:
        c = self._ctx
        thumb, size = ("", (0, 0)) if p.file.skip else self._write_thumb(p.file.path, 520, None)
        if not thumb:
            status = f"{p.width}\u00d7{p.height}"
            d = _MediaData(
                title="Photo", classes="media_photo", description=_NO_FILE.get(p.file.skip or "", "")
            )
            if p.file.skip:
                status += ", " + format_size(p.file.size)
            else:
                d.link = p.file.path
            d.status = status
            return self._generic(d)
        out = c.div("media_wrap clearfix")
        out += c.push("a", {"class": "photo_wrap clearfix pull_left", "href": p.file.path})
        out += c.push(
            "img",
            {"class": "photo", "src": thumb, "style": f"width: {size[0] // 2}px; height: {size[1] // 2}px"},
            empty=True,
        )
        return out + c.pop() + c.pop()

    def _document(self, doc: Document) -> str:
        c = self._ctx
        has_file = doc.file.skip is None
        desc = _NO_FILE.get(doc.file.skip or "", "")
        mt = doc.media_type
        if mt == "sticker":
            thumb, size = self._write_thumb(doc.file.path, 384, "PNG") if has_file else ("", (0, 0))
            if not thumb:
                status = doc.sticker_emoji
                if not has_file:
                    status = (status + ", " if status else "") + format_size(doc.file.size)
                return self._generic(
                    _MediaData(
                        title="Sticker",
                        status=status,
                        description=desc,
                        classes="media_photo",
                        link=doc.file.path if has_file else "",
                    )
                )
            out = c.div("media_wrap clearfix")
            out += c.push("a", {"class": "sticker_wrap clearfix pull_left", "href": doc.file.path})
            out += c.push(
                "img",
                {
                    "class": "sticker",
                    "src": thumb,
                    "style": f"width: {size[0] // 2}px; height: {size[1] // 2}px",
                },
                empty=True,
            )
            return out + c.pop() + c.pop()
        if mt in ("video_message", "voice_message"):
            status = format_duration(doc.duration) + ("" if has_file else ", " + format_size(doc.file.size))
            if mt == "video_message":
                thumb = doc.thumb.path if doc.thumb is not None and doc.thumb.skip is None else ""
                return self._generic(
                    _MediaData(
                        title="Video message",
                        status=status,
                        description=desc,
                        classes="media_video",
                        thumb=thumb,
                        link=doc.file.path,
                    )
                )
            return self._generic(
                _MediaData(
                    title="Voice message",
                    status=status,
                    description=desc,
                    classes="media_voice_message",
                    link=doc.file.path,
                )
            )
        if mt in ("animation", "video_file"):
            tw, th = thumb_size(doc.width, doc.height, 520, 520, retina=True)
            thumb = doc.thumb.path if doc.thumb is not None and doc.thumb.skip is None else ""
            if not thumb or not has_file or not tw:
                if mt == "animation":
                    d = _MediaData(
                        title="Animation",
                        status=format_size(doc.file.size),
                        link=doc.file.path,
                        description=desc,
                        classes="media_video",
                    )
                else:
                    d = _MediaData(
                        title="Video file",
                        status=format_duration(doc.duration),
                        description=desc,
                        classes="media_video",
                    )
                    if has_file:
                        d.link = doc.file.path
                    else:
                        d.status += ", " + format_size(doc.file.size)
                return self._generic(d)
            out = c.div("media_wrap clearfix")
            wrap_cls = "animated_wrap" if mt == "animation" else "video_file_wrap"
            out += c.push("a", {"class": f"{wrap_cls} clearfix pull_left", "href": doc.file.path})
            out += c.div("video_play_bg")
            if mt == "animation":
                out += c.div("gif_play") + "GIF" + c.pop() + c.pop()
            else:
                out += c.div("video_play") + c.pop() + c.pop()
                out += c.div("video_duration") + format_duration(doc.duration) + c.pop()
            out += c.push(
                "img",
                {
                    "class": "animated" if mt == "animation" else "video_file",
                    "src": thumb,
                    "style": f"width: {tw // 2}px; height: {th // 2}px",
                },
                empty=True,
            )
            return out + c.pop() + c.pop()
        if mt == "audio_file":
            title = f"{doc.performer} \u2013 {doc.title}" if doc.performer and doc.title else "Audio file"
            status = format_duration(doc.duration) + ("" if has_file else ", " + format_size(doc.file.size))
            return self._generic(
                _MediaData(
                    title=title,
                    status=status,
                    description=desc,
                    classes="media_audio_file",
                    link=doc.file.path,
                )
            )
        return self._generic(
            _MediaData(
                title=doc.name or "File",
                status=format_size(doc.file.size),
                description=desc,
                classes="media_file",
                link=doc.file.path,
            )
        )

    def _poll(self, p: Poll) -> str:
        c = self._ctx

        def votes(n: int) -> str:
            return f"{n} votes" if n > 1 else ("1 vote" if n == 1 else "No votes")

        out = c.div("media_wrap clearfix") + c.div("media_poll")
        out += c.div("question bold") + html_escape(p.question) + c.pop()
        out += c.div("details") + ("Final results" if p.closed else "Anonymous poll") + c.pop()
        for a in p.answers:
            detail = ""
            if a.voters:
                detail = (
                    f' <span class="details">{votes(a.voters)}{", chosen vote" if a.chosen else ""}</span>'
                )
            out += c.div("answer") + "- " + html_escape(a.text) + detail + c.pop()
        out += c.div("total details\t") + votes(p.total_voters) + c.pop()
        return out + c.pop() + c.pop()


def format_text(parts: Iterable[Part]) -> str:
    """``FormatText``: entities as HTML (links, ``<strong>``, hashtag ``onclick``...)."""
    out: list[str] = []
    for p in parts:
        text = html_escape(p.text)
        t = p.type
        if t in ("plain", "unknown", "bank_card"):
            out.append(text)
        elif t == "mention":
            out.append(f'<a href="{INTERNAL_LINKS}{text[1:]}">{text}</a>')
        elif t in ("hashtag", "bot_command", "cashtag"):
            fn = {"hashtag": "ShowHashtag", "bot_command": "ShowBotCommand", "cashtag": "ShowCashtag"}[t]
            arg = html_escape('"' + text[1:] + '"')
            out.append(f'<a href="" onclick="return {fn}({arg})">{text}</a>')
        elif t == "link":
            out.append(f'<a href="{text}">{text}</a>')
        elif t == "email":
            out.append(f'<a href="mailto:{text}">{text}</a>')
        elif t == "phone":
            out.append(f'<a href="tel:{text}">{text}</a>')
        elif t == "text_link":
            out.append(f'<a href="{html_escape(str(p.extra or ""))}">{text}</a>')
        elif t == "mention_name":
            out.append(f'<a href="" onclick="return ShowMentionName()">{text}</a>')
        elif t == "bold":
            out.append(f"<strong>{text}</strong>")
        elif t == "italic":
            out.append(f"<em>{text}</em>")
        elif t == "code":
            out.append(f"<code>{text}</code>")
        elif t == "pre":
            out.append(f"<pre>{text}</pre>")
        elif t == "underline":
            out.append(f"<u>{text}</u>")
        elif t == "strikethrough":
            out.append(f"<s>{text}</s>")
        elif t == "blockquote":
            out.append(f"<blockquote>{text}</blockquote>")
        elif t == "spoiler":
            out.append(
                '<span class="spoiler hidden" onclick="ShowSpoiler(this)">'
                f'<span aria-hidden="true">{text}</span></span>'
            )
        else:
            out.append(text)
    return "".join(out)
