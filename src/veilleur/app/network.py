"""Use cases that follow the flagged material: exchanges, the network, roles, propagation, timelines.

Each resolves what the user typed (:mod:`veilleur.app.resolve`), reads, logs the view with the
record keys it was about, and returns results that name accounts by key.
"""

from __future__ import annotations

import networkx as nx
from sqlalchemy import Connection

from veilleur.analysis.exchanges import Exchange
from veilleur.analysis.graph import account_timeline, analyse_network, chat_timeline
from veilleur.analysis.network import exchanged_with
from veilleur.app.resolve import Resolved, resolve_account, resolve_chat
from veilleur.app.results import (
    AccountRef,
    CounterpartOut,
    ExchangeOut,
    ExchangesView,
    GraphEdge,
    GraphNode,
    GraphView,
    NetworkLinkOut,
    NetworkView,
    PartyOut,
    PropagationItem,
    PropagationView,
    RoleRow,
    RolesView,
    SightingOut,
    TimelineView,
)
from veilleur.app.session import CaseSession, use_case
from veilleur.app.snapshots import case_analysis, case_exchanges, case_layout, case_propagation, layout, memo
from veilleur.errors import VeilleurError
from veilleur.matching.results import display_names
from veilleur.store.lookups import account_keys
from veilleur.timefmt import iso_utc, parse_window

__all__ = ["exchange_graph", "exchanges", "network", "propagation", "roles", "timeline"]

GRAPH_EDGES = 20_000
"""Edges drawn at most (the most exchanges first): a group of two thousand members who all
received one file is a million edges, more than a browser can draw or a reader can read."""

GRAPH_LIMIT = 500
"""Accounts drawn at most at once: past it the best-connected are drawn and the rest counted,
so a case of thousands of accounts stays responsive (graphs of peers that do not cap fail there)."""


def _exchange(e: Exchange, keys: dict[int, str]) -> ExchangeOut:
    return ExchangeOut(
        e.chat_key,
        e.chat_title,
        e.message_id,
        iso_utc(e.date_utc),
        e.setting,
        keys.get(e.sender_id) if e.sender_id is not None else None,
        e.sender_name,
        [PartyOut(keys[p.account_id], p.recorded, p.basis, p.message_id) for p in e.recipients],
        e.forwarded_from,
        list(e.files),
        list(e.hits),
        e.citation,
    )


@use_case("exchanges")
def exchanges(
    session: CaseSession,
    *,
    accounts: tuple[str, ...] | list[str] = (),
    chat: str | None = None,
    between: tuple[str, str] | None = None,
) -> ExchangesView:
    """Every exchange of flagged media (sender, recipients and why, matches, citation), optionally
    only those an account took part in, those of one chat, or those one account sent the other
    (``between``, either way: an edge of the network)."""
    with session.reading() as conn:
        named = [resolve_account(conn, a) for a in (*accounts, *(between or ()))]
        in_chat = resolve_chat(conn, chat) if chat is not None else None
        ids = {a.id for a in named}
        pair = (named[-2].id, named[-1].id) if between else None
        found = [
            e
            for e in case_exchanges(session, conn)
            if (not ids or e.sender_id in ids or not ids.isdisjoint(e.recipient_map))
            and (in_chat is None or e.chat_id == in_chat.id)
            and (
                pair is None
                or (e.sender_id == pair[0] and pair[1] in e.recipient_map)
                or (e.sender_id == pair[1] and pair[0] in e.recipient_map)
            )
        ]
        people = {e.sender_id for e in found if e.sender_id is not None}
        people |= {p.account_id for e in found for p in e.recipients}
        keys = account_keys(conn, people)
        names = display_names(conn, people)
    session.log_view(
        "exchanges",
        subject=",".join(a.key for a in named) or (in_chat.key if in_chat else None),
        details={"exchanges": len(found)},
    )
    return ExchangesView(
        [AccountRef(a.key, a.label) for a in named],
        in_chat.key if in_chat else None,
        [_exchange(e, keys) for e in found],
        {keys[i]: n for i, n in names.items() if i in keys},
    )


@use_case("network")
def network(session: CaseSession, accounts: tuple[str, ...] | list[str]) -> NetworkView:
    """Everyone who exchanged flagged material with the accounts, each link with its exchange."""
    if not accounts:
        raise VeilleurError("name at least one account")
    with session.reading() as conn:
        named = [resolve_account(conn, a) for a in accounts]
        around = exchanged_with(conn, [a.id for a in named])
        labels = display_names(conn, {c.account_id for c in around})
    session.log_view("network", subject=",".join(a.key for a in named), details={"found": len(around)})
    return NetworkView(
        [AccountRef(a.key, a.label) for a in named],
        [
            CounterpartOut(
                c.key,
                labels.get(c.account_id),
                list(c.kinds),
                c.direct,
                c.sent,
                c.received,
                [
                    NetworkLinkOut(
                        x.kind, x.detail, x.exchange.chat_key, x.exchange.chat_title, x.exchange.message_id
                    )
                    for x in c.links
                ],
            )
            for c in around
        ],
    )


@use_case("roles")
def roles(session: CaseSession) -> RolesView:
    """Roles, volumes, active period, centrality and community of every account in the exchanges."""
    with session.reading() as conn:
        na = case_analysis(session, conn)
        names = display_names(conn, set(na.accounts))
        keys = account_keys(conn, set(na.accounts))
    session.log_view("roles", details={"accounts": len(na.accounts)})
    rows = sorted(na.accounts.values(), key=lambda s: (-s.sent, -s.received, s.account_id))
    return RolesView(
        [
            RoleRow(
                keys[s.account_id],
                names.get(s.account_id),
                list(s.roles),
                s.sent,
                s.received,
                iso_utc(s.first_utc),
                iso_utc(s.last_utc),
                s.degree_centrality,
                s.betweenness,
                s.community,
            )
            for s in rows
        ]
    )


@use_case("propagation")
def propagation(session: CaseSession, *, new_only: bool = False, limit: int | None = None) -> PropagationView:
    """Where each media item first appeared and how it spread; possibly new material with reasons.
    Items are named by SHA-256 and citations only; ``limit``: the first items only (``total`` says
    how many there are)."""
    with session.reading() as conn:
        items, new = case_propagation(session, conn)
    new_ids = {id(i) for i in new}
    shown = new if new_only else [i for i in items if len(i.sightings) > 1 or i.flagged or id(i) in new_ids]
    total = len(shown)
    shown = shown[:limit] if limit is not None else shown
    session.log_view("propagation", details={"items": len(shown), "total": total, "new_only": new_only})
    return PropagationView(
        new_only,
        total,
        [
            PropagationItem(
                list(i.files),
                i.flagged,
                list(i.reasons),
                [
                    SightingOut(
                        s.chat_key,
                        s.chat_title,
                        s.message_id,
                        iso_utc(s.date_utc),
                        s.sender_key,
                        s.sender_name,
                        s.forwarded_from,
                    )
                    for s in i.sightings
                ],
            )
            for i in shown
        ],
    )


@use_case("timeline")
def timeline(session: CaseSession, *, account: str | None = None, chat: str | None = None) -> TimelineView:
    """The dated events of one account, or one chat's activity per month."""
    if (account is None) == (chat is None):
        raise VeilleurError("give either an account or a chat")
    with session.reading() as conn:
        ex = case_exchanges(session, conn)
        if account is not None:
            who = resolve_account(conn, account)
            rows = account_timeline(conn, who.id, ex.involving(who.id))
            kind = "account"
        else:
            who = resolve_chat(conn, str(chat))
            rows = chat_timeline(conn, who.id, ex)
            kind = "chat"
    session.log_view("timeline", subject=who.key, details={"rows": len(rows)})
    for r in rows:
        if "utc" in r:
            r["utc"] = iso_utc(r["utc"])
            r["until_utc"] = iso_utc(r["until_utc"])
    return TimelineView(kind, who.key, who.label, rows)


@use_case("network")
def exchange_graph(
    session: CaseSession,
    *,
    center: str | None = None,
    depth: int = 1,
    since: str | None = None,
    until: str | None = None,
    limit: int = GRAPH_LIMIT,
) -> GraphView:
    """The exchange network to draw: every account that sent or received flagged material in the
    window (``since``/``until``, ISO dates, UTC), or the ego network of ``center`` within
    ``depth`` steps; at most ``limit`` accounts (the most exchanges first), with positions, roles
    and communities. Clicking an edge asks :func:`exchanges` with ``between``."""
    limit = max(1, min(limit, 5000))
    depth = max(1, min(depth, 3))
    lo, hi = parse_window(since, until)
    with session.reading() as conn:
        who = resolve_account(conn, center) if center else None
        view = memo(
            session,
            conn,
            f"graph:{who.key if who else ''}:{depth}:{lo}:{hi}:{limit}",
            lambda: _graph(session, conn, who, depth, lo, hi, limit, since, until),
        )
    session.log_view(
        "network",
        subject=who.key if who else None,
        details={"accounts": len(view.nodes), "since": since, "until": until},
    )
    return view


def _graph(
    session: CaseSession,
    conn: Connection,
    who: Resolved | None,
    depth: int,
    lo: int | None,
    hi: int | None,
    limit: int,
    since: str | None,
    until: str | None,
) -> GraphView:
    """The graph of :func:`exchange_graph`, computed once per state of the case and question."""
    if lo is None and hi is None:
        na = case_analysis(session, conn)
    else:  # a window of the user's choosing: measured over its own exchanges
        found = [
            e
            for e in case_exchanges(session, conn)
            if (lo is None or (e.date_utc is not None and e.date_utc >= lo))
            and (hi is None or (e.date_utc is not None and e.date_utc < hi))
        ]
        na = analyse_network(conn, found)
    g = na.graph
    if who is not None:
        near = nx.ego_graph(g.to_undirected(as_view=True), who.id, radius=depth) if who.id in g else []
        g = na.graph.subgraph(near)
    total_nodes, total_edges = g.number_of_nodes(), g.number_of_edges()
    weight = {a: na.accounts[a].sent + na.accounts[a].received for a in g}
    keep = sorted(g, key=lambda a: (a != (who.id if who else None), -weight[a], a))[:limit]
    sub = na.graph.subgraph(keep)
    at = case_layout(session, conn) if who is None and lo is None and hi is None else layout(sub)
    keys = account_keys(conn, set(keep))
    names = display_names(conn, set(keep))
    edges = sorted(sub.edges(data=True), key=lambda e: (-e[2]["weight"], e[0], e[1]))
    return GraphView(
        who.key if who else None,
        depth,
        since,
        until,
        total_nodes,
        total_edges,
        len(keep) < total_nodes,
        len(edges) > GRAPH_EDGES,
        [
            GraphNode(
                keys[a],
                names.get(a) or keys[a],
                list(na.accounts[a].roles),
                na.accounts[a].community,
                na.accounts[a].sent,
                na.accounts[a].received,
                at[a][0],
                at[a][1],
            )
            for a in keep
        ],
        [
            GraphEdge(keys[u], keys[v], d["weight"], d["private"], d["group"])
            for u, v, d in edges[:GRAPH_EDGES]
        ],
    )
