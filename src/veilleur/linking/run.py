"""Linking runs and analyst decisions.

:func:`link_case` reads the case, links accounts to persons (:mod:`.model`) and accounts to
accounts (:mod:`.aliases`), and stores one ``link_runs`` row with every candidate in one
transaction, with a ``link`` audit entry. :func:`decide` records an analyst's decision on a pair
(``link_decisions``, never deleted; the latest on a pair is the one in force) with a
``link.decide`` audit entry. Every run respects the decisions in force when it writes: a rejected
pair is kept out of its candidates; a confirmed pair is always among them, with method
``analyst`` and whatever factors the run found for it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, update

from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.errors import VeilleurError
from veilleur.linking.aliases import find_aliases
from veilleur.linking.model import link_persons
from veilleur.linking.persons import factors_of, read_case
from veilleur.linking.settings import LinkSettings, parse_settings
from veilleur.store.bulk import insert_rows
from veilleur.store.lookups import account_keys
from veilleur.store.schema import link_candidates, link_decisions, link_runs, persons
from veilleur.timefmt import now_iso

__all__ = [
    "Decision",
    "LinkError",
    "LinkReport",
    "LinkView",
    "PersonLink",
    "current_links",
    "decide",
    "latest_run",
    "link_case",
    "person_of",
]

KINDS = ("account_person", "account_account")
DECISIONS = ("confirmed", "rejected")
Pair = tuple[str, int, int]  # (kind, account_id, person_id | other_account_id); accounts ordered


class LinkError(VeilleurError):
    """A decision that cannot be recorded as given."""


@dataclass
class LinkReport:
    run_id: int = 0
    accounts: int = 0
    identity_records: int = 0
    persons: int = 0
    person_candidates: int = 0
    alias_candidates: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_confidence: dict[str, int] = field(default_factory=dict)
    rejected_kept_out: int = 0
    confirmed_carried: int = 0
    trained: bool = False
    prior: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    id: int
    kind: str
    account_id: int
    other_id: int  # person id or other account id
    decision: str
    operator: str
    decided_at: str
    note: str | None

    @property
    def pair(self) -> Pair:
        return (self.kind, self.account_id, self.other_id)


def _pair(kind: str, account_id: int, other: int) -> Pair:
    if kind == "account_account" and other < account_id:
        return (kind, other, account_id)
    return (kind, account_id, other)


def decisions_in_force(conn: Connection) -> dict[Pair, Decision]:
    """The latest decision on each pair."""
    d = link_decisions
    out: dict[Pair, Decision] = {}
    for r in conn.execute(select(d).order_by(d.c.id)):
        other = r.person_id if r.kind == "account_person" else r.other_account_id
        dec = Decision(r.id, r.kind, r.account_id, other, r.decision, r.operator, r.decided_at, r.note)
        out[_pair(r.kind, r.account_id, other)] = dec
    return out


def _analyst_factor(d: Decision) -> dict[str, Any]:
    return {
        "name": "analyst",
        "value": f"confirmed by {d.operator} at {d.decided_at}" + (f": {d.note}" if d.note else ""),
        "weight": None,
        "records": [{"table": "link_decisions", "id": d.id}],
    }


_COLUMNS = (
    "run_id",
    "kind",
    "account_id",
    "person_id",
    "other_account_id",
    "method",
    "match_weight",
    "probability",
    "confidence",
    "factors",
)


def link_case(
    case: Case, *, operator: str, settings: LinkSettings | Mapping[str, Any] | None = None
) -> LinkReport:
    """One linking run over the whole case; its candidates become the case's current links."""
    s = parse_settings(settings)
    started, t0 = now_iso(), time.monotonic()
    with case.engine.connect() as conn:
        records = read_case(conn)
        confirmed = {
            (d.account_id, d.other_id)
            for d in decisions_in_force(conn).values()
            if d.kind == "account_person" and d.decision == "confirmed"
        }
        aliases = find_aliases(conn, records.identifiers, s)
    matches, model = link_persons(records.inputs, s, forced=confirmed)

    report = LinkReport(
        accounts=records.inputs.n_accounts,
        identity_records=records.inputs.n_records,
        persons=records.inputs.n_persons,
        trained=model.trained,
        prior=model.prior,
    )
    with case.engine.begin() as conn:
        decisions = decisions_in_force(conn)  # those in force now, when the run is written
        run_id = int(
            conn.execute(
                insert(link_runs).values(
                    started_at=started,
                    operator=operator,
                    status="running",
                    settings=orjson.dumps({"settings": s.to_dict(), "model": model.to_dict()}).decode(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        report.run_id = run_id
        rows: list[tuple[Any, ...]] = []
        done: set[Pair] = set()
        for m in matches:
            pair = _pair("account_person", m.account_id, m.person_id)
            d = decisions.get(pair)
            if d is not None and d.decision == "rejected":
                report.rejected_kept_out += 1
                continue
            factors = factors_of(m, records, model.prior)
            method, conf = m.method, m.confidence
            if d is not None:
                method, conf, factors = "analyst", "high", [_analyst_factor(d), *factors]
                report.confirmed_carried += 1
            score = m.score
            rows.append(
                (
                    run_id,
                    "account_person",
                    m.account_id,
                    m.person_id,
                    None,
                    method,
                    score.match_weight if score else None,
                    score.probability if score else None,
                    conf,
                    orjson.dumps(factors).decode(),
                )
            )
            done.add(pair)
        for a in aliases:
            pair = _pair("account_account", a.account_id, a.other_account_id)
            d = decisions.get(pair)
            if d is not None and d.decision == "rejected":
                report.rejected_kept_out += 1
                continue
            factors = [r.to_factor() for r in a.reasons]
            method, conf = a.method, a.confidence
            if d is not None:
                method, conf, factors = "analyst", "high", [_analyst_factor(d), *factors]
                report.confirmed_carried += 1
            rows.append(
                (
                    run_id,
                    "account_account",
                    pair[1],
                    None,
                    pair[2],
                    method,
                    a.weight,
                    None,
                    conf,
                    orjson.dumps(factors).decode(),
                )
            )
            done.add(pair)
        for pair, d in sorted(decisions.items()):
            if d.decision != "confirmed" or pair in done:
                continue
            kind, a_id, other = pair
            rows.append(
                (
                    run_id,
                    kind,
                    a_id,
                    other if kind == "account_person" else None,
                    other if kind == "account_account" else None,
                    "analyst",
                    None,
                    None,
                    "high",
                    orjson.dumps([_analyst_factor(d)]).decode(),
                )
            )
            report.confirmed_carried += 1
        insert_rows(conn, link_candidates, _COLUMNS, rows)
        report.person_candidates = sum(1 for r in rows if r[1] == "account_person")
        report.alias_candidates = sum(1 for r in rows if r[1] == "account_account")
        report.by_method = dict(sorted(Counter(str(r[5]) for r in rows).items()))
        report.by_confidence = dict(sorted(Counter(str(r[8]) for r in rows).items()))
        report.seconds = round(time.monotonic() - t0, 3)
        conn.execute(update(link_runs).where(link_runs.c.id == run_id).values(status="done"))
        where = record(conn, "link", operator=operator, details=report.to_dict())
    witness(case, where)
    return report


def decide(
    case: Case,
    *,
    kind: str,
    account_id: int,
    person_id: int | None = None,
    other_account_id: int | None = None,
    decision: str,
    operator: str,
    note: str | None = None,
) -> Decision:
    """Record an analyst's decision on a pair; every later run respects it."""
    if kind not in KINDS:
        raise LinkError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if decision not in DECISIONS:
        raise LinkError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if kind == "account_person" and (person_id is None or other_account_id is not None):
        raise LinkError("an account_person decision names a person (person_id) and no other account")
    if kind == "account_account" and (other_account_id is None or person_id is not None):
        raise LinkError("an account_account decision names another account (other_account_id) and no person")
    other = int(person_id if kind == "account_person" else other_account_id)  # type: ignore[arg-type]
    if kind == "account_account" and other == account_id:
        raise LinkError("an account is not an alias of itself")
    _, a_id, o_id = _pair(kind, account_id, other)
    at = now_iso()
    with case.engine.begin() as conn:
        keys = account_keys(conn, {a_id} | ({o_id} if kind == "account_account" else set()))
        for wanted in (a_id, o_id) if kind == "account_account" else (a_id,):
            if wanted not in keys:
                raise LinkError(f"no account with id {wanted} in this case")
        person_key = None
        if kind == "account_person":
            person_key = conn.execute(select(persons.c.key).where(persons.c.id == o_id)).scalar()
            if person_key is None:
                raise LinkError(f"no person with id {o_id} in this case")
        decision_id = int(
            conn.execute(
                insert(link_decisions).values(
                    kind=kind,
                    account_id=a_id,
                    person_id=o_id if kind == "account_person" else None,
                    other_account_id=o_id if kind == "account_account" else None,
                    decision=decision,
                    operator=operator,
                    decided_at=at,
                    note=note,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        details: dict[str, Any] = {"decision_id": decision_id, "kind": kind, "decision": decision}
        details["person" if kind == "account_person" else "other_account"] = (
            person_key if kind == "account_person" else keys[o_id]
        )
        if note:
            details["note"] = note
        where = record(conn, "link.decide", operator=operator, subject=keys[a_id], details=details)
    witness(case, where)
    return Decision(decision_id, kind, a_id, o_id, decision, operator, at, note)


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    """A current link: the latest run's candidate merged with the decision in force."""

    kind: str
    account_id: int
    account_key: str
    person_id: int | None
    person_key: str | None
    other_account_id: int | None
    other_account_key: str | None
    method: str
    match_weight: float | None
    probability: float | None
    confidence: str | None
    factors: list[dict[str, Any]]
    status: str  # proposed | confirmed | rejected
    decision: Decision | None
    run_id: int | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["decision"] = asdict(self.decision) if self.decision else None
        return out


def latest_run(conn: Connection) -> int | None:
    value = conn.execute(select(func.max(link_runs.c.id)).where(link_runs.c.status == "done")).scalar()
    return int(value) if value is not None else None


def current_links(conn: Connection) -> list[LinkView]:
    """The latest run's candidates, each with its status (proposed, or the decision in force),
    then decided pairs the run does not hold (rejected ones, decisions taken since)."""
    run_id = latest_run(conn)
    decisions = decisions_in_force(conn)
    c = link_candidates
    rows = conn.execute(select(c).where(c.c.run_id == run_id).order_by(c.c.id)).all() if run_id else []
    ids = {r.account_id for r in rows} | {r.other_account_id for r in rows if r.other_account_id}
    ids |= {p[1] for p in decisions} | {p[2] for p in decisions if p[0] == "account_account"}
    keys = account_keys(conn, ids)
    pkeys = dict(conn.execute(select(persons.c.id, persons.c.key)).all())
    out: list[LinkView] = []
    seen: set[Pair] = set()
    for r in rows:
        other = r.person_id if r.kind == "account_person" else r.other_account_id
        pair = _pair(r.kind, r.account_id, other)
        seen.add(pair)
        d = decisions.get(pair)
        out.append(
            LinkView(
                r.kind,
                r.account_id,
                keys.get(r.account_id, str(r.account_id)),
                r.person_id,
                pkeys.get(r.person_id) if r.person_id else None,
                r.other_account_id,
                keys.get(r.other_account_id) if r.other_account_id else None,
                r.method,
                r.match_weight,
                r.probability,
                r.confidence,
                orjson.loads(r.factors),
                d.decision if d else "proposed",
                d,
                run_id,
            )
        )
    for pair, d in sorted(decisions.items()):
        if pair in seen:
            continue
        kind, a_id, other = pair
        person = kind == "account_person"
        out.append(
            LinkView(
                kind,
                a_id,
                keys.get(a_id, str(a_id)),
                other if person else None,
                pkeys.get(other) if person else None,
                None if person else other,
                None if person else keys.get(other),
                "analyst",
                None,
                None,
                "high" if d.decision == "confirmed" else None,
                [_analyst_factor(d)] if d.decision == "confirmed" else [],
                d.decision,
                d,
                None,
            )
        )
    rank = {"confirmed": 0, "proposed": 1, "rejected": 2}
    conf = {"high": 0, "medium": 1, "low": 2}
    out.sort(
        key=lambda v: (
            KINDS.index(v.kind),
            v.account_key,
            rank[v.status],
            conf.get(v.confidence or "", 3),
            -(v.match_weight if v.match_weight is not None else float("inf")),
        )
    )
    return out


@dataclass(frozen=True)
class PersonLink:
    person_id: int
    person_key: str
    basis: str  # confirmed (by an analyst) | proposed (the best high-confidence proposal)
    method: str
    confidence: str | None
    probability: float | None


def persons_of(conn: Connection) -> dict[int, PersonLink]:
    """The person each linked account is linked to: the one an analyst confirmed (the latest
    confirmation), else the best high-confidence proposal of the latest run that no decision
    rejected. Accounts without such a link are absent."""
    pkeys = dict(conn.execute(select(persons.c.id, persons.c.key)).all())
    out: dict[int, PersonLink] = {}
    confirmed = [
        d
        for d in decisions_in_force(conn).values()
        if d.kind == "account_person" and d.decision == "confirmed"
    ]
    for d in sorted(confirmed, key=lambda x: x.id):  # the latest confirmation wins
        out[d.account_id] = PersonLink(d.other_id, pkeys[d.other_id], "confirmed", "analyst", "high", None)
    best: dict[int, tuple[tuple[float, float], LinkView]] = {}
    for v in current_links(conn):
        if v.kind != "account_person" or v.account_id in out:
            continue
        if v.status != "proposed" or v.confidence != "high" or v.person_id is None:
            continue
        rank = (v.probability if v.probability is not None else 1.0, v.match_weight or 0.0)
        if v.account_id not in best or rank > best[v.account_id][0]:
            best[v.account_id] = (rank, v)
    for account_id, (_, v) in best.items():
        assert v.person_id is not None and v.person_key is not None
        out[account_id] = PersonLink(
            v.person_id, v.person_key, "proposed", v.method, v.confidence, v.probability
        )
    return out


def person_of(conn: Connection, account_id: int) -> PersonLink | None:
    """The person one account is linked to (see :func:`persons_of`), or None."""
    return persons_of(conn).get(account_id)
