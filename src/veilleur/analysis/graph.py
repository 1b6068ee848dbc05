"""Network measures over the exchanges, with networkx: roles, volumes, periods, centrality,
communities, and timelines per account and per chat.

The graph is directed, sender → recipient, one edge per pair weighted by the number of exchanges
(messages carrying flagged files) between them; private and group exchanges are counted apart on
each edge, because receiving a file in a group of forty says less than receiving it alone.

Roles are explainable counts, not a model: each comes with the numbers behind it.

* **distributor** — sent flagged files;
* **receiver** — received flagged files and sent none;
* **requester** — a flagged file was sent in reply to one of its messages (text indicators of
  requests come with the text analysis);
* **administrator** — performed administrative actions in a chat (created it, invited or removed
  members, changed its title or photo, pinned messages), from service messages. A member who
  leaves, or adds themself, is written by Telegram as removing or inviting themself: that is no
  administration.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import orjson
from sqlalchemy import Connection, func, select

from veilleur.analysis.exchanges import Exchange
from veilleur.store.lookups import chunks
from veilleur.store.schema import account_names, messages

__all__ = [
    "AccountStats",
    "NetworkAnalysis",
    "account_timeline",
    "admin_actions",
    "analyse_network",
    "build_graph",
    "chat_timeline",
    "cite_ids",
]

ADMIN_ACTIONS = (
    "create_group",
    "create_channel",
    "migrate_to_supergroup",
    "invite_members",
    "remove_members",
    "edit_group_title",
    "edit_group_photo",
    "delete_group_photo",
    "pin_message",
)


SELF_OR_ADMIN = ("invite_members", "remove_members")
"""Actions that are administration when they name others, and joining or leaving when the actor
names only themself (Telegram writes a member who leaves as removing themself)."""


def admin_actions(conn: Connection, chat_ids: Iterable[int]) -> dict[int, Counter[str]]:
    """Per account, its administrative actions (:data:`ADMIN_ACTIONS`) in these chats, from
    service messages; inviting or removing only themself is not counted (:data:`SELF_OR_ADMIN`)."""
    out: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for part in chunks(chat_ids):
        for sender, action, name, details in conn.execute(
            select(messages.c.sender_id, messages.c.action, messages.c.sender_name, messages.c.details).where(
                messages.c.chat_id.in_(part),
                messages.c.kind == "service",
                messages.c.action.in_(ADMIN_ACTIONS),
                messages.c.sender_id.is_not(None),
            )
        ):
            if action not in SELF_OR_ADMIN or not _on_themself(name, details):
                out[sender][action] += 1
    return dict(out)


def _on_themself(actor: str | None, details: str | None) -> bool:
    named = (orjson.loads(details) if details else {}).get("members") or []
    return bool(actor) and bool(named) and all(n == actor for n in named)


@dataclass
class AccountStats:
    account_id: int
    sent: int = 0  # exchanges sent (distribution)
    sent_private: int = 0
    received: int = 0  # exchanges received (possession)
    received_private: int = 0
    files_sent: set[str] = field(default_factory=set)
    files_received: set[str] = field(default_factory=set)
    requested: int = 0  # flagged files sent in reply to its messages
    admin_actions: Counter[str] = field(default_factory=Counter)
    first_utc: int | None = None
    last_utc: int | None = None
    degree_centrality: float = 0.0
    betweenness: float = 0.0
    community: int | None = None
    """The number of its community, from 1 (the largest): the number every report, dossier, view
    and graph shows, so it is given here once and never renumbered."""

    @property
    def roles(self) -> tuple[str, ...]:
        roles = []
        if self.sent:
            roles.append("distributor")
        if self.received and not self.sent:
            roles.append("receiver")
        if self.requested:
            roles.append("requester")
        if self.admin_actions:
            roles.append("administrator")
        return tuple(roles)

    def seen(self, t: int | None) -> None:
        if t is None:
            return
        self.first_utc = t if self.first_utc is None else min(self.first_utc, t)
        self.last_utc = t if self.last_utc is None else max(self.last_utc, t)


def build_graph(exchanges: Sequence[Exchange]) -> nx.DiGraph:
    """Sender → recipient, weighted by exchanges; edges keep the message ids behind them."""
    g = nx.DiGraph()
    for e in exchanges:
        if e.sender_id is None:
            continue
        g.add_node(e.sender_id)
        for p in e.recipients:
            if g.has_edge(e.sender_id, p.account_id):
                data = g.edges[e.sender_id, p.account_id]
            else:
                g.add_edge(e.sender_id, p.account_id, weight=0, private=0, group=0, messages=[])
                data = g.edges[e.sender_id, p.account_id]
            data["weight"] += 1
            data["private" if e.setting == "private" else "group"] += 1
            data["messages"].append(e.message_pk)
    return g


@dataclass
class NetworkAnalysis:
    graph: nx.DiGraph
    accounts: dict[int, AccountStats]
    communities: list[set[int]]  # largest first: community n (AccountStats.community) is [n - 1]


def analyse_network(
    conn: Connection, exchanges: Sequence[Exchange], *, betweenness_sample: int = 500
) -> NetworkAnalysis:
    """Roles, volumes, periods, centrality and communities of every account in the exchanges.

    Betweenness is exact up to ``betweenness_sample`` nodes and sampled (seeded) beyond, so a
    large case stays fast and every run gives the same figures.
    """
    g = build_graph(exchanges)
    stats: dict[int, AccountStats] = {}

    def of(a: int) -> AccountStats:
        return stats.setdefault(a, AccountStats(a))

    for e in exchanges:
        if e.sender_id is not None:
            s = of(e.sender_id)
            s.sent += 1
            s.sent_private += e.setting == "private"
            s.files_sent.update(e.files)
            s.seen(e.date_utc)
        for p in e.recipients:
            r = of(p.account_id)
            r.received += 1
            r.received_private += e.setting == "private"
            r.files_received.update(e.files)
            r.seen(e.date_utc)
        if e.reply_to_sender_id is not None and e.reply_to_sender_id != e.sender_id:
            of(e.reply_to_sender_id).requested += 1
    for sender, actions in admin_actions(conn, {e.chat_id for e in exchanges}).items():
        if sender in stats or sender in g:
            of(sender).admin_actions.update(actions)
    if len(g):
        for a, v in nx.degree_centrality(g).items():
            of(a).degree_centrality = v
        k = None if len(g) <= betweenness_sample else betweenness_sample
        for a, v in nx.betweenness_centrality(g, k=k, weight=None, seed=0).items():
            of(a).betweenness = v
    communities: list[set[int]] = []
    if g.number_of_edges():
        undirected = nx.Graph()
        for u, v, d in g.edges(data=True):
            w = d["weight"] + (undirected.edges[u, v]["weight"] if undirected.has_edge(u, v) else 0)
            undirected.add_edge(u, v, weight=w)
        communities = sorted(
            (set(c) for c in nx.community.louvain_communities(undirected, weight="weight", seed=0)),
            key=lambda c: (-len(c), min(c)),
        )
        for n, members in enumerate(communities, 1):
            for a in members:
                of(a).community = n
    return NetworkAnalysis(g, stats, communities)


def _month(t: int) -> str:
    g = time.gmtime(t)
    return f"{g.tm_year:04d}-{g.tm_mon:02d}"


def chat_timeline(conn: Connection, chat_id: int, exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    """Per month (UTC): messages, distinct senders and flagged exchanges of one chat."""
    months: dict[str, dict[str, Any]] = defaultdict(lambda: {"messages": 0, "senders": set(), "exchanges": 0})
    rows = conn.execute(
        select(messages.c.date_utc, messages.c.sender_id).where(
            messages.c.chat_id == chat_id, messages.c.date_utc.is_not(None)
        ),
        execution_options={"stream_results": True, "yield_per": 50_000},
    )
    for t, sender in rows:
        m = months[_month(t)]
        m["messages"] += 1
        if sender is not None:
            m["senders"].add(sender)
    for e in exchanges:
        if e.chat_id == chat_id and e.date_utc is not None:
            months[_month(e.date_utc)]["exchanges"] += 1
    return [
        {"month": k, "messages": v["messages"], "senders": len(v["senders"]), "exchanges": v["exchanges"]}
        for k, v in sorted(months.items())
    ]


def cite_ids(ids: Iterable[int], shown: int) -> str:
    """``#12, #15, #18 and 40 more``: message ids in order, the first ``shown`` of them."""
    ordered = sorted(ids)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(f"#{i}" for i in ordered[:shown]) + more


def account_timeline(
    conn: Connection, account_id: int, exchanges: Sequence[Exchange]
) -> list[dict[str, Any]]:
    """Dated events of one account: names first observed; flagged files sent and received, one
    event per day, chat and direction (a member of a busy group receives hundreds: the timeline
    shows when and where, the exchange tables each message)."""
    events: list[dict[str, Any]] = []
    for kind, value, first, last in conn.execute(
        select(
            account_names.c.name_kind,
            account_names.c.value,
            func.min(account_names.c.first_seen_utc),
            func.max(account_names.c.last_seen_utc),
        )
        .where(account_names.c.account_id == account_id)
        .group_by(account_names.c.name_kind, account_names.c.value)
    ):
        events.append(
            {
                "utc": first,
                "event": f"{kind.replace('_', ' ')} {value!r} observed",
                "until_utc": last,
                "messages": None,
            }
        )
    days: defaultdict[tuple[int | None, str, str], list[Exchange]] = defaultdict(list)
    for e in exchanges:
        if e.sender_id == account_id:
            what = "sent flagged media"
        elif account_id in e.recipient_map:
            what = "received flagged media"
        else:
            continue
        day = e.date_utc // 86_400 if e.date_utc is not None else None
        days[(day, e.chat_title or e.chat_key, what)].append(e)
    for (_, chat, what), sends in days.items():
        ids = sorted(e.message_id for e in sends)
        dates = [e.date_utc for e in sends if e.date_utc is not None]
        cited = cite_ids(ids, 5)
        events.append(
            {
                "utc": min(dates, default=None),
                "event": f"{what} in {chat} (message{'s' if len(ids) > 1 else ''} {cited})",
                "until_utc": max(dates) if len(set(dates)) > 1 else None,
                "messages": len(ids),
            }
        )
    return sorted(events, key=lambda x: (x["utc"] is None, x["utc"] or 0, x["event"]))
