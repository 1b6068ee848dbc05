"""Importing a hash-list file as a new version of a named list, incrementally.

A list (``hash_lists``) has versions (``hash_list_versions``), one per imported file, and entries
(``hash_list_entries``), one per (hash type, value). Importing a version, in one transaction:

* the file is hashed (SHA-256); a file this list already imported changes nothing;
* the file is streamed through its format's reader in batches; for each batch the entries the
  list already has for those hashes are loaded (never the whole list), then new entries are
  inserted, entries whose category, series, flags or identifier changed are updated, entries that
  had been removed and are back are restored, and unchanged entries only get
  ``last_version_id``;
* explicit deletions (NCMEC tombstones) mark the entries with that identifier removed; for
  formats whose records are complete (NCMEC), hashes an entry no longer has are removed too;
* a *full* version (the default for every format but NCMEC's deltas) then marks every entry it
  did not mention removed. Removed entries keep their row and ``removed_version_id``: a list's
  history is never deleted.

A vPDQ entry (a video: one PDQ per sampled frame) is not one digest, so its row's ``value`` is
the SHA-256 (lower-case hex) of the value's canonical string
(:func:`~veilleur.lists.base.canonical_vpdq`): the unique constraint, the batch lookup and the
version logic above then work on it as on any hash. Its frames go to
``hash_list_vpdq_features`` under that digest, written only for digests not stored yet
(content-addressed: shared by every list and version holding the same video, never deleted).
A batch is written once it holds :data:`BATCH` entries or :data:`VPDQ_FRAME_BATCH` frames.

Malformed input raises :class:`~veilleur.errors.BadInput` naming the file and the place; the
transaction is rolled back, so nothing of that version is stored. List files are reference data,
not case evidence: they are not registered in the evidence registry, only their SHA-256 is kept
with the version, and they are never exported with case data.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, Row, func, insert, select, update

from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.digests import read_input_file
from veilleur.errors import BadInput
from veilleur.lists.base import (
    HASH_TYPES,
    KINDS,
    SCHEMES,
    HashType,
    ListConflict,
    ListDeletion,
    ListFormat,
    ListItem,
    ListMeta,
    ReadOptions,
)
from veilleur.lists.formats import format_names, get_format, sniff_format
from veilleur.store.bulk import insert_rows, update_rows
from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    hash_list_entries,
    hash_list_versions,
    hash_list_vpdq_features,
    hash_lists,
)
from veilleur.timefmt import now_iso

BATCH = 5000
"""Entries per batch: the most held in memory, and loaded from the store, at once."""
VPDQ_FRAME_BATCH = 100_000
"""vPDQ frames per batch: a batch of long videos is written before it holds more frames than this
(one value may hold up to :data:`~veilleur.lists.base.VPDQ_MAX_FRAMES`)."""
HEAD = 1 << 16
NOTICES_KEPT = 1000
"""Notices a report holds at most (it is logged whole); ``fingerprints_rejected`` counts them all."""

_E = hash_list_entries
_ENTRY_COLUMNS = (
    "list_id",
    "hash_type",
    "value",
    "category",
    "series",
    "flags",
    "external_id",
    "first_version_id",
    "last_version_id",
    "removed_version_id",
)
_F = hash_list_vpdq_features
_FEATURE_COLUMNS = ("digest", "idx", "pdq", "quality", "timestamp_ms")
_F_IN = "vpdq_features_in"  # PostgreSQL: this transaction's rows before they are merged in


def _entry_value(hash_type: HashType, value: str) -> str:
    """What the entries table keeps as ``value`` for a normalised hash: the hash itself, or for
    vPDQ (a canonical frame list, possibly megabytes) the lower-case hex SHA-256 of it."""
    if hash_type == "vpdq":
        return hashlib.sha256(value.encode("utf-8")).hexdigest()
    return value


@dataclass
class ListImportReport:
    """What an import did, in counts. It never holds a hash value."""

    list_id: int
    list_name: str
    version_id: int
    version: str
    format: str
    status: str  # imported | unchanged
    full: bool
    file_sha256: str
    new_list: bool = False
    scheme: str = "us"
    kind: str = "positive"
    format_version: str | None = None
    items: int = 0
    entries: int = 0
    added: int = 0
    restored: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    """Entries absent from a full version, now marked removed."""
    withdrawn: int = 0
    """Entries withdrawn by the file itself: deletions, or hashes an updated record lost."""
    deletions: int = 0
    deletions_unmatched: int = 0
    duplicates: int = 0
    items_without_hash: int = 0
    by_hash_type: dict[str, int] = field(default_factory=dict)
    unsupported: dict[str, int] = field(default_factory=dict)
    fingerprints_rejected: int = 0
    """Malformed fingerprints left out (a shortened PhotoDNA value…); the rest of each entry kept."""
    notices: list[dict[str, str | None]] = field(default_factory=list)
    """One per malformed fingerprint, the first :data:`NOTICES_KEPT`: its place, the entry's
    identifier, the fingerprint and what is wrong with it. Never a value."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_list(
    case: Case,
    path: Path | str,
    *,
    name: str,
    operator: str,
    version: str | None = None,
    scheme: str | None = None,
    source: str | None = None,
    kind: str | None = None,
    format: str | None = None,
    full: bool | None = None,
    hash_type: str | None = None,
    batch_size: int = BATCH,
) -> ListImportReport:
    """Import the list file at ``path`` as a new version of the list ``name`` (created if new).

    ``scheme`` (``us``, ``uk``, ``custom``) and ``kind`` (``positive``, ``negative``) apply to a
    new list and must agree with an existing one; by default a new list takes the scheme the file
    declares (VICS profile), else ``us``, and is positive. ``format`` skips sniffing. ``full``
    overrides whether the file is a whole list or a delta. ``hash_type`` is the type of bare
    values whose type the file does not state (plain lists of SHA-256 or PDQ need it).
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("a hash list needs a name of 1 to 200 characters")
    if version is not None and not 0 < len(version) <= 200:
        raise BadInput("a version label has 1 to 200 characters")
    if scheme is not None and scheme not in SCHEMES:
        raise BadInput(f"unknown category scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    if kind is not None and kind not in KINDS:
        raise BadInput(f"unknown list kind {kind!r} (known: {', '.join(KINDS)})")
    if hash_type is not None and hash_type not in HASH_TYPES:
        raise BadInput(f"unknown hash type {hash_type!r} (known: {', '.join(HASH_TYPES)})")
    path = Path(path)
    shown = str(path)
    read = read_input_file(path, head=HEAD)
    digest, size, head = read.sha256, read.size, read.head
    if size == 0:
        raise BadInput("empty file: no hash list in it", file=shown, place="byte 0")
    fmt = get_format(format) if format else sniff_format(head, path.name)
    if fmt is None:
        raise BadInput(
            f"not a hash-list format Veilleur reads (known: {', '.join(format_names())}); "
            "if it is one, name it with --format",
            file=shown,
            place="byte 0",
        )
    options = ReadOptions(hash_type=hash_type)
    with case.engine.begin() as conn:
        row = conn.execute(select(hash_lists).where(hash_lists.c.name == name)).first()
        if row is not None:
            if kind is not None and kind != row.kind:
                raise ListConflict(f"list {name!r} is a {row.kind} list, not {kind}")
            if scheme is not None and scheme != row.category_scheme:
                raise ListConflict(
                    f"list {name!r} uses the {row.category_scheme} category scheme, not {scheme}"
                )
            same = conn.execute(
                select(hash_list_versions).where(
                    hash_list_versions.c.list_id == row.id, hash_list_versions.c.file_sha256 == digest
                )
            ).first()
            if same is not None:
                return _unchanged(row, same)
            if version is not None and _version_exists(conn, row.id, version):
                raise ListConflict(f"list {name!r} already has a version {version!r} (from another file)")
        job = _VersionImport(
            conn,
            fmt,
            name=name,
            existing=row,
            operator=operator,
            version=version,
            scheme=scheme,
            source=source,
            kind=kind or "positive",
            full=full,
            batch_size=batch_size,
        )
        with path.open("rb") as stream:
            report = job.run(stream, shown, options, digest=digest, size=size, path=path)
        read.check_unchanged()
        # Logged with the version it records (the report holds counts, never a hash value).
        where = record(conn, "lists.import", operator=operator, subject=name, details=report.to_dict())
    witness(case, where)
    return report


def _version_exists(conn: Connection, list_id: int, label: str) -> bool:
    return (
        conn.execute(
            select(hash_list_versions.c.id).where(
                hash_list_versions.c.list_id == list_id, hash_list_versions.c.version == label
            )
        ).first()
        is not None
    )


def _unchanged(lst: Row[Any], ver: Row[Any]) -> ListImportReport:
    return ListImportReport(
        list_id=lst.id,
        list_name=lst.name,
        version_id=ver.id,
        version=ver.version,
        format=ver.format,
        status="unchanged",
        full=ver.full,
        file_sha256=ver.file_sha256,
        scheme=lst.category_scheme,
        kind=lst.kind,
    )


_Attrs = tuple[str | None, str | None, str | None, str | None]  # category, series, flags, external id


def _insert_features(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert feature rows, skipping any already there (another import of the same video).

    On PostgreSQL, COPY into a temporary table then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``: COPY cannot skip conflicts, and ``executemany`` of single-row inserts is an order
    of magnitude slower. SQLite's ``INSERT OR IGNORE`` is fast as it is.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        insert_rows(conn, _F, _FEATURE_COLUMNS, rows, ignore_conflicts=True)
        return
    cols = ", ".join(_FEATURE_COLUMNS)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {_F_IN} (LIKE {_F.name}) ON COMMIT DROP")
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cur.copy(f"COPY {_F_IN} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.exec_driver_sql(f"INSERT INTO {_F.name} ({cols}) SELECT {cols} FROM {_F_IN} ON CONFLICT DO NOTHING")
    conn.exec_driver_sql(f"TRUNCATE {_F_IN}")


def _canonical_frames(canonical: str) -> Iterator[tuple[str, int, int]]:
    """(pdq, quality, timestamp_ms) of each frame of a canonical vPDQ value.

    The value was written by :func:`~veilleur.lists.base.canonical_vpdq`, hence valid and in its
    one layout (64 hex, an integer, seconds with exactly three decimals): it is split, not checked
    again, which matters for lists of millions of frames.
    """
    for frame in json.loads(canonical):
        quality, seconds = frame[65:].split(",")
        yield frame[:64], int(quality), int(seconds.replace(".", ""))


class _VersionImport:
    def __init__(
        self,
        conn: Connection,
        fmt: ListFormat,
        *,
        name: str,
        existing: Row[Any] | None,
        operator: str,
        version: str | None,
        scheme: str | None,
        source: str | None,
        kind: str,
        full: bool | None,
        batch_size: int,
    ) -> None:
        self.conn = conn
        self.fmt = fmt
        self.name = name
        self.existing = existing
        self.operator = operator
        self.version = version
        self.scheme = scheme
        self.source = source
        self.kind = kind
        self.full_option = full
        self.batch_size = batch_size
        self.meta_full: bool | None = None
        self.records_complete = False
        self.declared_scheme: str | None = None
        self.declared_version: str | None = None
        self.pending: dict[tuple[HashType, str], _Attrs] = {}
        self.pending_deletions: list[ListDeletion] = []
        self.pending_kept: list[tuple[str, HashType]] = []
        """(entry identifier, hash type) of fingerprints this file gave malformed."""
        self.pending_frames: dict[str, str] = {}  # vPDQ digest -> canonical value
        self.n_pending_frames = 0
        self.next_analyze = 0
        self.by_type: Counter[str] = Counter()
        self.unsupported: Counter[str] = Counter()
        self.report: ListImportReport

    @property
    def full(self) -> bool:
        if self.full_option is not None:
            return self.full_option
        if self.meta_full is not None:
            return self.meta_full
        return self.fmt.full_by_default

    def run(
        self, stream: IO[bytes], shown: str, options: ReadOptions, *, digest: str, size: int, path: Path
    ) -> ListImportReport:
        conn = self.conn
        self.shown = shown
        now = now_iso()
        new_list = self.existing is None
        if self.existing is None:
            list_id = conn.execute(
                insert(hash_lists).values(
                    name=self.name,
                    source=self.source,
                    category_scheme=self.scheme or "us",
                    kind=self.kind,
                    created_at=now,
                    operator=self.operator,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            kind = self.kind
        else:
            list_id = self.existing.id
            kind = self.existing.kind
            if self.source and self.source != self.existing.source:
                conn.execute(update(hash_lists).where(hash_lists.c.id == list_id).values(source=self.source))
        self.list_id = int(list_id)
        self.version_id = int(
            conn.execute(
                insert(hash_list_versions).values(
                    list_id=self.list_id,
                    version=self.version or f"importing-{uuid.uuid4().hex}",
                    imported_at=now,
                    operator=self.operator,
                    file_sha256=digest,
                    file_size=size,
                    file_path=str(path.resolve()),
                    format=self.fmt.name,
                    full=self.fmt.full_by_default,
                    n_added=0,
                    n_changed=0,
                    n_removed=0,
                    n_unchanged=0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self.report = r = ListImportReport(
            list_id=self.list_id,
            list_name=self.name,
            version_id=self.version_id,
            version="",
            format=self.fmt.name,
            status="imported",
            full=self.fmt.full_by_default,
            file_sha256=digest,
            new_list=new_list,
            kind=kind,
        )
        last_place = "byte 0"
        for rec in self.fmt.read(stream, name=shown, options=options):
            if isinstance(rec, ListItem):
                last_place = rec.place
                self._item(rec)
            elif isinstance(rec, ListDeletion):
                last_place = rec.place
                r.deletions += 1
                if self.pending:
                    self._flush_items()
                self.pending_deletions.append(rec)
                if len(self.pending_deletions) >= self.batch_size:
                    self._flush_deletions()
            elif isinstance(rec, ListMeta):
                self._meta(rec)
        self._flush_items()
        self._flush_deletions()
        self._keep_rejected()
        if r.entries == 0 and r.deletions == 0 and self.full:
            # A whole list with nothing in it would withdraw every entry: surely not what it is.
            # A delta with nothing (a feed's "no change since the last fetch") is a version that
            # changes nothing, recorded as such.
            what = (
                "no hash entries"
                if r.items == 0
                else f"no well-formed fingerprint ({r.fingerprints_rejected} malformed)"
                if r.fingerprints_rejected
                else "no entry with a hash type Veilleur keeps"
            )
            raise BadInput(f"{what} in the file; nothing imported", file=shown, place=last_place)
        r.full = self.full
        if r.full:
            r.removed = self.conn.execute(
                update(_E)
                .where(
                    _E.c.list_id == self.list_id,
                    _E.c.removed_version_id.is_(None),
                    _E.c.last_version_id != self.version_id,
                )
                .values(removed_version_id=self.version_id)
            ).rowcount
        r.scheme = self._settle_scheme(shown)
        r.version = self._settle_version()
        r.by_hash_type = dict(sorted(self.by_type.items()))
        r.unsupported = dict(sorted(self.unsupported.items()))
        conn.execute(
            update(hash_list_versions)
            .where(hash_list_versions.c.id == self.version_id)
            .values(
                version=r.version,
                full=r.full,
                n_added=r.added + r.restored,
                n_changed=r.changed,
                n_removed=r.removed + r.withdrawn,
                n_unchanged=r.unchanged,
                report=orjson.dumps(r.to_dict()).decode(),
            )
        )
        return r

    # -- records ------------------------------------------------------------------------------
    def _meta(self, meta: ListMeta) -> None:
        if meta.scheme is not None:
            self.declared_scheme = meta.scheme
        if meta.full is not None:
            self.meta_full = meta.full
        if meta.version is not None:
            self.declared_version = meta.version
        if meta.format_version is not None:
            self.report.format_version = meta.format_version
        if meta.records_complete:
            self.records_complete = True

    def _item(self, item: ListItem) -> None:
        r = self.report
        r.items += 1
        for name in item.unsupported:
            self.unsupported[name.lower()] += 1
        for hash_type, what, problem in item.rejected:
            r.fingerprints_rejected += 1
            if len(r.notices) < NOTICES_KEPT:
                r.notices.append(
                    {"place": item.place, "entry": item.external_id, "fingerprint": what, "problem": problem}
                )
            if item.external_id is not None:
                self.pending_kept.append((item.external_id, hash_type))
        if not item.hashes:
            r.items_without_hash += 1
            return
        if self.pending_deletions:
            self._flush_deletions()
        for what, text, limit in (("category", item.category, 32), ("identifier", item.external_id, 200)):
            if text is not None and len(text) > limit:
                raise BadInput(
                    f"{what} longer than {limit} characters ({len(text)})", file=self.shown, place=item.place
                )
        flags = orjson.dumps(list(item.flags)).decode() if item.flags else None
        attrs: _Attrs = (item.category, item.series, flags, item.external_id)
        for hash_type, value in item.hashes:
            key = (hash_type, _entry_value(hash_type, value))
            r.entries += 1
            self.by_type[hash_type] += 1
            if key in self.pending:
                r.duplicates += 1
                continue
            self.pending[key] = attrs
            if hash_type == "vpdq" and key[1] not in self.pending_frames:
                self.pending_frames[key[1]] = value
                self.n_pending_frames += value.count('", "') + 1
        if len(self.pending) >= self.batch_size or self.n_pending_frames >= VPDQ_FRAME_BATCH:
            self._flush_items()

    # -- writes -------------------------------------------------------------------------------
    def _flush_items(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        frames, self.pending_frames, self.n_pending_frames = self.pending_frames, {}, 0
        r, vid, conn = self.report, self.version_id, self.conn
        self._keep_statistics()
        existing: dict[tuple[str, str], Any] = {}
        by_type: defaultdict[str, list[str]] = defaultdict(list)
        for key in batch:
            by_type[key[0]].append(key[1])
        for hash_type, values in by_type.items():
            for chunk in chunks(values):
                for row in conn.execute(
                    select(
                        _E.c.id,
                        _E.c.hash_type,
                        _E.c.value,
                        _E.c.category,
                        _E.c.series,
                        _E.c.flags,
                        _E.c.external_id,
                        _E.c.last_version_id,
                        _E.c.removed_version_id,
                    ).where(_E.c.list_id == self.list_id, _E.c.hash_type == hash_type, _E.c.value.in_(chunk))
                ):
                    existing[(row.hash_type, row.value)] = row
        inserts: list[tuple[Any, ...]] = []
        rewrites: list[tuple[Any, ...]] = []
        touches: list[int] = []
        for (hash_type, value), attrs in batch.items():
            old = existing.get((hash_type, value))
            if old is None:
                inserts.append((self.list_id, hash_type, value, *attrs, vid, vid, None))
                r.added += 1
            elif old.removed_version_id is not None:
                rewrites.append((*attrs, vid, None, old.id))
                r.restored += 1
            elif old.last_version_id == vid:
                r.duplicates += 1  # seen earlier in this same file
            elif (old.category, old.series, old.flags, old.external_id) == attrs:
                touches.append(old.id)
                r.unchanged += 1
            else:
                rewrites.append((*attrs, vid, None, old.id))
                r.changed += 1
        insert_rows(conn, _E, _ENTRY_COLUMNS, inserts)
        self._store_frames(frames)
        update_rows(
            conn,
            _E,
            ("category", "series", "flags", "external_id", "last_version_id", "removed_version_id"),
            ("id",),
            rewrites,
        )
        for touched in chunks(touches):
            conn.execute(update(_E).where(_E.c.id.in_(touched)).values(last_version_id=vid))
        self._keep_rejected()
        if self.records_complete and not self.full:
            ids = sorted({attrs[3] for attrs in batch.values() if attrs[3] is not None})
            r.withdrawn += self._remove_by_ids(ids, only_older=True)

    def _keep_rejected(self) -> None:
        """An entry's fingerprint this file gives malformed keeps the value an earlier version
        gave, marked seen in this one: a damaged record is no evidence that the fingerprint was
        withdrawn, and a hash lost from a list of known material is a match lost."""
        kept, self.pending_kept = self.pending_kept, []
        by_type: defaultdict[str, list[str]] = defaultdict(list)
        for external_id, hash_type in kept:
            by_type[hash_type].append(external_id)
        for type_name, ids in by_type.items():
            for chunk in chunks(ids):
                self.conn.execute(
                    update(_E)
                    .where(
                        _E.c.list_id == self.list_id,
                        _E.c.hash_type == type_name,
                        _E.c.external_id.in_(chunk),
                        _E.c.removed_version_id.is_(None),
                    )
                    .values(last_version_id=self.version_id)
                )

    def _store_frames(self, frames: dict[str, str]) -> None:
        """Store the frames of the vPDQ digests not stored yet, by any list or version.

        The features are content-addressed (keyed by the SHA-256 of the canonical value), so a
        digest already present holds exactly these frames and is left as it is. Conflicts are
        ignored rather than refused: another import committing the same video meanwhile wrote
        the same rows.
        """
        digests = sorted(frames)
        for chunk in chunks(digests):
            stored = set(
                self.conn.execute(select(_F.c.digest).where(_F.c.digest.in_(chunk)).distinct()).scalars()
            )
            rows = [
                (digest, idx, *frame)
                for digest in chunk
                if digest not in stored
                for idx, frame in enumerate(_canonical_frames(frames[digest]))
            ]
            _insert_features(self.conn, rows)

    def _keep_statistics(self) -> None:
        """Keep PostgreSQL's planner statistics abreast of the entries table as this import grows it.

        Without statistics for this list (a new list, or rows not yet analysed) the planner takes
        the batch lookup to match one row on (list_id, hash_type) and filters ``value`` over all
        of the list's entries of that type: quadratic. Analysing at the start and each time the
        rows this import added double keeps the lookup an index probe per value. ANALYZE samples
        a fixed number of rows and sees this transaction's own inserts.
        """
        if self.conn.dialect.name != "postgresql" or self.report.added < self.next_analyze:
            return
        self.conn.exec_driver_sql(f"ANALYZE {_E.name}")
        self.next_analyze = max(2 * self.report.added, self.batch_size)

    def _flush_deletions(self) -> None:
        if not self.pending_deletions:
            return
        batch, self.pending_deletions = self.pending_deletions, []
        r = self.report
        ids = sorted({d.external_id for d in batch if d.external_id is not None})
        for chunk in chunks(ids):
            known = set(
                self.conn.execute(
                    select(_E.c.external_id)
                    .where(_E.c.list_id == self.list_id, _E.c.external_id.in_(chunk))
                    .distinct()
                ).scalars()
            )
            r.deletions_unmatched += len(chunk) - len(known)
        r.withdrawn += self._remove_by_ids(ids, only_older=False)
        keys = sorted({(t, _entry_value(t, v)) for d in batch for t, v in d.hashes})
        by_type: defaultdict[str, list[str]] = defaultdict(list)
        for key in keys:
            by_type[key[0]].append(key[1])
        for hash_type, values in by_type.items():
            for vchunk in chunks(values):
                r.withdrawn += self.conn.execute(
                    update(_E)
                    .where(
                        _E.c.list_id == self.list_id,
                        _E.c.hash_type == hash_type,
                        _E.c.value.in_(vchunk),
                        _E.c.removed_version_id.is_(None),
                    )
                    .values(removed_version_id=self.version_id)
                ).rowcount

    def _remove_by_ids(self, ids: Sequence[str], *, only_older: bool) -> int:
        """Mark active entries with these identifiers removed (``only_older``: not seen in this version)."""
        n = 0
        for chunk in chunks(ids):
            where = [
                _E.c.list_id == self.list_id,
                _E.c.external_id.in_(chunk),
                _E.c.removed_version_id.is_(None),
            ]
            if only_older:
                where.append(_E.c.last_version_id != self.version_id)
            n += self.conn.execute(
                update(_E).where(*where).values(removed_version_id=self.version_id)
            ).rowcount
        return n

    # -- settling -----------------------------------------------------------------------------
    def _settle_scheme(self, shown: str) -> str:
        declared = self.declared_scheme
        chosen = self.existing.category_scheme if self.existing is not None else self.scheme
        if chosen and declared and "custom" not in (chosen, declared) and chosen != declared:
            raise BadInput(
                f"the file declares the {declared.upper()} category profile, but list {self.name!r} "
                f"uses the {chosen} scheme",
                file=shown,
            )
        scheme = chosen or declared or "us"
        if self.existing is None:
            self.conn.execute(
                update(hash_lists).where(hash_lists.c.id == self.list_id).values(category_scheme=scheme)
            )
        return scheme

    def _settle_version(self) -> str:
        if self.version is not None:
            return self.version
        declared = self.declared_version
        if declared and len(declared) <= 200 and not _version_exists(self.conn, self.list_id, declared):
            return declared
        n = self.conn.execute(
            select(func.count()).where(hash_list_versions.c.list_id == self.list_id)
        ).scalar_one()
        while _version_exists(self.conn, self.list_id, str(n)):
            n += 1
        return str(n)
