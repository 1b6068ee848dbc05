"""``hash_case_media``: hash every media file of a case once, on every core, resumably.

The files to hash are the case's evidence rows of kind ``media`` whose SHA-256 has no
``media_hashes`` row yet: a file carried by several exports or messages (one SHA-256, several
evidence rows) is read once, from the first registered copy that still reads with that SHA-256.
Results are committed in batches (every ``batch_size`` files or ``flush_seconds``); a run that is
stopped (killed, interrupted, out of power) loses at most the batch in progress, and the next run
continues with the files still unhashed. A file that cannot be hashed is recorded with its reason
and is not tried again unless ``retry_failed`` asks for it.

Reading a file whose bytes no longer have the registered SHA-256 records a ``changed`` custody
event for that evidence row, as ``veilleur evidence verify`` would.

Each run, finished or interrupted, ends with a ``hash`` entry in the audit log (counts only),
committed with the run's last batch.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, select

from veilleur.case import Case
from veilleur.custody.audit import AuditPosition, record, witness
from veilleur.hashing.hasher import HASHER_VERSION, FileHashes, Source
from veilleur.hashing.signals import HashLimits, Status
from veilleur.hashing.worker import Task, WorkerPool, hash_in_process
from veilleur.store.bulk import insert_rows
from veilleur.store.schema import (
    custody_events,
    evidence,
    media_hashes,
    media_pdq_dihedral,
    video_frame_hashes,
)
from veilleur.timefmt import now_iso

__all__ = ["HashReport", "Progress", "hash_case_media", "pending_media"]

Progress = Callable[[int, int], None]
"""Called with (files done, files to do in this run) after each file."""

_MEDIA_COLUMNS = (
    "sha256",
    "md5",
    "sha1",
    "size",
    "media_class",
    "format",
    "status",
    "reason",
    "detail",
    "pdq",
    "pdq_quality",
    "decoder",
    "width",
    "height",
    "frames",
    "frame_hashes",
    "duration_ms",
    "evidence_id",
    "hashed_at",
    "operator",
    "hasher_version",
)


@dataclass
class HashReport:
    """What a run did. Counts are of distinct files (SHA-256), not of evidence rows."""

    media_files: int = 0  # distinct media files registered in the case
    already_hashed: int = 0  # hashed by an earlier run; not read again
    selected: int = 0  # to hash in this run
    hashed: int = 0  # recorded by this run
    remaining: int = 0  # still without hashes after this run
    by_status: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    by_class: dict[str, int] = field(default_factory=dict)
    frame_hashes: int = 0
    changed_evidence: int = 0  # evidence rows found changed (custody events written)
    workers: int = 0  # 0: hashed in the calling process
    seconds: float = 0.0
    interrupted: bool = False  # stopped before every selected file was hashed

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def pending_media(conn: Connection, *, retry_failed: bool = False) -> list[Task]:
    """The distinct media files still to hash, largest first, each with its registered copies."""
    done = select(media_hashes.c.sha256).where(media_hashes.c.sha256 == evidence.c.sha256)
    if retry_failed:
        done = done.where(media_hashes.c.status != Status.FAILED.value)
    rows = conn.execute(
        select(evidence.c.id, evidence.c.sha256, evidence.c.original_path, evidence.c.size)
        .where(evidence.c.kind == "media", ~exists(done))
        .order_by(evidence.c.id)
    ).all()
    sources: dict[str, list[Source]] = {}
    sizes: dict[str, int] = {}
    for r in rows:
        sources.setdefault(r.sha256, []).append((r.id, r.original_path))
        sizes[r.sha256] = max(sizes.get(r.sha256, 0), r.size or 0)
    # Largest first: a long video started last would leave the other cores idle at the end.
    order = sorted(sources, key=lambda s: -sizes[s])
    return [(sha, sources[sha]) for sha in order]


def _media_row(r: FileHashes, at: str, operator: str) -> tuple[Any, ...]:
    return (
        r.sha256,
        r.md5,
        r.sha1,
        r.size,
        r.media_class,
        r.format or None,
        r.status.value,
        r.reason.value if r.reason else None,
        r.detail,
        r.pdq,
        r.pdq_quality,
        r.decoder,
        r.width,
        r.height,
        r.frames,
        len(r.frame_hashes),
        round(r.duration_s * 1000) if r.duration_s is not None else None,
        r.evidence_id,
        at,
        operator,
        HASHER_VERSION,
    )


def _write(conn: Connection, results: Sequence[FileHashes], operator: str, replace: bool) -> None:
    at = now_iso()
    shas = [r.sha256 for r in results]
    if replace:  # retrying failures: the new outcome replaces the old one
        for t in (video_frame_hashes, media_pdq_dihedral, media_hashes):
            conn.execute(delete(t).where(t.c.sha256.in_(shas)))
    insert_rows(
        conn,
        media_hashes,
        _MEDIA_COLUMNS,
        [_media_row(r, at, operator) for r in results],
        ignore_conflicts=True,  # another run on the same case may have hashed it meanwhile
    )
    insert_rows(
        conn,
        media_pdq_dihedral,
        ("sha256", "variant", "pdq", "quality"),
        [(r.sha256, i, h, r.pdq_quality) for r in results for i, h in enumerate(r.dihedral)],
        ignore_conflicts=True,
    )
    insert_rows(
        conn,
        video_frame_hashes,
        ("sha256", "frame_index", "timestamp_ms", "pdq", "quality"),
        [
            (r.sha256, f.frame_index, round(f.timestamp_s * 1000), f.pdq, f.quality)
            for r in results
            for f in r.frame_hashes
        ],
        ignore_conflicts=True,
    )
    events = [
        {
            "evidence_id": ev,
            "event": "changed",
            "at": at,
            "operator": operator,
            "detail": f"sha256 {found} (read while hashing media)",
        }
        for r in results
        for ev, found in r.changed
        if ev is not None
    ]
    if events:
        conn.execute(insert(custody_events), events)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def hash_case_media(
    case: Case,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    operator: str,
    limit: int | None = None,
    retry_failed: bool = False,
    limits: HashLimits | None = None,
    batch_size: int = 200,
    flush_seconds: float = 2.0,
) -> HashReport:
    """Hash every media file of ``case`` not hashed yet; return what was done.

    ``workers``: worker processes (default: one per core; 0 hashes in this process).
    ``limit``: hash at most this many files in this run (the rest waits for the next run).
    """
    started = time.monotonic()
    limits = limits or HashLimits()
    report = HashReport()
    with case.engine.connect() as conn:
        report.media_files = int(
            conn.execute(
                select(func.count(func.distinct(evidence.c.sha256))).where(evidence.c.kind == "media")
            ).scalar_one()
        )
        tasks = pending_media(conn, retry_failed=retry_failed)
    report.already_hashed = report.media_files - len(tasks)
    if limit is not None:
        tasks = tasks[: max(0, limit)]
    report.selected = len(tasks)
    n = _cores() if workers is None else max(0, workers)
    n = min(n, len(tasks))
    report.workers = n
    limits = dataclasses.replace(limits, video_threads=limits.video_threads if n > 1 else 0)

    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    pending: list[FileHashes] = []
    last_flush = time.monotonic()

    def flush(final: bool = False) -> None:
        nonlocal last_flush
        where: AuditPosition | None = None
        if pending or final:
            with case.engine.begin() as conn:
                if pending:
                    _write(conn, pending, operator, retry_failed)
                if final:
                    where = record(
                        conn, "hash", operator=operator, details=_audit_details(report, limit, retry_failed)
                    )
            pending.clear()
        if where is not None:
            witness(case, where)
        last_flush = time.monotonic()

    results: Iterator[FileHashes] = (
        WorkerPool(n).map(tasks, limits) if n > 0 else hash_in_process(tasks, limits)
    )
    if progress:
        progress(0, len(tasks))
    finished = False
    try:
        for done, r in enumerate(results, 1):
            pending.append(r)
            statuses[r.status.value] += 1
            classes[r.media_class] += 1
            if r.reason is not None:
                reasons[r.reason.value] += 1
            report.frame_hashes += len(r.frame_hashes)
            report.changed_evidence += sum(1 for ev, _ in r.changed if ev is not None)
            report.hashed = done
            if len(pending) >= batch_size or time.monotonic() - last_flush >= flush_seconds:
                flush()
            if progress:
                progress(done, len(tasks))
        finished = True
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the workers
        report.remaining = report.media_files - report.already_hashed - report.hashed
        report.by_status = dict(statuses)
        report.by_reason = dict(reasons)
        report.by_class = dict(classes)
        report.seconds = round(time.monotonic() - started, 3)
        report.interrupted = not finished
        flush(final=True)  # what finished before an interruption is kept, and the run logged
    return report


def _audit_details(report: HashReport, limit: int | None, retry_failed: bool) -> dict[str, Any]:
    """The run's audit entry: counts and settings (never a hash)."""
    return {
        "selected": report.selected,
        "hashed": report.hashed,
        "remaining": report.remaining,
        "by_status": report.by_status,
        "frame_hashes": report.frame_hashes,
        "changed_evidence": report.changed_evidence,
        "workers": report.workers,
        "limit": limit,
        "retry_failed": retry_failed,
        "interrupted": report.interrupted,
    }
