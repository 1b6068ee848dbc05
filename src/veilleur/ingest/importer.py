"""Importing one export into a case: register, parse, write, reconcile, report.

The order matters for custody and for repeatability:

1. every file the import will read (``result.json``, HTML pages; the zip itself) is hashed and
   registered as evidence, and committed, *before* parsing starts;
2. if a completed import already holds evidence with the same SHA-256, nothing is done;
3. if an import of this evidence was interrupted, it resumes from its last checkpoint;
4. records stream from the JSON reader (the primary source), then from the HTML reader, which
   only adds sightings to messages the JSON already gave (JSON and HTML of one export are one
   export, not two);
5. messages an earlier export held, that this one should hold and does not, are flagged as
   possibly deleted — never removed;
6. a machine-readable report is stored with the import and returned.
"""

from __future__ import annotations

import gc
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, union, update
from sqlalchemy.exc import StatementError

from veilleur.case import Case
from veilleur.custody.audit import AuditPosition, record, witness
from veilleur.custody.evidence import Evidence, register_member, register_path
from veilleur.custody.seal import SEAL_VERSION, evidence_seal, telegram_seal
from veilleur.errors import VeilleurError
from veilleur.ingest.pipeline import Item, prepared, prepared_in_child
from veilleur.ingest.prepare import PreparedMessage
from veilleur.ingest.writer import Counters, RecordWriter
from veilleur.model.records import (
    ChatRecord,
    ExporterRecord,
    ExportInfo,
    Notice,
    PeerRef,
    Repair,
)
from veilleur.sources.container import ExportContainer, ZipContainer, open_container
from veilleur.sources.telegram_common import CASE_MESSAGE_IDS
from veilleur.sources.telegram_json import read_json_export
from veilleur.store.schema import (
    chat_imports,
    evidence,
    exporter_records,
    import_log,
    imports,
    message_sightings,
    messages,
)
from veilleur.timefmt import iso_utc, now_iso

HTML_PAGE = re.compile(r"(?:^|/)messages(\d*)\.html$")
CHAT_FOLDER = re.compile(r"^chats/chat_(\d+)/")
OFFSET_SAMPLE = 20_000
"""Messages with both a local and a Unix time read to tell the exporting machine's offset."""
BATCH = 5_000
CHECKPOINT_EVERY = 100_000

Progress = Callable[[str, int, int], None]
"""Called with (phase, done, total): bytes of ``result.json``, then HTML pages."""


PARALLEL_MIN_BYTES = 16 * 1024 * 1024
"""Below this size a second process costs more to start than it saves."""


@dataclass
class ImportOptions:
    operator: str
    utc_offset: timezone | None = None
    lenient_utf8: bool = False
    parallel: bool | None = None
    """Read ``result.json`` in a second process: ``None`` decides by file size."""


@dataclass
class ImportResult:
    import_id: int
    status: str  # complete | unchanged
    resumed: bool
    report: dict[str, Any] = field(default_factory=dict)


def _html_pages(files: list[str]) -> list[str]:
    def order(rel: str) -> tuple[str, int]:
        m = HTML_PAGE.search(rel)
        assert m is not None
        return rel[: m.start()], int(m.group(1) or 1)

    return sorted((f for f in files if HTML_PAGE.search(f)), key=order)


def _register_all(
    conn: Connection, container: ExportContainer, files: list[str], operator: str
) -> tuple[Evidence, dict[str, int]]:
    """Hash and register the files this import parses; return the root evidence and a map."""
    ids: dict[str, int] = {}
    if isinstance(container, ZipContainer):
        root = register_path(conn, container.path, kind="export", operator=operator)
        parent: int | None = root.id
        for rel in files:
            ids[rel] = register_member(
                conn, container, rel, kind="file", parent_id=parent, operator=operator
            ).id
        return root, ids
    first = register_member(conn, container, files[0], kind="export", parent_id=None, operator=operator)
    ids[files[0]] = first.id
    for rel in files[1:]:
        ids[rel] = register_member(
            conn, container, rel, kind="file", parent_id=first.id, operator=operator
        ).id
    return first, ids


def import_export(
    case: Case, path: Path, options: ImportOptions, progress: Progress | None = None
) -> ImportResult:
    """Import the Telegram Desktop export at ``path`` (folder, zip, result.json or messages.html).

    One import at a time per case (:meth:`Case.exclusive`): a second is refused at once."""
    container = open_container(path)
    try:
        with case.exclusive("import"), _gc_paused():
            return _Import(case, container, options, progress, path).run()
    finally:
        container.close()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of short-lived, acyclic records pass.

    Its periodic scans of every live object cost a third of an import's time; records hold no
    reference cycles, and checkpoints call ``gc.collect()`` for whatever a library may leave.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Import:
    def __init__(
        self,
        case: Case,
        container: ExportContainer,
        options: ImportOptions,
        progress: Progress | None,
        path: Path,
    ) -> None:
        self.path = path
        self.case = case
        self.container = container
        self.options = options
        self.progress = progress
        all_files = container.files()
        self.has_json = "result.json" in all_files
        self.pages = _html_pages(all_files)
        if self.pages:
            from veilleur.sources.telegram_html import renamed_first_page

            first = renamed_first_page(container, all_files)
            if first is not None:  # published as index.html: its pages' own links say so
                self.pages.insert(0, first)
        self.parsed = (["result.json"] if self.has_json else []) + self.pages
        if not self.parsed:
            raise VeilleurError("no result.json and no messages*.html to import", file=container.label)

    def run(self) -> ImportResult:
        engine = self.case.engine
        op = self.options
        with engine.begin() as conn:
            root, ev_ids = _register_all(conn, self.container, self.parsed, op.operator)
        with engine.connect() as conn:
            done = conn.execute(
                select(imports.c.id, imports.c.report, imports.c.options)
                .join(evidence, evidence.c.id == imports.c.evidence_id)
                .where(evidence.c.sha256 == root.sha256, imports.c.status == "complete")
            ).first()
            if done is not None:
                if root.new:  # the same export from a new place: registered, so logged
                    ids = [root.id, *ev_ids.values()]
                    seal = {"v": SEAL_VERSION, "evidence": evidence_seal(conn, min(ids), max(ids))}
                    where = self._audit(conn, done.id, "unchanged", root, False, {}, seal=seal)
                    conn.commit()
                    witness(self.case, where)
                self._refuse_another_offset(conn, done)
                return ImportResult(done.id, "unchanged", False, orjson.loads(done.report or "{}"))
            pending = conn.execute(
                select(imports)
                .where(imports.c.evidence_id == root.id, imports.c.status != "complete")
                .order_by(imports.c.id.desc())
            ).first()
            if pending is not None:
                was = orjson.loads(pending.options).get("utc_offset")
                now = str(op.utc_offset) if op.utc_offset else None
                if was != now:
                    raise VeilleurError(
                        f"an interrupted import of this export (#{pending.id}) used --utc-offset {was}; "
                        f"resume it with the same offset (given: {now})",
                        file=self.container.label,
                    )
                import_id, resumed = pending.id, True
                conn.execute(
                    update(imports).where(imports.c.id == import_id).values(status="running", error=None)
                )
            else:
                resumed = False
                import_id = conn.execute(
                    insert(imports).values(
                        evidence_id=root.id,
                        source_path=self.container.label,
                        format="+".join(
                            (["json"] if self.has_json else []) + (["html"] if self.pages else [])
                        ),
                        status="running",
                        operator=op.operator,
                        started_at=now_iso(),
                        options=orjson.dumps(
                            {
                                "utc_offset": str(op.utc_offset) if op.utc_offset else None,
                                "lenient_utf8": op.lenient_utf8,
                            }
                        ).decode(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            conn.commit()
            started = time.monotonic()
            writer = RecordWriter(
                import_id=import_id,
                container=self.container,
                evidence_ids=ev_ids,
                root_evidence_id=root.id,
                operator=op.operator,
            )
            state = _State(pending)
            if state.counters:
                writer.counts = state.counters
            try:
                dialogs: list[ChatRecord] = []
                # A resumed import whose JSON pass is done reconciles its HTML by message ids alone.
                if self.has_json and not state.json_done:
                    self._json_pass(conn, writer, state, dialogs)
                if self.pages:
                    self._html_pass(conn, writer, state, ev_ids, dialogs)
                flagged = self._flag_possibly_deleted(conn, import_id, writer)
                times = _announce_times(conn, import_id, writer)
                report = self._report(
                    conn, writer, import_id, flagged, time.monotonic() - started, resumed, times
                )
                conn.execute(
                    update(imports)
                    .where(imports.c.id == import_id)
                    .values(
                        status="complete",
                        finished_at=now_iso(),
                        layout=state.layout,
                        report=orjson.dumps(report).decode(),
                        checkpoint_offset=None,
                    )
                )
                seal = telegram_seal(conn, import_id, min([root.id, *ev_ids.values()]))
                where = self._audit(conn, import_id, "complete", root, resumed, report, seal=seal)
                conn.commit()
            except BaseException as e:
                conn.rollback()
                error = stored_error(e)
                conn.execute(
                    update(imports).where(imports.c.id == import_id).values(status="failed", error=error)
                )
                # What earlier checkpoints committed stays in the case: the failure is logged.
                failed = self._audit(conn, import_id, "failed", root, resumed, {}, error=type(e).__name__)
                conn.commit()
                witness(self.case, failed)
                if isinstance(e, Exception) and not isinstance(e, VeilleurError):
                    # One line for the analyst, not a traceback that may quote the export.
                    raise VeilleurError(
                        f"import #{import_id} stopped by an internal error ({error}); what earlier "
                        "checkpoints stored is kept, and importing this export again resumes it",
                        file=self.container.label,
                    ) from e
                raise
        witness(self.case, where)
        return ImportResult(import_id, "complete", resumed, report)

    def _refuse_another_offset(self, conn: Connection, done: Any) -> None:
        """An export imported already is not read again: its records are sealed as they were
        read. When the analyst now gives another --utc-offset and some of its messages carry
        local times, saying "unchanged" would ignore the offset in silence: it is refused, saying
        what was stored and how."""
        wanted = self.options.utc_offset
        if wanted is None:
            return
        was = orjson.loads(done.options or "{}").get("utc_offset")
        if was == str(wanted):
            return
        n = conn.execute(
            select(func.count())
            .select_from(messages)
            .where(
                messages.c.first_import_id == done.id,
                messages.c.time_basis.in_(("local_unknown_offset", "local_with_offset")),
            )
        ).scalar_one()
        if n:
            raise VeilleurError(
                f"this export is import #{done.id}, read with "
                + (f"--utc-offset {was}" if was else "no UTC offset")
                + f": {n} of its messages carry local times, stored "
                + (f"at {was}" if was else "as if UTC")
                + f". Reading them at {wanted} is not done by importing it again (the records it "
                "sealed would change); the import's report and 'summary' say how its times were "
                "read",
                file=self.container.label,
            )

    def _audit(
        self,
        conn: Connection,
        import_id: int,
        status: str,
        root: Evidence,
        resumed: bool,
        report: dict[str, Any],
        *,
        error: str | None = None,
        seal: dict[str, Any] | None = None,
    ) -> AuditPosition:
        """The import's audit entry: which export (path and SHA-256), what became of it, counts,
        and the seal of what it wrote (:mod:`veilleur.custody.seal`)."""
        c = report.get("counters", {})
        details: dict[str, Any] = {
            "import_id": import_id,
            "status": status,
            "resumed": resumed,
            "evidence_id": root.id,
            "sha256": root.sha256,
        }
        if c:
            details["counts"] = {
                k: c.get(k, 0)
                for k in ("messages", "new", "new_versions", "reconciled", "media_present", "repairs")
            }
            details["possibly_deleted_flagged"] = report.get("possibly_deleted_flagged", 0)
            details["chats"] = len(report.get("chats", []))
            details["warnings"] = len(report.get("warnings", []))
        if error:
            details["error"] = error
        if seal is not None:
            details["seal"] = seal
        return record(
            conn, "import", operator=self.options.operator, subject=self.container.label, details=details
        )

    # -- passes -------------------------------------------------------------------------------
    def _records(
        self,
        conn: Connection,
        writer: RecordWriter,
        records: Iterator[Item],
        state: _State,
        phase: str,
        total: int,
        *,
        page_skip: set[int] | None = None,
    ) -> None:
        since_checkpoint = 0
        skipping = False
        last_offset: int | None = None
        for rec in records:
            if isinstance(rec, PreparedMessage):
                if skipping:
                    continue
                writer.message(rec)
                last_offset = rec.byte_offset
                since_checkpoint += 1
                if len(writer._pending) >= BATCH:
                    writer.flush_messages(conn)
                    if self.progress and phase == "json" and last_offset is not None:
                        self.progress(phase, last_offset, total)
                if since_checkpoint >= CHECKPOINT_EVERY:
                    self._checkpoint(conn, writer, state, phase, last_offset)
                    since_checkpoint = 0
            elif isinstance(rec, ChatRecord):
                skipping = False
                if page_skip is not None and writer.evidence_ids.get(rec.position.file) in page_skip:
                    skipping = True
                writer.chat_record(conn, rec)
                state.dialogs.append(rec)
            elif isinstance(rec, ExporterRecord):
                writer.exporter_record(conn, rec)
            elif isinstance(rec, Repair | Notice):
                writer.log(rec)
            elif isinstance(rec, ExportInfo):
                state.layout = state.layout or rec.layout
                if rec.layout == "full_account" and phase == "json" and not state.skip_before:
                    writer.log(
                        Notice(
                            "full_account_groups_own_messages",
                            "full-account export: groups and channels hold only the exporter's own messages "
                            "unless 'Only my messages' was unticked; left chats always do",
                        )
                    )
        writer.flush(conn)

    def _json_pass(
        self, conn: Connection, writer: RecordWriter, state: _State, dialogs: list[ChatRecord]
    ) -> None:
        total = self.container.size("result.json")
        opts = self.options
        parallel = opts.parallel if opts.parallel is not None else total >= PARALLEL_MIN_BYTES
        records: Iterator[Item]
        if parallel:
            records = prepared_in_child(
                self.path,
                utc_offset=opts.utc_offset,
                lenient_utf8=opts.lenient_utf8,
                skip_before=state.skip_before,
            )
        else:
            records = prepared(
                read_json_export(
                    self.container,
                    utc_offset=opts.utc_offset,
                    lenient_utf8=opts.lenient_utf8,
                    skip_before=state.skip_before,
                )
            )
        if state.skip_before:
            # Resuming: the interrupted run already wrote what lies before the checkpoint.
            records = _after_checkpoint(records, state.skip_before)
            writer.exporter_account = (
                conn.execute(
                    select(exporter_records.c.account_id).where(
                        exporter_records.c.import_id == writer.import_id,
                        exporter_records.c.section == "personal_information",
                    )
                )
                .scalars()
                .first()
            )
        try:
            self._records(conn, writer, records, state, "json", total)
        except VeilleurError:
            # Keep what was read up to the last complete batch: the analyst can fix the input
            # or accept the loss, and nothing already stored goes away.
            conn.rollback()
            raise
        self._checkpoint(conn, writer, state, "html" if self.pages else "done", None)
        dialogs.extend(state.dialogs)
        if self.progress:
            self.progress("json", total, total)

    def _html_pass(
        self,
        conn: Connection,
        writer: RecordWriter,
        state: _State,
        ev_ids: dict[str, int],
        dialogs: list[ChatRecord],
    ) -> None:
        from veilleur.sources.telegram_html import read_html_export  # heavy import: lxml

        chat_refs: dict[str, PeerRef] = {}
        if self.has_json:
            writer.reconcile_only = True
            if state.layout == "single_chat" and dialogs:
                chat_refs[""] = dialogs[0].ref
            else:
                for n, d in enumerate(dialogs, start=1):
                    for rel in self.pages:
                        m = CHAT_FOLDER.match(rel)
                        if m and int(m.group(1)) == n:
                            chat_refs[m.group(0)] = d.ref
        page_ids = [ev_ids[p] for p in self.pages]
        # Pages are committed whole: a page that gave this import a message or a sighting is done.
        done_pages = set(
            conn.execute(
                union(
                    select(message_sightings.c.evidence_id).where(
                        message_sightings.c.import_id == writer.import_id,
                        message_sightings.c.evidence_id.in_(page_ids),
                    ),
                    select(messages.c.evidence_id).where(
                        messages.c.first_import_id == writer.import_id,
                        messages.c.evidence_id.in_(page_ids),
                    ),
                )
            ).scalars()
        )
        records = read_html_export(self.container, utc_offset=self.options.utc_offset, chat_refs=chat_refs)
        pages_done = 0

        def per_page(recs: Iterator[Item]) -> Iterator[Item]:
            nonlocal pages_done
            current: str | None = None
            for rec in recs:
                if isinstance(rec, PreparedMessage):
                    if writer.evidence_ids.get(rec.file) in done_pages:
                        continue
                    if current is not None and rec.file != current:
                        writer.flush(conn)  # a page is committed whole, so resume is by page
                        conn.commit()
                        pages_done += 1
                        if self.progress:
                            self.progress("html", pages_done, len(self.pages))
                    current = rec.file
                yield rec

        self._records(conn, writer, per_page(prepared(records)), state, "html", len(self.pages))
        if self.progress:
            self.progress("html", len(self.pages), len(self.pages))

    def _checkpoint(
        self, conn: Connection, writer: RecordWriter, state: _State, phase: str, offset: int | None
    ) -> None:
        writer.flush(conn)
        conn.execute(
            update(imports)
            .where(imports.c.id == writer.import_id)
            .values(
                checkpoint_file=phase,
                checkpoint_offset=None if offset is None else offset + 1,
                report=orjson.dumps(
                    {"counters": _counters_dict(writer.counts), "layout": state.layout}
                ).decode(),
            )
        )
        conn.commit()
        gc.collect()

    # -- after parsing ------------------------------------------------------------------------
    def _flag_possibly_deleted(self, conn: Connection, import_id: int, writer: RecordWriter) -> int:
        """Flag stored messages this export should hold (same chat, inside its actual date range,
        and, where it holds only the exporter's own messages, sent by the exporter) but does not."""
        flagged = 0
        for ci in conn.execute(select(chat_imports).where(chat_imports.c.import_id == import_id)).all():
            if ci.first_utc is None or ci.last_utc is None:
                continue
            # Every message this import showed has last_import_id == import_id (new or seen again).
            cond = [
                messages.c.chat_id == ci.chat_id,
                messages.c.date_utc.between(ci.first_utc, ci.last_utc),
                messages.c.possibly_deleted.is_(False),
                messages.c.last_import_id != import_id,
                # A row under an id the case made is this export's own record: no later export
                # shows it again under that id, so its absence from one says nothing.
                messages.c.message_id < CASE_MESSAGE_IDS,
            ]
            if ci.coverage == "own_messages_only":
                if writer.exporter_account is None:
                    continue
                cond.append(messages.c.sender_id == writer.exporter_account)
            res = conn.execute(
                update(messages)
                .where(*cond)
                .values(possibly_deleted=True, deletion_noticed_import_id=import_id)
            )
            flagged += res.rowcount or 0
            conn.execute(
                update(chat_imports)
                .where(
                    chat_imports.c.chat_id == ci.chat_id,
                    chat_imports.c.import_id == import_id,
                )
                .values(complete=True)
            )
        return flagged

    def _report(
        self,
        conn: Connection,
        writer: RecordWriter,
        import_id: int,
        flagged: int,
        seconds: float,
        resumed: bool,
        times: dict[str, Any],
    ) -> dict[str, Any]:
        c = writer.counts
        per_chat = []
        for key, st in writer.chats.items():
            ci = conn.execute(
                select(chat_imports).where(
                    chat_imports.c.chat_id == st.chat_id, chat_imports.c.import_id == import_id
                )
            ).one()
            per_chat.append(
                {
                    "chat": key,
                    "messages": ci.n_messages,
                    "coverage": ci.coverage,
                    "first": iso_utc(ci.first_utc),
                    "last": iso_utc(ci.last_utc),
                    "placeholders": dict(c.placeholders.get(key, {})),
                }
            )
        warnings = [
            {
                "code": r.code,
                "message": r.message,
                "file": r.relpath,
                "byte_offset": r.byte_offset,
                "chat": r.chat_key,
            }
            for r in conn.execute(
                select(import_log, evidence.c.relpath)
                .outerjoin(evidence, evidence.c.id == import_log.c.evidence_id)
                .where(import_log.c.import_id == import_id, import_log.c.kind == "notice")
                .order_by(import_log.c.id)
            ).all()
        ]
        firsts = [p["first"] for p in per_chat if p["first"]]
        lasts = [p["last"] for p in per_chat if p["last"]]
        return {
            "import_id": import_id,
            "source": self.container.label,
            "files": self.parsed,
            "resumed": resumed,
            "counters": _counters_dict(c),
            "possibly_deleted_flagged": flagged,
            "chats": per_chat,
            "date_range": {"first": min(firsts, default=None), "last": max(lasts, default=None)},
            "times": times,
            "warnings": warnings,
            "seconds": round(seconds, 3),
        }


def _times(conn: Connection, import_id: int) -> dict[str, Any]:
    """How this import's messages were timed: per basis, and the UTC offsets that its messages
    carrying both a local and a Unix time show (the exporting machine's, DST included)."""
    m = messages.c
    basis = {
        str(b): int(n)
        for b, n in conn.execute(
            select(m.time_basis, func.count()).where(m.first_import_id == import_id).group_by(m.time_basis)
        )
        if b is not None
    }
    offsets: dict[str, int] = {}
    q = (
        select(m.date_local, m.date_utc)
        .where(m.first_import_id == import_id, m.time_basis == "unixtime", m.date_local.is_not(None))
        .limit(OFFSET_SAMPLE)
    )
    for local, utc in conn.execute(q):
        try:
            naive = datetime.fromisoformat(local).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            continue
        minutes = round((naive.timestamp() - utc) / 900) * 15  # offsets are whole quarter hours
        if abs(minutes) <= 14 * 60:
            label = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            offsets[label] = offsets.get(label, 0) + 1
    return {
        "basis": basis,
        "without_offset": basis.get("local_unknown_offset", 0),
        "offsets_seen": dict(sorted(offsets.items(), key=lambda kv: -kv[1])),
    }


def _announce_times(conn: Connection, import_id: int, writer: RecordWriter) -> dict[str, Any]:
    """Say it, in the import's notices, when messages carry local times with no known offset:
    they are stored as if they were UTC, and a timeline or an alibi built on them is off by the
    exporting machine's offset. Where the export's other messages show that offset, say which."""
    t = _times(conn, import_id)
    n = t["without_offset"]
    if n:
        seen = t["offsets_seen"]
        hint = (
            f"; its messages that carry both times show UTC{next(iter(seen))}"
            + (f" (and {', '.join(list(seen)[1:])}: daylight saving)" if len(seen) > 1 else "")
            + f": import it again with --utc-offset {next(iter(seen))} to read them so"
            if seen
            else "; give the exporting machine's offset with --utc-offset when it is known"
        )
        writer.counts.notices += 1
        conn.execute(
            insert(import_log).values(
                import_id=import_id,
                evidence_id=writer.root_evidence_id,
                byte_offset=None,
                kind="notice",
                code="times_without_offset",
                message=f"{n} messages carry local times with no UTC offset, stored as if UTC{hint}",
                chat_key=None,
            )
        )
    return t


def stored_error(e: BaseException) -> str:
    """What a failed import's row (and message) says of ``e``: never a value the export holds.

    Veilleur's own errors name a file and a place. A database error's full text quotes the row
    it refused, message text included: only the driver's primary message is kept, which names
    the constraint or the type. Of any other error only its type is kept.
    """
    if isinstance(e, VeilleurError):
        return str(e) or type(e).__name__
    if isinstance(e, OSError):
        return f"{type(e).__name__}: {e.strerror or e}"
    # SQLAlchemy wraps the driver's error; COPY (bulk inserts on PostgreSQL) raises it bare.
    orig = e.orig if isinstance(e, StatementError) and e.orig is not None else e
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)  # psycopg's
    if isinstance(primary, str):
        return f"{type(orig).__name__}: {primary}"
    if isinstance(orig, sqlite3.Error):
        return f"{type(orig).__name__}: {orig}"
    return type(orig).__name__


def _after_checkpoint(records: Iterator[Item], skip_before: int) -> Iterator[Item]:
    """Drop the log entries and account records placed before a checkpoint: they were written,
    and counted, by the interrupted run (messages there are skipped by the reader itself)."""
    for rec in records:
        at = (
            rec.byte_offset
            if isinstance(rec, Repair | Notice)
            else rec.position.byte_offset
            if isinstance(rec, ExporterRecord)
            else None
        )
        if at is None or at >= skip_before:
            yield rec


class _State:
    """What an interrupted import left in its row: where to resume and the tallies so far."""

    def __init__(self, pending: Any) -> None:
        self.dialogs: list[ChatRecord] = []
        self.layout: str | None = None
        self.skip_before = 0
        self.json_done = False
        self.counters: Counters | None = None
        if pending is None:
            return
        if pending.checkpoint_file in ("html", "done"):
            self.json_done = True
        elif pending.checkpoint_offset:
            self.skip_before = int(pending.checkpoint_offset)
        if pending.report:
            saved = orjson.loads(pending.report)
            self.layout = saved.get("layout")
            if "counters" in saved:
                self.counters = _counters_from(saved["counters"])


def _counters_dict(c: Counters) -> dict[str, Any]:
    return asdict(c)


def _counters_from(d: dict[str, Any]) -> Counters:
    return Counters(**d)
