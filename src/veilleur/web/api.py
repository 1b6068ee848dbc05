"""The REST API, ``/api/v1``: the use cases as JSON, in the shapes of :mod:`veilleur.app.results`.

The same typed results as the command line's ``--json`` (serialised by
:func:`veilleur.app.to_data`), the same permissions (the use case checks them), the same audit
entries. Scripts sign in with an API token (``Authorization: Bearer vlr_…``, issued on the
"me" page); a browser's session works too, with its CSRF header on changes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from veilleur import app
from veilleur.app import results as r
from veilleur.web.app import principal
from veilleur.web.catalog import Catalog

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["cases"])


def _s(request: Request, cid: str) -> app.CaseSession:
    catalog: Catalog = request.app.state.catalog
    return catalog.session(cid, principal(request).name)


def _json(result: Any) -> JSONResponse:
    return JSONResponse(app.to_data(result))


def _doc(t: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": t}}


@router.get("/cases")
def cases(request: Request) -> JSONResponse:
    """The cases the signed-in user is a member of, with their role."""
    catalog: Catalog = request.app.state.catalog
    return JSONResponse(catalog.listing(principal(request).name))


@router.get("/cases/{cid}/summary", responses=_doc(r.Summary))
def summary(request: Request, cid: str) -> JSONResponse:
    return _json(app.summary(_s(request, cid)))


@router.get("/cases/{cid}/imports", responses=_doc(r.ImportsView))
def imports(request: Request, cid: str) -> JSONResponse:
    return _json(app.imports(_s(request, cid)))


@router.get("/cases/{cid}/evidence", responses=_doc(r.EvidenceList))
def evidence(request: Request, cid: str) -> JSONResponse:
    return _json(app.evidence_list(_s(request, cid)))


@router.get("/cases/{cid}/lists", responses=_doc(r.ListsView))
def lists(request: Request, cid: str) -> JSONResponse:
    return _json(app.lists(_s(request, cid)))


@router.get("/cases/{cid}/hits", responses=_doc(r.HitsView))
def hits(request: Request, cid: str) -> JSONResponse:
    return _json(app.hits(_s(request, cid)))


@router.get("/cases/{cid}/exchanges", responses=_doc(r.ExchangesView))
def exchanges(
    request: Request,
    cid: str,
    account: Annotated[list[str] | None, Query()] = None,
    chat: str | None = None,
    a: str | None = None,
    b: str | None = None,
) -> JSONResponse:
    """Exchanges of flagged media: all, those of accounts, of a chat, or between ``a`` and ``b``."""
    between = (a, b) if a and b else None
    return _json(app.exchanges(_s(request, cid), accounts=account or [], chat=chat, between=between))


@router.get("/cases/{cid}/graph", responses=_doc(r.GraphView))
def graph(
    request: Request,
    cid: str,
    center: str | None = None,
    depth: int = 1,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
) -> JSONResponse:
    """The exchange network to draw, capped on the server (see GraphView)."""
    return _json(
        app.exchange_graph(
            _s(request, cid),
            center=center or None,
            depth=depth,
            since=since or None,
            until=until or None,
            limit=limit,
        )
    )


@router.get("/cases/{cid}/roles", responses=_doc(r.RolesView))
def roles(request: Request, cid: str) -> JSONResponse:
    return _json(app.roles(_s(request, cid)))


@router.get("/cases/{cid}/propagation", responses=_doc(r.PropagationView))
def propagation(request: Request, cid: str, new_only: bool = False) -> JSONResponse:
    return _json(app.propagation(_s(request, cid), new_only=new_only))


@router.get("/cases/{cid}/accounts/{key:path}", responses=_doc(r.AccountProfile))
def account(request: Request, cid: str, key: str) -> JSONResponse:
    return _json(app.account_profile(_s(request, cid), key))


@router.get("/cases/{cid}/persons/{key:path}", responses=_doc(r.PersonProfile))
def person(request: Request, cid: str, key: str) -> JSONResponse:
    return _json(app.person_profile(_s(request, cid), key))


@router.get("/cases/{cid}/links", responses=_doc(r.LinksView))
def links(request: Request, cid: str, account: str | None = None) -> JSONResponse:
    return _json(app.links(_s(request, cid), account=account))


@router.post("/cases/{cid}/links/decisions", responses=_doc(r.LinkDecision))
def decide(
    request: Request,
    cid: str,
    account: Annotated[str, Body()],
    decision: Annotated[str, Body()],
    reason: Annotated[str, Body()],
    person: Annotated[str | None, Body()] = None,
    other_account: Annotated[str | None, Body()] = None,
    seen: Annotated[str | None, Body()] = None,
) -> JSONResponse:
    """Confirm or reject a link; ``seen`` (the proposal's state when read) refuses a stale decision."""
    return _json(
        app.decide_link(
            _s(request, cid),
            account,
            decision=decision,
            person=person,
            other_account=other_account,
            note=reason,
            seen=seen,
        )
    )


@router.get("/cases/{cid}/indicators", responses=_doc(r.IndicatorHitsView))
def indicators(request: Request, cid: str, account: str | None = None) -> JSONResponse:
    return _json(app.indicator_hits(_s(request, cid), account=account))


@router.post("/cases/{cid}/indicators/{hit_id}/reveal", responses=_doc(r.Reveal))
def reveal(request: Request, cid: str, hit_id: int, reason: Annotated[str, Body(embed=True)]) -> JSONResponse:
    return _json(app.reveal_hit(_s(request, cid), hit_id, reason=reason))


@router.get("/cases/{cid}/ranking", responses=_doc(r.RankingView))
def ranking(
    request: Request, cid: str, ranking: int | None = None, jurisdiction: str | None = None
) -> JSONResponse:
    return _json(app.show_ranking(_s(request, cid), ranking_id=ranking, jurisdiction=jurisdiction))


@router.get("/cases/{cid}/ranking/compare", responses=_doc(r.RankComparison))
def compare(request: Request, cid: str, old: int, new: int) -> JSONResponse:
    return _json(app.compare_rankings(_s(request, cid), old, new))


@router.get("/cases/{cid}/search", responses=_doc(r.SearchView))
def search(request: Request, cid: str, q: str, limit: int = 20, offset: int = 0) -> JSONResponse:
    return _json(app.search(_s(request, cid), q, limit=min(max(limit, 1), 200), offset=max(offset, 0)))


@router.get("/cases/{cid}/audit", responses=_doc(r.AuditLog))
def audit(request: Request, cid: str, limit: int = 50) -> JSONResponse:
    return _json(app.audit_show(_s(request, cid), limit=limit))


@router.get("/cases/{cid}/audit/verification", responses=_doc(r.AuditVerification))
def audit_verification(request: Request, cid: str) -> JSONResponse:
    return _json(app.audit_verify(_s(request, cid)))


@router.get("/cases/{cid}/members", responses=_doc(r.MembersView))
def members(request: Request, cid: str) -> JSONResponse:
    return _json(app.members(_s(request, cid)))


@router.get("/cases/{cid}/notes", responses=_doc(r.NotesView))
def notes(
    request: Request, cid: str, kind: str | None = None, target: str | None = None, tag: str | None = None
) -> JSONResponse:
    return _json(app.notes_on(_s(request, cid), kind, target, tag=tag))


@router.post("/cases/{cid}/notes", responses=_doc(r.NoteOut))
def add_note(
    request: Request,
    cid: str,
    kind: Annotated[str, Body()],
    target: Annotated[str, Body()],
    text: Annotated[str, Body()] = "",
    tags: Annotated[list[str] | None, Body()] = None,
    shared: Annotated[bool, Body()] = False,
) -> JSONResponse:
    """Write a note (and tags) on an account, a person, a chat or a message (``<chat>#<id>``)."""
    return _json(app.add_note(_s(request, cid), kind, target, text, tags=tags or [], shared=shared))
