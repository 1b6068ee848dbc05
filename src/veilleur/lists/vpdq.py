"""The active vPDQ (video) entries of the case's lists with their frames, for the matcher.

vPDQ is matched by distance, frame against frame, never by exact lookup
(:func:`~veilleur.lists.lookup.exact_hits` refuses it), so the matcher needs every listed
video's frames in memory. An entry row holds only the SHA-256 of its canonical value; the frames
are in ``hash_list_vpdq_features`` under that digest, shared by every list holding the same
video. Here each distinct video's frames are read once and the one tuple is shared by all the
entries that list it.

What is read here is list data: it is for comparison inside the matcher, never for display or
export (a match reveals the entry's identifier and category only).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from veilleur.errors import VeilleurError
from veilleur.lists.base import VpdqFrame
from veilleur.store.schema import hash_list_entries, hash_list_vpdq_features

__all__ = ["VpdqEntry", "active_vpdq_entries"]


@dataclass(frozen=True, slots=True)
class VpdqEntry:
    """One active vPDQ entry: the entry (``hash_list_entries.id``), its list, and the listed
    video's frames in the order the list gave them (``idx`` from 0)."""

    entry_id: int
    list_id: int
    frames: tuple[VpdqFrame, ...]


def active_vpdq_entries(conn: Connection) -> list[VpdqEntry]:
    """Every vPDQ entry not removed (``removed_version_id IS NULL``), of every list, by entry id.

    Removed entries are left out as :func:`~veilleur.lists.lookup.exact_hits` leaves them out:
    a list's latest version no longer holds them. An active entry without stored frames would
    mean a damaged store (the importer writes both in one transaction); it raises rather than
    let a listed video silently never match.
    """
    e, f = hash_list_entries, hash_list_vpdq_features
    active = (e.c.hash_type == "vpdq", e.c.removed_version_id.is_(None))
    wanted = select(e.c.value).where(*active).distinct().scalar_subquery()
    by_digest: dict[str, list[VpdqFrame]] = {}
    for digest, idx, pdq, quality, timestamp_ms in conn.execute(
        select(f.c.digest, f.c.idx, f.c.pdq, f.c.quality, f.c.timestamp_ms)
        .where(f.c.digest.in_(wanted))
        .order_by(f.c.digest, f.c.idx)
    ):
        frames = by_digest.setdefault(digest, [])
        if idx != len(frames):
            raise VeilleurError(
                f"vPDQ features of a list entry lack frame {len(frames)}: the store is damaged"
            )
        frames.append(VpdqFrame(pdq, quality, timestamp_ms))
    shared = {digest: tuple(frames) for digest, frames in by_digest.items()}
    out: list[VpdqEntry] = []
    for entry_id, list_id, digest in conn.execute(
        select(e.c.id, e.c.list_id, e.c.value).where(*active).order_by(e.c.id)
    ):
        frames_of = shared.get(digest)
        if frames_of is None:
            raise VeilleurError(f"vPDQ list entry {entry_id} has no stored frames: the store is damaged")
        out.append(VpdqEntry(int(entry_id), int(list_id), frames_of))
    return out
