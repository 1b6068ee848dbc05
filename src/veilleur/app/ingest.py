"""Use cases of getting evidence in and seeing what came in: import, the imports, the summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from pathlib import Path

import orjson
from sqlalchemy import select

from veilleur.app.results import ImportOutcome, ImportRow, ImportsView, Summary
from veilleur.app.search import refresh_index
from veilleur.app.session import CaseSession, use_case
from veilleur.app.snapshots import memo
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.outputs.summary import case_summary
from veilleur.store.schema import imports as imports_table

__all__ = ["import_export_file", "imports", "summary", "write_import_reports"]

Progress = Callable[[str, int, int], None]


@use_case("import")
def import_export_file(
    session: CaseSession,
    path: Path,
    *,
    utc_offset: timezone | None = None,
    lenient_utf8: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import one Telegram Desktop export (folder, zip, result.json or messages.html); resumable.
    The import logs itself (``import``) with the evidence it registered."""
    result = import_export(
        session.case, path, ImportOptions(session.user, utc_offset, lenient_utf8), progress
    )
    if result.status != "unchanged":
        refresh_index(session.case, operator=session.user, after_import=True)
    return ImportOutcome(str(path), result.import_id, result.status, result.resumed, result.report)


@use_case("imports.show")
def write_import_reports(session: CaseSession, outcomes: list[ImportOutcome], target: Path) -> None:
    """Write the machine-readable reports of ``outcomes`` to ``target`` (logged ``report.imports``)."""
    session.log_action("report.imports", subject=str(target), details={"imports": len(outcomes)})
    target.write_bytes(
        orjson.dumps([o.report | {"status": o.status} for o in outcomes], option=orjson.OPT_INDENT_2)
    )


@use_case("imports.show")
def imports(session: CaseSession) -> ImportsView:
    with session.reading() as conn:
        rows = conn.execute(select(imports_table).order_by(imports_table.c.id)).all()
    session.log_view("imports", details={"imports": len(rows)})
    return ImportsView(
        [
            ImportRow(
                r.id,
                r.status,
                r.format,
                r.layout,
                r.started_at,
                r.operator,
                r.source_path,
                r.error,
                orjson.loads(r.report) if r.report else None,
            )
            for r in rows
        ]
    )


@use_case("summary")
def summary(session: CaseSession) -> Summary:
    with session.reading() as conn:
        s = memo(session, conn, "summary", lambda: case_summary(conn))
    session.log_view("summary")
    return Summary(s)
