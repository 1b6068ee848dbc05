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
from veilleur.cli.web import serve_cases


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
@click.option(
    "--serve/--no-serve", default=True, show_default=True, help="Serve the case in a browser afterwards."
)
@click.option("--port", default=8741, show_default=True)
@click.pass_obj
def demo_cmd(obj: Ctx, out_dir: Path, seed: int, serve: bool, port: int) -> None:
    """Generate the synthetic demo case, run the whole pipeline on it, then serve it in a browser
    on 127.0.0.1 with a one-time password for its lead (you)."""
    if not app.build_demo(out_dir, seed=seed, user=obj.operator, say=render.line, show=_show):
        raise SystemExit(ExitCode.CHECK_FAILED)
    if not serve:
        return
    password = app.new_password()
    app.set_user_password(app.open_installation(), obj.operator, password, user=obj.operator)
    render.line(
        f"\nOpen http://127.0.0.1:{port}/ and sign in as [bold]{render.safe(obj.operator)}[/] "
        f"with the one-time password [bold]{password}[/] (a new one at every run)."
    )
    serve_cases(
        [out_dir / "case"],
        host="127.0.0.1",
        port=port,
        secure_cookies=False,
        import_roots=[out_dir / "exports"],
    )


COMMANDS = [demo_cmd]
