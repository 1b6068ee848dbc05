"""Per-list PDQ thresholds: how far (in bits) a picture may be from a list's entry and match it.

Lists differ in how they were curated: one built from re-encoded copies may warrant 31 bits (PDQ's
confident-match distance, the default), a list with many near-duplicate benign pictures a
tighter one. The threshold belongs to the list, not to a run, so every run applies it the same
way and each hit records the threshold it was found under.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from veilleur.case import default_operator
from veilleur.custody.audit import AuditPosition, record
from veilleur.errors import VeilleurError
from veilleur.store.schema import hash_lists

MAX_THRESHOLD = 64
"""Beyond this two unrelated pictures match too often for a hit to mean anything."""


def set_pdq_threshold(
    conn: Connection, list_name: str, threshold: int | None, *, operator: str | None = None
) -> AuditPosition:
    """Set (or, with None, reset to the default 31) the PDQ threshold of the list ``list_name``.

    The change is logged (``lists.threshold``, old and new value) in the caller's transaction, as
    ``operator`` (default: :func:`~veilleur.case.default_operator`); witness the returned position
    after the commit.
    """
    if threshold is not None and not 0 <= threshold <= MAX_THRESHOLD:
        raise VeilleurError(f"a PDQ threshold is between 0 and {MAX_THRESHOLD} bits, not {threshold}")
    row = conn.execute(select(hash_lists.c.pdq_threshold).where(hash_lists.c.name == list_name)).first()
    if row is None:
        raise VeilleurError(f"no hash list named {list_name!r} in this case")
    conn.execute(update(hash_lists).where(hash_lists.c.name == list_name).values(pdq_threshold=threshold))
    return record(
        conn,
        "lists.threshold",
        operator=operator or default_operator(),
        subject=list_name,
        details={"pdq_threshold": threshold, "was": row.pdq_threshold},
    )
