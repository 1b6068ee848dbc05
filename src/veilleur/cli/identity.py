"""``veilleur records …``, ``indicators …`` and ``link …``: the people behind the accounts."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx


@click.group("records")
def records_group() -> None:
    """Records about accounts and persons: lawful returns, identity records, person attributes.

    Each file is registered as evidence and imported whole or not at all (docs/records.md).
    """


@records_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["returns", "identity", "attributes"]),
    help="What the file holds.",
)
@click.option(
    "--source", help="Who provided the file (e.g. 'Telegram LE portal', 'Orange réquisition 2026-114')."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), help="The file's format (default: detected)."
)
@click.option(
    "--region", default="FR", show_default=True, help="Region of phone numbers without a country code."
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def records_import(
    obj: Ctx, path: Path, kind: str, source: str | None, fmt: str | None, region: str, as_json: bool
) -> None:
    """Import a CSV or JSON file of records of KIND (validated whole; nothing stored if a row is bad)."""
    r = app.import_record_file(obj.session(), path, kind=kind, source=source, format=fmt, region=region)
    render.print_json(r) if as_json else render.records_import_line(str(path), r)


@records_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def records_show(obj: Ctx, as_json: bool) -> None:
    """Counts per kind and per import; never a personal value."""
    v = app.records(obj.session())
    render.print_json(v) if as_json else render.records_view(v)


@click.group("indicators")
def indicators_group() -> None:
    """Text indicators in messages: access to children, jobs with children, intent, requests, meetings.

    Hits are leads to read, never evidence alone (docs/indicators.md). The text of sensitive hits
    (intent, request, meeting) is hidden; 'indicators reveal' shows it, logged with a reason.
    """


@indicators_group.command("run")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def indicators_run(obj: Ctx, as_json: bool) -> None:
    """Scan every message text with the French and English rules; the hits become the current run."""
    r = app.run_indicator_scan(obj.session())
    render.print_json(r) if as_json else render.indicator_run_table(r)


@indicators_group.command("show")
@click.option("--account", help="Only hits in messages this account sent.")
@click.option(
    "--indicator",
    type=click.Choice(["access_to_children", "profession", "intent", "request", "meeting"]),
    help="Only this indicator.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def indicators_show(obj: Ctx, account: str | None, indicator: str | None, as_json: bool) -> None:
    """The current run's hits with their citation; sensitive text hidden (see 'indicators reveal')."""
    v = app.indicator_hits(obj.session(), account=account, indicator=indicator)
    render.print_json(v) if as_json else render.indicator_hits_table(v)


@indicators_group.command("reveal")
@click.argument("hit_id", type=int)
@click.option("--reason", required=True, help="Why the text is needed (recorded in the audit log).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def indicators_reveal(obj: Ctx, hit_id: int, reason: str, as_json: bool) -> None:
    """Show the text of indicator hit HIT_ID with some context; logged (reveal.text) first."""
    r = app.reveal_hit(obj.session(), hit_id, reason=reason)
    render.print_json(r) if as_json else render.line(render.safe(r.text))


@click.group("link")
def link_group() -> None:
    """Identity resolution: accounts to persons and to other accounts, with factors and decisions.

    See docs/linking.md. Every run respects the analysts' decisions ('link confirm', 'link reject').
    """


@link_group.command("run")
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A JSON file of linking settings (docs/linking.md).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def link_run(obj: Ctx, settings_path: Path | None, as_json: bool) -> None:
    """Link every account to persons of the identity records, and to other accounts (aliases)."""
    r = app.run_linking(obj.session(), settings_path=settings_path)
    render.print_json(r) if as_json else render.link_run_table(r)


@link_group.command("show")
@click.option("--account", help="Only links of this account.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def link_show(obj: Ctx, account: str | None, as_json: bool) -> None:
    """The current links: the latest run's candidates with the decisions in force, and why."""
    v = app.links(obj.session(), account=account)
    render.print_json(v) if as_json else render.links_table(v)


def _decide(
    obj: Ctx,
    decision: str,
    account: str,
    person: str | None,
    other: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    if (person is None) == (other is None):
        raise click.UsageError("give exactly one of --person KEY or --account2 KEY")
    d = app.decide_link(
        obj.session(), account, decision=decision, person=person, other_account=other, note=note
    )
    if as_json:
        render.print_json(d)
        return
    target = f"person {d.person}" if d.person else f"account {d.other_account}"
    render.line(
        render.safe(f"Decision #{d.id}: {d.account} → {target} {decision}; every later run respects it.")
    )


_ACCOUNT = click.argument("account", metavar="ACCOUNT")
_NOTE = click.option("--note", help="Why (recorded with the decision and in the audit log).")


@link_group.command("confirm")
@_ACCOUNT
@click.option("--person", help="The person's key (as the identity records name them) or name.")
@click.option("--account2", "other", help="The other account (an alias).")
@_NOTE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def link_confirm(
    obj: Ctx, account: str, person: str | None, other: str | None, note: str | None, as_json: bool
) -> None:
    """Confirm that ACCOUNT is this person, or the same person as another account."""
    _decide(obj, "confirmed", account, person, other, note, as_json)


@link_group.command("reject")
@_ACCOUNT
@click.option("--person", help="The person's key (as the identity records name them) or name.")
@click.option("--account2", "other", help="The other account.")
@_NOTE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def link_reject(
    obj: Ctx, account: str, person: str | None, other: str | None, note: str | None, as_json: bool
) -> None:
    """Reject a link: no later run proposes it again (until another decision replaces this one)."""
    _decide(obj, "rejected", account, person, other, note, as_json)


COMMANDS = [records_group, indicators_group, link_group]
