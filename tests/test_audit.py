"""The audit log, on SQLite and PostgreSQL: which actions write entries, that the chain verifies,
and that every kind of tampering (an edit, a deletion, a reordering, a forged entry, a cut-off
tail) is reported."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from conftest import add_member
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody.audit import (
    GENESIS,
    AuditPosition,
    AuditProblem,
    canonical,
    entries,
    entry_hash,
    position,
    record,
    verify,
)
from veilleur.custody.evidence import register_path
from veilleur.demo.media import detailed_image
from veilleur.errors import AuditError, BadInput
from veilleur.hashing import hash_case_media
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.lists import import_list
from veilleur.lists.thresholds import set_pdq_threshold
from veilleur.matching.run import MatchOptions, match_case
from veilleur.store.schema import audit_head, audit_log, hash_lists

SECRET_TEXT = "a message text that must never reach the audit log"


def write_export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    messages = [
        {
            "id": i,
            "type": "message",
            "date": f"2026-02-01T10:0{i}:00",
            "date_unixtime": str(1769936400 + 60 * i),
            "from": "Alice",
            "from_id": "user3",
            "text": f"{SECRET_TEXT} {i}",
            "text_entities": [],
        }
        for i in (1, 2)
    ]
    doc = {"name": "N", "type": "personal_chat", "id": 3, "messages": messages}
    (folder / "result.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return folder


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    detailed_image(320, 240, seed).save(buf, "PNG")
    return buf.getvalue()


def run_pipeline(case: Case, tmp_path: Path) -> str:
    """Import an export, hash two media files, import a list, match. Returns the listed MD5."""
    import_export(case, write_export(tmp_path / "export"), ImportOptions("importer"))
    media = tmp_path / "media"
    media.mkdir()
    for seed in (1, 2):
        (media / f"p{seed}.png").write_bytes(png(seed))
    with case.engine.begin() as conn:
        for path in sorted(media.iterdir()):
            register_path(conn, path, kind="media", operator="importer")
    hash_case_media(case, workers=0, operator="hasher")
    listed = hashlib.md5((media / "p1.png").read_bytes()).hexdigest()
    (tmp_path / "known.csv").write_text(f"id,md5,category\nSYN-1,{listed},1\n", encoding="utf-8")
    import_list(case, tmp_path / "known.csv", name="Known", operator="curator")
    match_case(case, MatchOptions(threads=1), operator="matcher")
    return listed


def all_entries(case: Case) -> list[Any]:
    with case.engine.connect() as conn:
        return list(entries(conn))


def problems(case: Case, *, witness: bool = True) -> list[AuditProblem]:
    with case.engine.connect() as conn:
        return verify(conn, witness=case.witness_path if witness else None)


def kinds(found: list[AuditProblem]) -> set[tuple[int | None, str]]:
    return {(p.seq, p.kind) for p in found}


def witness_lines(case: Case) -> list[tuple[int, str]]:
    lines = case.witness_path.read_text(encoding="ascii").splitlines()
    return [(int(a), b) for a, b in (line.split() for line in lines)]


def invoke(case: Case, *args: str, operator: str = "viewer") -> Any:
    add_member(case, operator, "lead")
    return CliRunner().invoke(cli, ["--case", str(case.root), "--operator", operator, *args])


@pytest.fixture
def logged(case: Case) -> Case:
    """A case whose log holds case.init and five views (seq 1 to 6), all witnessed."""
    for i in range(5):
        case.audit("view.test", operator="viewer", subject=f"account {i}", details={"i": i})
    return case


# ------------------------------------------------------------------------------------------------
# What is logged


def test_every_action_is_logged_and_the_chain_verifies(case: Case, tmp_path: Path) -> None:
    listed = run_pipeline(case, tmp_path)
    res = invoke(case, "summary")
    assert res.exit_code == 0, res.output
    res = invoke(case, "lists", "threshold", "Known", "20", operator="curator")
    assert res.exit_code == 0, res.output

    log = all_entries(case)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert [(e.action, e.operator) for e in log] == [
        ("case.init", "tester"),
        ("import", "importer"),
        ("hash", "hasher"),
        ("lists.import", "curator"),
        ("match", "matcher"),
        ("view.summary", "viewer"),
        ("lists.threshold", "curator"),
    ]
    by_action = {e.action: e for e in log}
    imp = by_action["import"].details_value()
    assert by_action["import"].subject == str(tmp_path / "export")
    assert imp["status"] == "complete" and imp["counts"]["messages"] == 2 and len(imp["sha256"]) == 64
    assert by_action["hash"].details_value()["hashed"] == 2
    lists = by_action["lists.import"].details_value()
    assert by_action["lists.import"].subject == "Known" and lists["added"] == 1
    match = by_action["match"].details_value()
    assert match["files_flagged"] == 1 and match["run_id"] >= 1
    assert by_action["lists.threshold"].details_value() == {"pdq_threshold": 20, "was": None}
    # Never a list value, never message text.
    for e in log:
        assert listed not in (e.details or "") and listed not in (e.subject or "")
        assert SECRET_TEXT not in (e.details or "") and SECRET_TEXT not in (e.subject or "")
    for e in log:  # the stored hash is that of the documented serialisation
        assert (
            e.entry_hash
            == hashlib.sha256(
                canonical(e.seq, e.at, e.operator, e.action, e.subject, e.details, e.prev_hash)
            ).hexdigest()
        )
    assert log[0].prev_hash == GENESIS
    assert problems(case) == []
    # Every line of the witness names a committed entry, the library's match run included.
    witnessed = witness_lines(case)
    assert [s for s, _ in witnessed] == [1, 2, 3, 4, 5, 6, 7]
    assert all(dict((e.seq, e.entry_hash) for e in log)[s] == h for s, h in witnessed)


def test_a_failed_import_is_logged_with_what_it_left(case: Case, tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export")
    data = (folder / "result.json").read_bytes()
    (folder / "result.json").write_bytes(data[: len(data) * 2 // 3])  # truncated mid-message
    with pytest.raises(BadInput):
        import_export(case, folder, ImportOptions("importer"))
    last = all_entries(case)[-1]
    assert (last.action, last.operator, last.subject) == ("import", "importer", str(folder))
    assert last.details_value()["status"] == "failed" and last.details_value()["error"] == "BadInput"
    assert witness_lines(case)[-1] == (last.seq, last.entry_hash)
    assert problems(case) == []


def test_cli_views_are_logged_before_they_are_shown(case: Case, tmp_path: Path) -> None:
    import_export(case, write_export(tmp_path / "export"), ImportOptions("importer"))
    for args in (
        ["summary"],
        ["summary", "--json"],
        ["imports"],
        ["evidence", "list"],
        ["evidence", "verify"],
        ["hits"],
        ["lists", "show"],
        ["audit", "show"],
    ):
        res = invoke(case, *args)
        assert res.exit_code == 0, (args, res.output)
    actions = [e.action for e in all_entries(case)][2:]
    assert actions == [
        "view.summary",
        "view.summary",
        "view.imports",
        "view.evidence",
        "view.evidence.verify",
        "view.hits",
        "view.lists",
        "view.audit",
    ]
    assert {e.operator for e in all_entries(case)[2:]} == {"viewer"}
    assert problems(case) == []


def test_audit_show_and_verify_commands(logged: Case) -> None:
    res = invoke(logged, "audit", "show", "--json", "--limit", "3")
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)["entries"]
    assert [e["seq"] for e in shown] == [4, 5, 6]  # newest last
    assert shown[-1]["details"] == {"i": 4} and shown[-1]["subject"] == "account 4"
    res = invoke(logged, "audit", "verify")
    assert res.exit_code == 0, res.output
    assert "intact up to audit #7" in res.output  # #7: the view of the log just above
    assert all_entries(logged)[-1].action == "audit.verify"


def test_position_and_its_label(logged: Case) -> None:
    with logged.engine.connect() as conn:
        head = position(conn)
    assert head is not None and head.seq == 6
    assert head.label == f"audit #6 {head.entry_hash[:12]}…"
    assert AuditPosition(42, "3fa1c2" + "0" * 58).label == "audit #42 3fa1c2000000…"


# ------------------------------------------------------------------------------------------------
# What is reported


def test_an_edited_entry_is_reported(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(details='{"i":99}'))
    assert kinds(problems(logged)) == {(3, "edited")}


def test_an_edited_operator_is_reported_even_without_the_witness(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 4).values(operator="someone else"))
    assert kinds(problems(logged, witness=False)) == {(4, "edited")}


def test_a_deleted_middle_entry_is_reported(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 3))
    found = problems(logged, witness=False)
    assert kinds(found) == {(3, "missing")}
    assert "#3" in found[0].message and "deleted" in found[0].message
    assert (3, "witness") in kinds(problems(logged))


def test_swapped_entries_are_reported_as_reordered(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(seq=1000))
        conn.execute(update(audit_log).where(audit_log.c.seq == 4).values(seq=3))
        conn.execute(update(audit_log).where(audit_log.c.seq == 1000).values(seq=4))
    found = problems(logged, witness=False)
    assert kinds(found) == {(3, "moved"), (4, "moved")}
    assert "written as #4" in next(p.message for p in found if p.seq == 3)


def test_a_forged_entry_with_a_recomputed_hash_is_reported(logged: Case) -> None:
    with logged.engine.connect() as conn:
        e = next(x for x in entries(conn) if x.seq == 3)
    wrong_prev = "ab" * 32
    forged = entry_hash(3, e.at, "mallory", e.action, e.subject, e.details, wrong_prev)
    with logged.engine.begin() as conn:
        conn.execute(
            update(audit_log)
            .where(audit_log.c.seq == 3)
            .values(operator="mallory", prev_hash=wrong_prev, entry_hash=forged)
        )
    found = kinds(problems(logged))
    # Its own hash holds; its link to #2 does not, nor #4's link to it, nor the witness's line.
    assert (3, "edited") not in found
    assert {(3, "chain"), (4, "chain"), (3, "witness")} <= found


def test_a_rehashed_entry_breaks_the_next_link(logged: Case) -> None:
    with logged.engine.connect() as conn:
        e = next(x for x in entries(conn) if x.seq == 5)
    forged = entry_hash(5, e.at, e.operator, e.action, e.subject, '{"i":0}', e.prev_hash)
    with logged.engine.begin() as conn:
        conn.execute(
            update(audit_log).where(audit_log.c.seq == 5).values(details='{"i":0}', entry_hash=forged)
        )
    assert kinds(problems(logged, witness=False)) == {(6, "chain")}


def test_a_deleted_tail_is_caught_by_the_witness_only(logged: Case) -> None:
    with logged.engine.connect() as conn:
        e4 = next(x for x in entries(conn) if x.seq == 4)
    with logged.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq > 4))
        conn.execute(update(audit_head).values(seq=4, entry_hash=e4.entry_hash))
    assert problems(logged, witness=False) == []  # the chain alone cannot tell
    found = problems(logged)
    assert kinds(found) == {(6, "witness")}
    assert "ends at #4" in found[0].message
    res = invoke(logged, "audit", "verify")
    assert res.exit_code == 1 and "PROBLEM" in res.output and "ends at #4" in res.output
    # The next append reuses #5 with another hash: still caught, now by its witnessed hash.
    assert (5, "witness") in kinds(problems(logged))


def test_a_head_that_disagrees_is_reported(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 6))
    assert kinds(problems(logged, witness=False)) == {(6, "head")}
    # The next append chains to the head, i.e. to the lost entry: the loss stays visible.
    logged.audit("view.test", operator="viewer")
    assert kinds(problems(logged, witness=False)) == {(6, "missing")}


def test_a_missing_head_refuses_appends(logged: Case) -> None:
    with logged.engine.begin() as conn:
        conn.execute(delete(audit_head))
    assert (None, "head") in kinds(problems(logged))
    with pytest.raises(AuditError, match="head row"):
        logged.audit("view.test", operator="viewer")
    res = invoke(logged, "summary")
    assert res.exit_code != 0  # not shown, since it cannot be logged


def test_a_deleted_witness_file_is_reported(logged: Case) -> None:
    logged.witness_path.unlink()
    assert kinds(problems(logged)) == {(None, "witness")}


# ------------------------------------------------------------------------------------------------
# Transactions and concurrency


def test_a_rolled_back_action_leaves_no_entry(logged: Case, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("md5 0123456789abcdef0123456789abcdef\n", encoding="utf-8")
    import_list(logged, tmp_path / "good.txt", name="Good", operator="curator")
    before = all_entries(logged)
    lines = witness_lines(logged)
    with pytest.raises(RuntimeError), logged.engine.begin() as conn:
        record(conn, "view.test", operator="viewer")
        raise RuntimeError("the action failed")
    (tmp_path / "bad.txt").write_text(
        "md5 fedcba9876543210fedcba9876543210\npdq not-a-hash\n", encoding="utf-8"
    )
    with pytest.raises(BadInput):
        import_list(logged, tmp_path / "bad.txt", name="Bad", operator="curator")
    with pytest.raises(RuntimeError), logged.engine.begin() as conn:
        set_pdq_threshold(conn, "Good", 10, operator="curator")
        raise RuntimeError("the action failed")
    assert all_entries(logged) == before
    assert witness_lines(logged) == lines
    with logged.engine.connect() as conn:
        assert conn.execute(select(hash_lists.c.name, hash_lists.c.pdq_threshold)).all() == [("Good", None)]
    assert problems(logged) == []


def test_concurrent_appends_make_one_gap_free_chain(case: Case) -> None:
    n, per_thread = 4, 25
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with case.engine.begin() as conn:
                    record(conn, "view.test", operator=f"w{worker}", details={"i": i})
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = all_entries(case)
    assert [e.seq for e in log] == list(range(1, 2 + n * per_thread))
    assert {e.operator for e in log[1:]} == {f"w{w}" for w in range(n)}
    assert problems(case, witness=False) == []


def test_an_appender_waits_for_the_other_to_commit(case: Case) -> None:
    """The head lock serialises appenders: the second appender takes the next seq after the
    first commits, never the same one."""
    first = case.engine.connect()
    txn = first.begin()
    mine = record(first, "view.test", operator="first")
    got: list[AuditPosition] = []

    def second() -> None:
        with case.engine.begin() as conn:
            got.append(record(conn, "view.test", operator="second"))

    t = threading.Thread(target=second)
    t.start()
    t.join(timeout=1.0)
    assert t.is_alive() and got == []  # blocked on the head
    txn.commit()
    first.close()
    t.join(timeout=30)
    assert got and got[0].seq == mine.seq + 1
    assert problems(case, witness=False) == []


# ------------------------------------------------------------------------------------------------
# Schema


def test_a_new_case_starts_its_chain_with_its_init_entry(case: Case) -> None:
    # That the migrations build the declared tables: tests/test_store_contract.py.
    with case.engine.connect() as conn:
        head = conn.execute(select(audit_head)).all()
    assert [tuple(r) for r in head] == [(1, 1, head[0].entry_hash)]  # case.init is entry 1
