"""Identity resolution on a small synthetic population with known truth, on SQLite and PostgreSQL
(splink itself runs on DuckDB in memory): deterministic and probabilistic person links, a homonym
kept from high confidence, aliases and the weak signals that must not make one, factors that sum
to the match weight, decisions every run respects, settings that fail clearly, the CLI."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from conftest import add_member
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody.audit import entries
from veilleur.linking import (
    LinkError,
    LinkSettings,
    LinkSettingsError,
    current_links,
    decide,
    link_case,
    parse_settings,
    person_of,
)
from veilleur.linking.normalise import birth_year, fold, split_name
from veilleur.store.bulk import insert_rows, sync_sequences
from veilleur.store.schema import (
    account_identifiers,
    account_names,
    accounts,
    chats,
    evidence,
    identity_records,
    imports,
    link_candidates,
    link_runs,
    media,
    messages,
    persons,
    record_imports,
)

AT = "2026-05-01T00:00:00.000000Z"
# account ids
JEAN, MARIE, PHONE_A, PHONE_B, IP_A, IP_B, USER_A, USER_B, MEDIA_A, MEDIA_B, MEDIA_C, LONE = range(1, 13)
# person ids
P_JEAN, P_MARIE, P_HOMONYM = 1, 2, 3
FILE_X, FILE_Y = "ab" * 32, "cd" * 32


def _populate(case: Case) -> None:
    """The population. Truth: JEAN is P-JEAN (same phone), MARIE is P-MARIE (misspelt name, same
    year of birth in her username, same e-mail user name at another provider), P-HOMONYM is
    another Jean Dupont (other birth date and phone); PHONE_A/PHONE_B share a phone at overlapping
    times, IP_A/IP_B an IP at disjoint times, USER_A/USER_B a username, MEDIA_A/MEDIA_B a file
    nobody else sent (FILE_Y was sent by MEDIA_C too)."""
    with case.engine.begin() as conn:
        insert_rows(
            conn,
            evidence,
            ("id", "sha256", "size", "original_path", "kind", "registered_at", "operator"),
            [
                (1, "11" * 32, 10, "/seized/device-1.zip", "export", AT, "t"),
                (2, "22" * 32, 10, "/seized/device-2.zip", "export", AT, "t"),
                (3, "33" * 32, 10, "/returns/telegram.csv", "file", AT, "t"),
                (4, FILE_X, 10, "/seized/device-1/photo_1.jpg", "media", AT, "t"),
                (5, FILE_Y, 10, "/seized/device-1/photo_2.jpg", "media", AT, "t"),
            ],
        )
        insert_rows(
            conn,
            imports,
            ("id", "evidence_id", "source_path", "format", "status", "operator", "started_at", "options"),
            [
                (1, 1, "/seized/device-1.zip", "json", "complete", "t", AT, "{}"),
                (2, 2, "/seized/device-2.zip", "json", "complete", "t", AT, "{}"),
            ],
        )
        insert_rows(
            conn,
            record_imports,
            ("id", "evidence_id", "kind", "format", "imported_at", "operator", "n_rows"),
            [(1, 3, "returns", "csv", AT, "t", 6), (2, 3, "identity", "csv", AT, "t", 3)],
        )
        insert_rows(
            conn,
            accounts,
            ("id", "key", "platform", "kind", "peer_id", "identity", "deleted_seen"),
            [
                (i, f"telegram:user:{1000 + i}", "telegram", "user", 1000 + i, "platform_id", False)
                for i in range(1, 13)
            ],
        )
        names = {
            JEAN: "Jean Dupont",
            MARIE: "Marie Lefebre",
            PHONE_A: "Alpha Quebec",
            PHONE_B: "Bravo Romeo",
            IP_A: "Charlie Sierra",
            IP_B: "Delta Tango",
            USER_A: "Echo Uniform",
            USER_B: "Foxtrot Victor",
            MEDIA_A: "Golf Whiskey",
            MEDIA_B: "Hotel Xray",
            MEDIA_C: "India Yankee",
            LONE: "Juliet Zulu",
        }
        rows: list[tuple[Any, ...]] = [
            (a, "display_name", v, 1, 1, 100, 200, 1, 10 * a) for a, v in names.items()
        ]
        rows += [
            (MARIE, "username", "mlefebvre1987", 1, 1, 100, 200, 1, 500),
            (USER_A, "username", "ShadowFox", 1, 1, 100, 200, 1, 510),
            (USER_B, "username", "shadowfox", 2, 2, 300, 400, 1, 520),
            # the same contact-saved name in the address books of two seized devices
            (LONE, "contact_name", "Kilo Lima", 1, 1, 100, 200, 1, 530),
            (PHONE_A, "contact_name", "Kilo Lima", 2, 2, 300, 400, 1, 540),
        ]
        insert_rows(
            conn,
            account_names,
            (
                "account_id",
                "name_kind",
                "value",
                "import_id",
                "evidence_id",
                "first_seen_utc",
                "last_seen_utc",
                "n_seen",
                "first_byte_offset",
            ),
            rows,
        )
        insert_rows(
            conn,
            account_identifiers,
            ("id", "import_id", "account_id", "kind", "value", "first_utc", "last_utc", "place"),
            [
                (1, 1, JEAN, "phone", "+33611111111", None, None, "line 2"),
                (2, 1, MARIE, "email", "marie.lefebvre87@gmail.com", None, None, "line 3"),
                (3, 1, PHONE_A, "phone", "+33644444444", 1_000, 5_000, "line 4"),
                (4, 1, PHONE_B, "phone", "+33644444444", 3_000, 9_000, "line 5"),
                (5, 1, IP_A, "ip", "198.51.100.7", 1_000, 2_000, "line 6"),
                (6, 1, IP_B, "ip", "198.51.100.7", 5_000, 6_000, "line 7"),
            ],
        )
        insert_rows(
            conn,
            persons,
            ("id", "key", "created_at"),
            [(1, "P-JEAN", AT), (2, "P-MARIE", AT), (3, "P-HOMONYM", AT)],
        )
        insert_rows(
            conn,
            identity_records,
            (
                "id",
                "import_id",
                "person_id",
                "first_name",
                "last_name",
                "birth_date",
                "city",
                "phones",
                "emails",
                "place",
            ),
            [
                (1, 2, P_JEAN, "Jean", "Dupont", "1984-03-02", "Annecy", '["+33611111111"]', "[]", "line 2"),
                (
                    2,
                    2,
                    P_MARIE,
                    "Marie",
                    "Lefebvre",
                    "1987-05-06",
                    "Lyon",
                    '["+33622222222"]',
                    '["marie.lefebvre87@orange.fr"]',
                    "line 3",
                ),
                (
                    3,
                    2,
                    P_HOMONYM,
                    "Jean",
                    "Dupont",
                    "1990-11-30",
                    "Marseille",
                    '["+33633333333"]',
                    "[]",
                    "line 4",
                ),
            ],
        )
        insert_rows(
            conn,
            chats,
            ("id", "key", "platform", "type", "title"),
            [(1, "telegram:chat:1", "telegram", "private_group", "group")],
        )
        sends = [
            (1, MEDIA_A, FILE_X),
            (2, MEDIA_B, FILE_X),
            (3, MEDIA_A, FILE_Y),
            (4, MEDIA_B, FILE_Y),
            (5, MEDIA_C, FILE_Y),
        ]
        insert_rows(
            conn,
            messages,
            (
                "id",
                "chat_id",
                "message_id",
                "kind",
                "sender_id",
                "date_utc",
                "text",
                "migrated",
                "possibly_deleted",
                "evidence_id",
                "byte_offset",
                "content_hash",
                "first_import_id",
                "last_import_id",
                "n_versions",
            ),
            [
                (i, 1, i, "message", s, 1_000 + i, "", False, False, 1, 1_000 + i, "x" * 32, 1, 1, 1)
                for i, s, _ in sends
            ],
        )
        insert_rows(
            conn,
            media,
            ("message_pk", "idx", "role", "relpath", "present", "spoiler", "file_evidence_id"),
            [(i, 0, "photo", f"photo_{i}.jpg", True, False, 4 if f == FILE_X else 5) for i, _, f in sends],
        )
        sync_sequences(
            conn,
            evidence,
            imports,
            record_imports,
            accounts,
            account_identifiers,
            persons,
            identity_records,
            chats,
        )


@pytest.fixture
def population(case: Case) -> Case:
    _populate(case)
    return case


def _person_links(case: Case) -> dict[tuple[int, int], Any]:
    with case.engine.connect() as conn:
        return {(v.account_id, v.person_id): v for v in current_links(conn) if v.kind == "account_person"}


def _alias_links(case: Case) -> dict[tuple[int, int], Any]:
    with case.engine.connect() as conn:
        return {
            (v.account_id, v.other_account_id): v for v in current_links(conn) if v.kind == "account_account"
        }


# -- normalisation ------------------------------------------------------------------------------


def test_names_fold_and_split() -> None:
    assert fold("Éloïse LE-GOFF 🔥") == "eloise le goff"
    assert split_name("DUPONT Jean") == split_name("Jean DUPONT") == split_name("jean dupont")
    assert split_name("Jean LE GOFF").last == "le goff"
    assert split_name("Jean").first == "jean" and split_name("Jean").last is None
    assert split_name("🔥🔥").full is None
    assert birth_year("jdupont1984") == 1984
    assert birth_year("agent007", "x2000y1999") is None  # two years: no guess


# -- account -> person --------------------------------------------------------------------------


def test_deterministic_phone_link_and_homonym(population: Case) -> None:
    report = link_case(population, operator="tester")
    links = _person_links(population)
    jean = links[(JEAN, P_JEAN)]
    assert jean.method == "rule:phone" and jean.confidence == "high" and jean.status == "proposed"
    rule = next(f for f in jean.factors if f["name"] == "rule:phone")
    assert {r["table"] for r in rule["records"]} == {"account_identifiers", "identity_records"}
    assert any(
        r["table"] == "account_identifiers" and r["id"] == 1 and r["evidence_id"] == 3
        for r in rule["records"]
    )
    # the homonym: same name, another birth date and phone; never high
    homonym = links.get((JEAN, P_HOMONYM))
    assert homonym is None or homonym.confidence != "high"
    with population.engine.connect() as conn:
        found = person_of(conn, JEAN)
    assert found is not None and found.person_key == "P-JEAN" and found.basis == "proposed"
    assert report.by_method.get("rule:phone") == 1


def test_probabilistic_link_misspelt_name(population: Case) -> None:
    link_case(population, operator="tester")
    marie = _person_links(population)[(MARIE, P_MARIE)]
    assert marie.method == "splink"  # no phone or e-mail in common: the model found her
    assert marie.confidence == "high" and marie.probability > 0.99
    by_name = {f["name"]: f for f in marie.factors}
    assert by_name["name"]["value"].startswith("both names similar")
    assert by_name["name"]["compared"] == {"account": "marie lefebre", "record": "marie lefebvre"}
    assert by_name["birth_year"]["value"] == "same year" and by_name["birth_year"]["weight"] > 0
    assert by_name["email"]["value"] == "same e-mail user name at another provider"
    assert by_name["phone"]["value"] == "no phone on one side" and by_name["phone"]["weight"] == 0
    name_records = by_name["name"]["records"]
    assert {"table": "account_names", "name_kind": "display_name", "value": "Marie Lefebre"}.items() <= next(
        r for r in name_records if r["table"] == "account_names"
    ).items()
    assert any(r["table"] == "identity_records" and r["person"] == "P-MARIE" for r in name_records)
    assert by_name["prior"]["weight"] < 0


def test_factors_sum_to_match_weight(population: Case) -> None:
    link_case(population, operator="tester")
    with population.engine.connect() as conn:
        scored = [v for v in current_links(conn) if v.match_weight is not None]
    assert scored
    for v in scored:
        weights = [f["weight"] for f in v.factors if f["weight"] is not None]
        assert math.isclose(sum(weights), v.match_weight, abs_tol=1e-6), v
        if v.kind == "account_person":
            names = [f["name"] for f in v.factors if f["weight"] is not None]
            assert names == ["prior", "name", "username", "birth_year", "phone", "email"]
            assert math.isclose(v.probability, 1 / (1 + 2**-v.match_weight), rel_tol=1e-9)


# -- account -> account -------------------------------------------------------------------------


def test_aliases(population: Case) -> None:
    link_case(population, operator="tester")
    aliases = _alias_links(population)
    phone = aliases[(PHONE_A, PHONE_B)]
    assert phone.confidence == "high" and phone.method == "alias:shared_phone"
    assert "overlapping" in phone.factors[0]["value"]
    assert {r["id"] for r in phone.factors[0]["records"]} == {3, 4}
    assert (IP_A, IP_B) not in aliases  # the same IP, but not at the same time
    username = aliases[(USER_A, USER_B)]
    assert username.method == "alias:username" and username.confidence == "medium"
    shared = aliases[(MEDIA_A, MEDIA_B)]
    assert shared.method == "alias:unique_media"
    assert [f["name"] for f in shared.factors] == ["unique_media"]  # FILE_Y was sent by a third account
    assert {r["sha256"] for r in shared.factors[0]["records"]} == {FILE_X}
    assert not any(MEDIA_C in pair for pair in aliases)
    contact = aliases[(PHONE_A, LONE)]
    assert contact.method == "alias:contact_name" and contact.confidence == "medium"
    assert {r["import_id"] for r in contact.factors[0]["records"]} == {1, 2}
    for v in aliases.values():
        assert math.isclose(sum(f["weight"] for f in v.factors), v.match_weight)


# -- decisions ----------------------------------------------------------------------------------


def test_decisions_respected_by_every_run(population: Case) -> None:
    link_case(population, operator="tester")
    decide(
        population,
        kind="account_person",
        account_id=JEAN,
        person_id=P_HOMONYM,
        decision="rejected",
        operator="analyst",
        note="other birth date, lives in Marseille",
    )
    decide(
        population,
        kind="account_person",
        account_id=LONE,
        person_id=P_MARIE,
        decision="confirmed",
        operator="analyst",
        note="seen together on CCTV (synthetic)",
    )
    decide(
        population,
        kind="account_person",
        account_id=MARIE,
        person_id=P_MARIE,
        decision="confirmed",
        operator="analyst",
    )
    decide(
        population,
        kind="account_account",
        account_id=IP_B,
        other_account_id=IP_A,
        decision="confirmed",
        operator="analyst",
    )
    for _ in range(2):
        report = link_case(population, operator="tester")
        with population.engine.connect() as conn:
            run = conn.execute(select(link_runs.c.id).order_by(link_runs.c.id.desc())).scalar()
            stored = {
                (r.account_id, r.person_id, r.other_account_id): r
                for r in conn.execute(select(link_candidates).where(link_candidates.c.run_id == run))
            }
        assert (JEAN, P_HOMONYM, None) not in stored
        lone = stored[(LONE, P_MARIE, None)]
        assert lone.method == "analyst" and lone.confidence == "high"
        marie = stored[(MARIE, P_MARIE, None)]
        assert marie.method == "analyst"
        names = [f["name"] for f in orjson.loads(marie.factors)]
        assert names[0] == "analyst" and "name" in names  # the factors found are kept
        assert stored[(IP_A, None, IP_B)].method == "analyst"  # stored in id order
        assert report.confirmed_carried == 3
    links = _person_links(population)
    assert links[(JEAN, P_HOMONYM)].status == "rejected"
    assert links[(LONE, P_MARIE)].status == "confirmed"
    with population.engine.connect() as conn:
        lone_person = person_of(conn, LONE)
    assert (
        lone_person is not None and lone_person.basis == "confirmed" and lone_person.person_key == "P-MARIE"
    )
    # a later decision replaces an earlier one
    decide(
        population,
        kind="account_person",
        account_id=JEAN,
        person_id=P_HOMONYM,
        decision="confirmed",
        operator="analyst",
    )
    link_case(population, operator="tester")
    assert _person_links(population)[(JEAN, P_HOMONYM)].status == "confirmed"
    with population.engine.connect() as conn:
        actions = [e.action for e in entries(conn)]
    assert actions.count("link.decide") == 5 and actions.count("link") == 4


def test_bad_decisions(population: Case) -> None:
    with pytest.raises(LinkError, match="no person"):
        decide(
            population,
            kind="account_person",
            account_id=JEAN,
            person_id=99,
            decision="confirmed",
            operator="a",
        )
    with pytest.raises(LinkError, match="itself"):
        decide(
            population,
            kind="account_account",
            account_id=JEAN,
            other_account_id=JEAN,
            decision="rejected",
            operator="a",
        )
    with pytest.raises(LinkError, match="decision must be"):
        decide(
            population,
            kind="account_person",
            account_id=JEAN,
            person_id=P_JEAN,
            decision="maybe",
            operator="a",
        )


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"threshold": 0.5}, "unknown linking setting"),
        ({"high_probability": "high"}, "must be a number"),
        ({"high_probability": 1.5}, "between 0 and 1"),
        (
            {"propose_probability": 0.95, "medium_probability": 0.9},
            "propose_probability <= medium_probability",
        ),
        ({"train": "sometimes"}, "train"),
        ({"threads": 0}, "at least 1"),
        ({"u_max_pairs": 1.5}, "integer"),
        ({"alias_low": 5, "alias_medium": 4}, "alias_low"),
        ({"identifier_shared_rate": 2}, "between 0 and 1"),
        ({"high_margin_bits": -1}, "0 or more"),
        ([("threads", 2)], "must be a mapping"),
    ],
)
def test_malformed_settings_fail_clearly(population: Case, given: Any, message: str) -> None:
    with pytest.raises(LinkSettingsError, match=message):
        link_case(population, operator="tester", settings=given)
    with population.engine.connect() as conn:
        assert conn.execute(select(link_runs.c.id)).first() is None


def test_settings_accepted_and_saved(population: Case) -> None:
    assert parse_settings({"high_probability": 0.999, "prior_share": None}).high_probability == 0.999
    report = link_case(population, operator="tester", settings=LinkSettings(prior_share=0.5, train="never"))
    with population.engine.connect() as conn:
        saved = orjson.loads(
            conn.execute(select(link_runs.c.settings).where(link_runs.c.id == report.run_id)).scalar()
        )
    assert saved["settings"]["prior_share"] == 0.5
    assert saved["model"]["trained"] is False and saved["model"]["prior"] == pytest.approx(0.5 / 3)
    levels = {c["comparison"]: c["levels"] for c in saved["model"]["parameters"]}
    assert levels["phone"][0]["label"] == "same phone number"
    assert levels["phone"][0]["source"] == "default; u = 0.05 / 3 persons"


# -- CLI ----------------------------------------------------------------------------------------


def test_cli(population: Case) -> None:
    runner = CliRunner()
    base = ["--case", str(population.root), "--operator", "cli-tester"]
    add_member(population, "cli-tester")
    done = runner.invoke(cli, [*base, "link", "run", "--json"])
    assert done.exit_code == 0, done.output
    assert orjson.loads(done.output)["person_candidates"] >= 2
    shown = runner.invoke(cli, [*base, "link", "show", "--account", "user:1001", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = orjson.loads(shown.output)["links"]
    assert any(r["person"] == "P-JEAN" and r["method"] == "rule:phone" for r in rows)
    table = runner.invoke(cli, [*base, "link", "show"], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "rule:phone" in table.output and "P-MARIE" in table.output
    rejected = runner.invoke(
        cli, [*base, "link", "reject", "user:1001", "--person", "P-HOMONYM", "--note", "no"]
    )
    assert rejected.exit_code == 0, rejected.output
    confirmed = runner.invoke(cli, [*base, "link", "confirm", "user:1005", "--account2", "user:1006"])
    assert confirmed.exit_code == 0, confirmed.output
    neither = runner.invoke(cli, [*base, "link", "confirm", "user:1005"])
    assert neither.exit_code != 0
    with population.engine.connect() as conn:
        log = [(e.action, e.subject) for e in entries(conn)]
    assert ("view.links", "telegram:user:1001") in log  # the key resolved, not what was typed
    assert [a for a, _ in log].count("link.decide") == 2


def test_link_show_is_readable_on_80_columns(population: Case) -> None:
    """Each link a block: no line past 80 columns, every account and person key whole, each
    factor with its records."""
    from rich.cells import cell_len

    runner = CliRunner()
    base = ["--case", str(population.root), "--operator", "cli-tester"]
    add_member(population, "cli-tester")
    assert runner.invoke(cli, [*base, "link", "run"]).exit_code == 0
    links = orjson.loads(runner.invoke(cli, [*base, "link", "show", "--json"]).output)["links"]
    shown = runner.invoke(cli, [*base, "link", "show"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    heads = {line for line in lines if " → " in line and not line.startswith(" ")}
    for x in links:
        target = f"person {x['person']}" if x["kind"] == "account_person" else f"account {x['other_account']}"
        assert f"{x['account']} → {target}" in heads, x
    assert "rule:phone: same phone number" in shown.output


def test_a_relative_on_the_holders_phone_is_not_high() -> None:
    """The phone rule finds the line's holder; an account named with the holder's last name and
    another first name is most likely a relative on the family line: medium, with the reason. The
    holder's own account on the same kind of evidence stays high."""
    from veilleur.linking.model import AccountInput, RecordInput, build_inputs, link_persons

    records = [
        RecordInput(1, 1, "Hugo", "Martin", "1979-03-02", ("+33612345678",)),
        RecordInput(2, 2, "Jean", "Dupont", "1980-01-01", ("+33698765432",)),
        RecordInput(3, 3, "Claire", "Bernard", "1990-05-05", ("+33611112222",)),
    ]
    accounts_in = [
        AccountInput(1, ("Léa Martin",), (), ("+33612345678",)),  # Hugo's daughter on his line
        AccountInput(2, ("Jean Dupont",), (), ("+33698765432",)),  # the holder himself
    ]
    matches, _ = link_persons(build_inputs(accounts_in, records), LinkSettings(threads=1))
    by_pair = {(m.account_id, m.person_id): m for m in matches}
    relative = by_pair[(1, 1)]
    assert relative.method == "rule:phone" and relative.confidence == "medium"
    assert any("relative" in n and "lea martin" in n.lower() for n in relative.notes), relative.notes
    assert by_pair[(2, 2)].confidence == "high" and not by_pair[(2, 2)].notes
