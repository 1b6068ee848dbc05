"""Scratch PostgreSQL databases for tests: made on the server, dropped afterwards, whatever happens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest


@contextmanager
def scratch_database(admin: str) -> Iterator[str]:
    """A new database on the server ``admin`` reaches; its SQLAlchemy URL. Dropped on exit (with
    FORCE: a test that failed may still hold connections)."""
    name = f"veilleur_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{admin.rsplit('/', 1)[0].split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def backend_url(request: pytest.FixtureRequest, backend: str) -> Iterator[str | None]:
    """None for the embedded SQLite default, else a scratch PostgreSQL database's URL."""
    if backend == "sqlite":
        yield None
        return
    with scratch_database(str(request.getfixturevalue("pg_admin"))) as url:
        yield url
