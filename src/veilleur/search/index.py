"""The case's search index, kept current: :func:`refresh` indexes whatever changed since it last ran.

It is called by every import of exports and records (:mod:`veilleur.app`), and may be called at any
time: it is idempotent and resumable (each batch commits on its own).

* **Messages**: one ``text`` document per message (its text, captions included), plus one per
  poll, per file name, and per phone number, e-mail address or IP address written in it (each
  normalised as the records' rules do, so ``phone:`` finds a number written ``06 12 34 56 78``
  in a message and the same number in a lawful return). A message is re-indexed when its
  ``content_hash`` differs from the one indexed (a later export edited it).
* **Earlier versions** of edited messages: one ``version`` document each, cited to the export that
  showed that text.
* **Names, chats, identifiers, contacts, sessions**: display names and usernames over time, chat
  titles, the identifiers of lawful returns and identity records, the contacts and sessions of
  full-account exports. These tables are small next to the messages: rebuilt whole each time.

Deletion flags are not indexed: a search reads ``messages.possibly_deleted`` when it shows a hit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import phonenumbers
from sqlalchemy import Connection, delete, func, select

from veilleur.records import normalise as norm
from veilleur.search.tokens import ALL_MARKER, exact_token, field_marker, stems, tokens
from veilleur.store.bulk import insert_rows
from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    account_identifiers,
    account_names,
    chat_names,
    chats,
    exporter_records,
    identity_records,
    media,
    message_versions,
    messages,
    search_docs,
    search_terms,
)

__all__ = ["SMALL_SOURCES", "IndexReport", "doc_tokens", "identifiers_in", "refresh"]

BATCH = 5_000
DOC_COLUMNS = (
    "id",
    "source",
    "field",
    "message_pk",
    "version",
    "chat_id",
    "account_id",
    "person_id",
    "date_utc",
    "content_hash",
    "ref",
    "body",
)
SMALL_SOURCES = ("name", "chat", "identifier", "person", "contact", "session")
IDENTIFIER_FIELDS = ("phone", "email", "ip")

_DIGITS = re.compile(r"\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![:\w])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![:\w])")


@dataclass
class IndexReport:
    messages: int = 0
    versions: int = 0
    small: int = 0
    documents: int = 0
    terms_added: int = 0
    seconds: float = 0.0
    by_field: dict[str, int] = field(default_factory=dict)


def identifiers_in(text: str, region: str = norm.DEFAULT_REGION) -> list[tuple[str, str]]:
    """``(field, normalised value)`` of each phone number, e-mail and IP address written in ``text``."""
    found: list[tuple[str, str]] = []
    if "@" in text:
        for m in _EMAIL.finditer(text):
            try:
                found.append(("email", norm.email(m.group())))
            except norm.Invalid:
                continue
    if "." in text:
        for m in _IPV4.finditer(text):
            try:
                found.append(("ip", norm.ip(m.group())))
            except norm.Invalid:
                continue
    if text.count(":") >= 2:
        for m in _IPV6.finditer(text):
            try:
                found.append(("ip", norm.ip(m.group())))
            except norm.Invalid:
                continue
    if len(_DIGITS.findall(text)) >= 8:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            found.append(
                ("phone", phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
            )
    return list(dict.fromkeys(found))


def doc_tokens(field_name: str, text: str, exact: str | None = None) -> list[str]:
    """The tokens of one document: the markers every query may use, the text's, and for an
    identifier the one token that names it exactly."""
    out = [ALL_MARKER, field_marker(field_name), *tokens(text)]
    if exact is not None:
        out.append(exact_token(field_name, exact))
    return out


@dataclass
class _Doc:
    source: str
    field: str
    text: str
    message_pk: int | None = None
    version: int | None = None
    chat_id: int | None = None
    account_id: int | None = None
    person_id: int | None = None
    date_utc: int | None = None
    content_hash: str | None = None
    ref: str | None = None
    body: str | None = None
    exact: str | None = None


class _Writer:
    """Appends documents with their tokens; deletes documents; knows the backend's structure."""

    def __init__(self, conn: Connection, report: IndexReport) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.report = report
        self.next_id = (
            int(conn.execute(select(func.coalesce(func.max(search_docs.c.id), 0))).scalar() or 0) + 1
        )
        self.known_terms: set[str] = set()

    def delete(self, ids: Iterable[int]) -> None:
        for part in chunks(ids):
            marks = ", ".join(str(int(i)) for i in part)
            if self.pg:
                self.conn.exec_driver_sql(f"DELETE FROM search_tsv WHERE doc_id IN ({marks})")
            else:
                self.conn.exec_driver_sql(f"DELETE FROM search_fts WHERE rowid IN ({marks})")
            self.conn.execute(delete(search_docs).where(search_docs.c.id.in_(part)))

    def write(self, docs: list[_Doc]) -> None:
        if not docs:
            return
        rows: list[tuple[Any, ...]] = []
        toks: list[tuple[int, list[str]]] = []
        for d in docs:
            i = self.next_id
            self.next_id += 1
            rows.append(
                (
                    i,
                    d.source,
                    d.field,
                    d.message_pk,
                    d.version,
                    d.chat_id,
                    d.account_id,
                    d.person_id,
                    d.date_utc,
                    d.content_hash,
                    d.ref,
                    d.body,
                )
            )
            toks.append((i, doc_tokens(d.field, d.text, d.exact)))
            self.report.by_field[d.field] = self.report.by_field.get(d.field, 0) + 1
        insert_rows(self.conn, search_docs, DOC_COLUMNS, rows)
        if self.pg:
            cur = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cur.copy("COPY search_tsv (doc_id, words) FROM STDIN") as copy:
                for i, t in toks:
                    copy.write_row((i, _tsvector(t)))
        else:
            self.conn.exec_driver_sql(
                "INSERT INTO search_fts (rowid, words) VALUES (?, ?)", [(i, " ".join(t)) for i, t in toks]
            )
        self.report.documents += len(docs)
        self._terms({w for _, t in toks for w in t})

    def _terms(self, words: set[str]) -> None:
        new = words - self.known_terms
        if not new:
            return
        self.known_terms |= new
        have: set[str] = set()
        for part in chunks(new):
            have.update(
                self.conn.execute(select(search_terms.c.term).where(search_terms.c.term.in_(part))).scalars()
            )
        rows = []
        for w in sorted(new - have):
            s = stems(w)
            if s is not None:
                rows.append({"term": w, "fr": s[0][:64], "en": s[1][:64]})
        if rows:
            self.conn.execute(search_terms.insert(), rows)
            self.report.terms_added += len(rows)


def _tsvector(toks: list[str]) -> str:
    """A ``tsvector`` literal with the tokens' positions (1-based, as PostgreSQL counts)."""
    at: dict[str, list[int]] = {}
    for n, t in enumerate(toks, 1):
        at.setdefault(t, []).append(min(n, 16_383))
    return " ".join(f"'{t}':{','.join(map(str, p))}" for t, p in at.items())


def _message_docs(r: Any, files: dict[int, list[str]]) -> list[_Doc]:
    base = {"message_pk": r.id, "chat_id": r.chat_id, "account_id": r.sender_id, "date_utc": r.date_utc}
    text = r.text or ""
    out = [_Doc("message", "text", text, content_hash=r.content_hash, **base)]
    if r.details and '"poll"' in r.details:
        try:
            poll = orjson.loads(r.details).get("poll") or {}
        except orjson.JSONDecodeError:
            poll = {}
        parts = [str(poll.get("question") or "")] + [
            str(a.get("text") or "") for a in poll.get("answers") or [] if isinstance(a, dict)
        ]
        if any(parts):
            out.append(_Doc("message", "poll", "\n".join(parts), body="\n".join(parts), **base))
    for name in files.get(r.id, []):
        out.append(_Doc("message", "file", name, body=name, **base))
    for kind, value in identifiers_in(text):
        out.append(_Doc("message", kind, value, body=value, exact=value, **base))
    return out


_MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.chat_id,
    messages.c.sender_id,
    messages.c.date_utc,
    messages.c.text,
    messages.c.details,
    messages.c.content_hash,
)


def _stale_messages(conn: Connection, after: int) -> tuple[list[Any], list[int], int | None]:
    """The messages of the next id range after ``after`` whose text document is missing or was
    made from another content hash, the ids of those messages' earlier documents, and the range's
    last id (None: no message left).

    Two range scans in primary-key order (the messages, then the documents of that id range),
    compared here: a plan that cannot go wrong on either backend, whatever its statistics say."""
    ids = conn.execute(
        select(messages.c.id, messages.c.content_hash)
        .where(messages.c.id > after)
        .order_by(messages.c.id)
        .limit(BATCH)
    ).all()
    if not ids:
        return [], [], None
    first, last = ids[0][0], ids[-1][0]
    d = search_docs
    docs = conn.execute(
        select(d.c.id, d.c.message_pk, d.c.field, d.c.content_hash).where(
            d.c.message_pk.between(first, last), d.c.source == "message"
        )
    ).all()
    indexed = {r.message_pk: r.content_hash for r in docs if r.field == "text"}
    stale = {i for i, h in ids if indexed.get(i) != h}
    old = [r.id for r in docs if r.message_pk in stale]
    rows: list[Any] = []
    for part in chunks(stale):
        rows += conn.execute(select(*_MESSAGE_COLUMNS).where(messages.c.id.in_(part))).all()
    rows.sort(key=lambda r: r.id)
    return rows, old, last


def _index_messages(
    conn_factory: Callable[[], Any], report: IndexReport, progress: Callable[[int], None] | None
) -> None:
    after = 0
    while True:
        with conn_factory() as conn:
            rows, old, last = _stale_messages(conn, after)
            if last is None:
                return
            after = last
            if not rows:
                continue
            w = _Writer(conn, report)
            w.delete(old)  # documents of these messages made from an earlier content
            files: dict[int, list[str]] = {}
            for part in chunks(r.id for r in rows):
                for pk, name in conn.execute(
                    select(media.c.message_pk, media.c.file_name).where(
                        media.c.message_pk.in_(part), media.c.file_name.is_not(None)
                    )
                ):
                    files.setdefault(pk, []).append(name)
            w.write([d for r in rows for d in _message_docs(r, files)])
            report.messages += len(rows)
        if progress is not None:
            progress(report.messages)


def _index_versions(conn: Connection, report: IndexReport) -> None:
    d = search_docs
    done = select(d.c.message_pk, d.c.version).where(d.c.source == "version").subquery()
    v = message_versions
    rows = conn.execute(
        select(
            v.c.message_pk,
            v.c.version,
            v.c.text,
            messages.c.chat_id,
            messages.c.sender_id,
            v.c.edited_utc,
            messages.c.date_utc,
        )
        .join(messages, messages.c.id == v.c.message_pk)
        .outerjoin(done, (done.c.message_pk == v.c.message_pk) & (done.c.version == v.c.version))
        .where(done.c.message_pk.is_(None))
    ).all()
    w = _Writer(conn, report)
    docs = [
        _Doc(
            "version",
            "text",
            r.text or "",
            message_pk=r.message_pk,
            version=r.version,
            chat_id=r.chat_id,
            account_id=r.sender_id,
            date_utc=r.edited_utc or r.date_utc,
        )
        for r in rows
    ]
    for i in range(0, len(docs), BATCH):
        w.write(docs[i : i + BATCH])
    report.versions += len(docs)


def _small_docs(conn: Connection) -> Iterator[_Doc]:
    n = account_names
    for r in conn.execute(
        select(n.c.account_id, n.c.name_kind, n.c.value, func.max(n.c.last_seen_utc).label("seen")).group_by(
            n.c.account_id, n.c.name_kind, n.c.value
        )
    ):
        f = "username" if r.name_kind == "username" else "name"
        yield _Doc(
            "name",
            f,
            r.value,
            account_id=r.account_id,
            date_utc=r.seen,
            body=r.value,
            ref=f"account_names:{r.name_kind}",
            exact=r.value.removeprefix("@").casefold() if f == "username" else None,
        )
    titles: dict[int, set[str]] = {}
    for cid, title in conn.execute(select(chats.c.id, chats.c.title).where(chats.c.title.is_not(None))):
        titles.setdefault(cid, set()).add(title)
    for cid, name in conn.execute(select(chat_names.c.chat_id, chat_names.c.name)):
        titles.setdefault(cid, set()).add(name)
    for cid, names in titles.items():
        for t in sorted(names):
            yield _Doc("chat", "title", t, chat_id=cid, body=t, ref=f"chats#{cid}")
    ai = account_identifiers
    for a in conn.execute(select(ai.c.id, ai.c.account_id, ai.c.kind, ai.c.value, ai.c.first_utc)):
        if a.kind in IDENTIFIER_FIELDS:
            yield _Doc(
                "identifier",
                a.kind,
                a.value,
                account_id=a.account_id,
                date_utc=a.first_utc,
                body=a.value,
                ref=f"account_identifiers#{a.id}",
                exact=a.value,
            )
    ir = identity_records
    for p in conn.execute(select(ir.c.id, ir.c.person_id, ir.c.phones, ir.c.emails)):
        for kind, values in (("phone", p.phones), ("email", p.emails)):
            for value in orjson.loads(values) if values else []:
                yield _Doc(
                    "person",
                    kind,
                    value,
                    person_id=p.person_id,
                    body=value,
                    ref=f"identity_records#{p.id}",
                    exact=value,
                )
    er = exporter_records
    for e in conn.execute(
        select(er.c.id, er.c.section, er.c.account_id, er.c.phone, er.c.ip, er.c.name, er.c.date_utc).where(
            er.c.section.in_(["contacts", "frequent_contacts", "sessions", "web_sessions"])
        )
    ):
        source = "session" if "sessions" in e.section else "contact"
        ref = f"exporter_records#{e.id}"
        if e.name:
            yield _Doc(
                source, "name", e.name, account_id=e.account_id, date_utc=e.date_utc, body=e.name, ref=ref
            )
        if e.phone:
            try:
                value = norm.phone(e.phone)
            except norm.Invalid:
                value = e.phone
            yield _Doc(
                source,
                "phone",
                value,
                account_id=e.account_id,
                date_utc=e.date_utc,
                body=e.phone,
                ref=ref,
                exact=value,
            )
        if e.ip:
            try:
                value = norm.ip(e.ip)
            except norm.Invalid:
                value = e.ip
            yield _Doc(
                source,
                "ip",
                value,
                account_id=e.account_id,
                date_utc=e.date_utc,
                body=e.ip,
                ref=ref,
                exact=value,
            )


def _index_small(conn: Connection, report: IndexReport) -> None:
    old = (
        conn.execute(select(search_docs.c.id).where(search_docs.c.source.in_(SMALL_SOURCES))).scalars().all()
    )
    w = _Writer(conn, report)
    w.delete(old)
    docs = list(_small_docs(conn))
    for i in range(0, len(docs), BATCH):
        w.write(docs[i : i + BATCH])
    report.small += len(docs)


def refresh(engine: Any, *, progress: Callable[[int], None] | None = None) -> IndexReport:
    """Index what changed since the last refresh (see the module's docstring); return the counts."""
    started = time.monotonic()
    report = IndexReport()
    _index_messages(engine.begin, report, progress)
    with engine.begin() as conn:
        _index_versions(conn, report)
        _index_small(conn, report)
    report.seconds = time.monotonic() - started
    return report
