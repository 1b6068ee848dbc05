"""Fast multi-row writes, one function for both backends.

Imports write millions of rows; SQLAlchemy's per-row machinery would dominate. Rows are plain
tuples in a stated column order: SQLite gets one ``executemany`` of a prepared statement,
PostgreSQL gets ``COPY … FROM STDIN`` (or ``executemany`` when conflicts must be ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the current transaction."""
    if not rows:
        return
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        if not ignore_conflicts:
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table.name} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    else:
        marks = ", ".join(["?"] * len(columns))
        verb = "INSERT OR IGNORE" if ignore_conflicts else "INSERT"
        sql = f"{verb} INTO {table.name} ({cols}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(rows))


def sync_sequences(conn: Connection, *tables: Table) -> None:
    """After rows were written with explicit ids, move PostgreSQL's id sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {t.name}), 0) + 1, false)"
        )


def update_rows(
    conn: Connection,
    table: Table,
    set_columns: Sequence[str],
    key_columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Update many rows at once; each row is ``(*set values, *key values)``."""
    if not rows:
        return
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sets = ", ".join(f'"{c}" = {mark}' for c in set_columns)
    keys = " AND ".join(f'"{c}" = {mark}' for c in key_columns)
    conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {keys}", list(rows))
