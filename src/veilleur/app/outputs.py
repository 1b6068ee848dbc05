"""Use cases that write evidence out: dossiers, jurisdiction packages, exports for other tools."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from veilleur.app.resolve import resolve_account
from veilleur.app.results import Dossiers, ExportWritten
from veilleur.app.session import CaseSession, use_case
from veilleur.errors import VeilleurError
from veilleur.outputs.dossier import write_all_dossiers
from veilleur.outputs.exports import EXPORTERS
from veilleur.outputs.packages import write_packages

__all__ = ["EXPORT_FORMATS", "dossiers", "export", "reports"]

EXPORT_FORMATS = tuple(EXPORTERS)


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
def export(session: CaseSession, fmt: str, out_dir: Path) -> ExportWritten:
    """Export the case for another tool (never media, never list data); logged before writing."""
    if fmt not in EXPORTERS:
        raise VeilleurError(f"no export format {fmt!r}: one of {', '.join(EXPORTERS)}")
    session.log_action(f"export.{fmt}", subject=str(out_dir))
    with session.reading() as conn:
        paths = EXPORTERS[fmt].write(conn, out_dir)
    return ExportWritten(fmt, str(out_dir), [str(p) for p in paths])
