"""``veilleur demo``: generate the synthetic case, run the whole pipeline, and check what was concluded.

:func:`run_demo` writes the four demo exports and the demo's hash lists
(:mod:`veilleur.demo.generate`), creates a SQLite case beside them, imports every export in the
ground truth's ``import_order`` with the exporting PC's UTC offset the ground truth states (needed
by the old HTML export, whose titles carry none), hashes every media file, imports the lists,
matches (dihedral matching on), prints the case summary and the hits per chat and per account,
prints the network around the central account, compares the case with ``ground_truth.json``
(:func:`veilleur.demo.check.check_ground_truth`, :func:`~veilleur.demo.check.check_hits` and
:func:`~veilleur.demo.check.check_network`), and writes the case summary and a dossier per
participating account, grouped by jurisdiction, under ``reports/``. Everything is synthetic and
harmless; no file is shown, only hashes, names, counts and citations.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select

from veilleur.analysis.indicators import run_indicators
from veilleur.analysis.network import exchanged_with
from veilleur.analysis.priority import rank_case, ranking
from veilleur.case import init_case
from veilleur.demo.check import check_ground_truth, check_hits, check_identity, check_network, store_key
from veilleur.demo.generate import generate_demo_case
from veilleur.errors import VeilleurError
from veilleur.hashing.runner import hash_case_media
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.linking import link_case, persons_of
from veilleur.lists import import_list
from veilleur.matching.results import display_names, hits_by_account, hits_by_chat
from veilleur.matching.run import MatchOptions, match_case
from veilleur.outputs.hits import report_table, tally_table
from veilleur.outputs.network import network_table
from veilleur.outputs.packages import write_packages
from veilleur.outputs.priority import ranking_table
from veilleur.outputs.summary import case_summary, summary_table
from veilleur.records.importer import import_records
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import accounts

__all__ = ["MARKER", "run_demo"]

MARKER = ".veilleur-demo"
"""Written first in the demo folder, so that ``veilleur demo`` may replace it (and only it) later."""


def _export_line(name: str, facts: dict[str, Any], status: str, report: dict[str, Any]) -> str:
    c = report.get("counters", {})
    how = f"{'+'.join(facts['formats'])}, {facts['layout'].replace('_', ' ')}"
    if status == "unchanged":
        return f"  {name} ({how}): already imported, nothing changed"
    parts = [
        f"{c.get('messages', 0) - c.get('reconciled', 0)} messages",
        f"{c.get('new', 0)} new",
        f"{c.get('unchanged', 0)} seen before",
        f"{c.get('new_versions', 0)} new versions",
    ]
    if c.get("reconciled"):
        parts.append(f"{c['reconciled']} HTML messages reconciled with the JSON")
    parts += [
        f"{c.get('media_present', 0)} media saved",
        f"{c.get('repairs', 0)} repairs",
        f"{report.get('possibly_deleted_flagged', 0)} flagged possibly deleted",
    ]
    if c.get("exporter_records"):
        parts.append(f"{c['exporter_records']} exporter records")
    return f"  {name} ({how}): " + ", ".join(parts)


def run_demo(out_dir: Path, *, seed: int = 7, operator: str, console: Console) -> bool:
    """Generate, import and check the demo case under ``out_dir``; True when the ground truth holds."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text(
        "Synthetic Veilleur demo case; 'veilleur demo' may replace this folder.\n", encoding="utf-8"
    )
    started = time.monotonic()
    truth_path = generate_demo_case(out_dir, seed)
    truth: dict[str, Any] = json.loads(truth_path.read_text(encoding="utf-8"))
    console.print(
        f"[bold]Veilleur demo[/] (seed {seed}): {len(truth['import_order'])} synthetic Telegram "
        f"Desktop exports written to {out_dir / 'exports'} in {time.monotonic() - started:.1f} s"
    )

    case = init_case(out_dir / "case", name=f"Veilleur demo (seed {seed})", operator=operator)
    try:
        console.print(f"Case created in {case.root}; importing in order:")
        for name in truth["import_order"]:
            facts = truth["exports"][name]
            offset = facts.get("utc_offset")
            options = ImportOptions(operator, utc_offset(offset) if offset else None)
            try:
                result = import_export(case, out_dir / "exports" / name, options)
            except VeilleurError as e:
                console.print(f"  [red]{name}: import failed:[/] {e}")
                return False
            console.print(_export_line(name, facts, result.status, result.report))
        hashed = hash_case_media(case, operator=operator)
        console.print(
            f"Hashed {hashed.hashed} media files (MD5, SHA-1, SHA-256, PDQ, vPDQ) in {hashed.seconds:.1f} s"
        )
        for spec in truth["lists"]:
            lr = import_list(
                case,
                out_dir / "lists" / spec["file"],
                name=spec["name"],
                operator=operator,
                kind=spec["kind"],
                hash_type=spec.get("hash_type"),
            )
            console.print(f"  list {lr.list_name} ({spec['kind']}, {lr.format}): {lr.entries} hashes")
        report = match_case(case, MatchOptions(dihedral=True), operator=operator)
        for spec in truth["identity"]["files"]:
            rr = import_records(
                case,
                out_dir / "records" / spec["file"],
                kind=spec["kind"],
                operator=operator,
                source=spec["source"],
            )
            console.print(f"  records {spec['file']} ({rr.kind}): {rr.rows} rows")
        lr_ = link_case(case, operator=operator)
        console.print(
            f"Identity resolution: {lr_.person_candidates} account → person and "
            f"{lr_.alias_candidates} account → account candidates"
        )
        ir = run_indicators(case, operator=operator)
        console.print(
            f"Text indicators: {ir.hits} hits in {ir.messages_with_hits} of {ir.messages} messages ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(ir.by_indicator.items()))
            + ")"
        )
        with case.engine.connect() as conn:
            console.print(summary_table(case_summary(conn)))
            console.print(report_table(report))
            console.print(tally_table("Hits per chat", "chat", hits_by_chat(conn)))
            console.print(tally_table("Hits per sending account", "account", hits_by_account(conn)))
            central = conn.execute(
                select(accounts.c.id).where(accounts.c.key == store_key(truth["case"]["central_account_id"]))
            ).scalar_one()
            around = exchanged_with(conn, [central])
            labels = display_names(conn, {c.account_id for c in around} | {central})
            who = labels.get(central, "the central account")
            title = f"Everyone who exchanged flagged material with {who}"
            console.print(network_table(title, around, labels))
            linked = {a: p.person_id for a, p in persons_of(conn).items()}
        ranking_id = rank_case(case, operator=operator, account_person=linked)
        with case.engine.connect() as conn:
            console.print(
                ranking_table("Who comes first: a lead, not a verdict", ranking(conn, ranking_id), top=8)
            )
            mismatches = (
                check_ground_truth(conn, truth)
                + check_hits(conn, truth)
                + check_network(conn, truth)
                + check_identity(conn, truth, ranking_id)
            )
        reports = out_dir / "reports"
        written = write_packages(case, reports, operator=operator)
        console.print(
            f"Wrote the case summary and {sum(p.suffix == '.pdf' for p in written) - 1} dossiers "
            f"(HTML and PDF, grouped by jurisdiction) to {reports}"
        )
    finally:
        case.close()

    if mismatches:
        console.print(
            f"[red bold]Ground truth check failed[/]: {len(mismatches)} mismatches with {truth_path.name}"
        )
        for m in mismatches:
            console.print(f"  - {m}", style="red", markup=False, highlight=False)
    else:
        console.print(
            f"[green bold]Ground truth check passed[/]: the case matches {truth_path.name} "
            f"({time.monotonic() - started:.1f} s in all)."
        )
    return not mismatches
