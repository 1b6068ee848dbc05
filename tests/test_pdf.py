"""Dossier PDFs hold the text of their HTML, print case data as itself however much it looks like
markup, and say which characters they cannot draw (a name printed as boxes must not pass for the
name); the HTML printer's notice likewise."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from pypdf import PdfReader

from matched_demo import Matched
from veilleur.errors import VeilleurError
from veilleur.outputs.dossier import DossierContext, account_dossier, render_html
from veilleur.outputs.dossier_files import write_all_dossiers, write_dossier
from veilleur.outputs.packages import write_packages
from veilleur.outputs.pdf import (
    NOTICE_LEAD,
    DossierPrinter,
    covered_code_points,
    dossier_pdf,
    printable_html,
    typst_code_points,
)

UNASSIGNED = "\u0378"  # no code point assigned, so no font can have it
# Typst markup, code, maths, labels, references, escapes and comments: all to be printed as typed.
HOSTILE = '#("x" * 3) $x^2$ *bold* _it_ @ref <lbl> \\ ] [ // c /* d */ = h #set text(red) `r` ~ --- "q" \'s\''
SPACES = re.compile(r"\s+")


def _flat(text: str) -> str:
    return SPACES.sub("", text)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def html_chunks(html: str) -> list[str]:
    """The body's text as the reader sees it, piece by piece in document order, without the footer
    (which the PDF prints at the foot of each page) and with each piece's spaces removed."""
    body = lxml.html.document_fromstring(html).body
    chunks: list[str] = []
    for el in body.iter():
        if el.get("class") != "footer" and el.text:
            chunks.append(el.text)
        if el is not body and el.tail:
            chunks.append(el.tail)
    return [c for c in map(_flat, chunks) if c]


def assert_holds_in_order(pdf: str, chunks: list[str]) -> None:
    flat, at = _flat(pdf), 0
    for chunk in chunks:
        found = flat.find(chunk, at)
        assert found >= 0, f"not in the PDF after position {at}: {chunk!r} (next: {flat[at : at + 200]!r})"
        at = found + len(chunk)


@pytest.fixture
def central(matched: Matched) -> dict[str, Any]:
    """The central account's dossier, every optional section given a row, all of it hostile."""
    with matched.case.engine.connect() as conn:
        ctx = DossierContext.build(conn, "reviewer")
        data = account_dossier(conn, matched.account(matched.truth["case"]["central_account_id"]), ctx)
    assert data["sent"] and data["received"] and data["counterparts"] and data["timeline"]
    data["account"]["label"] = f"Zoé {HOSTILE} 王小明 (telegram:user:1)"
    data["names"].append(dict(data["names"][0], value=f"{HOSTILE} Ελένη Сергей محمد"))
    data["sent"][0]["chat"] = f"chat {HOSTILE}"
    data["sent"][0]["forwarded_from"] = f"fwd {HOSTILE}"
    data["sent"][0]["origin"] = "forwarded_from_id of the message"
    data["person"] = {
        "key": "P-001",
        "how": "confirmed by an analyst",
        "records": [
            {"name": f"Jean {HOSTILE}", "birth_date": None, "place": "Lyon", "source": "identity #1"}
        ],
        "attributes": [{"kind": "phone", "value": "+33 6 12 34 56 78", "source": "return", "place": "p. 2"}],
    }
    data["notes"] = [
        {
            "kind": "account",
            "target": data["account"]["key"],
            "text": f"note {HOSTILE}",
            "tags": ["urgent", "#tag"],
            "author": "camille",
            "created_at": "2026-01-02T03:04:05Z",
        }
    ]
    data["indicators"] = [
        {
            "indicator": "meeting arrangement",
            "rule": "fr.meet.1",
            "confidence": "high",
            "date": 1767322800,
            "where": "Chat message 7",
            "text": f"on se voit {HOSTILE}",
            "citation": "result.json (evidence #1, byte 120)",
            "counted": "yes",
            "counted_why": "intent: stated with a meeting",
        },
        {
            "indicator": "age",
            "rule": "en.age.2",
            "confidence": "low",
            "date": None,
            "where": "Chat message 8",
            "text": None,  # sensitive: hidden
            "citation": "result.json (evidence #1, byte 240)",
            "counted": "—",
            "counted_why": "no ranking",
        },
    ]
    data["returns"] = [{"kind": "ip", "value": "[2001:db8::1]:8443", "first": 1, "last": 2, "source": "r #1"}]
    data["identifiers"] = [
        {"section": "contacts", "phone": "+33612345678", "ip": None, "name": HOSTILE, "date": 5}
        | {"evidence": 1, "offset": 77}
    ]
    data["ranking"] = {
        "id": 3,
        "created_at": "2026-02-01T00:00:00Z",
        "operator": "lead",
        "weights_version": "2026.1",
        "subjects": 12,
        "entry": {
            "rank": 2,
            "score": 12.25,  # a tie: Python's "%.1f" gives 12.2
            "subject": "person:P-001",
            "label": "P-001",
            "jurisdiction": "Lyon",
            "accounts": ["Zoé (telegram:user:1)", f"{HOSTILE} (telegram:user:2)"],
            "factors": [
                {
                    "name": "distribution",
                    "points": 7.5,
                    "weight": 10.0,
                    "value": "sent 4 flagged files",
                    "description": "flagged media sent",
                    "records": ["chat 1 message 2", HOSTILE],
                },
                {
                    "name": "recency",
                    "points": 0.0,
                    "weight": 2.5,
                    "value": "—",
                    "description": "",
                    "records": [],
                },
            ],
        },
    }
    data["new_material"] = [
        {
            "files": ["ab" * 32, "cd" * 32],
            "first": 1700000000,
            "where": f"{HOSTILE} message 9",
            "citation": "result.json (evidence #2, byte 9)",
            "reasons": ["posted first", "not a forward"],
            "sightings": 3,
        }
    ]
    return data


def test_the_pdf_holds_the_text_of_the_html(central: dict[str, Any]) -> None:
    html = render_html(central)
    pdf, missing = dossier_pdf(central)
    text = pdf_text(pdf)
    for ch in missing:  # drawn as boxes, and so not in the PDF's text: the notice names them
        assert f"U+{ord(ch):04X}" in _flat(text)
    chunks = [c for c in html_chunks(html) if not set(c) & set(missing)]
    assert len(chunks) > 200
    assert_holds_in_order(text, chunks)
    footer = (
        f"Veilleur dossier · {central['account']['key']} · {central['case']} · {central['audit_position']}"
    )
    assert _flat(footer) in _flat(text) and "page 1 / " in text
    assert "score 12.2," in text  # Python's rounding of the HTML, not Typst's


def test_markup_in_case_data_prints_as_itself(central: dict[str, Any]) -> None:
    text = _flat(pdf_text(dossier_pdf(central)[0]))
    assert text.count(_flat(HOSTILE)) >= 10  # label, names, chat, forward, person, note, indicator…
    assert _flat(f"Dossier: Zoé {HOSTILE} 王小明") in text
    # Nothing was evaluated: no "xxx", no maths, no heading made of the "=".
    assert "xxx" not in text and "x2" not in text.replace("$x^2$", "")


def test_the_pdf_names_the_characters_no_font_draws(central: dict[str, Any]) -> None:
    covered = typst_code_points()
    assert ord("é") in covered and ord(UNASSIGNED) not in covered
    clean = pdf_text(dossier_pdf(central)[0])
    data = copy.deepcopy(central)
    data["names"][0]["value"] = f"Léa {UNASSIGNED} M.\u200d\ufe0f"  # joiners draw nothing themselves
    pdf, missing = dossier_pdf(data)
    assert missing[-1] == UNASSIGNED and "\u200d" not in missing and "\ufe0f" not in missing
    text = pdf_text(pdf)
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert _flat(NOTICE_LEAD) in _flat(first) and "U+0378 unnamed" in first and "empty" in first
    assert (_flat(NOTICE_LEAD) in _flat(clean)) == bool(dossier_pdf(central)[1])
    assert "Léa" in text


def test_emoji_and_cjk_names_print_or_are_named(matched: Matched, tmp_path: Path) -> None:
    theo = matched.person(3)  # renamed "Théo 🚴" in the June export
    with matched.case.engine.connect() as conn:
        ctx = DossierContext.build(conn, "reviewer")
        html_path, pdf_path = write_dossier(conn, theo, tmp_path, ctx)
        data = account_dossier(conn, theo, ctx)
    assert "Théo \U0001f6b4" in html_path.read_text(encoding="utf-8")  # the HTML holds the name exactly
    text = pdf_text(pdf_path.read_bytes())
    if ord("\U0001f6b4") in typst_code_points():  # fonts-noto-color-emoji: drawn, and in the text
        assert "Théo \U0001f6b4" in text and NOTICE_LEAD not in text
    else:  # no emoji font on this machine: the PDF must say so
        assert "U+1F6B4 BICYCLIST" in text
    if ord("王") in typst_code_points():  # fonts-noto-cjk
        data["account"]["label"] = "王小明"
        assert "Dossier: 王小明" in pdf_text(dossier_pdf(data)[0])


def test_dossiers_printed_by_two_workers_hold_their_own_account(matched: Matched, tmp_path: Path) -> None:
    paths = write_all_dossiers(matched.case, tmp_path, operator="reviewer", workers=2)
    pairs = [(h, h.with_suffix(".pdf")) for h in paths if h.suffix == ".html"]
    assert len(pairs) > 3 and {p for _, p in pairs} == {p for p in paths if p.suffix == ".pdf"}
    key = re.compile(r'<th>Platform key</th><td class="mono">([^<]*)</td>')
    for html, pdf in pairs:
        (account,) = key.findall(html.read_text(encoding="utf-8"))
        first = PdfReader(pdf).pages[0].extract_text()
        assert f"Platform key {account}" in first.replace("\n", " ")


def test_a_package_manifest_lists_each_pdf_as_written(matched: Matched, tmp_path: Path) -> None:
    paths = write_packages(matched.case, tmp_path, operator="reviewer")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    pdfs = [p for p in paths if p.suffix == ".pdf" and p.name != "case-summary.pdf"]
    assert len(pdfs) > 3
    for pdf in pdfs:  # each one complete before its digest was taken: the printer had finished
        entry = listed[str(pdf.relative_to(tmp_path))]
        assert entry["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest() and entry["size"] > 10_000
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF")


def test_a_dossier_that_cannot_be_typeset_fails_naming_its_file(tmp_path: Path) -> None:
    with DossierPrinter(1) as printer:
        future = printer.submit({"account": {}}, tmp_path / "broken.pdf")
        with pytest.raises(VeilleurError, match=re.escape("broken.pdf: Typst could not typeset")) as raised:
            future.result()
    assert "does not contain key" in str(raised.value)  # Typst's own diagnostic, for whoever reads it
    assert not (tmp_path / "broken.pdf").exists()


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="no fontconfig fc-list to ask")
def test_a_character_no_font_draws_is_named_at_the_top_of_the_html_printers_pdf() -> None:
    covered = covered_code_points()
    assert covered is not None and ord("é") in covered and ord(UNASSIGNED) not in covered
    page = f"<html><body><p>Léa {UNASSIGNED} M.\u200d\ufe0f</p></body></html>"
    printed, missing = printable_html(page)
    assert missing == [UNASSIGNED]  # joiners and variation selectors draw nothing themselves
    assert printed.startswith(f'<html><body><div class="notice"><strong>{NOTICE_LEAD}</strong>')
    assert "U+0378 unnamed" in printed and "empty boxes" in printed and "<p>Léa" in printed
    assert printable_html("<html><body><p>Léa Ελένη Сергей</p></body></html>")[1] == []
