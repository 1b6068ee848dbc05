"""Use cases that write evidence out: dossiers, jurisdiction packages, exports for other tools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from veilleur.app.resolve import resolve_account
from veilleur.app.results import Dossiers, ExportWritten, OutputBody, OutputFileOut, OutputsView
from veilleur.app.session import CaseSession, use_case
from veilleur.errors import NotFound, VeilleurError
from veilleur.outputs.dossier_files import write_all_dossiers
from veilleur.outputs.exports import EXPORTERS, write_csv
from veilleur.outputs.packages import write_packages
from veilleur.timefmt import iso_utc

__all__ = [
    "EXPORT_FORMATS",
    "OUTPUTS",
    "dossiers",
    "export",
    "new_output_folder",
    "output_file",
    "outputs",
    "reports",
]

EXPORT_FORMATS = tuple(EXPORTERS)

OUTPUTS = "outputs"
"""The case folder's own folder of what was produced for it (by the web application, say)."""

READABLE = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".xml": "application/xml",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
"""What an output may be opened as: documents only. No output holds media, and none is served
as one."""


def outputs_folder(session: CaseSession) -> Path:
    return session.case.root / OUTPUTS


def new_output_folder(session: CaseSession, kind: str) -> Path:
    """A fresh folder for one production (``packages-20261204T101500Z``) in the outputs folder."""
    return outputs_folder(session) / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


@use_case("outputs.show")
def outputs(session: CaseSession) -> OutputsView:
    """What was produced into the case's outputs folder: dossiers, packages, exports."""
    root = outputs_folder(session)
    files = []
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink() and p.suffix.lower() in READABLE:
                st = p.stat()
                files.append(
                    OutputFileOut(p.relative_to(root).as_posix(), st.st_size, iso_utc(st.st_mtime) or "")
                )
    session.log_view("outputs", details={"files": len(files)})
    return OutputsView(files)


@use_case("outputs.show")
def output_file(session: CaseSession, relpath: str) -> OutputBody:
    """One produced document, read for a client to open or download (logged with its path). Only
    a regular file inside the outputs folder, of a document type, is read."""
    root = outputs_folder(session).resolve()
    target = (root / relpath).resolve()
    if not target.is_relative_to(root) or target == root:
        raise NotFound(f"no output {relpath!r} in this case")
    if target.suffix.lower() not in READABLE or not target.is_file() or target.is_symlink():
        raise NotFound(f"no output {relpath!r} in this case")
    rel = target.relative_to(root).as_posix()
    session.log_view("output", subject=rel)
    return OutputBody(rel, READABLE[target.suffix.lower()], target.read_bytes())


@use_case("dossiers")
def dossiers(
    session: CaseSession,
    out_dir: Path,
    *,
    accounts: tuple[str, ...] | list[str] = (),
    pdf: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Dossiers:
    """The dossier (HTML, PDF) of each account, or of every participant; logged before writing."""
    ids = None
    if accounts:
        with session.reading() as conn:
            ids = [resolve_account(conn, a).id for a in accounts]
    paths = write_all_dossiers(
        session.case, out_dir, operator=session.user, pdf=pdf, account_ids=ids, progress=progress
    )
    return Dossiers(str(out_dir), [str(p) for p in paths])


@use_case("reports")
def reports(session: CaseSession, out_dir: Path, *, pdf: bool = True) -> Dossiers:
    """The case summary and every participant's dossier, one folder per jurisdiction, a manifest."""
    paths = write_packages(session.case, out_dir, operator=session.user, pdf=pdf)
    return Dossiers(str(out_dir), [str(p) for p in paths])


@use_case("export")
def export(session: CaseSession, fmt: str, out_dir: Path, *, raw_csv: bool = False) -> ExportWritten:
    """Export the case for another tool (never media, never list data); logged before writing.

    CSV cells a spreadsheet would run as formulas are neutralised unless ``raw_csv``
    (:mod:`veilleur.outputs.exports.tabular`); that choice is logged with the export."""
    if fmt not in EXPORTERS:
        raise VeilleurError(f"no export format {fmt!r}: one of {', '.join(EXPORTERS)}")
    if raw_csv and fmt != "csv":
        raise VeilleurError(f"raw CSV values were asked for a {fmt} export: only the csv format has them")
    details = {"formula_cells": "raw" if raw_csv else "neutralised"} if fmt == "csv" else None
    session.log_action(f"export.{fmt}", subject=str(out_dir), details=details)
    with session.reading() as conn:
        paths = write_csv(conn, out_dir, raw=raw_csv) if fmt == "csv" else EXPORTERS[fmt].write(conn, out_dir)
    return ExportWritten(fmt, str(out_dir), [str(p) for p in paths])
