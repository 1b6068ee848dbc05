"""Shared fixtures: every store test runs against real SQLite and real PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (user ``postgres``, trust auth), or the one named by
``VEILLEUR_TEST_PG`` (a libpq URL to an admin database). Each test gets a database of its own,
created and dropped here. When the server cannot be reached the PostgreSQL variants are skipped,
except under CI (``CI`` set), where that is a failure: CI must run both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from veilleur.case import Case, init_case

PG_ADMIN = os.environ.get("VEILLEUR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return str(e)


@pytest.fixture(autouse=True, scope="session")
def _installation_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The installation's user store in a folder of the test run, never the tester's own."""
    saved = os.environ.get("VEILLEUR_HOME")
    os.environ["VEILLEUR_HOME"] = str(tmp_path_factory.mktemp("veilleur-home"))
    yield
    if saved is None:
        os.environ.pop("VEILLEUR_HOME", None)
    else:
        os.environ["VEILLEUR_HOME"] = saved


def add_member(case: Case, user: str, role: str = "analyst") -> None:
    """Make ``user`` a member of ``case`` with ``role``, as set-up of a test about something else:
    written straight into ``case_members``, so that the audit log's numbering the test checks is
    that of what it tests (the audited way, ``veilleur.app.set_member``, is tested in test_app)."""
    from sqlalchemy import insert, select

    from veilleur.store.schema import case_members

    with case.engine.begin() as conn:
        if conn.execute(select(case_members.c.role).where(case_members.c.user_name == user)).first():
            return
        conn.execute(
            insert(case_members),
            {"user_name": user, "role": role, "added_by": "test set-up", "added_at": "2026-01-01T00:00:00Z"},
        )


@pytest.fixture(scope="session")
def pg_admin() -> str:
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI and unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return PG_ADMIN


@pytest.fixture
def pg_url(pg_admin: str) -> Iterator[str]:
    with scratch_database(pg_admin) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str | None:
    """``None`` for the embedded SQLite default, else a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def case(tmp_path: Path, db_url: str | None) -> Iterator[Case]:
    c = init_case(tmp_path / "case", name="test case", database_url=db_url, operator="tester")
    try:
        yield c
    finally:
        c.close()


# The demo case imported, hashed and matched, once per backend per session (tests/matched_demo.py).
from matched_demo import demo_dir, matched  # noqa: E402, F401
from pgdb import scratch_database  # noqa: E402
from team_case import team  # noqa: E402, F401
