"""Keyword lists, as investigators exchange them, run over the whole case as one job.

A list is a UTF-8 text file, one term a line, each in the query language (a word, ``"a phrase"``,
``prefix*``, ``phone:…``, ``a AND b``); blank lines and lines starting with ``#`` are skipped. A
line that is not a valid query is reported with its line number and skipped. Every hit of every
term is kept (``keyword_hits``) with the run (``keyword_runs``): like the text indicators', the
hits are leads to read, and the run is audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, func, insert, literal, select

from veilleur.digests import read_input_file
from veilleur.errors import BadInput
from veilleur.search.query import QueryError, parse
from veilleur.search.run import Scope, matched_select
from veilleur.store.schema import keyword_hits, keyword_runs, search_docs
from veilleur.timefmt import now_iso

__all__ = ["MAX_TERMS", "KeywordRunReport", "read_terms", "run_keywords"]

MAX_TERMS = 10_000


@dataclass
class KeywordRunReport:
    run_id: int
    list_name: str
    list_sha256: str
    terms: int
    hits: int
    messages: int
    by_term: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "line 7: why"
    seconds: float = 0.0


def read_terms(path: Path) -> tuple[list[tuple[int, str]], list[str], str]:
    """``(line number, term)`` of each term, the lines skipped and why, and the file's SHA-256."""
    read = read_input_file(path, head=0)
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(
            f"a keyword list is UTF-8 text ({e.reason} at byte {e.start})", file=str(path)
        ) from None
    terms: list[tuple[int, str]] = []
    skipped: list[str] = []
    for n, line in enumerate(content.splitlines(), 1):
        term = line.strip()
        if not term or term.startswith("#"):
            continue
        try:
            parse(term)
        except QueryError as e:
            skipped.append(f"line {n}: {e}")
            continue
        terms.append((n, term))
    if len(terms) > MAX_TERMS:
        raise BadInput(f"{len(terms):,} terms: a list holds at most {MAX_TERMS:,}", file=str(path))
    return terms, skipped, read.sha256


def run_keywords(conn: Connection, path: Path, *, operator: str) -> KeywordRunReport:
    """Run every term of the list at ``path``; store the run and its hits in this transaction."""
    started = time.monotonic()
    terms, skipped, digest = read_terms(path)
    run_id = conn.execute(
        insert(keyword_runs).values(
            created_at=now_iso(),
            operator=operator,
            list_name=path.name,
            list_sha256=digest,
            terms=len(terms),
            hits=0,
        )
    ).inserted_primary_key
    assert run_id is not None
    report = KeywordRunReport(int(run_id[0]), path.name, digest, len(terms), 0, 0, skipped=skipped)
    for idx, term in terms:
        matched = matched_select(conn, parse(term), Scope()).subquery()
        # One statement a term: the hits go from the index to the table without passing through here.
        conn.execute(
            insert(keyword_hits).from_select(
                ["run_id", "term_idx", "doc_id", "term", "message_pk"],
                select(
                    literal(report.run_id),
                    literal(idx),
                    search_docs.c.id,
                    literal(term),
                    search_docs.c.message_pk,
                ).join(matched, matched.c.id == search_docs.c.id),
            )
        )
    for term, n in conn.execute(
        select(keyword_hits.c.term, func.count())
        .where(keyword_hits.c.run_id == report.run_id)
        .group_by(keyword_hits.c.term_idx, keyword_hits.c.term)
        .order_by(keyword_hits.c.term_idx)
    ):
        report.by_term[term] = int(n)
        report.hits += int(n)
    for _, term in terms:
        report.by_term.setdefault(term, 0)
    report.messages = int(
        conn.execute(
            select(func.count(keyword_hits.c.message_pk.distinct())).where(
                keyword_hits.c.run_id == report.run_id
            )
        ).scalar()
        or 0
    )
    conn.execute(keyword_runs.update().where(keyword_runs.c.id == report.run_id).values(hits=report.hits))
    report.seconds = time.monotonic() - started
    return report


def latest_run(conn: Connection) -> int | None:
    value = conn.execute(select(func.max(keyword_runs.c.id))).scalar()
    return int(value) if value is not None else None
