"""Where an account is likely to be, for routing its dossier to the right office, and on what basis.

Coordinated action sends each suspect's file to the prosecutor's office or court for where they
live. A case rarely states that outright; it holds traces, of unequal weight, tried in order:

1. **identity records** of the person linked to the account (address, département, court) — the
   strongest; they arrive with lawful returns and identity resolution;
2. **sessions** of the account's own full-account export: the region and country Telegram
   recorded for its most recently active session.

The first source that says something wins, and the result carries its basis; an account with no
trace goes to an "unknown" package rather than being guessed into one. Sources are small
functions (:data:`SOURCES`), so a new kind of location data is one more function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, select

from veilleur.store.lookups import chunks
from veilleur.store.schema import exporter_records, identity_records

__all__ = ["SOURCES", "UNKNOWN", "Jurisdiction", "jurisdictions"]


@dataclass(frozen=True)
class Jurisdiction:
    label: str  # e.g. "Auvergne-Rhône-Alpes, France"
    basis: str  # why, with the record behind it


UNKNOWN = Jurisdiction("unknown", "no location data in the case for this account")

Source = Callable[[Connection, list[int]], dict[int, Jurisdiction]]


def _from_sessions(conn: Connection, account_ids: list[int]) -> dict[int, Jurisdiction]:
    best: dict[int, tuple[int, Jurisdiction]] = {}
    for part in chunks(account_ids):
        for owner, data, evidence_id, offset in conn.execute(
            select(
                exporter_records.c.exporter_account_id,
                exporter_records.c.data,
                exporter_records.c.evidence_id,
                exporter_records.c.byte_offset,
            ).where(
                exporter_records.c.section == "sessions",
                exporter_records.c.exporter_account_id.in_(part),
            )
        ):
            d = orjson.loads(data)
            region, country = d.get("last_region"), d.get("last_country")
            if not (region or country):
                continue
            when = int(d.get("last_active_unixtime") or 0)
            label = ", ".join(p for p in (region, country) if p)
            basis = (
                f"region of its most recently active session ({d.get('application_name') or 'app'}, "
                f"{d.get('last_active') or 'undated'}), evidence #{evidence_id} byte {offset}"
            )
            if owner not in best or when > best[owner][0]:
                best[owner] = (when, Jurisdiction(label, basis))
    return {a: j for a, (_, j) in best.items()}


def _from_identity(conn: Connection, account_ids: list[int]) -> dict[int, Jurisdiction]:
    from veilleur.linking import persons_of  # linking reads the store; imported when needed

    links = {a: p for a, p in persons_of(conn).items() if a in set(account_ids)}
    if not links:
        return {}
    out: dict[int, Jurisdiction] = {}
    by_person: dict[int, Jurisdiction] = {}
    for r in conn.execute(
        select(identity_records)
        .where(identity_records.c.person_id.in_(sorted({p.person_id for p in links.values()})))
        .order_by(identity_records.c.id)
    ):
        where = r.court or (f"département {r.departement}" if r.departement else None)
        if where and r.person_id not in by_person:
            by_person[r.person_id] = Jurisdiction(
                where, f"identity record #{r.id} ({r.place}) of the person it is linked to"
            )
    for a, p in links.items():
        j = by_person.get(p.person_id)
        if j is not None:
            out[a] = Jurisdiction(j.label, f"{j.basis} ({p.basis} link, {p.method})")
    return out


SOURCES: list[Source] = [_from_identity, _from_sessions]
"""Tried in order: the linked person's identity record first, then the account's own sessions."""


def jurisdictions(conn: Connection, account_ids: Iterable[int]) -> dict[int, Jurisdiction]:
    """The jurisdiction of each account, :data:`UNKNOWN` when the case holds no trace of one."""
    remaining = sorted(set(account_ids))
    out: dict[int, Jurisdiction] = {}
    for source in SOURCES:
        if not remaining:
            break
        found = source(conn, remaining)
        out.update(found)
        remaining = [a for a in remaining if a not in found]
    out.update({a: UNKNOWN for a in remaining})
    return out
