"""Sender conflicts: messages a later export showed with another sender than the stored one.

The stored message keeps its first sender (:mod:`veilleur.ingest.writer`); the conflict is shown
on both accounts' pages and dossiers, with the record that shows each side, so that a message is
never credited to one person while the evidence is silent about the other reading.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from veilleur.store.schema import accounts, chats, message_conflicts, messages

__all__ = ["sender_conflicts"]


def sender_conflicts(conn: Connection, account_id: int) -> list[dict[str, Any]]:
    """Each conflict where ``account_id`` is the stored or the other sender: the message (chat
    key, id), both account keys, and both citations (evidence and byte offset)."""
    stored = accounts.alias("stored")
    found = accounts.alias("found")
    c = message_conflicts.c
    q = (
        select(
            chats.c.key.label("chat"),
            messages.c.message_id,
            stored.c.key.label("stored"),
            found.c.key.label("found"),
            c.found_name,
            messages.c.evidence_id.label("stored_evidence"),
            messages.c.byte_offset.label("stored_offset"),
            c.evidence_id.label("found_evidence"),
            c.byte_offset.label("found_offset"),
            c.import_id,
        )
        .join(messages, messages.c.id == c.message_pk)
        .join(chats, chats.c.id == messages.c.chat_id)
        .outerjoin(stored, stored.c.id == c.stored_account_id)
        .outerjoin(found, found.c.id == c.found_account_id)
        .where(c.field == "sender", or_(c.stored_account_id == account_id, c.found_account_id == account_id))
        .order_by(c.id)
    )
    return [dict(r._mapping) for r in conn.execute(q)]
