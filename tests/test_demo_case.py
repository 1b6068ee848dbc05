"""The whole pipeline on the synthetic demo case, against its ground truth, on SQLite and PostgreSQL.

The demo (four Telegram Desktop exports: a supergroup in JSON+HTML, the central account's full
JSON export, a later JSON re-export of the group and an old HTML-only private chat) is generated
once per session; each test imports it into a fresh case of its backend.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, func, select, update

from veilleur.case import Case
from veilleur.cli import cli
from veilleur.demo.check import Mismatch, check_ground_truth, check_hits, store_key
from veilleur.demo.generate import generate_demo_case
from veilleur.demo.media import make_jpeg
from veilleur.hashing import hash_case_media
from veilleur.ingest.importer import ImportOptions, ImportResult, import_export
from veilleur.lists import import_list
from veilleur.matching.run import MatchOptions, match_case
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import (
    account_names,
    accounts,
    chats,
    evidence,
    exporter_records,
    media,
    message_sightings,
    message_versions,
    messages,
    metadata,
)

Demo = tuple[Path, dict[str, Any]]
HTML_PAGE = re.compile(r"(?:^|/)messages\d*\.html$")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo_case")
    truth_path = generate_demo_case(out, seed=7)
    return out, json.loads(truth_path.read_text(encoding="utf-8"))


def import_one(case: Case, demo: Demo, name: str) -> ImportResult:
    root, truth = demo
    offset = truth["exports"][name]["utc_offset"]
    return import_export(case, root / "exports" / name, ImportOptions("tester", utc_offset(offset)))


def import_all(case: Case, demo: Demo) -> list[ImportResult]:
    return [import_one(case, demo, name) for name in demo[1]["import_order"]]


def row_counts(conn: Connection) -> dict[str, int]:
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
        for t in metadata.sorted_tables
    }


def chat_id(conn: Connection, truth_key: str) -> int:
    return int(conn.execute(select(chats.c.id).where(chats.c.key == store_key(truth_key))).scalar_one())


# ------------------------------------------------------------------------------------------------
# The ground truth


def test_case_matches_ground_truth(case: Case, demo: Demo) -> None:
    results = import_all(case, demo)
    assert [r.status for r in results] == ["complete"] * len(results)
    with case.engine.connect() as conn:
        mismatches = check_ground_truth(conn, demo[1])
    assert mismatches == [], "\n".join(map(str, mismatches))


Mutation = Callable[[dict[str, Any]], None]


def _group(t: dict[str, Any]) -> str:
    return str(next(k for k in t["case"]["distinct_message_ids"] if k.startswith("channel:1712")))


def _march(t: dict[str, Any]) -> dict[str, Any]:
    chats_ = t["exports"]["group-2026-03"]["chats"]
    return dict(chats_[_group(t)])


def _set_march(t: dict[str, Any], **values: Any) -> None:
    t["exports"]["group-2026-03"]["chats"][_group(t)].update(values)


def _rename(t: dict[str, Any]) -> None:
    acc = next(a for a in t["case"]["accounts"].values() if a["names"])
    acc["names"] = [*acc["names"], "Somebody Else"]


def _first_edit(t: dict[str, Any]) -> None:
    e = t["case"]["edited_messages"][0]
    e["texts"] = [*e["texts"][:1], "another text"]


# Each wrong ground truth must be caught, by a mismatch whose description holds the given words.
WRONG_TRUTHS: list[tuple[str, Mutation]] = [
    ("message ids of", lambda t: t["case"]["distinct_message_ids"][_group(t)].pop()),
    ("chats in the case", lambda t: t["case"]["distinct_message_ids"].update({"user:1": [1]})),
    ("service message ids", lambda t: _set_march(t, service_message_ids=[*_march(t)["message_ids"][:3]])),
    ("display names of", _rename),
    ("usernames of", lambda t: t["case"]["accounts"][t["case"]["central_account_id"]].update(usernames=[])),
    ("deleted accounts", lambda t: t["case"]["deleted_account_ids"].pop()),
    ("versions of message", _first_edit),
    ("possibly deleted", lambda t: t["case"]["possibly_deleted"][_group(t)].pop()),
    ("with a saved photo or file", lambda t: _set_march(t, media_present_ids=[])),
    ("placeholders of", lambda t: _set_march(t, placeholders={"not_included": 1})),
    ("escapes repaired", lambda t: _set_march(t, json_escapes=_march(t)["json_escapes"] + 1)),
    ("message count of", lambda t: _set_march(t, message_ids=_march(t)["message_ids"][1:])),
    ("coverage of", lambda t: _set_march(t, only_own_messages=True)),
    ("last message time", lambda t: t["case"].update(last_message_utc="2026-06-27T15:06:13Z")),
    ("first message time", lambda t: t["case"].update(first_message_utc="2026-01-03T18:05:00Z")),
    ("central account", lambda t: t["case"].update(central_account_id="user:1")),
    ("not shifted by", lambda t: t["exports"]["dm-html-old"].update(utc_offset="+02:00")),
    ("time basis", lambda t: t["exports"]["dm-html-old"].update(html_titles_have_utc_offset=True)),
]


def test_ground_truth_check_can_fail(case: Case, demo: Demo) -> None:
    """Every part of the check notices a wrong ground truth, and a wrong case."""
    import_all(case, demo)
    truth = demo[1]
    with case.engine.begin() as conn:
        for words, mutate in WRONG_TRUTHS:
            wrong = copy.deepcopy(truth)
            mutate(wrong)
            found = check_ground_truth(conn, wrong)
            assert any(words in m.what for m in found), (words, found)
        # The case side: unflag a possibly deleted message, forget a deleted account.
        group = chat_id(conn, _group(truth))
        gone = truth["case"]["possibly_deleted"][_group(truth)][0]
        conn.execute(
            update(messages)
            .where(messages.c.chat_id == group, messages.c.message_id == gone)
            .values(possibly_deleted=False)
        )
        dead = store_key(truth["case"]["deleted_account_ids"][0])
        conn.execute(update(accounts).where(accounts.c.key == dead).values(deleted_seen=False))
        found = check_ground_truth(conn, truth)
        assert {m.what for m in found} == {"messages flagged possibly deleted", "deleted accounts"}
        assert Mismatch("deleted accounts", [dead], []) in found
        conn.rollback()


def match_demo(case: Case, demo: Demo, *, dihedral: bool = True) -> None:
    root, truth = demo
    hash_case_media(case, workers=0, operator="tester")
    for spec in truth["lists"]:
        import_list(
            case,
            root / "lists" / spec["file"],
            name=spec["name"],
            operator="tester",
            kind=spec["kind"],
            hash_type=spec.get("hash_type"),
        )
    match_case(case, MatchOptions(dihedral=dihedral, threads=1), operator="tester")


def test_demo_hits_match_the_ground_truth_and_the_check_can_fail(case: Case, demo: Demo) -> None:
    import_all(case, demo)
    match_demo(case, demo)
    truth = demo[1]
    with case.engine.connect() as conn:
        assert check_hits(conn, truth) == []
        # A wrong ground truth is noticed: other signals, a file said benign, a flag forgotten.
        wrong = copy.deepcopy(truth)
        wrong["known_material"][0]["signals"] = ["md5"]
        wrong["known_material"][1]["suppressed"] = True
        del wrong["known_material"][-1]
        found = {m.what.split(":")[-1].strip() for m in check_hits(conn, wrong)}
        assert {"signals agreeing", "flagged", "files flagged"} <= found
    # Without dihedral matching the mirrored copy is missed, and the check says so.
    match_case(case, MatchOptions(dihedral=False, threads=1), operator="tester")
    with case.engine.connect() as conn:
        missed = check_hits(conn, truth)
    mirrored = next(k for k in truth["known_material"] if k["label"] == "F3")
    assert any(f"message {mirrored['id']}: hits" in m.what for m in missed), missed


# ------------------------------------------------------------------------------------------------
# Properties of the import


def test_importing_everything_again_changes_nothing(case: Case, demo: Demo) -> None:
    first = import_all(case, demo)
    with case.engine.connect() as conn:
        before = row_counts(conn)
    again = import_all(case, demo)
    assert [r.status for r in again] == ["unchanged"] * len(again)
    assert [r.import_id for r in again] == [r.import_id for r in first]
    with case.engine.connect() as conn:
        assert row_counts(conn) == before
        assert check_ground_truth(conn, demo[1]) == []


def test_json_and_html_of_one_export_are_reconciled(case: Case, demo: Demo) -> None:
    truth = demo[1]
    json_ids = _march(truth)["message_ids"]
    result = import_one(case, demo, "group-2026-03")
    counters = result.report["counters"]
    assert (counters["new"], counters["reconciled"]) == (len(json_ids), len(json_ids))
    assert [c["messages"] for c in result.report["chats"]] == [len(json_ids)]
    with case.engine.connect() as conn:
        group = chat_id(conn, _group(truth))
        stored = conn.execute(
            select(messages.c.message_id, messages.c.id, evidence.c.relpath)
            .join(evidence, evidence.c.id == messages.c.evidence_id)
            .where(messages.c.chat_id == group)
        ).all()
        assert sorted(r.message_id for r in stored) == sorted(json_ids)
        assert {r.relpath for r in stored} == {"result.json"}
        seen = conn.execute(
            select(message_sightings.c.message_pk, message_sightings.c.page, evidence.c.relpath)
            .join(evidence, evidence.c.id == message_sightings.c.evidence_id)
            .where(message_sightings.c.import_id == result.import_id)
        ).all()
    on_pages = [s for s in seen if HTML_PAGE.search(s.relpath)]
    assert {s.relpath for s in seen if s not in on_pages} <= {"result.json"}
    assert all(s.page == s.relpath for s in on_pages)
    assert sorted(s.message_pk for s in on_pages) == sorted(r.id for r in stored)  # one page sighting each


def test_every_message_cites_its_bytes(case: Case, demo: Demo) -> None:
    import_all(case, demo)
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(
                messages.c.message_id,
                messages.c.evidence_id,
                messages.c.byte_offset,
                messages.c.page,
                evidence.c.original_path,
                evidence.c.relpath,
            ).join(evidence, evidence.c.id == messages.c.evidence_id, isouter=True)
        ).all()
        places = [
            ("sighting", r)
            for r in conn.execute(
                select(message_sightings.c.byte_offset, evidence.c.original_path, evidence.c.relpath).join(
                    evidence, evidence.c.id == message_sightings.c.evidence_id
                )
            ).all()
        ]
        places += [
            ("version", r)
            for r in conn.execute(
                select(message_versions.c.byte_offset, evidence.c.original_path, evidence.c.relpath).join(
                    evidence, evidence.c.id == message_versions.c.evidence_id
                )
            ).all()
        ]
    assert len(rows) == sum(len(v) for v in demo[1]["case"]["distinct_message_ids"].values())
    assert [r.message_id for r in rows if r.evidence_id is None or r.byte_offset is None] == []
    files: dict[str, bytes] = {}
    bad = []
    for kind, r in [("message", r) for r in rows] + places:
        data = files.setdefault(r.original_path, Path(r.original_path).read_bytes())
        start = b"{" if r.relpath.endswith(".json") else b"<div"
        head = data[r.byte_offset : r.byte_offset + 200]
        if not head.startswith(start) or (start == b"<div" and b'id="message' not in head):
            bad.append((kind, r.relpath, r.byte_offset))
    assert bad == []
    assert {r.page for r in rows if r.relpath.endswith(".json")} == {None}
    assert all(r.page == r.relpath for r in rows if r.relpath.endswith(".html"))


def test_exporter_records_are_kept(case: Case, demo: Demo) -> None:
    root, truth = demo
    assert sum(c["json_escapes"] for c in truth["exports"]["account-2026-05"]["chats"].values()) == 0
    doc = json.loads((root / "exports" / "account-2026-05" / "result.json").read_text(encoding="utf-8"))
    result = import_one(case, demo, "account-2026-05")
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(exporter_records, accounts.c.key.label("account_key"))
            .join(accounts, accounts.c.id == exporter_records.c.account_id, isouter=True)
            .where(exporter_records.c.import_id == result.import_id)
            .order_by(exporter_records.c.section, exporter_records.c.idx)
        ).all()
        central_names = conn.execute(
            select(account_names.c.name_kind, account_names.c.value)
            .join(accounts, accounts.c.id == account_names.c.account_id)
            .where(accounts.c.key == store_key(truth["case"]["central_account_id"]))
        ).all()
    by_section: dict[str, list[Any]] = {}
    for r in rows:
        by_section.setdefault(r.section, []).append(r)
    contacts = doc["contacts"]["list"]
    assert [r.phone for r in by_section["contacts"]] == [c.get("phone_number") for c in contacts]
    assert [r.account_key for r in by_section["contacts"]] == [
        f"telegram:user:{c['user_id']}" if "user_id" in c else None for c in contacts
    ]
    assert [json.loads(r.data) for r in by_section["contacts"]] == contacts
    sessions = doc["sessions"]["list"]
    assert [r.ip for r in by_section["sessions"]] == [s["last_ip"] for s in sessions]
    assert [r.date_utc for r in by_section["sessions"]] == [int(s["last_active_unixtime"]) for s in sessions]
    assert all(r.byte_offset is not None for r in rows)
    personal = by_section["personal_information"]
    assert [r.account_key for r in personal] == [store_key(truth["case"]["central_account_id"])]
    assert ("username", doc["personal_information"]["username"]) in central_names


def test_accounts_keep_every_display_name(case: Case, demo: Demo) -> None:
    truth = demo[1]
    import_all(case, demo)
    renamed = {k: a["names"] for k, a in truth["case"]["accounts"].items() if len(a["names"]) > 1}
    assert len(renamed) >= 3
    with case.engine.connect() as conn:
        for key, names in renamed.items():
            rows = conn.execute(
                select(
                    account_names.c.value,
                    account_names.c.import_id,
                    account_names.c.first_seen_utc,
                    account_names.c.last_seen_utc,
                    account_names.c.n_seen,
                )
                .join(accounts, accounts.c.id == account_names.c.account_id)
                .where(accounts.c.key == store_key(key), account_names.c.name_kind == "display_name")
            ).all()
            assert {r.value for r in rows} == set(names), key
            assert all(r.first_seen_utc is not None and r.first_seen_utc <= r.last_seen_utc for r in rows)
            assert all(r.n_seen >= 1 for r in rows)
            first_import = {v: min(r.import_id for r in rows if r.value == v) for v in names}
            # The names were observed in the order the ground truth lists them (import order).
            assert sorted(names, key=lambda v: first_import[v]) == names, key
            assert len(set(first_import.values())) == len(names), key


# ------------------------------------------------------------------------------------------------
# HTML media paths and the command line


def test_html_media_paths_are_relative_to_their_page(case: Case, tmp_path: Path) -> None:
    """A full-account HTML export links media from ``chats/chat_NN/`` pages relative to the page."""
    from test_telegram_html import full_export_files

    root = tmp_path / "DataExport_2022-08-21"
    for rel, content in full_export_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    photo = "chats/chat_01/photos/photo_1@19-08-2022_21-04-35.jpg"
    make_jpeg(root / photo, 64, 48, 1)
    result = import_export(case, root, ImportOptions("tester"))
    assert result.report["counters"]["media_unsafe"] == 0
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(
                messages.c.message_id,
                media.c.role,
                media.c.relpath,
                media.c.present,
                media.c.issue,
                evidence.c.relpath.label("file"),
            )
            .join(media, media.c.message_pk == messages.c.id)
            .join(evidence, evidence.c.id == media.c.file_evidence_id, isouter=True)
        ).all()
    main = [r for r in rows if r.role == "photo"]
    assert [(r.message_id, r.relpath, r.present, r.issue, r.file) for r in main] == [
        (10, "../../" + photo, True, None, photo)
    ]


def test_demo_command(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["--operator", "tester", "demo", "--no-serve", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for words in (
        "Case summary",
        "messages",
        "date range",
        "repairs",
        "warnings",
        "group-2026-03",
        "dm-html-old",
        "Ground truth check passed",
        "Matching run 1",
        "Hits per chat",
        "Hits per sending account",
        "files flagged",
    ):
        assert words in result.output
    assert (out / ".veilleur-demo").is_file()
    assert (out / "case" / "case.sqlite").is_file()
    assert (out / "ground_truth.json").is_file()

    other = tmp_path / "not-a-demo"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["--operator", "tester", "demo", "--no-serve", "--out", str(other)])
    assert refused.exit_code == 3 and "not a Veilleur demo folder" in refused.output
    assert (other / "keep.txt").read_text(encoding="utf-8") == "mine"
