"""Pages are rendered on the server from Jinja templates, always HTML-escaped.

Case data is hostile text: names, message texts, file names and list names come from exports and
lists made by others, and real exports hold markup, control characters and right-to-left
overrides. Autoescaping is on for every template and no template marks case data safe; the strict
Content-Security-Policy (:data:`veilleur.web.app.CSP`) would stop an injected script anyway.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from veilleur.app.identity import link_state

__all__ = ["STATIC", "TEMPLATES", "render"]

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _visible(value: Any) -> str:
    """Control and direction-override characters shown as their code, not acted on."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", "" if value is None else str(value))


def _when(value: str | None) -> str:
    """An ISO UTC time as shown: ``2024-03-01 12:00 UTC``."""
    if not value:
        return "—"
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return _visible(value)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _epoch(value: int | None) -> str:
    if value is None:
        return "—"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _marked(snippet: str, marks: list[tuple[int, int]]) -> Markup:
    """A search snippet with its matched words in ``<mark>``, every piece escaped."""
    out, at = [], 0
    for start, end in sorted(marks):
        if start < at:
            continue
        out.append(escape(_visible(snippet[at:start])))
        out.append(Markup("<mark>") + escape(_visible(snippet[start:end])) + Markup("</mark>"))
        at = end
    out.append(escape(_visible(snippet[at:])))
    return Markup("").join(out)


env.globals["marked"] = _marked
env.globals["state"] = link_state
env.filters["v"] = _visible
env.filters["when"] = _when
env.filters["epoch"] = _epoch
env.filters["q"] = lambda s: quote(str(s), safe="")
env.filters["path"] = lambda s: quote(str(s), safe=":/")


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Any = None,
    status: int = 200,
) -> HTMLResponse:
    """Render ``name`` with the signed-in user and their CSRF token (every form carries it)."""
    p = principal if principal is not None else getattr(request.state, "principal", None)
    body = env.get_template(name).render(
        request=request,
        user=p.user if p is not None else None,
        csrf=p.csrf if p is not None else "",
        **context,
    )
    return HTMLResponse(body, status_code=status)
