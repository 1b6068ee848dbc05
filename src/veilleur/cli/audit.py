"""``veilleur audit …``: the hash-chained log of every action and view."""

from __future__ import annotations

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx
from veilleur.cli.exit_codes import ExitCode


@click.group("audit")
def audit_group() -> None:
    """The audit log: every import, run, setting and view of case data, hash-chained.

    See docs/audit-log.md for what is logged and what verifying proves.
    """


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def audit_verify(obj: Ctx, as_json: bool) -> None:
    """Check the whole chain, its head and the witness file; exit 1 on any problem.

    The check itself is then logged (audit.verify, with the number of problems).
    """
    v = app.audit_verify(obj.session())
    render.print_json(v) if as_json else render.audit_verification(v)
    if not v.ok:
        raise SystemExit(ExitCode.CHECK_FAILED)


@audit_group.command("show")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Show the last N entries (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_obj
def audit_show(obj: Ctx, limit: int, as_json: bool) -> None:
    """The audit log's entries, newest last."""
    v = app.audit_show(obj.session(), limit=limit)
    render.print_json(v) if as_json else render.audit_table(v)


COMMANDS = [audit_group]
