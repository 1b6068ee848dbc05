"""Dossiers written to files: each account's HTML, and its PDF typeset from the same data.

The HTML is rendered from :func:`~veilleur.outputs.dossier.account_dossier`'s data by
``dossier.html.j2``; the PDF from that same data by ``dossier.typ`` (:mod:`veilleur.outputs.pdf`),
in worker processes while the next account is read, so that a case's dossiers take minutes, not
hours. The file names are :func:`~veilleur.outputs.dossier.file_stems`'.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from veilleur.case import Case
from veilleur.outputs.dossier import DossierContext, account_dossier, participants, render_html
from veilleur.outputs.pdf import DossierPrinter, write_dossier_pdf

__all__ = ["write_all_dossiers", "write_dossier", "write_dossiers"]


def _html(
    conn: Connection, account_id: int, out_dir: Path, ctx: DossierContext
) -> tuple[dict[str, Any], Path]:
    data = account_dossier(conn, account_id, ctx)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{ctx.file_stem(account_id)}.html"
    path.write_text(render_html(data), encoding="utf-8")
    return data, path


def write_dossier(
    conn: Connection, account_id: int, out_dir: Path, ctx: DossierContext, *, pdf: bool = True
) -> list[Path]:
    """Write the account's dossier, ``<key, readable>-<digest>.html`` (and ``.pdf``), under
    ``out_dir``; return the paths."""
    data, html = _html(conn, account_id, out_dir, ctx)
    if not pdf:
        return [html]
    write_dossier_pdf(data, html.with_suffix(".pdf"))
    return [html, html.with_suffix(".pdf")]


def write_all_dossiers(
    case: Case,
    out_dir: Path,
    *,
    operator: str,
    pdf: bool = True,
    account_ids: list[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """A dossier for every participant in an exchange of flagged media (or the given accounts).

    The production is logged (``report.dossiers``) before any file is written, and every dossier
    states that entry's audit position. ``progress(done, total)`` is called as each dossier is
    complete, its PDF included. ``workers``: processes typesetting PDFs (default one per core).
    """
    with case.engine.connect() as conn:
        ctx = DossierContext.build(conn, operator)
    # An account asked for twice (by key and by name, say) has one dossier, listed once.
    ids = list(dict.fromkeys(account_ids)) if account_ids is not None else participants(ctx)
    where = case.audit(
        "report.dossiers",
        operator=operator,
        subject=str(out_dir),
        details={"accounts": len(ids), "pdf": pdf, "matching_run": ctx.run_id},
    )
    ctx.audit_position = where.label
    with DossierPrinter(workers) as printer, case.engine.connect() as conn:
        return write_dossiers(conn, ids, out_dir, ctx, printer if pdf else None, progress)


def write_dossiers(
    conn: Connection,
    ids: list[int],
    out_dir: Path,
    ctx: DossierContext,
    printer: DossierPrinter | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write the dossiers of ``ids`` under ``out_dir``, their PDFs on ``printer`` (None: HTML
    only), calling ``progress(done, total)`` as each is complete; return the paths, each HTML
    before its PDF, once every PDF is written. A PDF that fails raises here, for the first
    dossier that failed, and those queued after it are not printed."""
    paths: list[Path] = []
    pending: deque[Future[list[str]]] = deque()
    done = 0

    def complete(wait: bool) -> None:
        nonlocal done
        while pending and (wait or pending[0].done()):
            pending.popleft().result()
            done += 1
            if progress is not None:
                progress(done, len(ids))

    for account_id in ids:
        data, html = _html(conn, account_id, out_dir, ctx)
        paths.append(html)
        if printer is None:
            done += 1
            if progress is not None:
                progress(done, len(ids))
            continue
        pending.append(printer.submit(data, html.with_suffix(".pdf")))
        paths.append(html.with_suffix(".pdf"))
        complete(wait=False)
    complete(wait=True)
    return paths
