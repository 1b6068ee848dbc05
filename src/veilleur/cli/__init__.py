"""The ``veilleur`` command line: a thin client of the application layer.

Every command works on one case folder (``--case``, or ``VEILLEUR_CASE``, default the current
folder) and acts as one user of the case (``--operator``, or ``VEILLEUR_OPERATOR``, default the
login name), whose role in the case decides what they may do (``docs/permissions.md``). A command
parses its options, calls one use case of :mod:`veilleur.app` and prints the typed result it gets
back through :mod:`veilleur.cli.render`, or its JSON (``--json``). It holds no SQL and writes no
audit entry: the use case checks the permission and logs the action or view before returning.

Exit codes (:class:`ExitCode`): 0 done; 1 a check found a problem (verification, the demo's
ground truth); 2 a usage error (click's own); 3 a Veilleur error (bad input, a case that cannot
be opened); 4 refused by the permission table; 5 a key or name that names nothing (with the
candidates it may have meant).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from veilleur.app import NotFound, PermissionDenied, VeilleurError
from veilleur.cli import render
from veilleur.cli.context import Ctx
from veilleur.cli.exit_codes import ExitCode

__all__ = ["ExitCode", "cli", "main"]


class VeilleurGroup(click.Group):
    """Turns a Veilleur error into its message and exit code, under any runner (tests included)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PermissionDenied as e:
            render.error(str(e))
            ctx.exit(ExitCode.DENIED)
        except NotFound as e:
            render.error(str(e))
            ctx.exit(ExitCode.NOT_FOUND)
        except VeilleurError as e:
            # Paths and messages are text, not markup ("[x]" in a folder name); one line, unwrapped.
            render.error(str(e))
            ctx.exit(ExitCode.ERROR)


@click.group(cls=VeilleurGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--case",
    "case_dir",
    envvar="VEILLEUR_CASE",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Case folder.",
)
@click.option(
    "--operator",
    envvar="VEILLEUR_OPERATOR",
    default=None,
    help="Who is acting: a user of the case (recorded in custody and the audit log). Default: login name.",
)
@click.pass_context
def cli(ctx: click.Context, case_dir: Path, operator: str | None) -> None:
    """Veilleur: case analysis of lawfully held messaging exports."""
    ctx.obj = Ctx(case_dir, operator or os.environ.get("VEILLEUR_OPERATOR") or getpass.getuser())


def _register() -> None:
    from veilleur.cli import (
        audit,
        cases,
        demo,
        identity,
        ingest,
        media,
        network,
        outputs,
        ranking,
        search,
        web,
    )

    for module in (cases, ingest, media, network, search, identity, ranking, outputs, audit, web, demo):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    try:
        cli(standalone_mode=True)
    except VeilleurError as e:  # raised outside a command (while the group itself starts)
        render.error(str(e))
        sys.exit(ExitCode.ERROR)


if __name__ == "__main__":
    main()
