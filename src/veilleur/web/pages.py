"""The pages of the work: each opens a case session for the signed-in user and calls use cases.

A page holds no SQL and writes no audit entry; the use cases it calls check the user's role and
log the view (or the action) before anything is shown. A page that needs a higher role than the
user has is refused by the use case, and the refusal is in the case's audit log.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from veilleur import app
from veilleur.app import CaseSession, VeilleurError, jobs
from veilleur.app import accounts as acc
from veilleur.app.outputs import new_output_folder
from veilleur.web.app import COOKIE, LOGIN_COOKIE, principal
from veilleur.web.catalog import Catalog
from veilleur.web.templating import key_path, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE = 50
EVIDENCE_SHOWN = 200  # a seized phone's export registers every media file: the rest by kind
ITEMS_SHOWN = 500
AUDIT_SHOWN = 500
AUDIT_FILTERS = (
    "import",
    "hash",
    "lists.",
    "match",
    "records.",
    "indicators",
    "reveal.",
    "link",
    "rank",
    "note.",
    "report.",
    "export.",
    "members.",
    "access.refused",
    "audit.verify",
    "view.",
)
"""What the audit page filters on: action prefixes (the log's own list would be read whole)."""


def _catalog(request: Request) -> Catalog:
    c: Catalog = request.app.state.catalog
    return c


def _case(request: Request, cid: str) -> tuple[CaseSession, dict[str, Any]]:
    """The user's session on case ``cid``, and what every case page shows in its frame."""
    p = principal(request)
    served = _catalog(request).get(cid)
    s = _catalog(request).session(cid, p.name)
    return s, {
        "cid": cid,
        "case_name": served.case.name,
        "role": s.role.label if s.role else None,
        "can": s.can,
    }


def _page(request: Request, name: str, frame: dict[str, Any], **context: Any) -> HTMLResponse:
    return render(request, name, frame | context)


# -- signing in -----------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"login_csrf": token, "error": error}, status=status)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    code: Annotated[str | None, Form()] = None,
) -> Response:
    inst = request.app.state.installation
    client = request.client.host if request.client else None
    try:
        user = acc.check_password(inst, name, password, code=code, client=client)
    except acc.LoginRefused as e:
        return login_form(request, error=str(e), status=401)
    # A new token at every sign-in: one planted in the browser before it (fixation) opens nothing.
    token, _ = acc.open_web_session(inst, user.name, client=client)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=request.app.state.secure_cookies
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    p = principal(request)
    if p.session is not None:
        acc.revoke_session(request.app.state.installation, p.session.id, by=p.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def cases(request: Request) -> Response:
    mine = _catalog(request).listing(principal(request).name)
    return render(request, "cases.html", {"cases": mine})


def _me(request: Request, new_token: str | None = None) -> Response:
    """The "me" page: sessions, tokens (a new one shown once), language, password."""
    p = principal(request)
    inst = request.app.state.installation
    return render(
        request,
        "me.html",
        {
            "sessions": acc.sessions_of(inst, p.name),
            "current": p.session.id if p.session else None,
            "tokens": acc.tokens_of(inst, p.name),
            "new_token": new_token,
            "languages": acc.LANGUAGES,
            "prefs": p.preferences,
        },
    )


@router.get("/me")
def me(request: Request) -> Response:
    return _me(request)


@router.post("/me/preferences")
def set_preferences(
    request: Request, language: Annotated[str, Form()], timezone: Annotated[str, Form()]
) -> Response:
    p = principal(request)
    acc.set_preferences(request.app.state.installation, p.name, language=language, timezone=timezone.strip())
    return RedirectResponse("/me", status_code=303)


@router.post("/me/sessions/{session_id}/revoke")
def revoke_session(request: Request, session_id: int) -> Response:
    p = principal(request)
    acc.revoke_session(request.app.state.installation, session_id, by=p.name)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/tokens")
def new_token(request: Request, label: Annotated[str, Form()]) -> Response:
    p = principal(request)
    inst = request.app.state.installation
    return _me(request, acc.issue_token(inst, p.name, label.strip() or "script", by=p.name))


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int) -> Response:
    p = principal(request)
    acc.revoke_token(request.app.state.installation, token_id, by=p.name)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/password")
def change_password(
    request: Request, current: Annotated[str, Form()], new: Annotated[str, Form()]
) -> Response:
    p = principal(request)
    inst = request.app.state.installation
    acc.check_password(inst, p.name, current, client=request.client.host if request.client else None)
    app.set_user_password(inst, p.name, new, user=p.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- a case ---------------------------------------------------------------------------------------


@router.get("/cases/{cid}")
def overview(request: Request, cid: str) -> Response:
    s, frame = _case(request, cid)
    return _page(
        request,
        "overview.html",
        frame,
        summary=app.summary(s).summary,
        imports=app.imports(s).imports,
        evidence=app.evidence_list(s, limit=EVIDENCE_SHOWN),
        lists=app.lists(s).lists,
        members=app.members(s).members,
    )


@router.get("/cases/{cid}/audit/verification")
def audit_verification(request: Request, cid: str) -> Response:
    """The chain's verification, loaded into the overview after it (the whole log is read)."""
    s, frame = _case(request, cid)
    return _page(request, "fragments/verification.html", frame, audit=app.audit_verify(s))


@router.get("/cases/{cid}/network")
def network_page(
    request: Request,
    cid: str,
    center: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
) -> Response:
    s, frame = _case(request, cid)
    s.require("network")  # the drawing's data comes from the API, which logs the view
    return _page(
        request,
        "network.html",
        frame,
        center=center or "",
        since=since or "",
        until=until or "",
        limit=max(1, min(limit, 5000)),
    )


@router.get("/cases/{cid}/network/edge")
def network_edge(request: Request, cid: str, a: str, b: str) -> Response:
    s, frame = _case(request, cid)
    view = app.exchanges(s, between=(a, b))
    return _page(request, "fragments/exchanges.html", frame, view=view, a=a, b=b)


@router.get("/cases/{cid}/accounts/{key:path}")
def account_page(request: Request, cid: str, key: str) -> Response:
    s, frame = _case(request, cid)
    profile = app.account_profile(s, key)
    notes = app.notes_on(s, "account", profile.account) if s.can("notes.show") else None
    return _page(request, "account.html", frame, p=profile, d=profile.profile, notes=notes)


@router.get("/cases/{cid}/persons/{key:path}")
def person_page(request: Request, cid: str, key: str) -> Response:
    s, frame = _case(request, cid)
    profile = app.person_profile(s, key)
    notes = app.notes_on(s, "person", profile.person) if s.can("notes.show") else None
    return _page(request, "person.html", frame, p=profile, notes=notes)


@router.get("/cases/{cid}/ranking")
def ranking_page(
    request: Request,
    cid: str,
    jurisdiction: str | None = None,
    ranking: int | None = None,
    old: int | None = None,
    new: int | None = None,
) -> Response:
    s, frame = _case(request, cid)
    view = app.show_ranking(s, ranking_id=ranking, jurisdiction=jurisdiction or None)
    everyone = app.show_ranking(s, ranking_id=ranking) if jurisdiction else view
    comparison = app.compare_rankings(s, old, new) if old is not None and new is not None else None
    return _page(
        request,
        "ranking.html",
        frame,
        view=view,
        jurisdictions=sorted({r.jurisdiction for r in everyone.subjects}),
        jurisdiction=jurisdiction or "",
        comparison=comparison,
    )


@router.get("/cases/{cid}/review/links")
def links_queue(request: Request, cid: str, message: str | None = None) -> Response:
    s, frame = _case(request, cid)
    view = app.links(s)
    by_account: dict[str, list[Any]] = {}
    for link in view.links:
        by_account.setdefault(link.account, []).append(link)
    return _page(request, "links.html", frame, view=view, by_account=by_account, message=message)


@router.post("/cases/{cid}/review/links")
def decide(
    request: Request,
    cid: str,
    account: Annotated[str, Form()],
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    seen: Annotated[str, Form()],
    person: Annotated[str | None, Form()] = None,
    other_account: Annotated[str | None, Form()] = None,
) -> Response:
    s, _ = _case(request, cid)
    if not reason.strip():
        raise VeilleurError("a decision needs its reason")
    d = app.decide_link(
        s,
        account,
        decision=decision,
        person=person or None,
        other_account=other_account or None,
        note=reason.strip(),
        seen=seen,
    )
    return RedirectResponse(f"/cases/{cid}/review/links?message=decision+{d.id}+recorded", status_code=303)


@router.get("/cases/{cid}/review/indicators")
def indicators_queue(request: Request, cid: str, account: str | None = None) -> Response:
    s, frame = _case(request, cid)
    return _page(request, "indicators.html", frame, view=app.indicator_hits(s, account=account or None))


@router.post("/cases/{cid}/review/indicators/{hit_id}/reveal")
def reveal(request: Request, cid: str, hit_id: int, reason: Annotated[str, Form()]) -> Response:
    s, frame = _case(request, cid)
    shown = app.reveal_hit(s, hit_id, reason=reason)
    return _page(request, "fragments/revealed.html", frame, r=shown)


@router.get("/cases/{cid}/review/material")
def material_queue(request: Request, cid: str) -> Response:
    s, frame = _case(request, cid)
    return _page(request, "material.html", frame, view=app.propagation(s, new_only=True, limit=ITEMS_SHOWN))


@router.get("/cases/{cid}/search")
def search_page(request: Request, cid: str, q: str = "", page: int = 1) -> Response:
    s, frame = _case(request, cid)
    view = app.search(s, q, limit=PAGE, offset=(max(page, 1) - 1) * PAGE) if q.strip() else None
    return _page(request, "search.html", frame, q=q, view=view, page=max(page, 1), per_page=PAGE)


@router.get("/cases/{cid}/audit")
def audit_page(request: Request, cid: str, action: str = "", operator: str = "") -> Response:
    s, frame = _case(request, cid)
    log = app.audit_show(s, limit=AUDIT_SHOWN, action=action or None, operator=operator or None)
    return _page(
        request,
        "audit.html",
        frame,
        entries=list(reversed(log.entries)),
        action=action,
        operator=operator,
        actions=AUDIT_FILTERS,
    )


@router.get("/cases/{cid}/outputs")
def outputs_page(request: Request, cid: str, message: str | None = None) -> Response:
    s, frame = _case(request, cid)
    return _page(
        request,
        "outputs.html",
        frame,
        view=app.outputs(s),
        formats=app.EXPORT_FORMATS,
        message=message,
    )


@router.post("/cases/{cid}/outputs")
def produce(
    request: Request,
    cid: str,
    what: Annotated[str, Form()],
    pdf: Annotated[bool, Form()] = False,
) -> Response:
    """Write dossiers, the jurisdiction packages, or an export into the case's outputs folder."""
    s, _ = _case(request, cid)
    if what == "packages":
        n = len(app.reports(s, new_output_folder(s, "packages"), pdf=pdf).files)
    elif what == "dossiers":
        n = len(app.dossiers(s, new_output_folder(s, "dossiers"), pdf=pdf).files)
    elif what.startswith("export:") and what[7:] in app.EXPORT_FORMATS:
        n = len(app.export(s, what[7:], new_output_folder(s, f"export-{what[7:]}")).files)
    else:
        raise VeilleurError(f"nothing to produce called {what!r}")
    return RedirectResponse(f"/cases/{cid}/outputs?message={n}+files+written", status_code=303)


@router.get("/cases/{cid}/outputs/{path:path}")
def open_output(request: Request, cid: str, path: str, download: bool = False) -> Response:
    s, _ = _case(request, cid)
    body = app.output_file(s, path)
    name = body.path.rsplit("/", 1)[-1]
    headers = {
        "Content-Disposition": f"{'attachment' if download else 'inline'}; filename*=UTF-8''{quote(name)}",
        # a dossier is a static document with its own styles: no script, nothing fetched
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "font-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    }
    return Response(body.content, media_type=body.media_type, headers=headers)


@router.get("/cases/{cid}/jobs")
def jobs_page(request: Request, cid: str) -> Response:
    s, frame = _case(request, cid)
    return _page(
        request,
        "jobs.html",
        frame,
        jobs=jobs.jobs_of(s),
        kinds=jobs.JOB_KINDS,
        import_roots=request.app.state.import_roots,
    )


@router.get("/cases/{cid}/jobs/list")
def jobs_list(request: Request, cid: str) -> Response:
    s, frame = _case(request, cid)
    return _page(request, "fragments/jobs.html", frame, jobs=jobs.jobs_of(s))


@router.post("/cases/{cid}/jobs")
def submit(
    request: Request,
    cid: str,
    kind: Annotated[str, Form()],
    path: Annotated[str | None, Form()] = None,
    utc_offset: Annotated[str | None, Form()] = None,
) -> Response:
    s, _ = _case(request, cid)
    params: dict[str, Any] = {}
    if kind == "import":
        params = {"path": path or "", "utc_offset": utc_offset or None}
    jobs.submit_job(s, kind, params, import_roots=request.app.state.import_roots)
    return RedirectResponse(f"/cases/{cid}/jobs", status_code=303)


@router.post("/cases/{cid}/jobs/{job_id}/cancel")
def cancel(request: Request, cid: str, job_id: int) -> Response:
    s, _ = _case(request, cid)
    jobs.cancel_job(s, job_id)
    return RedirectResponse(f"/cases/{cid}/jobs", status_code=303)


def _back(cid: str, kind: str, target: str) -> str:
    if kind == "account":
        return f"/cases/{cid}/accounts/{key_path(target)}"
    if kind == "person":
        return f"/cases/{cid}/persons/{key_path(target)}"
    return f"/cases/{cid}/notes"


@router.get("/cases/{cid}/notes")
def notes_page(request: Request, cid: str, tag: str | None = None) -> Response:
    s, frame = _case(request, cid)
    return _page(request, "notes.html", frame, notes=app.notes_on(s, tag=tag or None), tag=tag or "")


@router.post("/cases/{cid}/notes")
def add_note(
    request: Request,
    cid: str,
    kind: Annotated[str, Form()],
    target: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    shared: Annotated[bool, Form()] = False,
) -> Response:
    s, _ = _case(request, cid)
    note = app.add_note(s, kind, target, text, tags=tags.replace(",", " ").split(), shared=shared)
    return RedirectResponse(_back(cid, note.kind, note.target), status_code=303)


@router.post("/cases/{cid}/notes/{note_id}/withdraw")
def withdraw_note(request: Request, cid: str, note_id: int) -> Response:
    s, _ = _case(request, cid)
    note = app.withdraw_note(s, note_id)
    return RedirectResponse(_back(cid, note.kind, note.target), status_code=303)
