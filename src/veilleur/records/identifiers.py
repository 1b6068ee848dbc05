"""Identifiers of accounts, wherever the case holds them, in one shape for the linker.

Two origins:

* **returns** (:func:`return_identifiers`): the rows of ``account_identifiers``, imported from
  lawful returns (:mod:`veilleur.records.importer`), already normalised;
* **exports** (:func:`exporter_identifiers`): what full-account exports already hold in
  ``exporter_records`` — the phone numbers of contacts (``contacts``) and of the exporting account
  (``personal_information``), and the last IP of each session (``sessions``, ``web_sessions``).
  They are read where they are, normalised the same way, never copied into
  ``account_identifiers``.

Each :class:`AccountIdentifier` cites where it comes from (:class:`Citation`): the evidence file
and the place in it, the import and the row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from veilleur.records import normalise as norm
from veilleur.store.schema import account_identifiers, accounts, exporter_records, record_imports

EXPORT_SECTIONS = {
    "contacts": "phone",
    "personal_information": "phone",
    "sessions": "ip",
    "web_sessions": "ip",
}
"""The exporter_records sections read, and the kind of identifier each gives."""


def with_port(value: str, port: int | None) -> str:
    """An identifier as an analyst writes it: an IP address with its source port, if any
    (``203.0.113.42:51234``, ``[2001:db8::1]:443``)."""
    if port is None:
        return value
    return f"[{value}]:{port}" if ":" in value else f"{value}:{port}"


@dataclass(frozen=True)
class Citation:
    """Where an identifier was read.

    ``origin`` ``return``: ``import_id`` is a ``record_imports`` id, ``row_id`` an
    ``account_identifiers`` id and ``place`` the row's ``line N`` / ``item N``. ``origin``
    ``export``: ``import_id`` is an ``imports`` id, ``row_id`` an ``exporter_records`` id,
    ``place`` the section and index (``contacts[3]``) and ``byte_offset`` where the section or
    record starts in the evidence file.
    """

    origin: str  # return | export
    evidence_id: int
    place: str
    import_id: int
    row_id: int
    byte_offset: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class AccountIdentifier:
    """A phone number (E.164), IP address (canonical) or e-mail address (lower-case) of an account.

    ``first_utc``/``last_utc``: when it was used or seen (a session's IP: its last activity;
    contact phones carry no time). ``account_id`` is None for a contact the export does not tie to
    an account. ``normalised`` is False when the value as stated could not be normalised (then
    ``value`` is the text as stated, trimmed); ``as_stated`` is the export's own text (None for
    returns, whose stored value is the normalised one: the citation leads to the original).
    """

    account_id: int | None
    account_key: str | None
    kind: str  # phone | ip | email
    value: str
    first_utc: int | None
    last_utc: int | None
    citation: Citation
    as_stated: str | None = None
    normalised: bool = True
    port: int | None = None
    """An IP address's source port, where the return gives one (carrier-grade NAT)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def return_identifiers(conn: Connection) -> list[AccountIdentifier]:
    """Every identifier imported from lawful returns, in import and row order."""
    a = account_identifiers
    rows = conn.execute(
        select(a, accounts.c.key.label("account_key"), record_imports.c.evidence_id)
        .join(accounts, accounts.c.id == a.c.account_id)
        .join(record_imports, record_imports.c.id == a.c.import_id)
        .order_by(a.c.id)
    )
    return [
        AccountIdentifier(
            account_id=r.account_id,
            account_key=r.account_key,
            kind=r.kind,
            value=r.value,
            first_utc=r.first_utc,
            last_utc=r.last_utc,
            citation=Citation("return", r.evidence_id, r.place, r.import_id, r.id),
            port=r.port,
        )
        for r in rows
    ]


def exporter_identifiers(conn: Connection, region: str = norm.DEFAULT_REGION) -> list[AccountIdentifier]:
    """Phones of contacts and of the exporting account, and session IPs, from full-account exports.

    A contact's phone belongs to the contact's account; the phone of ``personal_information``
    and the IPs of sessions to the exporting account. ``region`` reads phone numbers written
    without a country code (Telegram writes them with one).
    """
    e = exporter_records
    acc = accounts.alias("acc")
    exp = accounts.alias("exp")
    rows = conn.execute(
        select(
            e.c.id,
            e.c.import_id,
            e.c.evidence_id,
            e.c.section,
            e.c.idx,
            e.c.phone,
            e.c.ip,
            e.c.date_utc,
            e.c.data,
            e.c.byte_offset,
            e.c.account_id,
            e.c.exporter_account_id,
            acc.c.key.label("account_key"),
            exp.c.key.label("exporter_key"),
        )
        .join(acc, acc.c.id == e.c.account_id, isouter=True)
        .join(exp, exp.c.id == e.c.exporter_account_id, isouter=True)
        .where(e.c.section.in_(list(EXPORT_SECTIONS)))
        .where(e.c.phone.is_not(None) | e.c.ip.is_not(None))
        .order_by(e.c.id)
    )
    out: list[AccountIdentifier] = []
    for r in rows:
        kind = EXPORT_SECTIONS[r.section]
        stated = r.phone if kind == "phone" else r.ip
        if stated is None or not str(stated).strip():
            continue
        if r.section == "contacts":
            account_id, key = r.account_id, r.account_key
        else:
            account_id = r.account_id if r.account_id is not None else r.exporter_account_id
            key = r.account_key if r.account_id is not None else r.exporter_key
        try:
            value = norm.phone(stated, region) if kind == "phone" else norm.ip(stated)
            ok = True
        except norm.Invalid:
            value, ok = str(stated).strip(), False
        first = last = None
        if kind == "ip":
            first = last = r.date_utc if r.date_utc is not None else _last_active(r.data)
        out.append(
            AccountIdentifier(
                account_id=account_id,
                account_key=key,
                kind=kind,
                value=value,
                first_utc=first,
                last_utc=last,
                citation=Citation(
                    "export",
                    r.evidence_id,
                    f"{r.section}[{r.idx}]" if r.section != "personal_information" else r.section,
                    r.import_id,
                    r.id,
                    byte_offset=r.byte_offset,
                    section=r.section,
                ),
                as_stated=str(stated),
                normalised=ok,
            )
        )
    return out


def _last_active(data: str) -> int | None:
    try:
        value = orjson.loads(data).get("last_active_unixtime")
        return int(value) if value is not None else None
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return None
