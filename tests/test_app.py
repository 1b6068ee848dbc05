"""The application layer: every (role, use case) pair on both backends, the audit entry each use
case writes, key resolution with help, opening and upgrading cases, and the layer's pinned surface."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from team_case import CENTRAL, LEAD, Team
from veilleur import app
from veilleur.app.permissions import USE_CASES, Role, table_markdown
from veilleur.app.results import RESULT_TYPES, json_schema
from veilleur.custody import audit
from veilleur.errors import CaseError, NotFound, PermissionDenied
from veilleur.store.schema import audit_log, case_members

ROOT = Path(__file__).resolve().parent.parent


def _first_hit(s: app.CaseSession) -> int:
    with app.open_session(s.case.root, LEAD) as lead:  # looked up by the lead: not the call tested
        return app.indicator_hits(lead).hits[0].id


def _a_link(s: app.CaseSession) -> tuple[str, str]:
    with app.open_session(s.case.root, LEAD) as lead:
        link = next(x for x in app.links(lead).links if x.kind == "account_person")
    assert link.person is not None
    return link.account, link.person


def _first_export(t: Team) -> Path:
    return t.demo / "exports" / t.truth["import_order"][0]


def _first_list(t: Team) -> tuple[Path, str]:
    spec = t.truth["lists"][0]
    return t.demo / "lists" / spec["file"], spec["name"]


def _keywords(t: Team) -> Path:
    path = t.root.parent / "keywords.txt"
    path.write_text("vélo\nsortie*\n", encoding="utf-8")
    return path


def _first_records(t: Team) -> tuple[Path, str]:
    spec = t.truth["identity"]["files"][0]
    return t.demo / "records" / spec["file"], spec["kind"]


# One call per use case, with arguments that make it succeed for a role that may run it.
CALLS: dict[str, Callable[[app.CaseSession, Team, Path], Any]] = {
    "summary": lambda s, t, tmp: app.summary(s),
    "imports.show": lambda s, t, tmp: app.imports(s),
    "evidence.list": lambda s, t, tmp: app.evidence_list(s),
    "lists.show": lambda s, t, tmp: app.lists(s),
    "hits": lambda s, t, tmp: app.hits(s),
    "exchanges": lambda s, t, tmp: app.exchanges(s, accounts=[CENTRAL]),
    "network": lambda s, t, tmp: app.network(s, [CENTRAL]),
    "roles": lambda s, t, tmp: app.roles(s),
    "propagation": lambda s, t, tmp: app.propagation(s, new_only=True),
    "timeline": lambda s, t, tmp: app.timeline(s, account=CENTRAL),
    "records.show": lambda s, t, tmp: app.records(s),
    "accounts.show": lambda s, t, tmp: app.account_profile(s, CENTRAL),
    "persons.show": lambda s, t, tmp: app.person_profile(s, _a_link(s)[1]),
    "indicators.show": lambda s, t, tmp: app.indicator_hits(s),
    "links.show": lambda s, t, tmp: app.links(s),
    "ranking.show": lambda s, t, tmp: app.show_ranking(s),
    "ranking.compare": lambda s, t, tmp: app.compare_rankings(s, 1, 2),
    "members.show": lambda s, t, tmp: app.members(s),
    "audit.verify": lambda s, t, tmp: app.audit_verify(s),
    "case.verify": lambda s, t, tmp: app.case_verify(s, files=False),
    "import": lambda s, t, tmp: app.import_export_file(s, _first_export(t)),
    "evidence.verify": lambda s, t, tmp: app.evidence_verify(s),
    "hash": lambda s, t, tmp: app.hash_media(s, workers=0),
    "lists.import": lambda s, t, tmp: app.import_hash_list(s, _first_list(t)[0], name=_first_list(t)[1]),
    "match": lambda s, t, tmp: app.match(s, app.MatchOptions(threads=1)),
    "records.import": lambda s, t, tmp: app.import_record_file(
        s, _first_records(t)[0], kind=_first_records(t)[1]
    ),
    "indicators.run": lambda s, t, tmp: app.run_indicator_scan(s),
    "indicators.reveal": lambda s, t, tmp: app.reveal_hit(s, _first_hit(s), reason="permission test"),
    "link.run": lambda s, t, tmp: app.run_linking(s),
    "link.decide": lambda s, t, tmp: app.decide_link(
        s, _a_link(s)[0], decision="confirmed", person=_a_link(s)[1], note="permission test"
    ),
    "rank.run": lambda s, t, tmp: app.rank(s),
    "settings": lambda s, t, tmp: app.set_list_threshold(s, _first_list(t)[1], 30),
    "members.manage": lambda s, t, tmp: app.set_member(s, "viewer-user", "viewer"),
    "dossiers": lambda s, t, tmp: app.dossiers(s, tmp / "dossiers", accounts=[CENTRAL], pdf=False),
    "reports": lambda s, t, tmp: app.reports(s, tmp / "reports", pdf=False),
    "export": lambda s, t, tmp: app.export(s, "jsonl", tmp / "export"),
    "audit.show": lambda s, t, tmp: app.audit_show(s, limit=5),
    "search": lambda s, t, tmp: app.search(s, "photo OR vélo"),
    "search.index": lambda s, t, tmp: app.reindex(s),
    "keywords.run": lambda s, t, tmp: app.run_keyword_list(s, _keywords(t)),
    "keywords.show": lambda s, t, tmp: app.keyword_hits_view(s),
    "outputs.show": lambda s, t, tmp: app.outputs(s),
    "notes.show": lambda s, t, tmp: app.notes_on(s, "account", CENTRAL),
    "notes.write": lambda s, t, tmp: app.add_note(s, "account", CENTRAL, "permission test", tags=["test"]),
}

ROLES = {
    "viewer-user": Role.VIEWER,
    "analyst-user": Role.ANALYST,
    LEAD: Role.LEAD,
    "admin-user": None,  # administers the installation, no member of the case
    "outsider": None,
}


def test_every_use_case_has_a_call_and_a_row_in_the_table() -> None:
    assert set(CALLS) == set(USE_CASES) - {"case.upgrade"}  # upgrade runs before a session can open
    assert set(app.REGISTRY) == set(CALLS)


def _counts(root: Path) -> dict[str, int]:
    """Rows per table of the case, the audit log apart: what a refused call must not change."""
    from veilleur.store.schema import metadata

    with app.open_session(root, LEAD) as s, s.reading() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in metadata.sorted_tables
            if t.name not in ("audit_log", "audit_head")
        }


def _last_entries(root: Path, n: int) -> list[audit.AuditEntry]:
    with app.open_session(root, LEAD) as s, s.reading() as conn:
        return audit.tail(conn, n)


@pytest.mark.parametrize("user", list(ROLES))
def test_every_role_and_use_case(team: Team, user: str, tmp_path: Path) -> None:
    """Each pair on both backends: allowed ones run; refused ones raise, change nothing and are
    audited as ``access.refused`` with the role and the role needed."""
    role = ROLES[user]
    for name, call in CALLS.items():
        before = _counts(team.root)
        with app.open_session(team.root, user) as s:
            assert s.role == role
            if role is not None and role >= USE_CASES[name]:
                call(s, team, tmp_path / name.replace(".", "_"))
                continue
            with pytest.raises(PermissionDenied):
                call(s, team, tmp_path / name.replace(".", "_"))
        assert _counts(team.root) == before, f"{user} refused {name} yet the case changed"
        (last,) = _last_entries(team.root, 1)
        assert (last.action, last.subject, last.operator) == ("access.refused", name, user)
        assert last.details_value() == {
            "role": role.label if role else None,
            "needs": USE_CASES[name].label,
        }
        assert not (tmp_path / name.replace(".", "_")).exists()


# The audit entry each use case writes, exactly (action, subject, details' keys), run by the lead.
EXPECTED: dict[str, tuple[str, str | None, set[str]]] = {
    "summary": ("view.summary", None, set()),
    "imports.show": ("view.imports", None, {"imports"}),
    "evidence.list": ("view.evidence", None, {"files"}),
    "lists.show": ("view.lists", None, {"lists"}),
    "hits": ("view.hits", None, {"run_id"}),
    "exchanges": ("view.exchanges", CENTRAL, {"exchanges"}),
    "network": ("view.network", CENTRAL, {"found"}),
    "roles": ("view.roles", None, {"accounts"}),
    "propagation": ("view.propagation", None, {"items", "new_only"}),
    "timeline": ("view.timeline", CENTRAL, {"rows"}),
    "records.show": ("view.records", None, {"imports"}),
    "accounts.show": ("view.account", CENTRAL, set()),
    "outputs.show": ("view.outputs", None, {"files"}),
    "notes.show": ("view.notes", CENTRAL, {"notes"}),
    "notes.write": ("note.add", CENTRAL, {"note", "tags", "shared"}),
    "persons.show": ("view.person", None, set()),
    "indicators.show": ("view.indicators", None, {"run_id", "indicator", "hits"}),
    "links.show": ("view.links", None, {"run_id", "links"}),
    "ranking.show": ("view.ranking", None, {"ranking"}),
    "ranking.compare": ("view.ranking.compare", None, {"old", "new"}),
    "members.show": ("view.members", None, {"members"}),
    "audit.verify": ("audit.verify", None, {"problems"}),
    "case.verify": (
        "case.verify",
        None,
        {"audit_problems", "record_problems", "unsealed", "sealed_imports", "files", "changed_or_missing"},
    ),
    "evidence.verify": ("view.evidence.verify", None, {"files", "changed_or_missing"}),
    "settings": ("lists.threshold", None, set()),
    "members.manage": ("members.set", "viewer-user", {"role", "before"}),
    "export": ("export.jsonl", None, set()),
    "audit.show": ("view.audit", None, {"entries"}),
    "indicators.reveal": ("reveal.text", None, set()),
    "link.decide": ("link.decide", None, set()),
    "rank.run": ("rank", None, set()),
    "indicators.run": ("indicators", None, set()),
    "link.run": ("link", None, set()),
    "match": ("match", None, set()),
    "dossiers": ("report.dossiers", None, set()),
    "reports": ("report.packages", None, set()),
    "search": ("view.search", None, {"query", "hits", "offset"}),
    "keywords.run": ("keywords", "keywords.txt", {"run_id", "terms", "hits"}),
    "keywords.show": ("view.keywords", None, {"run_id", "hits"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_audit_entry_of_each_use_case(team: Team, name: str, tmp_path: Path) -> None:
    action, subject, keys = EXPECTED[name]
    with app.open_session(team.root, LEAD) as s, s.reading() as conn:
        head = audit.position(conn)
    with app.open_session(team.root, LEAD) as s:
        CALLS[name](s, team, tmp_path / "out")
    with app.open_session(team.root, LEAD) as s, s.reading() as conn:
        new = [e for e in audit.entries(conn, after=head.seq if head else 0)]
    mine = [e for e in new if e.action == action]
    assert mine, f"{name} wrote {[e.action for e in new]}, not {action}"
    e = mine[-1]
    assert e.operator == LEAD
    if subject is not None:
        assert e.subject == subject
    details = e.details_value() or {}
    assert keys <= set(details), (name, details)
    # a view names what it was about by record key, never by the string typed
    assert "user:547712782" not in (e.subject or "") or (e.subject or "").startswith("telegram:")


def test_key_resolution_with_help(team: Team) -> None:
    with app.open_session(team.root, "viewer-user") as s, s.reading() as conn:
        from veilleur.app.resolve import resolve_account, resolve_chat

        key = resolve_account(conn, "user:547712782").key
        assert key == CENTRAL == resolve_account(conn, "547712782").key == resolve_account(conn, CENTRAL).key
        label = resolve_account(conn, CENTRAL).label
        assert resolve_account(conn, label).key == CENTRAL
        with pytest.raises(NotFound) as miss:
            resolve_account(conn, label[:-1] + "x")
        assert CENTRAL in str(miss.value) and "did you mean" in str(miss.value)
        with pytest.raises(NotFound, match="no chat"):
            resolve_chat(conn, "no such chat at all")
    res = CliRunner().invoke(
        __import__("veilleur.cli", fromlist=["cli"]).cli,
        ["--case", str(team.root), "--operator", "viewer-user", "network", label[:-1] + "x"],
    )
    assert res.exit_code == 5 and "did you mean" in res.output and CENTRAL in res.output


def test_a_view_logs_the_key_not_the_name_typed(team: Team) -> None:
    with app.open_session(team.root, "viewer-user") as s:
        label = app.network(s, [CENTRAL]).around[0].name
        assert label
        app.network(s, [label])
    (last,) = _last_entries(team.root, 1)
    assert (last.action, last.subject) == ("view.network", CENTRAL)


def test_the_command_line_is_refused_with_exit_code_4(team: Team) -> None:
    from veilleur.cli import cli

    res = CliRunner().invoke(cli, ["--case", str(team.root), "--operator", "viewer-user", "rank", "run"])
    assert res.exit_code == 4 and "needs the role analyst" in res.output
    res = CliRunner().invoke(cli, ["--case", str(team.root), "--operator", "admin-user", "summary"])
    assert res.exit_code == 4 and "not a member" in res.output


def test_an_empty_case_summarises_without_none(tmp_path: Path, db_url: str | None) -> None:
    """Nothing imported yet: no first message, no counts by kind, no matching run. The summary says
    so in words, in the terminal and in the case summary document, never with Python's None."""
    from veilleur.cli import cli

    app.create_case(tmp_path / "case", user="first-lead", name="empty", database_url=db_url).close()
    base = ["--case", str(tmp_path / "case"), "--operator", "first-lead"]
    runner = CliRunner()
    shown = runner.invoke(cli, [*base, "summary"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "None" not in shown.output
    assert "first: -, last: -" in shown.output and "messages by kind" in shown.output
    as_json = json.loads(runner.invoke(cli, [*base, "summary", "--json"]).output)
    assert as_json["summary"]["date_range"] == {"first": None, "last": None}  # JSON keeps its null
    report = runner.invoke(cli, [*base, "report", "--out", str(tmp_path / "report"), "--no-pdf"])
    assert report.exit_code == 0, report.output
    document = (tmp_path / "report" / "case-summary.html").read_text(encoding="utf-8")
    assert "None" not in document and "first: —" in document


def test_a_disabled_user_has_no_role(team: Team) -> None:
    inst = app.open_installation()
    app.set_user_disabled(inst, "viewer-user", user="admin-user", disabled=True)
    try:
        with app.open_session(team.root, "viewer-user") as s:
            assert s.role is None
            with pytest.raises(PermissionDenied):
                app.summary(s)
    finally:
        app.set_user_disabled(inst, "viewer-user", user="admin-user", disabled=False)
    with pytest.raises(PermissionDenied):
        app.add_user(inst, "x-user", user="viewer-user", display_name=None, admin=False)


def test_the_last_lead_stays(team: Team) -> None:
    with app.open_session(team.root, LEAD) as s:
        with pytest.raises(app.VeilleurError, match="last lead"):
            app.set_member(s, LEAD, "analyst")
        with pytest.raises(app.VeilleurError, match="last lead"):
            app.remove_member(s, LEAD)
        with pytest.raises(NotFound, match="no user"):
            app.set_member(s, "nobody-at-all", "viewer")


# -- opening and upgrading ----------------------------------------------------------------------


def test_opening_an_older_case_changes_nothing_and_says_what_to_run(
    tmp_path: Path, db_url: str | None
) -> None:
    from veilleur.case import init_case, open_case

    case = init_case(tmp_path / "old", operator="alice", database_url=db_url)
    from alembic import command

    from veilleur.store.engine import _config, head_revision

    cfg = _config()
    with case.engine.begin() as conn:  # as a case made by a release before members: schema 0009
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        entries = conn.execute(select(func.count()).select_from(audit_log)).scalar()
    case.close()
    with pytest.raises(CaseError, match="veilleur case upgrade"):
        open_case(tmp_path / "old")
    with pytest.raises(PermissionDenied):
        app.upgrade(tmp_path / "old", user="mallory")
    done = app.upgrade(tmp_path / "old", user="alice")
    assert (done.before, done.after) == ("0009", head_revision())
    with app.open_session(tmp_path / "old", "alice") as s:
        assert s.role == Role.LEAD
        with s.reading() as conn:
            assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == (entries or 0) + 1
            (last,) = audit.tail(conn, 1)
            assert (last.action, last.details_value()) == (
                "case.upgrade",
                {"from": "0009", "to": head_revision()},
            )
            assert conn.execute(select(case_members.c.role)).scalars().all() == ["lead"]
        assert app.audit_verify(s).ok


def test_opening_a_newer_case_is_refused(tmp_path: Path) -> None:
    from veilleur.case import init_case, open_case

    case = init_case(tmp_path / "new", operator="alice")
    with case.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    case.close()
    with pytest.raises(CaseError, match="newer Veilleur"):
        open_case(tmp_path / "new")
    with pytest.raises(CaseError, match="newer"):
        app.upgrade(tmp_path / "new", user="alice")


# -- the surface --------------------------------------------------------------------------------


def test_permission_table_in_the_docs_is_current() -> None:
    doc = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    shown = doc.split("<!-- table -->\n", 1)[1].split("<!-- /table -->", 1)[0]
    assert shown.strip() == table_markdown().strip(), "regenerate the table: table_markdown()"


def test_json_schemas_in_the_docs_are_current() -> None:
    folder = ROOT / "docs" / "schemas"
    assert {p.stem for p in folder.glob("*.json")} == set(RESULT_TYPES)
    for name, t in RESULT_TYPES.items():
        on_disk = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        assert on_disk == json_schema(t), f"regenerate: python -m veilleur.app.results docs/schemas ({name})"


def test_the_application_layer_surface_is_pinned() -> None:
    assert app.__all__ == [
        "EXPORT_FORMATS",
        "JOB_KINDS",
        "REGISTRY",
        "RESULT_TYPES",
        "USE_CASES",
        "CaseSession",
        "Installation",
        "JobRunner",
        "MatchOptions",
        "NotFound",
        "PermissionDenied",
        "Role",
        "VeilleurError",
        "VideoThresholds",
        "account_profile",
        "add_note",
        "add_user",
        "audit_show",
        "audit_verify",
        "build_demo",
        "cancel_job",
        "case_verify",
        "compare_rankings",
        "create_case",
        "decide_link",
        "dossiers",
        "evidence_list",
        "evidence_verify",
        "exchange_graph",
        "exchanges",
        "export",
        "hash_media",
        "hits",
        "import_export_file",
        "import_hash_list",
        "import_record_file",
        "imports",
        "indicator_hits",
        "jobs_of",
        "json_schema",
        "keyword_hits_view",
        "links",
        "lists",
        "match",
        "members",
        "network",
        "new_password",
        "notes_on",
        "open_installation",
        "open_session",
        "output_file",
        "outputs",
        "person_profile",
        "propagation",
        "rank",
        "records",
        "reindex",
        "remove_member",
        "reports",
        "reveal_hit",
        "roles",
        "run_indicator_scan",
        "run_keyword_list",
        "run_linking",
        "search",
        "set_list_threshold",
        "set_member",
        "set_user_disabled",
        "set_user_password",
        "show_ranking",
        "submit_job",
        "summary",
        "timeline",
        "to_data",
        "to_json",
        "upgrade",
        "users",
        "utc_offset",
        "withdraw_note",
        "write_import_reports",
    ]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_command_line_imports_only_the_application_layer() -> None:
    """The CLI package holds no SQL and writes no audit entry: it imports the application layer,
    its own modules (the rendering module among them) and generic libraries, nothing else."""
    allowed_outside = {
        "click",
        "rich",
        "orjson",
        "getpass",
        "os",
        "sys",
        "enum",
        "pathlib",
        "typing",
        "datetime",
        "re",
        "__future__",
        "uvicorn",  # veilleur serve starts the web client
        "collections",
    }
    for path in sorted((ROOT / "src" / "veilleur" / "cli").glob("*.py")):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "veilleur":
                clients = ("veilleur.app", "veilleur.cli", "veilleur.web")
                assert module == "veilleur" or module.startswith(clients), (
                    path.name,
                    module,
                )
            else:
                assert top in allowed_outside, (path.name, module)
        source = path.read_text(encoding="utf-8")
        for forbidden in ("sqlalchemy", "audit.record(", ".audit(", "engine.begin", "engine.connect"):
            assert forbidden not in source, (path.name, forbidden)
    rich_users = {
        p.name
        for p in (ROOT / "src" / "veilleur" / "cli").glob("*.py")
        if "rich" in {m.split(".")[0] for m in _imports(p)}
    }
    assert rich_users == {"render.py"}, "terminal rendering lives in one module"
