"""What the case holds of records, in counts: per import and per kind. Never a personal value."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from veilleur.store.schema import (
    account_identifiers,
    evidence,
    identity_records,
    person_attributes,
    persons,
    record_imports,
)


def records_summary(conn: Connection) -> dict[str, Any]:
    """Each import (kind, format, source, who, when, rows, counts, file SHA-256) and totals per kind."""
    imports = [
        {
            "import_id": r.id,
            "kind": r.kind,
            "format": r.format,
            "source": r.source,
            "imported_at": r.imported_at,
            "operator": r.operator,
            "rows": r.n_rows,
            "evidence_id": r.evidence_id,
            "file_sha256": r.sha256,
            "counts": (orjson.loads(r.report) or {}).get("counts", {}) if r.report else {},
        }
        for r in conn.execute(
            select(record_imports, evidence.c.sha256)
            .join(evidence, evidence.c.id == record_imports.c.evidence_id)
            .order_by(record_imports.c.id)
        )
    ]
    a = account_identifiers
    by_kind = {
        k: int(n)
        for k, n in conn.execute(select(a.c.kind, func.count()).group_by(a.c.kind).order_by(a.c.kind))
    }
    attr_kinds = {
        k: int(n)
        for k, n in conn.execute(
            select(person_attributes.c.kind, func.count())
            .group_by(person_attributes.c.kind)
            .order_by(person_attributes.c.kind)
        )
    }

    def count(*what: Any) -> int:
        return int(conn.execute(select(*what)).scalar() or 0)

    return {
        "imports": imports,
        "returns": {
            "identifiers": sum(by_kind.values()),
            "by_kind": by_kind,
            "accounts": count(func.count(func.distinct(a.c.account_id))),
        },
        "identity": {
            "records": count(func.count(identity_records.c.id)),
            "persons": count(func.count(func.distinct(identity_records.c.person_id))),
        },
        "attributes": {
            "records": sum(attr_kinds.values()),
            "by_kind": attr_kinds,
            "persons": count(func.count(func.distinct(person_attributes.c.person_id))),
        },
        "persons": count(func.count(persons.c.id)),
    }
