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
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from veilleur import app
from veilleur.demo.check import check_ground_truth, check_hits, check_identity, check_network, store_key
from veilleur.demo.generate import generate_demo_case
from veilleur.errors import VeilleurError

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


KEYWORDS = """# A keyword list as investigators exchange them: one term a line, in the query language.
vélo*
sortie*
"on se retrouve"
email:club.rando@example.org
photo* OR vidéo*
"""

Say = Callable[[str], None]
Show = Callable[[Any, str | None], None]


def prepare_folder(out_dir: Path) -> None:
    """Empty ``out_dir`` if it is an earlier demo; refuse any other non-empty folder."""
    if out_dir.exists() and (out_dir / MARKER).exists():
        shutil.rmtree(out_dir)
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise VeilleurError(f"{out_dir} exists and is not a Veilleur demo folder; choose another --out")


def run_demo(out_dir: Path, *, seed: int = 7, operator: str, say: Say, show: Show) -> bool:
    """Generate, import and check the demo case under ``out_dir``; True when the ground truth holds.

    Every step is a use case of :mod:`veilleur.app`, run as ``operator`` (the case's lead), so the
    demo's views are audited like anyone's. ``say`` prints a line, ``show`` a typed result (with a
    title or None): the command line passes its renderer."""
    out_dir = Path(out_dir)
    prepare_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text(
        "Synthetic Veilleur demo case; 'veilleur demo' may replace this folder.\n", encoding="utf-8"
    )
    started = time.monotonic()
    truth_path = generate_demo_case(out_dir, seed)
    truth: dict[str, Any] = json.loads(truth_path.read_text(encoding="utf-8"))
    say(
        f"[bold]Veilleur demo[/] (seed {seed}): {len(truth['import_order'])} synthetic Telegram "
        f"Desktop exports written to {out_dir / 'exports'} in {time.monotonic() - started:.1f} s"
    )

    app.create_case(out_dir / "case", user=operator, name=f"Veilleur demo (seed {seed})").close()
    session = app.open_session(out_dir / "case", operator)
    try:
        say(f"Case created in {session.case.root}; importing in order:")
        for name in truth["import_order"]:
            facts = truth["exports"][name]
            offset = facts.get("utc_offset")
            try:
                o = app.import_export_file(
                    session, out_dir / "exports" / name, utc_offset=app.utc_offset(offset) if offset else None
                )
            except VeilleurError as e:
                say(f"  [red]{name}: import failed:[/] {e}")
                return False
            say(_export_line(name, facts, o.status, o.report))
        hashed = app.hash_media(session)
        say(f"Hashed {hashed.hashed} media files (MD5, SHA-1, SHA-256, PDQ, vPDQ) in {hashed.seconds:.1f} s")
        for spec in truth["lists"]:
            lr = app.import_hash_list(
                session,
                out_dir / "lists" / spec["file"],
                name=spec["name"],
                negative=spec["kind"] == "negative",
                hash_type=spec.get("hash_type"),
            )
            say(f"  list {lr.list_name} ({spec['kind']}, {lr.format}): {lr.entries} hashes")
        report = app.match(session, app.MatchOptions(dihedral=True))
        for spec in truth["identity"]["files"]:
            rr = app.import_record_file(
                session, out_dir / "records" / spec["file"], kind=spec["kind"], source=spec["source"]
            )
            say(f"  records {spec['file']} ({rr.kind}): {rr.rows} rows")
        lr_ = app.run_linking(session)
        say(
            f"Identity resolution: {lr_.person_candidates} account → person and "
            f"{lr_.alias_candidates} account → account candidates"
        )
        ir = app.run_indicator_scan(session)
        say(
            f"Text indicators: {ir.hits} hits in {ir.messages_with_hits} of {ir.messages} messages ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(ir.by_indicator.items()))
            + ")"
        )
        show(app.summary(session), None)
        show(report, None)
        show(app.hits(session), None)
        show(app.network(session, [store_key(truth["case"]["central_account_id"])]), None)
        ranked = app.rank(session)
        show(ranked, "Who comes first: a lead, not a verdict")
        show(app.search(session, "text:(vélo* OR sortie*)", limit=5), None)
        keywords = out_dir / "keywords.txt"
        keywords.write_text(KEYWORDS, encoding="utf-8")
        show(app.run_keyword_list(session, keywords), None)
        # The ground-truth check reads the store directly: it is the demo's test, not a client.
        with session.case.engine.connect() as conn:
            mismatches = (
                check_ground_truth(conn, truth)
                + check_hits(conn, truth)
                + check_network(conn, truth)
                + check_identity(conn, truth, ranked.ranking_id or 0)
            )
        reports = out_dir / "reports"
        written = app.reports(session, reports)
        say(
            f"Wrote the case summary and {sum(p.endswith('.pdf') for p in written.files) - 1} dossiers "
            f"(HTML and PDF, grouped by jurisdiction) to {reports}"
        )
    finally:
        session.close()

    if mismatches:
        say(f"[red bold]Ground truth check failed[/]: {len(mismatches)} mismatches with {truth_path.name}")
        for m in mismatches:
            say(f"[red]  - {str(m).replace('[', chr(92) + '[')}[/]")
    else:
        say(
            f"[green bold]Ground truth check passed[/]: the case matches {truth_path.name} "
            f"({time.monotonic() - started:.1f} s in all)."
        )
    return not mismatches
