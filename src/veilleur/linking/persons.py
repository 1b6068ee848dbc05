"""Account → person links of a case: the case's records as model inputs, and each link's factors
with the records behind them.

What is read: the names observed for each account (``account_names``: display, profile and
contact-saved names; usernames), its identifiers (lawful returns in ``account_identifiers`` and
the phones full-account exports hold, :mod:`veilleur.records.identifiers`), and the identity
records of persons. What comes back is a list of factors per link: the prior, one factor per
comparison of the model (its level and weight: they sum to the match weight), the rules that
hold, and notes on the confidence, each factor citing its records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, select

from veilleur.linking.model import AccountInput, Inputs, PersonMatch, RecordInput, build_inputs
from veilleur.records.identifiers import AccountIdentifier, exporter_identifiers, return_identifiers
from veilleur.store.schema import account_names, identity_records, persons, record_imports

__all__ = ["CaseRecords", "factors_of", "read_case"]

NAME_KINDS = ("display_name", "profile_name", "contact_name")
MAX_RECORDS = 20
"""Records cited per factor at most (the rest are counted)."""


def identifier_citation(i: AccountIdentifier) -> dict[str, Any]:
    c = i.citation
    out: dict[str, Any] = {
        "table": "account_identifiers" if c.origin == "return" else "exporter_records",
        "id": c.row_id,
        "account_id": i.account_id,
        "kind": i.kind,
        "value": i.value,
        "evidence_id": c.evidence_id,
        "place": c.place,
        "import_id": c.import_id,
    }
    if i.port is not None:
        out["port"] = i.port
    if c.byte_offset is not None:
        out["byte_offset"] = c.byte_offset
    if i.first_utc is not None or i.last_utc is not None:
        out["first_utc"], out["last_utc"] = i.first_utc, i.last_utc
    return out


@dataclass
class CaseRecords:
    """What the case holds for linking, with a citation for every value."""

    inputs: Inputs
    name_refs: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    username_refs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    identifier_refs: dict[tuple[int, str], dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    """(account, kind) → value → citations."""
    record_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    person_keys: dict[int, str] = field(default_factory=dict)
    identifiers: list[AccountIdentifier] = field(default_factory=list)

    def identifier_records(
        self, account_id: int, kind: str, values: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """Citations of the account's identifiers of ``kind`` (those of ``values`` only, if given)."""
        held = self.identifier_refs.get((account_id, kind), {})
        wanted = held if values is None else values
        return [r for v in wanted for r in held.get(v, [])]


def case_identifiers(conn: Connection) -> list[AccountIdentifier]:
    """Identifiers from returns and from full-account exports, normalised ones only, tied to an account."""
    found = return_identifiers(conn) + exporter_identifiers(conn)
    return [i for i in found if i.account_id is not None and i.normalised]


def read_case(conn: Connection) -> CaseRecords:
    identifiers = case_identifiers(conn)
    identifier_refs: dict[tuple[int, str], dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    phones: dict[int, set[str]] = defaultdict(set)
    emails: dict[int, set[str]] = defaultdict(set)
    for i in identifiers:
        assert i.account_id is not None
        if i.kind == "phone":
            phones[i.account_id].add(i.value)
        elif i.kind == "email":
            emails[i.account_id].add(i.value)
        else:
            continue
        identifier_refs[(i.account_id, i.kind)].setdefault(i.value, []).append(identifier_citation(i))

    n = account_names
    names: dict[int, set[str]] = defaultdict(set)
    usernames: dict[int, set[str]] = defaultdict(set)
    name_refs: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    username_refs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(
        select(n).where(n.c.name_kind.in_([*NAME_KINDS, "username"])).order_by(n.c.account_id, n.c.import_id)
    ):
        ref = {
            "table": "account_names",
            "account_id": r.account_id,
            "name_kind": r.name_kind,
            "value": r.value,
            "import_id": r.import_id,
            "evidence_id": r.evidence_id,
            "byte_offset": r.first_byte_offset,
            "first_seen_utc": r.first_seen_utc,
            "last_seen_utc": r.last_seen_utc,
        }
        if r.name_kind == "username":
            usernames[r.account_id].add(r.value)
            username_refs[r.account_id].append(ref)
        else:
            names[r.account_id].add(r.value)
            name_refs[(r.account_id, r.value)].append(ref)

    account_ids = sorted(set(names) | set(usernames) | set(phones) | set(emails))
    accounts_in = (
        AccountInput(
            a,
            names=tuple(sorted(names.get(a, ()))),
            usernames=tuple(sorted(usernames.get(a, ()))),
            phones=tuple(sorted(phones.get(a, ()))),
            emails=tuple(sorted(emails.get(a, ()))),
        )
        for a in account_ids
    )

    ir = identity_records
    person_keys = dict(conn.execute(select(persons.c.id, persons.c.key)).all())
    record_refs: dict[int, dict[str, Any]] = {}
    records_in: list[RecordInput] = []
    for r in conn.execute(
        select(ir, record_imports.c.evidence_id)
        .join(record_imports, record_imports.c.id == ir.c.import_id)
        .order_by(ir.c.id)
    ):
        record_refs[r.id] = {
            "table": "identity_records",
            "id": r.id,
            "person": person_keys.get(r.person_id),
            "place": r.place,
            "import_id": r.import_id,
            "evidence_id": r.evidence_id,
        }
        records_in.append(
            RecordInput(
                r.id,
                r.person_id,
                first_name=r.first_name,
                last_name=r.last_name,
                birth_date=r.birth_date,
                phones=tuple(_json_list(r.phones)),
                emails=tuple(_json_list(r.emails)),
            )
        )
    return CaseRecords(
        inputs=build_inputs(accounts_in, records_in),
        name_refs=dict(name_refs),
        username_refs=dict(username_refs),
        identifier_refs=dict(identifier_refs),
        record_refs=record_refs,
        person_keys=person_keys,
        identifiers=identifiers,
    )


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _cap(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(records) <= MAX_RECORDS:
        return records
    return [*records[:MAX_RECORDS], {"more": len(records) - MAX_RECORDS}]


def _odds(prior: float) -> str:
    return f"1 in {1 / prior:,.0f}" if prior < 0.5 else f"{prior:.0%}"


def factors_of(match: PersonMatch, case: CaseRecords, prior: float) -> list[dict[str, Any]]:
    """The factors of a link, in reading order: rules, prior, the model's comparisons, notes.

    Weighed factors (prior and comparisons) sum to the candidate's match weight; rules and
    notes carry ``weight: null`` (a rule decides, it is not weighed)."""
    out: list[dict[str, Any]] = []
    a = match.account_id
    for hit in match.rules:
        out.append(
            {
                "name": f"rule:{hit.kind}",
                "value": f"same {'phone number' if hit.kind == 'phone' else 'e-mail address'} {hit.value}"
                + (f" (held by {hit.persons_sharing} persons)" if hit.persons_sharing > 1 else ""),
                "weight": None,
                "records": _cap(
                    case.identifier_records(a, hit.kind, [hit.value])
                    + [case.record_refs[r] for r in hit.record_ids if r in case.record_refs]
                ),
            }
        )
    score = match.score
    if score is not None:
        record = [case.record_refs[score.record_id]] if score.record_id in case.record_refs else []
        variant = case.inputs.variants.get(score.left_uid)
        out.append(
            {
                "name": "prior",
                "value": f"before any comparison, {_odds(prior)} pairs of an account and a person match",
                "weight": score.prior_weight,
                "records": [],
            }
        )
        for level in score.levels:
            if level.comparison == "name":
                refs = [
                    r for raw in (variant.raw if variant else ()) for r in case.name_refs.get((a, raw), [])
                ]
            elif level.comparison in ("username", "birth_year"):
                refs = list(case.username_refs.get(a, []))
                if level.comparison == "birth_year":
                    refs += case.identifier_records(a, "email")
            elif level.comparison == "phone":
                refs = case.identifier_records(a, "phone")
            elif level.comparison == "email":
                refs = case.identifier_records(a, "email")
            else:  # pragma: no cover - every comparison is listed above
                refs = []
            out.append(
                {
                    "name": level.comparison,
                    "value": level.label,
                    "weight": level.weight,
                    "compared": {"account": level.account_value, "record": level.record_value},
                    "records": _cap(refs + record),
                }
            )
    for note in match.notes:
        out.append({"name": "confidence", "value": note, "weight": None, "records": []})
    return out
