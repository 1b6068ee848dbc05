"""The ``veilleur`` command line.

Every command works on one case folder (``--case``, or ``VEILLEUR_CASE``, default the current
folder) and acts as one operator (``--operator``, or ``VEILLEUR_OPERATOR``, default the login
name), whose name goes into the evidence registry, every import and the audit log.

Every command that changes the case or shows its data is logged in the audit log
(:mod:`veilleur.custody.audit`): the actions by the library functions they call, the views here,
each logged *before* anything is shown, so that what cannot be logged is not shown.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from sqlalchemy import select

from veilleur.case import Case, default_operator, init_case, open_case
from veilleur.custody import audit
from veilleur.custody.evidence import verify
from veilleur.errors import VeilleurError
from veilleur.ingest.importer import ImportOptions, ImportResult, import_export
from veilleur.outputs.summary import case_summary, summary_table
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import evidence, imports

err = Console(stderr=True)
out = Console()


class Ctx:
    def __init__(self, case_dir: Path, operator: str) -> None:
        self.case_dir = case_dir
        self.operator = operator

    def case(self) -> Case:
        return open_case(self.case_dir)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--case",
    "case_dir",
    envvar="VEILLEUR_CASE",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Case folder.",
)
@click.option(
    "--operator",
    envvar="VEILLEUR_OPERATOR",
    default=None,
    help="Who is acting (recorded in custody). Default: login name.",
)
@click.pass_context
def cli(ctx: click.Context, case_dir: Path, operator: str | None) -> None:
    """Veilleur: case analysis of lawfully held messaging exports."""
    ctx.obj = Ctx(case_dir, operator or default_operator())


@cli.group("case")
def case_group() -> None:
    """Create and inspect case workspaces."""


@case_group.command("init")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Case name (default: folder name).")
@click.option("--database-url", help="PostgreSQL URL for a team case (default: SQLite in the folder).")
@click.pass_obj
def case_init(obj: Ctx, folder: Path | None, name: str | None, database_url: str | None) -> None:
    """Create a case folder (default: the --case folder)."""
    case = init_case(folder or obj.case_dir, name=name, database_url=database_url, operator=obj.operator)
    out.print(f"Case [bold]{case.name}[/] created in {case.root} ({case.engine.dialect.name}).")


class _Bar:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            label = "result.json" if phase == "json" else "HTML pages"
            self.tasks[phase] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False, path_type=Path))
@click.option(
    "--utc-offset",
    "offset",
    help="Exporter's UTC offset (e.g. +01:00), for exports without "
    "date_unixtime and for HTML titles without an offset.",
)
@click.option("--lenient-utf8", is_flag=True, help="Import invalid UTF-8 as U+FFFD (each repair logged).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the machine-readable import report (JSON) here.",
)
@click.pass_obj
def import_cmd(
    obj: Ctx, paths: tuple[Path, ...], offset: str | None, lenient_utf8: bool, report_path: Path | None
) -> None:
    """Import Telegram Desktop exports (folders, zips, result.json or messages.html)."""
    case = obj.case()
    tz = utc_offset(offset) if offset else None
    reports: list[dict[str, Any]] = []
    for path in paths:
        result = run_import(case, path, ImportOptions(obj.operator, tz, lenient_utf8))
        reports.append(result.report | {"status": result.status})
    if report_path:
        case.audit(
            "report.imports",
            operator=obj.operator,
            subject=str(report_path),
            details={"imports": len(reports)},
        )
        report_path.write_bytes(orjson.dumps(reports, option=orjson.OPT_INDENT_2))


def run_import(case: Case, path: Path, options: ImportOptions, *, quiet: bool = False) -> ImportResult:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        result = import_export(case, path, options, _Bar(progress))
    c = result.report.get("counters", {})
    if result.status == "unchanged":
        out.print(f"{escape(str(path))}: already imported (import #{result.import_id}); nothing changed.")
    elif not quiet:
        out.print(
            f"{escape(str(path))}: import #{result.import_id}{' (resumed)' if result.resumed else ''}: "
            f"{c.get('messages', 0)} messages ({c.get('new', 0)} new, "
            f"{c.get('new_versions', 0)} new versions, "
            f"{c.get('reconciled', 0)} HTML reconciled), {c.get('repairs', 0)} repairs, "
            f"{result.report.get('possibly_deleted_flagged', 0)} flagged possibly deleted"
        )
    return result


@cli.group("evidence")
def evidence_group() -> None:
    """The evidence registry and chain of custody."""


@evidence_group.command("list")
@click.pass_obj
def evidence_list(obj: Ctx) -> None:
    """Every registered file with its SHA-256."""
    case = obj.case()
    with case.engine.connect() as conn:
        rows = conn.execute(select(evidence).order_by(evidence.c.id)).all()
    case.audit("view.evidence", operator=obj.operator, details={"files": len(rows)})
    t = Table("id", "kind", "sha256", "size", "registered", "operator", "path")
    for r in rows:
        t.add_row(str(r.id), r.kind, r.sha256, str(r.size), r.registered_at, r.operator, r.original_path)
    out.print(t)


@evidence_group.command("verify")
@click.pass_obj
def evidence_verify(obj: Ctx) -> None:
    """Re-hash every registered file; exit 1 if any changed or went missing."""
    bad = []
    n = 0
    case = obj.case()
    with case.engine.begin() as conn:
        for v in verify(conn, obj.operator):
            n += 1
            if v.status != "unchanged":
                bad.append(v)
        # Logged with the custody events it wrote, before any path is shown.
        where = audit.record(
            conn,
            "view.evidence.verify",
            operator=obj.operator,
            details={"files": n, "changed_or_missing": len(bad)},
        )
    audit.witness(case, where)
    for v in bad:
        out.print(
            f"[red]{v.status.upper()}[/] #{v.evidence_id} {escape(v.original_path)} "
            f"(registered {v.expected}, now {v.found or '-'})",
            soft_wrap=True,
        )
    out.print(f"{n} evidence files checked, {len(bad)} changed or missing.")
    if bad:
        sys.exit(1)


@cli.command("imports")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_obj
def imports_cmd(obj: Ctx, as_json: bool) -> None:
    """The imports of this case, with their status and reports."""
    case = obj.case()
    with case.engine.connect() as conn:
        rows = conn.execute(select(imports).order_by(imports.c.id)).all()
    case.audit("view.imports", operator=obj.operator, details={"imports": len(rows), "json": as_json})
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "id": r.id,
                        "status": r.status,
                        "source": r.source_path,
                        "error": r.error,
                        "report": orjson.loads(r.report) if r.report else None,
                    }
                    for r in rows
                ]
            ).decode()
        )
        return
    t = Table("id", "status", "format", "layout", "started", "operator", "source", "error")
    for r in rows:
        t.add_row(
            str(r.id),
            r.status,
            r.format,
            r.layout or "",
            r.started_at,
            r.operator,
            r.source_path,
            r.error or "",
        )
    out.print(t)


@cli.command("summary")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def summary_cmd(obj: Ctx, as_json: bool) -> None:
    """What the case holds: chats, accounts, messages, media, date range, warnings."""
    case = obj.case()
    with case.engine.connect() as conn:
        s = case_summary(conn)
    case.audit("view.summary", operator=obj.operator, details={"json": as_json})
    if as_json:
        out.print_json(orjson.dumps(s).decode())
    else:
        print_summary(s)


def print_summary(s: dict[str, Any]) -> None:
    out.print(summary_table(s))


@cli.command("hash")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: one per core; 0: hash in this process).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Hash at most N files in this run.")
@click.option("--retry-failed", is_flag=True, help="Try again files that failed (e.g. a drive was offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def hash_cmd(obj: Ctx, workers: int | None, limit: int | None, retry_failed: bool, as_json: bool) -> None:
    """Hash every media file once: MD5, SHA-1, SHA-256, PDQ and vPDQ. Resumable.

    Pictures and frames are decoded in memory to compute hashes; nothing is displayed or written
    but hashes and metadata.
    """
    from veilleur.hashing.runner import hash_case_media

    case = obj.case()
    with _counted_bar("files", disable=as_json) as progress:
        task = progress.add_task("Hashing media", total=None)
        report = hash_case_media(
            case,
            workers=workers,
            operator=obj.operator,
            limit=limit,
            retry_failed=retry_failed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        out.print_json(orjson.dumps(report.as_dict()).decode())
        return
    t = Table(title="Media hashing", show_header=False)
    t.add_row("media files in case", str(report.media_files))
    t.add_row("hashed by earlier runs", str(report.already_hashed))
    t.add_row("hashed now", f"{report.hashed} in {report.seconds:.1f} s on {report.workers or 1} processes")
    t.add_row("still to hash", str(report.remaining))
    for label, counts in (
        ("by status", report.by_status),
        ("by reason", report.by_reason),
        ("by media class", report.by_class),
    ):
        t.add_row(label, ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-")
    t.add_row("video frame hashes", str(report.frame_hashes))
    out.print(t)
    if report.changed_evidence:
        out.print(
            f"[red]{report.changed_evidence} evidence files no longer match their registered SHA-256[/] "
            "(custody events recorded; run 'veilleur evidence verify')."
        )


@cli.group("lists")
def lists_group() -> None:
    """Hash lists (banks) of known material: import versions, show what they hold.

    Lists are reference data, not case evidence: they are never exported with case data, and no
    command prints their hash values.
    """


@lists_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The list's name (a new version if the list exists).")
@click.option("--version", "version", help="Version label (default: what the file says, else 1, 2…).")
@click.option(
    "--scheme",
    type=click.Choice(["us", "uk", "custom"]),
    help="Category scheme of a new list (default: the profile the file declares, else us).",
)
@click.option("--negative", is_flag=True, help="A list of known false positives (negative bank).")
@click.option("--source", help="Where the list comes from (e.g. 'Project VIC US', 'NCMEC NGO').")
@click.option(
    "--format", "fmt", help="The file's format, if not recognised (vics, caid, ncmec, csv, typed, text)."
)
@click.option(
    "--hash-type",
    type=click.Choice(["md5", "sha1", "sha256", "pdq", "photodna"]),
    help="Type of bare values the file does not label (needed for 64-hex SHA-256 or PDQ lists).",
)
@click.option(
    "--delta/--full",
    "delta",
    default=None,
    help="Whether the file holds changes only or the whole list (default: NCMEC delta, others full).",
)
@click.option(
    "--pdq-threshold",
    type=click.IntRange(0, 64),
    help="PDQ distance (bits) within which this list's entries match (default 31).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def lists_import(
    obj: Ctx,
    path: Path,
    name: str,
    version: str | None,
    scheme: str | None,
    negative: bool,
    source: str | None,
    fmt: str | None,
    hash_type: str | None,
    delta: bool | None,
    pdq_threshold: int | None,
    as_json: bool,
) -> None:
    """Import a hash-list file as a new version of the list NAME (incremental)."""
    from veilleur.lists import import_list
    from veilleur.lists.thresholds import set_pdq_threshold

    case = obj.case()
    report = import_list(
        case,
        path,
        name=name,
        operator=obj.operator,
        version=version,
        scheme=scheme,
        source=source,
        kind="negative" if negative else None,
        format=fmt,
        full=None if delta is None else not delta,
        hash_type=hash_type,
    )
    if pdq_threshold is not None:
        with case.engine.begin() as conn:
            where = set_pdq_threshold(conn, report.list_name, pdq_threshold, operator=obj.operator)
        audit.witness(case, where)
    if as_json:
        out.print_json(orjson.dumps(report.to_dict()).decode())
    elif report.status == "unchanged":
        out.print(
            f"{escape(str(path))}: already imported as version {escape(report.version)} of list "
            f"{escape(report.list_name)}; nothing changed."
        )
    else:
        out.print(
            f"List [bold]{escape(report.list_name)}[/] version {escape(report.version)} "
            f"({report.format}, {'full' if report.full else 'delta'}): {report.entries} hashes in "
            f"{report.items} entries; {report.added + report.restored} added, {report.changed} changed, "
            f"{report.unchanged} unchanged, {report.removed + report.withdrawn} removed"
            + (f", {report.duplicates} duplicates" if report.duplicates else "")
            + (
                f", unsupported hash types skipped: {', '.join(report.unsupported)}"
                if report.unsupported
                else ""
            ),
            soft_wrap=True,
        )


@lists_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def lists_show(obj: Ctx, as_json: bool) -> None:
    """Each list with its versions and its entries counted per hash type and category."""
    from veilleur.lists import list_summaries

    case = obj.case()
    with case.engine.connect() as conn:
        summaries = list_summaries(conn)
    case.audit("view.lists", operator=obj.operator, details={"lists": len(summaries), "json": as_json})
    if as_json:
        out.print_json(orjson.dumps(summaries).decode())
        return
    if not summaries:
        out.print("No hash lists in this case ('veilleur lists import' adds one).")
    for s in summaries:
        out.print(
            f"[bold]{escape(s['name'])}[/] ({s['kind']}, {s['scheme']} categories"
            + (f", source: {escape(s['source'])}" if s["source"] else "")
            + f"): {s['active_total']} active hashes, {s['removed']} removed",
            soft_wrap=True,
        )
        for v in s["versions"]:
            out.print(
                f"  version {escape(v['version'])}: {v['imported_at']} by {escape(v['operator'])}, "
                f"{v['format']} ({'full' if v['full'] else 'delta'}), {v['added']} added, "
                f"{v['changed']} changed, {v['removed']} removed, {v['unchanged']} unchanged",
                soft_wrap=True,
            )
        counts = Table("hash type", "category", "active entries")
        for hash_type, by_category in s["active"].items():
            for category, n in by_category.items():
                counts.add_row(hash_type, escape(category), str(n))
        out.print(counts)


@lists_group.command("threshold")
@click.argument("name")
@click.argument("bits", type=click.IntRange(0, 64), required=False)
@click.pass_obj
def lists_threshold(obj: Ctx, name: str, bits: int | None) -> None:
    """Set the PDQ threshold of the list NAME to BITS (without BITS: back to the default, 31)."""
    from veilleur.lists.thresholds import set_pdq_threshold

    case = obj.case()
    with case.engine.begin() as conn:
        where = set_pdq_threshold(conn, name, bits, operator=obj.operator)
    audit.witness(case, where)
    out.print(f"List {escape(name)}: PDQ threshold {bits if bits is not None else '31 (default)'} bits.")


@cli.command("match")
@click.option("--dihedral", is_flag=True, help="Also match rotated and mirrored copies of pictures.")
@click.option(
    "--pdq-quality",
    type=click.IntRange(0, 100),
    default=50,
    show_default=True,
    help="Least PDQ quality matched.",
)
@click.option("--no-video-frames", is_flag=True, help="Do not match video frames against listed pictures.")
@click.option("--vpdq-distance", type=click.IntRange(0, 64), default=31, show_default=True)
@click.option(
    "--vpdq-query-pct",
    type=click.FloatRange(0, 100),
    default=80.0,
    show_default=True,
    help="Share of the case video's frames that must match.",
)
@click.option(
    "--vpdq-compared-pct",
    type=click.FloatRange(0, 100),
    default=0.0,
    show_default=True,
    help="Share of the listed video's frames that must match.",
)
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def match_cmd(
    obj: Ctx,
    dihedral: bool,
    pdq_quality: int,
    no_video_frames: bool,
    vpdq_distance: int,
    vpdq_query_pct: float,
    vpdq_compared_pct: float,
    threads: int,
    as_json: bool,
) -> None:
    """Match the case's hashed media against every hash list it holds, and record the hits.

    Run 'veilleur hash' first. Hits are stored as evidence (list, version, entry, signal,
    distance, time); no file is ever shown. Prints the run and the hits per chat and per account.
    """
    from veilleur.matching.results import hits_by_account, hits_by_chat
    from veilleur.matching.run import MatchOptions, match_case
    from veilleur.matching.video import VideoThresholds
    from veilleur.outputs.hits import report_table, tally_table

    case = obj.case()
    options = MatchOptions(
        pdq_quality=pdq_quality,
        dihedral=dihedral,
        video_frames=not no_video_frames,
        video=VideoThresholds(vpdq_distance, pdq_quality, vpdq_query_pct, vpdq_compared_pct),
        threads=threads,
    )
    report = match_case(case, options, operator=obj.operator)
    audit.witness(case)  # match_case logged the run in its transaction; witness it now it is committed
    if as_json:
        out.print_json(orjson.dumps(report.to_dict()).decode())
        return
    out.print(report_table(report))
    with case.engine.connect() as conn:
        out.print(tally_table("Hits per chat", "chat", hits_by_chat(conn)))
        out.print(tally_table("Hits per sending account", "account", hits_by_account(conn)))


@cli.command("hits")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def hits_cmd(obj: Ctx, as_json: bool) -> None:
    """The current hits: each flagged file with the signals that agree, then per chat and account."""
    from veilleur.matching.results import current_run, flagged_files, hits_by_account, hits_by_chat
    from veilleur.outputs.hits import files_table, hits_data, tally_table

    case = obj.case()
    with case.engine.connect() as conn:
        run_id = current_run(conn)
        data = hits_data(conn) if as_json else None
        if not as_json and run_id is not None:
            files, chats, senders = flagged_files(conn), hits_by_chat(conn), hits_by_account(conn)
    case.audit("view.hits", operator=obj.operator, details={"run_id": run_id, "json": as_json})
    if data is not None:
        out.print_json(orjson.dumps(data).decode())
        return
    if run_id is None:
        out.print("This case has not been matched yet ('veilleur match').")
        return
    out.print(files_table(files))
    out.print(tally_table("Hits per chat", "chat", chats))
    out.print(tally_table("Hits per sending account", "account", senders))


def _account_ids(conn: Any, keys: tuple[str, ...]) -> list[int]:
    """Account ids for keys as shown in reports (``telegram:user:123``) or bare (``user:123``, ``123``)."""
    from veilleur.store.schema import accounts

    ids = []
    for key in keys:
        candidates = [key, f"telegram:{key}", f"telegram:user:{key}"]
        found = conn.execute(select(accounts.c.id).where(accounts.c.key.in_(candidates))).scalar()
        if found is None:
            raise click.BadParameter(f"no account {key!r} in this case", param_hint="ACCOUNT")
        ids.append(found)
    return ids


@cli.command("exchanges")
@click.option("--account", "account_keys", multiple=True, help="Only exchanges this account took part in.")
@click.option("--chat", "chat_key", help="Only exchanges in this chat (its key, e.g. telegram:channel:123).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def exchanges_cmd(obj: Ctx, account_keys: tuple[str, ...], chat_key: str | None, as_json: bool) -> None:
    """Every exchange of flagged media: sender, recipients (and why), time, chat, matches, citation."""
    from veilleur.analysis.exchanges import flagged_exchanges
    from veilleur.matching.results import display_names
    from veilleur.sources.telegram_common import iso_utc

    case = obj.case()
    with case.engine.connect() as conn:
        ids = set(_account_ids(conn, account_keys))
        found = [
            e
            for e in flagged_exchanges(conn)
            if (not ids or e.sender_id in ids or not ids.isdisjoint(e.recipient_map))
            and (chat_key is None or e.chat_key == chat_key)
        ]
        people = {e.sender_id for e in found if e.sender_id is not None}
        people |= {p.account_id for e in found for p in e.recipients}
        names = display_names(conn, people)
    case.audit(
        "view.exchanges",
        operator=obj.operator,
        subject=",".join(account_keys) or chat_key,
        details={"exchanges": len(found)},
    )
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "chat": e.chat_key,
                        "message_id": e.message_id,
                        "date_utc": iso_utc(e.date_utc),
                        "setting": e.setting,
                        "sender": e.sender_id,
                        "recipients": [vars(p) for p in e.recipients],
                        "forwarded_from": e.forwarded_from,
                        "files": e.files,
                        "hits": [vars(h) for h in e.hits],
                        "citation": e.citation,
                    }
                    for e in found
                ]
            ).decode()
        )
        return
    t = Table(
        "time (UTC)", "chat #message", "sender", "recipients", "matches", title="Exchanges of flagged media"
    )
    for e in found:
        recipients = [names.get(p.account_id, str(p.account_id)) for p in e.recipients]
        shown = ", ".join(recipients[:4]) + (f" +{len(recipients) - 4}" if len(recipients) > 4 else "")
        t.add_row(
            (iso_utc(e.date_utc) or "-").replace("T", " "),
            escape(f"{e.chat_title or e.chat_key} #{e.message_id}") + f"\n[dim]{e.setting}[/]",
            escape(names.get(e.sender_id or -1, e.sender_name or "?")),
            escape(shown or "-"),
            escape(", ".join(sorted({f"{h.list_name}: {h.method}" for h in e.hits}))),
        )
    out.print(t)


@cli.command("network")
@click.argument("account_keys", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def network_cmd(obj: Ctx, account_keys: tuple[str, ...], as_json: bool) -> None:
    """Everyone who exchanged flagged material with ACCOUNT(s), with the evidence per person.

    Direct links (private chats, replies, forwards) come first, then links through shared groups.
    """
    from veilleur.analysis.network import exchanged_with
    from veilleur.matching.results import display_names
    from veilleur.outputs.network import network_table

    case = obj.case()
    with case.engine.connect() as conn:
        ids = _account_ids(conn, account_keys)
        around = exchanged_with(conn, ids)
        labels = display_names(conn, {c.account_id for c in around} | set(ids))
    case.audit(
        "view.network", operator=obj.operator, subject=",".join(account_keys), details={"found": len(around)}
    )
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "account": c.key,
                        "name": labels.get(c.account_id),
                        "kinds": list(c.kinds),
                        "direct": c.direct,
                        "sent": c.sent,
                        "received": c.received,
                        "links": [
                            {
                                "kind": x.kind,
                                "detail": x.detail,
                                "chat": x.exchange.chat_key,
                                "message_id": x.exchange.message_id,
                            }
                            for x in c.links
                        ],
                    }
                    for c in around
                ]
            ).decode()
        )
        return
    who = " + ".join(labels.get(i, k) for i, k in zip(ids, account_keys, strict=True))
    out.print(network_table(f"Everyone who exchanged flagged material with {who}", around, labels))


@cli.command("roles")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def roles_cmd(obj: Ctx, as_json: bool) -> None:
    """Roles, volumes, active period, centrality and community of every account in the exchanges."""
    from veilleur.analysis.exchanges import flagged_exchanges
    from veilleur.analysis.graph import analyse_network
    from veilleur.matching.results import display_names
    from veilleur.sources.telegram_common import iso_utc

    case = obj.case()
    with case.engine.connect() as conn:
        ex = flagged_exchanges(conn)
        na = analyse_network(conn, ex)
        names = display_names(conn, set(na.accounts))
    case.audit("view.roles", operator=obj.operator, details={"accounts": len(na.accounts)})
    rows = sorted(na.accounts.values(), key=lambda s: (-s.sent, -s.received, s.account_id))
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "account_id": s.account_id,
                        "name": names.get(s.account_id),
                        "roles": list(s.roles),
                        "sent": s.sent,
                        "received": s.received,
                        "first_utc": iso_utc(s.first_utc),
                        "last_utc": iso_utc(s.last_utc),
                        "degree_centrality": s.degree_centrality,
                        "betweenness": s.betweenness,
                        "community": s.community,
                    }
                    for s in rows
                ]
            ).decode()
        )
        return
    t = Table("account", "roles", "sent", "received", "period", "degree", "betweenness", "community")
    for s in rows:
        t.add_row(
            escape(names.get(s.account_id, str(s.account_id))),
            ", ".join(s.roles),
            str(s.sent),
            str(s.received),
            f"{(iso_utc(s.first_utc) or '-')[:10]} to {(iso_utc(s.last_utc) or '-')[:10]}",
            f"{s.degree_centrality:.3f}",
            f"{s.betweenness:.3f}",
            str(s.community if s.community is not None else "-"),
        )
    out.print(t)


@cli.command("propagation")
@click.option("--new", "only_new", is_flag=True, help="Only possibly new material (for review).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def propagation_cmd(obj: Ctx, only_new: bool, as_json: bool) -> None:
    """Where each media item first appeared and how it spread; possibly new material with its reasons.

    Items are named by SHA-256 and citations only: nothing is shown.
    """
    from veilleur.analysis.exchanges import flagged_exchanges
    from veilleur.analysis.propagation import media_items, possibly_new_material
    from veilleur.sources.telegram_common import iso_utc

    case = obj.case()
    with case.engine.connect() as conn:
        items = media_items(conn)
        new = possibly_new_material(items, flagged_exchanges(conn))
    shown = new if only_new else [i for i in items if len(i.sightings) > 1 or i.flagged or i in new]
    case.audit("view.propagation", operator=obj.operator, details={"items": len(shown), "new_only": only_new})
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "files": i.files,
                        "flagged": i.flagged,
                        "possibly_new": i.reasons,
                        "sightings": [
                            {
                                "chat": s.chat_key,
                                "message_id": s.message_id,
                                "date_utc": iso_utc(s.date_utc),
                                "sender": s.sender_key,
                                "forwarded_from": s.forwarded_from,
                            }
                            for s in i.sightings
                        ],
                    }
                    for i in shown
                ]
            ).decode()
        )
        return
    t = Table("item (SHA-256)", "first appeared", "then", "status", title="Media propagation")
    for i in shown:
        f = i.first
        later = [
            f"{s.chat_title or s.chat_key} #{s.message_id}{' (fwd)' if s.forwarded_from else ''}"
            for s in i.sightings[1:]
        ]
        status = "flagged" if i.flagged else ("possibly new: " + "; ".join(i.reasons) if i.reasons else "-")
        t.add_row(
            "\n".join(i.files),
            escape(f"{(iso_utc(f.date_utc) or '-')[:16]} {f.chat_title or f.chat_key} #{f.message_id}")
            + escape(f" by {f.sender_name or '?'}"),
            escape("; ".join(later[:5]) + (f" +{len(later) - 5}" if len(later) > 5 else "")) or "-",
            escape(status),
        )
    out.print(t)


@cli.command("timeline")
@click.option("--account", "account_key", help="An account's names and flagged sends and receipts, by time.")
@click.option("--chat", "chat_key", help="A chat's messages, senders and flagged exchanges per month.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def timeline_cmd(obj: Ctx, account_key: str | None, chat_key: str | None, as_json: bool) -> None:
    """The timeline of one account or of one chat."""
    from veilleur.analysis.exchanges import flagged_exchanges
    from veilleur.analysis.graph import account_timeline, chat_timeline
    from veilleur.sources.telegram_common import iso_utc
    from veilleur.store.schema import chats

    if (account_key is None) == (chat_key is None):
        raise click.UsageError("give either --account or --chat")
    case = obj.case()
    with case.engine.connect() as conn:
        ex = flagged_exchanges(conn)
        if account_key is not None:
            (account_id,) = _account_ids(conn, (account_key,))
            rows = account_timeline(conn, account_id, ex.involving(account_id))
        else:
            chat_id = conn.execute(select(chats.c.id).where(chats.c.key == chat_key)).scalar()
            if chat_id is None:
                raise click.BadParameter(f"no chat {chat_key!r} in this case", param_hint="--chat")
            rows = chat_timeline(conn, chat_id, ex)
    case.audit(
        "view.timeline", operator=obj.operator, subject=account_key or chat_key, details={"rows": len(rows)}
    )
    if as_json:
        out.print_json(orjson.dumps(rows).decode())
        return
    if account_key is not None:
        t = Table("time (UTC)", "event", "until", title=f"Timeline of {account_key}")
        for r in rows:
            t.add_row(iso_utc(r["utc"]) or "-", escape(r["event"]), iso_utc(r["until_utc"]) or "")
    else:
        t = Table("month", "messages", "senders", "flagged exchanges", title=f"Timeline of {chat_key}")
        for r in rows:
            t.add_row(r["month"], str(r["messages"]), str(r["senders"]), str(r["exchanges"]))
    out.print(t)


def _counted_bar(unit: str, *, disable: bool = False) -> Progress:
    """A progress bar on stderr counting ``unit`` (files, dossiers), gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(f"{{task.completed}}/{{task.total}} {unit}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=disable,
    )


@cli.command("dossier")
@click.argument("account_keys", nargs=-1)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-pdf", is_flag=True, help="HTML only.")
@click.pass_obj
def dossier_cmd(obj: Ctx, account_keys: tuple[str, ...], out_dir: Path, no_pdf: bool) -> None:
    """Write the dossier (HTML and PDF) of each ACCOUNT, or of every participant when none is given."""
    from veilleur.outputs.dossier import write_all_dossiers

    case = obj.case()
    ids = None
    if account_keys:
        with case.engine.connect() as conn:
            ids = _account_ids(conn, account_keys)
    with _counted_bar("dossiers") as progress:
        task = progress.add_task("Writing dossiers", total=None)
        paths = write_all_dossiers(
            case,
            out_dir,
            operator=obj.operator,
            pdf=not no_pdf,
            account_ids=ids,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    out.print(f"Wrote {len(paths)} files to {escape(str(out_dir))}.")


@cli.command("report")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-pdf", is_flag=True, help="HTML only.")
@click.pass_obj
def report_cmd(obj: Ctx, out_dir: Path, no_pdf: bool) -> None:
    """The case summary and every participant's dossier, in one folder per jurisdiction, with a manifest."""
    from veilleur.outputs.packages import write_packages

    paths = write_packages(obj.case(), out_dir, operator=obj.operator, pdf=not no_pdf)
    out.print(f"Wrote {len(paths)} files to {escape(str(out_dir))} (manifest.json lists their SHA-256).")


@cli.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["csv", "jsonl", "ftm", "cybertip", "vics"]))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def export_cmd(obj: Ctx, fmt: str, out_dir: Path) -> None:
    """Export the case for other tools: csv, jsonl, ftm (FollowTheMoney), cybertip (CyberTipline
    report sections), vics (VICS 2.0 case file of the flagged files). Never media, never list data."""
    from veilleur.outputs.exports import EXPORTERS

    case = obj.case()
    case.audit(f"export.{fmt}", operator=obj.operator, subject=str(out_dir))
    with case.engine.connect() as conn:
        paths = EXPORTERS[fmt].write(conn, out_dir)
    out.print(f"Wrote {len(paths)} files to {escape(str(out_dir))}.")


@cli.group("records")
def records_group() -> None:
    """Records about accounts and persons: lawful returns, identity records, person attributes.

    Each file is registered as evidence and imported whole or not at all (docs/records.md).
    """


@records_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["returns", "identity", "attributes"]),
    help="What the file holds.",
)
@click.option(
    "--source", help="Who provided the file (e.g. 'Telegram LE portal', 'Orange réquisition 2026-114')."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), help="The file's format (default: detected)."
)
@click.option(
    "--region", default="FR", show_default=True, help="Region of phone numbers without a country code."
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def records_import(
    obj: Ctx, path: Path, kind: str, source: str | None, fmt: str | None, region: str, as_json: bool
) -> None:
    """Import a CSV or JSON file of records of KIND (validated whole; nothing stored if a row is bad)."""
    from veilleur.records import import_records

    r = import_records(
        obj.case(), path, kind=kind, operator=obj.operator, source=source, format=fmt, region=region
    )
    if as_json:
        out.print_json(orjson.dumps(r.to_dict()).decode())
        return
    if r.status == "unchanged":
        out.print(f"{escape(str(path))}: already imported as {kind} (import {r.import_id}); nothing changed.")
        return
    counts = ", ".join(f"{n} {k}" for k, n in r.counts.items())
    out.print(
        f"Imported {r.rows} {kind} rows ({r.format}; {counts}) as import {r.import_id}.", soft_wrap=True
    )
    if r.accounts_created:
        out.print(
            f"{len(r.accounts_created)} accounts were not in the case and were created: "
            + escape(", ".join(r.accounts_created)),
            soft_wrap=True,
        )
    if r.persons_created:
        out.print(f"{r.persons_created} new persons.")


@records_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def records_show(obj: Ctx, as_json: bool) -> None:
    """Counts per kind and per import; never a personal value."""
    from veilleur.records import records_summary

    case = obj.case()
    with case.engine.connect() as conn:
        s = records_summary(conn)
    case.audit("view.records", operator=obj.operator, details={"imports": len(s["imports"]), "json": as_json})
    if as_json:
        out.print_json(orjson.dumps(s).decode())
        return
    ret, ident, attrs = s["returns"], s["identity"], s["attributes"]
    out.print(
        f"Returns: {ret['identifiers']} identifiers of {ret['accounts']} accounts "
        f"({', '.join(f'{n} {k}' for k, n in ret['by_kind'].items()) or 'none'}); "
        f"identity: {ident['records']} records of {ident['persons']} persons; "
        f"attributes: {attrs['records']} of {attrs['persons']} persons "
        f"({', '.join(f'{n} {k}' for k, n in attrs['by_kind'].items()) or 'none'}); "
        f"{s['persons']} persons in all.",
        soft_wrap=True,
    )
    t = Table("import", "kind", "format", "rows", "counts", "source", "imported", "by", "file SHA-256")
    for i in s["imports"]:
        t.add_row(
            str(i["import_id"]),
            i["kind"],
            i["format"],
            str(i["rows"]),
            escape(", ".join(f"{n} {k}" for k, n in i["counts"].items())),
            escape(i["source"] or ""),
            i["imported_at"],
            escape(i["operator"]),
            i["file_sha256"][:12] + "…",
        )
    out.print(t)


@cli.group("indicators")
def indicators_group() -> None:
    """Text indicators in messages: access to children, jobs with children, intent, requests, meetings.

    Hits are leads to read, never evidence alone (docs/indicators.md). The text of sensitive hits
    (intent, request, meeting) is hidden; 'indicators reveal' shows it, logged with a reason.
    """


@indicators_group.command("run")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def indicators_run(obj: Ctx, as_json: bool) -> None:
    """Scan every message text with the French and English rules; the hits become the current run."""
    from veilleur.analysis.indicators import run_indicators

    report = run_indicators(obj.case(), operator=obj.operator)
    if as_json:
        out.print_json(orjson.dumps(report.to_dict()).decode())
        return
    t = Table(title=f"Indicators run #{report.run_id}", show_header=False)
    t.add_row("messages scanned", f"{report.messages} in {report.seconds:.1f} s ({report.rate:,.0f}/s)")
    t.add_row("messages with hits", str(report.messages_with_hits))
    t.add_row("hits", str(report.hits))
    for label, counts in (
        ("by indicator", report.by_indicator),
        ("by confidence", report.by_confidence),
        ("by language", report.by_language),
        ("left out by guards", report.dropped_by_guard),
        ("lowered by guards", report.lowered_by_guard),
    ):
        t.add_row(label, ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-")
    out.print(t)


@indicators_group.command("show")
@click.option("--account", "account_key", help="Only hits in messages this account sent.")
@click.option(
    "--indicator",
    type=click.Choice(["access_to_children", "profession", "intent", "request", "meeting"]),
    help="Only this indicator.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def indicators_show(obj: Ctx, account_key: str | None, indicator: str | None, as_json: bool) -> None:
    """The current run's hits with their citation; sensitive text hidden (see 'indicators reveal')."""
    from veilleur.analysis.indicators import current_run, hits_for
    from veilleur.sources.telegram_common import iso_utc

    case = obj.case()
    with case.engine.connect() as conn:
        account_id = _account_ids(conn, (account_key,))[0] if account_key else None
        run_id = current_run(conn)
        found = hits_for(conn, account_id=account_id, indicator=indicator)
    case.audit(
        "view.indicators",
        operator=obj.operator,
        subject=account_key,
        details={"run_id": run_id, "indicator": indicator, "hits": len(found), "json": as_json},
    )
    if as_json:
        out.print_json(orjson.dumps([h.to_dict() for h in found]).decode())
        return
    if run_id is None:
        out.print("No indicators run in this case yet ('veilleur indicators run').")
        return
    t = Table("hit", "rule", "conf.", "time (UTC)", "chat #message", "sender", "text", "citation")
    for h in found:
        t.add_row(
            str(h.id),
            h.rule,
            h.confidence,
            (iso_utc(h.date_utc) or "-").replace("T", " "),
            escape(f"{h.chat_title or h.chat_key} #{h.message_id}"),
            escape(h.sender_name or h.sender_key or "?"),
            escape(h.shown_text()),
            f"{h.citation}; chars {h.span_start}-{h.span_end}",
        )
    out.print(t)
    out.print(f"Indicators run #{run_id}: {len(found)} hits. A hit is a lead to read, never evidence alone.")


@indicators_group.command("reveal")
@click.argument("hit_id", type=int)
@click.option("--reason", required=True, help="Why the text is needed (recorded in the audit log).")
@click.pass_obj
def indicators_reveal(obj: Ctx, hit_id: int, reason: str) -> None:
    """Show the text of indicator hit HIT_ID with some context; logged (reveal.text) first."""
    from veilleur.analysis.indicators import reveal

    shown = reveal(obj.case(), hit_id, operator=obj.operator, reason=reason)
    out.print(escape(shown), soft_wrap=True)


@cli.group("link")
def link_group() -> None:
    """Identity resolution: accounts to persons and to other accounts, with factors and decisions.

    See docs/linking.md. Every run respects the analysts' decisions ('link confirm', 'link reject').
    """


@link_group.command("run")
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A JSON file of linking settings (docs/linking.md).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def link_run(obj: Ctx, settings_path: Path | None, as_json: bool) -> None:
    """Link every account to persons of the identity records, and to other accounts (aliases)."""
    from veilleur.linking import LinkSettingsError, link_case

    settings = None
    if settings_path is not None:
        try:
            settings = orjson.loads(settings_path.read_bytes())
        except orjson.JSONDecodeError as e:
            raise LinkSettingsError(f"not JSON: {e}", file=str(settings_path)) from e
    report = link_case(obj.case(), operator=obj.operator, settings=settings)
    if as_json:
        out.print_json(orjson.dumps(report.to_dict()).decode())
        return
    t = Table(title=f"Linking run #{report.run_id}", show_header=False)
    t.add_row(
        "accounts / identity records / persons",
        f"{report.accounts} / {report.identity_records} / {report.persons}",
    )
    t.add_row("account → person candidates", str(report.person_candidates))
    t.add_row("account → account candidates", str(report.alias_candidates))
    t.add_row("by method", ", ".join(f"{k}: {v}" for k, v in report.by_method.items()) or "-")
    t.add_row("by confidence", ", ".join(f"{k}: {v}" for k, v in report.by_confidence.items()) or "-")
    kept = f"{report.rejected_kept_out} rejected kept out, {report.confirmed_carried} confirmed kept"
    t.add_row("decisions", kept)
    t.add_row("model", f"{'trained' if report.trained else 'default parameters'}, prior {report.prior:.3g}")
    out.print(t)


def _factor_text(f: dict[str, Any]) -> str:
    weight = "" if f.get("weight") is None else f" [{f['weight']:+.2f}]"
    compared = f.get("compared") or {}
    shown = ""
    if compared.get("account") or compared.get("record"):
        shown = f" ({compared.get('account') or '-'} ↔ {compared.get('record') or '-'})"
    cites = []
    for r in f.get("records", []):
        if "more" in r:
            cites.append(f"+{r['more']} more")
            continue
        where = f"{r['table']}#{r.get('id', r.get('value', ''))}"
        if r.get("evidence_id") is not None:
            where += f" ev{r['evidence_id']}"
            if r.get("byte_offset") is not None:
                where += f"@{r['byte_offset']}"
            elif r.get("place"):
                where += f" {r['place']}"
        cites.append(where)
    records = f"\n    [dim]{escape('; '.join(cites))}[/]" if cites else ""
    return f"{escape(f['name'])}: {escape(str(f['value']))}{escape(shown)}{weight}{records}"


@link_group.command("show")
@click.option("--account", "account_key", help="Only links of this account.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def link_show(obj: Ctx, account_key: str | None, as_json: bool) -> None:
    """The current links: the latest run's candidates with the decisions in force, and why."""
    from rich.text import Text

    from veilleur.linking import current_links, latest_run

    case = obj.case()
    with case.engine.connect() as conn:
        account_id = _account_ids(conn, (account_key,))[0] if account_key else None
        run_id = latest_run(conn)
        links = [
            v
            for v in current_links(conn)
            if account_id is None or account_id in (v.account_id, v.other_account_id)
        ]
    case.audit(
        "view.links",
        operator=obj.operator,
        subject=account_key,
        details={"run_id": run_id, "links": len(links), "json": as_json},
    )
    if as_json:
        out.print_json(orjson.dumps([v.to_dict() for v in links]).decode())
        return
    if run_id is None and not links:
        out.print("No linking run in this case yet ('veilleur link run').")
        return
    t = Table("account", "linked to", "status", "method", "conf.", "weight", "factors")
    t.title = f"Links (run #{run_id})"
    for v in links:
        target = f"person {v.person_key}" if v.kind == "account_person" else f"account {v.other_account_key}"
        weight = "-" if v.match_weight is None else f"{v.match_weight:+.2f}"
        if v.probability is not None:
            weight += f"\np={v.probability:.3f}"
        t.add_row(
            escape(v.account_key),
            escape(target),
            v.status,
            v.method,
            v.confidence or "-",
            weight,
            # no emoji codes: "rule:phone: …" is a factor, not ":phone:"
            Text.from_markup("\n".join(_factor_text(f) for f in v.factors) or "-", emoji=False),
        )
    out.print(t)


def _decide(
    obj: Ctx, decision: str, account_key: str, person_key: str | None, other_key: str | None, note: str | None
) -> None:
    from veilleur.linking import decide
    from veilleur.store.schema import persons

    if (person_key is None) == (other_key is None):
        raise click.UsageError("give exactly one of --person KEY or --account2 KEY")
    case = obj.case()
    with case.engine.connect() as conn:
        (account_id,) = _account_ids(conn, (account_key,))
        person_id = other_id = None
        if person_key is not None:
            person_id = conn.execute(select(persons.c.id).where(persons.c.key == person_key)).scalar()
            if person_id is None:
                raise click.BadParameter(f"no person {person_key!r} in this case", param_hint="--person")
        else:
            (other_id,) = _account_ids(conn, (str(other_key),))
    d = decide(
        case,
        kind="account_person" if person_id is not None else "account_account",
        account_id=account_id,
        person_id=person_id,
        other_account_id=other_id,
        decision=decision,
        operator=obj.operator,
        note=note,
    )
    target = f"person {person_key}" if person_key else f"account {other_key}"
    said = f"Decision #{d.id}: {account_key} → {target} {decision}; every later run respects it."
    out.print(escape(said))


@link_group.command("confirm")
@click.argument("account_key", metavar="ACCOUNT")
@click.option("--person", "person_key", help="The person's key (as the identity records name them).")
@click.option("--account2", "other_key", help="The other account (an alias).")
@click.option("--note", help="Why (recorded with the decision and in the audit log).")
@click.pass_obj
def link_confirm(
    obj: Ctx, account_key: str, person_key: str | None, other_key: str | None, note: str | None
) -> None:
    """Confirm that ACCOUNT is this person, or the same person as another account."""
    _decide(obj, "confirmed", account_key, person_key, other_key, note)


@link_group.command("reject")
@click.argument("account_key", metavar="ACCOUNT")
@click.option("--person", "person_key", help="The person's key (as the identity records name them).")
@click.option("--account2", "other_key", help="The other account.")
@click.option("--note", help="Why (recorded with the decision and in the audit log).")
@click.pass_obj
def link_reject(
    obj: Ctx, account_key: str, person_key: str | None, other_key: str | None, note: str | None
) -> None:
    """Reject a link: no later run proposes it again (until another decision replaces this one)."""
    _decide(obj, "rejected", account_key, person_key, other_key, note)


@cli.group("rank")
def rank_group() -> None:
    """Who comes first: an explainable score per person (or unlinked account). A lead, not a verdict.

    See docs/prioritisation.md for what the score may and may not be used for.
    """


@rank_group.command("run")
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A weights file (TOML; default: Veilleur's, see docs/prioritisation.md).",
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_obj
def rank_run(obj: Ctx, weights_path: Path | None, top: int) -> None:
    """Score and rank everyone in the case's exchanges, indicators and links; store the ranking."""
    from veilleur.analysis.priority import load_weights, rank_case, ranking
    from veilleur.linking import persons_of
    from veilleur.outputs.priority import ranking_table

    case = obj.case()
    weights = load_weights(weights_path)
    with case.engine.connect() as conn:
        linked = {a: p.person_id for a, p in persons_of(conn).items()}
    ranking_id = rank_case(case, operator=obj.operator, weights=weights, account_person=linked)
    with case.engine.connect() as conn:
        ranked = ranking(conn, ranking_id)
    out.print(ranking_table(f"Ranking {ranking_id} (weights {weights.version})", ranked, top=top))


@rank_group.command("show")
@click.option("--ranking", "ranking_id", type=int, help="Which ranking (default: the latest).")
@click.option("--jurisdiction", help="Only subjects of this jurisdiction (as the ranking shows it).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON, every factor with its records.")
@click.pass_obj
def rank_show(obj: Ctx, ranking_id: int | None, jurisdiction: str | None, top: int, as_json: bool) -> None:
    """A stored ranking, each subject with the factors that gave it points and the records behind them."""
    from veilleur.analysis.priority import ranking
    from veilleur.outputs.priority import ranking_table

    case = obj.case()
    with case.engine.connect() as conn:
        ranked = ranking(conn, ranking_id, jurisdiction=jurisdiction)
    case.audit("view.ranking", operator=obj.operator, subject=jurisdiction, details={"ranking": ranking_id})
    if as_json:
        out.print_json(
            orjson.dumps(
                [
                    {
                        "rank": r.rank,
                        "subject": r.subject,
                        "label": r.label,
                        "score": r.score,
                        "jurisdiction": r.jurisdiction,
                        "factors": {k: f.to_dict() for k, f in r.factors.items()},
                    }
                    for r in ranked[:top]
                ]
            ).decode()
        )
        return
    if not ranked:
        out.print("No ranking yet ('veilleur rank run').")
        return
    out.print(ranking_table("Ranking (a lead, not a verdict)", ranked, top=top))


@rank_group.command("compare")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.pass_obj
def rank_compare(obj: Ctx, old: int, new: int) -> None:
    """Why each subject moved between rankings OLD and NEW."""
    from veilleur.analysis.priority import explain_changes

    case = obj.case()
    with case.engine.connect() as conn:
        changes = explain_changes(conn, old, new)
    case.audit("view.ranking.compare", operator=obj.operator, details={"old": old, "new": new})
    t = Table("subject", "rank", "score", "why", title=f"Ranking {old} → {new}")
    for c in changes:
        t.add_row(
            escape(c.label),
            f"{c.old_rank or '-'} → {c.new_rank or '-'}",
            f"{c.old_score:.1f} → {c.new_score:.1f}",
            escape("\n".join(c.reasons)),
        )
    out.print(t)


@cli.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-case",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the demo case.",
)
@click.option("--seed", default=7, show_default=True)
@click.pass_obj
def demo_cmd(obj: Ctx, out_dir: Path, seed: int) -> None:
    """Generate the synthetic demo case and run the whole pipeline on it."""
    from veilleur.demo.run import run_demo

    if out_dir.exists() and (out_dir / ".veilleur-demo").exists():
        shutil.rmtree(out_dir)
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise click.UsageError(f"{out_dir} exists and is not a Veilleur demo folder; choose another --out")
    ok = run_demo(out_dir, seed=seed, operator=obj.operator, console=out)
    if not ok:
        sys.exit(1)


@cli.group("audit")
def audit_group() -> None:
    """The audit log: every import, run, setting and view of case data, hash-chained.

    See docs/audit-log.md for what is logged and what verifying proves.
    """


@audit_group.command("verify")
@click.pass_obj
def audit_verify(obj: Ctx) -> None:
    """Check the whole chain, its head and the witness file; exit 1 on any problem.

    The check itself is then logged (audit.verify, with the number of problems).
    """
    case = obj.case()
    with case.engine.connect() as conn:
        problems = audit.verify(conn, witness=case.witness_path)
        head = audit.position(conn)
    for p in problems:
        out.print(f"[red]PROBLEM[/] {escape(str(p))}", soft_wrap=True)
    where = head.label if head else "an empty log"
    if problems:
        out.print(f"[red]{len(problems)} problems[/] in the audit log (head: {escape(where)}).")
    else:
        out.print(f"Audit log intact up to {escape(where)}; witness file agrees.")
    try:
        case.audit("audit.verify", operator=obj.operator, details={"problems": len(problems)})
    except VeilleurError as e:  # a log too damaged to append to: the problems above say why
        err.print(f"[red]this check could not be logged:[/] {escape(str(e))}", soft_wrap=True)
        sys.exit(1)
    if problems:
        sys.exit(1)


@audit_group.command("show")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Show the last N entries (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON (one array).")
@click.pass_obj
def audit_show(obj: Ctx, limit: int, as_json: bool) -> None:
    """The audit log's entries, newest last."""
    case = obj.case()
    with case.engine.connect() as conn:
        shown = list(audit.entries(conn)) if limit == 0 else audit.tail(conn, limit)
    # Subjects name exports and accounts: looking at the log is a view like any other.
    case.audit("view.audit", operator=obj.operator, details={"entries": len(shown), "json": as_json})
    if as_json:
        out.print_json(orjson.dumps([e.to_dict() for e in shown]).decode())
        return
    t = Table("#", "at", "operator", "action", "subject", "details", "hash")
    for e in shown:
        t.add_row(
            str(e.seq),
            e.at,
            escape(e.operator),
            e.action,
            escape(e.subject or ""),
            escape(e.details or ""),
            e.entry_hash[:12] + "…",
        )
    out.print(t)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except VeilleurError as e:
        # Paths and messages are text, not markup ("[x]" in a folder name); one line, unwrapped.
        err.print(f"[red]error:[/] {escape(str(e))}", soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
