"""Importing a records file: lawful returns, identity records or person attributes.

In one transaction, for a file of one kind (:data:`~veilleur.records.schemas.KINDS`):

* the file is hashed (SHA-256); a file already imported as this kind (same SHA-256) changes
  nothing, and the earlier import's report is returned with status ``unchanged``;
* the file is registered as evidence (kind ``file``): these records are evidence, and every
  stored row keeps its place in it (``line N`` / ``item N``);
* a ``record_imports`` row is written, then every row is read, checked and normalised
  (:mod:`veilleur.records.readers`) and written in batches: returns to ``account_identifiers``
  (the account, ``telegram:user:<id>``, created if the case has none), identity records to
  ``identity_records`` and attributes to ``person_attributes`` (the person, by the records' own
  identifier, created in ``persons`` if new);
* a ``records.import`` audit entry records the kind, format, row counts and the file's SHA-256,
  never a personal value; it is witnessed after the commit.

The first bad row raises :class:`~veilleur.records.readers.RecordError` (file, line or item,
field); the transaction is rolled back, so nothing of that file is stored, not even its evidence
registration.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.custody.evidence import register_path
from veilleur.custody.seal import records_seal
from veilleur.digests import read_input_file
from veilleur.errors import BadInput
from veilleur.records import normalise as norm
from veilleur.records.readers import RecordError, Row, detect_format, read_rows
from veilleur.records.schemas import FORMATS, KINDS, RecordKind
from veilleur.store.bulk import insert_rows
from veilleur.store.schema import (
    account_identifiers,
    accounts,
    evidence,
    identity_records,
    person_attributes,
    persons,
    record_imports,
)
from veilleur.timefmt import now_iso

BATCH = 5000
"""Rows written at once: the most held in memory."""
HEAD = 4096

_IDENTIFIER_COLUMNS = ("import_id", "account_id", "kind", "value", "port", "first_utc", "last_utc", "place")
_IDENTITY_COLUMNS = (
    "import_id",
    "person_id",
    "first_name",
    "last_name",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
    "departement",
    "court",
    "phones",
    "emails",
    "place",
)
_ATTRIBUTE_COLUMNS = ("import_id", "person_id", "kind", "value", "detail", "source", "observed_utc", "place")


def account_key(peer_id: int) -> str:
    """The case's key of a Telegram user account."""
    return f"telegram:user:{peer_id}"


@dataclass
class RecordImportReport:
    """What an import did, in counts (and the keys of accounts it had to create)."""

    import_id: int
    evidence_id: int
    kind: str
    format: str
    status: str  # imported | unchanged
    file: str
    file_sha256: str
    source: str | None = None
    region: str = norm.DEFAULT_REGION
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    """returns: rows per identifier kind; attributes: rows per attribute kind; identity: phones,
    emails and rows with a date of birth."""
    accounts: int = 0
    """Distinct accounts the returns are about."""
    accounts_created: list[str] = field(default_factory=list)
    """Keys of the accounts the case did not hold, created for these returns."""
    persons: int = 0
    persons_created: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def audit_details(self) -> dict[str, Any]:
        """The audit entry's details: counts, ids and the file's SHA-256; no personal value."""
        return {
            "import_id": self.import_id,
            "evidence_id": self.evidence_id,
            "kind": self.kind,
            "format": self.format,
            "file_sha256": self.file_sha256,
            "source": self.source,
            "rows": self.rows,
            "counts": self.counts,
            "accounts": self.accounts,
            "accounts_created": len(self.accounts_created),
            "persons": self.persons,
            "persons_created": self.persons_created,
        }


def import_records(
    case: Case,
    path: Path | str,
    *,
    kind: str,
    operator: str,
    source: str | None = None,
    format: str | None = None,
    region: str = norm.DEFAULT_REGION,
) -> RecordImportReport:
    """Import the records file at ``path`` as records of ``kind`` (returns, identity, attributes).

    ``source`` says who provided the file ("Telegram LE portal", "Orange réquisition 2026-114").
    ``format`` (``csv`` or ``json``) skips detection by file name and first byte. ``region`` is
    the default region of phone numbers written without a country code.
    """
    if kind not in KINDS:
        raise BadInput(f"unknown record kind {kind!r} (known: {', '.join(KINDS)})")
    if format is not None and format not in FORMATS:
        raise BadInput(f"unknown records format {format!r} (known: {', '.join(FORMATS)})")
    try:
        region = norm.region(region)
    except norm.Invalid as e:
        raise BadInput(str(e)) from None
    if source is not None:
        source = source.strip() or None
    path = Path(path)
    shown = str(path)
    read = read_input_file(path, head=HEAD)
    digest, size, head = read.sha256, read.size, read.head
    if size == 0:
        raise BadInput("empty file: no records in it", file=shown, place="line 1")
    fmt = format or detect_format(head, path.name)
    rkind: RecordKind = kind
    with case.engine.begin() as conn:
        prior = _prior_import(conn, digest, rkind)
        if prior is not None:
            return prior
        ev = register_path(conn, path, kind="file", operator=operator)
        if ev.sha256 != digest:
            raise BadInput("the file changed while it was being imported; import it again", file=shown)
        import_id = int(
            conn.execute(
                insert(record_imports).values(
                    evidence_id=ev.id,
                    kind=rkind,
                    format=fmt,
                    source=source,
                    imported_at=now_iso(),
                    operator=operator,
                    n_rows=0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        report = RecordImportReport(
            import_id=import_id,
            evidence_id=ev.id,
            kind=rkind,
            format=fmt,
            status="imported",
            file=str(path.resolve()),
            file_sha256=digest,
            source=source,
            region=region,
        )
        job = _Import(conn, report)
        with path.open("rb") as stream:
            for row in read_rows(stream, kind=rkind, format=fmt, name=shown, region=region):
                job.add(row)
        job.flush()
        if report.rows == 0:
            raise RecordError("no records in the file; nothing imported", file=shown, place="line 1")
        read.check_unchanged()
        job.settle()
        conn.execute(
            update(record_imports)
            .where(record_imports.c.id == import_id)
            .values(n_rows=report.rows, report=orjson.dumps(report.to_dict()).decode())
        )
        details = report.audit_details() | {"seal": records_seal(conn, import_id, ev.id)}
        where = record(conn, "records.import", operator=operator, subject=rkind, details=details)
    witness(case, where)
    return report


def _prior_import(conn: Connection, digest: str, kind: RecordKind) -> RecordImportReport | None:
    row = conn.execute(
        select(record_imports, evidence.c.sha256, evidence.c.original_path)
        .join(evidence, evidence.c.id == record_imports.c.evidence_id)
        .where(evidence.c.sha256 == digest, record_imports.c.kind == kind)
        .order_by(record_imports.c.id)
    ).first()
    if row is None:
        return None
    stored: dict[str, Any] = orjson.loads(row.report) if row.report else {}
    known = set(RecordImportReport.__dataclass_fields__)
    stored = {k: v for k, v in stored.items() if k in known}
    stored.update(
        import_id=row.id,
        evidence_id=row.evidence_id,
        kind=row.kind,
        format=row.format,
        file=row.original_path,
        file_sha256=row.sha256,
        status="unchanged",
    )
    stored.setdefault("rows", row.n_rows)
    return RecordImportReport(**stored)


class _Import:
    """Writes the rows of one import in batches, resolving accounts and persons as it goes."""

    def __init__(self, conn: Connection, report: RecordImportReport) -> None:
        self.conn = conn
        self.report = report
        self.pending: list[tuple[Any, ...]] = []
        self.counts: Counter[str] = Counter()
        self.account_ids: dict[int, int] = {}  # peer id -> accounts.id
        self.person_ids: dict[str, int] = {}  # persons.key -> persons.id

    def add(self, row: Row) -> None:
        v = row.values
        r = self.report
        kind = r.kind
        if kind == "returns":
            self.counts[v["kind"]] += 1
            self.pending.append(
                (
                    r.import_id,
                    self._account(v["account"]),
                    v["kind"],
                    v["value"],
                    v.get("port"),
                    v.get("first_seen"),
                    v.get("last_seen"),
                    row.place,
                )
            )
        elif kind == "identity":
            phones, emails = v.get("phones"), v.get("emails")
            self.counts["phones"] += len(phones or ())
            self.counts["emails"] += len(emails or ())
            self.counts["with_birth_date"] += "birth_date" in v
            self.pending.append(
                (
                    r.import_id,
                    self._person(v["person"]),
                    v.get("first_name"),
                    v.get("last_name"),
                    v.get("birth_date"),
                    v.get("address"),
                    v.get("postcode"),
                    v.get("city"),
                    v.get("country"),
                    v.get("departement"),
                    v.get("court"),
                    orjson.dumps(phones).decode() if phones else None,
                    orjson.dumps(emails).decode() if emails else None,
                    row.place,
                )
            )
        else:
            self.counts[v["kind"]] += 1
            detail = attribute_detail(v)
            if detail.get("sexual_offence_against_minor"):
                self.counts["sexual_offence_against_minor"] += 1
            self.pending.append(
                (
                    r.import_id,
                    self._person(v["person"]),
                    v["kind"],
                    v["value"],
                    orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode() if detail else None,
                    v["source"],
                    v.get("observed"),
                    row.place,
                )
            )
        r.rows += 1
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        table, cols = {
            "returns": (account_identifiers, _IDENTIFIER_COLUMNS),
            "identity": (identity_records, _IDENTITY_COLUMNS),
            "attributes": (person_attributes, _ATTRIBUTE_COLUMNS),
        }[self.report.kind]
        insert_rows(self.conn, table, cols, rows)

    def settle(self) -> None:
        r = self.report
        r.counts = dict(sorted(self.counts.items()))
        r.accounts = len(self.account_ids)
        r.persons = len(self.person_ids)
        r.accounts_created.sort()

    def _account(self, peer_id: int) -> int:
        found = self.account_ids.get(peer_id)
        if found is not None:
            return found
        key = account_key(peer_id)
        found = self.conn.execute(select(accounts.c.id).where(accounts.c.key == key)).scalar()
        if found is None:
            found = self.conn.execute(
                insert(accounts).values(
                    key=key,
                    platform="telegram",
                    kind="user",
                    peer_id=peer_id,
                    identity="platform_id",
                    deleted_seen=False,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            self.report.accounts_created.append(key)
        self.account_ids[peer_id] = int(found)
        return int(found)

    def _person(self, key: str) -> int:
        found = self.person_ids.get(key)
        if found is not None:
            return found
        found = self.conn.execute(select(persons.c.id).where(persons.c.key == key)).scalar()
        if found is None:
            found = self.conn.execute(
                insert(persons).values(key=key, created_at=now_iso())
            ).inserted_primary_key[0]  # type: ignore[index]
            self.report.persons_created += 1
        self.person_ids[key] = int(found)
        return int(found)


def attribute_detail(values: dict[str, Any]) -> dict[str, Any]:
    """The structured extras of an attribute row, as stored in ``person_attributes.detail``.

    criminal_record: ``offence_types`` (vocabulary codes, or the words as stated when they name
    no code), ``offence_types_as_stated``, ``unrecognised_offence_types`` (when any), and
    ``sexual_offence_against_minor`` (stated, or implied by an offence type). profession:
    ``contact_with_children`` when stated.
    """
    detail: dict[str, Any] = {}
    if values["kind"] == "criminal_record":
        stated = values.get("offence_types") or []
        codes: list[str] = []
        unrecognised: list[str] = []
        minor = bool(values.get("sexual_offence_against_minor"))
        for term in stated:
            o = norm.offence_type(term)
            if o is None:
                unrecognised.append(term)
                codes.append(term)
            else:
                codes.append(o.code)
                minor = minor or o.against_minor_sexual
        if stated:
            detail["offence_types"] = list(dict.fromkeys(codes))
            detail["offence_types_as_stated"] = stated
        if unrecognised:
            detail["unrecognised_offence_types"] = unrecognised
        detail["sexual_offence_against_minor"] = minor
    elif values["kind"] == "profession" and "contact_with_children" in values:
        detail["contact_with_children"] = values["contact_with_children"]
    return detail
