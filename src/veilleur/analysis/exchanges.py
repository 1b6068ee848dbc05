"""Exchanges of flagged media: who sent which flagged file to whom, when, where, and why we say so.

An *exchange* is one message carrying a file the current matching run flagged (a positive hit
not suppressed). Its sender is the message's sender; its recipients depend on the chat:

* a **private chat** (personal or bot chat, or a chat of unknown type with at most two
  participants): the other participant — the chat's peer, the owner of the full-account export
  that held it, or the other sender seen in it;
* a **group or channel**: every account that was a member at that time as far as the data shows
  (:mod:`veilleur.analysis.membership`), each with its basis, recorded or inferred;
* **saved messages**: nobody (possession, not distribution).

Sending and receiving are kept apart: an account's exchanges as sender are distribution, as
recipient possession. A forward names where the item came from (``forwarded_from``, an id in
recent exports, else a name resolved only when unambiguous), and :func:`forward_chain` follows it
back through earlier sends of the same file as far as the case holds them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import orjson
from sqlalchemy import Connection, select, tuple_

from veilleur.analysis.membership import ChatMembership, Presence, load_membership
from veilleur.analysis.names import NameIndex, Resolution
from veilleur.matching.results import FlaggedFile, Hit, Sighting, current_run, flagged_files, sightings
from veilleur.sources.telegram_common import parse_peer_id
from veilleur.store.lookups import CHUNK, accounts_by_key, chunks
from veilleur.store.schema import chat_imports, exporter_records, messages

__all__ = ["Exchange", "ExchangeIndex", "Party", "flagged_exchanges", "forward_chain", "index_exchanges"]

PRIVATE_TYPES = frozenset({"personal_chat", "bot_chat"})
SAVED_TYPES = frozenset({"saved_messages"})


@dataclass(frozen=True)
class Party:
    """A recipient of an exchange and why it is one."""

    account_id: int
    recorded: bool  # stated by the data (private chat, a service message) or inferred (activity)
    basis: str
    message_id: int | None = None  # the service message that makes it a member, if any


@dataclass
class Exchange:
    """One message carrying a flagged file, with its parties, citation and the hits behind it."""

    message_pk: int
    chat_id: int
    chat_key: str
    chat_title: str | None
    chat_type: str
    setting: str  # private | group | saved
    message_id: int
    date_utc: int | None
    sender_id: int | None
    sender_name: str | None
    files: list[str]  # SHA-256 of each flagged file the message carries (file, thumbnail)
    recipients: list[Party]
    forwarded_from: str | None
    forward_origin: Resolution | None
    reply_to_message_id: int | None
    reply_to_sender_id: int | None
    evidence_id: int | None
    byte_offset: int | None
    page: str | None
    hits: list[Hit] = field(default_factory=list)

    @property
    def citation(self) -> str:
        where = f"byte {self.byte_offset}" if self.byte_offset is not None else f"page {self.page}"
        return f"evidence #{self.evidence_id}, {where}"

    @cached_property
    def recipient_map(self) -> dict[int, Party]:
        """The recipients by account, built once: a group message has thousands, asked per account."""
        return {p.account_id: p for p in self.recipients}

    @property
    def forward_origin_id(self) -> int | None:
        return self.forward_origin.account_id if self.forward_origin is not None else None

    def involves(self, account_id: int) -> bool:
        """Whether the account sent it or is one of its recipients (not merely replied-to)."""
        return self.sender_id == account_id or account_id in self.recipient_map


class ExchangeIndex(Sequence[Exchange]):
    """The case's exchanges, in time order, with the exchanges of each account.

    Built once per analysis: a per-account question (its counterparts, its dossier, its timeline)
    then costs that account's own exchanges, not a scan of every recipient of every group message
    in the case (1.25M on a 1M-message case, for each of thousands of accounts). An account's
    exchanges are those it sent, received, was replied to by, or was named the forward origin of —
    every way :mod:`veilleur.analysis.network` can link it.
    """

    def __init__(self, exchanges: Iterable[Exchange]) -> None:
        self._all = list(exchanges)
        self._by_account: defaultdict[int, list[int]] = defaultdict(list)
        for i, e in enumerate(self._all):
            ids = set(e.recipient_map)
            for other in (e.sender_id, e.reply_to_sender_id, e.forward_origin_id):
                if other is not None:
                    ids.add(other)
            for a in ids:
                self._by_account[a].append(i)

    def __len__(self) -> int:
        return len(self._all)

    def __getitem__(self, i: int) -> Exchange:  # type: ignore[override]
        return self._all[i]

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self._all)

    def of(self, account_ids: Iterable[int]) -> list[Exchange]:
        """The exchanges linking any of ``account_ids``, in time order, each once."""
        positions: set[int] = set()
        for a in account_ids:
            positions.update(self._by_account.get(a, ()))
        return [self._all[i] for i in sorted(positions)]

    def involving(self, account_id: int) -> list[Exchange]:
        """The exchanges the account sent or received, in time order."""
        return [e for e in self.of([account_id]) if e.involves(account_id)]


def index_exchanges(exchanges: Sequence[Exchange] | None) -> ExchangeIndex:
    """``exchanges`` as an index (as is when it already is one)."""
    if isinstance(exchanges, ExchangeIndex):
        return exchanges
    return ExchangeIndex(exchanges or [])


def _owners(conn: Connection, chat_ids: list[int]) -> dict[int, set[int]]:
    """For each chat, the accounts whose full-account export held it (they are a party to it)."""
    out: defaultdict[int, set[int]] = defaultdict(set)
    for part in chunks(chat_ids):
        for chat_id, owner in conn.execute(
            select(chat_imports.c.chat_id, exporter_records.c.exporter_account_id)
            .join(exporter_records, exporter_records.c.import_id == chat_imports.c.import_id)
            .where(
                chat_imports.c.chat_id.in_(part),
                exporter_records.c.section == "personal_information",
                exporter_records.c.exporter_account_id.is_not(None),
            )
        ):
            out[chat_id].add(owner)
    return out


def _reply_senders(conn: Connection, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int | None]:
    out: dict[tuple[int, int], int | None] = {}
    for part in chunks(pairs, CHUNK // 2):  # two variables a pair
        for chat_id, mid, sender in conn.execute(
            select(messages.c.chat_id, messages.c.message_id, messages.c.sender_id).where(
                tuple_(messages.c.chat_id, messages.c.message_id).in_(part)
            )
        ):
            out[(chat_id, mid)] = sender
    return out


def _origin(s: Sighting, names: NameIndex, by_key: dict[str, int]) -> Resolution | None:
    if s.forwarded_from is None and not (s.details and b"forwarded_from" in s.details.encode()):
        return None
    details = orjson.loads(s.details) if s.details else {}
    peer = parse_peer_id(details.get("forwarded_from_id"))
    if peer is not None and peer.peer_id is not None:
        key = peer.key
        if key in by_key:
            return Resolution(s.forwarded_from or key, by_key[key], "forwarded_from_id of the message")
    if s.forwarded_from is None:
        return Resolution("", None, "the export hides where it was forwarded from")
    return names.resolve(s.forwarded_from)


def flagged_exchanges(conn: Connection, run_id: int | None = None) -> ExchangeIndex:
    """Every exchange of a flagged file in the case (the current run unless ``run_id``), by time,
    indexed by account."""
    run_id = run_id if run_id is not None else current_run(conn)
    if run_id is None:
        return ExchangeIndex([])
    files: dict[str, FlaggedFile] = {
        f.sha256: f for f in flagged_files(conn, run_id, include_suppressed=False)
    }
    seen = sightings(conn, files)
    if not seen:
        return ExchangeIndex([])
    names = NameIndex(conn)
    chat_ids = sorted({s.chat_id for s in seen})
    membership = load_membership(conn, chat_ids, names)
    owners = _owners(conn, chat_ids)
    # A personal chat's key is its peer's account key (telegram:user:<id>).
    peer_keys = {s.chat_key for s in seen if s.chat_type in PRIVATE_TYPES}
    forward_ids = set()
    for s in seen:
        if s.details and "forwarded_from_id" in s.details:
            peer = parse_peer_id(orjson.loads(s.details).get("forwarded_from_id"))
            if peer is not None and peer.peer_id is not None:
                forward_ids.add(peer.key)
    by_key = accounts_by_key(conn, peer_keys | forward_ids)
    replies = _reply_senders(
        conn, {(s.chat_id, s.reply_to_message_id) for s in seen if s.reply_to_message_id is not None}
    )
    by_message: dict[int, list[Sighting]] = defaultdict(list)
    for s in seen:
        by_message[s.message_pk].append(s)
    out: list[Exchange] = []
    for group in by_message.values():
        s = group[0]
        shas = sorted({g.sha256 for g in group})
        setting, recipients = _recipients(s, membership[s.chat_id], owners.get(s.chat_id, set()), by_key)
        out.append(
            Exchange(
                message_pk=s.message_pk,
                chat_id=s.chat_id,
                chat_key=s.chat_key,
                chat_title=s.chat_title,
                chat_type=s.chat_type,
                setting=setting,
                message_id=s.message_id,
                date_utc=s.date_utc,
                sender_id=s.sender_id,
                sender_name=s.sender_name,
                files=shas,
                recipients=recipients,
                forwarded_from=s.forwarded_from,
                forward_origin=_origin(s, names, by_key),
                reply_to_message_id=s.reply_to_message_id,
                reply_to_sender_id=replies.get((s.chat_id, s.reply_to_message_id))
                if s.reply_to_message_id is not None
                else None,
                evidence_id=s.evidence_id,
                byte_offset=s.byte_offset,
                page=s.page,
                hits=[h for sha in shas for h in files[sha].active],
            )
        )
    out.sort(key=lambda e: (e.date_utc or 0, e.chat_id, e.message_id))
    return ExchangeIndex(out)


def _recipients(
    s: Sighting, members: ChatMembership, owners: set[int], by_key: dict[str, int]
) -> tuple[str, list[Party]]:
    if s.chat_type in SAVED_TYPES:
        return "saved", []
    if s.chat_type in PRIVATE_TYPES or (s.chat_type == "unknown" and len(members.activity) <= 2):
        participants: dict[int, str] = {}
        peer = by_key.get(s.chat_key)
        if peer is not None:
            participants[peer] = "the private chat's other party (its peer)"
        for owner in owners:
            participants.setdefault(owner, "the private chat's owner (the full-account export's own account)")
        for account_id in members.activity:
            participants.setdefault(account_id, "a participant of the private chat (sent messages in it)")
        recorded = s.chat_type in PRIVATE_TYPES
        return "private", [
            Party(a, recorded, basis) for a, basis in sorted(participants.items()) if a != s.sender_id
        ]
    if s.date_utc is None:
        return "group", []
    found: list[Presence] = members.members_at(s.date_utc, excluding=[s.sender_id] if s.sender_id else [])
    return "group", [Party(p.account_id, p.recorded, p.basis, p.message_id) for p in found]


def forward_chain(exchange: Exchange, everything: Iterable[Exchange]) -> list[Exchange]:
    """The earlier sends of the same file this forward comes from, nearest first, as far as the
    case holds them: each step is the latest earlier send of the file by the account the
    forward names, which may itself be a forward."""
    by_file: defaultdict[str, list[Exchange]] = defaultdict(list)
    for e in everything:
        for sha in e.files:
            by_file[sha].append(e)
    chain: list[Exchange] = []
    current = exchange
    seen = {exchange.message_pk}
    while current.forward_origin is not None and current.forward_origin.account_id is not None:
        origin = current.forward_origin.account_id
        candidates = {e.message_pk: e for sha in current.files for e in by_file[sha]}
        earlier = [
            e
            for e in candidates.values()
            if e.sender_id == origin
            and e.message_pk not in seen
            and (e.date_utc or 0) <= (current.date_utc or 0)
        ]
        if not earlier:
            break
        current = max(earlier, key=lambda e: e.date_utc or 0)
        seen.add(current.message_pk)
        chain.append(current)
    return chain
