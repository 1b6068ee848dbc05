"""Account → person linkage: deterministic rules, then splink (Fellegi–Sunter) on DuckDB.

This is the core the case (:mod:`veilleur.linking.run`) and the benchmark
(``benchmarks/bench_linking.py``) both call: it takes accounts and identity records as plain
inputs, and returns for each (account, person) pair found the rules that hold, the model's score
broken into one level per comparison, and a confidence. It knows nothing of the case store;
citations are added by the caller from the ids it returns.

**Inputs.** An account becomes one row per distinct name observed for it (display, profile and
contact-saved names, split into first and last name and folded by :mod:`.normalise`), each row
carrying all the account's usernames, phone numbers, e-mail addresses and a year of birth if a
username or e-mail user name spells exactly one. An identity record is one row. The two tables
go into an in-memory DuckDB as Arrow tables; splink compares rows of one with rows of the other
(``link_type="link_only"``); a pair (account, person) keeps its best-scoring row pair.

**Rules.** The same phone number (E.164) or e-mail address on both sides links them:
``rule:phone``, ``rule:email``, confidence high — unless identity records of several persons
share the value (a family phone: medium), or the model scores the pair under its proposal
threshold (the names contradict the number: medium).

**Model.** :data:`COMPARISONS` and :data:`BLOCKING` below; parameters are the documented defaults
of each level, or trained (u by random sampling, m by EM) when both sides are large enough, level
by level falling back to the default where training left a level unobserved. The prior is
``prior_share / persons``. Every candidate's match weight is the prior's weight plus one weight
per comparison — the factors an analyst reads.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from veilleur.linking.normalise import (
    SplitName,
    birth_year,
    email_user,
    fold,
    normalise_username,
    split_name,
)
from veilleur.linking.settings import LinkSettings

__all__ = [
    "BLOCKING",
    "COMPARISONS",
    "AccountInput",
    "Comparison",
    "Inputs",
    "Level",
    "LevelHit",
    "ModelReport",
    "PersonMatch",
    "RecordInput",
    "RuleHit",
    "Score",
    "Variant",
    "build_inputs",
    "confidence_of",
    "link_persons",
]

LEFT = "a_accounts"
RIGHT = "b_records"
_GENERIC_EMAIL_USERS = frozenset({"contact", "info", "admin", "hello", "bonjour", "mail", "email", "test"})


# -- the comparisons ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    m: float | None = None  # default m; None for the null level
    u: float | None = None
    null: bool = False
    shared_identifier: bool = False
    """Agreement on an identifier (the same phone, e-mail): its u is not sampled but set to
    ``identifier_shared_rate / persons`` (see :func:`_identifier_u`)."""
    identifies: bool = True
    """In an identifier comparison, whether agreeing at this level counts towards *high*. The same
    e-mail user name at another provider does not: two people can choose ``jean.martin37``."""


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]
    identifier: bool = False
    """An agreement on this comparison identifies (phone, e-mail, year of birth): what *high*
    confidence requires besides the probability (levels marked ``identifies``)."""

    def gamma_labels(self) -> dict[int, Level]:
        """splink's comparison vector value of each level: -1 for the null level, then counting
        down to 0 from the most specific level."""
        real = [lv for lv in self.levels if not lv.null]
        out = {len(real) - 1 - i: lv for i, lv in enumerate(real)}
        for lv in self.levels:
            if lv.null:
                out[-1] = lv
        return out


def _jw(col: str, t: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {t}"


def _username_holds(side: str, other: str, *, first: bool) -> str:
    last = f"replace(last_name_{other}, ' ', '')"
    users = f"usernames_{side}"
    cond = f"{users} is not null and length({last}) >= {3 if first else 4} and contains({users}, {last})"
    if first:
        given = f"replace(first_name_{other}, ' ', '')"
        cond += f" and length({given}) >= 2 and contains({users}, {given})"
    return f"({cond})"


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "name",
        "first and last name (observed names of the account; the record's names)",
        (
            Level(
                "missing on one side",
                "(first_name_l is null and last_name_l is null) "
                "or (first_name_r is null and last_name_r is null)",
                null=True,
            ),
            Level(
                "same first and last name",
                "(first_name_l = first_name_r and last_name_l = last_name_r) or full_name_l = full_name_r",
                0.45,
                5e-5,
            ),
            Level(
                "first and last name swapped",
                "first_name_l = last_name_r and last_name_l = first_name_r",
                0.05,
                5e-6,
            ),
            Level(
                "both names similar (Jaro-Winkler ≥ 0.92)",
                f"{_jw('first_name', 0.92)} and {_jw('last_name', 0.92)}",
                0.15,
                1e-4,
            ),
            Level(
                "both names close (Jaro-Winkler ≥ 0.88)",
                f"{_jw('first_name', 0.88)} and {_jw('last_name', 0.88)}",
                0.05,
                3e-4,
            ),
            Level("same last name, another first name", "last_name_l = last_name_r", 0.12, 4e-3),
            Level(
                "similar last name (Jaro-Winkler ≥ 0.92), another first name",
                _jw("last_name", 0.92),
                0.03,
                5e-3,
            ),
            Level("same first name, another or no last name", "first_name_l = first_name_r", 0.08, 1.5e-2),
            Level("names differ", "ELSE", 0.07, 0.9755),
        ),
    ),
    Comparison(
        "username",
        "the account's usernames against the record's names",
        (
            # Not compared where the observed name already agrees on the last name: a username
            # spelling that name would count the same agreement twice.
            Level(
                "not compared: no username, no last name, or the name already agrees",
                "not ((usernames_l is not null and last_name_r is not null) "
                "or (usernames_r is not null and last_name_l is not null)) "
                f"or {_jw('last_name', 0.88)}",
                null=True,
            ),
            Level(
                "a username holds the first and last name",
                f"{_username_holds('l', 'r', first=True)} or {_username_holds('r', 'l', first=True)}",
                0.25,
                1e-4,
            ),
            Level(
                "a username holds the last name",
                f"{_username_holds('l', 'r', first=False)} or {_username_holds('r', 'l', first=False)}",
                0.25,
                2e-3,
            ),
            Level("usernames unrelated to the name", "ELSE", 0.5, 0.9979),
        ),
    ),
    Comparison(
        "birth_year",
        "a year of birth spelt in a username or e-mail user name, against the record's birth date",
        (
            Level("no year on one side", "birth_year_l is null or birth_year_r is null", null=True),
            Level("same year", "birth_year_l = birth_year_r", 0.7, 0.02),
            Level("another year", "ELSE", 0.3, 0.98),
        ),
        identifier=True,
    ),
    Comparison(
        "phone",
        "phone numbers (E.164): lawful returns and exporter records; the record's phones",
        (
            # phone1 (the first number) is null exactly when there is none; naming it here also
            # tells splink's EM that a training block on phone1 uses this comparison up.
            Level("no phone on one side", "phone1_l is null or phone1_r is null", null=True),
            Level(
                "same phone number",
                "len(list_intersect(phones_l, phones_r)) > 0",
                0.75,
                1e-6,
                shared_identifier=True,
            ),
            Level("other phone numbers", "ELSE", 0.25, 0.999999),
        ),
        identifier=True,
    ),
    Comparison(
        "email",
        "e-mail addresses: lawful returns; the record's e-mails",
        (
            Level("no e-mail on one side", "email1_l is null or email1_r is null", null=True),
            Level(
                "same e-mail address",
                "len(list_intersect(emails_l, emails_r)) > 0",
                0.6,
                1e-7,
                shared_identifier=True,
            ),
            Level(
                "same e-mail user name at another provider",
                "len(list_intersect(email_users_l, email_users_r)) > 0",
                0.15,
                1e-5,
                shared_identifier=True,
                identifies=False,
            ),
            Level("other e-mail addresses", "ELSE", 0.25, 0.99998),
        ),
        identifier=True,
    ),
)

_IDENTIFYING = frozenset(
    (c.name, lv.label)
    for c in COMPARISONS
    if c.identifier
    for lv in c.levels
    if lv.identifies and not lv.null
)

# (label, SQL with l. and r., arrays exploded first)
BLOCKING: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("same phone number", "l.phones = r.phones", ("phones",)),
    ("same e-mail address", "l.emails = r.emails", ("emails",)),
    ("same e-mail user name", "l.email_users = r.email_users", ("email_users",)),
    ("same full name", "l.full_name = r.full_name", ()),
    ("first and last name swapped", "l.first_name = r.last_name and l.last_name = r.first_name", ()),
    (
        "same last name and first initial",
        "l.last_name = r.last_name and substr(l.first_name, 1, 1) = substr(r.first_name, 1, 1)",
        (),
    ),
    ("same first name and birth year", "l.first_name = r.first_name and l.birth_year = r.birth_year", ()),
    (
        "same first name and start of last name",
        "l.first_name = r.first_name and substr(l.last_name, 1, 3) = substr(r.last_name, 1, 3)",
        (),
    ),
)
TRAINING_BLOCKS = ("l.phone1 = r.phone1", "l.email1 = r.email1")
"""EM runs twice: on pairs sharing a first phone number (estimates m of names, usernames, year,
e-mail) and on pairs sharing a first e-mail address (names, usernames, year, phone). Pairs
sharing a name are no training block: in a large population most of them are homonyms, and EM
then takes homonyms for the matches."""


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountInput:
    account_id: int
    names: tuple[str, ...] = ()  # observed display, profile and contact-saved names, raw
    usernames: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordInput:
    record_id: int
    person_id: int
    first_name: str | None = None
    last_name: str | None = None
    birth_date: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variant:
    """One left row: an account under one of its names (``raw``: the observed names folding to it)."""

    account_id: int
    name: SplitName
    raw: tuple[str, ...]


@dataclass
class Inputs:
    accounts: pa.Table
    records: pa.Table
    variants: dict[str, Variant]
    n_accounts: int
    n_records: int
    n_persons: int


_SCHEMA = pa.schema(
    [
        ("uid", pa.string()),
        ("entity_id", pa.int64()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("full_name", pa.string()),
        ("usernames", pa.string()),
        ("birth_year", pa.int32()),
        ("phones", pa.list_(pa.string())),
        ("phone1", pa.string()),
        ("emails", pa.list_(pa.string())),
        ("email1", pa.string()),
        ("email_users", pa.list_(pa.string())),
    ]
)


def _distinctive_users(emails: list[str], names: Iterable[SplitName]) -> list[str]:
    """E-mail user names worth comparing across providers: five characters or more, not generic
    (``contact``), and not the row's own names put together (``jean.martin`` says no more than the
    name comparison already does; ``jean.martin84`` does)."""
    plain: set[str] = set()
    for n in names:
        f, la = (n.first or "").replace(" ", ""), (n.last or "").replace(" ", "")
        plain |= {f + la, la + f, f[:1] + la, f, la}
    out = set()
    for e in emails:
        u = email_user(e)
        if len(u) >= 5 and u not in _GENERIC_EMAIL_USERS and u not in plain:
            out.add(u)
    return sorted(out)


class _Columns:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {f.name: [] for f in _SCHEMA}

    def add(
        self,
        uid: str,
        entity: int,
        name: SplitName,
        names: Iterable[SplitName],
        usernames: str | None,
        year: int | None,
        phones: list[str],
        emails: list[str],
    ) -> None:
        c = self.cols
        c["uid"].append(uid)
        c["entity_id"].append(entity)
        c["first_name"].append(name.first)
        c["last_name"].append(name.last)
        c["full_name"].append(name.full)
        c["usernames"].append(usernames)
        c["birth_year"].append(year)
        c["phones"].append(phones)
        c["phone1"].append(phones[0] if phones else None)
        c["emails"].append(emails)
        c["email1"].append(emails[0] if emails else None)
        c["email_users"].append(_distinctive_users(emails, names))

    def table(self) -> pa.Table:
        return pa.table(self.cols, schema=_SCHEMA)


def _phones(values: Iterable[str]) -> list[str]:
    """Phone numbers as given (E.164 already), distinct and sorted."""
    return sorted({v.strip() for v in values if v and v.strip()})


def _emails(values: Iterable[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v and "@" in v})


def build_inputs(accounts: Iterable[AccountInput], records: Iterable[RecordInput]) -> Inputs:
    """The two Arrow tables splink links, and which left row is which account under which name.
    Inputs are consumed once (generators are fine)."""
    left = _Columns()
    variants: dict[str, Variant] = {}
    n_accounts = 0
    for a in accounts:
        n_accounts += 1
        phones, emails = _phones(a.phones), _emails(a.emails)
        users = sorted({u for u in (normalise_username(x) for x in a.usernames) if u})
        year = birth_year(*a.usernames, *(e.partition("@")[0] for e in emails))
        by_name: dict[SplitName, list[str]] = {}
        for raw in a.names:
            split = split_name(raw)
            if split.full:
                by_name.setdefault(split, []).append(raw)
        if not by_name:
            if not (phones or emails or users):
                continue
            by_name[SplitName(None, None)] = []
        for i, (split, raws) in enumerate(sorted(by_name.items(), key=lambda kv: kv[0].full or "")):
            uid = f"{a.account_id}:{i}"
            variants[uid] = Variant(a.account_id, split, tuple(raws))
            left.add(uid, a.account_id, split, by_name, " ".join(users) or None, year, phones, emails)
    right = _Columns()
    persons: set[int] = set()
    n_records = 0
    for r in records:
        n_records += 1
        persons.add(r.person_id)
        first, last = fold(r.first_name) or None, fold(r.last_name) or None
        year = int(r.birth_date[:4]) if r.birth_date and r.birth_date[:4].isdigit() else None
        own = SplitName(first, last)
        right.add(
            str(r.record_id),
            r.person_id,
            own,
            (own,),
            None,
            year,
            _phones(r.phones),
            _emails(r.emails),
        )
    return Inputs(left.table(), right.table(), variants, n_accounts, n_records, len(persons))


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelHit:
    comparison: str
    label: str
    weight: float
    account_value: str | None = None  # what was compared, as folded
    record_value: str | None = None


@dataclass(frozen=True)
class Score:
    left_uid: str
    record_id: int
    match_weight: float
    probability: float
    prior_weight: float
    levels: tuple[LevelHit, ...]

    def agrees_on_identifier(self) -> bool:
        """Whether a phone number, an e-mail address or a year of birth agrees (a level that
        identifies, with a positive weight)."""
        return any(h.weight > 0 and (h.comparison, h.label) in _IDENTIFYING for h in self.levels)


@dataclass(frozen=True)
class RuleHit:
    kind: str  # phone | email
    value: str
    record_ids: tuple[int, ...]
    persons_sharing: int  # distinct persons whose records hold the value


@dataclass
class PersonMatch:
    account_id: int
    person_id: int
    rules: list[RuleHit] = field(default_factory=list)
    score: Score | None = None
    method: str = "splink"
    confidence: str = "low"
    notes: list[str] = field(default_factory=list)


@dataclass
class ModelReport:
    trained: bool
    prior: float
    prior_share: float
    prior_share_basis: str
    parameters: list[dict[str, Any]]
    blocking: list[str]
    left_rows: int
    right_rows: int
    pairs_scored: int
    training: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trained": self.trained,
            "prior": self.prior,
            "prior_share": self.prior_share,
            "prior_share_basis": self.prior_share_basis,
            "parameters": self.parameters,
            "blocking": self.blocking,
            "left_rows": self.left_rows,
            "right_rows": self.right_rows,
            "pairs_scored": self.pairs_scored,
            "training": self.training,
            "seconds": self.seconds,
        }


def _weight(p: float) -> float:
    return math.log2(p / (1.0 - p))


def confidence_of(probability: float, identifier: bool, s: LinkSettings) -> str | None:
    """The model's confidence for a probability: None under the proposal threshold; *high* only
    with an identifier agreeing."""
    if probability >= s.high_probability and identifier:
        return "high"
    if probability >= s.medium_probability:
        return "medium"
    if probability >= s.propose_probability:
        return "low"
    return None


# -- splink ------------------------------------------------------------------------------------


@contextmanager
def _quiet_splink() -> Iterator[None]:
    log = logging.getLogger("splink")
    before = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(before)


Params = dict[str, list[tuple[float, float, str]]]  # comparison -> per non-null level (m, u, source)


def _default_params() -> Params:
    return {
        c.name: [(float(lv.m or 0), float(lv.u or 0), "default") for lv in c.levels if not lv.null]
        for c in COMPARISONS
    }


def _identifier_u(params: Params, rate: float, persons: int) -> Params:
    """u of agreeing on an identifier: ``rate / persons``.

    The chance that an account and a person who are not the same share a phone number or an
    e-mail address is the chance that the account's number or address is held by *somebody else*
    in the records (a relative, a reassigned number), ``rate``, spread over the persons. Random
    sampling cannot measure it: it is rarer than the true matches among the sampled pairs."""
    out: Params = {}
    for c in COMPARISONS:
        real = [lv for lv in c.levels if not lv.null]
        out[c.name] = [
            (m, rate / max(1, persons), f"{src.split(';')[0]}; u = {rate} / {persons} persons")
            if lv.shared_identifier
            else (m, u, src)
            for lv, (m, u, src) in zip(real, params[c.name], strict=True)
        ]
    return out


def _settings(params: Params, prior: float) -> Any:
    from splink import SettingsCreator
    from splink.blocking_rule_library import CustomRule
    from splink.comparison_library import CustomComparison

    comparisons: list[Any] = []
    for c in COMPARISONS:
        values = iter(params[c.name])
        levels: list[Any] = []
        for lv in c.levels:
            if lv.null:
                levels.append({"sql_condition": lv.sql, "label_for_charts": lv.label, "is_null_level": True})
            else:
                m, u, _ = next(values)
                levels.append(
                    {
                        "sql_condition": lv.sql,
                        "label_for_charts": lv.label,
                        "m_probability": m,
                        "u_probability": u,
                    }
                )
        comparisons.append(
            CustomComparison(
                comparison_levels=levels, output_column_name=c.name, comparison_description=c.description
            )
        )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            CustomRule(sql, arrays_to_explode=list(arrays) or None) for _, sql, arrays in BLOCKING
        ],
        probability_two_random_records_match=prior,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["entity_id"],
    )


def _trained_params(model: dict[str, Any], before: Params, prior: float, u_pairs: int) -> Params:
    """Trained m and u where training observed the level, the defaults elsewhere.

    u from random sampling counts the true matches among the sampled pairs as non-matches: a
    level rarer among non-matches than ``prior × m`` (the same phone number) comes out far too
    common. Each u is corrected, ``u = (u_sampled − prior·m) / (1 − prior)``, and taken no lower
    than ``1 / (2 × pairs sampled)``, what the sample can resolve (where nothing is left after
    the correction, that is the u used). A level the sample never saw keeps its default u.
    """
    out: Params = {}
    by_name = {c["output_column_name"]: c for c in model["comparisons"]}
    floor = 1.0 / (2.0 * u_pairs)
    for c in COMPARISONS:
        levels = [lv for lv in by_name[c.name]["comparison_levels"] if not lv.get("is_null_level")]
        vals = []
        for lv, (m0, u0, _) in zip(levels, before[c.name], strict=True):
            m, u = lv.get("m_probability"), lv.get("u_probability")
            good_m = isinstance(m, float | int) and 0 < m <= 1
            m_used = float(m) if good_m else m0
            good_u = isinstance(u, float | int) and 0 < u <= 1
            if good_u:
                # nothing left after the correction: rarer than the sample resolves
                corrected = (float(u) - prior * m_used) / (1.0 - prior)
                u_used = min(1.0, max(corrected, floor))
            else:
                u_used = u0
            source = (
                "trained"
                if good_m and good_u
                else ("trained u" if good_u else ("trained m" if good_m else "default"))
            )
            vals.append((m_used, u_used, source))
        out[c.name] = vals
    return out


def _describe(params: Params) -> list[dict[str, Any]]:
    out = []
    for c in COMPARISONS:
        real = [lv for lv in c.levels if not lv.null]
        out.append(
            {
                "comparison": c.name,
                "description": c.description,
                "levels": [
                    {"label": lv.label, "m": m, "u": u, "weight": round(math.log2(m / u), 4), "source": src}
                    for lv, (m, u, src) in zip(real, params[c.name], strict=True)
                ],
            }
        )
    return out


def _rules(con: duckdb.DuckDBPyConnection) -> dict[tuple[int, int], list[RuleHit]]:
    out: dict[tuple[int, int], list[RuleHit]] = defaultdict(list)
    for kind, col in (("phone", "phones"), ("email", "emails")):
        rows = con.sql(
            f"""
            with a as (select distinct entity_id as account_id, unnest({col}) as v from {LEFT}),
                 r as (select entity_id as person_id, cast(uid as bigint) as record_id, unnest({col}) as v
                       from {RIGHT}),
                 s as (select v, count(distinct person_id) as n from r group by v)
            select a.account_id, r.person_id, a.v, list(distinct r.record_id order by r.record_id), s.n
            from a join r on a.v = r.v join s on s.v = a.v
            group by a.account_id, r.person_id, a.v, s.n
            order by 1, 2, 3
            """
        ).fetchall()
        for account_id, person_id, value, record_ids, n in rows:
            out[(int(account_id), int(person_id))].append(RuleHit(kind, value, tuple(record_ids), int(n)))
    return out


_SHOWN = {
    "name": ("full_name", "full_name"),
    "username": ("usernames", "full_name"),
    "birth_year": ("birth_year", "birth_year"),
    "phone": ("phones", "phones"),
    "email": ("emails", "emails"),
}


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(map(str, value)) or None
    return str(value)


def _best_rows(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    """The best-scoring row pair of each (account, person) in a predictions table, and only the
    columns read (converting every row pair to Python would cost more than the scoring)."""
    cols = [
        "uid_l",
        "uid_r",
        "entity_id_l",
        "entity_id_r",
        "source_dataset_l",
        "match_weight",
        "match_probability",
    ]
    for c in COMPARISONS:
        cols += [f"gamma_{c.name}", f"mw_{c.name}", f"{_SHOWN[c.name][0]}_l", f"{_SHOWN[c.name][1]}_r"]
    listed = ", ".join(dict.fromkeys(cols))
    return con.sql(
        f"""
        select {listed} from (
            select *, row_number() over (
                partition by entity_id_l, entity_id_r order by match_weight desc, uid_l, uid_r
            ) as _rank
            from {table}
        ) where _rank = 1
        """
    ).to_arrow_table()


def _scores(table: pa.Table, prior_weight: float) -> Iterator[tuple[int, int, Score]]:
    if LEFT not in set(table.column("source_dataset_l").to_pylist()) and table.num_rows:
        raise AssertionError("splink put the identity records on the left")  # pragma: no cover
    labels = {c.name: c.gamma_labels() for c in COMPARISONS}
    for row in table.to_pylist():
        hits = tuple(
            LevelHit(
                c.name,
                labels[c.name][int(row[f"gamma_{c.name}"])].label,
                float(row[f"mw_{c.name}"]),
                _shown(row.get(f"{_SHOWN[c.name][0]}_l")),
                _shown(row.get(f"{_SHOWN[c.name][1]}_r")),
            )
            for c in COMPARISONS
        )
        score = Score(
            left_uid=row["uid_l"],
            record_id=int(row["uid_r"]),
            match_weight=float(row["match_weight"]),
            probability=float(row["match_probability"]),
            prior_weight=prior_weight,
            levels=hits,
        )
        yield int(row["entity_id_l"]), int(row["entity_id_r"]), score


def link_persons(
    inputs: Inputs, settings: LinkSettings, *, forced: Collection[tuple[int, int]] = ()
) -> tuple[list[PersonMatch], ModelReport]:
    """Rules and model over ``inputs``; one :class:`PersonMatch` per (account, person) pair that
    a rule links, that the model proposes, or that is in ``forced`` (scored whatever its score,
    when the two have rows to compare)."""
    from splink import DuckDBAPI, Linker
    from splink.blocking_rule_library import CustomRule

    s = settings
    timings: dict[str, float] = {}
    t = time.monotonic()
    con = duckdb.connect(":memory:")
    spill = tempfile.mkdtemp(prefix="veilleur-link-")  # DuckDB's overflow, not the working folder
    try:
        con.execute(f"SET threads TO {int(s.threads)}")
        con.execute("SET temp_directory = ?", [spill])
        db = DuckDBAPI(con)
        left = db.register(inputs.accounts, table_name=LEFT)
        right = db.register(inputs.records, table_name=RIGHT)
        rules = _rules(con)

        linked = {a for a, _ in rules}
        if s.prior_share is not None:
            share, basis = float(s.prior_share), "set"
        else:
            raw = len(linked) / max(1, inputs.n_accounts) / s.rule_recall
            share = min(0.95, max(0.05, raw))
            basis = (
                f"estimated: {len(linked)} of {inputs.n_accounts} accounts linked by rules, "
                f"divided by the rules' assumed recall {s.rule_recall}"
            )
        prior = min(0.5, share / max(1, inputs.n_persons))
        prior_weight = _weight(prior)

        timings["rules"] = time.monotonic() - t
        t = time.monotonic()
        params = _identifier_u(_default_params(), s.identifier_shared_rate, inputs.n_persons)
        training: list[str] = []
        n_left, n_right = inputs.accounts.num_rows, inputs.records.num_rows
        train = s.train == "always" or (s.train == "auto" and min(n_left, n_right) >= s.train_min_rows)
        with _quiet_splink():
            if train and n_left and n_right:
                trainer = Linker([left, right], _settings(params, prior), log_level=None)
                trainer.training.estimate_u_using_random_sampling(max_pairs=float(s.u_max_pairs), seed=s.seed)
                training.append(f"u: random sampling, up to {s.u_max_pairs} pairs, seed {s.seed}")
                for rule in TRAINING_BLOCKS:
                    try:
                        trainer.training.estimate_parameters_using_expectation_maximisation(
                            CustomRule(rule), estimate_without_term_frequencies=True
                        )
                        training.append(f"m: EM on pairs where {rule}")
                    except Exception as e:  # too few pairs in a block: keep the defaults for it
                        training.append(
                            f"m: EM on pairs where {rule} failed ({type(e).__name__}): defaults kept"
                        )
                params = _trained_params(trainer.misc.save_model_to_json(), params, prior, s.u_max_pairs)
                params = _identifier_u(params, s.identifier_shared_rate, inputs.n_persons)
                db.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
            timings["training"] = time.monotonic() - t
            t = time.monotonic()
            predicted: list[tuple[int, int, Score]] = []
            if n_left and n_right:
                linker = Linker([left, right], _settings(params, prior), log_level=None)
                found = linker.inference.predict(
                    threshold_match_probability=s.propose_probability, warning_mode="never"
                )
                predicted.extend(_scores(_best_rows(con, found.physical_name), prior_weight))
                timings["predict"] = time.monotonic() - t
                t = time.monotonic()
                have = {(a, p) for a, p, _ in predicted}
                wanted = sorted((set(forced) | set(rules)) - have)
                if wanted:
                    predicted.extend(_score_forced(db, con, left, right, params, prior, prior_weight, wanted))
                timings["forced"] = time.monotonic() - t
            pairs_scored = len(predicted)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)

    best: dict[tuple[int, int], Score] = {}
    for a, p, sc in predicted:
        old = best.get((a, p))
        if old is None or (sc.match_weight, -sc.record_id) > (old.match_weight, -old.record_id):
            best[(a, p)] = sc
    t = time.monotonic()
    matches = _assess(rules, best, s)
    timings["assess"] = time.monotonic() - t
    report = ModelReport(
        trained=train,
        prior=prior,
        prior_share=share,
        prior_share_basis=basis,
        parameters=_describe(params),
        blocking=[label for label, _, _ in BLOCKING],
        left_rows=n_left,
        right_rows=n_right,
        pairs_scored=pairs_scored,
        training=training,
        seconds={k: round(v, 2) for k, v in timings.items()},
    )
    return matches, report


def _score_forced(
    db: Any,
    con: duckdb.DuckDBPyConnection,
    left: Any,
    right: Any,
    params: Params,
    prior: float,
    prior_weight: float,
    wanted: list[tuple[int, int]],
) -> Iterator[tuple[int, int, Score]]:
    """Score exactly the row pairs of ``wanted`` (account, person) pairs, blocked or not."""
    from splink import Linker

    con.register("_forced_src", pa.table({"a": [a for a, _ in wanted], "p": [p for _, p in wanted]}))
    con.execute(
        f"""
        create table _forced_pairs as
        select '0' as match_key,
               '{LEFT}-__-' || l.uid as join_key_l,
               '{RIGHT}-__-' || r.uid as join_key_r
        from _forced_src f
        join {LEFT} l on l.entity_id = f.a
        join {RIGHT} r on r.entity_id = f.p
        """
    )
    con.unregister("_forced_src")
    linker = Linker([left, right], _settings(params, prior), log_level=None)
    pairs = db.register("_forced_pairs")
    linker.table_management.register_blocked_pairs_for_predict(pairs)
    found = linker.inference.predict(warning_mode="never")
    yield from _scores(_best_rows(con, found.physical_name), prior_weight)


_ORDER = {"high": 3, "medium": 2, "low": 1}


def _assess(
    rules: dict[tuple[int, int], list[RuleHit]], best: dict[tuple[int, int], Score], s: LinkSettings
) -> list[PersonMatch]:
    out: dict[tuple[int, int], PersonMatch] = {}
    for pair in sorted(set(rules) | set(best)):
        hits, score = rules.get(pair, []), best.get(pair)
        m = PersonMatch(pair[0], pair[1], rules=hits, score=score)
        model_conf = (
            confidence_of(score.probability, score.agrees_on_identifier(), s) if score is not None else None
        )
        if hits:
            kinds = [h.kind for h in hits]
            m.method = "rule:phone" if "phone" in kinds else "rule:email"
            rule_conf = "high"
            shared = [h for h in hits if h.persons_sharing > 1]
            if len(shared) == len(hits):
                rule_conf = "medium"
                m.notes.append(
                    "the identity records of "
                    + ", ".join(f"{h.persons_sharing} persons hold {h.value}" for h in shared)
                    + " (a family or shared number?): medium"
                )
            elif score is not None and _relative(score):
                rule_conf = model_conf = "medium"  # the model's phone level is the same evidence
                m.notes.append(
                    f"the account's name shares only the last name with the record "
                    f"({_name_level(score).account_value!r} against {_name_level(score).record_value!r}): "
                    f"a relative on the holder's {kinds[0]}?: medium"
                )
            elif score is not None and model_conf is None:
                rule_conf = "medium"
                m.notes.append(
                    f"the model scores this pair under the proposal threshold (probability "
                    f"{score.probability:.3g}): the rest of the record contradicts the {kinds[0]}: medium"
                )
            conf = max(rule_conf, model_conf or "low", key=_ORDER.__getitem__)
        else:
            if model_conf is None:
                continue  # forced pair the model does not propose: the caller carries it
            conf = model_conf
            if score is not None and conf == "medium" and score.probability >= s.high_probability:
                m.notes.append("no phone, e-mail or year of birth agrees: a name alone is at most medium")
        m.confidence = conf
        out[pair] = m
    _competition(out, s.high_margin_bits)
    return list(out.values())


def _name_level(score: Score) -> LevelHit:
    return next(h for h in score.levels if h.comparison == "name")


def _relative(score: Score) -> bool:
    """The best names of the pair agree on the last name and disagree on the first: the line's
    holder and another member of the household look alike to a phone or e-mail rule."""
    return _name_level(score).label == "same last name, another first name"


def _competition(found: dict[tuple[int, int], PersonMatch], margin: float) -> None:
    """An account is one person. When several persons reach *high* for it, the best stays high
    only if its match weight leads the next by ``margin`` bits (2^margin times likelier); the
    others, and all of them otherwise, become medium. When one stays high, the others that share
    only a name are shown as *low* (a homonym, most likely)."""
    by_account: dict[int, list[PersonMatch]] = defaultdict(list)
    for m in found.values():
        by_account[m.account_id].append(m)

    def weight(m: PersonMatch) -> float:
        return m.score.match_weight if m.score is not None else -math.inf

    for ms in by_account.values():
        if len(ms) < 2:
            continue
        high = sorted((m for m in ms if m.confidence == "high"), key=weight, reverse=True)
        if len(high) > 1:
            keep = high[0] if weight(high[0]) - weight(high[1]) >= margin else None
            for m in high:
                if m is keep:
                    m.notes.append(
                        f"{len(high)} persons reach high confidence for this account; this one leads the "
                        f"next by {weight(high[0]) - weight(high[1]):.1f} bits: high"
                    )
                    continue
                m.confidence = "medium"
                m.notes.append(f"{len(high)} persons reach high confidence for this account: medium")
            high = [keep] if keep is not None else []
        if len(high) == 1:
            for m in ms:
                if m is high[0] or m.rules or (m.score is not None and m.score.agrees_on_identifier()):
                    continue
                if m.confidence != "low":
                    m.confidence = "low"
                    m.notes.append(
                        "another person is linked to this account with high confidence on an identifier; "
                        "this one shares only a name (a homonym?): low"
                    )
