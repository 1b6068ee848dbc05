"""The storage contract: the same behaviour from SQLite and PostgreSQL, tested unchanged on both."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select

from veilleur.case import Case, init_case, open_case
from veilleur.errors import CaseError
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.store.bulk import insert_rows, sync_sequences, update_rows
from veilleur.store.engine import current_revision, head_revision
from veilleur.store.schema import ENGINE_TABLES, accounts, case_meta, import_log, messages, metadata


def test_new_case_is_at_the_latest_schema(case: Case) -> None:
    assert current_revision(case.engine) == head_revision() is not None
    with case.engine.connect() as conn:
        assert (
            conn.execute(select(case_meta.c.value).where(case_meta.c.key == "name")).scalar() == "test case"
        )
    again = open_case(case.root)
    assert again.database_url == case.database_url
    again.close()


def test_migrations_build_exactly_the_declared_schema(case: Case) -> None:
    """Tables, columns and indexes made by the migrations are those ``schema.py`` declares: a
    table or index added to one and not the other shows here, on each backend."""
    with case.engine.connect() as conn:
        portable = {"include_name": lambda name, kind, _parent: kind != "table" or name not in ENGINE_TABLES}
        context = MigrationContext.configure(conn, opts=portable)
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_case_init_refuses_an_existing_case(case: Case) -> None:
    with pytest.raises(CaseError, match="already exists"):
        init_case(case.root)


def test_open_case_without_settings_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no case here"):
        open_case(tmp_path)


def test_bulk_rows_round_trip_unicode_and_64_bit_ids(case: Case) -> None:
    big = 2**62 + 12345
    cols = ("id", "key", "platform", "kind", "peer_id", "identity", "deleted_seen")
    with case.engine.begin() as conn:
        insert_rows(
            conn,
            accounts,
            cols,
            [
                (1, "telegram:user:1", "telegram", "user", big, "platform_id", False),
                (2, "telegram:name:x:Zoë 🦊 ٱلْعَرَبِيَّة", "telegram", None, None, "name_only", False),
            ],
        )
        insert_rows(
            conn,
            accounts,
            cols,
            [(1, "telegram:user:1", "telegram", "user", big, "platform_id", False)],
            ignore_conflicts=True,
        )
        update_rows(conn, accounts, ("deleted_seen",), ("id",), [(True, 1)])
        sync_sequences(conn, accounts)
        # A plain insert after explicit ids must not collide (PostgreSQL sequences).
        conn.execute(
            insert(accounts).values(key="k3", platform="telegram", identity="name_only", deleted_seen=False)
        )
    with case.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(accounts))}
    assert rows[1].peer_id == big and rows[1].deleted_seen is True
    assert rows[2].key.endswith("Zoë 🦊 ٱلْعَرَبِيَّة")
    assert len(rows) == 3


def test_nul_characters_are_stored_visibly_on_both_backends(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "result.json").write_text(
        '{\n "name": "N",\n "type": "personal_chat",\n "id": 3,\n "messages": [\n  {\n   "id": 1,\n'
        '   "type": "message",\n   "date": "2026-02-01T10:00:00",\n   "date_unixtime": "1769936401",\n'
        '   "from": "A\\x00B",\n   "from_id": "user3",\n   "text": "x\\x00y",\n   "text_entities": []\n'
        "  }\n ]\n}\n",
        encoding="utf-8",
    )
    import_export(case, folder, ImportOptions("tester"))
    with case.engine.connect() as conn:
        assert conn.execute(select(messages.c.text)).scalar() == "x\ufffdy"
        assert conn.execute(select(messages.c.sender_name)).scalar() == "A\ufffdB"
        codes = conn.execute(select(import_log.c.code, func.count()).group_by(import_log.c.code)).all()
    assert dict(codes) == {"invalid_escape": 2}  # \x00 is one of the escapes Telegram writes
