"""What the case's hash lists hold, in counts: versions, and entries per hash type and category.

Nothing here returns a hash value; the only per-entry data ever read out of the lists is what
:mod:`veilleur.lists.lookup` gives for a match (the entry's identifier and category).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from veilleur.store.schema import hash_list_entries, hash_list_versions, hash_lists

UNCATEGORISED = "(none)"


def list_summaries(conn: Connection) -> list[dict[str, Any]]:
    """One dict per list: its settings, its versions with their counts, and its active entries
    counted per hash type and category (removed entries counted apart)."""
    e, v = hash_list_entries, hash_list_versions
    out: list[dict[str, Any]] = []
    for lst in conn.execute(select(hash_lists).order_by(hash_lists.c.name)):
        versions = [
            {
                "id": row.id,
                "version": row.version,
                "imported_at": row.imported_at,
                "operator": row.operator,
                "format": row.format,
                "format_version": (orjson.loads(row.report) if row.report else {}).get("format_version"),
                "full": row.full,
                "file": row.file_path,
                "file_sha256": row.file_sha256,
                "added": row.n_added,
                "changed": row.n_changed,
                "removed": row.n_removed,
                "unchanged": row.n_unchanged,
            }
            for row in conn.execute(select(v).where(v.c.list_id == lst.id).order_by(v.c.id))
        ]
        active: dict[str, dict[str, int]] = {}
        for hash_type, category, n in conn.execute(
            select(e.c.hash_type, e.c.category, func.count())
            .where(e.c.list_id == lst.id, e.c.removed_version_id.is_(None))
            .group_by(e.c.hash_type, e.c.category)
            .order_by(e.c.hash_type, e.c.category)
        ):
            active.setdefault(hash_type, {})[category if category is not None else UNCATEGORISED] = n
        removed = conn.execute(
            select(func.count()).where(e.c.list_id == lst.id, e.c.removed_version_id.is_not(None))
        ).scalar_one()
        out.append(
            {
                "id": lst.id,
                "name": lst.name,
                "kind": lst.kind,
                "scheme": lst.category_scheme,
                "source": lst.source,
                "created_at": lst.created_at,
                "operator": lst.operator,
                "versions": versions,
                "active": active,
                "active_total": sum(sum(c.values()) for c in active.values()),
                "removed": removed,
            }
        )
    return out
