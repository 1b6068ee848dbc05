"""Pages are rendered on the server from Jinja templates, always HTML-escaped, in the user's
language and time zone.

Case data is hostile text: names, message texts, file names and list names come from exports and
lists made by others, and real exports hold markup, control characters and right-to-left
overrides. Autoescaping is on for every template and no template marks case data safe; the strict
Content-Security-Policy (:data:`veilleur.web.app.CSP`) would stop an injected script anyway.

Text of the interface is written in English in the templates as ``_("…")`` and translated from a
gettext catalogue per language (``locale/<lang>/LC_MESSAGES/messages.po``, read with Babel when
the module loads: no compiled file to fall out of date). Each language has its own Jinja
environment, so that threads serving different users never share an installed translation.
Times are shown in the user's time zone with UTC beside them; UTC stays the reference.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from veilleur.app.accounts import LANGUAGES, Preferences
from veilleur.app.identity import link_state

__all__ = ["LOCALES", "STATIC", "TEMPLATES", "catalogue", "key_path", "render"]

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALES = HERE / "locale"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

def _visible(value: Any) -> str:
    """Control and direction-override characters shown as their code, not acted on."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", "" if value is None else str(value))


def _shown(t: datetime, tz: str) -> str:
    """``2024-03-01 13:00 Europe/Paris (12:00 UTC)``; UTC alone for a user in UTC."""
    utc = t.astimezone(UTC)
    if tz == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    local = utc.astimezone(ZoneInfo(tz))
    return f"{local.strftime('%Y-%m-%d %H:%M')} {tz} ({utc.strftime('%H:%M')} UTC)"


@pass_context
def _when(ctx: Context, value: str | None) -> str:
    """An ISO UTC time as the user reads it."""
    if not value:
        return "—"
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _visible(value)
    return _shown(t if t.tzinfo else t.replace(tzinfo=UTC), ctx.get("tz") or "UTC")


@pass_context
def _epoch(ctx: Context, value: int | None) -> str:
    if value is None:
        return "—"
    return _shown(datetime.fromtimestamp(value, UTC), ctx.get("tz") or "UTC")


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


def key_path(key: object) -> str:
    """A record key as a URL path segment: ``telegram:user:1`` stays readable, the rest quoted."""
    return quote(str(key), safe=":/")


def catalogue(language: str) -> NullTranslations:
    """The interface's translations into ``language`` (English is the templates' own text)."""
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        cat = read_po(f, locale=language)
    buf = BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    return Translations(buf)


def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(catalogue(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["marked"] = _marked
    env.globals["state"] = link_state
    env.globals["language"] = language
    env.filters["v"] = _visible
    env.filters["when"] = _when
    env.filters["epoch"] = _epoch
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.filters["path"] = key_path
    return env


ENVIRONMENTS = {language: _environment(language) for language in LANGUAGES}


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Any = None,
    status: int = 200,
) -> HTMLResponse:
    """Render ``name`` with the signed-in user, their CSRF token (every form carries it), in their
    language and time zone (English and UTC before sign-in, or as the browser asks)."""
    p = principal if principal is not None else getattr(request.state, "principal", None)
    prefs = p.preferences if p is not None else Preferences(_browser_language(request), "UTC")
    body = ENVIRONMENTS.get(prefs.language, ENVIRONMENTS["en"]).get_template(name).render(
        request=request,
        user=p.user if p is not None else None,
        csrf=p.csrf if p is not None else "",
        tz=prefs.timezone,
        **context,
    )
    return HTMLResponse(body, status_code=status)


def _browser_language(request: Request) -> str:
    """French for a browser that asks for it first, before anyone has signed in."""
    asked = request.headers.get("accept-language", "")
    first = asked.split(",")[0].split(";")[0].strip().lower()[:2]
    return first if first in LANGUAGES else "en"
