"""``veilleur exchanges``, ``network``, ``roles``, ``propagation``, ``timeline``: following the material."""

from __future__ import annotations

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx


@click.command("exchanges")
@click.option("--account", "accounts", multiple=True, help="Only exchanges this account took part in.")
@click.option("--chat", help="Only exchanges in this chat (its key, e.g. telegram:channel:123, or title).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def exchanges_cmd(obj: Ctx, accounts: tuple[str, ...], chat: str | None, as_json: bool) -> None:
    """Every exchange of flagged media: sender, recipients (and why), time, chat, matches, citation."""
    v = app.exchanges(obj.session(), accounts=accounts, chat=chat)
    render.print_json(v) if as_json else render.exchanges_table(v)


@click.command("network")
@click.argument("accounts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def network_cmd(obj: Ctx, accounts: tuple[str, ...], as_json: bool) -> None:
    """Everyone who exchanged flagged material with ACCOUNT(s), with the evidence per person.

    Direct links (private chats, replies, forwards) come first, then links through shared groups.
    """
    v = app.network(obj.session(), accounts)
    render.print_json(v) if as_json else render.network_table(v)


@click.command("roles")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def roles_cmd(obj: Ctx, as_json: bool) -> None:
    """Roles, volumes, active period, centrality and community of every account in the exchanges."""
    v = app.roles(obj.session())
    render.print_json(v) if as_json else render.roles_table(v)


@click.command("propagation")
@click.option("--new", "only_new", is_flag=True, help="Only possibly new material (for review).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def propagation_cmd(obj: Ctx, only_new: bool, as_json: bool) -> None:
    """Where each media item first appeared and how it spread; possibly new material with its reasons.

    Items are named by SHA-256 and citations only: nothing is shown.
    """
    v = app.propagation(obj.session(), new_only=only_new)
    render.print_json(v) if as_json else render.propagation_table(v)


@click.command("timeline")
@click.option("--account", help="An account's names and flagged sends and receipts, by time.")
@click.option("--chat", help="A chat's messages, senders and flagged exchanges per month.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def timeline_cmd(obj: Ctx, account: str | None, chat: str | None, as_json: bool) -> None:
    """The timeline of one account or of one chat."""
    if (account is None) == (chat is None):
        raise click.UsageError("give either --account or --chat")
    v = app.timeline(obj.session(), account=account, chat=chat)
    render.print_json(v) if as_json else render.timeline_table(v)


COMMANDS = [exchanges_cmd, network_cmd, roles_cmd, propagation_cmd, timeline_cmd]
