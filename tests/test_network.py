"""Exchanges, the network around an account, propagation, roles, dossiers and packages, on the
synthetic demo case (imported, hashed, matched against its own lists) in SQLite and PostgreSQL.

The demo's story (``veilleur.demo.scenario.KNOWN``): the central account sends a known picture to
one contact, receives a resized one from another and forwards it to a third, receives a mirrored
one, sends a known video, and is a member of the hiking group where another member posts a known
picture; a benign group photo is listed by mistake and cleared by a negative list.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from matched_demo import Matched
from veilleur.analysis.exchanges import Exchange, flagged_exchanges, forward_chain
from veilleur.analysis.graph import admin_actions, analyse_network, chat_timeline
from veilleur.analysis.jurisdiction import jurisdictions
from veilleur.analysis.network import exchanged_with, exchanges_in_chat
from veilleur.analysis.propagation import media_items, possibly_new_material
from veilleur.custody.audit import tail, verify
from veilleur.demo.check import check_network, store_key
from veilleur.demo.scenario import build_case
from veilleur.outputs.dossier import write_all_dossiers
from veilleur.outputs.packages import write_packages
from veilleur.store.schema import messages


def exchanges(m: Matched) -> list[Exchange]:
    with m.case.engine.connect() as conn:
        return flagged_exchanges(conn)


def by_label(m: Matched, ex: list[Exchange]) -> dict[str, Exchange]:
    out = {}
    for k in m.truth["known_material"]:
        for e in ex:
            if e.chat_key == store_key(k["chat"]) and e.message_id == k["id"]:
                out[k["label"] + ("-fwd" if k["forwarded_from"] else "")] = e
    return out


def test_every_flagged_message_is_an_exchange_with_its_parties(matched: Matched) -> None:
    ex = exchanges(matched)
    known = by_label(matched, ex)
    expected = {k["label"] + ("-fwd" if k["forwarded_from"] else "") for k in matched.truth["known_material"]}
    assert set(known) == expected - {"B1"}  # the suppressed one is no exchange
    assert len(ex) == len(known)
    central = matched.account(matched.truth["case"]["central_account_id"])
    f1 = known["F1"]
    assert (f1.setting, f1.sender_id) == ("private", central)
    (r,) = f1.recipients
    assert r.account_id == matched.account(
        next(k["chat"] for k in matched.truth["known_material"] if k["label"] == "F1")
    )
    assert r.recorded and "peer" in r.basis
    assert {h.hash_type for h in f1.hits} == {"md5", "sha1", "pdq"}
    f3 = known["F3"]
    assert f3.recipients[0].account_id == central and "owner" in f3.recipients[0].basis
    assert f3.hits[0].variant in range(1, 8)  # found as a mirror
    assert f1.evidence_id is not None and f1.byte_offset is not None


def test_group_recipients_are_the_members_at_that_time_with_their_basis(matched: Matched) -> None:
    f4 = by_label(matched, exchanges(matched))["F4"]
    assert f4.setting == "group"
    members = {p.account_id: p for p in f4.recipients}
    central = matched.account(matched.truth["case"]["central_account_id"])
    assert central in members and f4.sender_id not in members
    # Left by himself on 20 Feb, removed on 22 Feb, joined by link on 2 May: none received it on 12 Mar.
    for gone in (7, 39, 41):
        assert matched.person(gone) not in members, gone
    recorded = [p for p in members.values() if p.recorded]
    inferred = [p for p in members.values() if not p.recorded]
    assert recorded and all(p.message_id is not None for p in recorded)
    assert inferred and all("messages in the chat" in p.basis for p in inferred)


def test_forwards_are_followed_back_to_the_first_send(matched: Matched) -> None:
    ex = exchanges(matched)
    known = by_label(matched, ex)
    fwd, original = known["F2-fwd"], known["F2"]
    assert fwd.forward_origin is not None and fwd.forward_origin.account_id == original.sender_id
    assert forward_chain(fwd, ex) == [original]
    assert forward_chain(original, ex) == []


def test_the_network_around_the_central_account_is_the_ground_truth(matched: Matched) -> None:
    with matched.case.engine.connect() as conn:
        assert check_network(conn, matched.truth) == []
        wrong = copy.deepcopy(matched.truth)
        extra = f"user:{build_case(7).people[11].id}"  # a contact who exchanged nothing flagged
        wrong["central_network"][extra] = ["private: sent to them"]
        first = next(iter(wrong["central_network"]))
        wrong["central_network"][first] = ["reply"]
        found = check_network(conn, wrong)
    assert {m.what.split(" with ")[0] for m in found} == {
        "accounts that exchanged flagged material",
        "kinds of link",
    }


def test_network_of_a_set_of_accounts_and_of_a_chat(matched: Matched) -> None:
    ex = exchanges(matched)
    known = by_label(matched, ex)
    central = matched.account(matched.truth["case"]["central_account_id"])
    lea = known["F2"].sender_id
    assert lea is not None
    with matched.case.engine.connect() as conn:
        around = {c.account_id: c for c in exchanged_with(conn, [central, lea], ex)}
        assert central not in around and lea not in around
        theo = known["F2-fwd"].recipients[0].account_id
        assert around[theo].kinds == ("private: sent to them",)
        assert around[theo].direct and around[theo].received == 1 and around[theo].sent == 0
        group_sender = known["F4"].sender_id
        assert group_sender is not None and not around[group_sender].direct
    group_chat = known["F4"].chat_id
    assert [e.message_id for e in exchanges_in_chat(group_chat, ex)] == [known["F4"].message_id]


def test_propagation_and_possibly_new_material(matched: Matched) -> None:
    ex = exchanges(matched)
    known = by_label(matched, ex)
    with matched.case.engine.connect() as conn:
        items = media_items(conn)
    f2 = next(i for i in items if known["F2"].files[0] in i.files)
    assert [s.message_pk for s in f2.sightings] == [known["F2"].message_pk, known["F2-fwd"].message_pk]
    assert f2.first.forwarded_from is None and len(f2.forwards) == 1 and f2.flagged
    new = possibly_new_material(items, ex)
    assert new and all(not i.listed and i.first.forwarded_from is None and i.reasons for i in new)
    suppressed = next(k for k in matched.truth["known_material"] if k["suppressed"])
    assert all(s.message_id != suppressed["id"] for i in new for s in i.sightings)
    central = matched.account(matched.truth["case"]["central_account_id"])
    assert any(i.first.sender_id == central for i in new)


def test_roles_volumes_centrality_and_timelines(matched: Matched) -> None:
    ex = exchanges(matched)
    central = matched.account(matched.truth["case"]["central_account_id"])
    with matched.case.engine.connect() as conn:
        na = analyse_network(conn, ex)
        group = by_label(matched, ex)["F4"].chat_id
        timeline = chat_timeline(conn, group, ex)
    c = na.accounts[central]
    assert c.roles == ("distributor",) and (c.sent, c.received) == (3, 3)
    assert c.sent_private == 3 and len(c.files_sent) == 3
    hugo = by_label(matched, ex)["F1"].recipients[0].account_id
    assert na.accounts[hugo].roles == ("receiver",)
    assert any("administrator" in s.roles for s in na.accounts.values())
    # A member who left (Telegram writes it as removing themself) did no administration by leaving;
    # the administrator who removed another member did.
    with matched.case.engine.connect() as conn:
        service = conn.execute(
            select(
                messages.c.chat_id, messages.c.sender_id, messages.c.sender_name, messages.c.details
            ).where(messages.c.kind == "service", messages.c.action == "remove_members")
        ).all()
        counted = admin_actions(conn, {r.chat_id for r in service})
    by_themself = [r for r in service if json.loads(r.details)["members"] == [r.sender_name]]
    by_admin = [r for r in service if r not in by_themself]
    assert by_themself and by_admin
    for r in by_themself:
        assert counted.get(r.sender_id, Counter())["remove_members"] == sum(
            1 for x in by_admin if x.sender_id == r.sender_id
        )
    for r in by_admin:
        assert counted[r.sender_id]["remove_members"] >= 1
    # The group poster reaches every member; the central account sits between Léa and Théo.
    assert c.degree_centrality > 0 and c.betweenness > 0
    assert c.community is not None and na.communities
    assert sum(m["exchanges"] for m in timeline) == 1 and sum(m["messages"] for m in timeline) > 100


def test_dossiers_cite_their_records_hold_no_media_and_are_logged(matched: Matched, tmp_path: Path) -> None:
    out = tmp_path / "dossiers"
    paths = write_all_dossiers(matched.case, out, operator="reviewer")
    htmls = [p for p in paths if p.suffix == ".html"]
    pdfs = [p for p in paths if p.suffix == ".pdf"]
    participants = set(matched.truth["central_network"]) | {matched.truth["case"]["central_account_id"]}
    assert len(htmls) == len(pdfs) == len(participants)
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    with matched.case.engine.connect() as conn:
        (entry,) = [e for e in tail(conn, 5) if e.action == "report.dossiers"]
        assert verify(conn) == []
    central_key = store_key(matched.truth["case"]["central_account_id"])
    html = (out / (central_key.replace(":", "_") + ".html")).read_text(encoding="utf-8")
    assert entry.position.label in html and "reviewer" in html
    f1 = next(k for k in matched.truth["known_material"] if k["label"] == "F1")
    assert f"message {f1['id']}" in html and "Project VIC (demo) v" in html and "MD5 identical" in html
    assert "evidence #" in html and "byte " in html
    for p in htmls:
        text = p.read_text(encoding="utf-8").lower()
        assert "<img" not in text and "data:image" not in text and "src=" not in text


def test_packages_by_jurisdiction_with_a_verifiable_manifest(matched: Matched, tmp_path: Path) -> None:
    out = tmp_path / "packages"
    write_packages(matched.case, out, operator="reviewer", pdf=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    central_key = store_key(matched.truth["case"]["central_account_id"]).replace(":", "_")
    # The central account's full export holds its sessions: their region routes its dossier
    # (unless the account is already linked to a person whose identity record names a court).
    with matched.case.engine.connect() as conn:
        place = jurisdictions(conn, [matched.account(matched.truth["case"]["central_account_id"])])
    (where,) = place.values()
    assert where.label in ("Auvergne-Rhône-Alpes, France", "Tribunal judiciaire d'Annecy")
    folder = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in where.label)
    assert (out / folder / f"{central_key}.html").is_file()
    assert (out / "unknown" / "index.html").is_file()
    summary = (out / "case-summary.html").read_text(encoding="utf-8")
    assert "Possibly new material" in summary and "Known pictures PDQ (demo)" in summary


def test_commands_show_the_analyses_and_log_each_view(matched: Matched, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conftest import add_member
    from veilleur.cli import cli

    central = matched.truth["case"]["central_account_id"]
    add_member(matched.case, "cli-user", "lead")
    runner = CliRunner()
    views = {
        ("exchanges",): "view.exchanges",
        ("exchanges", "--account", central, "--json"): "view.exchanges",
        ("network", central): "view.network",
        ("network", central, "--json"): "view.network",
        ("roles",): "view.roles",
        ("timeline", "--account", central, "--json"): "view.timeline",
        ("propagation", "--new"): "view.propagation",
        ("export", "jsonl", "--out", str(tmp_path / "jsonl")): "export.jsonl",
        ("dossier", central, "--out", str(tmp_path / "d"), "--no-pdf"): "report.dossiers",
        ("report", "--out", str(tmp_path / "r"), "--no-pdf"): "report.packages",
    }
    for args, action in views.items():
        result = runner.invoke(cli, ["--case", str(matched.case.root), "--operator", "cli-user", *args])
        assert result.exit_code == 0, (args, result.output)
        with matched.case.engine.connect() as conn:
            last = tail(conn, 1)[0]
        assert (last.action, last.operator) == (action, "cli-user"), args
        if args[0] == "timeline":
            rows = json.loads(result.output)["rows"]
            assert sum(r["messages"] for r in rows if "sent flagged media" in r["event"]) == 3
        if args == ("network", central, "--json"):
            found = {c["account"]: c["kinds"] for c in json.loads(result.output)["counterparts"]}
            assert found == {store_key(k): v for k, v in matched.truth["central_network"].items()}
    base = ["--case", str(matched.case.root), "--operator", "cli-user"]
    unknown = runner.invoke(cli, [*base, "network", "user:1"])
    assert unknown.exit_code == 5 and "no account" in unknown.output  # ExitCode.NOT_FOUND
