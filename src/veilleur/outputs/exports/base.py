"""What every export shares: writing its files safely, the manifest, and the case's accounts.

An export writes its files into one folder, each first as ``<name>.part`` and renamed once
complete, then ``manifest.json`` last: a folder without a manifest is an export that did not
finish. The manifest gives the format, when and by which Veilleur it was made, the matching run it
used, and the SHA-256 and size of every file (read back from disk), so that a recipient can
verify what they received. An export never overwrites: a folder that already holds a manifest, or
a file of the same name, is refused.

Nothing here reads a hash list's entries: list names and versions come from the matching run's
own record (``match_runs.lists``), and :data:`veilleur.lists.LIST_TABLES` are never exported.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from itertools import groupby
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, select

from veilleur.digests import sha256_file
from veilleur.errors import VeilleurError
from veilleur.matching.results import current_run
from veilleur.store.lookups import chunks
from veilleur.store.schema import account_names, accounts, case_meta, match_runs, messages
from veilleur.timefmt import now_iso_seconds

__all__ = [
    "MANIFEST",
    "AccountRecord",
    "ExportError",
    "ExportFiles",
    "account_records",
    "clean_text",
    "message_texts",
    "run_lists",
    "veilleur_version",
]

MANIFEST = "manifest.json"
STREAM = 5_000
"""Rows fetched at a time from the store when streaming (messages, accounts, matches)."""

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ExportError(VeilleurError):
    """An export cannot be written as asked (its folder already holds an export, a name is unsafe)."""


def veilleur_version() -> str:
    try:
        return version("veilleur")
    except PackageNotFoundError:  # pragma: no cover - running from a tree without metadata
        return "unknown"


def clean_text(s: str) -> str:
    """``s`` with any lone surrogate (which UTF-8 cannot encode) written as ``\\udXXX``."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")
    return s


def run_lists(conn: Connection, run_id: int | None) -> list[dict[str, Any]]:
    """The lists a matching run saw, as the run recorded them: id, name, kind, version_id, version,
    pdq_threshold. Read from ``match_runs``, never from the list tables."""
    if run_id is None:
        return []
    raw = conn.execute(select(match_runs.c.lists).where(match_runs.c.id == run_id)).scalar()
    return list(orjson.loads(raw)) if raw else []


class ExportFiles:
    """The files of one export in ``out_dir``: written as ``.part``, renamed when complete, and
    listed with their SHA-256 and size in ``manifest.json`` by :meth:`finish`."""

    def __init__(
        self, conn: Connection, out_dir: Path, fmt: str, description: str, run_id: int | None
    ) -> None:
        self.conn = conn
        self.out_dir = out_dir
        self.format = fmt
        self.description = description
        self.run_id = run_id
        out_dir.mkdir(parents=True, exist_ok=True)
        if (out_dir / MANIFEST).exists():
            raise ExportError(
                "this folder already holds an export (manifest.json); choose another", file=str(out_dir)
            )
        self.files: list[tuple[Path, dict[str, Any]]] = []
        self._names: set[str] = set()

    def _target(self, name: str) -> Path:
        if not _SAFE_NAME.fullmatch(name) or name == MANIFEST or name.endswith(".part"):
            raise ExportError(f"unsafe or reserved file name {name!r}", file=str(self.out_dir))
        if name in self._names or (self.out_dir / name).exists():
            raise ExportError(f"{name} already exists; an export never overwrites", file=str(self.out_dir))
        self._names.add(name)
        return self.out_dir / name

    @contextmanager
    def binary(self, name: str, **info: Any) -> Iterator[IO[bytes]]:
        """A file opened for writing bytes; ``info`` (e.g. ``rows``) may be updated until it closes
        and goes into the manifest."""
        path = self._target(name)
        part = path.with_name(path.name + ".part")
        try:
            with part.open("wb") as f:
                yield f
            part.rename(path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self.files.append((path, info))

    @contextmanager
    def text(self, name: str, **info: Any) -> Iterator[IO[str]]:
        """A UTF-8 text file opened for writing, newlines written as given (``newline=""``)."""
        path = self._target(name)
        part = path.with_name(path.name + ".part")
        try:
            with part.open("w", encoding="utf-8", newline="") as f:
                yield f
            part.rename(path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self.files.append((path, info))

    def case_name(self) -> str | None:
        return self.conn.execute(select(case_meta.c.value).where(case_meta.c.key == "name")).scalar()

    def set_rows(self, name: str, rows: int) -> None:
        self.set_info(name, rows=rows)

    def set_info(self, name: str, **info: Any) -> None:
        """Add ``info`` to what the manifest says of file ``name`` (already written)."""
        for path, known in self.files:
            if path.name == name:
                known.update(info)

    def finish(self, *, notes: list[str] | None = None, **extra: Any) -> list[Path]:
        """Write ``manifest.json`` (last) and return every file written, the manifest last."""
        conn = self.conn
        run = None
        if self.run_id is not None:
            row = conn.execute(
                select(match_runs.c.started_at, match_runs.c.finished_at, match_runs.c.status).where(
                    match_runs.c.id == self.run_id
                )
            ).one_or_none()
            run = {
                "id": self.run_id,
                "started_at": row.started_at if row else None,
                "finished_at": row.finished_at if row else None,
                "lists": [
                    {"name": x.get("name"), "kind": x.get("kind"), "version": x.get("version")}
                    for x in run_lists(conn, self.run_id)
                ],
            }
        case_name = self.case_name()
        files = []
        for path, info in self.files:
            digest, size = sha256_file(path)
            files.append({"path": path.name, "sha256": digest, "size": size, **info})
        manifest = {
            "format": self.format,
            "description": self.description,
            "generated_at": now_iso_seconds(),
            "veilleur_version": veilleur_version(),
            "case": case_name,
            "matching_run_id": self.run_id,
            "matching_run": run,
            **extra,
            "files": files,
            "notes": notes or [],
        }
        path = self.out_dir / MANIFEST
        part = path.with_name(MANIFEST + ".part")
        part.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
        part.rename(path)
        return [p for p, _ in self.files] + [path]


def message_texts(conn: Connection, pks: Collection[int]) -> dict[int, str]:
    """The text of each message, by message primary key."""
    out: dict[int, str] = {}
    for part in chunks(pks):
        out.update(conn.execute(select(messages.c.id, messages.c.text).where(messages.c.id.in_(part))).all())
    return out


def resolve_run(conn: Connection, run_id: int | None) -> int | None:
    return run_id if run_id is not None else current_run(conn)


# -- accounts with every name observed ----------------------------------------------------------


@dataclass
class AccountRecord:
    """An account of the case and every name it was observed under, first seen first."""

    id: int
    key: str
    platform: str
    kind: str | None
    peer_id: int | None
    identity: str
    deleted_seen: bool
    display_names: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    other_names: list[tuple[str, str]] = field(default_factory=list)  # (name kind, value)
    latest_display_name: str | None = None
    latest_username: str | None = None

    @property
    def label(self) -> str:
        """How the account is best named: @username, else its latest display name, else its key."""
        if self.latest_username:
            return f"@{self.latest_username.lstrip('@')}"
        return self.latest_display_name or self.key


def _account_stmt(ids: Collection[int] | None) -> Any:
    n = account_names
    stmt = (
        select(
            accounts.c.id,
            accounts.c.key,
            accounts.c.platform,
            accounts.c.kind,
            accounts.c.peer_id,
            accounts.c.identity,
            accounts.c.deleted_seen,
            n.c.name_kind,
            n.c.value,
            n.c.first_seen_utc,
            n.c.last_seen_utc,
        )
        .outerjoin(n, n.c.account_id == accounts.c.id)
        .order_by(accounts.c.id, n.c.name_kind, n.c.value)
    )
    if ids is not None:
        stmt = stmt.where(accounts.c.id.in_(sorted(ids)))
    return stmt


def account_records(conn: Connection, ids: Collection[int] | None = None) -> Iterator[AccountRecord]:
    """Every account (or those of ``ids``) by id, streamed, each with its names in the order they
    were first seen; the latest display name and username are the ones last seen."""
    if ids is not None:
        for part in chunks(ids):
            yield from _account_records(conn, part)
        return
    yield from _account_records(conn, None)


def _account_records(conn: Connection, ids: Collection[int] | None) -> Iterator[AccountRecord]:
    result = conn.execute(_account_stmt(ids), execution_options={"stream_results": True, "yield_per": STREAM})
    for _, group in groupby(result, key=lambda r: r.id):
        rows = list(group)
        r0 = rows[0]
        rec = AccountRecord(
            r0.id, r0.key, r0.platform, r0.kind, r0.peer_id, r0.identity, bool(r0.deleted_seen)
        )
        # One row per (kind, value, import): fold each name's first and last sighting.
        names: dict[tuple[str, str], list[int]] = {}
        for r in rows:
            if r.name_kind is None:
                continue
            first = r.first_seen_utc if r.first_seen_utc is not None else 2**62
            last = r.last_seen_utc if r.last_seen_utc is not None else -1
            seen = names.setdefault((r.name_kind, r.value), [first, last])
            seen[0] = min(seen[0], first)
            seen[1] = max(seen[1], last)
        ordered = sorted(names.items(), key=lambda kv: (kv[1][0], kv[0][1]))
        for (kind, value), _seen in ordered:
            if kind == "display_name":
                rec.display_names.append(value)
            elif kind == "username":
                rec.usernames.append(value)
            else:
                rec.other_names.append((kind, value))
        rec.latest_display_name = _latest(names, "display_name")
        rec.latest_username = _latest(names, "username")
        yield rec


def _latest(names: dict[tuple[str, str], list[int]], kind: str) -> str | None:
    found = [(seen[1], value) for (k, value), seen in names.items() if k == kind]
    return max(found)[1] if found else None
