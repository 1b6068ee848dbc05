"""PDF printing says which characters it cannot draw (a name printed as boxes must not pass for
the name), on a page made here and on the dossier of the demo account whose name has an emoji."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matched_demo import Matched
from veilleur.outputs.dossier import DossierContext, account_dossier, render_html, write_dossier
from veilleur.outputs.pdf import covered_code_points, printable_html, unprintable

pytestmark = pytest.mark.skipif(shutil.which("fc-list") is None, reason="no fontconfig fc-list to ask")

UNASSIGNED = "\u0378"  # no code point assigned, so no font can have it


def test_a_character_no_font_draws_is_named_at_the_top_of_the_pdf() -> None:
    covered = covered_code_points()
    assert covered is not None and ord("é") in covered and ord(UNASSIGNED) not in covered
    page = f"<html><body><p>Léa {UNASSIGNED} M.\u200d\ufe0f</p></body></html>"
    printed, missing = printable_html(page)
    assert missing == [UNASSIGNED]  # joiners and variation selectors draw nothing themselves
    assert printed.startswith('<html><body><div class="notice">')
    assert "U+0378 unnamed" in printed and "empty boxes" in printed and "<p>Léa" in printed
    assert printable_html("<html><body><p>Léa Ελένη Сергей</p></body></html>")[1] == []


def test_the_demo_dossier_pdf_of_a_name_with_an_emoji(matched: Matched, tmp_path: Path) -> None:
    theo = matched.person(3)  # renamed "Théo 🚴" in the June export
    with matched.case.engine.connect() as conn:
        ctx = DossierContext.build(conn, "reviewer")
        html = render_html(account_dossier(conn, theo, ctx))
        paths = write_dossier(conn, theo, tmp_path, ctx)
    assert "Théo \U0001f6b4" in html  # the HTML holds the name exactly
    missing = unprintable(html)
    printed, named = printable_html(html)
    assert named == missing
    if "\U0001f6b4" in missing:  # this machine has no emoji font: the PDF must say so
        assert "U+1F6B4 BICYCLIST" in printed
    else:
        assert "U+1F6B4" not in printed
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
