"""The ASGI application: one guard in front of every route, then pages and the API.

Every request goes through :func:`guard`, in a middleware, before anything is served. It signs the
request in (the session cookie of a browser, or an API token in ``Authorization: Bearer``), and
refuses what has no user, except the few routes in :data:`PUBLIC` (the sign-in page and the
shipped assets). For every state-changing request signed in by cookie it checks the session's CSRF
token (a form field or the ``X-CSRF-Token`` header that htmx sends) and the ``Origin``. Because
the guard wraps the whole application rather than each route, a route added later (a router, a
mounted application, the OpenAPI document) is guarded without anyone remembering to; the
route-table tests (:func:`route_table`) check it.

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

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from veilleur.app import Installation, NotFound, PermissionDenied, VeilleurError
from veilleur.app.accounts import (
    LoginRefused,
    Preferences,
    WebSession,
    check_csrf,
    preferences,
    token_user,
    web_session,
)
from veilleur.app.identity import LinkConflict
from veilleur.app.jobs import JobRunner
from veilleur.app.users import User
from veilleur.web.catalog import Catalog
from veilleur.web.templating import STATIC, render

__all__ = ["COOKIE", "PUBLIC", "create_app", "route_table"]

COOKIE = "veilleur_session"
LOGIN_COOKIE = "veilleur_login"  # the sign-in form's CSRF token, before any session exists
PUBLIC = ("/login", "/static/", "/healthz")
"""What answers without a user: these paths, and everything under one that ends with ``/``."""
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send "Origin: null" on forms
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-read=(), clipboard-write=()",
}


class Principal:
    """Who a request acts as, and how they signed in (a browser's session, or an API token)."""

    def __init__(self, user: User, session: WebSession | None, preferences: Preferences) -> None:
        self.user = user
        self.session = session
        self.preferences = preferences

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def _is_public(path: str) -> bool:
    return any(path.startswith(p) if p.endswith("/") else path == p for p in PUBLIC)


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
        request.state.principal = Principal(user, None, preferences(inst, user.name))
        return  # a token is not sent by a browser on its own: no CSRF to check
    ws = web_session(inst, request.cookies.get(COOKIE))
    if ws is not None:
        u = inst.user(ws.user)
        if u is not None:
            request.state.principal = Principal(u, ws, preferences(inst, u.name))
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


MAX_FORM = 1 << 20
"""The largest form body read by the guard (sign-in, decisions, reasons): nothing bigger is a form."""


class Guarded:
    """An ASGI middleware: :func:`guard` in front of everything, then the security headers.

    A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware`` because the guard may
    read a form (the CSRF field) and the route must then read the same body again: it is buffered
    here and replayed to both."""

    def __init__(self, app: Any, error: Callable[[Request, int, str], Response]) -> None:
        self.app = app
        self.error = error

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:  # buffered so that guard and route both read it; a form is small
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_FORM:
                await self.error(Request(scope), 413, "request too large")(
                    scope, receive, _headed(send, scope)
                )
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)

        def replay() -> Callable[[], Awaitable[dict[str, Any]]]:
            done = False

            async def once() -> dict[str, Any]:
                nonlocal done
                if done:
                    got: dict[str, Any] = await receive()
                    return got
                done = True
                return {"type": "http.request", "body": body, "more_body": False}

            return once

        request = Request(scope, replay())
        try:
            await guard(request)
        except HTTPException as e:
            await self.error(request, e.status_code, str(e.detail))(scope, replay(), _headed(send, scope))
            return
        await self.app(scope, replay(), _headed(send, scope))


def _headed(send: Any, scope: dict[str, Any]) -> Any:
    """``send`` adding the security headers, and ``no-store`` to anything but a shipped asset."""
    static = scope.get("path", "").startswith("/static/")

    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control" or static
            ]
            present = {k.lower() for k, _ in headers}
            for k, v in HEADERS.items():
                if k.lower().encode() not in present:
                    headers.append((k.lower().encode(), v.encode()))
            if not static:
                headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return sending


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the application answers, routers included: what the security tests
    walk, so that a new route is tested the day it is added."""
    out: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for r in routes:
            if hasattr(r, "original_router"):  # a router included with include_router
                walk(list(r.original_router.routes))
            elif hasattr(r, "methods") and hasattr(r, "path"):
                out.extend((m, r.path) for m in sorted(r.methods or ()) if m != "HEAD")

    walk(list(app.routes))
    return sorted(set(out))


def principal(request: Request) -> Principal:
    """The signed-in user of a guarded route."""
    p: Principal | None = request.state.principal
    if p is None:  # pragma: no cover - the guard refuses first
        raise HTTPException(401, "sign in first")
    return p


def create_app(
    case_folders: list[Path],
    installation: Installation,
    *,
    secure_cookies: bool = False,
    import_roots: list[Path] | None = None,
    run_jobs: bool = True,
) -> FastAPI:
    """The web application serving ``case_folders`` to the users of ``installation``.

    ``secure_cookies``: mark cookies Secure (behind a TLS reverse proxy, as a team runs it).
    ``import_roots``: the folders from which the server may import exports a user names.
    ``run_jobs``: run queued background jobs in this process (one worker of several may)."""
    catalog = Catalog(case_folders, installation)
    runner = JobRunner(installation, catalog.session_at)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            runner.start()
        yield
        runner.stop()
        catalog.close()

    app = FastAPI(
        title="Veilleur",
        version=version("veilleur"),
        description="Case analysis for child-protection investigators. The API under /api/v1 returns "
        "the same typed results as the command line's --json, with the same permissions.",
        lifespan=lifespan,
        docs_url=None,  # the interactive docs page loads scripts from a CDN; the document is enough
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.installation = installation
    app.state.catalog = catalog
    app.state.secure_cookies = secure_cookies
    app.state.import_roots = list(import_roots or [])
    app.state.jobs = runner

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

    @app.exception_handler(LinkConflict)
    async def conflict(request: Request, exc: LinkConflict) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(LoginRefused)
    async def login_refused(request: Request, exc: LoginRefused) -> Response:
        return _error(request, 401, str(exc))

    @app.exception_handler(VeilleurError)
    async def bad_request(request: Request, exc: VeilleurError) -> Response:
        return _error(request, 400, exc.args[0] if exc.args else type(exc).__name__)

    app.add_middleware(Guarded, error=_error)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    from veilleur.web import api, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    return app
