"""Reading the case's hits: per file, where each flagged file was seen, and per chat and account.

Everything here returns hashes, identifiers, categories, distances and message citations — never
a file's bytes, a path opened for display, or a list entry's hash value. The current hits are
those of the latest completed run (``match_runs.status = 'done'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, select

from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    account_names,
    accounts,
    chats,
    evidence,
    hash_lists,
    match_runs,
    matches,
    media,
    messages,
)

__all__ = [
    "FlaggedFile",
    "Hit",
    "Sighting",
    "Tally",
    "current_run",
    "display_names",
    "flagged_files",
    "hits_by_account",
    "hits_by_chat",
    "sightings",
]

SIGNAL_ORDER = ("md5", "sha1", "sha256", "pdq", "vpdq")


def current_run(conn: Connection) -> int | None:
    """The latest completed matching run, or None if the case was never matched."""
    return conn.execute(select(func.max(match_runs.c.id)).where(match_runs.c.status == "done")).scalar()


@dataclass(frozen=True)
class Hit:
    """One match of a file with a positive-list entry, as stored."""

    list_name: str
    list_version_id: int
    entry_id: int
    external_id: str | None
    category: str | None
    hash_type: str
    method: str
    distance: int | None
    threshold: int | None
    variant: int | None
    frame_ms: int | None
    query_match_pct: float | None
    compared_match_pct: float | None
    suppressed_by: int | None
    matched_at: str


@dataclass
class FlaggedFile:
    """A case file with positive hits. ``flagged`` unless every hit is suppressed."""

    sha256: str
    hits: list[Hit] = field(default_factory=list)

    @property
    def active(self) -> list[Hit]:
        return [h for h in self.hits if h.suppressed_by is None]

    @property
    def flagged(self) -> bool:
        return bool(self.active)

    @property
    def signals(self) -> tuple[str, ...]:
        """The hash types that agree on this file (MD5, SHA-1, SHA-256, PDQ, vPDQ), unsuppressed."""
        found = {h.hash_type for h in self.active}
        return tuple(s for s in SIGNAL_ORDER if s in found)

    @property
    def lists(self) -> tuple[str, ...]:
        return tuple(sorted({h.list_name for h in self.active}))

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({h.category for h in self.active if h.category}))

    @property
    def best_distance(self) -> int | None:
        ds = [h.distance for h in self.active if h.distance is not None]
        return min(ds) if ds else None


def flagged_files(
    conn: Connection, run_id: int | None = None, *, include_suppressed: bool = True
) -> list[FlaggedFile]:
    """Files with positive-list hits in ``run_id`` (the current run by default), by SHA-256."""
    run_id = run_id if run_id is not None else current_run(conn)
    if run_id is None:
        return []
    m = matches
    rows = conn.execute(
        select(
            m.c.sha256,
            hash_lists.c.name,
            m.c.list_version_id,
            m.c.entry_id,
            m.c.external_id,
            m.c.category,
            m.c.hash_type,
            m.c.method,
            m.c.distance,
            m.c.threshold,
            m.c.variant,
            m.c.frame_ms,
            m.c.query_match_pct,
            m.c.compared_match_pct,
            m.c.suppressed_by,
            m.c.matched_at,
        )
        .join(hash_lists, hash_lists.c.id == m.c.list_id)
        .where(m.c.run_id == run_id, m.c.list_kind == "positive")
        .order_by(m.c.sha256, hash_lists.c.name, m.c.entry_id, m.c.method)
    )
    files: dict[str, FlaggedFile] = {}
    for r in rows:
        files.setdefault(r.sha256, FlaggedFile(r.sha256)).hits.append(Hit(*r[1:]))  # type: ignore[call-arg]
    out = list(files.values())
    return out if include_suppressed else [f for f in out if f.flagged]


@dataclass(frozen=True)
class Sighting:
    """One message that carries a file: the citation an investigator needs."""

    sha256: str
    message_pk: int
    chat_id: int
    chat_key: str
    chat_title: str | None
    chat_type: str
    message_id: int
    date_utc: int | None
    sender_id: int | None
    sender_key: str | None
    sender_name: str | None
    role: str
    forwarded_from: str | None
    reply_to_message_id: int | None
    details: str | None  # the message's other fields (JSON): forwarded_from_id, ...
    evidence_id: int | None
    byte_offset: int | None
    page: str | None


def sightings(conn: Connection, sha256s: Iterable[str]) -> list[Sighting]:
    """Every message carrying one of ``sha256s`` (as the file itself or its thumbnail), in time order."""
    out: list[Sighting] = []
    for part in chunks(sha256s):
        rows = conn.execute(
            select(
                evidence.c.sha256,
                messages.c.id,
                chats.c.id,
                chats.c.key,
                chats.c.title,
                chats.c.type,
                messages.c.message_id,
                messages.c.date_utc,
                messages.c.sender_id,
                accounts.c.key,
                messages.c.sender_name,
                media.c.role,
                messages.c.forwarded_from,
                messages.c.reply_to_message_id,
                messages.c.details,
                messages.c.evidence_id,
                messages.c.byte_offset,
                messages.c.page,
            )
            .select_from(media)
            .join(evidence, evidence.c.id == media.c.file_evidence_id)
            .join(messages, messages.c.id == media.c.message_pk)
            .join(chats, chats.c.id == messages.c.chat_id)
            .outerjoin(accounts, accounts.c.id == messages.c.sender_id)
            .where(evidence.c.sha256.in_(part))
        )
        out.extend(Sighting(*r) for r in rows)  # type: ignore[call-arg]
    # One message may carry the file twice (two exports' copies): keep one sighting per message.
    unique = {(s.sha256, s.message_pk, s.role): s for s in out}
    return sorted(unique.values(), key=lambda s: (s.date_utc or 0, s.chat_id, s.message_id, s.role))


@dataclass
class Tally:
    """Messages carrying flagged files, and the distinct files, for one chat or one account."""

    key: str
    label: str
    messages: set[int] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    first_utc: int | None = None
    last_utc: int | None = None

    def add(self, s: Sighting) -> None:
        self.messages.add(s.message_pk)
        self.files.add(s.sha256)
        if s.date_utc is not None:
            self.first_utc = min(self.first_utc or s.date_utc, s.date_utc)
            self.last_utc = max(self.last_utc or s.date_utc, s.date_utc)


def _flagged_sightings(conn: Connection, run_id: int | None) -> list[Sighting]:
    return sightings(conn, [f.sha256 for f in flagged_files(conn, run_id, include_suppressed=False)])


def hits_by_chat(conn: Connection, run_id: int | None = None) -> list[Tally]:
    """Per chat: the messages carrying flagged (unsuppressed) files, most first."""
    tallies: dict[str, Tally] = {}
    for s in _flagged_sightings(conn, run_id):
        tallies.setdefault(s.chat_key, Tally(s.chat_key, s.chat_title or s.chat_key)).add(s)
    return sorted(tallies.values(), key=lambda t: (-len(t.messages), t.key))


def hits_by_account(conn: Connection, run_id: int | None = None) -> list[Tally]:
    """Per sending account: the messages it sent carrying flagged (unsuppressed) files, most first.

    Counted by *sender*: who received a file is the exchange analysis's question, not this one.
    """
    found = _flagged_sightings(conn, run_id)
    names = display_names(conn, {s.sender_id for s in found if s.sender_id is not None})
    tallies: dict[str, Tally] = {}
    for s in found:
        key = s.sender_key or f"(unknown sender: {s.sender_name or 'no name'})"
        label = names.get(s.sender_id or -1) or s.sender_name or key
        tallies.setdefault(key, Tally(key, label)).add(s)
    return sorted(tallies.values(), key=lambda t: (-len(t.messages), t.key))


def display_names(conn: Connection, account_ids: set[int]) -> dict[int, str]:
    """The most recently seen display name of each account."""
    if not account_ids:
        return {}
    n = account_names
    out: dict[int, tuple[int, str]] = {}
    for account_id, value, last in conn.execute(
        select(n.c.account_id, n.c.value, n.c.last_seen_utc).where(
            and_(n.c.account_id.in_(sorted(account_ids)), n.c.name_kind == "display_name")
        )
    ):
        seen = last or 0
        if account_id not in out or seen > out[account_id][0]:
            out[account_id] = (seen, value)
    return {k: v for k, (_, v) in out.items()}
