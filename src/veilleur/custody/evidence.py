"""The evidence registry: every source file is hashed and registered before it is parsed.

Veilleur never writes to evidence. A registered file is identified by its SHA-256 and the path it
was read from; :func:`verify` re-reads every registered file and records, for each, whether it
is unchanged, changed or missing, in ``custody_events``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import Connection, insert, select

from veilleur.digests import sha256_file, sha256_stream
from veilleur.errors import BadInput, NotRegularFile
from veilleur.safeio import EvidenceOpener
from veilleur.store.schema import custody_events, evidence
from veilleur.timefmt import now_iso


class Container(Protocol):
    """What :func:`register_member` needs of an export's files (an ``ExportContainer`` has it):
    custody reads them, and knows nothing of how a source lays them out."""

    def open(self, rel: str) -> BinaryIO: ...

    def original_path(self, rel: str) -> str: ...


@dataclass(frozen=True)
class Evidence:
    id: int
    sha256: str
    size: int
    original_path: str
    new: bool


def register_path(conn: Connection, path: Path, *, kind: str, operator: str) -> Evidence:
    """Register a file given by path (a zip export as a whole)."""
    digest, size = sha256_file(path)
    return _register(conn, digest, size, str(path.resolve()), None, kind, None, operator)


def register_member(
    conn: Connection,
    container: Container,
    rel: str,
    *,
    kind: str,
    parent_id: int | None,
    operator: str,
) -> Evidence:
    """Register a file of an export (``result.json``, an HTML page, a media file)."""
    with container.open(rel) as f:
        digest, size = sha256_stream(f)
    return _register(conn, digest, size, container.original_path(rel), rel, kind, parent_id, operator)


def _register(
    conn: Connection,
    digest: str,
    size: int,
    original: str,
    rel: str | None,
    kind: str,
    parent_id: int | None,
    operator: str,
) -> Evidence:
    row = conn.execute(
        select(evidence.c.id, evidence.c.size).where(
            evidence.c.sha256 == digest, evidence.c.original_path == original
        )
    ).first()
    if row is not None:
        return Evidence(row.id, digest, row.size, original, False)
    at = now_iso()
    new_id = conn.execute(
        insert(evidence).values(
            sha256=digest,
            size=size,
            original_path=original,
            relpath=rel,
            kind=kind,
            parent_id=parent_id,
            registered_at=at,
            operator=operator,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    conn.execute(
        insert(custody_events).values(
            evidence_id=new_id, event="registered", at=at, operator=operator, detail=f"sha256 {digest}"
        )
    )
    return Evidence(int(new_id), digest, size, original, True)


@dataclass(frozen=True)
class Verification:
    evidence_id: int
    original_path: str
    status: str  # unchanged | changed | missing
    expected: str
    found: str | None


def verify(conn: Connection, operator: str) -> Iterator[Verification]:
    """Re-hash every registered evidence file and record the outcome as a custody event.

    Only regular files are read: a FIFO or device now standing at a registered path is
    ``changed`` (what is there is not the file registered), recorded with what it is, unread.
    """
    rows = conn.execute(
        select(evidence.c.id, evidence.c.sha256, evidence.c.original_path).order_by(evidence.c.id)
    ).all()
    opener = EvidenceOpener()
    try:
        for row in rows:
            problem: str | None = None
            try:
                f, _ = opener.open(row.original_path)
                with f:
                    found, _ = sha256_stream(f)
                status = "unchanged" if found == row.sha256 else "changed"
            except NotRegularFile as e:
                found, status, problem = None, "changed", e.message
            except BadInput as e:  # still there, but no longer reads as registered (a damaged zip)
                found, status, problem = None, "changed", f"unreadable: {e.message}"
            except (OSError, KeyError):
                found, status, problem = None, "missing", "file not found"
            conn.execute(
                insert(custody_events).values(
                    evidence_id=row.id,
                    event="verified" if status == "unchanged" else status,
                    at=now_iso(),
                    operator=operator,
                    detail=f"sha256 {found}" if found else problem,
                )
            )
            yield Verification(row.id, row.original_path, status, row.sha256, found)
    finally:
        opener.close()
