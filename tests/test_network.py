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
import html
import json
import re
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from matched_demo import Matched
from veilleur.analysis.exchanges import Exchange, flagged_exchanges, forward_chain
from veilleur.analysis.graph import admin_actions, analyse_network, chat_timeline
from veilleur.analysis.jurisdiction import jurisdictions
from veilleur.analysis.network import exchanged_with, exchanges_in_chat
from veilleur.analysis.propagation import media_items, possibly_new_material
from veilleur.case import Case
from veilleur.custody.audit import tail, verify
from veilleur.demo.check import check_network, store_key
from veilleur.demo.scenario import build_case
from veilleur.outputs.dossier import file_stems
from veilleur.outputs.dossier_files import write_all_dossiers
from veilleur.outputs.packages import write_packages
from veilleur.store.schema import account_names, accounts, messages


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
    html = (out / (file_stems([central_key])[central_key] + ".html")).read_text(encoding="utf-8")
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
    central_key = store_key(matched.truth["case"]["central_account_id"])
    # The central account's full export holds its sessions: their region routes its dossier
    # (unless the account is already linked to a person whose identity record names a court).
    with matched.case.engine.connect() as conn:
        place = jurisdictions(conn, [matched.account(matched.truth["case"]["central_account_id"])])
    (where,) = place.values()
    assert where.label in ("Auvergne-Rhône-Alpes, France", "Tribunal judiciaire d'Annecy")
    folder = file_stems([where.label])[where.label]
    assert folder.startswith(where.label.replace(" ", "_").replace(",", "_").replace("'", "_"))
    assert (out / folder / f"{file_stems([central_key])[central_key]}.html").is_file()
    assert (out / file_stems(["unknown"])["unknown"] / "index.html").is_file()
    # Every file is listed once, and every file written is listed.
    listed = [f["path"] for f in manifest["files"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
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


# ------------------------------------------------------------------------------------------------
# File names, community numbers and counts in words

ALIKE = ("Jean Luc", "Jean_Luc", "Jean/Luc", "猫" * 100)  # the three read the same once slugged


def _alike_case(case: Case, tmp_path: Path) -> dict[str, int]:
    """An HTML export (no user ids: name-only accounts) in which each sender of ``ALIKE`` posts a
    picture drawn here, every picture on a hash list: all four take part in flagged exchanges."""
    from PIL import Image, ImageDraw

    from veilleur.demo.tdesktop_html import HtmlChatWriter, write_static_files
    from veilleur.demo.tdesktop_json import Dialog, FileRef, Message, Part, Peer, Photo
    from veilleur.hashing import hash_case_media
    from veilleur.ingest.importer import ImportOptions, import_export
    from veilleur.lists import import_list
    from veilleur.matching.run import match_case

    root = tmp_path / "export"
    (root / "photos").mkdir(parents=True)
    write_static_files(root)
    posts, listed = [], []
    for i, name in enumerate(ALIKE):
        rel = f"photos/photo_{i + 1}@14-11-2023_23-00-00.jpg"
        img = Image.new("RGB", (64, 64), (40 * i, 200 - 40 * i, 90))
        ImageDraw.Draw(img).rectangle((8 * i, 8, 40 + 4 * i, 50), fill=(250, 250 - 60 * i, 10 * i))
        img.save(root / rel, "JPEG")
        data = (root / rel).read_bytes()
        listed.append(hashlib.md5(data).hexdigest())
        photo = Photo(FileRef(rel, len(data)), 64, 64)
        posts.append(Message(i + 1, 1_700_000_000 + 3600 * i, Peer("user", 9000 + i, name), (), media=photo))
    HtmlChatWriter(root, Dialog("private_group", Peer("chat", 4242, "Randonnée"), "Randonnée"), 3600).write(
        [*posts, Message(9, 1_700_100_000, Peer("user", 9000, ALIKE[0]), (Part("plain", "bonne nuit"),))]
    )
    (tmp_path / "list.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
    import_export(case, root, ImportOptions("tester"))
    hash_case_media(case, workers=0, operator="tester")
    import_list(case, tmp_path / "list.txt", name="Alike (test)", operator="tester")
    match_case(case, operator="tester")
    with case.engine.connect() as conn:
        found = dict(
            conn.execute(
                select(account_names.c.value, account_names.c.account_id).where(
                    account_names.c.name_kind == "display_name"
                )
            ).all()
        )
    assert set(found) == set(ALIKE)
    return found


def test_dossier_files_are_one_per_account_and_listed_once(case: Case, tmp_path: Path) -> None:
    ids = _alike_case(case, tmp_path)
    with case.engine.connect() as conn:
        keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())

    # Asked twice for one account: one dossier, named once.
    paths = write_all_dossiers(
        case, tmp_path / "d", operator="tester", pdf=False, account_ids=[*ids.values(), ids[ALIKE[0]]]
    )
    assert len(paths) == len(set(paths)) == len(ALIKE)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(p.name for p in paths)
    platform_key = re.compile(r'<th>Platform key</th><td class="mono">([^<]*)</td>')
    written = {html.unescape(platform_key.findall(p.read_text(encoding="utf-8"))[0]): p for p in paths}
    assert set(written) == {keys[a] for a in ids.values()}
    for name, account_id in ids.items():
        path = written[keys[account_id]]
        assert len(path.name.encode("utf-8")) <= 255  # a hundred CJK characters are 300 bytes
        # Readable: the key's letters (as much as fits), then the digest that makes it unique.
        readable, digest = path.stem.rsplit("-", 1)
        slugged = "".join(c if c.isalnum() or c in "-_" else "_" for c in keys[account_id])
        assert len(readable) >= 20 and slugged.startswith(readable) and name[0] in readable
        assert re.fullmatch(r"[0-9a-f]{10}", digest)
    assert len({p.stem.rsplit("-", 1)[0] for p in paths if "Jean" in p.name}) == 1  # they do read alike

    out = tmp_path / "packages"
    write_packages(case, out, operator="tester", pdf=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = [f["path"] for f in manifest["files"]]
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert len(listed) == len(set(listed)) and set(listed) == on_disk
    dossiers = [p for p in listed if p.endswith(".html") and "/" in p and not p.endswith("index.html")]
    assert len(dossiers) == len(ALIKE)
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    # The case summary links each participant to its own dossier.
    summary = (out / "case-summary.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'<a href="([^"]+\.html)">', summary))
    assert {html.unescape(x) for x in linked} == set(dossiers)


def test_communities_carry_one_number_everywhere(matched: Matched, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conftest import add_member
    from veilleur.cli import cli

    with matched.case.engine.connect() as conn:
        na = analyse_network(conn, flagged_exchanges(conn))
    assert len(na.communities) >= 2
    # Numbered from 1, largest first, the number each member's statistics carry.
    for n, members in enumerate(na.communities, 1):
        assert {na.accounts[a].community for a in members} == {n}
    central_id = matched.account(matched.truth["case"]["central_account_id"])
    central_key = store_key(matched.truth["case"]["central_account_id"])
    number = na.accounts[central_id].community
    assert number is not None and number >= 1

    out = tmp_path / "packages"
    write_packages(matched.case, out, operator="reviewer", pdf=False)
    summary = (out / "case-summary.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r"<tr><th>(\d+)</th><td>([^<]*)</td></tr>", summary))
    assert sorted(map(int, rows)) == list(range(1, len(na.communities) + 1))
    assert central_key in html.unescape(rows[str(number)])
    (dossier,) = out.rglob(file_stems([central_key])[central_key] + ".html")
    assert f"community {number}</td>" in dossier.read_text(encoding="utf-8")

    add_member(matched.case, "cli-user", "lead")
    result = CliRunner().invoke(
        cli, ["--case", str(matched.case.root), "--operator", "cli-user", "roles", "--json"]
    )
    assert result.exit_code == 0, result.output
    shown = {r["account"]: r["community"] for r in json.loads(result.output)["accounts"]}
    assert shown[central_key] == number
    assert min(v for v in shown.values() if v is not None) == 1


def test_further_recipients_are_counted_in_words(matched: Matched, tmp_path: Path) -> None:
    ex = exchanges(matched)
    busy = max(ex, key=lambda e: len(e.recipients))
    n = len(busy.recipients)
    assert n > 6 and busy.sender_id is not None
    (path,) = write_all_dossiers(
        matched.case, tmp_path, operator="reviewer", pdf=False, account_ids=[busy.sender_id]
    )
    text = path.read_text(encoding="utf-8")
    assert f" and {n - 5} others</td>" in text
    assert not re.search(r"[;)]\s*\+\s*\d+</td>", text) and "other members" not in text
