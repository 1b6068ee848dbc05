"""The case summary report, and packages of dossiers grouped by jurisdiction for coordinated action.

``write_packages`` writes, under one folder:

* ``case-summary.html`` / ``.pdf`` — the case in one document: what was imported, the lists and
  matching run, hits per chat and per account, the case's latest ranking (each subject's rank,
  score and every factor with its weight, points and records; or that there is none), every
  participant with roles, volumes, rank and jurisdiction, the possibly new material awaiting
  review (counted, never shown);
* one folder per jurisdiction (:mod:`veilleur.analysis.jurisdiction`) holding the dossiers of the
  accounts routed there and an ``index.html`` of them, so that each office receives its own;
* ``manifest.json`` — every file with its SHA-256 and size, the audit position, the matching run.

Like dossiers, nothing here contains media.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, select

from veilleur.analysis.jurisdiction import UNKNOWN, Jurisdiction, jurisdictions
from veilleur.analysis.priority import FACTORS
from veilleur.case import Case
from veilleur.errors import VeilleurError
from veilleur.matching.results import hits_by_account, hits_by_chat
from veilleur.outputs.dossier import DossierContext, _env, file_stems, participants
from veilleur.outputs.dossier_files import write_dossiers
from veilleur.outputs.pdf import DossierPrinter, write_pdf
from veilleur.outputs.summary import case_summary
from veilleur.store.schema import hash_list_versions, hash_lists, match_runs

__all__ = ["case_report", "folder_names", "write_packages"]


def _lists(conn: Connection, run_id: int | None) -> list[dict[str, Any]]:
    if run_id is None:
        return []
    raw = conn.execute(select(match_runs.c.lists).where(match_runs.c.id == run_id)).scalar()
    out = orjson.loads(raw) if raw else []
    imported = dict(conn.execute(select(hash_list_versions.c.id, hash_list_versions.c.imported_at)).all())
    sources = dict(conn.execute(select(hash_lists.c.id, hash_lists.c.source)).all())
    for x in out:
        x["imported_at"] = imported.get(x.get("version_id"))
        x["source"] = sources.get(x.get("id"))
    return list(out)


def folder_names(places: dict[int, Jurisdiction]) -> dict[str, str]:
    """The folder of each jurisdiction: named like dossiers (:func:`file_stems`), since two labels
    may differ only by punctuation ("d'Annecy", "d’Annecy") and must not share one index."""
    return file_stems({j.label for j in places.values()} | {UNKNOWN.label})


SUMMARY_RECORDS = 5
"""Records shown per factor in the case summary; each dossier lists them all."""


def _ranking_report(
    ctx: DossierContext, places: dict[int, Jurisdiction], folders: dict[str, str]
) -> dict[str, Any] | None:
    """The latest ranking for the summary: every subject with every factor (None: never ranked)."""
    r = ctx.ranking
    if r is None:
        return None
    subjects = []
    for e in r.subjects:
        factors = []
        for f in sorted(e.factors.values(), key=lambda f: (-f.points, FACTORS.index(f.name))):
            more = len(f.records) - SUMMARY_RECORDS
            factors.append(
                {
                    "name": f.name.replace("_", " "),
                    "points": round(f.points, 1),
                    "weight": f.weight,
                    "value": f.value,
                    "records": f.records[:SUMMARY_RECORDS]
                    + ([f"and {more} more (every record is in the dossier)"] if more > 0 else []),
                }
            )
        subjects.append(
            {
                "rank": e.rank,
                "label": e.label,
                "score": e.score,
                "jurisdiction": e.jurisdiction,
                "dossiers": [
                    {
                        "label": ctx.label(a),
                        "href": f"{folders[places[a].label]}/{ctx.file_stem(a)}.html",
                    }
                    for a in e.accounts
                    if a in places
                ],
                "factors": factors,
            }
        )
    return {
        "id": r.id,
        "created_at": r.created_at,
        "operator": r.operator,
        "weights_version": r.weights_version,
        "descriptions": {n.replace("_", " "): r.descriptions.get(n, "") for n in FACTORS},
        "subjects": subjects,
    }


def case_report(conn: Connection, ctx: DossierContext, places: dict[int, Jurisdiction]) -> dict[str, Any]:
    """The case summary report as plain data."""
    new = ctx.new_material
    folders = folder_names(places)
    rows: list[dict[str, Any]] = []
    for account_id in participants(ctx):
        s = ctx.analysis.accounts.get(account_id)
        j = places.get(account_id)
        entry = ctx.ranking.of_account(account_id) if ctx.ranking is not None else None
        rows.append(
            {
                "label": ctx.label(account_id),
                "dossier": ctx.file_stem(account_id) + ".html",
                "folder": folders[(j or UNKNOWN).label],
                "roles": ", ".join(s.roles) if s else "",
                "sent": s.sent if s else 0,
                "received": s.received if s else 0,
                "rank": entry.rank if entry is not None else None,
                "score": entry.score if entry is not None else None,
                "new_material": len(ctx.posted_first(account_id)),
                "jurisdiction": (j or UNKNOWN).label,
                "basis": j.basis if j else "",
            }
        )
    rows.sort(key=lambda r: (-r["sent"], -r["received"], r["label"]))
    return {
        "case": ctx.case_name,
        "operator": ctx.operator,
        "generated_at": ctx.generated_at,
        "audit_position": ctx.audit_position,
        "run_id": ctx.run_id,
        "summary": case_summary(conn),
        "lists": _lists(conn, ctx.run_id),
        "exchanges": len(ctx.exchanges),
        "by_chat": hits_by_chat(conn, ctx.run_id),
        "by_account": hits_by_account(conn, ctx.run_id),
        "participants": rows,
        "ranking": _ranking_report(ctx, places, folders),
        "summary_records": SUMMARY_RECORDS,
        "communities": [
            {"number": ctx.analysis.accounts[min(c)].community, "members": sorted(ctx.label(a) for a in c)}
            for c in ctx.analysis.communities
        ],
        "possibly_new": {
            "items": len(new),
            "by_poster": _count_by(new, ctx),
        },
    }


def _count_by(items: list[Any], ctx: DossierContext) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for item in items:
        label = ctx.label(item.first.sender_id)
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda x: (-x[1], x[0]))


def _write(html: str, base: Path, pdf: bool) -> list[Path]:
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_name(base.name + ".html")]
    paths[0].write_text(html, encoding="utf-8")
    if pdf:
        paths.append(base.with_name(base.name + ".pdf"))
        write_pdf(html, paths[-1])
    return paths


def write_packages(case: Case, out_dir: Path, *, operator: str, pdf: bool = True) -> list[Path]:
    """The case summary, one folder of dossiers per jurisdiction, and a manifest (see module doc)."""
    with case.engine.connect() as conn:
        ctx = DossierContext.build(conn, operator)
        ids = participants(ctx)
        places = jurisdictions(conn, ids)
    where = case.audit(
        "report.packages",
        operator=operator,
        subject=str(out_dir),
        details={"accounts": len(ids), "jurisdictions": len({j.label for j in places.values()}), "pdf": pdf},
    )
    ctx.audit_position = where.label
    paths: list[Path] = []
    with DossierPrinter() as printer, case.engine.connect() as conn:
        report = case_report(conn, ctx, places)
        paths += _write(
            _env.get_template("case_report.html.j2").render(r=report), out_dir / "case-summary", pdf
        )
        folders = folder_names(places)
        by_place: dict[str, list[int]] = {}
        for account_id in ids:
            by_place.setdefault(places[account_id].label, []).append(account_id)
        for label, members in sorted(by_place.items()):
            folder = out_dir / folders[label]
            rows = [r for r in report["participants"] if r["jurisdiction"] == label]
            index = _env.get_template("package_index.html.j2").render(r=report, place=label, rows=rows)
            paths += _write(index, folder / "index", False)
            paths += write_dossiers(conn, members, folder, ctx, printer if pdf else None)
    # Each file is named once: names are unique by construction (file_stems), and a production that
    # wrote one file twice would list the same path with only the last content's digest.
    twice = sorted(str(p) for p, n in Counter(paths).items() if n > 1)
    if twice:
        raise VeilleurError(f"files written twice in one package: {', '.join(twice)}", file=str(out_dir))
    manifest = {
        "case": ctx.case_name,
        "generated_at": ctx.generated_at,
        "operator": operator,
        "audit_position": where.label,
        "matching_run": ctx.run_id,
        "files": [
            {
                "path": str(p.relative_to(out_dir)),
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                "size": p.stat().st_size,
            }
            for p in paths
        ],
    }
    (out_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return [*paths, out_dir / "manifest.json"]
