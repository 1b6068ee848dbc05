"""``veilleur dossier``, ``report`` and ``export``: evidence written out for people and tools."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx

_OUT = click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))


@click.command("dossier")
@click.argument("accounts", nargs=-1)
@_OUT
@click.option("--no-pdf", is_flag=True, help="HTML only.")
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_obj
def dossier_cmd(obj: Ctx, accounts: tuple[str, ...], out_dir: Path, no_pdf: bool, as_json: bool) -> None:
    """Write the dossier (HTML and PDF) of each ACCOUNT, or of every participant when none is given."""
    with render.counted_bar("dossiers", disable=as_json) as progress:
        task = progress.add_task("Writing dossiers", total=None)
        v = app.dossiers(
            obj.session(),
            out_dir,
            accounts=accounts,
            pdf=not no_pdf,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    render.print_json(v) if as_json else render.line(f"Wrote {len(v.files)} files to {render.safe(out_dir)}.")


@click.command("report")
@_OUT
@click.option("--no-pdf", is_flag=True, help="HTML only.")
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_obj
def report_cmd(obj: Ctx, out_dir: Path, no_pdf: bool, as_json: bool) -> None:
    """The case summary and every participant's dossier, in one folder per jurisdiction, with a manifest."""
    v = app.reports(obj.session(), out_dir, pdf=not no_pdf)
    if as_json:
        render.print_json(v)
    else:
        render.line(
            f"Wrote {len(v.files)} files to {render.safe(out_dir)} (manifest.json lists their SHA-256)."
        )


@click.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(list(app.EXPORT_FORMATS)))
@_OUT
@click.option(
    "--raw-csv",
    is_flag=True,
    help="csv only: write text cells as the case holds them, even those a spreadsheet would run as "
    "a formula (= + - @ first); by default these get a leading apostrophe.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_obj
def export_cmd(obj: Ctx, fmt: str, out_dir: Path, raw_csv: bool, as_json: bool) -> None:
    """Export the case for other tools: csv, jsonl, ftm (FollowTheMoney), cybertip (CyberTipline
    report sections), vics (VICS 2.0 case file of the flagged files). Never media, never list data."""
    v = app.export(obj.session(), fmt, out_dir, raw_csv=raw_csv)
    render.print_json(v) if as_json else render.line(f"Wrote {len(v.files)} files to {render.safe(out_dir)}.")


COMMANDS = [dossier_cmd, report_cmd, export_cmd]
