"""``veilleur case …`` and ``veilleur users …``: cases, their members, the installation's users."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx
from veilleur.cli.exit_codes import ExitCode


@click.group("case")
def case_group() -> None:
    """Create, upgrade and share case workspaces."""


@case_group.command("init")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Case name (default: folder name).")
@click.option("--database-url", help="PostgreSQL URL for a team case (default: SQLite in the folder).")
@click.pass_obj
def case_init(obj: Ctx, folder: Path | None, name: str | None, database_url: str | None) -> None:
    """Create a case folder (default: the --case folder); you become its lead."""
    case = app.create_case(folder or obj.case_dir, user=obj.operator, name=name, database_url=database_url)
    render.line(
        f"Case [bold]{render.safe(case.name)}[/] created in {render.safe(case.root)} "
        f"({case.engine.dialect.name})."
    )
    case.close()


@case_group.command("upgrade")
@click.pass_obj
def case_upgrade(obj: Ctx) -> None:
    """Bring an older case's schema to this Veilleur's (back it up first). Audited; leads only."""
    done = app.upgrade(obj.case_dir, user=obj.operator)
    if done.before == done.after:
        render.line(f"The case's schema is current (revision {done.after}); nothing to do.")
    else:
        render.line(f"Case upgraded from schema revision {done.before} to {done.after}.")


@case_group.command("verify")
@click.option(
    "--no-files",
    is_flag=True,
    help="Do not re-hash the evidence files (they are on a drive not mounted here); the rest is checked.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def case_verify(obj: Ctx, no_files: bool, as_json: bool) -> None:
    """Check that the case's data is what was imported; exit 1 on any problem.

    The audit chain and its witness; every import's records against the content seal its audit
    entry holds (an edited text or sender, a deleted message, a rewritten SHA-256 are caught);
    the evidence files against the registry. The check is then logged (case.verify).
    """
    v = app.case_verify(obj.session(), files=not no_files)
    render.print_json(v) if as_json else render.case_verification(v)
    if not v.ok:
        raise SystemExit(ExitCode.CHECK_FAILED)


@case_group.group("members")
def members_group() -> None:
    """Who may work on this case, and as what (viewer, analyst, lead)."""


@members_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def members_list(obj: Ctx, as_json: bool) -> None:
    """The case's members and their roles."""
    v = app.members(obj.session())
    render.print_json(v) if as_json else render.members_table(v)


@members_group.command("add")
@click.argument("user")
@click.option("--role", type=click.Choice(["viewer", "analyst", "lead"]), required=True)
@click.pass_obj
def members_add(obj: Ctx, user: str, role: str) -> None:
    """Make USER a member with ROLE, or change their role (leads only)."""
    m = app.set_member(obj.session(), user, role)
    render.line(f"{render.safe(m.user)} is {m.role} of this case.")


@members_group.command("remove")
@click.argument("user")
@click.pass_obj
def members_remove(obj: Ctx, user: str) -> None:
    """Remove USER from the case (leads only; the last lead stays)."""
    app.remove_member(obj.session(), user)
    render.line(f"{render.safe(user)} is no longer a member of this case.")


@click.group("users")
def users_group() -> None:
    """The installation's users (administrators only). Being one gives no access to any case."""


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def users_list(obj: Ctx, as_json: bool) -> None:
    """Every user of this installation."""
    v = app.users(app.open_installation(), user=obj.operator)
    render.print_json(v) if as_json else render.users_table(v)


@users_group.command("add")
@click.argument("name")
@click.option("--display-name", help="The name shown (default: NAME).")
@click.option("--admin", is_flag=True, help="An administrator of the installation.")
@click.pass_obj
def users_add(obj: Ctx, name: str, display_name: str | None, admin: bool) -> None:
    """Add a user to the installation (the first user of a new installation administers it)."""
    u = app.add_user(app.open_installation(), name, user=obj.operator, display_name=display_name, admin=admin)
    render.line(f"User {render.safe(u.name)} added{' (administrator)' if u.is_admin else ''}.")


@users_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the user again.")
@click.pass_obj
def users_disable(obj: Ctx, name: str, enable: bool) -> None:
    """Disable a user: while disabled they have no role in any case."""
    u = app.set_user_disabled(app.open_installation(), name, user=obj.operator, disabled=not enable)
    render.line(f"User {render.safe(u.name)} {'disabled' if u.disabled else 'enabled'}.")


@users_group.command("password")
@click.argument("name")
@click.option("--generate", is_flag=True, help="Make a random password and print it (once).")
@click.pass_obj
def users_password(obj: Ctx, name: str, generate: bool) -> None:
    """Set a user's password for the web application (yourself, or anyone as an administrator).
    Their signed-in sessions end."""
    if generate:
        password = app.new_password()
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    app.set_user_password(app.open_installation(), name, password, user=obj.operator)
    render.line(f"Password of {render.safe(name)} set." + (f" It is: {password}" if generate else ""))


COMMANDS = [case_group, users_group]
