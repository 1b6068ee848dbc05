"""The ASGI application: one guard in front of every route, then pages and the API.

Every request goes through :func:`guard` before its route runs. It signs the request in (the
session cookie of a browser, or an API token in ``Authorization: Bearer``), and refuses what has no
user, except the few routes in :data:`PUBLIC` (the sign-in page and the shipped assets). For every
state-changing request signed in by cookie it checks the session's CSRF token (a form field or the
``X-CSRF-Token`` header that htmx sends) and the ``Origin``. Because the guard is on the
application rather than on each route, a route added later is guarded without anyone remembering
to; the route-table tests check it.

Routes hold no SQL and write no audit entry: they open a case session
(:meth:`~veilleur.web.catalog.Catalog.session`) and call a use case of :mod:`veilleur.app`, which
checks the role and logs the view or action. Nothing here serves a media file's bytes, a
thumbnail or any picture derived from one: there is no such route.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from veilleur.app import Installation, NotFound, PermissionDenied, VeilleurError
from veilleur.app.accounts import LoginRefused, WebSession, check_csrf, token_user, web_session
from veilleur.app.users import User
from veilleur.web.catalog import Catalog
from veilleur.web.templating import STATIC, render

__all__ = ["COOKIE", "PUBLIC", "create_app"]

COOKIE = "veilleur_session"
LOGIN_COOKIE = "veilleur_login"  # the sign-in form's CSRF token, before any session exists
PUBLIC = ("/login", "/static/", "/healthz")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-read=(), clipboard-write=()",
}


class Principal:
    """Who a request acts as, and how they signed in (a browser's session, or an API token)."""

    def __init__(self, user: User, session: WebSession | None) -> None:
        self.user = user
        self.session = session

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def _is_public(path: str) -> bool:
    return path == "/login" or path == "/healthz" or path.startswith("/static/")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def guard(request: Request) -> None:
    """Sign the request in and check CSRF and Origin; see the module's docstring."""
    app_state = request.app.state
    inst: Installation = app_state.installation
    path = request.url.path
    origin = request.headers.get("origin")
    if request.method not in SAFE_METHODS and origin is not None:
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise HTTPException(403, "cross-origin request refused")
    request.state.principal = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = token_user(inst, auth[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown or revoked API token")
        request.state.principal = Principal(user, None)
        return  # a token is not sent by a browser on its own: no CSRF to check
    ws = web_session(inst, request.cookies.get(COOKIE))
    if ws is not None:
        u = inst.user(ws.user)
        if u is not None:
            request.state.principal = Principal(u, ws)
    if _is_public(path):
        if path == "/login" and request.method == "POST":
            form = await request.form()
            sent = str(form.get("csrf") or "")
            if not sent or not secrets.compare_digest(sent, request.cookies.get(LOGIN_COOKIE, "")):
                raise HTTPException(403, "the sign-in form expired: load it again")
        return
    if request.state.principal is None:
        raise HTTPException(401, "sign in first")
    if request.method not in SAFE_METHODS:
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            token = str((await request.form()).get("csrf") or "")
        assert ws is not None
        if not check_csrf(ws, token):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page")


def principal(request: Request) -> Principal:
    """The signed-in user of a guarded route."""
    p: Principal | None = request.state.principal
    if p is None:  # pragma: no cover - the guard refuses first
        raise HTTPException(401, "sign in first")
    return p


def create_app(
    case_folders: list[Path], installation: Installation, *, secure_cookies: bool = False
) -> FastAPI:
    """The web application serving ``case_folders`` to the users of ``installation``.

    ``secure_cookies``: mark cookies Secure (behind a TLS reverse proxy, as a team runs it)."""
    catalog = Catalog(case_folders, installation)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        catalog.close()

    app = FastAPI(
        title="Veilleur",
        version=version("veilleur"),
        description="Case analysis for child-protection investigators. The API under /api/v1 returns "
        "the same typed results as the command line's --json, with the same permissions.",
        dependencies=[Depends(guard)],
        lifespan=lifespan,
        docs_url=None,  # the interactive docs page loads scripts from a CDN; the document is enough
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.installation = installation
    app.state.catalog = catalog
    app.state.secure_cookies = secure_cookies

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def _error(request: Request, status: int, message: str) -> Response:
        if status == 401 and not _wants_json(request) and request.method in SAFE_METHODS:
            return RedirectResponse("/login", status_code=303)
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        p = getattr(request.state, "principal", None)
        return render(
            request, "error.html", {"status": status, "message": message}, principal=p, status=status
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied) -> Response:
        return _error(request, 403, exc.args[0] if exc.args else "refused")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, exc.args[0] if exc.args else "not found")

    @app.exception_handler(LoginRefused)
    async def login_refused(request: Request, exc: LoginRefused) -> Response:
        return _error(request, 401, str(exc))

    @app.exception_handler(VeilleurError)
    async def bad_request(request: Request, exc: VeilleurError) -> Response:
        return _error(request, 400, exc.args[0] if exc.args else type(exc).__name__)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    from veilleur.web import api, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    return app
