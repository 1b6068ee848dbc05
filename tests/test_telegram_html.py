"""Telegram Desktop HTML export reader, on pages written the way tdesktop's HtmlWriter writes them.

The fixtures are built by :class:`Writer`, a copy of the writer's tag context
(``HtmlContext::pushTag``/``popTag`` in ``export_output_html.cpp``): block tags on their own line,
indented one space per level, a blank line between tags. All text is neutral and synthetic.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import select, update

from veilleur.case import Case
from veilleur.errors import BadInput
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.ingest.writer import name_only_key
from veilleur.model.records import (
    ChatRecord,
    ExporterRecord,
    ExportInfo,
    MessageRecord,
    Notice,
    PeerRef,
    Repair,
    SourceRecord,
)
from veilleur.sources.container import DirectoryContainer, open_container
from veilleur.sources.telegram_html import read_html_export
from veilleur.store.schema import accounts, chats
from veilleur.store.schema import messages as message_rows

# ---------------------------------------------------------------------------------------------
# A minimal tdesktop HtmlWriter.


class Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def indent(self) -> str:
        return " " * len(self.stack)

    def push(
        self, tag: str, attrs: dict[str, str] | None = None, *, inline: bool = False, empty: bool = False
    ) -> Writer:
        inner = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in (attrs or {}).items())
        text = f"<{tag}{inner}{'/' if empty else ''}>"
        self.out.append(text if inline else f"\n{self.indent()}{text}\n")
        if not empty:
            self.stack.append((tag, not inline))
        return self

    def div(self, cls: str, **attrs: str) -> Writer:
        return self.push("div", {"class": cls, **attrs})

    def pop(self) -> Writer:
        tag, block = self.stack.pop()
        self.out.append(f"\n{self.indent()}</{tag}>\n" if block else f"</{tag}>")
        return self

    def raw(self, html: str) -> Writer:
        self.out.append(html)
        return self

    def leaf(self, cls: str, html: str, **attrs: str) -> Writer:
        return self.div(cls, **attrs).raw(html).pop()

    def userpic(self, initials: str, color: int = 1) -> Writer:
        self.div(f"userpic userpic{color}", style="width: 42px; height: 42px")
        self.leaf("initials", initials, style="line-height: 42px")
        return self.pop()

    def text(self) -> str:
        return "".join(self.out)


Block = Callable[[Writer], object]


def page(
    title: str,
    blocks: Iterable[Block],
    *,
    base: str = "",
    back: str | None = None,
    previous: str | None = None,
    next_page: str | None = None,
) -> str:
    w = Writer()
    w.raw("<!DOCTYPE html>").push("html").push("head")
    w.push("meta", {"charset": "utf-8"}, empty=True)
    w.push("title", inline=True).raw("Exported Data").pop()
    w.push("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1.0"}, empty=True)
    w.push("link", {"href": base + "css/style.css", "rel": "stylesheet"}, empty=True)
    w.push("script", {"src": base + "js/script.js", "type": "text/javascript"}).pop()
    w.pop()
    w.push("body", {"onload": "CheckLocation();"}).div("page_wrap")
    w.div("page_header")
    if back:
        w.push("a", {"class": "content block_link", "href": back, "onclick": "return GoBack(this)"})
    else:
        w.div("content")
    w.leaf("text bold", escape(title)).pop().pop()
    w.div("page_body chat_page").div("history")
    if previous:
        w.push("a", {"class": "pagination block_link", "href": previous}).raw("Previous messages").pop()
    for block in blocks:
        block(w)
    if next_page:
        w.push("a", {"class": "pagination block_link", "href": next_page}).raw("Next messages").pop()
    while w.stack:
        w.pop()
    return w.text()


def date_sep(ident: int, day: str) -> Block:
    def block(w: Writer) -> None:
        w.div("message service", id=f"message{ident}").leaf("body details", day).pop()

    return block


def service(ident: int, html: str, *, photo: str | None = None) -> Block:
    def block(w: Writer) -> None:
        w.div("message service", id=f"message{ident}").leaf("body details", html)
        if photo:
            w.div("userpic_wrap").push("a", {"class": "userpic_link", "href": photo})
            w.push("img", {"class": "userpic", "src": photo + "_thumb.jpg"}, empty=True).pop().pop()
        w.pop()

    return block


def message(
    ident: int,
    title: str,
    *,
    sender: str | None = None,
    text: str | None = None,
    forward: tuple[str, str] | None = None,
    reply: str | None = None,
    media: Block | None = None,
    signature: str | None = None,
    reactions: list[tuple[str, int]] | None = None,
) -> Block:
    """A ``message default``; no ``sender`` makes it a joined message, as the writer does."""

    def block(w: Writer) -> None:
        cls = "message default clearfix" + ("" if sender else " joined")
        w.div(cls, id=f"message{ident}")
        if sender:
            w.div("pull_left userpic_wrap").userpic(sender[:1]).pop()
        w.div("body")
        w.leaf("pull_right date details", title[11:16], title=title)
        if sender:
            w.leaf("from_name", escape(sender))
        if forward:
            w.div("pull_left forwarded userpic_wrap").userpic(forward[0][:1], 3).pop()
            w.div("forwarded body").div("from_name").raw(escape(forward[0]))
            w.push("span", {"class": "date details", "title": forward[1]}, inline=True)
            w.raw(" " + forward[1][:16]).pop().pop()
        if reply:
            w.div("reply_to details").raw(reply).pop()
        if media:
            media(w)
        if text is not None:
            w.leaf("text", text)
        if signature:
            w.leaf("signature details", escape(signature))
        if forward:
            w.pop()
        if reactions:
            w.push("span", {"class": "reactions"})
            for emoji, count in reactions:
                w.push("span", {"class": "reaction"})
                w.push("span", {"class": "emoji"}).raw(emoji).pop()
                w.push("span", {"class": "count"}).raw(str(count)).pop()
                w.pop()
            w.pop()
        w.pop().pop()

    return block


def photo(path: str) -> Block:
    def block(w: Writer) -> None:
        w.div("media_wrap clearfix").push("a", {"class": "photo_wrap clearfix pull_left", "href": path})
        w.push(
            "img",
            {"class": "photo", "src": path + "_thumb.jpg", "style": "width: 260px; height: 195px"},
            empty=True,
        )
        w.pop().pop()

    return block


def generic(
    classes: str, title: str, *, status: str = "", description: str = "", link: str | None = None
) -> Block:
    def block(w: Writer) -> None:
        w.div("media_wrap clearfix")
        if link:
            w.push("a", {"class": "media clearfix pull_left block_link " + classes, "href": link})
        else:
            w.div("media clearfix pull_left " + classes)
        w.div("fill pull_left").pop()
        w.div("body").leaf("title bold", escape(title))
        if description:
            w.leaf("description", escape(description))
        if status:
            w.leaf("status details", escape(status))
        w.pop().pop().pop()

    return block


def poll() -> Block:
    def block(w: Writer) -> None:
        w.div("media_wrap clearfix").div("media_poll")
        w.leaf("question bold", "Which day suits the meeting?")
        w.leaf("details", "Anonymous poll")
        w.leaf("answer", '- Monday <span class="details">2 votes, chosen vote</span>')
        w.leaf("answer", '- Tuesday <span class="details">1 vote</span>')
        w.leaf("answer", "- Friday")
        w.leaf("total details\t", "3 votes")
        w.pop().pop()

    return block


T1 = "19.08.2022 21:04:35 UTC+03:00"
T2 = "19.08.2022 21:06:10 UTC+03:00"
T3 = "20.08.2022 09:00:00 UTC+03:00"
T4 = "20.08.2022 09:01:00 UTC+03:00"


def epoch(y: int, mo: int, d: int, h: int, mi: int, s: int, tz: timezone = UTC) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=tz).timestamp())


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def read(
    root: Path, *, utc_offset: timezone | None = None, chat_refs: dict[str, PeerRef] | None = None
) -> list[SourceRecord]:
    return list(read_html_export(DirectoryContainer(root), utc_offset=utc_offset, chat_refs=chat_refs))


def messages(records: list[SourceRecord]) -> dict[int, MessageRecord]:
    return {r.message_id: r for r in records if isinstance(r, MessageRecord)}


# ---------------------------------------------------------------------------------------------
# A single-chat export on three pages.


def single_chat_files() -> dict[str, str | bytes]:
    page1 = page(
        "Garden Club ",
        [
            date_sep(-1, "19 August 2022"),
            service(1, "Ann Lee created group &laquo;Garden Club&raquo; with members Bob Ray and Cy Oak"),
            message(2, T1, sender="Ann Lee", text="Hello <strong>all</strong>,<br>welcome!"),
            message(3, T2, text="Second line from Ann"),
            service(4, "Ann Lee invited Dee Fox, Eve Gum and Fay Hill"),
            message(5, T2, text="joined after a service: no sender to carry"),
            service(6, "Gus Ivy joined group by link from Ann Lee"),
            service(
                7, 'Ann Lee pinned <a href="#go_to_message2" onclick="return GoToMessage(2)">this message</a>'
            ),
            service(8, "Ann Lee removed Bob Ray"),
            service(9, "Ann Lee changed group title to &laquo;Garden Club 2&raquo;"),
            service(10, "Ann Lee converted a basic group to this supergroup &laquo;Garden Club&raquo;"),
            service(11, "Something new happened"),
            service(12, "Ann Lee changed group photo", photo="photos/photo_1@19-08-2022_21-10-00.jpg"),
        ],
        next_page="messages2.html",
    )
    page2 = page(
        "Garden Club ",
        [
            date_sep(-2, "20 August 2022"),
            message(
                1001,
                T3,
                sender="Bob Ray",
                text="Page two",
                reply='In reply to <a href="#go_to_message1002" onclick="return GoToMessage(1002)">'
                "this message</a>",
            ),
            message(
                1002,
                T4,
                text="Joined on page two",
                reply='In reply to <a href="messages.html#go_to_message2">this message</a>',
            ),
            message(
                1003, T4, sender="Cy Oak", text="elsewhere", reply="In reply to a message in another chat"
            ),
        ],
        previous="messages.html",
        next_page="messages3.html",
    )
    page10 = page(
        "Garden Club ",
        [message(9001, "21.08.2022 10:00:00 UTC+03:00", sender="Ann Lee", text="last page")],
        previous="messages9.html",
    )
    return {
        "messages.html": page1,
        "messages2.html": page2,
        "messages10.html": page10,
        "css/style.css": "body{}",
        "js/script.js": "",
    }


def test_single_chat_order_senders_and_services(tmp_path: Path) -> None:
    records = read(write(tmp_path, single_chat_files()))
    assert isinstance(records[0], ExportInfo)
    assert (records[0].layout, records[0].format) == ("single_chat", "html")
    chat = records[1]
    assert isinstance(chat, ChatRecord)
    assert chat.name == "Garden Club"
    assert chat.ref == PeerRef(None, None, "Garden Club")
    assert (chat.type, chat.coverage, chat.section) == ("unknown", "all", None)
    assert chat.position.file == "messages.html"

    msgs = [r for r in records if isinstance(r, MessageRecord)]
    # Numeric page order (messages10.html after messages2.html), date separators skipped.
    assert [m.message_id for m in msgs] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1001, 1002, 1003, 9001]
    assert [m.position.index for m in msgs] == list(range(len(msgs)))
    assert msgs[-1].position.page == "messages10.html"
    assert all(m.chat == chat.ref for m in msgs)

    by_id = messages(records)
    assert by_id[2].sender == PeerRef(None, None, "Ann Lee")
    assert by_id[2].text == "Hello all,\nwelcome!"
    assert by_id[3].sender == PeerRef(None, None, "Ann Lee")  # joined: carried forward
    assert by_id[3].details["sender_carried"] is True
    assert by_id[5].sender is None  # the carry is reset by the service message before it
    assert any(isinstance(r, Notice) and r.code == "html_joined_without_sender" for r in records)
    assert by_id[1002].sender == PeerRef(None, None, "Bob Ray")

    create = by_id[1]
    assert (create.kind, create.action) == ("service", "create_group")
    assert create.sender == PeerRef(None, None, "Ann Lee")
    assert create.text == "Ann Lee created group «Garden Club» with members Bob Ray and Cy Oak"
    assert create.details["title"] == "Garden Club"
    assert create.details["members"] == ["Bob Ray", "Cy Oak"]
    assert create.details["day"] == "19 August 2022"
    assert create.date_utc is None
    assert by_id[4].action == "invite_members"
    assert by_id[4].details["members"] == ["Dee Fox", "Eve Gum", "Fay Hill"]
    assert by_id[6].action == "join_group_by_link"
    assert by_id[6].sender == PeerRef(None, None, "Gus Ivy")
    assert by_id[6].details["inviter"] == "Ann Lee"
    assert by_id[7].action == "pin_message"
    assert by_id[7].details["message_id"] == 2
    assert (by_id[8].action, by_id[8].details["members"]) == ("remove_members", ["Bob Ray"])
    assert (by_id[9].action, by_id[9].details["title"]) == ("edit_group_title", "Garden Club 2")
    assert by_id[10].action == "migrate_from_group"
    assert (by_id[11].action, by_id[11].sender) == ("html_service", None)
    assert by_id[12].action == "edit_group_photo"
    assert by_id[12].media[0].path == "photos/photo_1@19-08-2022_21-10-00.jpg"


def test_times_replies(tmp_path: Path) -> None:
    by_id = messages(read(write(tmp_path, single_chat_files())))
    m2 = by_id[2]
    assert m2.date_utc == epoch(2022, 8, 19, 18, 4, 35)
    assert (m2.time_basis, m2.date_local) == ("html_offset", T1)
    assert by_id[1001].reply_to_message_id == 1002
    assert by_id[1002].reply_to_message_id == 2
    assert by_id[1002].details["reply_to_page"] == "messages.html"
    assert by_id[1003].reply_to_message_id is None
    assert by_id[1003].details["reply_cross_chat"] is True


@pytest.mark.parametrize(
    ("offset", "basis", "expected"),
    [
        (None, "local_unknown_offset", epoch(2019, 3, 2, 7, 5, 9)),
        (timezone(timedelta(hours=2)), "local_with_offset", epoch(2019, 3, 2, 5, 5, 9)),
    ],
)
def test_titles_without_utc_offset(
    tmp_path: Path, offset: timezone | None, basis: str, expected: int
) -> None:
    html = page("Old Chat", [message(1, "02.03.2019 07:05:09", sender="Ann Lee", text="old")])
    by_id = messages(read(write(tmp_path, {"messages.html": html}), utc_offset=offset))
    assert (by_id[1].date_utc, by_id[1].time_basis) == (expected, basis)
    assert by_id[1].date_local == "02.03.2019 07:05:09"


def test_offset_in_title_wins_over_analyst_offset(tmp_path: Path) -> None:
    html = page("Chat", [message(1, "02.03.2023 07:05:09 UTC-05:30", sender="Ann Lee", text="x")])
    by_id = messages(read(write(tmp_path, {"messages.html": html}), utc_offset=timezone(timedelta(hours=9))))
    assert by_id[1].date_utc == epoch(2023, 3, 2, 12, 35, 9)
    assert by_id[1].time_basis == "html_offset"


def test_byte_offsets_and_raw(tmp_path: Path) -> None:
    files = single_chat_files()
    records = read(write(tmp_path, files))
    for m in messages(records).values():
        data = (tmp_path / m.position.file).read_bytes()
        assert m.position.byte_offset is not None
        assert data[m.position.byte_offset :].startswith(b'<div class="message')
        assert data[m.position.byte_offset : m.position.byte_offset + len(m.raw)] == m.raw
        assert f'id="message{m.message_id}"'.encode() in m.raw[:80]
        assert m.raw.endswith(b"</div>")
        assert m.raw.count(b"<div") == m.raw.count(b"</div>")


# ---------------------------------------------------------------------------------------------
# Text, entities, forwards, media.


def test_entities_offsets(tmp_path: Path) -> None:
    text_html = (
        "Plan: <strong>bold</strong> and <em>it</em> see "
        '<a href="https://example.org/a">https://example.org/a</a> or '
        '<a href="https://example.org/doc">the doc</a> '
        '<a href="" onclick="return ShowHashtag(&quot;garden&quot;)">#garden</a> '
        '<a href="https://t.me/annlee">@annlee</a> '
        '<a href="" onclick="return ShowMentionName()">Bob Ray</a><br>'
        '<a href="mailto:club@example.org">club@example.org</a> '
        '<a href="tel:+15550100">+15550100</a> <code>x=1</code> '
        "<pre>print()</pre> "
        '<span class="spoiler hidden" onclick="ShowSpoiler(this)">'
        '<span aria-hidden="true">secret</span></span>'
        " caf\u00e9 \U0001f331 &amp; &lt;end&gt;"
    )
    by_id = messages(
        read(
            write(
                tmp_path, {"messages.html": page("Chat", [message(1, T1, sender="Ann Lee", text=text_html)])}
            )
        )
    )
    m = by_id[1]
    assert m.text.startswith(
        "Plan: bold and it see https://example.org/a or the doc #garden @annlee Bob Ray\n"
    )
    assert m.text.endswith("secret café \U0001f331 & <end>")
    got = {(e.type, e.text) for e in m.entities}
    assert got == {
        ("bold", "bold"),
        ("italic", "it"),
        ("link", "https://example.org/a"),
        ("text_link", "the doc"),
        ("hashtag", "#garden"),
        ("mention", "@annlee"),
        ("mention_name", "Bob Ray"),
        ("email", "club@example.org"),
        ("phone", "+15550100"),
        ("code", "x=1"),
        ("pre", "print()"),
        ("spoiler", "secret"),
    }
    for e in m.entities:
        assert m.text[e.offset : e.offset + e.length] == e.text
    link = next(e for e in m.entities if e.type == "text_link")
    assert link.href == "https://example.org/doc"
    assert next(e for e in m.entities if e.type == "mention_name").user_id is None


def test_forward_via_signature_reactions(tmp_path: Path) -> None:
    html = page(
        "News Channel",
        [
            message(1, T1, sender="Ann Lee via @helperbot", text="from a bot"),
            message(
                2,
                T2,
                sender="Ann Lee",
                forward=("Zed Poe", "18.08.2022 10:00:00 UTC+03:00"),
                text="forwarded words",
                media=photo("photos/photo_2@18-08-2022_10-00-00.jpg"),
                signature="Desk Editor",
                reactions=[("👍", 3), ("❤", 1)],
            ),
        ],
    )
    by_id = messages(read(write(tmp_path, {"messages.html": html})))
    assert by_id[1].sender == PeerRef(None, None, "Ann Lee")
    assert by_id[1].via_bot == "@helperbot"
    fwd = by_id[2]
    assert fwd.forwarded_from == "Zed Poe"
    assert fwd.details["forwarded_date"] == "18.08.2022 10:00:00 UTC+03:00"
    assert fwd.details["forwarded_date_utc"] == epoch(2022, 8, 18, 7, 0, 0)
    assert fwd.text == "forwarded words"
    assert fwd.sender == PeerRef(None, None, "Ann Lee")
    assert [m.path for m in fwd.media if m.role == "photo"] == ["photos/photo_2@18-08-2022_10-00-00.jpg"]
    assert fwd.author == "Desk Editor"
    assert [(r.emoji, r.count) for r in fwd.reactions] == [("👍", 3), ("❤", 1)]


def test_media_present_and_placeholders(tmp_path: Path) -> None:
    not_included = "Not included, change data exporting settings to download."
    too_big = "Exceeds maximum size, change data exporting settings to download."
    html = page(
        "Chat",
        [
            message(
                1, T1, sender="Ann Lee", media=photo("photos/photo_1@19-08-2022_21-04-35.jpg"), text="pic"
            ),
            message(2, T1, media=generic("media_file", "notes.pdf", status="1.2 MB", link="files/notes.pdf")),
            message(
                3,
                T1,
                media=generic("media_video", "Video file", status="01:05, 12.0 MB", description=not_included),
            ),
            message(
                4,
                T1,
                media=generic(
                    "media_voice_message", "Voice message", status="00:07, 20.1 KB", description=too_big
                ),
            ),
            message(
                5,
                T1,
                media=generic(
                    "media_photo",
                    "Photo",
                    status="1280×720, 250.3 KB",
                    description="Unavailable, please try again later.",
                ),
            ),
            message(
                6,
                T1,
                media=generic(
                    "media_contact", "Bob Ray", status="+1 555 0100 - vCard", link="contacts/contact_1.vcard"
                ),
            ),
            message(
                7,
                T1,
                media=generic(
                    "media_location",
                    "Location",
                    status="48.8584, 2.2945",
                    link="https://maps.google.com/maps?q=48.8584,2.2945&ll=48.8584,2.2945&z=16",
                ),
            ),
            message(8, T1, media=poll()),
            message(
                9,
                T1,
                media=generic(
                    "media_audio_file", "Some Band – Some Song", status="03:21", link="files/song.mp3"
                ),
            ),
            message(
                10,
                T1,
                media=generic(
                    "media_photo", "Self-destructing photo", status="Please view it on your mobile"
                ),
            ),
            message(11, T1, media=generic("media_call", "Bob Ray", status="Outgoing (65 seconds)")),
        ],
    )
    by_id = messages(read(write(tmp_path, {"messages.html": html})))
    p = by_id[1].media[0]
    assert (p.role, p.path, p.placeholder) == ("photo", "photos/photo_1@19-08-2022_21-04-35.jpg", None)
    assert by_id[1].media[1].role == "thumbnail"
    f = by_id[2].media[0]
    assert (f.role, f.path, f.file_name, f.placeholder) == ("file", "files/notes.pdf", "notes.pdf", None)
    v = by_id[3].media[0]
    assert (v.path, v.placeholder, v.media_type, v.duration_seconds) == (
        None,
        "not_included",
        "video_file",
        65,
    )
    assert v.placeholder_text == not_included
    a = by_id[4].media[0]
    assert (a.path, a.placeholder, a.media_type) == (None, "exceeds_max_size", "voice_message")
    ph = by_id[5].media[0]
    assert (ph.role, ph.path, ph.placeholder, ph.width, ph.height) == (
        "photo",
        None,
        "unavailable",
        1280,
        720,
    )
    assert by_id[6].details["contact"] == {"name": "Bob Ray", "phone_number": "+1 555 0100"}
    assert by_id[6].media[0].path == "contacts/contact_1.vcard"
    assert by_id[7].details["location"] == {"latitude": 48.8584, "longitude": 2.2945}
    assert by_id[7].media == []
    assert by_id[8].details["poll"] == {
        "question": "Which day suits the meeting?",
        "closed": False,
        "total_voters": 3,
        "answers": [
            {"text": "Monday", "voters": 2, "chosen": True},
            {"text": "Tuesday", "voters": 1, "chosen": False},
            {"text": "Friday", "voters": 0, "chosen": False},
        ],
    }
    song = by_id[9]
    assert (song.media[0].media_type, song.media[0].path) == ("audio_file", "files/song.mp3")
    assert song.details["audio"] == {"performer": "Some Band", "title": "Some Song"}
    assert by_id[10].media[0].placeholder == "unavailable"
    call = by_id[11]
    assert (call.kind, call.action, call.details["duration_seconds"]) == ("service", "phone_call", 65)
    # Joined messages 2..11 all carry Ann Lee.
    assert {by_id[i].sender for i in range(2, 11)} == {PeerRef(None, None, "Ann Lee")}


def test_migrated_history_is_kept_and_chat_ref_applied(tmp_path: Path) -> None:
    html = page(
        "Old Group",
        [
            date_sep(-1, "1 May 2019"),
            message(-999999990, "01.05.2019 10:00:00", sender="Ann Lee", text="before migration"),
            date_sep(-2, "2 May 2019"),
            message(1, "02.05.2019 10:00:00", sender="Ann Lee", text="after"),
        ],
    )
    ref = PeerRef("channel", 1234567, "Old Group")
    records = read(write(tmp_path, {"messages.html": html}), chat_refs={"": ref})
    chat = next(r for r in records if isinstance(r, ChatRecord))
    assert chat.ref == ref
    msgs = list(messages(records).values())
    assert [(m.message_id, m.migrated) for m in msgs] == [(-999999990, True), (1, False)]
    assert all(m.chat == ref for m in msgs)


def test_chat_ref_without_name_gets_title_and_basic_group_type(tmp_path: Path) -> None:
    html = page("Small Group", [message(1, T1, sender="Ann Lee", text="hi")])
    records = read(write(tmp_path, {"messages.html": html}), chat_refs={"": PeerRef("chat", 77)})
    chat = next(r for r in records if isinstance(r, ChatRecord))
    assert chat.ref == PeerRef("chat", 77, "Small Group")
    assert chat.type == "private_group"


# ---------------------------------------------------------------------------------------------
# Full-account export.


def list_page(
    title: str, about: str, entries: list[dict[str, str]], sections: list[str] | None = None
) -> str:
    w = Writer()
    w.raw("<!DOCTYPE html>").push("html").push("head").push("meta", {"charset": "utf-8"}, empty=True)
    w.push("title", inline=True).raw("Exported Data").pop().pop()
    w.push("body", {"onload": "CheckLocation();"}).div("page_wrap").div("page_header")
    w.push("a", {"class": "content block_link", "href": "../export_results.html"})
    w.leaf("text bold", title).pop().pop()
    w.div("page_body list_page")
    groups = sections or [about]
    per = {s: [e for e in entries if e.get("group", groups[0]) == s] for s in groups}
    for about_text, items in per.items():
        w.leaf("page_about details", about_text).div("entry_list")
        for e in items:
            if "link" in e:
                w.push("a", {"class": "entry block_link clearfix", "href": e["link"] + "#allow_back"})
            else:
                w.div("entry clearfix")
            w.div("pull_left userpic_wrap").userpic(e["name"][:1]).pop()
            w.div("body")
            if "info" in e:
                w.leaf("pull_right info details", escape(e["info"]))
            w.leaf("name bold", escape(e["name"]))
            if "subname" in e:
                w.leaf("subname bold", escape(e["subname"]))
            for d in e.get("details", "").split("|"):
                if d:
                    w.leaf("details_entry details", escape(d))
            w.pop().pop()
        w.pop()
    while w.stack:
        w.pop()
    return w.text()


def full_export_files() -> dict[str, str | bytes]:
    w = Writer()
    w.raw("<!DOCTYPE html>").push("html").push("head").push("meta", {"charset": "utf-8"}, empty=True).pop()
    w.push("body").div("page_wrap").div("page_header").div("content").leaf("text bold", "Exported Data")
    w.pop().pop().div("page_body").div("personal_info clearfix")
    for label, value in (("First name", "Ann"), ("Last name", "Lee"), ("Phone number", "+1 555 0199")):
        w.div("rows").div("row").leaf("label details", label).leaf("value bold", value).pop().pop()
    while w.stack:
        w.pop()
    results = w.text()
    chats = list_page(
        "Chats",
        "",
        [
            {
                "name": "Bob Ray",
                "info": "private",
                "details": "2 messages",
                "link": "../chats/chat_01/messages.html",
                "group": "This page lists all chats from this export.",
            },
            {
                "name": "Garden Club",
                "info": "group",
                "details": "1 outgoing message",
                "link": "../chats/chat_02/messages.html",
                "group": "This page lists all chats from this export.",
            },
            {
                "name": "Quiet Channel",
                "info": "channel",
                "details": "No outgoing messages",
                "group": "This page lists all supergroups and channels from this export that you've left.",
            },
        ],
        sections=[
            "This page lists all chats from this export.",
            "This page lists all supergroups and channels from this export that you've left.",
        ],
    )
    contacts = list_page(
        "Contacts",
        "Contacts we imported",
        [
            {"name": "Bob Ray", "details": "+1 555 0100", "info": "01.02.2022 10:00 UTC+00:00"},
            {"name": "Cy Oak", "details": "+1 555 0101", "info": "02.02.2022 11:00 UTC+00:00"},
        ],
    )
    sessions = list_page(
        "Sessions",
        "Active sessions",
        [
            {
                "name": "Telegram Desktop 4.0",
                "subname": "Laptop, Linux 6.1",
                "details": "192.0.2.10 – Region, Country|Last active: 19.08.2022 21:00 UTC+03:00|"
                "Created: 01.01.2022 09:00 UTC+03:00",
            },
        ],
    )
    chat1 = page(
        "Bob Ray",
        [
            date_sep(-1, "19 August 2022"),
            message(
                10,
                T1,
                sender="Bob Ray",
                text="hi Ann",
                media=photo("../../chats/chat_01/photos/photo_1@19-08-2022_21-04-35.jpg"),
            ),
            message(11, T2, sender="Ann Lee", text="hi Bob"),
        ],
        base="../../",
        back="../../lists/chats.html",
    )
    chat2 = page(
        "Garden Club",
        [
            date_sep(-1, "20 August 2022"),
            message(500, T3, sender="Ann Lee", text="my own message"),
        ],
        base="../../",
        back="../../lists/chats.html",
    )
    return {
        "export_results.html": results,
        "lists/chats.html": chats,
        "lists/contacts.html": contacts,
        "lists/sessions.html": sessions,
        "chats/chat_01/messages.html": chat1,
        "chats/chat_02/messages.html": chat2,
    }


def check_full(records: list[SourceRecord]) -> None:
    info = records[0]
    assert isinstance(info, ExportInfo)
    assert (info.layout, info.format) == ("full_account", "html")
    assert info.exporter == PeerRef(None, None, "Ann Lee")
    chats = [r for r in records if isinstance(r, ChatRecord)]
    assert [(c.name, c.type, c.coverage, c.section) for c in chats] == [
        ("Bob Ray", "personal_chat", "all", "chats"),
        ("Garden Club", "unknown", "own_messages_only", "chats"),
        ("Quiet Channel", "unknown", "own_messages_only", "left_chats"),
    ]
    assert chats[0].ref == PeerRef("user", 42, "Bob Ray")  # from chat_refs
    assert chats[1].ref == PeerRef(None, None, "Garden Club")
    # Each chat's messages follow its ChatRecord.
    order = [
        (type(r).__name__, getattr(r, "message_id", None))
        for r in records
        if isinstance(r, ChatRecord | MessageRecord)
    ]
    assert order == [
        ("ChatRecord", None),
        ("MessageRecord", 10),
        ("MessageRecord", 11),
        ("ChatRecord", None),
        ("MessageRecord", 500),
        ("ChatRecord", None),
    ]
    by_id = messages(records)
    assert by_id[10].chat == PeerRef("user", 42, "Bob Ray")
    assert by_id[10].position.file == "chats/chat_01/messages.html"
    assert by_id[10].media[0].path == "../../chats/chat_01/photos/photo_1@19-08-2022_21-04-35.jpg"
    assert by_id[500].position.page == "chats/chat_02/messages.html"
    exp = [r for r in records if isinstance(r, ExporterRecord)]
    personal = [e for e in exp if e.section == "personal_information"]
    assert personal[0].phone == "+1 555 0199"
    contacts = [e for e in exp if e.section == "contacts"]
    assert [(c.name, c.phone) for c in contacts] == [("Bob Ray", "+1 555 0100"), ("Cy Oak", "+1 555 0101")]
    assert contacts[0].date_utc == epoch(2022, 2, 1, 10, 0, 0)
    assert [c.position.index for c in contacts] == [0, 1]
    sessions = [e for e in exp if e.section == "sessions"]
    assert sessions[0].ip == "192.0.2.10"
    assert sessions[0].data["device"] == "Laptop, Linux 6.1"
    assert sessions[0].date_utc == epoch(2022, 8, 19, 18, 0, 0)


def test_full_account_folder(tmp_path: Path) -> None:
    root = write(tmp_path / "DataExport_2022-08-21", full_export_files())
    records = read(root, chat_refs={"chats/chat_01/": PeerRef("user", 42, "Bob Ray")})
    check_full(records)
    for e in records:
        if isinstance(e, ExporterRecord) and e.section == "contacts":
            assert e.position.byte_offset is not None
            data = (root / e.position.file).read_bytes()
            assert data[e.position.byte_offset :].startswith(b'<div class="entry clearfix"')


def test_full_account_zip(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel, content in full_export_files().items():
            zf.writestr("DataExport_2022-08-21/" + rel, content)
    container = open_container(archive)
    try:
        records = list(
            read_html_export(container, chat_refs={"chats/chat_01/": PeerRef("user", 42, "Bob Ray")})
        )
    finally:
        container.close()
    check_full(records)
    folder = read(
        write(tmp_path / "dir", full_export_files()),
        chat_refs={"chats/chat_01/": PeerRef("user", 42, "Bob Ray")},
    )
    assert [m.raw for m in messages(records).values()] == [m.raw for m in messages(folder).values()]


def test_single_chat_zip_matches_folder(tmp_path: Path) -> None:
    files = single_chat_files()
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel, content in files.items():
            zf.writestr("ChatExport_2022-08-21/" + rel, content)
    container = open_container(archive)
    try:
        zipped = list(read_html_export(container))
    finally:
        container.close()
    folder = read(write(tmp_path / "dir", files))
    assert [(m.message_id, m.position, m.raw) for m in messages(zipped).values()] == [
        (m.message_id, m.position, m.raw) for m in messages(folder).values()
    ]


# ---------------------------------------------------------------------------------------------
# Bad input.


def test_not_an_export_page(tmp_path: Path) -> None:
    write(tmp_path, {"messages.html": "<html><body><p>Just a web page</p></body></html>"})
    with pytest.raises(BadInput) as err:
        read(tmp_path)
    assert "messages.html" in str(err.value)
    assert "div.history" in str(err.value)


def test_binary_garbage_page(tmp_path: Path) -> None:
    good = single_chat_files()
    write(tmp_path, {**good, "messages2.html": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00"})
    with pytest.raises(BadInput) as err:
        read(tmp_path)
    assert "messages2.html" in str(err.value)


def test_empty_page(tmp_path: Path) -> None:
    write(tmp_path, {"messages.html": b""})
    with pytest.raises(BadInput) as err:
        read(tmp_path)
    assert "messages.html" in str(err.value)


def test_bad_message_id_names_file(tmp_path: Path) -> None:
    html = page("Chat", [message(1, T1, sender="Ann Lee", text="ok")]).replace(
        'id="message1"', 'id="messageX1"'
    )
    write(tmp_path, {"messages.html": html})
    with pytest.raises(BadInput) as err:
        read(tmp_path)
    assert "messages.html" in str(err.value)
    assert "messageX1" in str(err.value)


def test_no_export_at_all(tmp_path: Path) -> None:
    write(tmp_path, {"notes.txt": "nothing"})
    with pytest.raises(BadInput):
        read(tmp_path)


def test_invalid_utf8_is_repaired_and_logged(tmp_path: Path) -> None:
    html = page("Chat", [message(1, T1, sender="Ann Lee", text="caf\u00e9 BAD here")]).encode("utf-8")
    bad_at = html.index(b"BAD")
    data = html[:bad_at] + b"\xff\xfe" + html[bad_at + 3 :]
    write(tmp_path, {"messages.html": data})
    records = read(tmp_path)
    repairs = [r for r in records if isinstance(r, Repair)]
    assert [(r.file, r.byte_offset, r.kind) for r in repairs] == [("messages.html", bad_at, "invalid_utf8")]
    m = messages(records)[1]
    assert m.text == "café \ufffd\ufffd here"
    off = m.position.byte_offset
    assert off is not None
    assert m.raw == data[off : off + len(m.raw)]
    assert b"\xff\xfe" in m.raw


def test_forward_run_carries_forwarded_name(tmp_path: Path) -> None:
    """The writer leaves out the forwarded ``from_name`` for a run from the same original sender."""

    def joined_forward(w: Writer) -> None:
        w.div("message default clearfix joined", id="message3").div("body")
        w.leaf("pull_right date details", "21:06", title=T2)
        w.div("forwarded body")
        w.div("reply_to details").raw('In reply to <a href="#go_to_message1">this message</a>').pop()
        w.leaf("text", "second forwarded")
        w.pop().pop().pop()

    html = page(
        "Chat",
        [
            message(1, T1, sender="Ann Lee", text="first"),
            message(2, T2, sender="Ann Lee", forward=("Zed Poe", "18.08.2022 10:00:00"), text="fwd one"),
            joined_forward,
        ],
    )
    by_id = messages(read(write(tmp_path, {"messages.html": html})))
    assert by_id[2].details["forwarded_date"] == "18.08.2022 10:00:00"
    assert by_id[2].details["forwarded_time_basis"] == "local_unknown_offset"
    m3 = by_id[3]
    assert (m3.sender, m3.forwarded_from) == (PeerRef(None, None, "Ann Lee"), "Zed Poe")
    assert m3.details["forwarded_from_carried"] is True
    assert (m3.text, m3.reply_to_message_id) == ("second forwarded", 1)


# ---------------------------------------------------------------------------------------------
# Name-only accounts in the store: one prefix, scoped to their chat, found again by later imports


def _sender_keys(case: Case) -> dict[int, str]:
    with case.engine.connect() as conn:
        return dict(
            conn.execute(
                select(message_rows.c.message_id, accounts.c.key).join(
                    accounts, accounts.c.id == message_rows.c.sender_id
                )
            ).all()
        )


def test_name_only_keys_carry_one_prefix_and_their_chat(case: Case, tmp_path: Path) -> None:
    import_export(case, write(tmp_path / "ex", single_chat_files()), ImportOptions("tester"))
    with case.engine.connect() as conn:
        (chat_key,) = conn.execute(select(chats.c.key)).scalars().all()
        keys = set(conn.execute(select(accounts.c.key).where(accounts.c.identity == "name_only")).scalars())
    assert chat_key == "telegram:name:Garden Club"
    assert {'telegram:name:"Garden Club":Ann Lee', 'telegram:name:"Garden Club":Bob Ray'} <= keys
    assert all(k.count("telegram:") == 1 and k.startswith('telegram:name:"Garden Club":') for k in keys), keys
    senders = _sender_keys(case)
    assert senders[2] == senders[3] == 'telegram:name:"Garden Club":Ann Lee'  # a joined message
    assert senders[1003] == 'telegram:name:"Garden Club":Cy Oak'


def test_name_only_key_forms() -> None:
    assert name_only_key("telegram:channel:1712345678", "Théo") == "telegram:name:channel:1712345678:Théo"
    assert name_only_key("telegram:name:Famille", "Théo") == 'telegram:name:"Famille":Théo'
    assert name_only_key(None, "Théo") == "telegram:name:export:Théo"
    assert name_only_key('telegram:name:Les "amis" \\ co', "A") == 'telegram:name:"Les \\"amis\\" \\\\ co":A'
    # No title and name can make the key another chat gives its account.
    assert name_only_key("telegram:name:channel", "17:X") != name_only_key("telegram:channel:17", "X")
    assert name_only_key("telegram:name:a:b", "c") != name_only_key("telegram:name:a", "b:c")
    assert name_only_key('telegram:name:a":"b', "c") != name_only_key("telegram:name:a", 'b":c')


def test_a_case_with_the_old_doubled_keys_keeps_them_and_a_later_import_finds_them(
    case: Case, tmp_path: Path
) -> None:
    import_export(case, write(tmp_path / "first", single_chat_files()), ImportOptions("tester"))
    # The case as an earlier Veilleur left it: the chat's key repeated inside each account's.
    with case.engine.begin() as conn:
        for account_id, key in conn.execute(
            select(accounts.c.id, accounts.c.key).where(accounts.c.identity == "name_only")
        ).all():
            name = key.split('":', 1)[1]
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(key=f"telegram:name:telegram:name:Garden Club:{name}")
            )
        before = dict(conn.execute(select(accounts.c.key, accounts.c.id)).all())
    assert before["telegram:name:telegram:name:Garden Club:Ann Lee"]

    later = single_chat_files()
    # The first page differs too: an HTML export is known by its first page (the import's root).
    later["messages.html"] = str(later["messages.html"]).replace("welcome!", "welcome, all!")
    later["messages10.html"] = page(
        "Garden Club ",
        [
            message(9001, "21.08.2022 10:00:00 UTC+03:00", sender="Ann Lee", text="last page"),
            message(9002, "21.08.2022 10:05:00 UTC+03:00", sender="Bob Ray", text="a later message"),
            message(9003, "21.08.2022 10:06:00 UTC+03:00", sender="Hal Moss", text="a newcomer"),
        ],
        previous="messages9.html",
    )
    result = import_export(case, write(tmp_path / "later", later), ImportOptions("tester"))
    assert result.status == "complete"
    with case.engine.connect() as conn:
        after = dict(conn.execute(select(accounts.c.key, accounts.c.id)).all())
    assert set(after) - set(before) == {'telegram:name:"Garden Club":Hal Moss'}  # only the newcomer
    assert {k: after[k] for k in before} == before  # every old key kept, with its id
    senders = _sender_keys(case)
    assert senders[9002] == "telegram:name:telegram:name:Garden Club:Bob Ray"
    assert senders[9001] == senders[2] == "telegram:name:telegram:name:Garden Club:Ann Lee"


# -- older writers ------------------------------------------------------------------------------------


def forwarded_2018(ident: int, title: str, *, sender: str, original: str, when: str, text: str) -> Block:
    """A forward as the 2018 writer wrote it: the original date in a plain ``details`` span."""

    def block(w: Writer) -> None:
        w.div("message default clearfix", id=f"message{ident}")
        w.div("pull_left userpic_wrap").userpic(sender[:1]).pop()
        w.div("body")
        w.leaf("pull_right date details", title[11:16], title=title)
        w.leaf("from_name", escape(sender))
        w.div("forwarded body").div("from_name").raw(escape(original))
        w.push("span", {"class": "details"}, inline=True).raw(" " + when).pop().pop()
        w.leaf("text", text)
        w.pop().pop().pop()

    return block


def test_a_2018_forward_keeps_its_original_date(tmp_path: Path) -> None:
    html = page(
        "Old Group",
        [forwarded_2018(7, T1, sender="Ann Lee", original="Zed Poe", when="02.03.2018 09:30:00", text="old")],
    )
    records = read(write(tmp_path, {"messages.html": html}), utc_offset=timezone(timedelta(hours=1)))
    (fwd,) = messages(records).values()
    assert fwd.forwarded_from == "Zed Poe"  # the date is not part of the name
    assert fwd.details["forwarded_date"] == "02.03.2018 09:30:00"
    assert fwd.details["forwarded_date_utc"] == epoch(2018, 3, 2, 8, 30, 0)


def test_a_renamed_first_page_is_found_by_its_pages_links(case: Case, tmp_path: Path) -> None:
    files = single_chat_files()
    files["index.html"] = files.pop("messages.html")  # published under another name
    files["messages2.html"] = str(files["messages2.html"])
    del files["messages10.html"]
    root = write(tmp_path / "published", files)
    records = read(root)
    by_id = messages(records)
    assert {2, 3, 5, 1001, 1002, 1003} <= set(by_id)
    assert by_id[2].position.file == "index.html"
    assert [n.code for n in records if isinstance(n, Notice)].count("first_page_renamed") == 1
    result = import_export(case, root, ImportOptions("tester"))
    assert any(w["code"] == "first_page_renamed" for w in result.report["warnings"])
    assert "index.html" in result.report["files"]


def test_pages_without_a_first_page_are_still_refused(tmp_path: Path) -> None:
    files = single_chat_files()
    del files["messages.html"]
    with pytest.raises(BadInput, match=r"no messages\.html"):
        read(write(tmp_path / "cut", files))


def test_a_link_that_reads_like_a_mention_keeps_its_target(tmp_path: Path) -> None:
    text = (
        '<a href="https://t.me/annlee">@annlee</a> and '
        '<a href="https://evil.example/annlee">@annlee</a> and '
        '<a href="https://t.me/someoneelse">@annlee</a>'
    )
    html = page("Group", [message(1, T1, sender="Ann Lee", text=text)])
    (msg,) = messages(read(write(tmp_path, {"messages.html": html}))).values()
    found = [(e.type, e.href) for e in msg.entities if e.type != "plain"]
    assert found == [
        ("mention", None),
        ("text_link", "https://evil.example/annlee"),
        ("text_link", "https://t.me/someoneelse"),
    ]


# -- pages the parser had to mend ------------------------------------------------------------------------


def notices_of(records: list[SourceRecord]) -> dict[str, Notice]:
    return {r.code: r for r in records if isinstance(r, Notice)}


def test_a_cut_off_page_is_a_warning_with_its_place(tmp_path: Path) -> None:
    html = page("G", [message(i, T1, sender="Ann Lee", text=f"message {i} " * 20) for i in range(1, 30)])
    cut = html[: len(html) * 2 // 3]
    records = read(write(tmp_path, {"messages.html": cut}))
    n = notices_of(records)["html_cut_off"]
    assert n.file == "messages.html" and n.byte_offset == len(cut.encode())
    assert 10 < len(messages(records)) < 29  # what is there is kept


def test_a_huge_text_node_is_kept_whole(tmp_path: Path) -> None:
    big = "a" * (11 * 1024 * 1024)  # over libxml2's 10 MB limit for one text node
    html = page(
        "G", [message(1, T1, sender="Ann Lee", text=big), message(2, T1, sender="Ann Lee", text="next")]
    )
    records = read(write(tmp_path, {"messages.html": html}))
    by_id = messages(records)
    assert len(by_id[1].text) == len(big) and by_id[2].text == "next"
    assert not notices_of(records)


def test_markup_nested_too_deep_is_never_lost_silently(tmp_path: Path) -> None:
    deep = "<b>" * 3000 + "deep" + "</b>" * 3000
    html = page(
        "G",
        [
            message(1, T1, sender="Ann Lee", text="before"),
            message(2, T1, sender="Ann Lee", text=deep),
            message(3, T1, sender="Ann Lee", text="after"),
        ],
    )
    records = read(write(tmp_path, {"messages.html": html}))
    found = notices_of(records)
    assert messages(records)[1].text == "before"
    assert {"html_recovered", "html_messages_lost"} <= set(found), found
    assert "line" in found["html_recovered"].message and found["html_recovered"].byte_offset is not None


def test_an_ordinary_page_needs_no_mending(tmp_path: Path) -> None:
    records = read(write(tmp_path, single_chat_files()))
    assert not {"html_recovered", "html_cut_off", "html_messages_lost"} & set(notices_of(records))
