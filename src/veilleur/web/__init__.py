"""The web application: the whole case in a browser for an investigation team.

A thin client of :mod:`veilleur.app`, like the command line: :mod:`veilleur.web.app` builds the
ASGI application and the guard every request passes (sign-in, CSRF, Origin), :mod:`.pages` the
server-rendered pages (Jinja, htmx 2 for partial updates, sigma.js for the network),
:mod:`.api` the REST API under ``/api/v1``, :mod:`.catalog` the cases served. Every asset is
shipped in :file:`static/`; nothing is fetched from elsewhere.
"""

from veilleur.web.app import create_app

__all__ = ["create_app"]
