"""Who was in a group when, as far as the data shows, and on what evidence.

Exports hold no member lists over time, only traces of them:

* **recorded** membership changes, from service messages: ``create_group`` (the creator and the
  members named), ``invite_members`` (the members named), ``join_group_by_link`` and
  ``join_group_by_request`` (the actor), ``remove_members`` (the members named; a member removing
  themself has left). Members are named, not identified, in these messages: a name counts only
  when it resolves to exactly one account (:class:`~veilleur.analysis.names.NameIndex`);
* **inferred** membership, from activity: an account that posted in the chat was a member from
  (at the latest) its first post, and, when no join of it is recorded, also before it.

:meth:`ChatMembership.presence` applies them in that order and says which one it used, so that a
recipient of a group message is never asserted without its basis.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import orjson
from sqlalchemy import Connection, func, select

from veilleur.analysis.names import NameIndex
from veilleur.store.lookups import chunks
from veilleur.store.schema import messages
from veilleur.timefmt import iso_utc

__all__ = ["Activity", "ChatMembership", "MemberEvent", "Presence", "load_membership"]

JOIN_ACTIONS = ("create_group", "invite_members", "join_group_by_link", "join_group_by_request")
LEAVE_ACTIONS = ("remove_members",)


@dataclass(frozen=True)
class MemberEvent:
    """A recorded membership change of one account, with the service message behind it."""

    account_id: int
    at: int
    joined: bool
    how: str  # "created the group", "joined by link", "invited by …", "removed", "left"
    message_id: int  # the service message (chat-local id)


@dataclass(frozen=True)
class Activity:
    account_id: int
    first_utc: int
    last_utc: int
    n_messages: int


@dataclass(frozen=True)
class Presence:
    """An account taken to be a member at some time, and why."""

    account_id: int
    recorded: bool  # a service message says so (else: inferred from activity)
    basis: str
    message_id: int | None = None


@dataclass
class ChatMembership:
    chat_id: int
    events: dict[int, list[MemberEvent]] = field(default_factory=dict)  # by account, in time order
    activity: dict[int, Activity] = field(default_factory=dict)
    _event_times: dict[int, list[int]] = field(default_factory=dict, repr=False, compare=False)
    _sorted_accounts: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def accounts(self) -> set[int]:
        return set(self.events) | set(self.activity)

    def presence(self, account_id: int, at: int) -> Presence | None:
        """Whether ``account_id`` was a member at ``at`` (epoch seconds), and on what basis."""
        events = self.events.get(account_id)
        if events:
            i = bisect_right(self._times(account_id), at)
            if i:
                last = events[i - 1]
                return _after(last) if last.joined else None
            # nothing recorded before: the first recorded change decides
            return None if events[0].joined else _until(events[0])
        act = self.activity.get(account_id)
        if act is None:
            return None
        return _posted(act, act.first_utc <= at)

    def _times(self, account_id: int) -> list[int]:
        # A group message asks about every member: the event times are kept, not rebuilt.
        times = self._event_times.get(account_id)
        if times is None:
            times = self._event_times[account_id] = [e.at for e in self.events[account_id]]
        return times

    def members_at(self, at: int, *, excluding: Iterable[int] = ()) -> list[Presence]:
        skip = set(excluding)
        if self._sorted_accounts is None:
            self._sorted_accounts = sorted(self.accounts)
        found = (self.presence(a, at) for a in self._sorted_accounts if a not in skip)
        return [p for p in found if p is not None]


# The same few bases serve thousands of exchanges of one group: each is made once (bounded, so a
# long-lived server does not keep every case's).
@lru_cache(maxsize=1 << 16)
def _after(event: MemberEvent) -> Presence:
    return Presence(event.account_id, True, f"{event.how} on {_day(event.at)}", event.message_id)


@lru_cache(maxsize=1 << 16)
def _until(event: MemberEvent) -> Presence:
    return Presence(
        event.account_id, True, f"a member until {event.how} on {_day(event.at)}", event.message_id
    )


@lru_cache(maxsize=1 << 16)
def _posted(act: Activity, before: bool) -> Presence:
    span = f"{act.n_messages} messages in the chat, {_day(act.first_utc)} to {_day(act.last_utc)}"
    if before:
        return Presence(act.account_id, False, f"posted before: {span}")
    return Presence(act.account_id, False, f"posted later with no join recorded: {span}")


def _day(t: int) -> str:
    return (iso_utc(t) or "?")[:10]


def load_membership(
    conn: Connection, chat_ids: Iterable[int], names: NameIndex | None = None
) -> dict[int, ChatMembership]:
    """Membership evidence of each chat in ``chat_ids``: service messages and per-account activity."""
    wanted = sorted(set(chat_ids))
    out = {c: ChatMembership(c) for c in wanted}
    if not wanted:
        return out
    names = names or NameIndex(conn)
    m = messages
    events: defaultdict[tuple[int, int], list[MemberEvent]] = defaultdict(list)
    for chunk in chunks(wanted):
        for chat_id, mid, sender, at, action, details in conn.execute(
            select(m.c.chat_id, m.c.message_id, m.c.sender_id, m.c.date_utc, m.c.action, m.c.details).where(
                m.c.chat_id.in_(chunk),
                m.c.kind == "service",
                m.c.action.in_(JOIN_ACTIONS + LEAVE_ACTIONS),
                m.c.date_utc.is_not(None),
            )
        ):
            for ev in _events(mid, sender, at, action, details, names):
                events[(chat_id, ev.account_id)].append(ev)
        for chat_id, sender, first, last, n in conn.execute(
            select(m.c.chat_id, m.c.sender_id, func.min(m.c.date_utc), func.max(m.c.date_utc), func.count())
            .where(m.c.chat_id.in_(chunk), m.c.sender_id.is_not(None), m.c.date_utc.is_not(None))
            .group_by(m.c.chat_id, m.c.sender_id)
        ):
            out[chat_id].activity[sender] = Activity(sender, first, last, n)
    for (chat_id, account_id), evs in events.items():
        out[chat_id].events[account_id] = sorted(evs, key=lambda e: (e.at, e.message_id))
    return out


def _events(
    mid: int, sender: int | None, at: int, action: str, details: str | None, names: NameIndex
) -> list[MemberEvent]:
    d = orjson.loads(details) if details else {}
    named = [n for n in d.get("members") or [] if isinstance(n, str)]
    out: list[MemberEvent] = []

    def add(account_id: int | None, joined: bool, how: str) -> None:
        if account_id is not None:
            out.append(MemberEvent(account_id, at, joined, how, mid))

    if action in ("join_group_by_link", "join_group_by_request"):
        add(sender, True, "joined by link" if action == "join_group_by_link" else "joined by request")
    elif action == "create_group":
        add(sender, True, "created the group")
        for n in named:
            r = names.resolve(n)
            if r.account_id != sender:
                add(r.account_id, True, f"named a member at creation ({r.basis})")
    elif action == "invite_members":
        for n in named:
            r = names.resolve(n)
            if r.account_id == sender:
                add(sender, True, "added themself")
            else:
                add(r.account_id, True, f"invited ({r.basis})")
    elif action == "remove_members":
        for n in named:
            r = names.resolve(n)
            add(r.account_id, False, "left" if r.account_id == sender else f"removed ({r.basis})")
    return out
