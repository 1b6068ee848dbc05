"""The web application over the route table, on SQLite and PostgreSQL: every route refuses the
unauthenticated, another case's members, a missing CSRF token and a role too low; no route returns
a media file's bytes or a picture; hostile case data is escaped on every page; sessions, tokens,
sign-in throttling and stale review decisions behave as a team needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from team_case import CENTRAL, LEAD, Team
from veilleur import app
from veilleur.app import accounts
from veilleur.custody import audit
from veilleur.web import create_app
from veilleur.web.app import COOKIE, HEADERS, route_table

PASSWORD = "correct horse battery staple"
USERS = ("lead-user", "analyst-user", "viewer-user", "outsider", "admin-user")
HOSTILE = "<script>alert(1)</script>"
HOSTILE_IMG = '<img src=x onerror="alert(2)">'


@dataclass
class Served:
    team: Team
    web: Any
    team_id: str
    other_id: str
    other_root: Path
    flagged_sha256: str
    hit_id: int
    person: str


def _hostile_export(folder: Path) -> Path:
    """A chat whose title, names, texts and file names are markup, as some real exports hold."""
    folder.mkdir(parents=True)
    (folder / "files").mkdir()
    (folder / "files" / "x.pdf").write_bytes(b"%PDF-1.4 synthetic\n%%EOF\n")
    msgs = [
        {
            "id": i,
            "type": "message",
            "date": f"2026-02-0{i}T10:00:00",
            "date_unixtime": str(1_770_000_000 + i * 86_400),
            "from": HOSTILE_IMG if i % 2 else HOSTILE,
            "from_id": f"user{900 + i % 2}",
            "text": f"{HOSTILE} rencontre {HOSTILE_IMG}",
            "text_entities": [{"type": "plain", "text": f"{HOSTILE} rencontre {HOSTILE_IMG}"}],
            **(
                {"file": "files/x.pdf", "file_name": f"{HOSTILE}.pdf", "mime_type": "application/pdf"}
                if i == 1
                else {}
            ),
        }
        for i in range(1, 5)
    ]
    doc = {"name": f"{HOSTILE} chat", "type": "private_group", "id": 4242, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc))
    return folder


@pytest.fixture(scope="module")
def served(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    inst = app.open_installation()
    for user in USERS:
        inst.ensure(user, by=LEAD)
        app.set_user_password(inst, user, PASSWORD, user=user)
    # A second case, led by the outsider, holding hostile text; the team's members are not in it.
    other = tmp_path_factory.mktemp("other") / "hostile"
    app.create_case(other, user="outsider", name=f"{HOSTILE} case").close()
    with app.open_session(other, "outsider") as s:
        app.import_export_file(s, _hostile_export(other.parent / "export"))
        app.run_indicator_scan(s)
    with app.open_session(team.root, LEAD) as s:
        flagged = app.hits(s).files[0].sha256
        hit = app.indicator_hits(s).hits[0].id
        person = next(x.person for x in app.links(s).links if x.person)
    web = create_app([team.root, other], inst)
    ids = list(web.state.catalog.cases)
    yield Served(team, web, ids[0], ids[1], other, flagged, hit, str(person))
    web.state.catalog.close()


def _client(s: Served) -> TestClient:
    return TestClient(s.web, base_url="http://testserver", follow_redirects=False)


def _login(s: Served, user: str, password: str = PASSWORD) -> TestClient:
    c = _client(s)
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    r = c.post("/login", data={"name": user, "password": password, "csrf": token.group(1)})
    assert r.status_code == 303, r.text
    return c


def _csrf(c: TestClient) -> str:
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', c.get("/me").text)
    assert m
    return m.group(1)


def _routes(web: Any) -> list[tuple[str, str]]:
    routes = route_table(web)
    assert ("GET", "/cases/{cid}/network") in routes and ("GET", "/api/v1/openapi.json") in routes
    return routes


PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz")}


def _fill(path: str, s: Served, cid: str, *, media: bool = False) -> str:
    values = {
        "cid": cid,
        "key": s.flagged_sha256 if media else CENTRAL,
        "hit_id": str(s.hit_id),
        "session_id": "1",
        "token_id": "1",
        "job_id": "1",
        "note_id": "1",
        "path": s.flagged_sha256 if media else "packages-none/summary.html",
    }
    if "/persons/" in path and not media:
        values["key"] = s.person
    for name, value in values.items():
        path = path.replace(f"{{{name}:path}}", value).replace(f"{{{name}}}", value)
    assert "{" not in path, path
    return path


QUERY = {"/cases/{cid}/network/edge": "?a=telegram:user:547712782&b=telegram:user:5279172786"}


def _query(template: str, s: Served, media: bool = False) -> str:
    if media:
        return f"?q={s.flagged_sha256}&a={s.flagged_sha256}&b={s.flagged_sha256}&center={s.flagged_sha256}"
    if template.endswith("/search"):
        return "?q=photo"
    if template.endswith("/ranking/compare"):
        return "?old=1&new=2"
    if template.endswith("/exchanges"):
        return "?a=telegram:user:547712782&b=telegram:user:5279172786"
    return QUERY.get(template, "")


def _head(root: Path) -> int:
    with app.open_session(root, LEAD) as lead, lead.reading() as conn:
        pos = audit.position(conn)
    return pos.seq if pos else 0


def test_the_route_table_is_what_the_tests_walk(served: Served) -> None:
    routes = _routes(served.web)
    assert len(routes) >= 40
    assert not [p for _, p in routes if "media" in p or "thumb" in p or "image" in p]


def test_every_route_refuses_the_unauthenticated(served: Served) -> None:
    c = _client(served)
    for method, template in _routes(served.web):
        if (method, template) in PUBLIC:
            continue
        path = _fill(template, served, served.team_id) + _query(template, served)
        r = c.request(method, path)
        if method == "GET" and not template.startswith("/api/"):
            assert r.status_code == 303 and r.headers["location"] == "/login", (method, template)
        else:
            assert r.status_code == 401, (method, template, r.status_code)


def test_a_forged_or_revoked_api_token_is_refused(served: Served) -> None:
    c = _client(served)
    assert c.get("/api/v1/cases", headers={"Authorization": "Bearer vlr_forged"}).status_code == 401
    inst = served.web.state.installation
    token = accounts.issue_token(inst, "viewer-user", "script", by="viewer-user")
    ok = c.get(f"/api/v1/cases/{served.team_id}/summary", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["summary"]["messages"] > 0
    # the token has its user's permissions: a viewer's token cannot reveal
    refused = c.post(
        f"/api/v1/cases/{served.team_id}/indicators/{served.hit_id}/reveal",
        headers={"Authorization": f"Bearer {token}"},
        json={"reason": "script"},
    )
    assert refused.status_code == 403
    tid = accounts.tokens_of(inst, "viewer-user")[-1].id
    accounts.revoke_token(inst, tid, by="viewer-user")
    gone = c.get(f"/api/v1/cases/{served.team_id}/summary", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_every_case_route_refuses_a_case_the_user_is_not_a_member_of(served: Served) -> None:
    c = _login(served, LEAD)
    csrf = _csrf(c)
    for method, template in _routes(served.web):
        if "{cid}" not in template:
            continue
        path = _fill(template, served, served.other_id) + _query(template, served)
        r = c.request(
            method, path, headers={"X-CSRF-Token": csrf}, data={"reason": "x"} if method == "POST" else None
        )
        assert r.status_code in (403, 404, 422), (method, template, r.status_code, r.text[:200])
    assert served.other_id not in c.get("/").text  # not listed either
    ids = [x["id"] for x in c.get("/api/v1/cases").json()]
    assert ids == [served.team_id]


def test_every_state_change_without_its_csrf_token_is_refused_and_changes_nothing(served: Served) -> None:
    c = _login(served, LEAD)
    head = _head(served.team.root)
    for method, template in _routes(served.web):
        if method == "GET" or (method, template) in PUBLIC:
            continue
        path = _fill(template, served, served.team_id)
        r = c.request(
            method, path, data={"reason": "x", "label": "x", "account": CENTRAL, "decision": "confirmed"}
        )
        assert r.status_code == 403, (method, template, r.status_code)
        assert "CSRF" in r.text
        wrong = c.request(method, path, headers={"X-CSRF-Token": "forged"})
        assert wrong.status_code == 403, (method, template)
    assert _head(served.team.root) == head
    # and a request from another origin is refused even with the token
    r = c.post("/logout", headers={"X-CSRF-Token": _csrf(c), "Origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.get("/").status_code == 200


def test_the_sign_in_form_needs_its_own_token(served: Served) -> None:
    c = _client(served)
    r = c.post("/login", data={"name": LEAD, "password": PASSWORD})
    assert r.status_code == 403
    assert COOKIE not in r.cookies


def test_a_viewer_is_refused_what_needs_an_analyst_and_the_refusal_is_audited(served: Served) -> None:
    c = _login(served, "viewer-user")
    csrf = _csrf(c)
    head = _head(served.team.root)
    page = c.get(f"/cases/{served.team_id}/review/indicators")
    assert page.status_code == 200 and "Reveal</button>" not in page.text  # no reveal offered
    assert "Confirm</button>" not in c.get(f"/cases/{served.team_id}/review/links").text
    r = c.post(
        f"/cases/{served.team_id}/review/indicators/{served.hit_id}/reveal",
        headers={"X-CSRF-Token": csrf},
        data={"reason": "curious"},
    )
    assert r.status_code == 403
    assert c.get(f"/cases/{served.team_id}/audit").status_code == 403  # the audit log is the lead's
    with app.open_session(served.team.root, LEAD) as lead, lead.reading() as conn:
        new = list(audit.entries(conn, after=head))
    refused = [e for e in new if e.action == "access.refused"]
    assert {e.subject for e in refused} >= {"indicators.reveal", "audit.show"}
    assert all(e.operator == "viewer-user" for e in refused)
    assert not [e for e in new if e.action == "indicators.reveal"]


def test_no_route_returns_a_flagged_files_bytes_or_a_picture(served: Served) -> None:
    """Every route of the table, asked with the flagged file's identifiers (its SHA-256 as key,
    query and account), by the lead: nothing comes back as an image, video, audio or raw bytes,
    and the file's bytes are in no body."""
    flagged = served.flagged_sha256
    with app.open_session(served.team.root, LEAD) as lead:
        files = [f for f in app.hits(lead).files if f.sha256 == flagged]
    assert files
    c = _login(served, LEAD)
    csrf = _csrf(c)
    bodies = 0
    for method, template in _routes(served.web):
        if (method, template) in PUBLIC or template == "/logout" or template.startswith("/me/"):
            continue
        for media in (True, False):
            path = _fill(template, served, served.team_id, media=media) + _query(template, served, media)
            r = c.request(method, path, headers={"X-CSRF-Token": csrf} if method != "GET" else None)
            kind = r.headers.get("content-type", "")
            assert not kind.startswith(("image/", "video/", "audio/", "application/octet-stream")), (
                path,
                kind,
            )
            assert (
                b"\x89PNG" not in r.content and b"\xff\xd8\xff" not in r.content and b"GIF8" not in r.content
            )
            bodies += 1
    assert bodies > 60


def test_hostile_case_data_is_escaped_on_every_page(served: Served) -> None:
    c = _login(served, "outsider")
    cid = served.other_id
    with app.open_session(served.other_root, "outsider") as s:
        account = app.search(s, "rencontre").hits[0].account
    assert account
    pages = [
        f"/cases/{cid}",
        f"/cases/{cid}/network",
        f"/cases/{cid}/accounts/{account}",
        f"/cases/{cid}/ranking",
        f"/cases/{cid}/review/links",
        f"/cases/{cid}/review/indicators",
        f"/cases/{cid}/review/material",
        f"/cases/{cid}/search?q=rencontre",
        f"/cases/{cid}/search?q={HOSTILE}",
        f"/cases/{cid}/audit",
        "/",
        "/me",
    ]
    for page in pages:
        r = c.get(page)
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
        assert HOSTILE not in r.text and HOSTILE_IMG not in r.text, page
        assert "<script>alert" not in r.text and "onerror=" not in r.text.replace("onerror=&#34;", ""), page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.get(f"/cases/{cid}/search?q=rencontre").text
    assert "&lt;script&gt;" in c.get("/").text  # the case's own name


def test_security_headers_on_every_page(served: Served) -> None:
    c = _login(served, LEAD)
    for path in ("/", f"/cases/{served.team_id}", "/login", "/static/veilleur.css", "/api/v1/cases"):
        r = c.get(path)
        for k, v in HEADERS.items():
            assert r.headers.get(k) == v, (path, k)
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
        if not path.startswith("/static/"):
            assert r.headers["cache-control"] == "no-store"
    cookie = _client(served).get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_no_page_carries_inline_script_or_a_foreign_asset(served: Served) -> None:
    c = _login(served, LEAD)
    for path in ("/", f"/cases/{served.team_id}", f"/cases/{served.team_id}/network", "/login"):
        html = c.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag, (path, tag)
        assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)), path
        assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), path  # no inline event handler
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_session_fixation_logout_and_revocation(served: Served) -> None:
    planted = "planted-token-value"
    c = _client(served)
    c.cookies.set(COOKIE, planted)
    assert c.get("/").status_code == 303  # a planted token opens nothing
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"name": "analyst-user", "password": PASSWORD, "csrf": token})
    fresh = r.cookies.get(COOKIE)
    assert fresh and fresh != planted
    c.cookies.set(COOKIE, fresh)
    assert c.get("/").status_code == 200
    # a second browser of the same user ends the first one's session
    other = _login(served, "analyst-user")
    first = accounts.web_session(served.web.state.installation, fresh)
    assert first is not None
    assert (
        other.post(f"/me/sessions/{first.id}/revoke", headers={"X-CSRF-Token": _csrf(other)}).status_code
        == 303
    )
    assert c.get("/").status_code == 303
    # logout ends the session on the server, not only in the browser
    kept = other.cookies.get(COOKIE)
    assert other.post("/logout", headers={"X-CSRF-Token": _csrf(other)}).status_code == 303
    again = _client(served)
    again.cookies.set(COOKIE, kept)  # type: ignore[arg-type]
    assert again.get("/").status_code == 303
    # nobody ends another user's session
    victim = _login(served, "viewer-user")
    vs = accounts.sessions_of(served.web.state.installation, "viewer-user")[0]
    attacker = _login(served, "outsider")
    assert (
        attacker.post(f"/me/sessions/{vs.id}/revoke", headers={"X-CSRF-Token": _csrf(attacker)}).status_code
        == 404
    )
    assert victim.get("/").status_code == 200


def _fresh_user(served: Served, stem: str) -> str:
    """A user of this module's run alone (the installation is shared by both backends' runs)."""
    name = f"{stem}-{served.team_id}-{served.team.root.parent.name}"
    inst = served.web.state.installation
    inst.ensure(name, by=LEAD)
    app.set_user_password(inst, name, PASSWORD, user=name)
    return name


def test_sign_in_is_throttled_and_every_attempt_is_logged(served: Served) -> None:
    inst = served.web.state.installation
    target = _fresh_user(served, "throttled")
    for _ in range(accounts.MAX_FAILURES):
        c = _client(served)
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
        r = c.post("/login", data={"name": target, "password": "wrong password!", "csrf": token})
        assert r.status_code == 401 and "wrong user name or password" in r.text
    c = _client(served)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"name": target, "password": PASSWORD, "csrf": token})
    assert r.status_code == 401 and "too many failed sign-ins" in r.text  # even the right password
    refused = [e for e in accounts.events(inst) if e.action == "login.refused" and e.actor == target]
    assert len(refused) == accounts.MAX_FAILURES + 1
    assert refused[0].details == {"client": "testclient", "why": "locked"}
    assert accounts.verify_events(inst) is None


def test_a_second_factor_when_the_user_has_one(served: Served) -> None:
    import pyotp

    inst = served.web.state.installation
    user = _fresh_user(served, "totp")
    secret = accounts.enable_totp(inst, user, by=user)
    with pytest.raises(accounts.LoginRefused, match="second-factor"):
        accounts.check_password(inst, user, PASSWORD)
    assert accounts.check_password(inst, user, PASSWORD, code=pyotp.TOTP(secret).now()).name == user


def test_a_disabled_user_loses_their_sessions(served: Served) -> None:
    inst = served.web.state.installation
    leaver = _fresh_user(served, "leaver")
    with app.open_session(served.team.root, LEAD) as s:
        app.set_member(s, leaver, "viewer")
    c = _login(served, leaver)
    assert c.get(f"/cases/{served.team_id}").status_code == 200
    app.set_user_disabled(inst, leaver, user="admin-user", disabled=True)
    assert c.get(f"/cases/{served.team_id}").status_code == 303
    actions = [e.action for e in accounts.events(inst, limit=20)]
    assert "user.disable" in actions and "sessions.end_all" in actions


def test_reveal_with_a_reason_is_in_the_audit_log(served: Served) -> None:
    c = _login(served, "analyst-user")
    csrf = _csrf(c)
    r = c.post(
        f"/cases/{served.team_id}/review/indicators/{served.hit_id}/reveal",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"reason": "checking the meeting place"},
    )
    assert r.status_code == 200 and "revealed by you" in r.text
    lead = _login(served, LEAD)
    log = lead.get(f"/cases/{served.team_id}/audit?action=reveal.text").text
    assert "checking the meeting place" in log and "analyst-user" in log


def test_a_decision_on_a_proposal_changed_since_loading_is_refused_with_what_changed(served: Served) -> None:
    first, second = _login(served, "analyst-user"), _login(served, LEAD)
    page = first.get(f"/cases/{served.team_id}/review/links").text
    forms = re.findall(
        r'<form method="post" action="[^"]+/review/links" class="decide">(.*?)</form>', page, re.S
    )
    assert forms
    fields = dict(re.findall(r'name="(account|person|other_account|seen)" value="([^"]*)"', forms[-1]))
    for c, decision, reason in (
        (second, "rejected", "not the same birth year"),
        (first, "confirmed", "same phone"),
    ):
        r = c.post(
            f"/cases/{served.team_id}/review/links",
            data={**fields, "decision": decision, "reason": reason, "csrf": _csrf(c)},
        )
        if c is second:
            assert r.status_code == 303
    assert r.status_code == 409, r.text
    assert "lead-user rejected it" in r.text and "not the same birth year" in r.text
    with app.open_session(served.team.root, LEAD) as s:
        now = next(x for x in app.links(s).links if x.account == fields["account"] and x.decision)
    assert now.status == "rejected"


def test_pages_answer_on_the_team_case(served: Served) -> None:
    c = _login(served, "viewer-user")
    cid = served.team_id
    for path in (
        f"/cases/{cid}",
        f"/cases/{cid}/network",
        f"/cases/{cid}/accounts/{CENTRAL}",
        f"/cases/{cid}/persons/{served.person}",
        f"/cases/{cid}/ranking",
        f"/cases/{cid}/ranking?old=1&new=2",
        f"/cases/{cid}/review/links",
        f"/cases/{cid}/review/indicators",
        f"/cases/{cid}/review/material",
        f"/cases/{cid}/search?q=photo",
        f"/cases/{cid}/network/edge?a={CENTRAL}&b=telegram:user:5279172786",
    ):
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    graph = c.get(f"/api/v1/cases/{cid}/graph?limit=10").json()
    assert len(graph["nodes"]) == 10 and graph["truncated"] and graph["total_accounts"] > 10
    ego = c.get(f"/api/v1/cases/{cid}/graph?center={CENTRAL}").json()
    assert ego["center"] == CENTRAL and CENTRAL in {n["account"] for n in ego["nodes"]}
    assert c.get(f"/api/v1/cases/{cid}/accounts/nobody-at-all").status_code == 404
    openapi = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{cid}/graph" in openapi["paths"]


def test_packages_are_produced_by_a_lead_and_opened_by_the_team(served: Served) -> None:
    cid = served.team_id
    viewer = _login(served, "viewer-user")
    refused = viewer.post(f"/cases/{cid}/outputs", data={"what": "packages", "csrf": _csrf(viewer)})
    assert refused.status_code == 403
    lead = _login(served, LEAD)
    done = lead.post(f"/cases/{cid}/outputs", data={"what": "packages", "csrf": _csrf(lead)})
    assert done.status_code == 303 and "files+written" in done.headers["location"]
    listing = viewer.get(f"/cases/{cid}/outputs").text
    files = re.findall(rf'href="/cases/{cid}/outputs/([^"?]+\.html)"', listing)
    assert any(f.endswith("summary.html") for f in files) and len(files) > 3
    doc = viewer.get(f"/cases/{cid}/outputs/{files[0]}")
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("text/html")
    assert "script-src" not in doc.headers["content-security-policy"]  # none allowed: default-src 'none'
    assert "inline" in doc.headers["content-disposition"]
    down = viewer.get(f"/cases/{cid}/outputs/{files[0]}?download=true")
    assert down.headers["content-disposition"].startswith("attachment")
    for hostile in ("../veilleur-case.json", "..%2Fveilleur-case.json", "/etc/passwd", "%2e%2e/case.sqlite"):
        assert viewer.get(f"/cases/{cid}/outputs/{hostile}").status_code == 404, hostile
    with app.open_session(served.team.root, LEAD) as s, s.reading() as conn:
        views = [e for e in audit.tail(conn, 30) if e.action == "view.output"]
    assert views and views[-1].operator == "viewer-user" and views[-1].subject == files[0]


def test_background_jobs_run_as_their_user_survive_a_restart_and_can_be_cancelled(served: Served) -> None:
    cid = served.team_id
    inst = served.web.state.installation
    runner = app.JobRunner(
        inst, served.web.state.catalog.session_at
    )  # the served app's own does not run here
    viewer = _login(served, "viewer-user")
    refused = viewer.post(f"/cases/{cid}/jobs", data={"kind": "rank", "csrf": _csrf(viewer)})
    assert refused.status_code == 403  # checked when queued, not only when run
    analyst = _login(served, "analyst-user")
    for kind in ("rank", "hash", "match"):
        r = analyst.post(f"/cases/{cid}/jobs", data={"kind": kind, "csrf": _csrf(analyst)})
        assert r.status_code == 303
    outside = analyst.post(
        f"/cases/{cid}/jobs", data={"kind": "import", "path": "/etc", "csrf": _csrf(analyst)}
    )
    assert outside.status_code == 403 and "not in a folder this server imports from" in outside.text
    with app.open_session(served.team.root, "analyst-user") as s:
        queued = app.jobs_of(s)
    rank_job, hash_job, match_job = sorted((j for j in queued if j.status == "queued"), key=lambda j: j.id)[
        -3:
    ]
    # the match job is cancelled before it starts; the rank job is claimed, then the process "dies"
    assert (
        analyst.post(f"/cases/{cid}/jobs/{match_job.id}/cancel", data={"csrf": _csrf(analyst)}).status_code
        == 303
    )
    from veilleur.app.jobs import jobs as jobs_table

    with inst.engine.begin() as conn:
        conn.execute(jobs_table.update().where(jobs_table.c.id == rank_job.id).values(status="running"))
    assert runner.recover() >= 1
    done = [runner.run_next(), runner.run_next()]
    assert runner.run_next() is None
    by_id = {j.id: j for j in done if j}
    assert by_id[rank_job.id].status == "done" and "ranking #" in (by_id[rank_job.id].message or "")
    assert by_id[rank_job.id].attempts == 1
    assert by_id[hash_job.id].status == "done"
    page = analyst.get(f"/cases/{cid}/jobs/list").text
    assert "cancelled by analyst-user before it started" in page
    with app.open_session(served.team.root, LEAD) as s, s.reading() as conn:
        entries = audit.tail(conn, 40)
    assert any(e.action.startswith("rank") and e.operator == "analyst-user" for e in entries)


def test_notes_and_tags_authored_audited_and_shared_into_dossiers_by_choice(served: Served) -> None:
    cid = served.team_id
    analyst = _login(served, "analyst-user")
    for text, shared in ((f"works at the école {HOSTILE}", True), ("private working hypothesis", False)):
        r = analyst.post(
            f"/cases/{cid}/notes",
            data={
                "kind": "account",
                "target": CENTRAL,
                "text": text,
                "tags": "contact-with-children, école",
                "shared": "true" if shared else "",
                "csrf": _csrf(analyst),
            },
        )
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}/accounts/{CENTRAL}"
    page = analyst.get(f"/cases/{cid}/accounts/{CENTRAL}").text
    assert "private working hypothesis" in page and "#contact-with-children" in page
    assert HOSTILE not in page and "works at the école &lt;script&gt;" in page
    viewer = _login(served, "viewer-user")
    assert "Add the note" not in viewer.get(f"/cases/{cid}/accounts/{CENTRAL}").text
    refused = viewer.post(
        f"/cases/{cid}/notes", data={"kind": "account", "target": CENTRAL, "text": "x", "csrf": _csrf(viewer)}
    )
    assert refused.status_code == 403
    tagged = viewer.get(f"/cases/{cid}/notes?tag=contact-with-children").text
    assert tagged.count("private working hypothesis") == 1
    with app.open_session(served.team.root, "analyst-user") as s:
        mine = app.notes_on(s, "account", CENTRAL).notes
        with s.reading() as conn:
            entries = [e for e in audit.tail(conn, 20) if e.action == "note.add"]
    assert {n.author for n in mine} == {"analyst-user"} and entries
    assert all("hypothesis" not in str(e.details_value()) for e in entries)  # the log names, never quotes
    # another analyst may not withdraw it; the lead may, and it stays, marked
    other = _fresh_user(served, "analyst2")
    with app.open_session(served.team.root, LEAD) as s:
        app.set_member(s, other, "analyst")
    second = _login(served, other)
    nid = mine[-1].id
    assert second.post(f"/cases/{cid}/notes/{nid}/withdraw", data={"csrf": _csrf(second)}).status_code == 403
    lead = _login(served, LEAD)
    assert lead.post(f"/cases/{cid}/notes/{nid}/withdraw", data={"csrf": _csrf(lead)}).status_code == 303
    with app.open_session(served.team.root, LEAD) as s:
        kept = {n.id: n for n in app.notes_on(s, "account", CENTRAL).notes}
        assert kept[nid].withdrawn_by == LEAD
        out = app.dossiers(s, served.team.root.parent / "notes-dossiers", accounts=[CENTRAL], pdf=False)
    html = Path(next(f for f in out.files if f.endswith(".html"))).read_text(encoding="utf-8")
    assert "works at the école" in html and "private working hypothesis" not in html
    assert "&lt;script&gt;" in html


def test_the_interface_speaks_french_to_a_french_user_with_dates_in_their_zone(served: Served) -> None:
    c = _login(served, "viewer-user")
    r = c.post("/me/preferences", data={"language": "fr", "timezone": "Europe/Paris", "csrf": _csrf(c)})
    assert r.status_code == 303
    try:
        page = c.get(f"/cases/{served.team_id}/ranking").text
        assert 'lang="fr"' in page and "Qui d'abord, et pourquoi" in page and "Se déconnecter" in page
        audit_free = c.get(f"/cases/{served.team_id}/review/indicators").text
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d Europe/Paris \(\d\d:\d\d UTC\)", audit_free)
        bad = c.post("/me/preferences", data={"language": "fr", "timezone": "Mars/Olympus", "csrf": _csrf(c)})
        assert bad.status_code == 400 and "Mars/Olympus" in bad.text
    finally:
        c.post("/me/preferences", data={"language": "en", "timezone": "UTC", "csrf": _csrf(c)})
    assert "Who comes first, and why" in c.get(f"/cases/{served.team_id}/ranking").text
    # before sign-in, the browser's language
    assert "Identifiant" in _client(served).get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text


def test_every_interface_text_has_its_french_translation() -> None:
    """The catalogue is kept current: every ``_("…")`` of the templates is translated."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = Path(__file__).resolve().parent.parent / "src" / "veilleur" / "web"
    found = {
        m[2]
        for m in extract_from_dir(
            str(web / "templates"),
            method_map=[("**.html", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    with (web / "locale" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        cat = read_po(f, locale="fr")
    translated = {m.id for m in cat if m.id and m.string}
    assert len(found) > 150
    assert sorted(found - translated) == []
