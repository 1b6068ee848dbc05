"""Long work run in the background: imports, hashing, matching, indicators, linking, ranking and
packages, queued by a user of a case and run by a worker as that user.

A job is a row in the installation store (``jobs``), so it outlives the process that queued it:
a worker that starts finds the jobs left *running* by a process that stopped, and queues them
again (an import or a hashing run picks up from its own checkpoints). A job runs one use case of
this layer, as its user, so the permission check and the audit entries are the use case's own;
the role is checked when the job is queued as well, so that nobody queues what they may not run.
Progress is written as the use case reports it; a cancel request is honoured at the next progress
report (an import, hashing) or before the job starts (the others, which report no progress).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Integer, String, Table, Text, insert, select, update

from veilleur.app.accounts import log_event
from veilleur.app.session import CaseSession
from veilleur.app.users import METADATA, Installation
from veilleur.errors import NotFound, PermissionDenied, VeilleurError
from veilleur.timefmt import now_iso

__all__ = ["JOB_KINDS", "Job", "JobCancelled", "JobRunner", "cancel_job", "jobs_of", "submit_job"]

jobs = Table(
    "jobs",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_path", Text, nullable=False, index=True),
    Column("user_name", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("params", Text, nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed | cancelled
    Column("stage", String(64)),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
    Column("started_at", String(32)),
    Column("finished_at", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
)


class JobCancelled(VeilleurError):
    """The job's user (or a lead) asked for it to stop."""


@dataclass(frozen=True)
class Job:
    id: int
    case_path: str
    user: str
    kind: str
    params: dict[str, Any]
    status: str
    stage: str | None
    done: int
    total: int
    message: str | None
    cancel_requested: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int

    @property
    def percent(self) -> int | None:
        return int(100 * self.done / self.total) if self.total else None


Report = Callable[[int, int, str | None], None]


def _import(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.ingest import import_export_file
    from veilleur.sources.telegram_common import utc_offset

    got = import_export_file(
        s,
        Path(p["path"]),
        utc_offset=utc_offset(p["utc_offset"]) if p.get("utc_offset") else None,
        progress=lambda stage, done, total: report(done, total, stage),
    )
    return f"import #{got.import_id} {got.status}" + (" (resumed)" if got.resumed else "")


def _hash(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.media import hash_media

    r = hash_media(s, progress=lambda done, total: report(done, total, "hashing"))
    return f"{r.hashed} files hashed, {r.remaining} to go"


def _match(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.media import match

    r = match(s)
    return f"matching run #{r.run_id}: {r.files_flagged} files flagged"


def _indicators(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.identity import run_indicator_scan

    r = run_indicator_scan(s)
    return f"indicator run #{r.run_id}: {r.hits} hits"


def _link(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.identity import run_linking

    r = run_linking(s)
    return f"link run #{r.run_id}: {r.person_candidates} person and {r.alias_candidates} alias candidates"


def _rank(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.ranking import rank

    r = rank(s)
    return f"ranking #{r.ranking_id}: {len(r.subjects)} ranked"


def _packages(s: CaseSession, p: dict[str, Any], report: Report) -> str:
    from veilleur.app.outputs import new_output_folder, reports

    r = reports(s, new_output_folder(s, "packages"), pdf=bool(p.get("pdf")))
    return f"{len(r.files)} files written"


JOB_KINDS: dict[str, tuple[str, str, Callable[[CaseSession, dict[str, Any], Report], str]]] = {
    # kind: (the use case it runs, what it does, how)
    "import": ("import", "import an export from the server", _import),
    "hash": ("hash", "hash the case's media", _hash),
    "match": ("match", "match the media against the lists", _match),
    "indicators": ("indicators.run", "run the text indicators", _indicators),
    "link": ("link.run", "link accounts to persons", _link),
    "rank": ("rank.run", "rank the persons", _rank),
    "packages": ("reports", "write the jurisdiction packages", _packages),
}


def _job(r: Any) -> Job:
    return Job(
        r.id,
        r.case_path,
        r.user_name,
        r.kind,
        orjson.loads(r.params),
        r.status,
        r.stage,
        r.done,
        r.total,
        r.message,
        r.cancel_requested,
        r.created_at,
        r.started_at,
        r.finished_at,
        r.attempts,
    )


def submit_job(
    session: CaseSession,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    import_roots: Sequence[Path] = (),
) -> Job:
    """Queue ``kind`` on the session's case as its user, after the same permission check the job's
    use case makes. An import names a path inside one of ``import_roots`` (the folders the
    installation lets the server read exports from)."""
    if kind not in JOB_KINDS:
        raise VeilleurError(f"no job {kind!r}: one of {', '.join(JOB_KINDS)}")
    session.require(JOB_KINDS[kind][0])
    params = dict(params or {})
    if kind == "import":
        path = Path(str(params.get("path", ""))).expanduser()
        roots = [r.resolve() for r in import_roots]
        resolved = path.resolve()
        if not roots or not any(resolved.is_relative_to(r) for r in roots):
            raise PermissionDenied(
                f"{path} is not in a folder this server imports from"
                + (f" ({', '.join(map(str, roots))})" if roots else " (none is set: serve --import-root DIR)")
            )
        if not resolved.exists():
            raise NotFound(f"no export at {path}")
        params["path"] = str(resolved)
    inst = _installation(session)
    with inst.engine.begin() as conn:
        jid = conn.execute(
            insert(jobs).returning(jobs.c.id),
            {
                "case_path": str(session.case.root.resolve()),
                "user_name": session.user,
                "kind": kind,
                "params": orjson.dumps(params).decode(),
                "status": "queued",
                "done": 0,
                "total": 0,
                "cancel_requested": False,
                "created_at": now_iso(),
                "attempts": 0,
            },
        ).scalar_one()
    log_event(inst, "job.submit", actor=session.user, subject=f"job:{jid}", details={"kind": kind})
    return _get(inst, jid)


def _installation(session: CaseSession) -> Installation:
    if session.installation is None:
        raise VeilleurError("jobs need the installation store")
    return session.installation


def _get(inst: Installation, job_id: int) -> Job:
    with inst.reader.connect() as conn:
        r = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if r is None:
        raise NotFound(f"no job {job_id}")
    return _job(r)


def jobs_of(session: CaseSession, *, limit: int = 50) -> list[Job]:
    """The case's jobs, newest first (a member of the case sees them all)."""
    session.require("summary")
    with _installation(session).reader.connect() as conn:
        rows = conn.execute(
            select(jobs)
            .where(jobs.c.case_path == str(session.case.root.resolve()))
            .order_by(jobs.c.id.desc())
            .limit(limit)
        ).all()
    return [_job(r) for r in rows]


def cancel_job(session: CaseSession, job_id: int) -> Job:
    """Ask a job to stop: its own user may, and a lead of the case."""
    inst = _installation(session)
    job = _get(inst, job_id)
    if job.case_path != str(session.case.root.resolve()):
        raise NotFound(f"no job {job_id} in this case")
    if job.user != session.user:
        session.require("members.manage")  # a lead's
    with inst.engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status.in_(("queued", "running")))
            .values(cancel_requested=True)
        )
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "queued")
            .values(
                status="cancelled",
                finished_at=now_iso(),
                message=f"cancelled by {session.user} before it started",
            )
        )
    log_event(inst, "job.cancel", actor=session.user, subject=f"job:{job_id}")
    return _get(inst, job_id)


class JobRunner:
    """Runs queued jobs one at a time in a thread of the serving process.

    ``open_session(case_path, user)`` gives the session a job runs in (the web application's
    catalog of served cases)."""

    def __init__(
        self, inst: Installation, open_session: Callable[[str, str], CaseSession], *, poll: float = 1.0
    ) -> None:
        self.inst = inst
        self.open_session = open_session
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def recover(self) -> int:
        """Queue again the jobs a stopped process left running; how many."""
        with self.inst.engine.begin() as conn:
            return int(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.status == "running")
                    .values(status="queued", message="interrupted by a restart; queued again")
                ).rowcount
            )

    def run_next(self) -> Job | None:
        """Claim the oldest queued job and run it to its end; None when there is none."""
        with self.inst.engine.begin() as conn:
            r = conn.execute(
                select(jobs).where(jobs.c.status == "queued").order_by(jobs.c.id).limit(1)
            ).first()
            if r is None:
                return None
            claimed = conn.execute(
                update(jobs)
                .where(jobs.c.id == r.id, jobs.c.status == "queued")
                .values(status="running", started_at=now_iso(), attempts=r.attempts + 1)
            ).rowcount
        if not claimed:
            return None
        job = _get(self.inst, r.id)
        last_check = [0.0]

        def report(done: int, total: int, stage: str | None) -> None:
            now = time.monotonic()
            if now - last_check[0] < 0.25 and done < total:
                return
            last_check[0] = now
            with self.inst.engine.begin() as conn:
                conn.execute(
                    update(jobs).where(jobs.c.id == job.id).values(done=done, total=total, stage=stage)
                )
                stop = conn.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job.id)).scalar()
            if stop:
                raise JobCancelled(f"job {job.id} cancelled")

        status, message = "done", ""
        try:
            if job.cancel_requested:
                raise JobCancelled(f"job {job.id} cancelled")
            session = self.open_session(job.case_path, job.user)
            message = JOB_KINDS[job.kind][2](session, job.params, report)
        except JobCancelled:
            status, message = "cancelled", "cancelled while running; what was done is kept"
        except VeilleurError as e:
            status, message = "failed", str(e)
        except Exception as e:  # a job's failure must not stop the worker; the message says what
            status, message = "failed", f"{type(e).__name__}: {e}"
        with self.inst.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(status=status, message=message, finished_at=now_iso())
            )
        return _get(self.inst, job.id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_next()
            except Exception:  # the store unreachable for a moment: try again at the next poll
                ran = None
            if ran is None:
                self._stop.wait(self.poll)

    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="veilleur-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
