"""``veilleur serve``: the web application over one or more cases, for the installation's users."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from veilleur.cli import render
from veilleur.cli.context import Ctx


def serve_cases(
    folders: list[Path], *, host: str, port: int, secure_cookies: bool, import_roots: Sequence[Path] = ()
) -> None:
    """Serve ``folders`` until interrupted (uvicorn; the application is built in each worker)."""
    import uvicorn

    from veilleur.app import open_installation
    from veilleur.web import create_app

    render.line(f"Serving {len(folders)} case(s) on http://{host}:{port}/ (Ctrl-C stops).")
    uvicorn.run(
        create_app(
            folders, open_installation(), secure_cookies=secure_cookies, import_roots=list(import_roots)
        ),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=secure_cookies,
    )


@click.command("serve")
@click.argument("cases", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@click.option("--port", default=8741, show_default=True)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Behind a TLS reverse proxy: cookies marked Secure, the proxy's forwarded headers trusted.",
)
@click.option(
    "--import-root",
    "import_roots",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder whose exports users may import from the browser (repeatable; none by default).",
)
@click.pass_obj
def serve_cmd(
    obj: Ctx,
    cases: tuple[Path, ...],
    host: str,
    port: int,
    secure_cookies: bool,
    import_roots: tuple[Path, ...],
) -> None:
    """Serve CASES (default: the --case folder) in a browser to the installation's users.

    Users sign in with the password set by 'veilleur users password'; each sees only the cases
    they are a member of, with their role's permissions."""
    serve_cases(
        list(cases) or [obj.case_dir],
        host=host,
        port=port,
        secure_cookies=secure_cookies,
        import_roots=list(import_roots),
    )


COMMANDS = [serve_cmd]
