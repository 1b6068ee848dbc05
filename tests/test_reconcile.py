"""Exports of one chat seen again: what a later export may change and what it may not.

A message id that a later export shows with another sender is a conflict, recorded and
reported, never a new version of the first sender's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from matched_demo import demo_dir  # noqa: F401 (the session's generated demo case)
from veilleur import app
from veilleur.app.results import CaseVerification
from veilleur.app.session import CaseSession, member_role
from veilleur.case import Case, init_case
from veilleur.errors import VeilleurError
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import accounts, message_conflicts, messages

OPERATOR = "t"


def group_export(folder: Path, senders: dict[int, int], *, extra: int = 0) -> Path:
    """A private group's result.json: message ``i`` sent by ``user<senders[i]>``."""
    folder.mkdir(parents=True)
    msgs: list[dict[str, Any]] = [
        {
            "id": i,
            "type": "message",
            "date": f"2026-02-01T10:{i:02d}:00",
            "date_unixtime": str(1769940000 + 60 * i),
            "from": f"User {u}",
            "from_id": f"user{u}",
            "text": f"message {i}",
            "text_entities": [{"type": "plain", "text": f"message {i}"}],
        }
        for i, u in sorted(senders.items())
    ]
    for j in range(extra):
        i = max(senders) + 1 + j
        msgs.append({**msgs[-1], "id": i, "date_unixtime": str(1769940000 + 60 * i), "text": f"later {i}"})
    doc = {"name": "Groupe", "type": "private_group", "id": 44, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return folder


def verified(case: Case) -> CaseVerification:
    return app.case_verify(CaseSession(case, OPERATOR, member_role(case, OPERATOR), None), files=False)


def test_a_later_export_with_another_sender_is_a_conflict_not_a_version(
    tmp_path: Path, db_url: str | None
) -> None:
    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        import_export(case, group_export(tmp_path / "a", {1: 3, 2: 4, 3: 3}), ImportOptions(OPERATOR))
        later = group_export(tmp_path / "b", {1: 3, 2: 5, 3: 3}, extra=1)
        report = import_export(case, later, ImportOptions(OPERATOR)).report
        assert report["counters"]["sender_conflicts"] == 1
        assert report["counters"]["new_versions"] == 0 and report["counters"]["new"] == 1
        (w,) = [w for w in report["warnings"] if w["code"] == "sender_conflict"]
        assert "telegram:user:5" in w["message"] and "telegram:user:4" in w["message"]
        assert "message 2" in w["message"] and "message 2" not in w["message"].split(":", 1)[1]  # no text
        with case.engine.connect() as conn:
            keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())
            row = conn.execute(select(messages).where(messages.c.message_id == 2)).one()
            (c,) = conn.execute(select(message_conflicts)).all()
        assert keys[row.sender_id] == "telegram:user:4"  # the first sender stays
        assert row.n_versions == 1 and not row.possibly_deleted
        assert (keys[c.stored_account_id], keys[c.found_account_id]) == ("telegram:user:4", "telegram:user:5")
        assert c.message_pk == row.id and c.byte_offset is not None
        assert verified(case).ok
        session = CaseSession(case, OPERATOR, member_role(case, OPERATOR), None)
        for key in ("telegram:user:4", "telegram:user:5"):  # on both accounts' pages
            (shown,) = app.account_profile(session, key).profile["sender_conflicts"]
            assert (shown["stored"], shown["found"], shown["message_id"]) == (
                "telegram:user:4",
                "telegram:user:5",
                2,
            )
        assert app.account_profile(session, "telegram:user:3").profile["sender_conflicts"] == []
    finally:
        case.close()


def test_the_same_sender_seen_again_is_no_conflict(tmp_path: Path, db_url: str | None) -> None:
    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        import_export(case, group_export(tmp_path / "a", {1: 3, 2: 4}), ImportOptions(OPERATOR))
        report = import_export(
            case, group_export(tmp_path / "b", {1: 3, 2: 4}, extra=1), ImportOptions(OPERATOR)
        ).report
        assert report["counters"]["sender_conflicts"] == 0 and report["counters"]["unchanged"] == 2
    finally:
        case.close()


# -- dialog ids written encoded by v1.4.8 to v2.7.1 ---------------------------------------------------

CHANNEL = 1447061072
BIG_USER = 6802950856  # a modern bare user id above 2**32: never decoded by its magnitude


def channel_export(folder: Path, *, old_writer: bool, ids: range) -> Path:
    """One channel's result.json as a v2.4-v2.7.1 writer (encoded dialog id and integer from_id)
    or a modern one (bare id, prefixed from_id) wrote it."""
    folder.mkdir(parents=True)
    msgs = [
        {
            "id": i,
            "type": "message",
            "date": f"2020-06-01T10:{i:02d}:00",
            "date_unixtime": str(1591005600 + 60 * i),
            "from": "Canal",
            "from_id": (2 << 32) + CHANNEL if old_writer else f"channel{CHANNEL}",
            "text": f"post {i}",
        }
        for i in ids
    ]
    dialog_id = (2 << 32) + CHANNEL if old_writer else CHANNEL
    doc = {"name": "Canal", "type": "private_channel", "id": dialog_id, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc))
    return folder


def test_a_channel_exported_in_2020_and_today_is_one_chat(tmp_path: Path, db_url: str | None) -> None:
    from veilleur.store.schema import chats

    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        old = import_export(
            case, channel_export(tmp_path / "old", old_writer=True, ids=range(1, 4)), ImportOptions(OPERATOR)
        )
        assert any(w["code"] == "dialog_id_decoded" for w in old.report["warnings"])
        new = import_export(
            case, channel_export(tmp_path / "new", old_writer=False, ids=range(1, 6)), ImportOptions(OPERATOR)
        )
        assert new.report["counters"]["new"] == 2 and new.report["counters"]["unchanged"] == 3
        with case.engine.connect() as conn:
            assert list(conn.execute(select(chats.c.key)).scalars()) == [f"telegram:channel:{CHANNEL}"]
            senders = set(
                conn.execute(
                    select(accounts.c.key).join(messages, messages.c.sender_id == accounts.c.id)
                ).scalars()
            )
        assert senders == {f"telegram:channel:{CHANNEL}"}  # its own posts: the chat's own key
        assert verified(case).ok
    finally:
        case.close()


def test_a_modern_bare_id_above_2_32_is_not_decoded(tmp_path: Path, db_url: str | None) -> None:
    from veilleur.store.schema import chats

    folder = tmp_path / "dm"
    folder.mkdir()
    msgs = [
        {
            "id": 1,
            "type": "message",
            "date": "2026-01-01T10:00:00",
            "date_unixtime": "1767261600",
            "from": "Big",
            "from_id": f"user{BIG_USER}",
            "text": "bonjour",
        }
    ]
    doc = {"name": "Big", "type": "personal_chat", "id": BIG_USER, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc))
    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        import_export(case, folder, ImportOptions(OPERATOR))
        with case.engine.connect() as conn:
            assert list(conn.execute(select(chats.c.key)).scalars()) == [f"telegram:user:{BIG_USER}"]
    finally:
        case.close()


def test_an_old_personal_chat_id_is_decoded() -> None:
    from veilleur.sources.telegram_common import decode_dialog_id

    assert decode_dialog_id((1 << 32) + 94435633, "user") == 94435633
    assert decode_dialog_id((2 << 32) + CHANNEL, "channel") == CHANNEL
    assert decode_dialog_id((2 << 32) + 77, "chat") == 77
    assert decode_dialog_id((2 << 32) + 77, "user") == (2 << 32) + 77  # not a user's tag: kept
    assert decode_dialog_id(5, "user") == 5


# -- the JSON and the HTML of one export, in two commands ---------------------------------------------


def _split(export: Path, tmp: Path) -> tuple[Path, Path]:
    """The demo's group export (result.json and messages.html with their media) as two folders."""
    import shutil

    json_only, html_only = tmp / "json-only", tmp / "html-only"
    shutil.copytree(export, json_only, ignore=shutil.ignore_patterns("messages*.html", "css", "js"))
    shutil.copytree(export, html_only, ignore=shutil.ignore_patterns("result.json"))
    return json_only, html_only


def test_the_html_of_an_export_imported_after_its_json_is_the_same_chat(
    demo_dir: Path,  # noqa: F811
    tmp_path: Path,
    db_url: str | None,
) -> None:
    from veilleur.store.schema import chats

    json_only, html_only = _split(demo_dir / "exports" / "group-2026-03", tmp_path)
    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        first = import_export(case, json_only, ImportOptions(OPERATOR, utc_offset("+01:00")))
        with case.engine.connect() as conn:
            before = conn.execute(select(chats.c.key)).scalars().all()
            n = conn.execute(select(func.count()).select_from(messages)).scalar_one()
        second = import_export(case, html_only, ImportOptions(OPERATOR, utc_offset("+01:00")))
        c = second.report["counters"]
        assert c["new"] == 0 and c["reconciled"] == first.report["counters"]["messages"], c
        assert any(w["code"] == "chat_matched_by_content" for w in second.report["warnings"])
        with case.engine.connect() as conn:
            assert conn.execute(select(chats.c.key)).scalars().all() == before
            assert conn.execute(select(func.count()).select_from(messages)).scalar_one() == n
        assert verified(case).ok
    finally:
        case.close()


def html_group(folder: Path, title: str, texts: list[str]) -> Path:
    """A minimal HTML-only group export: one page, no ids anywhere."""
    from test_telegram_html import message as html_message
    from test_telegram_html import page, write

    blocks = [
        html_message(i, f"01.02.2026 10:{i:02d}:00 UTC+01:00", sender="Alice", text=t)
        for i, t in enumerate(texts, start=1)
    ]
    return write(folder, {"messages.html": page(title, blocks)})


def test_two_html_groups_with_one_title_are_never_merged(tmp_path: Path, db_url: str | None) -> None:
    from veilleur.store.schema import chats

    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        a = html_group(tmp_path / "a", "Famille", ["bonjour", "ça va ?", "à demain"])
        b = html_group(tmp_path / "b", "Famille", ["rendez-vous", "au parc", "14h"])
        again = html_group(tmp_path / "a2", "Famille", ["bonjour", "ça va ?", "à demain", "et un de plus"])
        import_export(case, a, ImportOptions(OPERATOR))
        second = import_export(case, b, ImportOptions(OPERATOR))
        assert any(w["code"] == "same_title_other_chat" for w in second.report["warnings"])
        third = import_export(case, again, ImportOptions(OPERATOR))  # group a, exported again later
        assert third.report["counters"]["new"] == 1 and third.report["counters"]["unchanged"] == 3
        with case.engine.connect() as conn:
            keys = sorted(conn.execute(select(chats.c.key)).scalars())
            per_chat = dict(
                conn.execute(select(chats.c.key, func.count()).join(messages).group_by(chats.c.key)).all()
            )
        assert keys == ["telegram:name:Famille", "telegram:name:Famille#2"]
        assert per_chat == {"telegram:name:Famille": 4, "telegram:name:Famille#2": 3}
        assert verified(case).ok
    finally:
        case.close()


# -- times without an offset ------------------------------------------------------------------------


def test_times_without_an_offset_are_announced_with_the_offset_the_export_shows(
    tmp_path: Path, db_url: str | None
) -> None:
    """An export whose messages carry only local times, beside ones that carry both (an export
    from the era when date_unixtime was being introduced, or a repaired one)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    msgs: list[dict[str, Any]] = []
    for i in range(1, 7):
        m: dict[str, Any] = {
            "id": i,
            "type": "message",
            "date": f"2026-02-01T11:{i:02d}:00",  # 10:0i UTC on a machine at UTC+01:00
            "from": "User 3",
            "from_id": "user3",
            "text": f"m{i}",
        }
        if i <= 3:
            m["date_unixtime"] = str(1769940000 + 60 * i)
        msgs.append(m)
    doc = {"name": "N", "type": "personal_chat", "id": 3, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc))
    case = init_case(tmp_path / "case", name="c", database_url=db_url, operator=OPERATOR)
    try:
        report = import_export(case, folder, ImportOptions(OPERATOR)).report
        assert report["times"]["without_offset"] == 3
        assert report["times"]["offsets_seen"] == {"+01:00": 3}
        (w,) = [w for w in report["warnings"] if w["code"] == "times_without_offset"]
        assert "3 messages" in w["message"] and "--utc-offset +01:00" in w["message"]
        assert report["counters"]["notices"] == len(report["warnings"])
        s = app.summary(CaseSession(case, OPERATOR, member_role(case, OPERATOR), None)).summary
        assert s["times_without_offset"] == 3
        # The same export again with the offset it suggests: refused, never "unchanged" in silence.
        with pytest.raises(VeilleurError, match=r"import #1, read with no UTC offset: 3 of its messages"):
            import_export(case, folder, ImportOptions(OPERATOR, utc_offset("+01:00")))
        assert import_export(case, folder, ImportOptions(OPERATOR)).status == "unchanged"
    finally:
        case.close()
