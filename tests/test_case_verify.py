"""``veilleur case verify``: the case's records checked against the content seals in the audit
chain. Each tampering a person with write access to the database could do — an edited text or
sender, a deleted or inserted message, a rewritten SHA-256, an edited identity record, an emptied
witness — is caught, on both backends; a case nobody touched verifies clean."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, insert, select, update

from matched_demo import demo_dir  # noqa: F401 (the session's generated demo case)
from veilleur import app
from veilleur.app.results import CaseVerification
from veilleur.app.session import CaseSession, member_role
from veilleur.case import Case, init_case
from veilleur.cli import cli
from veilleur.demo.media import detailed_image
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.records.importer import import_records
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import (
    accounts,
    entities,
    evidence,
    identity_records,
    import_log,
    imports,
    media,
    message_sightings,
    message_versions,
    messages,
    reaction_actors,
    reactions,
)

OPERATOR = "verifier"


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    detailed_image(320, 240, seed).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def sealed(demo_dir: Path, db_url: str | None, tmp_path: Path) -> Iterator[Case]:  # noqa: F811
    """The demo's exports and records imported into a fresh case."""
    truth = json.loads((demo_dir / "ground_truth.json").read_text(encoding="utf-8"))
    case = init_case(tmp_path / "case", name="verify", database_url=db_url, operator=OPERATOR)
    try:
        for export in truth["import_order"]:
            offset = utc_offset(truth["exports"][export]["utc_offset"])
            import_export(case, demo_dir / "exports" / export, ImportOptions(OPERATOR, offset))
        for spec in truth["identity"]["files"]:
            import_records(case, demo_dir / "records" / spec["file"], kind=spec["kind"], operator=OPERATOR)
        yield case
    finally:
        case.close()


def check(case: Case, *, files: bool = False, user: str = OPERATOR) -> CaseVerification:
    return app.case_verify(CaseSession(case, user, member_role(case, user), None), files=files)


def a_message(case: Case, *, versions: bool = False) -> tuple[int, int]:
    """(pk, sender id) of a text message, one with later versions when ``versions``."""
    q = select(messages.c.id, messages.c.sender_id).where(
        messages.c.text != "", messages.c.sender_id.is_not(None)
    )
    q = q.where(messages.c.n_versions > 1) if versions else q.where(messages.c.n_versions == 1)
    with case.engine.connect() as conn:
        row = conn.execute(q.order_by(messages.c.id).limit(1)).one()
    return int(row.id), int(row.sender_id)


def test_an_untouched_case_verifies_clean(sealed: Case) -> None:
    v = check(sealed, files=True)
    assert v.ok, (v.audit, v.records, v.file_problems)
    assert v.sealed_imports >= 7 and v.sealed_rows > 1_000  # four exports, three records files
    assert v.unsealed == [] and v.files > 0
    result = CliRunner().invoke(
        cli, ["--case", str(sealed.root), "--operator", OPERATOR, "case", "verify", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["records"] == []


def test_an_edited_text_is_caught(sealed: Case) -> None:
    pk, _ = a_message(sealed)
    with sealed.engine.begin() as conn:
        conn.execute(update(messages).where(messages.c.id == pk).values(text="a confession never made"))
    v = check(sealed)
    assert not v.ok and any("its messages differ" in p for p in v.records), v.records
    result = CliRunner().invoke(cli, ["--case", str(sealed.root), "--operator", OPERATOR, "case", "verify"])
    assert result.exit_code == 1 and "RECORDS" in result.output


def test_the_current_text_of_an_edited_message_is_checked_against_its_versions(sealed: Case) -> None:
    pk, _ = a_message(sealed, versions=True)
    with sealed.engine.begin() as conn:
        conn.execute(update(messages).where(messages.c.id == pk).values(text="rewritten"))
    v = check(sealed)
    assert any("none of its sealed versions" in p for p in v.records), v.records


def test_a_changed_sender_is_caught(sealed: Case) -> None:
    pk, sender = a_message(sealed)
    with sealed.engine.begin() as conn:
        other = conn.execute(select(accounts.c.id).where(accounts.c.id != sender).limit(1)).scalar_one()
        conn.execute(update(messages).where(messages.c.id == pk).values(sender_id=other))
    assert any("its messages differ" in p for p in check(sealed).records)


def test_a_deleted_message_is_caught(sealed: Case) -> None:
    pk, _ = a_message(sealed)
    with sealed.engine.begin() as conn:
        for t in (entities, media, reactions, reaction_actors, message_sightings, message_versions):
            conn.execute(delete(t).where(t.c.message_pk == pk))
        conn.execute(delete(messages).where(messages.c.id == pk))
    v = check(sealed)
    assert any("its messages differ" in p and "rows now" in p for p in v.records), v.records


def test_an_inserted_message_is_caught(sealed: Case) -> None:
    with sealed.engine.begin() as conn:
        row = conn.execute(select(messages).order_by(messages.c.id.desc()).limit(1)).one()
        values = dict(row._mapping)
        values.update(id=row.id + 1000, message_id=row.message_id + 1000, text="planted")
        conn.execute(insert(messages), values)
    assert any("its messages differ" in p for p in check(sealed).records)


def test_messages_of_an_import_no_audit_entry_seals_are_caught(sealed: Case) -> None:
    """Rows put in with an import row of their own, marked complete, but never logged."""
    with sealed.engine.begin() as conn:
        row = conn.execute(select(messages).order_by(messages.c.id.desc()).limit(1)).one()
        src = conn.execute(select(imports).where(imports.c.id == row.first_import_id)).one()
        fake = conn.execute(
            insert(imports).values({**dict(src._mapping), "id": src.id + 100})
        ).inserted_primary_key[0]
        values = dict(row._mapping) | {
            "id": row.id + 1000,
            "message_id": row.message_id + 1000,
            "first_import_id": fake,
            "last_import_id": fake,
        }
        conn.execute(insert(messages), values)
    v = check(sealed)
    assert f"1 messages cite import #{fake}, which no audit entry seals" in v.records, v.records


def test_a_rewritten_evidence_sha256_is_caught_without_reading_the_files(sealed: Case) -> None:
    with sealed.engine.begin() as conn:
        ev = conn.execute(select(evidence.c.id).where(evidence.c.kind == "media").limit(1)).scalar_one()
        conn.execute(update(evidence).where(evidence.c.id == ev).values(sha256="0" * 64))
    v = check(sealed, files=False)
    assert v.files == 0
    assert any("evidence registry" in p for p in v.records), v.records


def test_an_edited_identity_record_is_caught(sealed: Case) -> None:
    with sealed.engine.begin() as conn:
        rid = conn.execute(select(func.min(identity_records.c.id))).scalar_one()
        conn.execute(
            update(identity_records).where(identity_records.c.id == rid).values(last_name="Innocent")
        )
    assert any("its identity differ" in p for p in check(sealed).records)


def test_an_emptied_witness_is_an_error(sealed: Case) -> None:
    sealed.witness_path.write_bytes(b"")
    v = check(sealed)
    assert any("witness file" in p and "is empty" in p for p in v.audit), v.audit
    assert not v.ok


def test_a_missing_witness_is_an_error(sealed: Case) -> None:
    sealed.witness_path.unlink()
    assert any("no witness file" in p for p in check(sealed).audit)


def test_verification_is_audited_and_needs_an_analyst(sealed: Case) -> None:
    from conftest import add_member
    from veilleur.errors import PermissionDenied

    check(sealed)
    with sealed.engine.connect() as conn:
        from veilleur.custody.audit import tail

        last = tail(conn, 1)[0]
    assert last.action == "case.verify" and last.operator == OPERATOR
    add_member(sealed, "reader", "viewer")
    with pytest.raises(PermissionDenied):
        check(sealed, user="reader")


def test_a_later_export_registers_the_files_of_messages_seen_before(
    tmp_path: Path, db_url: str | None
) -> None:
    """Media of a later export whose messages already had files are registered as evidence too,
    counted in its report, and sealed; a file that differs from the first one is a notice."""
    first = tmp_path / "first"
    (first / "photos").mkdir(parents=True)
    msgs = []
    for i in (1, 2, 3):
        (first / "photos" / f"p{i}.png").write_bytes(png(i))
        msgs.append(
            {
                "id": i,
                "type": "message",
                "date": f"2026-02-01T10:0{i}:00",
                "date_unixtime": str(1769936400 + 60 * i),
                "from": "Alice",
                "from_id": "user3",
                "text": "",
                "photo": f"photos/p{i}.png",
                "width": 320,
                "height": 240,
            }
        )
    (first / "result.json").write_bytes(
        orjson.dumps({"name": "N", "type": "personal_chat", "id": 3, "messages": msgs})
    )
    case = init_case(tmp_path / "case", name="later", database_url=db_url, operator=OPERATOR)
    try:
        import_export(case, first, ImportOptions(OPERATOR))
        later = tmp_path / "later"
        shutil.copytree(first, later)
        msgs.append({**msgs[-1], "id": 4, "photo": "photos/p4.png"})
        (later / "photos" / "p4.png").write_bytes(png(4))
        (later / "photos" / "p1.png").write_bytes(png(11))  # not the file the first export gave
        (later / "result.json").write_bytes(
            orjson.dumps({"name": "N", "type": "personal_chat", "id": 3, "messages": msgs})
        )
        report = import_export(case, later, ImportOptions(OPERATOR)).report
        assert report["counters"]["media_present"] == 4  # three seen before, one new
        with case.engine.connect() as conn:
            paths = set(
                conn.execute(select(evidence.c.original_path).where(evidence.c.kind == "media")).scalars()
            )
            notices = conn.execute(select(import_log.c.code, import_log.c.message)).all()
        assert {Path(p).parent.parent.name for p in paths} == {"first", "later"}
        assert len([p for p in paths if "/later/" in p]) == 4
        assert [n.code for n in notices] == ["media_differs"]
        assert "p1.png" in notices[0].message
        assert check(case).ok
    finally:
        case.close()
