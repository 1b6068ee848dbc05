"""``veilleur import``, ``imports``, ``summary`` and ``evidence …``: getting evidence in."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx
from veilleur.cli.exit_codes import ExitCode


def _offset(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timezone | None:
    if value is None:
        return None
    try:
        return app.utc_offset(value)
    except (ValueError, app.VeilleurError) as e:
        raise click.BadParameter(f"{value!r} is not a UTC offset such as +01:00 or -05:30 ({e})") from None


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False, path_type=Path))
@click.option(
    "--utc-offset",
    "offset",
    callback=_offset,
    help="Exporter's UTC offset (e.g. +01:00), for exports without date_unixtime "
    "and for HTML titles without an offset.",
)
@click.option("--lenient-utf8", is_flag=True, help="Import invalid UTF-8 as U+FFFD (each repair logged).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the machine-readable import report (JSON) here.",
)
@click.pass_obj
def import_cmd(
    obj: Ctx, paths: tuple[Path, ...], offset: timezone | None, lenient_utf8: bool, report_path: Path | None
) -> None:
    """Import Telegram Desktop exports (folders, zips, result.json or messages.html)."""
    session = obj.session()
    outcomes = []
    for path in paths:
        with render.transfer_bar() as progress:
            o = app.import_export_file(
                session,
                path,
                utc_offset=offset,
                lenient_utf8=lenient_utf8,
                progress=render.PhaseBar(progress),
            )
        render.import_line(o)
        outcomes.append(o)
    if report_path:
        app.write_import_reports(session, outcomes, report_path)


@click.command("imports")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_obj
def imports_cmd(obj: Ctx, as_json: bool) -> None:
    """The imports of this case, with their status and reports."""
    v = app.imports(obj.session())
    render.print_json(v) if as_json else render.imports_table(v)


@click.command("summary")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def summary_cmd(obj: Ctx, as_json: bool) -> None:
    """What the case holds: chats, accounts, messages, media, date range, warnings."""
    s = app.summary(obj.session())
    render.print_json(s) if as_json else render.summary_table(s)


@click.group("evidence")
def evidence_group() -> None:
    """The evidence registry and chain of custody."""


@evidence_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_list(obj: Ctx, as_json: bool) -> None:
    """Every registered file with its SHA-256."""
    v = app.evidence_list(obj.session())
    render.print_json(v) if as_json else render.evidence_table(v)


@evidence_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def evidence_verify(obj: Ctx, as_json: bool) -> None:
    """Re-hash every registered file; exit 1 if any changed or went missing."""
    v = app.evidence_verify(obj.session())
    render.print_json(v) if as_json else render.evidence_verification(v)
    if not v.ok:
        raise SystemExit(ExitCode.CHECK_FAILED)


COMMANDS = [import_cmd, imports_cmd, summary_cmd, evidence_group]
