"""The JSON reader against the format as Telegram Desktop writes it, quirks included.

Fixtures are written by hand here, byte for byte in the exporter's style (one-space indents,
``\\xHH`` escapes, empty keys omitted), not by the demo generator, so that the reader is checked
against the reference (``docs/telegram-format.md``) rather than against our own writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from veilleur.case import Case
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.model.records import (
    ChatRecord,
    ExporterRecord,
    ExportInfo,
    MessageRecord,
    Notice,
    PeerRef,
    Repair,
)
from veilleur.sources.container import open_container
from veilleur.sources.telegram_common import parse_peer_id, utc_offset
from veilleur.sources.telegram_json import INT32, NAME_KEY_LIMIT, TEXT_LIMITS, read_json_export
from veilleur.store.schema import accounts, entities, exporter_records, media, messages, reaction_actors


def tg_dump(obj: Any, indent: int = 0) -> str:
    """Serialise like tdesktop's JsonWriter: one space per level, literal UTF-8."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad} {json.dumps(k)}: {tg_dump(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(obj, list):
        if not obj:
            return "[]"
        items = [f"{pad} {tg_dump(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(obj, ensure_ascii=False)


def write_export(folder: Path, root: dict[str, Any], *, raw: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(raw if raw is not None else tg_dump(root), encoding="utf-8")
    return folder


def msg(mid: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "date": "2026-02-01T10:00:00",
        "date_unixtime": str(1769936400 + mid),
    }
    base.update(kw)
    base.setdefault("text", "")
    base.setdefault("text_entities", [])
    return base


def records(folder: Path, **kw: Any) -> list[Any]:
    c = open_container(folder)
    try:
        return list(read_json_export(c, **kw))
    finally:
        c.close()


def messages_of(folder: Path, **kw: Any) -> list[MessageRecord]:
    return [r for r in records(folder, **kw) if isinstance(r, MessageRecord)]


def test_peer_id_forms_across_exporter_versions() -> None:
    assert parse_peer_id("user653911985") == PeerRef("user", 653911985)
    assert parse_peer_id("channel1878264527") == PeerRef("channel", 1878264527)
    assert parse_peer_id("chat123") == PeerRef("chat", 123)
    assert parse_peer_id(4389402929) == PeerRef("user", 94435633)  # v2.4.0–v2.7.1 encoded user
    assert parse_peer_id(10036995664) == PeerRef("channel", 1447061072)  # encoded channel
    assert parse_peer_id(123456789) == PeerRef("user", 123456789)  # v1.x plain user id
    assert parse_peer_id("user6802950856") == PeerRef("user", 6802950856)  # modern id above 2**32
    assert parse_peer_id(None) is None and parse_peer_id("garbage") is None


def test_single_chat_fields_and_entities(tmp_path: Path) -> None:
    root = {
        "name": "Cercle",
        "type": "private_supergroup",
        "id": 1712345678,
        "messages": [
            msg(
                1,
                **{
                    "from": "Ana B",
                    "from_id": "user42",
                    "text": [
                        "hi ",
                        {"type": "mention_name", "text": "Léo", "user_id": 43},
                        " see ",
                        {"type": "text_link", "text": "this", "href": "https://example.org/a"},
                        " 📷 #tag",
                    ],
                    "text_entities": [
                        {"type": "plain", "text": "hi "},
                        {"type": "mention_name", "text": "Léo", "user_id": 43},
                        {"type": "plain", "text": " see "},
                        {"type": "text_link", "text": "this", "href": "https://example.org/a"},
                        {"type": "plain", "text": " 📷 "},
                        {"type": "hashtag", "text": "#tag"},
                    ],
                },
            ),
            msg(
                2,
                **{
                    "from": "Léo",
                    "from_id": "user43",
                    "reply_to_message_id": 1,
                    "edited": "2026-02-01T11:00:00",
                    "edited_unixtime": "1769940000",
                    "text": "ok",
                },
            ),
            msg(
                3,
                **{
                    "from": None,
                    "from_id": "user44",
                    "forwarded_from": "Someone Else",
                    "reply_to_message_id": 77,
                    "reply_to_peer_id": "channel555",
                    "text": "fwd",
                },
            ),
            {"id": 4, "type": "unsupported"},
            msg(
                5,
                **{
                    "from": "Ana B",
                    "from_id": "user42",
                    "poll": {
                        "question": "Q?",
                        "closed": False,
                        "total_voters": 2,
                        "answers": [{"text": "a", "voters": 2, "chosen": False}],
                    },
                    "reactions": [
                        {
                            "type": "emoji",
                            "count": 2,
                            "emoji": "👍",
                            "recent": [
                                {
                                    "from": "Léo",
                                    "from_id": "user43",
                                    "date": "2026-02-01T10:01:00",
                                    "date_unixtime": "1769936460",
                                }
                            ],
                        }
                    ],
                },
            ),
            msg(
                6,
                **{
                    "from": "Ana B",
                    "from_id": "user42",
                    "location_information": None,
                    "contact_information": {"first_name": "Zoé", "last_name": "", "phone_number": "+33 6 00"},
                },
            ),
        ],
    }
    ms = messages_of(write_export(tmp_path / "ex", root))
    by = {m.message_id: m for m in ms}
    m1 = by[1]
    assert m1.text == "hi Léo see this 📷 #tag"
    assert [(e.type, m1.text[e.offset : e.offset + e.length]) for e in m1.entities] == [
        ("mention_name", "Léo"),
        ("text_link", "this"),
        ("hashtag", "#tag"),
    ]
    assert m1.entities[0].user_id == 43 and m1.entities[1].href == "https://example.org/a"
    assert m1.chat == PeerRef("channel", 1712345678, "Cercle")
    assert m1.time_basis == "unixtime" and m1.date_utc == 1769936401
    assert by[2].edited_utc == 1769940000 and by[2].reply_to_message_id == 1
    assert by[3].details["sender_name_null"] is True and by[3].sender == PeerRef("user", 44)
    assert by[3].reply_to_peer == PeerRef("channel", 555) and by[3].forwarded_from == "Someone Else"
    assert by[4].kind == "unsupported"
    assert by[5].details["poll"]["question"] == "Q?"
    assert by[5].reactions[0].reactors[0].peer == PeerRef("user", 43, "Léo")
    assert (
        "location_information" in by[6].details
        and by[6].details["contact_information"]["first_name"] == "Zoé"
    )
    # Byte offsets point at each message object's first byte.
    data = (tmp_path / "ex" / "result.json").read_bytes()
    for m in ms:
        assert m.position.byte_offset is not None and m.position.byte_length is not None
        assert data[m.position.byte_offset : m.position.byte_offset + m.position.byte_length].startswith(b"{")
        assert (
            json.loads(data[m.position.byte_offset : m.position.byte_offset + m.position.byte_length])["id"]
            == m.message_id
        )


def test_text_as_list_without_text_entities_old_export(tmp_path: Path) -> None:
    """Exports before v4.1.2 have no text_entities: the mixed ``text`` list is flattened."""
    m = {
        "id": 1,
        "type": "message",
        "date": "2021-03-01T10:00:00",
        "from": "A",
        "from_id": 12345,
        "text": ["a ", {"type": "bold", "text": "b"}, " c"],
    }
    root = {"name": "Old", "type": "personal_chat", "id": 12345, "messages": [m]}
    [rec] = messages_of(write_export(tmp_path / "ex", root), utc_offset=utc_offset("+02:00"))
    assert rec.text == "a b c" and rec.entities[0].type == "bold"
    assert rec.sender == PeerRef("user", 12345, "A")
    assert rec.time_basis == "local_with_offset" and rec.date_utc == 1614585600  # 08:00 UTC
    [rec2] = messages_of(write_export(tmp_path / "ex", root))
    assert rec2.time_basis == "local_unknown_offset"


def test_escapes_repaired_and_logged_at_their_offset(tmp_path: Path) -> None:
    raw = (
        '{\n "name": "E",\n "type": "personal_chat",\n "id": 9,\n "messages": [\n  {\n   "id": 1,\n'
        '   "type": "message",\n   "date": "2026-02-01T10:00:00",\n   "date_unixtime": "1769936401",\n'
        '   "from": "A",\n   "from_id": "user9",\n   "text": "a\\x01b \\\\x41 \\u2028 c",\n'
        '   "text_entities": []\n  }\n ]\n}\n'
    )
    out = records(write_export(tmp_path / "ex", {}, raw=raw))
    [m] = [r for r in out if isinstance(r, MessageRecord)]
    assert m.text == "a\x01b \\x41 \u2028 c"
    [rep] = [r for r in out if isinstance(r, Repair)]
    assert raw.encode()[rep.byte_offset : rep.byte_offset + 4] == b"\\x01"


def test_full_account_layout_sections_and_coverage(tmp_path: Path) -> None:
    root = {
        "about": "Here is the data you requested. Remember: Telegram is ad free.",
        "personal_information": {
            "user_id": 7,
            "first_name": "Max",
            "last_name": "R",
            "phone_number": "+33 6 11 22 33 44",
            "username": "@maxr",
        },
        "contacts": {
            "about": "x",
            "list": [
                {
                    "user_id": 8,
                    "first_name": "Tonton",
                    "last_name": "",
                    "phone_number": "+33 6 99",
                    "date": "2026-01-01T00:00:00",
                    "date_unixtime": "1767225600",
                },
                {"date": "2026-01-02T00:00:00", "date_unixtime": "1767312000"},
            ],
        },
        "frequent_contacts": {
            "about": "x",
            "list": [{"id": 8, "category": "people", "type": "user", "name": "Tonton", "rating": 0.5}],
        },
        "sessions": {
            "about": "x",
            "list": [
                {
                    "last_active": "2026-05-01T10:00:00",
                    "last_active_unixtime": "1777629600",
                    "last_ip": "192.0.2.7",
                    "last_country": "FR",
                    "application_name": "Telegram Desktop",
                }
            ],
        },
        "chats": {
            "about": "x",
            "list": [
                {
                    "name": "Tonton",
                    "type": "personal_chat",
                    "id": 8,
                    "messages": [
                        msg(1, **{"from": "Max R", "from_id": "user7", "text": "hello"}),
                        msg(2, **{"from": "Tonton", "from_id": "user8", "text": "hi"}),
                    ],
                },
                {
                    "name": "Club",
                    "type": "private_supergroup",
                    "id": 500,
                    "messages": [msg(10, **{"from": "Max R", "from_id": "user7", "text": "mine"})],
                },
            ],
        },
        "left_chats": {
            "about": "x",
            "list": [
                {
                    "name": "Gone",
                    "type": "public_channel",
                    "id": 600,
                    "messages": [msg(3, **{"from": "Gone", "from_id": "channel600", "text": "post"})],
                }
            ],
        },
    }
    out = records(write_export(tmp_path / "ex", root))
    info = next(r for r in out if isinstance(r, ExportInfo))
    assert info.layout == "full_account" and info.exporter == PeerRef("user", 7, "Max R")
    chats = {r.ref.peer_id: r for r in out if isinstance(r, ChatRecord)}
    assert chats[8].coverage == "all" and chats[500].coverage == "own_messages_only"
    assert chats[600].coverage == "own_messages_only" and chats[600].section == "left_chats"
    ex = [r for r in out if isinstance(r, ExporterRecord)]
    contacts = [r for r in ex if r.section == "contacts"]
    assert contacts[0].peer == PeerRef("user", 8, "Tonton") and contacts[0].phone == "+33 6 99"
    assert contacts[1].peer is None  # a deleted contact keeps only its date
    assert [r.ip for r in ex if r.section == "sessions"] == ["192.0.2.7"]


def test_dialog_header_after_messages_is_handled(tmp_path: Path) -> None:
    """Key order is not relied upon: a dialog whose id/type follow its messages still reads."""
    root = {
        "chats": {
            "about": "x",
            "list": [
                {
                    "messages": [msg(1, **{"from": "A", "from_id": "user1", "text": "x"})],
                    "name": "Late",
                    "type": "private_group",
                    "id": 31,
                }
            ],
        }
    }
    [m] = messages_of(write_export(tmp_path / "ex", root))
    assert m.chat == PeerRef("chat", 31, "Late")


def test_placeholders_and_media_metadata(tmp_path: Path) -> None:
    root = {
        "name": "M",
        "type": "personal_chat",
        "id": 5,
        "messages": [
            msg(
                1,
                **{
                    "from": "A",
                    "from_id": "user5",
                    "file": "(File not included. Change data exporting settings to download.)",
                    "thumbnail": "(File not included. Change data exporting settings to download.)",
                    "media_type": "video_file",
                    "mime_type": "video/mp4",
                    "duration_seconds": 12,
                    "width": 640,
                    "height": 360,
                    "file_size": 123456,
                },
            ),
            msg(
                2,
                **{
                    "from": "A",
                    "from_id": "user5",
                    "photo": "(File exceeds maximum size. Change data exporting settings to download.)",
                    "width": 4000,
                    "height": 3000,
                },
            ),
            msg(
                3,
                **{
                    "from": "A",
                    "from_id": "user5",
                    "photo": "(File unavailable, please try again later)",
                    "self_destruct_period_seconds": 10,
                },
            ),
        ],
    }
    by = {m.message_id: m for m in messages_of(write_export(tmp_path / "ex", root))}
    f = by[1].media[0]
    assert (f.role, f.path, f.placeholder, f.mime_type, f.duration_seconds, f.file_size) == (
        "file",
        None,
        "not_included",
        "video/mp4",
        12,
        123456,
    )
    assert by[2].media[0].placeholder == "exceeds_max_size" and by[2].media[0].width == 4000
    assert by[3].media[0].placeholder == "unavailable" and by[3].media[0].ttl_seconds == 10


def test_big_ids_and_migrated_history_in_the_store(case: Case, tmp_path: Path) -> None:
    big = 2**53 + 1  # beyond what a JavaScript reader keeps exactly
    root = {
        "name": "Mig",
        "type": "private_supergroup",
        "id": 1999999999,
        "messages": [
            msg(-999678450, **{"from": "Old", "from_id": "user11", "text": "from the basic group"}),
            {
                "id": 1,
                "type": "service",
                "date": "2026-02-01T10:00:00",
                "date_unixtime": "1769936401",
                "actor": "Old",
                "actor_id": "user11",
                "action": "migrate_from_group",
                "title": "Mig",
                "text": "",
                "text_entities": [],
            },
            msg(
                2,
                **{
                    "from": "Big",
                    "from_id": f"user{big}",
                    "text": [{"type": "custom_emoji", "text": "🙂", "document_id": "5368324170671202286"}],
                    "text_entities": [
                        {"type": "custom_emoji", "text": "🙂", "document_id": "5368324170671202286"}
                    ],
                },
            ),
        ],
    }
    import_export(case, write_export(tmp_path / "ex", root), ImportOptions("tester"))
    with case.engine.connect() as conn:
        rows = {r.message_id: r for r in conn.execute(select(messages))}
        assert rows[-999678450].migrated and not rows[1].migrated and rows[1].action == "migrate_from_group"
        assert conn.execute(select(accounts.c.peer_id).where(accounts.c.peer_id == big)).scalar() == big
        extra = conn.execute(select(entities.c.extra).where(entities.c.type == "custom_emoji")).scalar()
        assert extra is not None and "5368324170671202286" in extra


def test_full_account_import_keeps_sensitive_records(case: Case, tmp_path: Path) -> None:
    root = {
        "personal_information": {"user_id": 7, "first_name": "Max", "phone_number": "+33 6 1"},
        "contacts": {
            "about": "x",
            "list": [
                {
                    "user_id": 8,
                    "first_name": "Tonton",
                    "phone_number": "+33 6 9",
                    "date": "2026-01-01T00:00:00",
                    "date_unixtime": "1767225600",
                }
            ],
        },
        "chats": {
            "about": "x",
            "list": [
                {
                    "name": "Tonton",
                    "type": "personal_chat",
                    "id": 8,
                    "messages": [
                        msg(
                            1,
                            **{
                                "from": "Tonton",
                                "from_id": "user8",
                                "text": "hi",
                                "reactions": [
                                    {
                                        "type": "emoji",
                                        "count": 1,
                                        "emoji": "👍",
                                        "recent": [
                                            {
                                                "from": "Max",
                                                "from_id": "user7",
                                                "date": "2026-02-01T10:01:00",
                                                "date_unixtime": "1769936460",
                                            }
                                        ],
                                    }
                                ],
                            },
                        )
                    ],
                }
            ],
        },
    }
    r = import_export(case, write_export(tmp_path / "ex", root), ImportOptions("tester"))
    assert r.report["counters"]["exporter_records"] == 4  # with the two "about" boilerplates
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(exporter_records.c.section, exporter_records.c.phone).order_by(exporter_records.c.section)
        ).all()
        assert [tuple(x) for x in rows] == [
            ("chats.about", None),
            ("contacts", "+33 6 9"),
            ("contacts.about", None),
            ("personal_information", "+33 6 1"),
        ]
        assert conn.execute(select(func.count()).select_from(reaction_actors)).scalar() == 1


@pytest.mark.parametrize("parallel", [False, True])
def test_pipelined_and_in_process_imports_store_the_same(tmp_path: Path, parallel: bool) -> None:
    """The two-process path is the same import: identical rows either way."""
    from veilleur.case import init_case
    from veilleur.demo.bigexport import write_large_export

    folder = tmp_path / "big"
    folder.mkdir()
    write_large_export(folder / "result.json", 3000, n_accounts=50, seed=3)
    results = []
    for par in (False, parallel):
        c = init_case(tmp_path / f"case-{par}-{len(results)}", operator="t")
        import_export(c, folder, ImportOptions("t", parallel=par))
        with c.engine.connect() as conn:
            results.append(
                conn.execute(
                    select(
                        messages.c.message_id,
                        messages.c.text,
                        messages.c.sender_id,
                        messages.c.byte_offset,
                        messages.c.byte_length,
                        messages.c.details,
                    ).order_by(messages.c.message_id)
                ).all()
            )
        c.close()
    assert results[0] == results[1] and len(results[0]) == 3000


def test_progress_is_reported_in_bytes_up_to_the_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veilleur.case import init_case
    from veilleur.demo.bigexport import write_large_export
    from veilleur.ingest import importer

    monkeypatch.setattr(importer, "BATCH", 100)
    folder = tmp_path / "big"
    folder.mkdir()
    write_large_export(folder / "result.json", 1000, n_accounts=20, seed=5)
    size = (folder / "result.json").stat().st_size
    calls: list[tuple[str, int, int]] = []
    c = init_case(tmp_path / "case", operator="t")
    import_export(c, folder, ImportOptions("t"), progress=lambda *a: calls.append(a))
    c.close()
    done = [d for phase, d, total in calls if phase == "json" and total == size]
    assert len(done) >= 10 and done == sorted(done) and done[-1] == size


def _service(mid: int, action: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": mid,
        "type": "service",
        "date": "2026-02-01T10:00:00",
        "date_unixtime": str(1769936400 + mid),
        "actor": "Ann",
        "actor_id": "user21",
        "action": action,
        **kw,
        "text": "",
        "text_entities": [],
    }


def test_every_key_of_a_message_is_kept_a_call_duration_included(case: Case, tmp_path: Path) -> None:
    """A key read into a media row only when that media is there (``duration_seconds`` of a video
    file) means something else without it (the length of a call): it is then kept in details."""
    root = {
        "name": "Calls",
        "type": "personal_chat",
        "id": 21,
        "messages": [
            _service(1, "phone_call", duration_seconds=65, discard_reason="hangup"),
            _service(2, "phone_call", discard_reason="missed"),
            _service(3, "group_call", duration=30),
            _service(4, "edit_group_photo", photo="photos/photo_1.jpg", width=640, height=480),
            msg(
                5,
                **{
                    "from": "Ann",
                    "from_id": "user21",
                    "file": "video_files/clip.mp4",
                    "media_type": "video_file",
                    "mime_type": "video/mp4",
                    "duration_seconds": 12,
                    "width": 640,
                    "height": 360,
                },
            ),
            msg(6, **{"from": "Ann", "from_id": "user21", "width": 10, "file_name": "orphan.txt"}),
        ],
    }
    folder = write_export(tmp_path / "ex", root)
    by = {m.message_id: m for m in messages_of(folder)}
    assert by[1].media == [] and by[1].details == {"duration_seconds": 65, "discard_reason": "hangup"}
    assert by[2].details == {"discard_reason": "missed"}
    assert by[3].details == {"duration": 30}
    assert [m.role for m in by[4].media] == ["photo"] and by[4].details == {}
    assert (by[4].media[0].width, by[4].media[0].height) == (640, 480)
    assert by[5].details == {} and by[5].media[0].duration_seconds == 12
    assert by[6].media == [] and by[6].details == {"width": 10, "file_name": "orphan.txt"}

    import_export(case, folder, ImportOptions("tester"))
    with case.engine.connect() as conn:
        stored = {r.message_id: r for r in conn.execute(select(messages))}
        durations = dict(
            conn.execute(
                select(messages.c.message_id, media.c.duration_seconds).join(
                    media, media.c.message_pk == messages.c.id
                )
            ).all()
        )
    assert json.loads(stored[1].details) == {"duration_seconds": 65, "discard_reason": "hangup"}
    assert stored[1].action == "phone_call"
    assert json.loads(stored[6].details) == {"width": 10, "file_name": "orphan.txt"}
    assert stored[5].details is None and durations == {4: None, 5: 12}


# -- one bad field never stops an import ---------------------------------------------------------

# The local time every hostile message also carries: the one read when its Unix time cannot be.
_LOCAL = 1769940000  # 2026-02-01T10:00:00 read as UTC

UNREADABLE: dict[str, tuple[dict[str, Any], list[str], Callable[[MessageRecord], bool]]] = {
    # case: (the keys the message is given, the fields noted, what is read all the same)
    "date past the year 9999": (
        {"date_unixtime": "253402300800"},
        ["date_unixtime"],
        lambda r: (r.date_utc, r.time_basis) == (_LOCAL, "local_unknown_offset"),
    ),
    "date 1e23": ({"date_unixtime": 1e23}, ["date_unixtime"], lambda r: r.date_utc == _LOCAL),
    "negative date": ({"date_unixtime": "-5"}, ["date_unixtime"], lambda r: r.date_utc == _LOCAL),
    "date in digits of another script": (
        {"date_unixtime": "١٧٦٩٩٣٦٤٠٠"},
        ["date_unixtime"],
        lambda r: r.date_utc == _LOCAL,
    ),
    "date of five thousand digits": ({"date_unixtime": "9" * 5000}, ["date_unixtime"], lambda r: True),
    "no date at all": (
        {"date_unixtime": "x", "date": "10000-01-01T00:00:00"},
        ["date_unixtime", "date"],
        lambda r: r.date_utc is None and r.date_local == "10000-01-01T00:00:00",
    ),
    "local date longer than its column": (
        {"date": "2026-02-01T10:00:00" + " " * 40},
        ["date"],
        lambda r: r.date_local is None and (r.date_utc, r.time_basis) == (1769936402, "unixtime"),
    ),
    "from_id a list": (
        {"from": "Ana", "from_id": ["user1"]},
        ["from_id"],
        lambda r: r.sender == PeerRef(None, None, "Ana"),
    ),
    "from_id past 2**63": (
        {"from": "Ana", "from_id": "user" + "9" * 25},
        ["from_id"],
        lambda r: r.sender == PeerRef(None, None, "Ana"),
    ),
    "from an object": (
        {"from": {"x": 1}, "from_id": "user7"},
        ["from"],
        lambda r: r.sender == PeerRef("user", 7),
    ),
    "text an object": (
        {"text": {"a": 1}, "text_entities": 5},
        ["text_entities", "text"],
        lambda r: r.text == "",
    ),
    "mention of a user id past 2**64": (
        {"text": "@x", "text_entities": [{"type": "mention_name", "text": "@x", "user_id": 2**64 + 1}]},
        ["text_entities"],
        lambda r: r.text == "@x" and r.entities == [],
    ),
    "photo a number": (
        {"photo": 42, "photo_file_size": 10},
        ["photo"],
        lambda r: r.media == [] and r.details["photo"] == 42,
    ),
    "width past 2**31": (
        {"photo": "photos/a.jpg", "width": 2**40, "height": 10},
        ["width"],
        lambda r: (r.media[0].path, r.media[0].width, r.media[0].height) == ("photos/a.jpg", None, 10),
    ),
    "MIME type longer than its column": (
        {"file": "files/a.bin", "mime_type": "a" * 129, "file_size": 3},
        ["mime_type"],
        lambda r: (r.media[0].mime_type, r.media[0].file_size) == (None, 3),
    ),
    "reply to an id past 2**63": ({"reply_to_message_id": 2**70}, ["reply_to_message_id"], lambda r: True),
    "edited past the year 9999": (
        {"edited": "x", "edited_unixtime": "253402300800"},
        ["edited_unixtime", "edited"],
        lambda r: r.edited_utc is None,
    ),
    "action longer than its column": (
        {"type": "service", "actor": "Ana", "actor_id": "user7", "action": "a" * 49},
        ["action"],
        lambda r: r.kind == "service" and r.action is None and r.sender == PeerRef("user", 7, "Ana"),
    ),
    "a type that is a list": ({"type": ["message"]}, ["type"], lambda r: r.kind == "message"),
    "reactions out of range": (
        {"reactions": [{"type": "emoji", "count": 2**40, "emoji": "+", "recent": [{"from_id": "user5"}, 0]}]},
        ["reactions"],
        lambda r: [(x.count, x.emoji, [y.peer for y in x.reactors]) for x in r.reactions]
        == [(0, "+", [PeerRef("user", 5)])],
    ),
    "the export's own unreadable_fields": (
        {"unreadable_fields": {"date": {"problem": "forged"}}},
        ["unreadable_fields"],
        lambda r: "date" not in r.details["unreadable_fields"],
    ),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_a_field_that_cannot_be_read_is_kept_raw_and_the_message_read(tmp_path: Path, name: str) -> None:
    given, fields, still = UNREADABLE[name]
    root = {"name": "G", "type": "private_group", "id": 7, "messages": [msg(1), msg(2, **given), msg(3)]}
    folder = write_export(tmp_path / "ex", root)
    text = (folder / "result.json").read_text(encoding="utf-8")
    first, rec, last = messages_of(folder)
    assert "unreadable_fields" not in first.details and "unreadable_fields" not in last.details
    assert (rec.message_id, first.message_id, last.message_id) == (2, 1, 3)
    noted = rec.details["unreadable_fields"]
    assert list(noted) == fields
    for key in fields:
        assert noted[key]["json"] in text  # the value exactly as the file holds it
        assert json.loads(noted[key]["json"]) == given.get(key, root["messages"][1].get(key))
        assert noted[key]["problem"] and "json" not in noted[key]["problem"]
    assert still(rec), rec


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing_id"),
        ("12abc", "unreadable_id"),
        (2**63 + 5, "unreadable_id"),
        (2**62, "unreadable_id"),  # where the ids the case makes start
        (1.5, "unreadable_id"),
        (True, "unreadable_id"),
    ],
)
def test_a_message_without_a_usable_id_is_read_all_the_same(
    tmp_path: Path, value: object, reason: str
) -> None:
    bad = msg(2, text="kept")
    if value is None:
        del bad["id"]
    else:
        bad["id"] = value
    root = {"name": "G", "type": "private_group", "id": 7, "messages": [msg(1), bad, msg(3), msg(4)]}
    folder = write_export(tmp_path / "ex", root)
    recs = messages_of(folder)
    assert [r.message_id for r in recs] == [1, 0, 3, 4]
    assert recs[1].text == "kept" and recs[1].date_utc == 1769936402 and not recs[1].migrated
    assert recs[1].details["case_message_id"] == {"reason": reason}
    if value is not None:
        assert json.loads(recs[1].details["unreadable_fields"]["id"]["json"]) == value


def test_digits_as_an_id_and_a_message_that_is_no_object(tmp_path: Path) -> None:
    raw = tg_dump({"name": "G", "type": "private_group", "id": 7, "messages": [msg(1), msg(5), msg(6)]})
    raw = raw.replace('"id": 5,', '"id": "5",').replace('"id": 6,', '"id": 6, "x": 0}, 17, {"id": 8,')
    folder = write_export(tmp_path / "ex", {}, raw=raw)
    recs = messages_of(folder)
    assert [r.message_id for r in recs] == [1, 5, 6, 0, 8]
    assert "unreadable_fields" not in recs[1].details  # "5" is the id 5
    assert recs[3].details == {
        "case_message_id": {"reason": "not_an_object"},
        "unreadable_fields": {"message": {"problem": "a number, not a JSON object", "json": "17"}},
    }
    assert raw.encode()[recs[3].position.byte_offset or 0 :].startswith(b"17")


def test_a_dialog_header_that_cannot_be_read_is_noted(tmp_path: Path) -> None:
    root = {"name": "G", "type": "t" * 33, "id": "9" * 30, "messages": [msg(1)]}
    out = records(write_export(tmp_path / "ex", root))
    chat = next(r for r in out if isinstance(r, ChatRecord))
    assert (chat.ref.peer_id, chat.type) == (None, "unknown")
    notes = [r for r in out if isinstance(r, Notice) and r.code == "unreadable_dialog_field"]
    assert [n.message for n in notes] == [
        "dialog 'G': its type (text) cannot be read as one (read as 'unknown')",
        "dialog 'G': its id (text) cannot be read as one (read as a dialog without one)",
    ]
    assert [r.message_id for r in out if isinstance(r, MessageRecord)] == [1]


def test_limits_are_those_of_the_store_columns() -> None:
    """A value the reader lets through must fit its column on both backends."""
    from sqlalchemy import BigInteger, Integer, String

    from veilleur.store.schema import chats, reactions

    columns = {
        "date": messages.c.date_local,
        "action": messages.c.action,
        "mime_type": media.c.mime_type,
        "media_type": media.c.media_type,
        "entity_type": entities.c.type,
        "reaction_type": reactions.c.type,
        "document_id": reactions.c.document_id,
        "dialog_type": chats.c.type,
    }
    assert set(columns) == set(TEXT_LIMITS)
    for key, column in columns.items():
        assert isinstance(column.type, String) and column.type.length == TEXT_LIMITS[key], key
    m = media.c
    for column in (m.width, m.height, m.duration_seconds, m.ttl_seconds, reactions.c.count):
        assert type(column.type) is Integer, column  # 32 bits on PostgreSQL: INT32
    for column in (messages.c.message_id, messages.c.date_utc, messages.c.reply_to_message_id, m.file_size):
        assert isinstance(column.type, BigInteger), column
    assert INT32 == 1 << 31
    from veilleur.ingest.writer import name_only_key

    longest = name_only_key(f"telegram:channel:{2**63 - 1}", "x" * NAME_KEY_LIMIT)
    assert len(longest) <= accounts.c.key.type.length  # a sender known by its name alone
