"""Exports of one chat seen again: what a later export may change and what it may not.

A message id that a later export shows with another sender is a conflict, recorded and
reported, never a new version of the first sender's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from veilleur import app
from veilleur.app.results import CaseVerification
from veilleur.app.session import CaseSession, member_role
from veilleur.case import Case, init_case
from veilleur.ingest.importer import ImportOptions, import_export
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
