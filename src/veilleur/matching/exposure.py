"""Exposure control: the one place that says whether a case file may ever be shown or copied.

Veilleur never renders, thumbnails, copies or transmits flagged media. Today no command reads a
media file for anything but hashing; every later interface that would show or package a file
(the web viewer, evidence packages) must ask :func:`refuse_if_flagged` first. A file counts as
flagged when any positive list matched it in the current run, *suppressed hits included*: a
negative list clears a file from reports, never from this guard, because showing known material
by mistake cannot be undone.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from veilleur.errors import VeilleurError
from veilleur.matching.results import current_run
from veilleur.store.schema import matches

__all__ = ["FlaggedMediaRefused", "flagged_sha256s", "refuse_if_flagged"]


class FlaggedMediaRefused(VeilleurError):
    """A request to show or copy a file that matched a list of known material."""


def flagged_sha256s(conn: Connection) -> frozenset[str]:
    """Every file a positive list matched in the current run, suppressed or not."""
    run_id = current_run(conn)
    if run_id is None:
        return frozenset()
    return frozenset(
        conn.execute(
            select(matches.c.sha256)
            .where(matches.c.run_id == run_id, matches.c.list_kind == "positive")
            .distinct()
        ).scalars()
    )


def refuse_if_flagged(conn: Connection, sha256: str) -> None:
    """Raise :class:`FlaggedMediaRefused` if ``sha256`` must never be shown or copied."""
    run_id = current_run(conn)
    if run_id is None:
        return
    hit = conn.execute(
        select(matches.c.id)
        .where(matches.c.run_id == run_id, matches.c.list_kind == "positive", matches.c.sha256 == sha256)
        .limit(1)
    ).first()
    if hit is not None:
        raise FlaggedMediaRefused(
            f"file {sha256} matched a list of known material; Veilleur never shows or copies it"
        )
