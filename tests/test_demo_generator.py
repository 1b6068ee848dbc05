"""Tests of the synthetic demo case and of the Telegram Desktop format writers behind it.

They check the properties the importer will rely on: byte-for-byte determinism, the invalid
``\\xHH`` escapes of real ``result.json`` files (and that the documented repair makes them valid),
agreement between the exports and ``ground_truth.json``, the HTML structure (ids, joined messages,
date separators, title formats, pagination) and that every referenced media file is a real,
openable image or video.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import av
import pytest
from lxml import html as lxml_html
from PIL import Image

from veilleur.demo.bigexport import write_large_export
from veilleur.demo.generate import generate_demo_case
from veilleur.demo.tdesktop_html import HtmlChatWriter
from veilleur.demo.tdesktop_json import (
    Dialog,
    JsonWriter,
    Message,
    Part,
    Peer,
    Reaction,
    serialize_string,
)

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)", re.S)
_DATE_TEXT = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")
_TITLE_NEW = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d UTC\+01:00$")
_TITLE_OLD = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$")
_PATH_KEYS = ("photo", "file", "thumbnail", "contact_vcard")


def xp(node: Any, query: str) -> list[Any]:
    """``node.xpath(query)`` as a plain list (lxml's result type is a wide union)."""
    return list(node.xpath(query))


def repair(text: str) -> str:
    """Replace each ``\\xHH`` that is a real escape (escape pairs consumed left to right) by ``\\u00HH``."""
    return _ESCAPE.sub(lambda m: "\\u00" + m.group(1)[1:] if m.group(1)[0] == "x" else m.group(0), text)


def count_escapes(text: str) -> int:
    return sum(1 for m in _ESCAPE.finditer(text) if m.group(1)[0] == "x")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo_a")
    truth_path = generate_demo_case(out)
    return out, json.loads(truth_path.read_text(encoding="utf-8"))


def _dialogs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "messages" in doc:
        return [doc]
    return list(doc["chats"]["list"]) + list(doc.get("left_chats", {}).get("list", []))


def _key(dialog: dict[str, Any]) -> str:
    t = dialog["type"]
    kind = (
        "channel" if t.endswith(("_supergroup", "_channel")) else ("chat" if t == "private_group" else "user")
    )
    return f"{kind}:{dialog['id']}"


def _json_exports(out: Path, truth: dict[str, Any]) -> list[tuple[str, Path]]:
    return [
        (name, out / "exports" / name / "result.json")
        for name, ex in truth["exports"].items()
        if "json" in ex["formats"]
    ]


# --------------------------------------------------------------------------------------------------
# Writers, on small inputs
# --------------------------------------------------------------------------------------------------


def test_serialize_string_reproduces_tdesktop_escapes() -> None:
    assert serialize_string('a"b\\c\nd\re\tf') == '"a\\"b\\\\c\\nd\\re\\tf"'
    assert serialize_string("x\x01y\x1fz\x0b") == '"x\\x01y\\x1Fz\\x0B"'
    assert serialize_string("l\u2028p\u2029") == '"l\\u2028p\\u2029"'
    assert serialize_string("é😀") == '"é😀"'


def test_single_chat_bytes_match_tdesktop_layout() -> None:
    alice = Peer("user", 42, "Alice", "")
    gone = Peer("user", 7)
    msg = Message(
        id=5,
        date=1_700_000_000,
        sender=alice,
        text=(Part("plain", "hi "), Part("bold", "you")),
        reactions=(Reaction(2, "\U0001f44d", recent=((gone, 1_700_000_060),)),),
    )
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=True)
    w.write_dialog(Dialog("private_group", Peer("chat", 99, "G"), "G", [msg]))
    w.finish()
    expected = (
        '{\n "name": "G",\n "type": "private_group",\n "id": 99,\n "messages": [\n  {\n'
        '   "id": 5,\n   "type": "message",\n   "date": "2023-11-14T23:13:20",\n'
        '   "date_unixtime": "1700000000",\n   "from": "Alice",\n   "from_id": "user42",\n'
        '   "text": [\n    "hi ",\n    {\n     "type": "bold",\n     "text": "you"\n    }\n   ],\n'
        '   "text_entities": [\n    {\n     "type": "plain",\n     "text": "hi "\n    },\n'
        '    {\n     "type": "bold",\n     "text": "you"\n    }\n   ],\n'
        '   "reactions": [\n     {\n      "type": "emoji",\n      "count": 2,\n      "emoji": "\U0001f44d",\n'
        '      "recent": [\n       {\n        "from": null,\n        "from_id": "user7",\n'
        '        "date": "2023-11-14T23:14:20"\n       }\n      ]\n     }\n    ]\n  }\n ]\n}'
    )
    assert buf.getvalue().decode("utf-8") == expected


def test_html_pagination_links_and_separators(tmp_path: Path) -> None:
    alice, bob = Peer("user", 1, "Alice", "A"), Peer("user", 2, "Bob", "")
    msgs = [
        Message(
            id=i,
            date=1_767_225_600 + i * 400,
            sender=alice if (i // 3) % 2 else bob,
            text=(Part("plain", f"m{i}"),),
        )
        for i in range(1, 2101)
    ]
    msgs[-1].reply_to = 10  # on the first page
    msgs[-2].reply_to = 2095  # on the same page
    files = HtmlChatWriter(tmp_path, Dialog("personal_chat", bob, "Bob", msgs), 3600).write(msgs)
    assert [f.name for f in files] == ["messages.html", "messages2.html", "messages3.html"]
    first, second, third = (f.read_text(encoding="utf-8") for f in files)
    assert 'class="pagination block_link" href="messages2.html"' in first
    assert 'href="messages.html"' in second and 'href="messages3.html"' in second
    assert 'href="messages.html#go_to_message10">this message</a>' in third
    assert 'href="#go_to_message2095" onclick="return GoToMessage(2095)"' in third
    for page in (first, second, third):
        tree = lxml_html.fromstring(page.encode("utf-8"))
        history = xp(tree, '//div[@class="history"]/div')
        assert "service" in history[0].get("class") and int(history[0].get("id")[7:]) < 0
    ids = re.findall(
        r'class="message default clearfix(?: joined)?" id="message(\d+)"', first + second + third
    )
    assert [int(i) for i in ids] == list(range(1, 2101))


# --------------------------------------------------------------------------------------------------
# The demo case
# --------------------------------------------------------------------------------------------------


def test_demo_is_deterministic(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out_a, _ = demo
    generate_demo_case(tmp_path)
    files_a = sorted(p.relative_to(out_a) for p in out_a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert files_a == files_b
    assert any(str(p).endswith("result.json") for p in files_a)
    for rel in files_a:
        assert (out_a / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_result_json_invalid_until_repaired_and_matches_truth(demo: tuple[Path, dict[str, Any]]) -> None:
    out, truth = demo
    total_escapes = 0
    for name, path in _json_exports(out, truth):
        raw = path.read_text(encoding="utf-8")
        chats = truth["exports"][name]["chats"]
        escapes = sum(c["json_escapes"] for c in chats.values())
        assert count_escapes(raw) == escapes
        total_escapes += escapes
        if escapes:
            with pytest.raises(json.JSONDecodeError):
                json.loads(raw)
        doc = json.loads(repair(raw))
        assert not raw.endswith("\n")
        dialogs = _dialogs(doc)
        assert {_key(d) for d in dialogs} == set(chats)
        for d in dialogs:
            facts = chats[_key(d)]
            assert [m["id"] for m in d["messages"]] == facts["message_ids"]
            assert [m["id"] for m in d["messages"] if m["type"] == "service"] == facts["service_message_ids"]
            nulls = sum(
                1
                for m in d["messages"]
                if ("from" in m and m["from"] is None) or ("actor" in m and m["actor"] is None)
            )
            assert nulls == facts["deleted_account_messages"]
            for m in d["messages"]:
                assert m["date_unixtime"].isdigit() and isinstance(m["text_entities"], list)
    assert total_escapes >= 3


def test_demo_covers_the_format(demo: tuple[Path, dict[str, Any]]) -> None:
    out, truth = demo
    doc = json.loads(repair((out / "exports/group-2026-03/result.json").read_text(encoding="utf-8")))
    msgs = doc["messages"]
    assert doc["type"] == "private_supergroup"
    keys = {k for m in msgs for k in m}
    for k in (
        "forwarded_from",
        "reply_to_message_id",
        "reply_to_peer_id",
        "edited",
        "edited_unixtime",
        "reactions",
        "poll",
        "location_information",
        "contact_vcard",
        "via_bot",
        "photo_file_size",
    ):
        assert k in keys, k
    actions = {m.get("action") for m in msgs}
    assert {
        "create_group",
        "migrate_to_supergroup",
        "migrate_from_group",
        "invite_members",
        "join_group_by_link",
        "remove_members",
        "pin_message",
        "edit_group_title",
    } <= actions
    assert any(m["id"] < -999_000_000 for m in msgs)
    assert {e["type"] for m in msgs for e in m["text_entities"]} >= {
        "mention_name",
        "mention",
        "link",
        "text_link",
        "hashtag",
        "phone",
        "email",
        "bold",
    }
    assert {m.get("media_type") for m in msgs} >= {
        "sticker",
        "animation",
        "video_message",
        "video_file",
        "voice_message",
    }
    album = [m for m in msgs if "photo" in m and m["date"] == "2026-01-18T17:42:10"]
    assert len(album) == 3 and album[0]["text"] and not album[1]["text"]
    full = json.loads(repair((out / "exports/account-2026-05/result.json").read_text(encoding="utf-8")))
    assert list(full)[:2] == ["about", "personal_information"]
    types = {d["type"] for d in full["chats"]["list"]}
    assert types == {"personal_chat", "private_supergroup", "saved_messages", "bot_chat"}
    assert all(
        p.startswith("chats/chat_")
        for d in full["chats"]["list"]
        for m in d["messages"]
        for k in ("photo", "file")
        if isinstance(p := m.get(k), str) and not p.startswith("(")
    )
    ips = [s["last_ip"] for s in full["sessions"]["list"]]
    assert ips and all(ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.")) for ip in ips)
    case = truth["case"]
    group = "channel:1712345678"
    assert case["possibly_deleted"][group]
    assert set(case["possibly_deleted"][group]) <= set(
        truth["exports"]["group-2026-03"]["chats"][group]["message_ids"]
    )
    assert any(len(a["names"]) > 2 for a in case["accounts"].values())
    assert case["central_account_id"] in case["accounts"]
    assert case["deleted_account_ids"] and case["edited_messages"]


def test_html_pages_match_truth(demo: tuple[Path, dict[str, Any]]) -> None:
    out, truth = demo
    for name, pattern in (("group-2026-03", _TITLE_NEW), ("dm-html-old", _TITLE_OLD)):
        root = out / "exports" / name
        (facts,) = truth["exports"][name]["chats"].values()
        pages = sorted(root.glob("messages*.html"))
        ids: list[int] = []
        joined = 0
        for page in pages:
            tree = lxml_html.fromstring(page.read_bytes())
            for div in xp(tree, '//div[@class="history"]/div[contains(@class, "message")]'):
                cls, mid = div.get("class"), int(div.get("id")[len("message") :])
                if "service" in cls and _DATE_TEXT.match(div.text_content().strip()):
                    assert -1000 < mid < 0
                    continue
                ids.append(mid)
                if "joined" in cls:
                    joined += 1
                    assert not xp(div, './div[contains(@class,"userpic_wrap")]')
                    assert not xp(div, './div[@class="body"]/div[@class="from_name"]')
            titles = xp(tree, '//div[@class="pull_right date details"]/@title')
            assert titles and all(pattern.match(t) for t in titles)
            for ref in xp(
                tree, "//img/@src | //a[contains(@class,'_wrap') or contains(@class,'block_link')]/@href"
            ):
                if not ref.startswith(("http", "#", "messages")):
                    assert (root / ref).is_file(), ref
        assert ids == facts["message_ids"]
        assert joined > 0
    header = lxml_html.fromstring((out / "exports/dm-html-old/messages.html").read_bytes())
    assert xp(header, '//div[@class="text bold"]')[0].text_content().strip() == "Nathan Girard"


def test_media_files_are_real(demo: tuple[Path, dict[str, Any]]) -> None:
    out, truth = demo
    seen = {"image": 0, "video": 0}
    for name, path in _json_exports(out, truth):
        doc = json.loads(repair(path.read_text(encoding="utf-8")))
        root = path.parent
        refs = [m.get(k) for d in _dialogs(doc) for m in d["messages"] for k in _PATH_KEYS]
        refs += [p["photo"] for p in doc.get("profile_pictures", [])]
        for ref in refs:
            if not isinstance(ref, str) or ref.startswith("("):
                continue
            file = root / ref
            assert file.is_file(), (name, ref)
            if file.suffix.lower() in (".jpg", ".png", ".webp"):
                with Image.open(file) as img:
                    img.verify()
                seen["image"] += 1
            elif file.suffix.lower() in (".mp4",):
                with av.open(str(file)) as container:
                    frame = next(container.decode(video=0))
                    assert frame.width > 0
                seen["video"] += 1
    assert seen["image"] > 20 and seen["video"] >= 3
    facts = truth["exports"]["group-2026-03"]["chats"]["channel:1712345678"]
    assert facts["placeholders"]["not_included"] and facts["placeholders"]["exceeds_max_size"] == 1
    assert facts["media_present_ids"]


def test_bigexport_counts(tmp_path: Path) -> None:
    path = tmp_path / "big" / "result.json"
    counts = write_large_export(path, 2000, n_accounts=300, seed=3)
    raw = path.read_text(encoding="utf-8")
    assert counts["bytes"] == path.stat().st_size
    assert counts["escapes"] == count_escapes(raw)
    doc = json.loads(repair(raw))
    msgs = doc["messages"]
    assert counts["messages"] == len(msgs) == 2000
    assert counts["service"] == sum(1 for m in msgs if m["type"] == "service")
    assert [m["id"] for m in msgs] == list(range(1, 2001))
    with_entities = sum(1 for m in msgs if isinstance(m["text"], list))
    assert 0.15 < with_entities / len(msgs) < 0.35
    assert write_large_export(tmp_path / "again.json", 2000, n_accounts=300, seed=3) == counts
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
