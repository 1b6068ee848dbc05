"""An indicators run: every message text of the case scanned once, its hits stored as a new run.

A run reads ``messages`` in pages by primary key (bounded memory, whatever the size of the case),
scans each text (:class:`~veilleur.analysis.indicators.matcher.Matcher`), and writes the hits to
``indicator_hits`` under a new ``run_id`` — the largest run id seen plus one — in one
transaction, with its ``indicators`` audit entry (counts, the rule set's digest: never text).
Earlier runs' rows stay; the case's *current* hits are the latest run's, recorded in
``case_meta`` (``indicators.current_run``) so that a run that found nothing still replaces the
one before it.

Then the earlier versions of edited messages (``message_versions``: a message seen with another
text in an earlier export) are scanned too. What a sender wrote and later edited away is still what
they wrote; a hit found there, by a rule that the current text does not also match, is stored with
its ``version``, and is cited from the export that showed that version.

Hits are offsets, never copies: the text stays in ``messages.text`` (or ``message_versions.text``)
and is cut out when it may be shown (:mod:`veilleur.analysis.indicators.hits`).

Concurrency: a run holds the write lock from its start (PostgreSQL: a lock on ``indicator_hits``
that lets readers through; SQLite: the database's write lock, so other writers wait for it), so
two runs never share a run id. On SQLite other writes — imports, and the audit entries of views —
wait for the run to commit (at most 60 s, then they fail and can be retried).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from veilleur.analysis.indicators.matcher import Match, Matcher, ScanStats
from veilleur.analysis.indicators.rules import ruleset_digest
from veilleur.case import Case
from veilleur.custody.audit import SQLITE_WAIT_MS, AuditPosition, record, witness
from veilleur.store.bulk import insert_rows
from veilleur.store.schema import case_meta, indicator_hits, message_versions, messages

__all__ = ["CURRENT_RUN_KEY", "IndicatorReport", "current_run", "run_indicators"]

CURRENT_RUN_KEY = "indicators.current_run"
PAGE = 5_000
"""Messages read per query: the most texts held in memory at once."""
BATCH = 5_000
"""Hits written per insert."""

_COLUMNS = (
    "run_id",
    "message_pk",
    "indicator",
    "rule",
    "language",
    "span_start",
    "span_end",
    "sensitive",
    "confidence",
    "version",
)


@dataclass
class IndicatorReport:
    """What a run did, in counts (what its audit entry records)."""

    run_id: int
    ruleset: str
    rules: int
    messages: int = 0  # messages with text, scanned
    messages_with_hits: int = 0
    hits: int = 0
    earlier_versions: int = 0  # earlier texts of edited messages, scanned
    hits_in_earlier_versions: int = 0  # of ``hits``: found only in a text since edited away
    by_indicator: Counter[str] = field(default_factory=Counter)
    by_confidence: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    dropped_by_guard: Counter[str] = field(default_factory=Counter)  # disclosures left out
    lowered_by_guard: Counter[str] = field(default_factory=Counter)  # sensitive hits kept at low
    seconds: float = 0.0
    position: AuditPosition | None = None

    @property
    def rate(self) -> float:
        """Messages scanned per second (reading, matching and writing together)."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ruleset": self.ruleset,
            "rules": self.rules,
            "messages": self.messages,
            "messages_with_hits": self.messages_with_hits,
            "hits": self.hits,
            "earlier_versions": self.earlier_versions,
            "hits_in_earlier_versions": self.hits_in_earlier_versions,
            "by_indicator": dict(sorted(self.by_indicator.items())),
            "by_confidence": dict(sorted(self.by_confidence.items())),
            "by_language": dict(sorted(self.by_language.items())),
            "by_rule": dict(sorted(self.by_rule.items())),
            "dropped_by_guard": dict(sorted(self.dropped_by_guard.items())),
            "lowered_by_guard": dict(sorted(self.lowered_by_guard.items())),
            "seconds": round(self.seconds, 3),
            "messages_per_second": round(self.rate, 1),
        }


def current_run(conn: Connection) -> int | None:
    """The run whose hits are the case's current ones (None: never run)."""
    value = conn.execute(select(case_meta.c.value).where(case_meta.c.key == CURRENT_RUN_KEY)).scalar()
    if value is not None:
        return int(value)
    found = conn.execute(select(func.max(indicator_hits.c.run_id))).scalar()
    return int(found) if found is not None else None


def _lock(conn: Connection) -> None:
    """Take the write lock before reading the last run id (see the module's documentation)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE indicator_hits IN SHARE ROW EXCLUSIVE MODE")
    else:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
        conn.exec_driver_sql("DELETE FROM indicator_hits WHERE 1 = 0")  # a write: takes the lock


def _next_run(conn: Connection) -> int:
    stored = conn.execute(select(func.max(indicator_hits.c.run_id))).scalar() or 0
    return max(int(stored), current_run(conn) or 0) + 1


def _set_current(conn: Connection, run_id: int) -> None:
    done = conn.execute(
        update(case_meta).where(case_meta.c.key == CURRENT_RUN_KEY).values(value=str(run_id))
    ).rowcount
    if not done:
        conn.execute(insert(case_meta).values(key=CURRENT_RUN_KEY, value=str(run_id)))


def _rows(report: IndicatorReport, pk: int, found: list[Match], version: int | None) -> list[tuple[Any, ...]]:
    out = []
    for m in found:
        r = m.rule
        out.append(
            (
                report.run_id,
                pk,
                r.indicator,
                r.id,
                r.language,
                m.start,
                m.end,
                r.sensitive,
                m.confidence,
                version,
            )
        )
        report.by_indicator[r.indicator] += 1
        report.by_confidence[m.confidence] += 1
        report.by_language[r.language] += 1
        report.by_rule[r.id] += 1
    return out


def _earlier_versions(
    conn: Connection, matcher: Matcher, report: IndicatorReport, current: dict[int, set[str]]
) -> Iterator[tuple[int, int, list[Match]]]:
    """Per earlier version of an edited message, the hits of rules that neither the current text
    nor an earlier version of the same message already matched: a disclosure kept, or reworded,
    through three edits is one hit — on the current text if it still holds it, else in the version
    that first showed it. (Its other wordings stay readable in ``message_versions``.) ``current``:
    the rules the current text of each edited message matched, from the first pass."""
    v = message_versions
    query = (
        select(v.c.message_pk, v.c.version, v.c.text)
        .join(messages, messages.c.id == v.c.message_pk)
        .where(v.c.text != messages.c.text, v.c.text != "")
    )
    seen_pk: int | None = None
    seen: set[str] = set()
    after = (-1, -1)
    while True:
        page = conn.execute(
            query.where(
                or_(v.c.message_pk > after[0], and_(v.c.message_pk == after[0], v.c.version > after[1]))
            )
            .order_by(v.c.message_pk, v.c.version)
            .limit(PAGE)
        ).all()
        for pk, version, text in page:
            report.earlier_versions += 1
            if pk != seen_pk:
                seen_pk, seen = pk, set(current.get(pk, ()))
            found = matcher.scan(text)
            new = [m for m in found if m.rule.id not in seen]
            seen |= {m.rule.id for m in found}
            if new:
                yield int(pk), int(version), new
        if len(page) < PAGE:
            return
        after = (int(page[-1][0]), int(page[-1][1]))


def run_indicators(case: Case, *, operator: str, matcher: Matcher | None = None) -> IndicatorReport:
    """Scan every message text of ``case`` and store the hits as a new run; return its report.

    The run and its ``indicators`` audit entry commit together, then the entry is witnessed.
    """
    matcher = matcher or Matcher()
    matcher.stats = ScanStats()
    started = time.perf_counter()
    with case.engine.begin() as conn:
        _lock(conn)
        report = IndicatorReport(_next_run(conn), ruleset_digest(), len(matcher.rules))
        rows: list[tuple[Any, ...]] = []
        last: int | None = None
        current: dict[int, set[str]] = {}  # rules matched in edited messages' current text
        while True:
            query = select(messages.c.id, messages.c.text, messages.c.n_versions).where(messages.c.text != "")
            if last is not None:
                query = query.where(messages.c.id > last)
            page = conn.execute(query.order_by(messages.c.id).limit(PAGE)).all()
            for pk, text, n_versions in page:
                report.messages += 1
                found = matcher.scan(text)
                if found:
                    report.messages_with_hits += 1
                    rows.extend(_rows(report, pk, found, None))
                    if n_versions > 1:
                        current[pk] = {m.rule.id for m in found}
            if len(rows) >= BATCH:
                insert_rows(conn, indicator_hits, _COLUMNS, rows)
                report.hits += len(rows)
                rows = []
            if len(page) < PAGE:
                break
            last = int(page[-1][0])
        for pk, version, found in _earlier_versions(conn, matcher, report, current):
            rows.extend(_rows(report, pk, found, version))
            report.hits_in_earlier_versions += len(found)
            if len(rows) >= BATCH:
                insert_rows(conn, indicator_hits, _COLUMNS, rows)
                report.hits += len(rows)
                rows = []
        insert_rows(conn, indicator_hits, _COLUMNS, rows)
        report.hits += len(rows)
        _set_current(conn, report.run_id)
        report.dropped_by_guard = Counter(matcher.stats.dropped)
        report.lowered_by_guard = Counter(matcher.stats.lowered)
        report.seconds = time.perf_counter() - started
        report.position = record(conn, "indicators", operator=operator, details=report.to_dict())
    witness(case, report.position)
    return report
