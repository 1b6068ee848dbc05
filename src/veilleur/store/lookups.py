"""Small lookups many analyses need, done one way: chunked ``IN`` queries and account keys.

SQLite limits the variables of one statement (999 in older builds), and very long ``IN`` lists
plan badly on PostgreSQL, so sets of ids are looked up ``CHUNK`` at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Connection, select

from veilleur.store.schema import accounts

__all__ = ["CHUNK", "account_keys", "accounts_by_key", "chunks"]

CHUNK = 900
_T = TypeVar("_T")


def chunks(values: Iterable[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    """``values`` (de-duplicated, sorted) in slices of at most ``size``."""
    wanted = sorted(set(values))  # type: ignore[type-var]
    for i in range(0, len(wanted), size):
        yield wanted[i : i + size]


def account_keys(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """Account id → key (``telegram:user:123``) for ``ids``."""
    out: dict[int, str] = {}
    for part in chunks(ids):
        out.update(conn.execute(select(accounts.c.id, accounts.c.key).where(accounts.c.id.in_(part))).all())
    return out


def accounts_by_key(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Account key → id for those of ``keys`` the case holds."""
    out: dict[str, int] = {}
    for part in chunks(keys):
        out.update(conn.execute(select(accounts.c.key, accounts.c.id).where(accounts.c.key.in_(part))).all())
    return out
