"""Opening a case database and bringing its schema to the current version.

SQLite is the embedded default (one file in the case folder); PostgreSQL is used when a case is
created with a URL. The schema is owned by Alembic migrations in ``migrations/versions``; the same
migrations run on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (a report, the web UI later) run during an import; NORMAL sync is
    # durable at each commit boundary under WAL, which is where import checkpoints are.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-16384")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for a case database URL (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    """Every revision this Veilleur's migrations define (a case at another one is newer)."""
    return {r.revision for r in ScriptDirectory.from_config(_config()).walk_revisions()}


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
