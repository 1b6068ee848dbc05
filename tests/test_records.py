"""Records about accounts and persons: lawful returns, identity records, person attributes.

Every store test runs on SQLite and PostgreSQL (the ``case`` fixture). Files are small, synthetic
and written here; phone numbers are French mobile-format inventions, IPs come from the
documentation ranges (RFC 5737, RFC 3849), e-mail domains are ``example.*``.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from conftest import add_member
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody import audit
from veilleur.demo.generate import generate_demo_case
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.linking.aliases import find_aliases
from veilleur.linking.persons import identifier_citation
from veilleur.linking.settings import LinkSettings
from veilleur.outputs.dossier import DossierContext, account_dossier, render_html
from veilleur.records import (
    SCHEMAS,
    RecordError,
    exporter_identifiers,
    import_records,
    return_identifiers,
)
from veilleur.records import normalise as norm
from veilleur.records.identifiers import with_port
from veilleur.records.schemas import markdown_table
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import (
    account_identifiers,
    accounts,
    evidence,
    exporter_records,
    identity_records,
    metadata,
    person_attributes,
    persons,
    record_imports,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "records.md"


# -- writing files --------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> Path:
    def cell(c: str) -> str:
        return f'"{c}"' if (delimiter in c or '"' in c or "\n" in c) and not c.startswith('"') else c

    text = "\r\n".join(delimiter.join(cell(c) for c in r) for r in rows) + "\r\n"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"))
    return path


def write_json(path: Path, objects: list[dict[str, Any]], *, lines: bool = False) -> Path:
    if lines:
        path.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in objects))
    else:
        path.write_bytes(orjson.dumps(objects, option=orjson.OPT_INDENT_2))
    return path


def write(path: Path, fmt: str, objects: list[dict[str, Any]], **kw: Any) -> Path:
    """``objects`` as CSV (lists ``;``-joined), JSON or JSON Lines."""
    if fmt == "csv":
        header = list(dict.fromkeys(k for o in objects for k in o))
        rows = [header] + [
            [";".join(o[k]) if isinstance(o.get(k), list) else str(o.get(k, "")) for k in header]
            for o in objects
        ]
        return write_csv(path.with_suffix(".csv"), rows, **kw)
    return write_json(
        path.with_suffix(".jsonl" if fmt == "jsonl" else ".json"), objects, lines=fmt == "jsonl"
    )


def counts(case: Case) -> dict[str, int]:
    with case.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in metadata.sorted_tables
        }


RETURNS = [
    {
        "account": "user123456789",
        "kind": "ip",
        "value": "203.0.113.42",
        "first_seen": "2026-03-02T21:14:05+01:00",
    },
    {
        "platform": "telegram",
        "account": "123456789",
        "kind": "ip",
        "value": "2001:0DB8:0000:0000:0000:0000:0000:0001",
        "first_seen": "1772482445",
        "last_seen": "2026-03-04T08:00:00Z",
    },
    {"account": "123456789", "kind": "phone", "value": "06 12 34 56 78"},
    {"account": "987654321", "kind": "phone", "value": "33698765432"},
    {"account": "telegram:user:987654321", "kind": "email", "value": " Someone.Else@Example.ORG "},
    {"account": "user987654321", "kind": "ip", "value": "::ffff:198.51.100.7", "last_seen": "1772600000"},
]
IDENTITY = [
    {
        "person": "P-2026-0042",
        "first_name": "Marc",
        "last_name": "Durand",
        "birth_date": "14/07/1981",
        "address": "12 rue des Lilas",
        "postcode": "74000",
        "city": "Annecy",
        "country": "France",
        "departement": "74",
        "court": "Tribunal judiciaire d'Annecy",
        "phones": ["06 12 34 56 78", "+33 4 50 00 00 01"],
        "emails": ["M.Durand@Example.org"],
    },
    {"person": "P-2026-0043", "last_name": "Martin", "birth_date": "1990-03", "departement": "2a"},
    {"person": "P-2026-0042", "birth_date": "1981", "departement": "971", "city": "Pointe-à-Pitre"},
]
ATTRIBUTES = [
    {
        "person": "P-2026-0042",
        "kind": "criminal_record",
        "value": "condamnation 2019, 8 mois avec sursis",
        "offence_types": ["Agression sexuelle sur mineur de 15 ans", "vol", "outrage"],
        "source": "casier judiciaire B2",
        "observed": "2026-04-30",
    },
    {
        "person": "P-2026-0042",
        "kind": "profession",
        "value": "teacher, école primaire Jean Jaurès",
        "contact_with_children": "oui",
        "source": "employer HR",
        "observed": "30/04/2026",
    },
    {
        "person": "P-2026-0044",
        "kind": "access_to_children",
        "value": "2 children (4 and 9) in household",
        "source": "CAF",
    },
    {
        "person": "P-2026-0044",
        "kind": "criminal_record",
        "value": "néant",
        "source": "casier judiciaire B2",
        "sexual_offence_against_minor": "false",
    },
]
PERSONAL = [
    "203.0.113.42",
    "2001:db8::1",
    "198.51.100.7",
    "+33612345678",
    "0612345678",
    "06 12 34 56 78",
    "+33698765432",
    "someone.else@example.org",
    "m.durand@example.org",
    "Durand",
    "Marc",
    "Martin",
    "Lilas",
    "Annecy",
    "P-2026-0042",
    "P-2026-0044",
    "Jean Jaur",
    "children (4",
    "condamnation",
    "sursis",
]

FORMATS = ["csv", "json", "jsonl"]


# -- importing each kind --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_returns_import_normalised(case: Case, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path / "returns", fmt, RETURNS)
    report = import_records(case, path, kind="returns", operator="analyst", source="Telegram LE portal")
    assert report.status == "imported"
    assert report.rows == 6
    assert report.counts == {"email": 1, "ip": 3, "phone": 2}
    assert report.accounts == 2
    assert report.accounts_created == ["telegram:user:123456789", "telegram:user:987654321"]
    with case.engine.connect() as conn:
        got = [
            (i.account_key, i.kind, i.value, i.first_utc, i.last_utc, i.citation.place)
            for i in return_identifiers(conn)
        ]
        imp = conn.execute(select(record_imports)).one()
        ev = conn.execute(select(evidence).where(evidence.c.id == imp.evidence_id)).one()
        created = conn.execute(select(accounts).order_by(accounts.c.key)).all()
    places = [f"item {n}" for n in range(1, 7)] if fmt == "json" else [f"line {n}" for n in range(2, 8)]
    if fmt == "jsonl":
        places = [f"line {n}" for n in range(1, 7)]
    a, b = "telegram:user:123456789", "telegram:user:987654321"
    assert got == [
        (a, "ip", "203.0.113.42", 1772482445, None, places[0]),
        (a, "ip", "2001:db8::1", 1772482445, 1772611200, places[1]),
        (a, "phone", "+33612345678", None, None, places[2]),
        (b, "phone", "+33698765432", None, None, places[3]),
        (b, "email", "someone.else@example.org", None, None, places[4]),
        (b, "ip", "198.51.100.7", None, 1772600000, places[5]),
    ]
    assert (imp.kind, imp.format, imp.source, imp.operator, imp.n_rows) == (
        "returns",
        "json" if fmt != "csv" else "csv",
        "Telegram LE portal",
        "analyst",
        6,
    )
    assert orjson.loads(imp.report)["counts"] == report.counts
    assert ev.kind == "file" and ev.original_path == str(path.resolve()) and ev.sha256 == report.file_sha256
    assert [(r.key, r.platform, r.kind, r.peer_id, r.identity, r.deleted_seen) for r in created] == [
        (a, "telegram", "user", 123456789, "platform_id", False),
        (b, "telegram", "user", 987654321, "platform_id", False),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_source_ports_are_kept_apart_from_the_address_and_shown_with_it(
    case: Case, tmp_path: Path, fmt: str
) -> None:
    # Two subscribers behind one carrier-grade NAT address, at the same time: the operator's return
    # gives the port in a column or with the address, as operators write it.
    rows = [
        {
            "account": "user111",
            "kind": "ip",
            "value": "203.0.113.9:51234",
            "first_seen": "1772482445",
            "last_seen": "1772486000",
        },
        {
            "account": "user222",
            "kind": "ip",
            "value": "203.0.113.9",
            "port": "443",
            "first_seen": "1772482500",
        },
        {"account": "user222", "kind": "ip", "value": "[2001:DB8::1]:8443", "first_seen": "1772482600"},
        {"account": "user111", "kind": "ip", "value": "198.51.100.7", "first_seen": "1772482700"},
    ]
    import_records(case, write(tmp_path / "returns", fmt, rows), kind="returns", operator="analyst")
    with case.engine.connect() as conn:
        found = return_identifiers(conn)
        aliases = find_aliases(conn, found, LinkSettings(alias_low=0.5))
        ctx = DossierContext.build(conn, "analyst")
        one = next(i for i in found if i.account_key == "telegram:user:111" and i.port)
        dossier = account_dossier(conn, one.account_id or 0, ctx)
    assert [(i.value, i.port, with_port(i.value, i.port)) for i in found] == [
        ("203.0.113.9", 51234, "203.0.113.9:51234"),
        ("203.0.113.9", 443, "203.0.113.9:443"),
        ("2001:db8::1", 8443, "[2001:db8::1]:8443"),
        ("198.51.100.7", None, "198.51.100.7"),
    ]
    assert identifier_citation(one)["port"] == 51234
    # The same address is one value to compare; the reason names both ports.
    (pair,) = aliases
    (reason,) = pair.reasons
    assert reason.name == "shared_ip"
    assert "203.0.113.9 at overlapping times, ports 51234 and 443" in reason.value
    assert [(r["kind"], r["value"], r["first"]) for r in dossier["returns"]] == [
        ("ip", "203.0.113.9:51234", 1772482445),
        ("ip", "198.51.100.7", 1772482700),
    ]
    assert all("return import #" in r["source"] for r in dossier["returns"])
    assert "203.0.113.9:51234" in render_html(dossier)


def test_returns_use_the_accounts_the_case_holds(case: Case, tmp_path: Path) -> None:
    with case.engine.begin() as conn:
        known = conn.execute(
            insert(accounts).values(
                key="telegram:user:123456789",
                platform="telegram",
                kind="user",
                peer_id=123456789,
                identity="platform_id",
                deleted_seen=False,
            )
        ).inserted_primary_key[0]
    report = import_records(case, write(tmp_path / "r", "csv", RETURNS), kind="returns", operator="a")
    assert report.accounts_created == ["telegram:user:987654321"]
    with case.engine.connect() as conn:
        n_known = conn.execute(
            select(func.count()).where(account_identifiers.c.account_id == known)
        ).scalar_one()
        assert conn.execute(select(func.count()).select_from(accounts)).scalar_one() == 2
    assert n_known == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_identity_import_normalised(case: Case, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path / "identity", fmt, IDENTITY, delimiter=";", bom=True) if fmt == "csv" else None
    path = path or write(tmp_path / "identity", fmt, IDENTITY)
    report = import_records(case, path, kind="identity", operator="analyst")
    assert (report.rows, report.persons, report.persons_created) == (3, 2, 2)
    assert report.counts == {"emails": 1, "phones": 2, "with_birth_date": 3}
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(identity_records, persons.c.key)
            .join(persons, persons.c.id == identity_records.c.person_id)
            .order_by(identity_records.c.id)
        ).all()
    first = rows[0]
    assert first.key == "P-2026-0042"
    assert (first.first_name, first.last_name, first.birth_date) == ("Marc", "Durand", "1981-07-14")
    assert (first.address, first.postcode, first.city, first.country) == (
        "12 rue des Lilas",
        "74000",
        "Annecy",
        "France",
    )
    assert (first.departement, first.court) == ("74", "Tribunal judiciaire d'Annecy")
    assert json.loads(first.phones) == ["+33612345678", "+33450000001"]
    assert json.loads(first.emails) == ["m.durand@example.org"]
    assert (rows[1].key, rows[1].birth_date, rows[1].departement, rows[1].phones) == (
        "P-2026-0043",
        "1990-03",
        "2A",
        None,
    )
    assert (rows[2].key, rows[2].birth_date, rows[2].departement, rows[2].city) == (
        "P-2026-0042",
        "1981",
        "971",
        "Pointe-à-Pitre",
    )
    assert rows[2].person_id == first.person_id
    assert [r.place for r in rows] == (
        ["item 1", "item 2", "item 3"]
        if fmt == "json"
        else ["line 1", "line 2", "line 3"]
        if fmt == "jsonl"
        else ["line 2", "line 3", "line 4"]
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_attributes_import_with_sources_and_detail(case: Case, tmp_path: Path, fmt: str) -> None:
    import_records(case, write(tmp_path / "identity", "json", IDENTITY[:1]), kind="identity", operator="a")
    report = import_records(
        case, write(tmp_path / "attributes", fmt, ATTRIBUTES), kind="attributes", operator="a"
    )
    assert report.counts == {
        "access_to_children": 1,
        "criminal_record": 2,
        "profession": 1,
        "sexual_offence_against_minor": 1,
    }
    assert (report.persons, report.persons_created) == (2, 1)
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(person_attributes, persons.c.key)
            .join(persons, persons.c.id == person_attributes.c.person_id)
            .order_by(person_attributes.c.id)
        ).all()
    record_, job, household, none = rows
    assert (record_.key, record_.kind, record_.value, record_.source) == (
        "P-2026-0042",
        "criminal_record",
        "condamnation 2019, 8 mois avec sursis",
        "casier judiciaire B2",
    )
    assert json.loads(record_.detail) == {
        "offence_types": ["sexual_assault_of_minor", "theft", "outrage"],
        "offence_types_as_stated": ["Agression sexuelle sur mineur de 15 ans", "vol", "outrage"],
        "unrecognised_offence_types": ["outrage"],
        "sexual_offence_against_minor": True,
    }
    day = int(datetime(2026, 4, 30, tzinfo=UTC).timestamp())
    assert record_.observed_utc == job.observed_utc == day
    assert (job.kind, job.value, json.loads(job.detail)) == (
        "profession",
        "teacher, école primaire Jean Jaurès",
        {"contact_with_children": True},
    )
    assert (household.key, household.kind, household.detail, household.observed_utc, household.source) == (
        "P-2026-0044",
        "access_to_children",
        None,
        None,
        "CAF",
    )
    assert json.loads(none.detail) == {"sexual_offence_against_minor": False}


def test_json_with_bom_and_pretty_csv(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(codecs.BOM_UTF8 + orjson.dumps(RETURNS[:2]))
    assert import_records(case, path, kind="returns", operator="a").rows == 2
    multi = tmp_path / "i.csv"
    multi.write_bytes(
        'person,address,city\n\nP1,"12 rue des Lilas\nBâtiment B",Annecy\n\nP2,,Lyon\n'.encode()
    )
    import_records(case, multi, kind="identity", operator="a")
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(identity_records.c.address, identity_records.c.place).order_by(identity_records.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("12 rue des Lilas\nBâtiment B", "line 3"), (None, "line 6")]


def test_reimport_is_a_noop(case: Case, tmp_path: Path) -> None:
    path = write(tmp_path / "returns", "csv", RETURNS)
    first = import_records(case, path, kind="returns", operator="a", source="LE portal")
    before = counts(case)
    again = import_records(case, path, kind="returns", operator="b")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    copied = import_records(case, copy, kind="returns", operator="b")
    assert counts(case) == before
    for r in (again, copied):
        assert r.status == "unchanged"
        assert (r.import_id, r.rows, r.counts, r.file_sha256) == (
            first.import_id,
            6,
            first.counts,
            first.file_sha256,
        )
        assert r.accounts_created == first.accounts_created


# -- malformed files ------------------------------------------------------------------------------

R_HEAD = "account,kind,value,first_seen,last_seen\n"
I_HEAD = "person,first_name,birth_date,departement,city,phones,emails\n"
A_HEAD = "person,kind,value,offence_types,contact_with_children,source,observed\n"
GOOD_R = "user111,ip,192.0.2.1,,\n"
GOOD_I = "P1,Anne,1980-01-02,74,Annecy,,\n"
GOOD_A = "P1,profession,nurse,,true,HR,\n"


def _j(*objects: dict[str, Any]) -> bytes:
    return orjson.dumps(list(objects), option=orjson.OPT_INDENT_2)


MALFORMED: list[tuple[str, str, str, bytes, str, str | None, str]] = [
    # (id, kind, file name, content, place, field, message fragment)
    (
        "unknown column",
        "returns",
        "r.csv",
        b"account,kind,value,colour\n1,ip,192.0.2.1,red\n",
        "line 1",
        "colour",
        "unknown column",
    ),
    (
        "unknown key",
        "returns",
        "r.json",
        _j(
            {"account": 1, "kind": "ip", "value": "192.0.2.1"},
            {"account": 1, "kind": "ip", "value": "192.0.2.2", "carrier": "Orange"},
        ),
        "item 2",
        "carrier",
        "unknown column",
    ),
    (
        "missing column",
        "returns",
        "r.csv",
        b"kind,value\nip,192.0.2.1\n",
        "line 1",
        "account",
        "required column",
    ),
    (
        "missing field",
        "identity",
        "i.csv",
        (I_HEAD + GOOD_I + ",Bob,1980-01-02,74,Annecy,,\n").encode(),
        "line 3",
        "person",
        "required",
    ),
    (
        "missing key",
        "attributes",
        "a.json",
        _j({"person": "P1", "kind": "profession", "value": "nurse"}),
        "item 1",
        "source",
        "required",
    ),
    (
        "bad birth date",
        "identity",
        "i.csv",
        (I_HEAD + GOOD_I + "P2,Bob,1981-02-30,74,,,\n").encode(),
        "line 3",
        "birth_date",
        "no such date",
    ),
    (
        "bad DMY date",
        "identity",
        "i.csv",
        (I_HEAD + "P2,Bob,31/13/1981,,,,\n").encode(),
        "line 2",
        "birth_date",
        "no such date",
    ),
    (
        "future birth",
        "identity",
        "i.json",
        _j({"person": "P2", "birth_date": "2999"}),
        "item 1",
        "birth_date",
        "year of birth",
    ),
    (
        "time without offset",
        "returns",
        "r.csv",
        (R_HEAD + GOOD_R + "user111,ip,192.0.2.2,2026-03-02T21:14:05,\n").encode(),
        "line 3",
        "first_seen",
        "UTC offset",
    ),
    (
        "milliseconds",
        "returns",
        "r.json",
        _j({"account": 1, "kind": "ip", "value": "192.0.2.1", "last_seen": 1772482445000}),
        "item 1",
        "last_seen",
        "milliseconds",
    ),
    (
        "last before first",
        "returns",
        "r.csv",
        (R_HEAD + "user1,ip,192.0.2.1,1772482445,1772482444\n").encode(),
        "line 2",
        "last_seen",
        "before",
    ),
    (
        "bad observed",
        "attributes",
        "a.csv",
        (A_HEAD + "P1,profession,nurse,,,HR,2026-13-01\n").encode(),
        "line 2",
        "observed",
        "no such date",
    ),
    (
        "département 20",
        "identity",
        "i.csv",
        (I_HEAD + GOOD_I + "P2,Bob,,20,,,\n").encode(),
        "line 3",
        "departement",
        "département",
    ),
    (
        "département 977",
        "identity",
        "i.json",
        _j({"person": "P2", "departement": "977"}),
        "item 1",
        "departement",
        "département",
    ),
    (
        "bad phone",
        "returns",
        "r.csv",
        (R_HEAD + GOOD_R + "user111,phone,12,,\n").encode(),
        "line 3",
        "value",
        "phone",
    ),
    (
        "letters in phone",
        "returns",
        "r.csv",
        (R_HEAD + "user111,phone,06 12 AB 56 78,,\n").encode(),
        "line 2",
        "value",
        "phone",
    ),
    (
        "bad phone in list",
        "identity",
        "i.json",
        _j({"person": "P2", "phones": ["06 12 34 56 78", "0612"]}),
        "item 1",
        "phones",
        "phone",
    ),
    (
        "bad IP",
        "returns",
        "r.csv",
        (R_HEAD + GOOD_R + "user111,ip,203.0.113.300,,\n").encode(),
        "line 3",
        "value",
        "IPv4 or IPv6",
    ),
    (
        "IP with a port out of range",
        "returns",
        "r.csv",
        (R_HEAD + "user111,ip,203.0.113.3:70000,,\n").encode(),
        "line 2",
        "value",
        "not a port",
    ),
    (
        "IP and port column disagree",
        "returns",
        "r.csv",
        b"account,kind,value,port\nuser111,ip,192.0.2.1,5060\nuser111,ip,203.0.113.3:5060,5061\n",
        "line 3",
        "port",
        "(5060) and the port column (5061) differ",
    ),
    (
        "port of a phone number",
        "returns",
        "r.csv",
        b"account,kind,value,port\nuser111,phone,+33612345678,5060\n",
        "line 2",
        "port",
        "applies only to kind ip",
    ),
    (
        "bad e-mail",
        "returns",
        "r.csv",
        (R_HEAD + "user111,email,a@@example.org,,\n").encode(),
        "line 2",
        "value",
        "one @",
    ),
    (
        "e-mail without @",
        "identity",
        "i.csv",
        (I_HEAD + 'P2,Bob,,,,,"a@example.org;nobody.example.org"\n').encode(),
        "line 2",
        "emails",
        "one @",
    ),
    (
        "bad account",
        "returns",
        "r.csv",
        (R_HEAD + "chat42,ip,192.0.2.1,,\n").encode(),
        "line 2",
        "account",
        "user id",
    ),
    ("bad kind", "returns", "r.csv", (R_HEAD + "user1,imei,35,,\n").encode(), "line 2", "kind", "one of"),
    (
        "bad attribute kind",
        "attributes",
        "a.csv",
        (A_HEAD + "P1,religion,x,,,HR,\n").encode(),
        "line 2",
        "kind",
        "one of",
    ),
    (
        "extra for kind",
        "attributes",
        "a.csv",
        (A_HEAD + GOOD_A + "P1,profession,nurse,drugs,,HR,\n").encode(),
        "line 3",
        "offence_types",
        "applies only",
    ),
    (
        "contradiction",
        "attributes",
        "a.json",
        _j(
            {
                "person": "P",
                "kind": "criminal_record",
                "value": "x",
                "source": "B2",
                "offence_types": ["viol sur mineur"],
                "sexual_offence_against_minor": False,
            }
        ),
        "item 1",
        "sexual_offence_against_minor",
        "stated false",
    ),
    (
        "bad boolean",
        "attributes",
        "a.csv",
        (A_HEAD + "P1,profession,nurse,,maybe,HR,\n").encode(),
        "line 2",
        "contact_with_children",
        "true or false",
    ),
    (
        "nothing but person",
        "identity",
        "i.csv",
        (I_HEAD + "P2,,,,,,\n").encode(),
        "line 2",
        None,
        "nothing but the person",
    ),
    ("cells", "returns", "r.csv", (R_HEAD + "user1,ip,192.0.2.1\n").encode(), "line 2", None, "3 cells"),
    (
        "latin-1",
        "identity",
        "i.csv",
        (I_HEAD + GOOD_I).encode() + "P2,Zoé,,,Orléans,,\n".encode("latin-1"),
        "line 3",
        "first_name",
        "UTF-8",
    ),
    ("UTF-16", "identity", "i.csv", (I_HEAD + GOOD_I).encode("utf-16"), "line 1", None, "not UTF-8"),
    (
        "latin-1 JSON",
        "identity",
        "i.json",
        _j({"person": "P1", "city": "Annecy"})[:-2] + b',\n  {"person": "P2", "city": "Orl\xe9ans"}\n]',
        "item 2",
        "city",
        "UTF-8",
    ),
    (
        "latin-1 JSON Lines",
        "identity",
        "i.jsonl",
        b'{"person": "P1", "city": "Annecy"}\n{"person": "P2", "city": "Orl\xe9ans"}\n',
        "line 2",
        "city",
        "UTF-8",
    ),
    (
        "truncated JSON",
        "returns",
        "r.json",
        _j(
            {"account": 1, "kind": "ip", "value": "192.0.2.1"},
            {"account": 2, "kind": "ip", "value": "192.0.2.2"},
        )[:-30],
        "item 2",
        None,
        "truncated",
    ),
    (
        "truncated after item",
        "returns",
        "r.json",
        _j({"account": 1, "kind": "ip", "value": "192.0.2.1"})[:-2],
        "after item 1",
        None,
        "truncated",
    ),
    (
        "truncated JSON Lines",
        "returns",
        "r.jsonl",
        b'{"account": 1, "kind": "ip", "value": "192.0.2.1"}\n{"account": 2, "kind": "ip", "va',
        "line 2",
        None,
        "truncated",
    ),
    (
        "not objects",
        "returns",
        "r.json",
        b'[{"account": 1, "kind": "ip", "value": "192.0.2.1"}, 5]',
        "item 2",
        None,
        "expected an object",
    ),
    (
        "nested value",
        "identity",
        "i.json",
        _j({"person": "P1", "city": {"name": "Annecy"}}),
        "item 1",
        "city",
        "expected text",
    ),
    (
        "bad quoting",
        "returns",
        "r.csv",
        (R_HEAD + 'user1,ip,"192.0.2.1"x,,\n').encode(),
        "line 2",
        None,
        "malformed CSV",
    ),
    ("header only", "returns", "r.csv", R_HEAD.encode(), "line 1", None, "no records"),
    ("empty array", "returns", "r.json", b"[]", "line 1", None, "no records"),
    ("not JSON records", "returns", "r.json", b'"text"', "line 1", None, "array of objects"),
    (
        "key twice",
        "identity",
        "i.json",
        b'[{"person": "P1", "city": "A", "City": "B"}]',
        "item 1",
        "city",
        "twice",
    ),
    ("column twice", "identity", "i.csv", b"person,city,City\nP1,A,B\n", "line 1", "city", "twice"),
]


@pytest.mark.parametrize(
    ("kind", "filename", "content", "place", "field", "message"),
    [pytest.param(*m[1:], id=m[0]) for m in MALFORMED],
)
def test_malformed_files_fail_clearly_and_store_nothing(
    case: Case,
    tmp_path: Path,
    kind: str,
    filename: str,
    content: bytes,
    place: str,
    field: str | None,
    message: str,
) -> None:
    import_records(case, write(tmp_path / "good", "csv", RETURNS), kind="returns", operator="a")
    before = counts(case)
    witnessed = case.witness_path.read_bytes()
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(RecordError) as caught:
        import_records(case, path, kind=kind, operator="a")
    err = caught.value
    assert err.file == str(path)
    text = str(err)
    assert text.startswith(f"{path}: {place}"), text
    assert message in text, text
    assert err.row_place.startswith(place), text
    assert err.field == field, text
    if field is not None:
        assert f"field {field!r}" in text
    assert counts(case) == before
    assert case.witness_path.read_bytes() == witnessed


def test_no_error_repeats_the_value(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes((R_HEAD + "user111,phone,+33 6 00 00 0,,\n").encode())
    with pytest.raises(RecordError) as caught:
        import_records(case, path, kind="returns", operator="a")
    assert "00 00 0" not in str(caught.value) and "+336000000" not in str(caught.value)


def test_unknown_kind_format_and_region(case: Case, tmp_path: Path) -> None:
    path = write(tmp_path / "r", "csv", RETURNS)
    for kw in ({"kind": "phones"}, {"kind": "returns", "format": "xml"}, {"kind": "returns", "region": "XX"}):
        with pytest.raises(Exception, match="unknown"):
            import_records(case, path, operator="a", **kw)  # type: ignore[arg-type]


def test_region_reads_national_numbers(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes((R_HEAD + "user5,phone,0470 12 34 56,,\n").encode())
    import_records(case, path, kind="returns", operator="a", region="BE")
    with case.engine.connect() as conn:
        assert conn.execute(select(account_identifiers.c.value)).scalar_one() == "+32470123456"


# -- audit, CLI -----------------------------------------------------------------------------------


def test_audit_entry_holds_no_personal_value(case: Case, tmp_path: Path) -> None:
    reports = [
        import_records(
            case, write(tmp_path / "r", "csv", RETURNS), kind="returns", operator="a", source="LE"
        ),
        import_records(case, write(tmp_path / "i", "json", IDENTITY), kind="identity", operator="a"),
        import_records(case, write(tmp_path / "a", "jsonl", ATTRIBUTES), kind="attributes", operator="a"),
    ]
    with case.engine.connect() as conn:
        entries = [e for e in audit.entries(conn) if e.action == "records.import"]
        problems = audit.verify(conn, witness=case.witness_path)
    assert problems == []
    assert [e.subject for e in entries] == ["returns", "identity", "attributes"]
    for e, r in zip(entries, reports, strict=True):
        d = e.details_value()
        assert (d["kind"], d["rows"], d["file_sha256"], d["import_id"], d["evidence_id"]) == (
            r.kind,
            r.rows,
            r.file_sha256,
            r.import_id,
            r.evidence_id,
        )
        assert d["counts"] == r.counts
    logged = " ".join(f"{e.subject} {e.details}" for e in entries).lower()
    for value in [*PERSONAL, "123456789", "987654321"]:
        assert value.lower() not in logged, value
    assert entries[0].details_value()["accounts_created"] == 2


def test_cli_import_and_show(case: Case, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--case", str(case.root), "--operator", "analyst"]
    add_member(case, "analyst")
    r = runner.invoke(
        cli, [*base, "records", "import", str(write(tmp_path / "r", "csv", RETURNS)), "--kind", "returns"]
    )
    assert r.exit_code == 0, r.output
    assert "6 returns rows" in r.output and "telegram:user:987654321" in r.output
    i = runner.invoke(
        cli,
        [
            *base,
            "records",
            "import",
            str(write(tmp_path / "i", "json", IDENTITY)),
            "--kind",
            "identity",
            "--json",
        ],
    )
    assert i.exit_code == 0, i.output
    assert orjson.loads(i.output)["rows"] == 3
    a_path = write(tmp_path / "a", "csv", ATTRIBUTES)
    a = runner.invoke(
        cli,
        [
            *base,
            "records",
            "import",
            str(a_path),
            "--kind",
            "attributes",
            "--source",
            "B2",
            "--format",
            "csv",
        ],
    )
    assert a.exit_code == 0, a.output
    again = runner.invoke(cli, [*base, "records", "import", str(a_path), "--kind", "attributes"])
    assert "nothing changed" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes((R_HEAD + "user1,ip,999.1.1.1,,\n").encode())
    failed = runner.invoke(cli, [*base, "records", "import", str(bad), "--kind", "returns"])
    assert failed.exit_code != 0
    shown = runner.invoke(cli, [*base, "records", "show"])
    shown_json = runner.invoke(cli, [*base, "records", "show", "--json"])
    assert shown.exit_code == shown_json.exit_code == 0, shown.output
    s = orjson.loads(shown_json.output)["records"]
    assert [(x["kind"], x["rows"]) for x in s["imports"]] == [
        ("returns", 6),
        ("identity", 3),
        ("attributes", 4),
    ]
    assert s["returns"] == {"identifiers": 6, "by_kind": {"email": 1, "ip": 3, "phone": 2}, "accounts": 2}
    assert s["identity"] == {"records": 3, "persons": 2}
    assert s["attributes"]["by_kind"] == {"access_to_children": 1, "criminal_record": 2, "profession": 1}
    assert s["persons"] == 3
    printed = (shown.output + shown_json.output).lower()
    for value in PERSONAL:
        assert value.lower() not in printed, value
    with case.engine.connect() as conn:
        views = [e for e in audit.entries(conn) if e.action == "view.records"]
    assert len(views) == 2


# -- identifiers already in full-account exports --------------------------------------------------


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("records_demo")
    truth = json.loads(generate_demo_case(out, seed=7).read_text(encoding="utf-8"))
    return out / "exports" / "account-2026-05", truth


def test_exporter_identifiers_from_a_full_account_export(
    case: Case, demo_export: tuple[Path, dict[str, Any]]
) -> None:
    root, truth = demo_export
    offset = truth["exports"]["account-2026-05"]["utc_offset"]
    result = import_export(case, root, ImportOptions("tester", utc_offset(offset)))
    doc = json.loads((root / "result.json").read_text(encoding="utf-8"))
    central = f"telegram:{truth['case']['central_account_id']}"
    with case.engine.connect() as conn:
        found = exporter_identifiers(conn)
        stored = {
            r.id: r
            for r in conn.execute(
                select(exporter_records).where(exporter_records.c.import_id == result.import_id)
            )
        }
        json_evidence = conn.execute(
            select(evidence.c.id).where(evidence.c.relpath == "result.json")
        ).scalar_one()
        assert conn.execute(select(func.count()).select_from(account_identifiers)).scalar_one() == 0
    contacts = [c for c in doc["contacts"]["list"] if c.get("phone_number")]
    phones = [i for i in found if i.citation.section == "contacts"]
    assert [(i.account_key, i.kind, i.value, i.as_stated) for i in phones] == [
        (
            f"telegram:user:{c['user_id']}",
            "phone",
            "+" + re.sub(r"\D", "", c["phone_number"]),
            c["phone_number"],
        )
        for c in contacts
    ]
    personal = [i for i in found if i.citation.section == "personal_information"]
    me = doc["personal_information"]
    assert [(i.account_key, i.value) for i in personal] == [
        (central, "+" + re.sub(r"\D", "", me["phone_number"]))
    ]
    sessions = [i for i in found if i.citation.section == "sessions"]
    assert [(i.account_key, i.kind, i.value, i.first_utc, i.last_utc) for i in sessions] == [
        (central, "ip", s["last_ip"], int(s["last_active_unixtime"]), int(s["last_active_unixtime"]))
        for s in doc["sessions"]["list"]
    ]
    assert len(found) == len(phones) + len(personal) + len(sessions)
    for i in found:
        row = stored[i.citation.row_id]
        assert i.normalised
        assert (i.citation.origin, i.citation.evidence_id, i.citation.import_id) == (
            "export",
            json_evidence,
            result.import_id,
        )
        assert i.citation.byte_offset == row.byte_offset is not None
        assert (i.citation.section, i.citation.place.split("[")[0]) == (row.section, row.section)
        assert i.account_id == (row.account_id or row.exporter_account_id)
    # The same shape as returns: the linker reads both alike.
    assert set(found[0].to_dict()) == {
        "account_id",
        "account_key",
        "kind",
        "value",
        "first_utc",
        "last_utc",
        "citation",
        "as_stated",
        "normalised",
        "port",
    }


# -- normalisation and the documentation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("33612345678", "+33612345678"),
        ("612345678", "+33612345678"),
        ("(+33) 4-50-00-00-01", "+33450000001"),
        ("+1 202 555 0143", "+12025550143"),
        ("447700900123", "+447700900123"),
        (612345678, "+33612345678"),
    ],
)
def test_phone_normalisation(given: Any, expected: str) -> None:
    assert norm.phone(given) == expected


@pytest.mark.parametrize(
    "given", ["", "12", "+33 6 12", "06 12 34 56 78 ext 5", "+33 6 12 34 56 78 90 12 34 56"]
)
def test_phone_refused(given: str) -> None:
    with pytest.raises(norm.Invalid):
        norm.phone(given)


def test_other_normalisers() -> None:
    assert norm.ip(" 2001:DB8::0:1 ") == "2001:db8::1"
    assert norm.ip("::ffff:192.0.2.5") == "192.0.2.5"
    assert norm.ip("192.0.2.5") == "192.0.2.5"
    assert norm.ip_with_port("192.0.2.5:5060") == ("192.0.2.5", 5060)
    assert norm.ip_with_port("[2001:db8::0:1]:443") == ("2001:db8::1", 443)
    assert norm.ip_with_port("[2001:db8::1]") == ("2001:db8::1", None)
    assert norm.ip_with_port("2001:db8::1") == ("2001:db8::1", None)  # all colons: no port
    assert norm.ip_with_port("[::ffff:192.0.2.5]:80") == ("192.0.2.5", 80)
    for bad in ("192.0.2.5:0", "192.0.2.5:65536", "192.0.2.5:", "[2001:db8::1]:x", "2001:db8::1:99999"):
        with pytest.raises(norm.Invalid):
            norm.ip_with_port(bad)
    assert [norm.port(p) for p in ("1", 65535, " 443 ")] == [1, 65535, 443]
    for bad in ("192.0.2", "192.0.2.256", "[2001:db8::1]", "192.0.2.0/24", "010.0.0.1"):
        with pytest.raises(norm.Invalid):
            norm.ip(bad)
    assert norm.email(" A.B@Example.COM ") == "a.b@example.com"
    for bad in ("a@b", "@example.org", "a b@example.org", "a@example..org", "a@@example.org", "a@-x.org"):
        with pytest.raises(norm.Invalid):
            norm.email(bad)
    assert [norm.departement(d) for d in ("1", "01", "2a", "2B", "95", "974", 74)] == [
        "01",
        "01",
        "2A",
        "2B",
        "95",
        "974",
        "74",
    ]
    for bad in ("0", "20", "96", "970", "977", "99", "2C", "AB"):
        with pytest.raises(norm.Invalid):
            norm.departement(bad)
    assert [norm.birth_date(d) for d in ("1981-07-14", "4/7/1981", "1981-07", "1981")] == [
        "1981-07-14",
        "1981-07-04",
        "1981-07",
        "1981",
    ]
    for bad in ("1981-13", "14-07-1981", "1879", "1981-02-29", "81"):
        with pytest.raises(norm.Invalid):
            norm.birth_date(bad)
    assert norm.timestamp("2026-03-02T21:14:05+01:00") == norm.timestamp("2026-03-02T20:14:05Z") == 1772482445
    assert norm.timestamp(1772482445) == norm.timestamp("1772482445") == 1772482445
    for bad in ("2026-03-02T21:14:05", "2026-03-02", 1772482445.5, True, "yesterday", -1):
        with pytest.raises(norm.Invalid):
            norm.timestamp(bad)
    assert (
        norm.account("user42")
        == norm.account("42")
        == norm.account(42)
        == norm.account("telegram:user:42")
        == 42
    )
    assert norm.items("a; b;;c ") == ["a", "b", "c"] and norm.items(["a", "", None, "b"]) == ["a", "b"]


def test_offence_vocabulary() -> None:
    minor = {o.code for o in norm.OFFENCE_TYPES if o.against_minor_sexual}
    for wording, code in [
        ("Atteinte sexuelle sur mineur de 15 ans", "sexual_abuse_of_minor"),
        ("viol sur mineur", "rape_of_minor"),
        ("détention d'images pédopornographiques", "csam_possession"),
        ("Proposition sexuelle à un mineur de 15 ans", "sexual_solicitation_of_minor"),
        ("corruption de mineur", "corruption_of_minor"),
        ("child sexual abuse", "sexual_abuse_of_minor"),
        ("CSAM-distribution", "csam_distribution"),
        ("sexual_offence_against_minor", "sexual_offence_against_minor"),
    ]:
        o = norm.offence_type(wording)
        assert o is not None and o.code == code and code in minor, wording
    for wording, code in [
        ("agression sexuelle", "sexual_offence"),
        ("violences sur mineur", "violence_against_minor"),
    ]:
        o = norm.offence_type(wording)
        assert o is not None and o.code == code and code not in minor
    assert norm.offence_type("outrage") is None


def test_docs_list_every_column_and_the_vocabulary() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    for kind in SCHEMAS:
        assert markdown_table(kind) in doc, f"docs/records.md: the {kind} table differs from schemas.py"
    for o in norm.OFFENCE_TYPES:
        assert f"`{o.code}`" in doc, o.code
