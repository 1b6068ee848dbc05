"""``veilleur rank …``: who comes first, and why. A lead, never a verdict."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx


@click.group("rank")
def rank_group() -> None:
    """Who comes first: an explainable score per person (or unlinked account). A lead, not a verdict.

    See docs/prioritisation.md for what the score may and may not be used for.
    """


@rank_group.command("run")
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A weights file (TOML; default: Veilleur's, see docs/prioritisation.md).",
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON, every factor with its records.")
@click.pass_obj
def rank_run(obj: Ctx, weights_path: Path | None, top: int, as_json: bool) -> None:
    """Score and rank everyone in the case's exchanges, indicators and links; store the ranking."""
    v = app.rank(obj.session(), weights_path=weights_path)
    render.print_json(v) if as_json else render.ranking_table(v, top=top)


@rank_group.command("show")
@click.option("--ranking", "ranking_id", type=int, help="Which ranking (default: the latest).")
@click.option("--jurisdiction", help="Only subjects of this jurisdiction (as the ranking shows it).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON, every factor with its records.")
@click.pass_obj
def rank_show(obj: Ctx, ranking_id: int | None, jurisdiction: str | None, top: int, as_json: bool) -> None:
    """A stored ranking, each subject with the factors that gave it points and the records behind them."""
    v = app.show_ranking(obj.session(), ranking_id=ranking_id, jurisdiction=jurisdiction)
    if as_json:
        render.print_json(type(v)(v.ranking_id, v.weights_version, v.jurisdiction, v.subjects[:top]))
    else:
        render.ranking_table(v, top=top)


@rank_group.command("compare")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def rank_compare(obj: Ctx, old: int, new: int, as_json: bool) -> None:
    """Why each subject moved between rankings OLD and NEW."""
    v = app.compare_rankings(obj.session(), old, new)
    render.print_json(v) if as_json else render.comparison_table(v)


COMMANDS = [rank_group]
