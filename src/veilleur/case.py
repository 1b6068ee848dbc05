"""A case workspace: a folder holding ``veilleur-case.json`` and, by default, the SQLite store.

The folder is what an analyst names with ``--case``. Its settings file says which database holds
the case: ``case.sqlite`` beside it unless the case was created with a PostgreSQL URL. Beside it
too, ``audit-witness.log``: the audit log's witness (:mod:`veilleur.custody.audit`).
"""

from __future__ import annotations

import getpass
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from sqlalchemy import Engine, insert, text

from veilleur.custody.audit import AuditPosition, record, witness, witness_path
from veilleur.errors import CaseError
from veilleur.store.engine import current_revision, head_revision, known_revisions, make_engine, upgrade
from veilleur.store.schema import case_members, case_meta
from veilleur.timefmt import now_iso

CASE_FILE = "veilleur-case.json"
SQLITE_NAME = "case.sqlite"


def default_operator() -> str:
    """Who is acting: ``VEILLEUR_OPERATOR`` if set, else the login name."""
    return os.environ.get("VEILLEUR_OPERATOR") or getpass.getuser()


@dataclass
class Case:
    root: Path
    name: str
    database_url: str

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)

    @property
    def witness_path(self) -> Path:
        """The audit log's witness file in this case folder."""
        return witness_path(self.root)

    def audit(
        self,
        action: str,
        *,
        operator: str,
        subject: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditPosition:
        """Log an action that writes nothing else (a view of case data, a report) in a transaction
        of its own, then witness it. Call it *before* showing or writing anything: what cannot be
        logged is not shown. Actions that write to the case record inside their own transaction
        instead (:func:`veilleur.custody.audit.record`), so that entry and action commit together.
        """
        with self.engine.begin() as conn:
            where = record(conn, action, operator=operator, subject=subject, details=details)
        witness(self, where)
        return where

    @contextmanager
    def exclusive(self, task: str) -> Iterator[None]:
        """Hold the case's lock for ``task`` (``import``) while the block runs; refuse at once,
        with a :class:`CaseError`, when another process holds it.

        An import allocates row ids in its own process (for speed), so two imports into one case
        at the same time would collide. The lock is the operating system's: a lock file in the case
        folder (SQLite), or a PostgreSQL session advisory lock on the case's database (a team's
        database may be reached from several case folders). Either is released when its holder
        ends, however it ends: a crashed import leaves no stale lock behind.
        """
        if self.engine.dialect.name == "postgresql":
            key = zlib.crc32(f"veilleur:{task}".encode())
            with self.engine.connect() as conn:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                conn.commit()
                if not got:
                    raise CaseError(
                        f"another {task} into this case is running (PostgreSQL advisory lock {key} is held); "
                        f"one {task} at a time: wait for it to finish",
                        file=str(self.root),
                    )
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
            return
        path = self.root / f".{task}.lock"
        lock = FileLock(path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise CaseError(
                f"another {task} into this case is running (it holds {path.name}); "
                f"one {task} at a time: wait for it to finish",
                file=str(self.root),
            ) from None
        try:
            yield
        finally:
            lock.release()

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _sqlite_url(root: Path) -> str:
    return f"sqlite:///{(root / SQLITE_NAME).resolve()}"


def init_case(
    root: Path, *, name: str | None = None, database_url: str | None = None, operator: str | None = None
) -> Case:
    """Create a case folder and its database schema. Refuses to reuse an existing case."""
    if (root / CASE_FILE).exists():
        raise CaseError("a case already exists here", file=str(root))
    root.mkdir(parents=True, exist_ok=True)
    settings = {"name": name or root.resolve().name, "database_url": database_url}
    case = Case(root, str(settings["name"]), database_url or _sqlite_url(root))
    upgrade(case.engine)
    operator = operator or default_operator()
    with case.engine.begin() as conn:
        conn.execute(
            insert(case_meta),
            [
                {"key": "name", "value": case.name},
                {"key": "created_by", "value": operator},
            ],
        )
        # The creator leads the case: one person's case works without ceremony.
        conn.execute(
            insert(case_members),
            {"user_name": operator, "role": "lead", "added_by": operator, "added_at": now_iso()},
        )
        created = record(
            conn,
            "case.init",
            operator=operator,
            subject=case.name,
            details={"database": case.engine.dialect.name},
        )
    (root / CASE_FILE).write_bytes(orjson.dumps(settings, option=orjson.OPT_INDENT_2))
    witness(case, created)
    return case


def _read_case(root: Path) -> Case:
    path = root / CASE_FILE
    if not path.exists():
        raise CaseError(
            f"no case here (no {CASE_FILE}); create one with 'veilleur case init'", file=str(root)
        )
    try:
        settings = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise CaseError(f"unreadable case settings: {e}", file=str(path)) from e
    return Case(root, settings.get("name") or root.name, settings.get("database_url") or _sqlite_url(root))


def schema_state(case: Case) -> tuple[str | None, str | None, str]:
    """``(found, expected, state)`` of the case's schema: ``current``, ``older`` (run ``veilleur case
    upgrade``) or ``newer`` (made by a newer Veilleur: this one must not touch it)."""
    found, expected = current_revision(case.engine), head_revision()
    if found == expected:
        return found, expected, "current"
    if found is None or found in known_revisions():
        return found, expected, "older"
    return found, expected, "newer"


def open_case(root: Path) -> Case:
    """Open an existing case as it is. Opening never changes a case: a schema older than this
    Veilleur's is an error that says to run ``veilleur case upgrade`` (an audited action), and a
    newer one is refused. So many processes (web workers, a command line beside them) may open one
    case at once without racing to migrate it."""
    case = _read_case(root)
    found, expected, state = schema_state(case)
    if state == "older":
        case.close()
        raise CaseError(
            f"this case's schema is at revision {found}, this Veilleur works on {expected}: "
            "back the case up, then run 'veilleur case upgrade'",
            file=str(root),
        )
    if state == "newer":
        case.close()
        raise CaseError(
            f"this case was written by a newer Veilleur (schema revision {found}; this one knows up to "
            f"{expected}): use that version, never an older one, on it",
            file=str(root),
        )
    return case


def upgrade_case(root: Path, *, operator: str) -> tuple[str | None, str | None]:
    """Bring a case's schema to this Veilleur's revision and log it (``case.upgrade``) with the
    revisions before and after; return them. Refuses a newer case. Who may upgrade is the
    application layer's question (:func:`veilleur.app.case_upgrade`)."""
    case = _read_case(root)
    try:
        found, expected, state = schema_state(case)
        if state == "newer":
            raise CaseError(
                f"schema revision {found} is newer than this Veilleur's {expected}", file=str(root)
            )
        if state == "current":
            return found, expected
        upgrade(case.engine)
        with case.engine.begin() as conn:
            where = record(conn, "case.upgrade", operator=operator, details={"from": found, "to": expected})
        witness(case, where)
        return found, expected
    finally:
        case.close()
