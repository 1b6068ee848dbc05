"""Printing the HTML outputs to PDF, and saying so when this machine cannot print a character.

WeasyPrint draws each character with the first installed font that has it. A name in a script or
an emoji that no installed font covers comes out as an empty box: in a court document, a name that
silently reads wrong. So before printing, the characters of the page are checked against the fonts
fontconfig lists (their character maps, read with fontTools, which WeasyPrint itself depends on),
and a PDF that lacks any says so at its top, naming them by code point and Unicode name. The HTML
beside it — and the evidence it cites — hold them exactly.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

__all__ = ["covered_code_points", "printable_html", "unprintable", "write_pdf"]

_NOT_DRAWN = {"Cc", "Cf", "Zl", "Zp"}  # controls, joiners and marks of direction: no glyph of their own


@cache
def covered_code_points() -> frozenset[int] | None:
    """Every code point some installed font can draw; None when fontconfig's ``fc-list`` is not
    there to ask (then nothing is claimed either way)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    from fontTools.ttLib import TTCollection, TTFont  # WeasyPrint's own dependency

    listed = subprocess.run([fc_list, "--format", "%{file}\n"], capture_output=True, text=True, check=False)
    covered: set[int] = set()
    for file in sorted(set(listed.stdout.split("\n")) - {""}):
        try:
            fonts = (
                TTCollection(file, lazy=True).fonts
                if file.lower().endswith(".ttc")
                else [TTFont(file, lazy=True)]
            )
            for font in fonts:
                covered.update(font.getBestCmap() or {})
        except Exception:  # a font fontTools cannot read (Type 1, damaged): Pango may not use it either
            continue
    return frozenset(covered)


def unprintable(text: str) -> list[str]:
    """The distinct characters of ``text`` that no installed font draws, in order of first use."""
    covered = covered_code_points()
    if covered is None:
        return []
    out: dict[str, None] = {}
    for ch in text:
        if ord(ch) in covered or ch in out or ch.isspace():
            continue
        if unicodedata.category(ch) in _NOT_DRAWN or 0xFE00 <= ord(ch) <= 0xFE0F:  # variation selectors
            continue
        out[ch] = None
    return list(out)


def printable_html(html: str) -> tuple[str, list[str]]:
    """``html`` as it is printed: with a notice at the top of the body when some characters cannot
    be drawn, and which."""
    missing = unprintable(html)
    if not missing:
        return html, []
    named = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in missing[:12])
    more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
    notice = (
        '<div class="notice"><strong>This PDF cannot show every character.</strong> No font on the '
        f"machine that printed it draws {len(missing)} of them; they appear as empty boxes: "
        f"{named}{more}. The HTML file of the same name, and the evidence it cites, hold them exactly.</div>"
    )
    at = html.find("<body>")
    if at < 0:
        return notice + html, missing
    at += len("<body>")
    return html[:at] + notice + html[at:], missing


def write_pdf(html: str, path: Path) -> list[str]:
    """Print ``html`` to ``path``; return the characters the PDF could not draw."""
    from weasyprint import HTML  # loaded on first use: it is large

    printed, missing = printable_html(html)
    HTML(string=printed, base_url=None).write_pdf(path)
    return missing
