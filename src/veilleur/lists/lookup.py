"""Exact lookup of known hashes in the case's lists, revealing no more than a match must.

A hit says which list matched, and the matched entry's identifier and category — never another
entry, never the list's series, flags or other values. Removed entries do not match. PhotoDNA
entries are stored but never looked up (Veilleur does not compute PhotoDNA); vPDQ entries are
matched by distance between frames (:mod:`veilleur.lists.vpdq`), never by exact lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from veilleur.lists.base import HashType
from veilleur.store.lookups import chunks
from veilleur.store.schema import hash_list_entries, hash_lists


@dataclass(frozen=True)
class ListHit:
    list_id: int
    list_name: str
    list_kind: str  # positive | negative (a known false positive)
    entry_id: int
    external_id: str | None
    category: str | None


def exact_hits(conn: Connection, hash_type: HashType, values: Iterable[str]) -> dict[str, list[ListHit]]:
    """For each of ``values`` (lower-case hex, as the case's own hashes are) found in an active
    list entry of ``hash_type``: the hits, by value. Values not found are absent.

    PhotoDNA and vPDQ raise :class:`ValueError`: the first is never matched, the second only by
    distance (an entry's value is the SHA-256 of its frame list, which no case file has)."""
    if hash_type == "photodna":
        raise ValueError("PhotoDNA entries are stored, never matched")
    if hash_type == "vpdq":
        raise ValueError("vPDQ entries are matched by frame distance, not exact lookup")
    e, lists = hash_list_entries, hash_lists
    hits: dict[str, list[ListHit]] = {}
    for chunk in chunks(v.lower() for v in values):
        rows = conn.execute(
            select(e.c.value, e.c.id, e.c.external_id, e.c.category, lists.c.id, lists.c.name, lists.c.kind)
            .join(lists, lists.c.id == e.c.list_id)
            .where(e.c.hash_type == hash_type, e.c.value.in_(chunk), e.c.removed_version_id.is_(None))
            .order_by(lists.c.name, e.c.id)
        )
        for value, entry_id, external_id, category, list_id, list_name, kind in rows:
            hits.setdefault(value, []).append(
                ListHit(list_id, list_name, kind, entry_id, external_id, category)
            )
    return hits
