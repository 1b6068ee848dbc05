"""``veilleur demo``: the synthetic demo case, built and checked end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from veilleur import app
from veilleur.app.results import (
    HitsView,
    KeywordRun,
    MatchReport,
    NetworkView,
    RankingView,
    SearchView,
    Summary,
)
from veilleur.cli import render
from veilleur.cli.context import Ctx
from veilleur.cli.exit_codes import ExitCode


def _show(result: Any, title: str | None) -> None:
    if isinstance(result, Summary):
        render.summary_table(result)
    elif isinstance(result, MatchReport):
        render.match_table(result)
    elif isinstance(result, HitsView):
        render.hits_view(result, files=False)
    elif isinstance(result, NetworkView):
        render.network_table(result)
    elif isinstance(result, RankingView):
        render.ranking_table(result, title=title, top=8)
    elif isinstance(result, SearchView):
        render.search_view(result)
    elif isinstance(result, KeywordRun):
        render.keyword_run_table(result)
    else:
        render.print_json(result)


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-case",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the demo case.",
)
@click.option("--seed", default=7, show_default=True)
@click.pass_obj
def demo_cmd(obj: Ctx, out_dir: Path, seed: int) -> None:
    """Generate the synthetic demo case and run the whole pipeline on it."""
    if not app.build_demo(out_dir, seed=seed, user=obj.operator, say=render.line, show=_show):
        raise SystemExit(ExitCode.CHECK_FAILED)


COMMANDS = [demo_cmd]
