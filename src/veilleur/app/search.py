"""Use cases of case search: search, the index, keyword lists (``docs/search.md``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from veilleur.app.resolve import resolve_account, resolve_chat
from veilleur.app.results import CountOut, IndexRun, KeywordHitsView, KeywordRun, SearchHitOut, SearchView
from veilleur.app.session import CaseSession, use_case
from veilleur.case import Case
from veilleur.custody import audit
from veilleur.errors import CaseError, NotFound
from veilleur.matching.results import display_names
from veilleur.search import Hit, Scope, parse, refresh
from veilleur.search import run as searching
from veilleur.search.keywords import latest_run, run_keywords
from veilleur.search.query import QueryError
from veilleur.store.lookups import account_keys, chunks
from veilleur.store.schema import chats, keyword_hits, keyword_runs
from veilleur.timefmt import iso_utc

__all__ = ["keyword_hits_view", "refresh_index", "reindex", "run_keyword_list", "search"]

MAX_PAGE = 500


def refresh_index(case: Case, *, operator: str, after_import: bool = False) -> IndexRun | None:
    """Bring the search index up to date and log it (``search.index``) when it changed anything;
    run by every use case that imports (exports, records) and by :func:`reindex`.

    One refresh at a time per case. After an import, a refresh already running elsewhere is left
    to finish (None): what it misses, the next import or ``veilleur search --reindex`` indexes;
    the import itself has succeeded and must not be reported as failed."""
    try:
        with case.exclusive("search-index"):
            r = refresh(case.engine)
    except CaseError:
        if after_import:
            return None
        raise
    if r.documents:
        case.audit(
            "search.index",
            operator=operator,
            details={"messages": r.messages, "versions": r.versions, "documents": r.documents},
        )
    return IndexRun(
        r.messages, r.versions, r.small, r.documents, r.terms_added, round(r.seconds, 3), r.by_field
    )


@use_case("search.index")
def reindex(session: CaseSession) -> IndexRun:
    """Index whatever the index does not hold yet (a case made before search, an interrupted run)."""
    done = refresh_index(session.case, operator=session.user)
    assert done is not None
    return done


def _citation(h: Hit) -> str:
    if h.source in ("message", "version") and h.evidence_id is not None:
        where = f"byte {h.byte_offset}" if h.byte_offset is not None else f"page {h.page}"
        v = f", version {h.version} (edited away since)" if h.source == "version" else ""
        return f"evidence #{h.evidence_id}, {where}{v}"
    return h.ref or ""


def _hit(h: Hit) -> SearchHitOut:
    return SearchHitOut(
        h.source,
        h.field,
        h.chat_key,
        h.chat_title,
        h.message_id,
        h.version,
        h.account_key,
        h.sender_name,
        iso_utc(h.date_utc),
        h.snippet,
        h.marks,
        h.hidden,
        h.possibly_deleted,
        _citation(h),
        round(h.score, 4),
    )


@use_case("search")
def search(
    session: CaseSession,
    query: str,
    *,
    chat: str | None = None,
    account: str | None = None,
    direction: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchView:
    """Search the case (the query language of :mod:`veilleur.search.query`); ``chat`` and
    ``account`` add ``in:``/``from:`` filters, ``direction`` ``sent`` or ``received`` says which of
    the account's messages. Logged (``view.search``) with the query and the number of hits only."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise QueryError(f"a page holds 1 to {MAX_PAGE} hits, from offset 0")
    parsed = parse(query)
    with session.reading() as conn:
        searching.check_index(conn)
        chat_ids = [resolve_chat(conn, c).id for c in [*parsed.chats, *([chat] if chat else [])]]
        senders = [resolve_account(conn, a).id for a in parsed.senders]
        receivers = [resolve_account(conn, a).id for a in parsed.receivers]
        if account is not None:
            who = resolve_account(conn, account).id
            (receivers if direction == "received" else senders).append(who)
        scope = Scope(parsed.after_utc, parsed.before_utc, tuple(chat_ids), tuple(senders), tuple(receivers))
        found = searching.search(conn, parsed, scope, limit=limit, offset=offset)
        chat_rows = {
            r.id: (r.key, r.title or r.key)
            for part in chunks([c for c, _ in found.by_chat])
            for r in conn.execute(select(chats.c.id, chats.c.key, chats.c.title).where(chats.c.id.in_(part)))
        }
        ids = {a for a, _ in found.by_account}
        names = display_names(conn, ids)
        keys = account_keys(conn, ids)
    session.log_view("search", details={"query": query, "hits": found.total, "offset": offset})
    return SearchView(
        query,
        found.total,
        offset,
        limit,
        [_hit(h) for h in found.hits],
        [CountOut(*chat_rows[c], n) for c, n in found.by_chat if c in chat_rows],
        [CountOut(keys[a], names.get(a, keys[a]), n) for a, n in found.by_account if a in keys],
        round(found.seconds * 1000, 1),
    )


@use_case("keywords.run")
def run_keyword_list(session: CaseSession, path: Path) -> KeywordRun:
    """Run a keyword list (a file of terms) over the whole case; the run and its hits are kept
    and logged (``keywords``) with their counts."""
    with session.reading() as conn:
        searching.check_index(conn)
    with session.case.engine.begin() as conn:
        r = run_keywords(conn, path, operator=session.user)
        where = audit.record(
            conn,
            "keywords",
            operator=session.user,
            subject=r.list_name,
            details={
                "run_id": r.run_id,
                "list_sha256": r.list_sha256,
                "terms": r.terms,
                "hits": r.hits,
                "skipped": len(r.skipped),
            },
        )
    audit.witness(session.case, where)
    return KeywordRun(
        r.run_id,
        r.list_name,
        r.list_sha256,
        r.terms,
        r.hits,
        r.messages,
        r.by_term,
        r.skipped,
        round(r.seconds, 3),
    )


@use_case("keywords.show")
def keyword_hits_view(
    session: CaseSession, *, run_id: int | None = None, per_term: int = 5
) -> KeywordHitsView:
    """A keyword run's counts per term and the first hits of each, cited; logged (``view.keywords``)."""
    with session.reading() as conn:
        run = run_id if run_id is not None else latest_run(conn)
        info = conn.execute(select(keyword_runs).where(keyword_runs.c.id == run)).first() if run else None
        if run is not None and info is None:
            raise NotFound(f"no keyword run {run} in this case")
        counts: dict[str, int] = {}
        first: dict[str, list[int]] = {}
        for term, doc in conn.execute(
            select(keyword_hits.c.term, keyword_hits.c.doc_id)
            .where(keyword_hits.c.run_id == run)
            .order_by(keyword_hits.c.term_idx, keyword_hits.c.doc_id)
        ):
            counts[term] = counts.get(term, 0) + 1
            if len(first.setdefault(term, [])) < per_term:
                first[term].append(doc)
        hits = searching.hits_of(conn, [d for ds in first.values() for d in ds])
    session.log_view("keywords", details={"run_id": run, "hits": sum(counts.values())})
    return KeywordHitsView(
        run,
        info.list_name if info else None,
        [CountOut(t, t, n) for t, n in counts.items()],
        [_hit(h) for h in hits],
    )
