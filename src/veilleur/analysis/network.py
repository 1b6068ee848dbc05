"""The network around an offender: everyone who exchanged flagged material with an account (or a
set of accounts, or within a chat), with the evidence per person and each kind of link labelled.

Kinds of link, from the strongest:

* ``private: sent to them`` / ``private: received from them`` — a flagged file in a private chat
  between them;
* ``reply`` — a flagged file sent in reply to the other's message, or the other replying with one;
* ``forward`` — one forwarded the other's flagged item (the origin resolved from the forward);
* ``group: they were a member`` / ``group: they sent, while a member too`` — a flagged file sent
  in a group while the other was a member, as far as the data shows (each membership with its
  basis, recorded or inferred).

The first three are *direct*; group links are through a shared group. Accounts of the set itself
are never their own counterparts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from veilleur.analysis.exchanges import Exchange, flagged_exchanges, index_exchanges
from veilleur.store.lookups import account_keys

__all__ = ["DIRECT_KINDS", "Counterpart", "Link", "exchanged_with", "exchanges_in_chat"]

DIRECT_KINDS = frozenset({"private: sent to them", "private: received from them", "reply", "forward"})


@dataclass(frozen=True)
class Link:
    kind: str
    exchange: Exchange
    detail: str  # the basis: how the counterpart took part


@dataclass
class Counterpart:
    account_id: int
    key: str
    links: list[Link] = field(default_factory=list)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({link.kind for link in self.links}))

    @property
    def direct(self) -> bool:
        return any(link.kind in DIRECT_KINDS for link in self.links)

    @property
    def sent(self) -> int:
        """Exchanges in which the counterpart sent flagged material (distribution)."""
        return len(
            {link.exchange.message_pk for link in self.links if link.exchange.sender_id == self.account_id}
        )

    @property
    def received(self) -> int:
        """Exchanges in which the counterpart was a recipient (possession)."""
        return len(
            {
                link.exchange.message_pk
                for link in self.links
                if self.account_id in link.exchange.recipient_map
            }
        )


def _links(e: Exchange, targets: set[int]) -> list[tuple[int, str, str]]:
    """(counterpart, kind, detail) of one exchange with respect to the target accounts."""
    out: list[tuple[int, str, str]] = []
    sender = e.sender_id
    recipients = e.recipient_map
    if e.setting == "private":
        if sender in targets:
            out += [(a, "private: sent to them", p.basis) for a, p in recipients.items() if a not in targets]
        elif sender is not None and not targets.isdisjoint(recipients):
            out.append((sender, "private: received from them", "sent it in their private chat"))
    if e.reply_to_sender_id is not None and sender is not None and e.reply_to_sender_id != sender:
        if sender in targets and e.reply_to_sender_id not in targets:
            out.append(
                (e.reply_to_sender_id, "reply", f"sent in reply to their message #{e.reply_to_message_id}")
            )
        elif e.reply_to_sender_id in targets and sender not in targets:
            out.append((sender, "reply", f"replied with it to message #{e.reply_to_message_id}"))
    origin = e.forward_origin_id
    if origin is not None and sender is not None and origin != sender:
        basis = f"forwarded from {e.forward_origin.name!r} ({e.forward_origin.basis})"  # type: ignore[union-attr]
        if sender in targets and origin not in targets:
            out.append((origin, "forward", f"their item, {basis}"))
        elif origin in targets and sender not in targets:
            out.append((sender, "forward", basis))
    if e.setting == "group":
        if sender in targets:
            out += [
                (a, "group: they were a member", p.basis) for a, p in recipients.items() if a not in targets
            ]
        elif sender is not None and not targets.isdisjoint(recipients):
            member = next(recipients[a] for a in sorted(targets) if a in recipients)
            out.append(
                (sender, "group: they sent, while a member too", f"target's membership: {member.basis}")
            )
    return out


def exchanged_with(
    conn: Connection, account_ids: Iterable[int], exchanges: Sequence[Exchange] | None = None
) -> list[Counterpart]:
    """Everyone who exchanged flagged material with any of ``account_ids``: direct first, then by
    number of exchanges.

    Give the case's :class:`~veilleur.analysis.exchanges.ExchangeIndex` when asking for many
    accounts: only the targets' own exchanges are then read.
    """
    targets = set(account_ids)
    index = index_exchanges(exchanges if exchanges is not None else flagged_exchanges(conn))
    found: dict[int, Counterpart] = {}
    for e in index.of(targets):
        for account_id, kind, detail in _links(e, targets):
            found.setdefault(account_id, Counterpart(account_id, "")).links.append(Link(kind, e, detail))
    keys = account_keys(conn, found)
    for c in found.values():
        c.key = keys.get(c.account_id, f"account #{c.account_id}")
    return sorted(found.values(), key=lambda c: (not c.direct, -len(c.links), c.key))


def exchanges_in_chat(chat_id: int, exchanges: Sequence[Exchange]) -> list[Exchange]:
    """The exchanges of one chat, by time (each with its sender and recipients)."""
    return [e for e in exchanges if e.chat_id == chat_id]
