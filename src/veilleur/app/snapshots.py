"""The case-wide analyses that many views share, computed once per state of the case.

Every view of the network, an account's page, an edge's exchanges and the roles start from the
same two analyses: the flagged exchanges (``flagged_exchanges``) and the network measures over
them (``analyse_network``). On the 1,000,000-message benchmark case they take about 5 s and 15 s;
computed per request they would make every page wait. They change only when the case's
evidence does — an import, a hashing or matching run, a list imported, records imported, a
schema upgrade — and every such change is an audit entry written in the change's own
transaction. So the position of the latest of those entries is the state they were computed at
(:func:`data_mark`): a snapshot is reused while it is the same, and recomputed (once, whoever asks
first; the others wait for it) when it moves. A note, a link decision or a ranking does not move
it; what depends on those too (an account's page) adds :func:`change_mark`, the latest change of
any kind, to its memo's name.

Snapshots live in the process (a web worker keeps its cases open); the command line, one question
per process, computes them as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import networkx as nx
from sqlalchemy import ColumnElement, Connection, and_, not_, select

from veilleur.analysis.exchanges import ExchangeIndex, flagged_exchanges
from veilleur.analysis.graph import NetworkAnalysis, analyse_network
from veilleur.analysis.propagation import Item, media_items, possibly_new_material
from veilleur.app.session import CaseSession
from veilleur.store.schema import audit_log

__all__ = [
    "case_analysis",
    "case_exchanges",
    "case_layout",
    "case_propagation",
    "change_mark",
    "data_mark",
    "layout",
    "memo",
]

DATA_ACTIONS = ("import", "hash", "match", "lists.import", "records.import", "case.upgrade", "case.init")
"""The audit actions that change what the exchanges, the network and the summary are made of."""

T = TypeVar("T")
MAX_MEMOS = 256  # ego layouts and the like: past this, start again rather than grow

READS = ("access.refused", "audit.verify")
"""Entries that record a read, not a change (besides every ``view.*``)."""


@dataclass
class _Snapshot:
    lock: threading.RLock = field(default_factory=threading.RLock)  # a memo may ask for the exchanges
    mark: int | None = None
    exchanges: ExchangeIndex | None = None
    analysis: NetworkAnalysis | None = None
    layout: dict[int, tuple[float, float]] | None = None
    other: dict[str, Any] = field(default_factory=dict)


_SNAPSHOTS: dict[str, _Snapshot] = {}
_GUARD = threading.Lock()


def _latest(conn: Connection, condition: ColumnElement[bool]) -> int:
    seq = conn.execute(
        select(audit_log.c.seq).where(condition).order_by(audit_log.c.seq.desc()).limit(1)
    ).scalar()
    return int(seq or 0)


def change_mark(conn: Connection) -> int:
    """The sequence number of the case's latest change (0: none yet)."""
    return _latest(conn, and_(not_(audit_log.c.action.like("view.%")), audit_log.c.action.not_in(READS)))


def data_mark(conn: Connection) -> int:
    """The sequence number of the latest change to the case's evidence (:data:`DATA_ACTIONS`)."""
    return _latest(conn, audit_log.c.action.in_(DATA_ACTIONS))


def _snapshot(session: CaseSession) -> _Snapshot:
    with _GUARD:
        return _SNAPSHOTS.setdefault(session.case.database_url, _Snapshot())


def case_exchanges(session: CaseSession, conn: Connection) -> ExchangeIndex:
    """The case's flagged exchanges as of now (a snapshot while the case has not changed)."""
    snap = _snapshot(session)
    mark = data_mark(conn)
    with snap.lock:
        if snap.mark != mark or snap.exchanges is None:
            snap.exchanges, snap.analysis, snap.layout, snap.mark = flagged_exchanges(conn), None, None, mark
            snap.other = {}
        return snap.exchanges


def case_analysis(session: CaseSession, conn: Connection) -> NetworkAnalysis:
    """The network measures over :func:`case_exchanges` (the same snapshot)."""
    exchanges = case_exchanges(session, conn)
    snap = _snapshot(session)
    with snap.lock:
        if snap.analysis is None or snap.exchanges is not exchanges:
            snap.analysis, snap.layout = analyse_network(conn, exchanges), None
        return snap.analysis


def memo(session: CaseSession, conn: Connection, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept with the snapshot: what else a view derives from the case's state only
    (its summary, its media items), recomputed when the case changes."""
    case_exchanges(session, conn)  # brings the snapshot to the case's state
    snap = _snapshot(session)
    with snap.lock:
        if name not in snap.other:
            if len(snap.other) > MAX_MEMOS:
                snap.other.clear()
            snap.other[name] = compute()
        return cast(T, snap.other[name])


def case_propagation(session: CaseSession, conn: Connection) -> tuple[list[Item], list[Item]]:
    """The case's media items and, of them, the possibly new material (one snapshot's)."""

    def both() -> tuple[list[Item], list[Item]]:
        items = media_items(conn)
        return items, possibly_new_material(items, case_exchanges(session, conn))

    return memo(session, conn, "propagation", both)


def case_layout(session: CaseSession, conn: Connection) -> dict[int, tuple[float, float]]:
    """Positions of every account of the whole exchange network, laid out once per snapshot (a
    force-directed layout of 5,000 accounts takes seconds), so that every view of it, capped or
    not, places an account at the same point."""
    analysis = case_analysis(session, conn)
    snap = _snapshot(session)
    with snap.lock:
        if snap.layout is None:
            snap.layout = layout(analysis.graph)
        return snap.layout


def layout(graph: nx.DiGraph) -> dict[int, tuple[float, float]]:
    """A seeded force-directed layout (the same positions for the same graph)."""
    if not len(graph):
        return {}
    pos = nx.spring_layout(graph, seed=0, iterations=50 if len(graph) < 1000 else 25)
    return {a: (round(float(p[0]), 4), round(float(p[1]), 4)) for a, p in pos.items()}
