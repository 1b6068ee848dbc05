"""``veilleur search`` and ``veilleur keywords …``: find every message, name and identifier."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx


@click.command("search")
@click.argument("query", required=False)
@click.option("--chat", help="Only this chat (key or title).")
@click.option("--account", help="Only messages this account sent (or received, with --received).")
@click.option(
    "--sent/--received", "sent", default=True, help="With --account: its messages, or those it received."
)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Hits per page.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--reindex", is_flag=True, help="Bring the search index up to date first (analysts).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def search_cmd(
    obj: Ctx,
    query: str | None,
    chat: str | None,
    account: str | None,
    sent: bool,
    limit: int,
    page: int,
    reindex: bool,
    as_json: bool,
) -> None:
    """Search messages (current and earlier texts, captions, polls, file names), names, usernames,
    chat titles and identifiers, on either backend (docs/search.md has the query language):

    \b
      veilleur search 'enfant* AND "sortie scolaire" after:2026-01-01'
      veilleur search 'phone:06.12.34.56.78'      veilleur search 'name:camille OR username:camille_r'
    """
    session = obj.session()
    if reindex:
        r = app.reindex(session)
        render.line(
            f"Search index: {r.documents} documents added ({r.messages} messages) in {r.seconds:.1f} s."
        )
    if query is None:
        if not reindex:
            raise click.UsageError("give a QUERY (or --reindex)")
        return
    v = app.search(
        session,
        query,
        chat=chat,
        account=account,
        direction="sent" if sent else "received",
        limit=limit,
        offset=(page - 1) * limit,
    )
    render.print_json(v) if as_json else render.search_view(v)


@click.group("keywords")
def keywords_group() -> None:
    """Keyword lists (a file of terms, one a line, in the query language) run over the whole case."""


@keywords_group.command("run")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def keywords_run(obj: Ctx, path: Path, as_json: bool) -> None:
    """Run every term of the list at PATH; the run and its hits are kept and logged."""
    r = app.run_keyword_list(obj.session(), path)
    render.print_json(r) if as_json else render.keyword_run_table(r)


@keywords_group.command("show")
@click.option("--run", "run_id", type=int, help="Which run (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def keywords_show(obj: Ctx, run_id: int | None, as_json: bool) -> None:
    """A keyword run's counts per term and the first hits of each, with their citations."""
    v = app.keyword_hits_view(obj.session(), run_id=run_id)
    render.print_json(v) if as_json else render.keyword_hits_table(v)


COMMANDS = [search_cmd, keywords_group]
