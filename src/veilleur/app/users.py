"""The people of an installation and of each case: users (installation-wide) and members (per case).

An *installation* is a folder (``VEILLEUR_HOME``, default ``~/.local/share/veilleur``) whose store
holds the users: a name, a display name, whether they administer the installation (credentials
arrive with the web application). A case's *members* and their roles are kept in the case itself
(``case_members``), so that its access list travels with it and every change is in its audit log.

The first user of an installation is its administrator, so that a new installation can be set up
without a back door. Administering the installation gives no access to any case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    select,
    update,
)

from veilleur.errors import NotFound, VeilleurError
from veilleur.store.engine import make_engine
from veilleur.timefmt import now_iso

__all__ = ["METADATA", "Installation", "User", "installation_home", "open_installation"]

INSTALLATION_FILE = "installation.sqlite"

METADATA = MetaData()
"""The installation store's tables: users here, credentials and sessions in :mod:`veilleur.app.accounts`."""

users = Table(
    "users",
    METADATA,
    Column("name", String(128), primary_key=True),
    Column("display_name", String(256), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)


@dataclass(frozen=True)
class User:
    """A user of the installation."""

    name: str
    display_name: str
    is_admin: bool
    disabled: bool
    created_at: str
    created_by: str


def _write_locks_first(engine: Engine) -> None:
    """Every transaction on the installation store takes SQLite's write lock when it begins.

    A web server signs in many users at once, each sign-in a small read-then-write transaction;
    begun deferred, two of them can each hold a read lock and wait for the other's to write
    ("database is locked" at once, whatever the timeout). Begun IMMEDIATE, they queue instead."""

    @event.listens_for(engine, "connect")
    def _manual(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver's own BEGIN is replaced by the one below
        dbapi_conn.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def installation_home() -> Path:
    """``VEILLEUR_HOME``, else ``$XDG_DATA_HOME/veilleur``, else ``~/.local/share/veilleur``."""
    if os.environ.get("VEILLEUR_HOME"):
        return Path(os.environ["VEILLEUR_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "veilleur"


class Installation:
    """The installation's user store (SQLite in its folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._engine: Engine | None = None
        self._reader: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._engine = make_engine(f"sqlite:///{(self.root / INSTALLATION_FILE).resolve()}")
            _write_locks_first(self._engine)
            import veilleur.app.accounts  # noqa: F401  (its tables are part of the store)

            METADATA.create_all(self._engine)  # tables created once; nothing to migrate yet
        return self._engine

    @property
    def reader(self) -> Engine:
        """An engine for reads only: its transactions begin deferred, so readers do not queue for
        the write lock that every transaction of :attr:`engine` takes (WAL lets them run beside a
        writer)."""
        if self._reader is None:
            self.engine  # noqa: B018  (creates the store and its tables first)
            self._reader = make_engine(f"sqlite:///{(self.root / INSTALLATION_FILE).resolve()}")
        return self._reader

    def close(self) -> None:
        for e in (self._engine, self._reader):
            if e is not None:
                e.dispose()
        self._engine = self._reader = None

    def user(self, name: str, conn: Connection | None = None) -> User | None:
        """The user ``name``; ``conn``: inside a transaction already open on the store (a second
        connection would wait for that transaction's lock)."""
        if conn is not None:
            r = conn.execute(select(users).where(users.c.name == name)).first()
        else:
            with self.reader.connect() as own:
                r = own.execute(select(users).where(users.c.name == name)).first()
        return None if r is None else User(**r._mapping)

    def users(self) -> list[User]:
        with self.reader.connect() as conn:
            return [User(**r._mapping) for r in conn.execute(select(users).order_by(users.c.name))]

    def is_admin(self, name: str, conn: Connection | None = None) -> bool:
        u = self.user(name, conn)
        return u is not None and u.is_admin and not u.disabled

    def add(self, name: str, *, display_name: str | None, admin: bool, by: str) -> User:
        """Add a user. The installation's first user is made its administrator."""
        name = name.strip()
        if not name or len(name) > 128 or any(c.isspace() or not c.isprintable() for c in name):
            raise VeilleurError(f"a user name is 1 to 128 printable characters without spaces, not {name!r}")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first() is not None:
                raise VeilleurError(f"user {name!r} exists already")
            first = not conn.execute(select(func.count()).select_from(users)).scalar()
            conn.execute(
                insert(users),
                {
                    "name": name,
                    "display_name": display_name or name,
                    "is_admin": admin or first,
                    "disabled": False,
                    "created_at": now_iso(),
                    "created_by": by,
                },
            )
        got = self.user(name)
        assert got is not None
        return got

    def ensure(self, name: str, *, by: str) -> User:
        """The user ``name``, added if the installation does not know them yet."""
        return self.user(name) or self.add(name, display_name=None, admin=False, by=by)

    def set_disabled(self, name: str, disabled: bool) -> User:
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(disabled=disabled)).rowcount
        if not done:
            raise NotFound(f"no user {name!r} in this installation")
        got = self.user(name)
        assert got is not None
        return got


def open_installation(root: Path | None = None) -> Installation:
    return Installation(root or installation_home())
