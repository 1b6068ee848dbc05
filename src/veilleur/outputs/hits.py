"""The hits, as tables an analyst reads and as plain data for ``--json``.

Rows carry hashes of the case's own files, list names and versions, the matched entries'
identifiers and categories, distances and message citations: never a picture, never a list
entry's hash value.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection

from veilleur.matching.results import FlaggedFile, Hit, Tally, flagged_files, hits_by_account, hits_by_chat
from veilleur.matching.run import MatchReport
from veilleur.sources.telegram_common import iso_utc

__all__ = ["files_table", "hits_data", "report_table", "tally_table"]


def report_table(r: MatchReport) -> Table:
    t = Table(title=f"Matching run {r.run_id}", show_header=False)
    t.add_row("hashed media files", str(r.media_files))
    t.add_row(
        "pictures queried by PDQ", f"{r.pictures_queried} ({r.low_quality} under the quality threshold)"
    )
    t.add_row("videos queried", str(r.videos_queried))
    t.add_row("hits on positive lists", f"{r.hits} ({r.suppressed} suppressed by negative lists)")
    t.add_row("by method", ", ".join(f"{k}: {v}" for k, v in r.by_method.items()) or "-")
    t.add_row("by list", ", ".join(f"{escape(k)}: {v}" for k, v in r.by_list.items()) or "-")
    t.add_row("files flagged", str(r.files_flagged))
    return t


def _how(h: Hit) -> str:
    if h.method == "exact":
        return f"{h.hash_type} exact"
    if h.method == "vpdq":
        return (
            f"vpdq {h.query_match_pct:g}% of frames / {h.compared_match_pct:g}% of listed, "
            f"closest {h.distance}/{h.threshold} bits"
        )
    where = ""
    if h.variant:
        where = f", variant {h.variant}"
    if h.frame_ms is not None:
        where = f", frame at {h.frame_ms / 1000:g} s"
    return f"{h.method} {h.distance}/{h.threshold} bits{where}"


def files_table(files: list[FlaggedFile]) -> Table:
    t = Table("file (SHA-256)", "signals agreeing", "hits (list: entry, category, how)", "status")
    for f in files:
        hits = "\n".join(
            f"{escape(h.list_name)}: {escape(h.external_id or f'#{h.entry_id}')}, "
            f"{escape(h.category or 'no category')}, {_how(h)}"
            + (f" (suppressed by negative entry #{h.suppressed_by})" if h.suppressed_by else "")
            for h in f.hits
        )
        t.add_row(f.sha256, "+".join(f.signals) or "-", hits, "flagged" if f.flagged else "suppressed")
    return t


def tally_table(title: str, what: str, tallies: list[Tally]) -> Table:
    t = Table(what, "messages", "files", "first (UTC)", "last (UTC)", title=title)
    for x in tallies:
        t.add_row(
            f"{escape(x.label)}\n[dim]{escape(x.key)}[/]",
            str(len(x.messages)),
            str(len(x.files)),
            (iso_utc(x.first_utc) or "-")[:10],
            (iso_utc(x.last_utc) or "-")[:10],
        )
    return t


def hits_data(conn: Connection) -> dict[str, Any]:
    """The current hits as plain data: per file, per chat, per account."""

    def tally(x: Tally) -> dict[str, Any]:
        return {
            "key": x.key,
            "label": x.label,
            "messages": len(x.messages),
            "files": sorted(x.files),
            "first_utc": iso_utc(x.first_utc),
            "last_utc": iso_utc(x.last_utc),
        }

    return {
        "files": [
            {
                "sha256": f.sha256,
                "flagged": f.flagged,
                "signals": list(f.signals),
                "hits": [vars(h) for h in f.hits],
            }
            for f in flagged_files(conn)
        ],
        "by_chat": [tally(x) for x in hits_by_chat(conn)],
        "by_account": [tally(x) for x in hits_by_account(conn)],
    }
