"""The audit log: every analytic action, append-only and hash-chained, with operator and time.

Why: what Veilleur finds goes to court, and a finding is only as good as the record of how it was
reached — which exports were imported, which lists were matched with which settings, who looked
at whose data and when. The evidence registry proves the *inputs* did not change; this log records
the *actions*, and lets anyone check afterwards that the record itself was not altered.

How it holds together:

* :func:`record` appends one entry **in the caller's transaction**: the entry commits or rolls
  back with the action it records, so the log never claims an action that did not happen, and
  never misses one that did.
* Each entry's ``entry_hash`` is the SHA-256 of its canonical serialisation (:func:`canonical`),
  which includes ``prev_hash``, the previous entry's ``entry_hash``. Editing an entry breaks its
  own hash; re-hashing it breaks the next entry's link; deleting or reordering entries breaks
  ``seq`` or the links. :func:`verify` walks the whole chain in bounded memory.
* ``audit_head`` holds the last ``seq`` and hash. Every append locks it first (``SELECT … FOR
  UPDATE`` on PostgreSQL, SQLite's write lock), so concurrent appenders queue up and ``seq`` has
  no gaps and no forks.
* A chain cannot show that its *tail* was cut off (deleting the last entries and resetting the
  head leaves a valid, shorter chain). So after each commit that appended entries, the position
  is also written to a **witness** outside the database: a line ``seq entry_hash`` appended to
  ``audit-witness.log`` in the case folder (:func:`witness`). It is written only after the commit
  succeeded, so it never names an entry that was rolled back. :func:`verify` with ``witness=``
  reports witnessed entries that are gone or differ.

What this proves, and what it does not, is set out in ``docs/audit-log.md``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from veilleur.errors import AuditError
from veilleur.store.schema import audit_head, audit_log
from veilleur.timefmt import now_iso

if TYPE_CHECKING:
    from veilleur.case import Case

__all__ = [
    "GENESIS",
    "WITNESS_FILE",
    "AuditEntry",
    "AuditPosition",
    "AuditProblem",
    "canonical",
    "entries",
    "entry_hash",
    "position",
    "record",
    "tail",
    "verify",
    "witness",
    "witness_path",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of entry 1 (and the head's hash while the log is empty)."""
WITNESS_FILE = "audit-witness.log"
"""The witness, beside ``veilleur-case.json``: one line ``seq entry_hash`` per commit that logged."""
MAX_DETAILS = 16_384
"""Details are a summary (counts, ids, settings), not a report: larger ones are replaced by a note."""
SQLITE_WAIT_MS = 60_000
"""How long an append waits for SQLite's write lock (a view during an import waits for its next
checkpoint rather than failing after SQLite's default 5 s; an action that cannot be logged is
not done)."""
PAGE = 5_000
"""Entries read per query by :func:`verify` and :func:`entries`: the most held in memory."""
MAX_PROBLEMS = 1_000
REORDER_WINDOW = 64
"""How far (in seq) :func:`verify` looks for the place a moved entry's content belongs."""

_ACTION = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*")
_WITNESS_LINE = re.compile(r"(\d+) ([0-9a-f]{64})")
_WITNESS_BATCH = 500


@dataclass(frozen=True)
class AuditPosition:
    """A place in the log: the entry ``seq`` and its hash. Reports state the position they were
    produced at (:attr:`label`); with the hash, a shortened or rewritten log cannot match it."""

    seq: int
    entry_hash: str

    @property
    def label(self) -> str:
        return f"audit #{self.seq} {self.entry_hash[:12]}…"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class AuditProblem:
    """One thing :func:`verify` found wrong. ``seq`` is the entry concerned (None: the log as a
    whole). ``kind``: ``edited``, ``moved``, ``missing``, ``chain``, ``head``, ``witness`` or
    ``limit`` (more problems than were listed)."""

    seq: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class AuditEntry:
    """One entry as stored. ``details`` is the stored JSON text, exactly as it was hashed."""

    seq: int
    at: str
    operator: str
    action: str
    subject: str | None
    details: str | None
    prev_hash: str
    entry_hash: str

    @property
    def position(self) -> AuditPosition:
        return AuditPosition(self.seq, self.entry_hash)

    def details_value(self) -> Any:
        """The details parsed (the raw text if it no longer parses: shown, not hidden)."""
        if self.details is None:
            return None
        try:
            return orjson.loads(self.details)
        except orjson.JSONDecodeError:
            return self.details

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "operator": self.operator,
            "action": self.action,
            "subject": self.subject,
            "details": self.details_value(),
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


# -- hashing ------------------------------------------------------------------------------------


def canonical(
    seq: int,
    at: str,
    operator: str,
    action: str,
    subject: str | None,
    details: str | None,
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash is taken of: a JSON object of its seven fields, keys sorted,
    compact, UTF-8 (orjson). ``details`` enters as the stored JSON *text*, so any change to the
    stored bytes — even one that parses to the same value — changes the hash."""
    return orjson.dumps(
        {
            "action": action,
            "at": at,
            "details": details,
            "operator": operator,
            "prev_hash": prev_hash,
            "seq": seq,
            "subject": subject,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def entry_hash(
    seq: int,
    at: str,
    operator: str,
    action: str,
    subject: str | None,
    details: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 (lower-case hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(seq, at, operator, action, subject, details, prev_hash)).hexdigest()


def _details_text(details: Mapping[str, Any] | None) -> str | None:
    if details is None:
        return None
    # str() for anything JSON has no type for (a Path): an action must not fail at its commit
    # because of how its summary is spelled.
    text = orjson.dumps(
        dict(details), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
    ).decode()
    if len(text) > MAX_DETAILS:
        text = orjson.dumps(
            {"details_omitted": {"bytes": len(text), "keys": sorted(map(str, details))[:50]}},
            option=orjson.OPT_SORT_KEYS,
        ).decode()
    return text


# -- appending ----------------------------------------------------------------------------------


def record(
    conn: Connection,
    action: str,
    *,
    operator: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditPosition:
    """Append an entry for ``action`` within the caller's transaction; return its position.

    The entry is committed by the caller's commit, with the action's own writes, or rolled back
    with them. Once committed, pass the position to :func:`witness`. ``action`` is a short dotted
    name (``import``, ``lists.import``, ``view.hits``); ``subject`` what it was about (an export
    path, a list name); ``details`` a small JSON-able mapping of counts, ids and settings — never
    a hash-list value, never message text.
    """
    if len(action) > 64 or not _ACTION.fullmatch(action):
        raise ValueError(f"an audit action is a short dotted lower-case name, not {action!r}")
    if not operator:
        raise ValueError("an audit entry needs an operator")
    text = _details_text(details)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
        # Take the write lock before reading the head: a reader's head could be stale by the
        # time it writes. (PostgreSQL: the FOR UPDATE below does it; SQLite ignores FOR UPDATE.)
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.id == 1).with_for_update()
    ).first()
    if head is None:
        raise AuditError(
            "the audit log has lost its head row (audit_head); nothing can be logged, so nothing is "
            "done. Run 'veilleur audit verify'."
        )
    seq = int(head.seq) + 1
    at = now_iso()
    digest = entry_hash(seq, at, operator, action, subject, text, head.entry_hash)
    try:
        conn.execute(
            insert(audit_log).values(
                seq=seq,
                at=at,
                operator=operator,
                action=action,
                subject=subject,
                details=text,
                prev_hash=head.entry_hash,
                entry_hash=digest,
            )
        )
    except IntegrityError as e:
        raise AuditError(
            f"audit entry #{seq} already exists: the log's head is behind its entries; nothing can be "
            "logged, so nothing is done. Run 'veilleur audit verify'."
        ) from e
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, entry_hash=digest))
    return AuditPosition(seq, digest)


def position(conn: Connection) -> AuditPosition | None:
    """The log's current head (None while the log is empty)."""
    row = conn.execute(select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.id == 1)).first()
    if row is None or int(row.seq) == 0:
        return None
    return AuditPosition(int(row.seq), row.entry_hash)


# -- the witness --------------------------------------------------------------------------------


def witness_path(root: Path) -> Path:
    """The witness file of the case folder ``root``."""
    return root / WITNESS_FILE


def witness(case: Case, where: AuditPosition | None = None) -> AuditPosition | None:
    """Append ``seq entry_hash`` of a committed position to the case's witness file.

    Call it *after* the commit that made ``where`` durable: a line for a rolled-back entry would
    later read as tampering. Without ``where``, witnesses the log's current head unless the file's
    last line already names it or a later entry (for callers that cannot see the position of
    what they committed, e.g. a library function that records inside its own transaction).
    The file is only ever appended to, and each line is flushed to disk before returning.
    """
    path = witness_path(case.root)
    if where is None:
        with case.engine.connect() as conn:
            where = position(conn)
        if where is None:
            return None
        last = _last_witnessed(path)
        if last is not None and last >= where.seq:
            return None
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{where.seq} {where.entry_hash}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return where


def _last_witnessed(path: Path) -> int | None:
    """The seq on the witness file's last line (None: no file, or no readable last line)."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 256))
            tail = f.read()
    except FileNotFoundError:
        return None
    lines = tail.decode("ascii", "replace").strip().splitlines()
    m = _WITNESS_LINE.fullmatch(lines[-1].strip()) if lines else None
    return int(m.group(1)) if m else None


# -- reading ------------------------------------------------------------------------------------


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(int(r.seq), r.at, r.operator, r.action, r.subject, r.details, r.prev_hash, r.entry_hash)


def entries(conn: Connection, *, after: int = 0) -> Iterator[AuditEntry]:
    """Every entry with ``seq > after``, oldest first, read :data:`PAGE` at a time."""
    last = after
    while True:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.seq > last).order_by(audit_log.c.seq).limit(PAGE)
        ).all()
        for r in rows:
            yield _entry(r)
        if len(rows) < PAGE:
            return
        last = int(rows[-1].seq)


def tail(conn: Connection, limit: int) -> list[AuditEntry]:
    """The last ``limit`` entries, oldest first."""
    rows = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)).all()
    return [_entry(r) for r in reversed(rows)]


def find(
    conn: Connection, *, action: str | None = None, operator: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The last ``limit`` entries whose action starts with ``action`` and whose operator is
    ``operator`` (either may be None), oldest first: filtered by the database, so a reader of a
    long log gets a page, not the whole log."""
    q = select(audit_log)
    if action:
        q = q.where(audit_log.c.action.startswith(action, autoescape=True))
    if operator:
        q = q.where(audit_log.c.operator == operator)
    rows = conn.execute(q.order_by(audit_log.c.seq.desc()).limit(limit)).all()
    return [_entry(r) for r in reversed(rows)]


def actions(conn: Connection) -> list[str]:
    """The actions the log holds, each once."""
    return sorted(conn.execute(select(audit_log.c.action).distinct()).scalars())


# -- verification -------------------------------------------------------------------------------


class _Problems:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: list[AuditProblem] = []
        self.more = 0

    def add(self, seq: int | None, kind: str, message: str) -> None:
        if len(self.found) < self.limit:
            self.found.append(AuditProblem(seq, kind, message))
        else:
            self.more += 1

    @property
    def full(self) -> bool:
        return len(self.found) >= self.limit

    def result(self) -> list[AuditProblem]:
        if self.more:
            return [*self.found, AuditProblem(None, "limit", f"{self.more} more problems not listed")]
        return list(self.found)


def _moved_from(e: AuditEntry) -> int | None:
    """The seq at which ``e``'s content does hash to its ``entry_hash``, near its current one."""
    for k in range(max(1, e.seq - REORDER_WINDOW), e.seq + REORDER_WINDOW + 1):
        if k != e.seq and entry_hash(k, e.at, e.operator, e.action, e.subject, e.details, e.prev_hash) == (
            e.entry_hash
        ):
            return k
    return None


def verify(conn: Connection, *, witness: Path | None = None, limit: int = MAX_PROBLEMS) -> list[AuditProblem]:
    """Recompute every entry's hash and link, check the head, and (given) the witness file.

    Reports, each with the seq concerned: an entry whose content no longer matches its hash
    (edited); one whose content matches another seq (moved: entries reordered); missing seqs
    (deleted); an entry that does not chain to its predecessor (replaced, re-hashed or inserted);
    a head that disagrees with the last entry; witnessed entries that are gone (a deleted tail) or
    differ. An empty list: the log is intact as far as the chain and the witness can tell.
    Entries are read :data:`PAGE` at a time; at most ``limit`` problems are listed.
    """
    problems = _Problems(limit)
    chain = _Chain(problems)
    chain.walk(entries(conn))
    while True:
        head = conn.execute(
            select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.id == 1)
        ).first()
        # Entries appended while we read: walk on from where we stopped, then look again.
        if (
            head is not None
            and int(head.seq) > chain.last_seq
            and chain.walk(entries(conn, after=chain.last_seq))
        ):
            continue
        break
    if head is None:
        problems.add(None, "head", "the head row (audit_head) is missing")
    else:
        _check_head(problems, int(head.seq), head.entry_hash, chain.last_seq, chain.last_hash)
    if witness is not None:
        _check_witness(conn, witness, problems, chain.last_seq)
    return problems.result()


class _Chain:
    """The walk along the entries, in seq order, remembering only the previous entry."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.last_seq = 0
        self.last_hash = GENESIS
        self.previous_moved = False

    def walk(self, stream: Iterator[AuditEntry]) -> bool:
        """Check each entry of ``stream``; False if it held none."""
        problems = self.problems
        got = False
        for e in stream:
            got = True
            expected = self.last_seq + 1
            gap = e.seq != expected
            if gap:
                span = f"#{expected}" if e.seq == expected + 1 else f"#{expected} to #{e.seq - 1}"
                problems.add(expected, "missing", f"entries {span} are missing (deleted)")
            moved = False
            computed = entry_hash(e.seq, e.at, e.operator, e.action, e.subject, e.details, e.prev_hash)
            if computed != e.entry_hash:
                k = None if problems.full else _moved_from(e)
                if k is not None:
                    moved = True
                    problems.add(e.seq, "moved", f"holds the entry written as #{k}: entries were reordered")
                else:
                    problems.add(e.seq, "edited", "its content no longer matches its hash: it was edited")
            # A gap or a move already explains a broken link (the entry after a moved one links
            # to the entry that moved away).
            if e.prev_hash != self.last_hash and not (gap or moved or self.previous_moved):
                problems.add(
                    e.seq,
                    "chain",
                    f"its prev_hash is not the hash of #{e.seq - 1}: #{e.seq - 1} or this entry was "
                    "replaced (and re-hashed) or inserted",
                )
            self.previous_moved = moved
            self.last_seq, self.last_hash = e.seq, e.entry_hash
        return got


def _check_head(problems: _Problems, seq: int, digest: str, last_seq: int, last_hash: str) -> None:
    if seq > last_seq:
        problems.add(
            seq,
            "head",
            f"the head says the log ends at #{seq}, its last entry is #{last_seq}: "
            "entries at the end were deleted",
        )
    elif seq < last_seq:
        problems.add(
            seq,
            "head",
            f"the head says the log ends at #{seq}, but entries run to #{last_seq}: "
            "entries were added past the head, or the head was reset",
        )
    elif digest != last_hash:
        problems.add(seq, "head", f"the head's hash is not that of #{seq}: the last entry was replaced")


def _check_witness(conn: Connection, path: Path, problems: _Problems, last_seq: int) -> None:
    if not path.exists():
        if last_seq > 0:
            problems.add(
                None,
                "witness",
                f"no witness file ({path}): it was deleted, or this is not the case "
                "folder the log was written from",
            )
        return
    beyond: int | None = None  # the furthest witnessed seq past the log's end
    batch: dict[int, list[tuple[int, str]]] = {}

    def check(batch: dict[int, list[tuple[int, str]]]) -> None:
        found = {
            int(r.seq): r.entry_hash
            for r in conn.execute(
                select(audit_log.c.seq, audit_log.c.entry_hash).where(audit_log.c.seq.in_(list(batch)))
            )
        }
        for seq, lines in sorted(batch.items()):
            for lineno, digest in lines:
                if seq not in found:
                    problems.add(seq, "witness", f"witnessed (line {lineno}) but missing from the log")
                elif found[seq] != digest:
                    problems.add(
                        seq,
                        "witness",
                        f"its hash differs from the one witnessed (line {lineno}): the entry was replaced",
                    )

    lines = 0
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            text = raw.decode("ascii", "replace").strip()
            if not text:
                continue
            lines += 1
            m = _WITNESS_LINE.fullmatch(text)
            if m is None:
                problems.add(None, "witness", f"line {lineno} of {path.name} is unreadable")
                continue
            seq = int(m.group(1))
            if seq > last_seq:
                beyond = seq if beyond is None else max(beyond, seq)
                continue
            batch.setdefault(seq, []).append((lineno, m.group(2)))
            if len(batch) >= _WITNESS_BATCH:
                check(batch)
                batch = {}
    if batch:
        check(batch)
    if lines == 0 and last_seq > 0:
        # An emptied witness agrees with everything: it would hide a cut-off tail, so it is an error.
        problems.add(
            None, "witness", f"the witness file ({path}) is empty, while the log holds {last_seq} entries"
        )
    if beyond is not None:
        problems.add(
            beyond, "witness", f"witnessed, but the log ends at #{last_seq}: entries at the end were deleted"
        )
