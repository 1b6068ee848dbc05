"""``match_case``: match every hashed media file of a case against every list the case holds.

One run, one transaction, one ``match_runs`` row that states its settings and the version of each
list it saw; its ``matches`` become the case's current hits when it commits. Earlier runs are
kept, so every hit can be traced to the run and list version that produced it.

Signals, and how each is matched:

* **exact** — MD5, SHA-1 and SHA-256 of each file, looked up in active list entries of the same
  type (:func:`veilleur.lists.lookup.exact_hits`).
* **pdq** — the PDQ of each picture whose quality is at least ``pdq_quality`` (50), against every
  active PDQ entry within that entry's list threshold (``hash_lists.pdq_threshold``, default 31),
  through one exact index (:class:`~veilleur.matching.pdq_index.PdqIndex`) built at the largest
  threshold. With ``dihedral`` the seven rotations and flips of each picture are queried too; the
  hit names the variant that matched.
* **pdq-frame** — each video frame hash (one per second) against listed *pictures*, so that a
  known picture shown in a video is found; the hit names the frame's time.
* **vpdq** — each video against listed videos (:mod:`veilleur.matching.video`).

Negative lists (known false positives) are matched the same way. A file that a negative list
matches *exactly* is a known benign file: all its positive hits are kept but marked
``suppressed_by`` the negative entry. A file a negative list matches only perceptually has its
perceptual hits suppressed, not its exact ones: a byte-identical copy of listed material is not a
perceptual false positive.

What a run reveals, and does not, is stated in ``docs/matching.md``: only hits, never the
distance of a non-match, never a list entry's hash value.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, func, insert, select, update

from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.hashing.pdq import MATCH_THRESHOLD
from veilleur.lists.base import HashType
from veilleur.lists.lookup import exact_hits
from veilleur.lists.vpdq import active_vpdq_entries
from veilleur.matching.pdq_index import PdqIndex, hex_to_words
from veilleur.matching.video import Frame, VideoThresholds, match_videos
from veilleur.store.bulk import insert_rows
from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    hash_list_entries,
    hash_list_versions,
    hash_lists,
    match_runs,
    matches,
    media_hashes,
    media_pdq_dihedral,
    video_frame_hashes,
)
from veilleur.timefmt import now_iso

__all__ = ["MatchOptions", "MatchReport", "match_case"]

_STREAM = 100_000
_EXACT: tuple[HashType, ...] = ("md5", "sha1", "sha256")
_PERCEPTUAL = frozenset({"pdq", "pdq-frame", "vpdq"})


@dataclass(frozen=True)
class MatchOptions:
    pdq_quality: int = 50
    """PDQ hashes of lower quality (flat, featureless pictures) are not matched: they collide."""
    dihedral: bool = False
    """Also match the rotations and flips of each picture."""
    video_frames: bool = True
    """Match each video frame against listed pictures."""
    video: VideoThresholds = field(default_factory=VideoThresholds)
    threads: int = 2


@dataclass
class MatchReport:
    run_id: int = 0
    media_files: int = 0
    pictures_queried: int = 0  # PDQ of adequate quality
    low_quality: int = 0  # pictures whose PDQ is under the quality threshold
    videos_queried: int = 0
    hits: int = 0  # positive-list hits, suppressed included
    suppressed: int = 0
    negative_hits: int = 0
    files_flagged: int = 0  # files with at least one positive hit not suppressed
    by_method: dict[str, int] = field(default_factory=dict)
    by_list: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _ListInfo:
    id: int
    name: str
    kind: str
    threshold: int
    version_id: int | None
    version: str | None


@dataclass
class _Hit:
    sha256: str
    entry_id: int
    hash_type: str
    method: str
    distance: int
    threshold: int | None = None
    variant: int | None = None
    frame_ms: int | None = None
    quality: int | None = None
    query_match_pct: float | None = None
    compared_match_pct: float | None = None


def _lists(conn: Connection) -> dict[int, _ListInfo]:
    latest = (
        select(hash_list_versions.c.list_id, func.max(hash_list_versions.c.id).label("vid"))
        .group_by(hash_list_versions.c.list_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            hash_lists.c.id,
            hash_lists.c.name,
            hash_lists.c.kind,
            hash_lists.c.pdq_threshold,
            latest.c.vid,
            hash_list_versions.c.version,
        )
        .outerjoin(latest, latest.c.list_id == hash_lists.c.id)
        .outerjoin(hash_list_versions, hash_list_versions.c.id == latest.c.vid)
        .order_by(hash_lists.c.id)
    )
    return {
        r.id: _ListInfo(r.id, r.name, r.kind, r.pdq_threshold or MATCH_THRESHOLD, r.vid, r.version)
        for r in rows
    }


def _exact(conn: Connection) -> Iterator[_Hit]:
    by_value: dict[HashType, defaultdict[str, list[str]]] = {t: defaultdict(list) for t in _EXACT}
    for sha256, md5, sha1 in conn.execute(
        select(media_hashes.c.sha256, media_hashes.c.md5, media_hashes.c.sha1)
    ):
        own: tuple[tuple[HashType, str | None], ...] = (("sha256", sha256), ("md5", md5), ("sha1", sha1))
        for hash_type, value in own:
            if value:
                by_value[hash_type][value].append(sha256)
    for hash_type, files in by_value.items():
        for value, hits in exact_hits(conn, hash_type, files).items():
            for sha256 in files[value]:
                for h in hits:
                    yield _Hit(sha256, h.entry_id, hash_type, "exact", 0)


def _pdq_references(conn: Connection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active PDQ entries as (entry ids, list ids, (n, 4) words), read in bounded chunks."""
    e = hash_list_entries
    ids: list[np.ndarray] = []
    lists: list[np.ndarray] = []
    words: list[np.ndarray] = []
    # Streamed, statement by statement: the connection itself must not be left streaming.
    result = conn.execute(
        select(e.c.id, e.c.list_id, e.c.value)
        .where(e.c.hash_type == "pdq", e.c.removed_version_id.is_(None))
        .order_by(e.c.id),
        execution_options={"stream_results": True, "yield_per": _STREAM},
    )
    for part in result.partitions(_STREAM):
        ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        lists.append(np.fromiter((r[1] for r in part), dtype=np.int64, count=len(part)))
        words.append(hex_to_words([r[2] for r in part]))
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4), np.uint64)
    return np.concatenate(ids), np.concatenate(lists), np.concatenate(words)


def _pdq_queries(
    conn: Connection, options: MatchOptions, report: MatchReport
) -> list[tuple[str, str, int, int | None, int | None]]:
    """(sha256, pdq, quality, dihedral variant, frame time) of everything to look up by PDQ."""
    q = options.pdq_quality
    out: list[tuple[str, str, int, int | None, int | None]] = []
    for sha256, pdq, quality in conn.execute(
        select(media_hashes.c.sha256, media_hashes.c.pdq, media_hashes.c.pdq_quality).where(
            media_hashes.c.pdq.is_not(None)
        )
    ):
        if quality is None or quality < q:
            report.low_quality += 1
            continue
        report.pictures_queried += 1
        out.append((sha256, pdq, quality, 0, None))
    if options.dihedral:
        d = media_pdq_dihedral
        for sha256, variant, pdq, quality in conn.execute(
            select(d.c.sha256, d.c.variant, d.c.pdq, d.c.quality).where(d.c.variant > 0, d.c.quality >= q)
        ):
            out.append((sha256, pdq, quality, variant, None))
    if options.video_frames:
        v = video_frame_hashes
        for sha256, pdq, quality, ts in conn.execute(
            select(v.c.sha256, v.c.pdq, v.c.quality, v.c.timestamp_ms).where(v.c.quality >= q)
        ):
            out.append((sha256, pdq, quality, None, ts))
    return out


def _pdq(
    conn: Connection, lists: dict[int, _ListInfo], options: MatchOptions, report: MatchReport
) -> list[_Hit]:
    queries = _pdq_queries(conn, options, report)
    if not queries:
        return []
    entry_ids, list_ids, refs = _pdq_references(conn)
    if not len(entry_ids):
        return []
    thresholds = np.array([lists[int(i)].threshold for i in list_ids], dtype=np.int64)
    index = PdqIndex(refs, radius=int(thresholds.max()))
    found = index.search(hex_to_words([q[1] for q in queries]), threads=options.threads)
    keep = found.distance <= thresholds[found.reference]
    best: dict[tuple[str, int, str], _Hit] = {}
    for qi, ri, dist in zip(
        found.query[keep].tolist(), found.reference[keep].tolist(), found.distance[keep].tolist(), strict=True
    ):
        sha256, _, quality, variant, frame_ms = queries[qi]
        method = "pdq" if frame_ms is None else "pdq-frame"
        key = (sha256, int(entry_ids[ri]), method)
        hit = _Hit(sha256, key[1], "pdq", method, dist, int(thresholds[ri]), variant, frame_ms, quality)
        old = best.get(key)
        # The closest hit; on a tie the picture as stored (variant 0) or the earliest frame.
        if old is None or (dist, variant or 0, frame_ms or 0) < (
            old.distance,
            old.variant or 0,
            old.frame_ms or 0,
        ):
            best[key] = hit
    return list(best.values())


def _vpdq(conn: Connection, options: MatchOptions, report: MatchReport) -> list[_Hit]:
    listed = {
        e.entry_id: [Frame(f.pdq, f.quality, f.timestamp_ms) for f in e.frames]
        for e in active_vpdq_entries(conn)
    }
    if not listed:
        return []
    videos: defaultdict[str, list[Frame]] = defaultdict(list)
    v = video_frame_hashes
    for sha256, pdq, quality, ts in conn.execute(
        select(v.c.sha256, v.c.pdq, v.c.quality, v.c.timestamp_ms).order_by(v.c.sha256, v.c.frame_index)
    ):
        videos[sha256].append(Frame(pdq, quality, ts))
    report.videos_queried = len(videos)
    th = options.video
    return [
        _Hit(
            m.query,
            m.compared,
            "vpdq",
            "vpdq",
            m.distance,
            th.frame_distance,
            frame_ms=m.first_frame_ms,
            query_match_pct=m.query_match_pct,
            compared_match_pct=m.compared_match_pct,
        )
        for m in match_videos(videos, listed, th, threads=options.threads)
    ]


def _suppress(hits: list[_Hit], kind_of: dict[int, str]) -> dict[int, int]:
    """For each positive hit (by position), the negative entry that suppresses it."""
    negative_exact: dict[str, int] = {}
    negative_perceptual: dict[str, int] = {}
    for h in hits:
        if kind_of[h.entry_id] != "negative":
            continue
        target = negative_exact if h.method == "exact" else negative_perceptual
        target.setdefault(h.sha256, h.entry_id)
    out: dict[int, int] = {}
    for i, h in enumerate(hits):
        if kind_of[h.entry_id] == "negative":
            continue
        by = negative_exact.get(h.sha256)
        if by is None and h.method in _PERCEPTUAL:
            by = negative_perceptual.get(h.sha256)
        if by is not None:
            out[i] = by
    return out


_COLUMNS = (
    "run_id",
    "sha256",
    "list_id",
    "list_version_id",
    "list_kind",
    "entry_id",
    "external_id",
    "category",
    "hash_type",
    "method",
    "variant",
    "frame_ms",
    "distance",
    "threshold",
    "quality",
    "query_match_pct",
    "compared_match_pct",
    "suppressed_by",
    "matched_at",
)


def match_case(case: Case, options: MatchOptions | None = None, *, operator: str) -> MatchReport:
    """Match the case's hashed media against every list it holds; store and return the run."""
    options = options or MatchOptions()
    report = MatchReport()
    with case.engine.begin() as conn:
        lists = _lists(conn)
        snapshot = [
            {
                "id": li.id,
                "name": li.name,
                "kind": li.kind,
                "version_id": li.version_id,
                "version": li.version,
                "pdq_threshold": li.threshold,
            }
            for li in lists.values()
        ]
        settings = asdict(options)
        run_id = int(
            conn.execute(
                insert(match_runs).values(
                    started_at=now_iso(),
                    operator=operator,
                    status="running",
                    settings=orjson.dumps(settings).decode(),
                    lists=orjson.dumps(snapshot).decode(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        report.run_id = run_id
        report.media_files = int(conn.execute(select(func.count()).select_from(media_hashes)).scalar() or 0)
        hits = list(_exact(conn)) + _pdq(conn, lists, options, report) + _vpdq(conn, options, report)
        rows = _rows(conn, run_id, hits, lists, report)
        insert_rows(conn, matches, _COLUMNS, rows)
        conn.execute(
            update(match_runs)
            .where(match_runs.c.id == run_id)
            .values(status="done", finished_at=now_iso(), report=orjson.dumps(report.to_dict()).decode())
        )
        where = record(
            conn,
            "match",
            operator=operator,
            details={"settings": settings, "lists": snapshot, **report.to_dict()},
        )
    witness(case, where)
    return report


def _rows(
    conn: Connection, run_id: int, hits: list[_Hit], lists: dict[int, _ListInfo], report: MatchReport
) -> list[tuple[Any, ...]]:
    e = hash_list_entries
    entries: dict[int, Any] = {}
    for part in chunks(h.entry_id for h in hits):
        for r in conn.execute(
            select(e.c.id, e.c.list_id, e.c.external_id, e.c.category).where(e.c.id.in_(part))
        ):
            entries[r.id] = r
    kind_of = {eid: lists[r.list_id].kind for eid, r in entries.items()}
    suppressed = _suppress(hits, kind_of)
    at = now_iso()
    rows = []
    by_method: Counter[str] = Counter()
    by_list: Counter[str] = Counter()
    flagged: set[str] = set()
    for i, h in enumerate(hits):
        entry = entries[h.entry_id]
        li = lists[entry.list_id]
        assert li.version_id is not None  # an entry exists only through a list version
        if li.kind == "negative":
            report.negative_hits += 1
        else:
            report.hits += 1
            by_method[h.method] += 1
            by_list[li.name] += 1
            if i in suppressed:
                report.suppressed += 1
            else:
                flagged.add(h.sha256)
        rows.append(
            (
                run_id,
                h.sha256,
                li.id,
                li.version_id,
                li.kind,
                h.entry_id,
                entry.external_id,
                entry.category,
                h.hash_type,
                h.method,
                h.variant,
                h.frame_ms,
                h.distance,
                h.threshold,
                h.quality,
                h.query_match_pct,
                h.compared_match_pct,
                suppressed.get(i),
                at,
            )
        )
    report.files_flagged = len(flagged)
    report.by_method = dict(sorted(by_method.items()))
    report.by_list = dict(sorted(by_list.items()))
    return rows
