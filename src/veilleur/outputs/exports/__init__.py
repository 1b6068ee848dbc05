"""Exports other tools read: one small module per format, and the registry the CLI offers.

Every exporter is called ``write(conn, out_dir, *, run_id=None)`` (some take more keyword
arguments, each with a default), writes its files into ``out_dir`` and returns their paths, the
``manifest.json`` last: format, time (UTC), Veilleur version, the matching run used and the
SHA-256 and size of every file (:mod:`veilleur.outputs.exports.base`). An export never
overwrites, never contains media, and never contains hash-list data
(:data:`veilleur.lists.LIST_TABLES`): hits are given by list name and version, entry identifier
and category. ``docs/exports.md`` describes each format.

For one consistent view of a case that others are changing, pass a connection inside one
transaction (on PostgreSQL with ``isolation_level="REPEATABLE READ"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from veilleur.outputs.exports.base import MANIFEST, ExportError
from veilleur.outputs.exports.cybertip import write_cybertip
from veilleur.outputs.exports.ftm import write_ftm
from veilleur.outputs.exports.tabular import write_csv, write_jsonl
from veilleur.outputs.exports.vics import write_vics

__all__ = [
    "EXPORTERS",
    "MANIFEST",
    "ExportError",
    "ExportFunction",
    "Exporter",
    "write_csv",
    "write_cybertip",
    "write_ftm",
    "write_jsonl",
    "write_vics",
]


class ExportFunction(Protocol):
    def __call__(self, conn: Connection, out_dir: Path, *, run_id: int | None = None) -> list[Path]: ...


@dataclass(frozen=True)
class Exporter:
    """One export format: its name (``veilleur export <name>``), a one-line description, and the
    function that writes it."""

    name: str
    description: str
    write: ExportFunction


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter(
            "csv", "accounts, messages, exchanges of flagged media and matches as CSV tables", write_csv
        ),
        Exporter("jsonl", "the same four tables as JSON Lines", write_jsonl),
        Exporter("ftm", "FollowTheMoney entities (accounts, flagged messages, chats) for Aleph", write_ftm),
        Exporter(
            "cybertip", "CyberTipline report sections (XML), one file per reported account", write_cybertip
        ),
        Exporter(
            "vics", "Project VIC VICS 2.0 case file of the flagged files' hashes and categories", write_vics
        ),
    )
}
"""The export formats by name, in the order to offer them."""
