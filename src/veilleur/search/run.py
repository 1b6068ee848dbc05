"""Running a query: the matching documents, ranked and paged, each with its citation and a
snippet; the counts per chat and per account; keyword lists run as one job.

The expression is matched by the backend's full-text engine over our tokens (FTS5 ``MATCH``, or
``@@`` on the ``tsvector``); the filters are plain SQL on ``search_docs``; the regular expression,
when there is one, runs in Python over at most :data:`MAX_REGEX_CANDIDATES` texts. Snippets are
cut from the original text, never from the tokens, with the matched words marked; the text of a
message that holds a sensitive indicator hit stays hidden in its snippet until its reveal.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dfield
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from veilleur.analysis.indicators.hits import HIDDEN
from veilleur.analysis.indicators.run import current_run as current_indicator_run
from veilleur.errors import VeilleurError
from veilleur.search.query import Parsed, QueryError, Term, Widen, to_fts5, to_tsquery, word_tokens
from veilleur.search.tokens import stems, tokens_with_spans
from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    accounts,
    chats,
    indicator_hits,
    message_versions,
    messages,
    search_docs,
    search_terms,
)

__all__ = [
    "MAX_REGEX_CANDIDATES",
    "Found",
    "Hit",
    "Scope",
    "check_index",
    "hits_of",
    "matching_ids",
    "search",
    "snippet",
]

MAX_REGEX_CANDIDATES = 200_000
MAX_VARIANTS = 40
SNIPPET = 180


@dataclass(frozen=True)
class Scope:
    """The filters, resolved to store ids by the caller."""

    after_utc: int | None = None
    before_utc: int | None = None
    chat_ids: tuple[int, ...] = ()
    sender_ids: tuple[int, ...] = ()
    receiver_ids: tuple[int, ...] = ()


@dataclass
class Hit:
    doc_id: int
    source: str
    field: str
    score: float
    message_pk: int | None
    version: int | None
    chat_id: int | None
    account_id: int | None
    person_id: int | None
    date_utc: int | None
    ref: str | None
    text: str = ""
    snippet: str = ""
    marks: list[tuple[int, int]] = dfield(default_factory=list)
    hidden: bool = False
    possibly_deleted: bool = False
    message_id: int | None = None
    chat_key: str | None = None
    chat_title: str | None = None
    account_key: str | None = None
    sender_name: str | None = None
    evidence_id: int | None = None
    byte_offset: int | None = None
    page: str | None = None


@dataclass
class Found:
    total: int
    hits: list[Hit]
    by_chat: list[tuple[int, int]]  # (chat_id, hits), most first
    by_account: list[tuple[int, int]]
    seconds: float


def _widen(conn: Connection, parsed: Parsed) -> Widen:
    out: Widen = {}
    for tok in word_tokens(parsed.node):
        s = stems(tok)
        if s is None:
            continue
        variants = conn.execute(
            select(search_terms.c.term)
            .where(or_(search_terms.c.fr == s[0], search_terms.c.en == s[1]))
            .order_by(search_terms.c.term)
            .limit(MAX_VARIANTS)
        ).scalars()
        out[tok] = sorted({tok, *variants})
    return out


def _filters(conn: Connection, scope: Scope) -> list[Any]:
    d = search_docs
    where: list[Any] = []
    if scope.after_utc is not None:
        where.append(d.c.date_utc >= scope.after_utc)
    if scope.before_utc is not None:
        where.append(d.c.date_utc < scope.before_utc)
    if scope.chat_ids:
        where.append(d.c.chat_id.in_(scope.chat_ids))
    if scope.sender_ids:
        where.append(and_(d.c.source.in_(["message", "version"]), d.c.account_id.in_(scope.sender_ids)))
    if scope.receiver_ids:
        # Received: written by someone else in a chat the account wrote in, or its private chat.
        keys = (
            conn.execute(select(accounts.c.key).where(accounts.c.id.in_(scope.receiver_ids))).scalars().all()
        )
        own = select(messages.c.chat_id).where(messages.c.sender_id.in_(scope.receiver_ids)).distinct()
        private = select(chats.c.id).where(chats.c.key.in_(keys))
        where.append(
            and_(
                d.c.source.in_(["message", "version"]),
                or_(d.c.account_id.is_(None), d.c.account_id.not_in(scope.receiver_ids)),
                or_(d.c.chat_id.in_(own), d.c.chat_id.in_(private)),
            )
        )
    return where


def matched_select(conn: Connection, parsed: Parsed, scope: Scope, widen: Widen | None = None) -> Any:
    """The select of the matching documents' ``id`` and ``score`` (higher is better); ``widen``
    when the caller has already looked up the words' stem variants."""
    d = search_docs
    where = _filters(conn, scope)
    if parsed.node is None:  # a regular expression alone: over the message texts in scope
        return select(d.c.id.label("id"), literal(0.0).label("score")).where(
            d.c.source.in_(["message", "version"]), d.c.field == "text", *where
        )
    if widen is None:
        widen = _widen(conn, parsed)
    if conn.dialect.name == "postgresql":
        tsq = cast(bindparam("tsq", to_tsquery(parsed.node, widen)), TSQUERY)
        words: Any = literal_column("t.words")
        return (
            select(d.c.id.label("id"), func.ts_rank(words, tsq).label("score"))
            .select_from(
                d.join(table("search_tsv", column("doc_id")).alias("t"), literal_column("t.doc_id") == d.c.id)
            )
            .where(words.op("@@")(tsq), *where)
        )
    return (
        select(d.c.id.label("id"), (-literal_column("search_fts.rank")).label("score"))
        .select_from(
            d.join(table("search_fts", column("rowid")), literal_column("search_fts.rowid") == d.c.id)
        )
        .where(
            literal_column("search_fts").op("MATCH")(bindparam("fts", to_fts5(parsed.node, widen))), *where
        )
    )


def _row_hit(r: Any) -> Hit:
    """A ``search_docs`` row (with a ``score`` when ranked) as a hit, its text not yet read."""
    score = float(getattr(r, "score", 0) or 0)
    return Hit(
        r.id,
        r.source,
        r.field,
        score,
        r.message_pk,
        r.version,
        r.chat_id,
        r.account_id,
        r.person_id,
        r.date_utc,
        r.ref,
    )


def matching_ids(conn: Connection, parsed: Parsed, scope: Scope = Scope()) -> list[int]:
    """Every matching document's id, unranked (keyword lists, counts)."""
    return [r[0] for r in conn.execute(matched_select(conn, parsed, scope))]


def _texts(conn: Connection, hits: list[Hit]) -> None:
    """Fill each hit's text, citation, chat and sender from the tables it points to."""
    pks = [h.message_pk for h in hits if h.message_pk is not None]
    rows: dict[int, Any] = {}
    for part in chunks(pks):
        for r in conn.execute(
            select(
                messages.c.id,
                messages.c.message_id,
                messages.c.text,
                messages.c.sender_name,
                messages.c.evidence_id,
                messages.c.byte_offset,
                messages.c.page,
                messages.c.possibly_deleted,
            ).where(messages.c.id.in_(part))
        ):
            rows[r.id] = r
    versions: dict[tuple[int, int], Any] = {}
    wanted = [(h.message_pk, h.version) for h in hits if h.source == "version" and h.message_pk is not None]
    for pk, v in wanted:
        vr = conn.execute(
            select(message_versions).where(
                message_versions.c.message_pk == pk, message_versions.c.version == v
            )
        ).first()
        if vr is not None:
            versions[(pk, v or 0)] = vr
    chat_ids = {h.chat_id for h in hits if h.chat_id is not None}
    chat_rows = (
        {
            r.id: r
            for r in conn.execute(
                select(chats.c.id, chats.c.key, chats.c.title).where(chats.c.id.in_(chat_ids))
            )
        }
        if chat_ids
        else {}
    )
    acc_ids = {h.account_id for h in hits if h.account_id is not None}
    acc_keys = (
        dict(conn.execute(select(accounts.c.id, accounts.c.key).where(accounts.c.id.in_(acc_ids))).all())
        if acc_ids
        else {}
    )
    for h in hits:
        m = rows.get(h.message_pk or -1)
        if m is not None:
            h.message_id, h.sender_name, h.possibly_deleted = (
                m.message_id,
                m.sender_name,
                bool(m.possibly_deleted),
            )
            h.evidence_id, h.byte_offset, h.page = m.evidence_id, m.byte_offset, m.page
            if h.field == "text" and h.source == "message":
                h.text = m.text or ""
        ver = versions.get((h.message_pk or -1, h.version or 0))
        if ver is not None:
            h.text = ver.text or ""
            h.evidence_id, h.byte_offset, h.page = ver.evidence_id, ver.byte_offset, ver.page
        c = chat_rows.get(h.chat_id or -1)
        if c is not None:
            h.chat_key, h.chat_title = c.key, c.title
        h.account_key = acc_keys.get(h.account_id or -1)


def _bodies(conn: Connection, hits: list[Hit]) -> None:
    ids = [h.doc_id for h in hits if not h.text]
    bodies: dict[int, str] = {}
    for part in chunks(ids):
        bodies.update(
            conn.execute(select(search_docs.c.id, search_docs.c.body).where(search_docs.c.id.in_(part))).all()
        )
    for h in hits:
        if not h.text:
            h.text = bodies.get(h.doc_id) or ""


def _hidden(conn: Connection, hits: list[Hit]) -> None:
    run = current_indicator_run(conn)
    pks = {h.message_pk for h in hits if h.message_pk is not None}
    if run is None or not pks:
        return
    sensitive: set[int] = set()
    for part in chunks(pks):
        sensitive.update(
            conn.execute(
                select(indicator_hits.c.message_pk)
                .where(
                    indicator_hits.c.run_id == run,
                    indicator_hits.c.sensitive,
                    indicator_hits.c.message_pk.in_(part),
                )
                .distinct()
            ).scalars()
        )
    for h in hits:
        if h.message_pk in sensitive and h.source in ("message", "version") and h.field == "text":
            h.hidden = True


def _marker(terms: list[Term], widen: Widen) -> tuple[set[str], list[str]]:
    exact: set[str] = set()
    prefixes: list[str] = []
    for t in terms:
        if t.kind == "word":
            exact.update(widen.get(t.tokens[0], [t.tokens[0]]))
        elif t.kind == "prefix":
            exact.update(t.tokens[:-1])
            prefixes.append(t.tokens[-1])
        else:
            exact.update(t.tokens)
    return exact, prefixes


def snippet(
    text_: str, exact: set[str], prefixes: list[str], *, whole: bool = False
) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text_`` around its first marked word, and the marked spans within it."""
    spans = [
        (s, e)
        for tok, s, e in tokens_with_spans(text_)
        if whole or tok in exact or any(tok.startswith(p) for p in prefixes)
    ]
    start = 0
    if spans and spans[0][0] > SNIPPET // 3:
        start = spans[0][0] - SNIPPET // 3
        while start > 0 and not text_[start - 1].isspace() and spans[0][0] - start < SNIPPET // 2:
            start -= 1
    end = min(len(text_), start + SNIPPET)
    shown = text_[start:end].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text_) else ""
    marks = [(s - start + len(prefix), e - start + len(prefix)) for s, e in spans if s >= start and e <= end]
    return prefix + shown + suffix, marks


def search(
    conn: Connection, parsed: Parsed, scope: Scope = Scope(), *, limit: int = 20, offset: int = 0
) -> Found:
    """Find what ``parsed`` names within ``scope``: the page ``offset``..``offset + limit`` of the
    ranked hits, the total, and the counts per chat and per account of all hits."""
    started = time.monotonic()
    widen = _widen(conn, parsed) if parsed.node is not None else {}  # matching and marking use it
    sub = matched_select(conn, parsed, scope, widen).subquery()
    d = search_docs
    cols = [
        d.c.id,
        d.c.source,
        d.c.field,
        d.c.message_pk,
        d.c.version,
        d.c.chat_id,
        d.c.account_id,
        d.c.person_id,
        d.c.date_utc,
        d.c.ref,
        sub.c.score,
    ]
    base = select(*cols).join(sub, sub.c.id == d.c.id)
    if parsed.regex is not None:
        rows = conn.execute(base.limit(MAX_REGEX_CANDIDATES + 1)).all()
        if len(rows) > MAX_REGEX_CANDIDATES:
            raise QueryError(
                f"the regular expression would run over more than {MAX_REGEX_CANDIDATES:,} texts: narrow the "
                "query with words, a chat (in:) or a time window (after:, before:)"
            )
        hits = [_row_hit(r) for r in rows]
        _texts(conn, hits)
        _bodies(conn, hits)
        kept = [h for h in hits if parsed.regex.search(h.text)]
        kept.sort(key=lambda h: (-h.score, -(h.date_utc or 0), h.doc_id))
        total = len(kept)
        by_chat = Counter(h.chat_id for h in kept if h.chat_id is not None).most_common(20)
        by_account = Counter(h.account_id for h in kept if h.account_id is not None).most_common(20)
        page = kept[offset : offset + limit]
    else:
        # One pass over every hit for the total and both tallies.
        by_chat_n: Counter[int] = Counter()
        by_account_n: Counter[int] = Counter()
        total = 0
        for chat_id, account_id, n in conn.execute(
            select(d.c.chat_id, d.c.account_id, func.count())
            .join(sub, sub.c.id == d.c.id)
            .group_by(d.c.chat_id, d.c.account_id)
        ):
            total += n
            if chat_id is not None:
                by_chat_n[chat_id] += n
            if account_id is not None:
                by_account_n[account_id] += n
        rows = conn.execute(
            base.order_by(sub.c.score.desc(), d.c.date_utc.desc().nulls_last(), d.c.id)
            .limit(limit)
            .offset(offset)
        ).all()
        page = [_row_hit(r) for r in rows]
        by_chat = sorted(by_chat_n.items(), key=lambda x: (-x[1], x[0]))[:20]
        by_account = sorted(by_account_n.items(), key=lambda x: (-x[1], x[0]))[:20]
        _texts(conn, page)
        _bodies(conn, page)
    _hidden(conn, page)
    exact, prefixes = _marker(parsed.positive_terms(), widen)
    for h in page:
        if h.hidden:
            h.snippet, h.marks = HIDDEN, []
            continue
        whole = h.field in ("phone", "email", "ip")
        if (
            parsed.regex is not None
            and (m := parsed.regex.search(h.text)) is not None
            and not exact
            and not prefixes
        ):
            h.snippet, h.marks = _regex_snippet(h.text, m.start(), m.end())
        else:
            h.snippet, h.marks = snippet(h.text, exact, prefixes, whole=whole)
    return Found(total, page, by_chat, by_account, time.monotonic() - started)


def _regex_snippet(text_: str, s: int, e: int) -> tuple[str, list[tuple[int, int]]]:
    start = max(0, s - SNIPPET // 3)
    end = min(len(text_), start + SNIPPET)
    prefix = "…" if start > 0 else ""
    return prefix + text_[start:end].replace("\n", " ") + ("…" if end < len(text_) else ""), [
        (s - start + len(prefix), min(e, end) - start + len(prefix))
    ]


def check_index(conn: Connection) -> None:
    """Refuse to search a case whose index is missing (made before search existed)."""
    if (
        conn.execute(select(func.count()).select_from(search_docs)).scalar() == 0
        and conn.execute(select(func.count()).select_from(messages)).scalar()
    ):
        raise VeilleurError("this case has no search index yet: run 'veilleur search --reindex'")


def hits_of(conn: Connection, doc_ids: list[int]) -> list[Hit]:
    """The documents ``doc_ids`` as hits with their texts, citations and whole-text snippets
    (sensitive message texts hidden): what a keyword run's view shows."""
    d = search_docs
    rows: dict[int, Any] = {}
    for part in chunks(doc_ids):
        for r in conn.execute(select(d).where(d.c.id.in_(part))):
            rows[r.id] = r
    hits = [_row_hit(rows[i]) for i in doc_ids if i in rows]
    _texts(conn, hits)
    _bodies(conn, hits)
    _hidden(conn, hits)
    for h in hits:
        h.snippet, h.marks = (HIDDEN, []) if h.hidden else snippet(h.text, set(), [])
    return hits
