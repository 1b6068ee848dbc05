"""A Project VIC VICS 2.0 case file of the case's flagged files: their hashes and categories only.

``case.vics.json`` is a VICS 2.0 OData document, ``{"@odata.context": "…/2.0.xml/US/$metadata#Cases",
"value": [{"CaseID": …, "Media": [Media, …]}]}``, the shape :mod:`veilleur.lists.formats.vics`
reads, so it imports into Griffeye-style tools and back into Veilleur as a hash list. One
``Media`` per file the matching run flagged (a positive hit not suppressed by a negative list):

* ``MediaID``: 1, 2, 3… in the order of the files' SHA-256;
* ``MD5``, ``SHA1``: the case's own file's digests; ``AlternativeHashes``: its ``PDQ`` (pictures)
  and ``SHA256``; never a list's value (for a perceptual match the file's PDQ is its own, not the
  listed one);
* ``Category``: the category of the file's positive hits from lists of the US scheme (the
  profile this file declares). When those lists disagree, the most severe is given — the lowest
  non-zero number (0 is *uncategorised*) — and ``Comments`` says which lists said what. Hits
  without a category, or from lists of another scheme, give none (``Comments`` says so for the
  latter). With ``scheme="uk"`` the profile is UK and the most severe grade (A before B before C)
  is given instead;
* ``RelativeFilePath``: the path of the copy that was hashed, relative to its export.

Nothing else: no file name beyond that path, no message, account or time, no media, no list
entry identifier, series or flag, and nothing for videos beyond their MD5, SHA-1 and SHA-256
(VICS has no place for vPDQ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, select

from veilleur.matching.results import FlaggedFile, flagged_files
from veilleur.outputs.exports.base import ExportError, ExportFiles, resolve_run
from veilleur.store.lookups import chunks
from veilleur.store.schema import evidence, hash_lists, media_hashes

__all__ = ["CONTEXTS", "FILE_NAME", "most_severe", "write_vics"]

FILE_NAME = "case.vics.json"
CONTEXTS = {
    "us": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
    "uk": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Cases",
}


def most_severe(categories: list[str], scheme: str) -> str | None:
    """The most severe of ``categories`` under ``scheme``: for ``us`` the lowest non-zero number
    (``0`` only when all are 0), for ``uk`` the first grade of A, B, C. Others are ignored."""
    if scheme == "us":
        numbers = sorted({int(c) for c in categories if c.strip().isdigit()})
        nonzero = [n for n in numbers if n != 0]
        if nonzero:
            return str(nonzero[0])
        return "0" if numbers else None
    grades = sorted({c.strip().upper() for c in categories if c.strip().upper() in ("A", "B", "C")})
    return grades[0] if grades else None


def _media(
    n: int, f: FlaggedFile, row: Any, schemes: dict[str, str], scheme: str
) -> tuple[dict[str, Any], bool]:
    said = sorted({(h.list_name, h.category) for h in f.active if h.category})
    ours = [(name, cat) for name, cat in said if schemes.get(name) == scheme]
    others = [(name, cat) for name, cat in said if schemes.get(name) != scheme]
    category = most_severe([cat for _, cat in ours], scheme)
    comments = []
    disagree = len({cat for _, cat in ours}) > 1
    if disagree:
        rule = "the lowest non-zero number" if scheme == "us" else "the first of A, B, C"
        comments.append(
            "Lists disagree on this file's category ("
            + "; ".join(f"{name}: {cat}" for name, cat in ours)
            + f"): the most severe, {rule}, is given."
        )
    if others:
        comments.append(
            f"Categories from lists of another scheme than {scheme.upper()} are not given: "
            + "; ".join(f"{name} ({schemes.get(name, '?')}): {cat}" for name, cat in others)
            + "."
        )
    media: dict[str, Any] = {"MediaID": n}
    if category is not None:
        media["Category"] = int(category) if scheme == "us" else category
    if row is not None and row.md5:
        media["MD5"] = row.md5.upper()
    if row is not None and row.sha1:
        media["SHA1"] = row.sha1.upper()
    alternatives = []
    if row is not None and row.pdq:
        alternatives.append({"HashName": "PDQ", "HashValue": row.pdq})
    alternatives.append({"HashName": "SHA256", "HashValue": f.sha256})
    media["AlternativeHashes"] = alternatives
    if row is not None and row.relpath:
        media["RelativeFilePath"] = row.relpath
    if comments:
        media["Comments"] = " ".join(comments)
    return media, disagree


def write_vics(
    conn: Connection,
    out_dir: Path,
    *,
    run_id: int | None = None,
    scheme: str = "us",
    case_id: str | None = None,
) -> list[Path]:
    """``case.vics.json`` (the flagged files' hashes and categories) and the manifest.

    ``case_id`` is the file's ``CaseID`` (the case's name by default); ``scheme`` the category
    profile, ``us`` (Project VIC US) or ``uk`` (CAID grades)."""
    if scheme not in CONTEXTS:
        raise ExportError(f"no VICS profile for the category scheme {scheme!r} (us or uk)")
    run_id = resolve_run(conn, run_id)
    out = ExportFiles(conn, out_dir, "vics", "Project VIC VICS 2.0 case file of the flagged files", run_id)
    files = flagged_files(conn, run_id, include_suppressed=False) if run_id is not None else []
    schemes = dict(conn.execute(select(hash_lists.c.name, hash_lists.c.category_scheme)).all())
    rows = _hashes(conn, [f.sha256 for f in files])
    media = []
    disagreements = 0
    for n, file in enumerate(sorted(files, key=lambda x: x.sha256), start=1):
        item, disagree = _media(n, file, rows.get(file.sha256), schemes, scheme)
        media.append(item)
        disagreements += disagree
    doc = {
        "@odata.context": CONTEXTS[scheme],
        "value": [{"CaseID": case_id or out.case_name() or "veilleur-case", "Media": media}],
    }
    with out.binary(FILE_NAME) as stream:
        stream.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    out.set_rows(FILE_NAME, len(media))
    notes = [
        f"{len(media)} flagged files; Category by the {scheme.upper()} scheme, the most severe where lists "
        f"disagree ({disagreements} files)",
    ]
    return out.finish(
        scheme=scheme,
        left_out=[
            "hash lists: no list value, entry identifier, series or flag",
            "file names beyond the path relative to the export, messages, accounts, times, media",
            "vPDQ of videos (VICS has no place for it)",
        ],
        notes=notes,
    )


def _hashes(conn: Connection, shas: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in chunks(shas):
        for r in conn.execute(
            select(
                media_hashes.c.sha256,
                media_hashes.c.md5,
                media_hashes.c.sha1,
                media_hashes.c.pdq,
                evidence.c.relpath,
            )
            .outerjoin(evidence, evidence.c.id == media_hashes.c.evidence_id)
            .where(media_hashes.c.sha256.in_(part))
        ):
            out[r.sha256] = r
    return out
