"""Who comes first: an explainable score per person (and per account not linked to a person).

A lead for a human, never a verdict. The score is a sum of named factors, each capped, each
computed from records the ranking lists beside it:

* **access to children**, **criminal record** (sexual offences against minors above all),
  **sensitive profession** — from person attributes (records, with their source), or, weaker,
  self-disclosed in messages (text indicators);
* **stated intent** — text indicators of intent, requests for material, and arrangements to meet
  where something makes them intent (:func:`_judge_meetings`): an arrangement alone does not count;
* **distribution** and **receipt** of flagged media — private exchanges counting more than group
  ones;
* **possible new material** — unlisted media the subject posted first, awaiting review;
* **recency** — how recent its last flagged activity is, against the case's latest message.

Weights live in a versioned TOML file (``priority_weights.toml`` by default, or the user's); a
ranking saves the whole file with it, so every ranking can be recomputed and two rankings
compared knowing what moved (:func:`explain_changes`).
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, insert, select, tuple_

from veilleur.analysis.exchanges import PRIVATE_TYPES, Exchange, flagged_exchanges
from veilleur.analysis.indicators import current_run as current_indicator_run
from veilleur.analysis.indicators.hits import edited_away
from veilleur.analysis.jurisdiction import Jurisdiction, jurisdictions
from veilleur.analysis.propagation import media_items, possibly_new_material
from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.errors import NotFound, VeilleurError
from veilleur.matching.results import display_names
from veilleur.store.lookups import CHUNK, chunks
from veilleur.store.schema import (
    accounts,
    chats,
    identity_records,
    indicator_hits,
    message_versions,
    messages,
    person_attributes,
    persons,
    ranking_entries,
    rankings,
)
from veilleur.timefmt import now_iso

__all__ = [
    "FACTORS",
    "Factor",
    "RankChange",
    "Ranked",
    "RankingRecord",
    "Weights",
    "explain_changes",
    "load_weights",
    "rank_case",
    "ranking",
    "ranking_record",
    "stored_ranking",
]

FACTORS = (
    "access_to_children",
    "criminal_record",
    "sensitive_profession",
    "stated_intent",
    "distribution",
    "receipt",
    "possible_new_material",
    "recency",
)
INTENT_INDICATORS = ("intent", "meeting", "request")
MEETING_ALONE = ("fr.meeting.with_child", "en.meeting.with_child")
"""Meeting rules whose match names a child itself: they count without corroboration (the weights
file's ``meeting_alone`` replaces this)."""
MEETING_CORROBORATED_BY = ("access_to_children", "intent", "request")
"""The indicators whose hits in a meeting's conversation make it intent (``meeting_corroborated_by``)."""
DAY = 86_400


@dataclass(frozen=True)
class Weights:
    version: str
    factors: Mapping[str, Mapping[str, Any]]
    text: str  # the file as read: what a ranking saves

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        return self.factors[name]


def load_weights(path: Path | None = None) -> Weights:
    """The weights in ``path``, or Veilleur's defaults; a missing or malformed factor is an error."""
    if path is None:
        text = resources.files("veilleur.analysis").joinpath("priority_weights.toml").read_text("utf-8")
        where = "priority_weights.toml (default)"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise VeilleurError(f"not valid TOML: {e}", file=where) from e
    version, factors = doc.get("version"), doc.get("factors")
    if not isinstance(version, str) or not version:
        raise VeilleurError("a weights file needs a version string", file=where)
    if not isinstance(factors, dict) or set(factors) != set(FACTORS):
        missing = sorted(set(FACTORS) - set(factors or {}))
        extra = sorted(set(factors or {}) - set(FACTORS))
        raise VeilleurError(
            f"factors must be exactly {', '.join(FACTORS)} (missing {missing}, unknown {extra})", file=where
        )
    for name, f in factors.items():
        weight = f.get("weight")
        if not isinstance(weight, int | float) or weight < 0:
            raise VeilleurError(f"factor {name}: weight must be a number ≥ 0", file=where)
    for key in ("meeting_alone", "meeting_corroborated_by"):
        given = factors["stated_intent"].get(key, [])
        if not isinstance(given, list) or not all(isinstance(x, str) for x in given):
            raise VeilleurError(f"factor stated_intent: {key} must be a list of strings", file=where)
    return Weights(version, factors, text)


@dataclass
class Factor:
    name: str
    value: str  # the raw evidence in words: "3 private sends, 1 group send"
    weight: float  # the most points this factor can give
    points: float
    records: list[str] = field(default_factory=list)  # the records behind it, as citations
    hits: list[dict[str, Any]] = field(default_factory=list)
    """The indicator hits the factor read, each with whether it counted and why: ``id``,
    ``indicator``, ``rule``, ``confidence``, ``counted``, ``why`` (what a dossier shows per hit)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "weight": self.weight,
            "points": round(self.points, 3),
            "records": self.records,
        }
        if self.hits:
            out["hits"] = self.hits
        return out


@dataclass
class _Evidence:
    subject: str
    label: str
    accounts: list[int]
    person_id: int | None = None
    attributes: list[Any] = field(default_factory=list)
    indicators: list[Any] = field(default_factory=list)
    sent: list[Exchange] = field(default_factory=list)
    received: list[Exchange] = field(default_factory=list)
    new_material: list[str] = field(default_factory=list)
    jurisdiction: Jurisdiction | None = None


@dataclass
class Ranked:
    rank: int
    subject: str
    label: str
    score: float
    jurisdiction: str
    factors: dict[str, Factor]
    accounts: list[int] = field(default_factory=list)
    indicator_run: int | None = None  # the indicators run whose hits it read (None: none, or before)


def _curve(n: float, cap: float) -> float:
    """0 at 0, 1 at ``cap`` and beyond, logarithmic in between: the first occurrences count most."""
    if n <= 0:
        return 0.0
    return min(1.0, math.log1p(n) / math.log1p(max(cap, 1)))


def _cite(e: Exchange) -> str:
    return f"{e.chat_title or e.chat_key} #{e.message_id} (evidence #{e.evidence_id})"


def _score(ev: _Evidence, w: Weights, latest_utc: int | None) -> dict[str, Factor]:
    out: dict[str, Factor] = {}

    def attrs(kind: str) -> list[Any]:
        return [a for a in ev.attributes if a.kind == kind]

    def hits(*names: str) -> list[Any]:
        return [h for h in ev.indicators if h.indicator in names]

    def flag(name: str, kind: str, indicator: str, keep: Any = None) -> None:
        f = w[name]
        recorded = [a for a in attrs(kind) if keep is None or keep(a)]
        said = hits(indicator)
        if recorded:
            basis = ", ".join(f"attribute #{a.id}" for a in recorded)
            out[name] = Factor(
                name,
                "; ".join(a.value for a in recorded),
                f["weight"],
                float(f["weight"]),
                [f"attribute #{a.id}: {a.value} (source: {a.source or 'unstated'})" for a in recorded],
                [
                    _verdict(h, False, f"a record states it ({basis}): the record counts, not the message")
                    for h in said
                ],
            )
        elif said:
            out[name] = Factor(
                name,
                f"self-disclosed in {len(said)} message(s), not in records",
                f["weight"],
                float(f["weight"]) * float(f.get("weak", 0.5)),
                [f"indicator #{h.id} {h.rule}: {h.citation}" for h in said],
                [_verdict(h, True, "self-disclosed in a message, no record states it (weak)") for h in said],
            )
        else:
            out[name] = Factor(name, "none", f["weight"], 0.0)

    flag("access_to_children", "access_to_children", "access_to_children")
    flag(
        "sensitive_profession",
        "profession",
        "profession",
        keep=lambda a: (
            (orjson.loads(a.detail) if a.detail else {}).get("contact_with_children", True) is not False
        ),
    )
    crimes = attrs("criminal_record")
    f = w["criminal_record"]
    minors = [
        a for a in crimes if (orjson.loads(a.detail) if a.detail else {}).get("sexual_offence_against_minor")
    ]
    out["criminal_record"] = Factor(
        "criminal_record",
        "; ".join(a.value for a in crimes) or "none",
        float(f.get("against_minors", f["weight"])),
        float(f.get("against_minors", f["weight"])) if minors else (float(f["weight"]) if crimes else 0.0),
        [f"attribute #{a.id}: {a.value} (source: {a.source or 'unstated'})" for a in crimes],
    )
    said = hits(*INTENT_INDICATORS)
    counted = [h for h in said if h.counted]
    f = w["stated_intent"]
    by_confidence = f.get("confidence", {})
    amount = sum(float(by_confidence.get(h.confidence, 1.0)) for h in counted)
    kinds = ", ".join(f"{n} {c}" for c, n in sorted(Counter(h.confidence for h in counted).items()))
    alone = len(said) - len(counted)
    value = (
        f"{len(counted)} message span(s) ({kinds} confidence): "
        + ", ".join(sorted({h.indicator for h in counted}))
        if counted
        else "none"
    )
    if alone:
        value += f"; {alone} meeting arrangement(s) not counted (nothing beside them makes them intent)"
    out["stated_intent"] = Factor(
        "stated_intent",
        value,
        f["weight"],
        float(f["weight"]) * _curve(amount, f.get("cap", 3)),
        [
            f"indicator #{h.id} {h.rule} ({h.confidence}): {h.citation} (text hidden until revealed) — "
            + ("counted: " if h.counted else "not counted: ")
            + h.why
            for h in said
        ],
        [_verdict(h, h.counted, h.why) for h in said],
    )
    for name, xs in (("distribution", ev.sent), ("receipt", ev.received)):
        f = w[name]
        private = sum(e.setting == "private" for e in xs)
        group = len(xs) - private
        n = private * float(f.get("private", 1.0)) + group
        out[name] = Factor(
            name,
            f"{private} private, {group} group" if xs else "none",
            f["weight"],
            float(f["weight"]) * _curve(n, f.get("cap", 20)),
            [_cite(e) for e in xs],
        )
    f = w["possible_new_material"]
    out["possible_new_material"] = Factor(
        "possible_new_material",
        f"{len(ev.new_material)} item(s) awaiting review" if ev.new_material else "none",
        f["weight"],
        float(f["weight"]) * _curve(len(ev.new_material), f.get("cap", 10)),
        [f"file {sha}" for sha in ev.new_material],
    )
    f = w["recency"]
    times = [e.date_utc for e in ev.sent + ev.received if e.date_utc is not None]
    times += [h.date_utc for h in counted if h.date_utc is not None]
    if times and latest_utc is not None:
        last = max(times)
        days = max(0.0, (latest_utc - last) / DAY)
        points = float(f["weight"]) * 0.5 ** (days / float(f.get("half_life_days", 90)))
        out["recency"] = Factor(
            "recency",
            f"last flagged activity {days:.0f} days before the case's latest message",
            f["weight"],
            points,
        )
    else:
        out["recency"] = Factor("recency", "no flagged activity", f["weight"], 0.0)
    return out


def _verdict(h: _Hit, counted: bool, why: str) -> dict[str, Any]:
    return {
        "id": h.id,
        "indicator": h.indicator,
        "rule": h.rule,
        "confidence": h.confidence,
        "counted": counted,
        "why": why,
    }


@dataclass
class _Hit:
    id: int
    indicator: str
    rule: str
    confidence: str
    date_utc: int | None
    citation: str
    sender: int | None
    message_pk: int
    chat_id: int
    chat_key: str
    chat_type: str
    reply_to: int | None  # the message id it replies to, in the same chat
    counted: bool = True  # for stated intent (:func:`_judge_meetings`)
    why: str = ""


def _read_hits(conn: Connection, run: int) -> list[_Hit]:
    """The hits of indicators run ``run``, with what judging a meeting needs (chat, reply)."""
    v = message_versions
    out = []
    for r in conn.execute(
        select(
            indicator_hits.c.id,
            indicator_hits.c.indicator,
            indicator_hits.c.rule,
            indicator_hits.c.confidence,
            indicator_hits.c.message_pk,
            indicator_hits.c.version,
            messages.c.sender_id,
            messages.c.date_utc,
            messages.c.message_id,
            messages.c.reply_to_message_id,
            messages.c.chat_id,
            chats.c.key.label("chat_key"),
            chats.c.title.label("chat_title"),
            chats.c.type.label("chat_type"),
            func.coalesce(v.c.evidence_id, messages.c.evidence_id).label("evidence_id"),
        )
        .join(messages, messages.c.id == indicator_hits.c.message_pk)
        .outerjoin(
            v,
            and_(v.c.message_pk == indicator_hits.c.message_pk, v.c.version == indicator_hits.c.version),
        )
        .join(chats, chats.c.id == messages.c.chat_id)
        .where(indicator_hits.c.run_id == run)
        .order_by(indicator_hits.c.id)
    ):
        where = f"evidence #{r.evidence_id}{edited_away(r.version)}"
        cite = f"{r.chat_title or r.chat_key} #{r.message_id} ({where})"
        out.append(
            _Hit(
                r.id,
                r.indicator,
                r.rule,
                r.confidence,
                r.date_utc,
                cite,
                r.sender_id,
                r.message_pk,
                r.chat_id,
                r.chat_key,
                r.chat_type,
                r.reply_to_message_id,
            )
        )
    return out


def _direct_pairs(exchanges: Iterable[Exchange]) -> dict[frozenset[int], Exchange]:
    """Pairs of accounts that exchanged flagged material directly (a private chat, a reply, a
    forward: not merely a group both were in), each with the first exchange that shows it."""
    out: dict[frozenset[int], Exchange] = {}
    for e in exchanges:
        if e.sender_id is None:
            continue
        others = {p.account_id for p in e.recipients} if e.setting == "private" else set()
        others |= {a for a in (e.reply_to_sender_id, e.forward_origin_id) if a is not None}
        for other in others - {e.sender_id}:
            out.setdefault(frozenset((e.sender_id, other)), e)
    return out


def _listed(hits: list[_Hit], shown: int = 3) -> str:
    named = ", ".join(f"indicator #{h.id} {h.rule} ({h.confidence})" for h in hits[:shown])
    return named + (f" and {len(hits) - shown} more" if len(hits) > shown else "")


def _judge_meetings(
    conn: Connection,
    hits: list[_Hit],
    exchanges: Iterable[Exchange],
    account_person: Mapping[int, int],
    weights: Weights,
) -> None:
    """Whether each stated-intent hit counts, and why (``counted``, ``why`` on each hit).

    An ``intent`` or ``request`` hit counts, by its rule's confidence. An arrangement to meet is
    not intent on its own ("on se retrouve au café après ?"): a ``meeting`` hit counts only

    * when its rule names a child itself (``meeting_alone`` in the weights: *amène ta fille*);
    * or when its conversation holds a hit of ``meeting_corroborated_by`` (a child mentioned, a
      request, intent) or of a ``meeting_alone`` rule: in a private chat, any message of either
      party; in a group, where hundreds talk, only the sender's own messages there and the
      message it replies to;
    * or when its counterpart — the private chat's other party, or the sender of the message it
      replies to — exchanged flagged material with the sender's person directly (in a private
      chat, by a reply or a forward; a group both were in is not enough).
    """
    f = weights["stated_intent"]
    alone = set(f.get("meeting_alone", MEETING_ALONE))
    telling = set(f.get("meeting_corroborated_by", MEETING_CORROBORATED_BY))
    open_meetings = []
    for h in hits:
        if h.indicator not in INTENT_INDICATORS:
            continue
        if h.indicator != "meeting":
            h.counted, h.why = True, f"{h.indicator}: counts by its rule's confidence"
        elif h.rule in alone:
            h.counted, h.why = True, "the arrangement names a child itself"
        else:
            open_meetings.append(h)
    if not open_meetings:
        return
    marks = [h for h in hits if h.indicator in telling or h.rule in alone]
    marks_in_chat: defaultdict[int, list[_Hit]] = defaultdict(list)
    marks_in_message: defaultdict[int, list[_Hit]] = defaultdict(list)
    for h in marks:
        marks_in_chat[h.chat_id].append(h)
        marks_in_message[h.message_pk].append(h)
    # Who else is in each meeting's private chat: its senders, and the peer a personal chat's key names.
    maybe_private = {h.chat_id: h for h in open_meetings if h.chat_type in PRIVATE_TYPES | {"unknown"}}
    senders: defaultdict[int, set[int]] = defaultdict(set)
    for part in chunks(sorted(maybe_private)):
        for chat_id, sender in conn.execute(
            select(messages.c.chat_id, messages.c.sender_id)
            .where(messages.c.chat_id.in_(part), messages.c.sender_id.is_not(None))
            .distinct()
        ):
            senders[chat_id].add(sender)
    chat_keys = sorted({h.chat_key for h in maybe_private.values()})
    peers: dict[str, int] = {}
    for names in chunks(chat_keys):
        peers.update(
            conn.execute(select(accounts.c.key, accounts.c.id).where(accounts.c.key.in_(names))).all()
        )
    def party(h: _Hit) -> set[int]:
        return senders[h.chat_id] | ({peers[h.chat_key]} if h.chat_key in peers else set())

    # A chat of unknown type is private when no more than two accounts are seen in it (as exchanges do).
    private = {c for c, h in maybe_private.items() if h.chat_type in PRIVATE_TYPES or len(party(h)) <= 2}
    replied: dict[tuple[int, int], tuple[int, int | None]] = {}  # (chat, message id) -> (pk, sender)
    wanted = {(h.chat_id, h.reply_to) for h in open_meetings if h.reply_to is not None}
    for places in chunks(sorted(wanted), CHUNK // 2):  # two variables a pair
        for pk, chat_id, mid, sender in conn.execute(
            select(messages.c.id, messages.c.chat_id, messages.c.message_id, messages.c.sender_id).where(
                tuple_(messages.c.chat_id, messages.c.message_id).in_(places)
            )
        ):
            replied[(chat_id, mid)] = (pk, sender)
    of_person: defaultdict[int, set[int]] = defaultdict(set)
    for a, p in account_person.items():
        of_person[p].add(a)
    pairs = _direct_pairs(exchanges)
    keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())
    for h in open_meetings:
        if h.sender is None:
            h.counted, h.why = False, "no sender to give it to"
            continue
        mine = of_person[account_person[h.sender]] if h.sender in account_person else {h.sender}
        reply = replied.get((h.chat_id, h.reply_to)) if h.reply_to is not None else None
        if h.chat_id in private:
            beside = [x for x in marks_in_chat[h.chat_id] if x.id != h.id]
            others = party(h) - mine
            where = "in this private chat"
            nobody = "its other party exchanged no flagged material with it directly"
        else:
            beside = [x for x in marks_in_chat[h.chat_id] if x.id != h.id and x.sender in mine]
            beside += [x for x in marks_in_message[reply[0]] if x not in beside] if reply is not None else []
            others = {reply[1]} - mine if reply is not None and reply[1] is not None else set()
            where = "in its sender's own messages in this group"
            where += " or the one it replies to" if reply is not None else ""
            nobody = (
                "the sender of the message it replies to exchanged no flagged material with it directly"
                if others
                else "it replies to no one else, so there is no counterpart to weigh"
            )
        reasons = []
        if beside:
            reasons.append(f"in the same conversation: {_listed(beside)}")
        for other in sorted(others):
            both = (frozenset((a, other)) for a in sorted(mine))
            shown = next((pairs[x] for x in both if x in pairs), None)
            if shown is not None:
                who = keys.get(other, f"account #{other}")
                reasons.append(f"its counterpart {who} exchanged flagged material with it ({_cite(shown)})")
        if reasons:
            h.counted, h.why = True, "corroborated: " + "; ".join(reasons)
        else:
            h.counted = False
            h.why = f"a meeting arrangement alone: no child mentioned, no request or intent {where}; {nobody}"


def _collect(conn: Connection, account_person: Mapping[int, int], weights: Weights) -> list[_Evidence]:
    exchanges = flagged_exchanges(conn)
    run = current_indicator_run(conn)
    hits = _read_hits(conn, run) if run is not None else []
    _judge_meetings(conn, hits, exchanges, account_person, weights)
    hits_by_account: defaultdict[int, list[_Hit]] = defaultdict(list)
    for h in hits:
        if h.sender is not None:
            hits_by_account[h.sender].append(h)
    involved = {e.sender_id for e in exchanges if e.sender_id is not None}
    involved |= {p.account_id for e in exchanges if e.setting == "private" for p in e.recipients}
    # Stated intent makes an account a subject on its own only when a hit that counts, of a rule of
    # some confidence, says so: low-confidence hits score, but do not put anyone on the list.
    involved |= {
        a
        for a, hs in hits_by_account.items()
        if any(h.indicator in INTENT_INDICATORS and h.counted and h.confidence != "low" for h in hs)
    }
    persons_involved = {account_person[a] for a in involved if a in account_person}
    # every account of an involved person is part of that person's subject
    subjects: dict[str, _Evidence] = {}
    for a in sorted(involved | {a for a, p in account_person.items() if p in persons_involved}):
        p = account_person.get(a)
        key = f"person:{p}" if p is not None else f"account:{a}"
        subjects.setdefault(key, _Evidence(key, "", [], p)).accounts.append(a)
    of_account = {a: ev for ev in subjects.values() for a in ev.accounts}
    for e in exchanges:
        if e.sender_id in of_account:
            of_account[e.sender_id].sent.append(e)
        for ev in {
            id(of_account[p.account_id]): of_account[p.account_id]
            for p in e.recipients
            if p.account_id in of_account
        }.values():
            if e.sender_id not in ev.accounts:
                ev.received.append(e)
    for a, ev in of_account.items():
        ev.indicators.extend(hits_by_account.get(a, []))
    for item in possibly_new_material(media_items(conn), exchanges):
        first = item.first.sender_id
        if first in of_account:
            of_account[first].new_material.extend(item.files)
    person_ids = sorted({ev.person_id for ev in subjects.values() if ev.person_id is not None})
    if person_ids:
        for row in conn.execute(
            select(person_attributes).where(person_attributes.c.person_id.in_(person_ids))
        ):
            subjects[f"person:{row.person_id}"].attributes.append(row)
    _labels(conn, subjects)
    return list(subjects.values())


def _labels(conn: Connection, subjects: dict[str, _Evidence]) -> None:
    names = display_names(conn, {a for ev in subjects.values() for a in ev.accounts})
    keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())
    person_ids = sorted({ev.person_id for ev in subjects.values() if ev.person_id is not None})
    pnames: dict[int, str] = {}
    places: dict[int, Jurisdiction] = {}
    if person_ids:
        for r in conn.execute(
            select(identity_records, persons.c.key)
            .join(persons, persons.c.id == identity_records.c.person_id)
            .where(identity_records.c.person_id.in_(person_ids))
        ):
            pnames.setdefault(r.person_id, f"{r.first_name or ''} {r.last_name or ''}".strip() or r.key)
            where = r.court or (f"département {r.departement}" if r.departement else None) or r.city
            if where and r.person_id not in places:
                places[r.person_id] = Jurisdiction(where, f"identity record #{r.id} ({r.place})")
    by_account = jurisdictions(conn, [a for ev in subjects.values() for a in ev.accounts])
    for ev in subjects.values():
        handles = ", ".join(f"{names.get(a, '')} ({keys.get(a, a)})".strip() for a in ev.accounts)
        if ev.person_id is not None:
            ev.label = f"{pnames.get(ev.person_id, ev.subject)} — accounts: {handles}"
            ev.jurisdiction = places.get(ev.person_id)
        else:
            ev.label = handles
        if ev.jurisdiction is None:
            known = [by_account[a] for a in ev.accounts if by_account[a].label != "unknown"]
            ev.jurisdiction = known[0] if known else by_account[ev.accounts[0]]


def rank_case(
    case: Case,
    *,
    operator: str,
    weights: Weights | None = None,
    account_person: Mapping[int, int] | None = None,
) -> int:
    """Score and rank every subject, store the ranking with its weights; return its id.

    ``account_person`` maps accounts to the persons they are linked to (confirmed or
    high-confidence links, from the identity linking); accounts not in it are ranked alone.
    """
    weights = weights or load_weights()
    with case.engine.connect() as conn:
        evidence = _collect(conn, account_person or {}, weights)
        latest = conn.execute(select(func.max(messages.c.date_utc))).scalar()
        indicator_run = current_indicator_run(conn)
    scored = []
    for ev in evidence:
        factors = _score(ev, weights, latest)
        scored.append((sum(f.points for f in factors.values()), ev, factors))
    scored.sort(key=lambda x: (-x[0], x[1].subject))
    with case.engine.begin() as conn:
        ranking_id = int(
            conn.execute(
                insert(rankings).values(
                    created_at=now_iso(),
                    operator=operator,
                    weights_version=weights.version,
                    weights=weights.text,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        rows = [
            {
                "ranking_id": ranking_id,
                "subject": ev.subject,
                "rank": n,
                "score": round(score, 3),
                "jurisdiction": orjson.dumps(
                    {
                        "label": ev.jurisdiction.label if ev.jurisdiction else "unknown",
                        "basis": ev.jurisdiction.basis if ev.jurisdiction else "",
                    }
                ).decode(),
                "factors": orjson.dumps(
                    {
                        "label": ev.label,
                        "accounts": ev.accounts,
                        "indicator_run": indicator_run,
                        **{k: f.to_dict() for k, f in factors.items()},
                    }
                ).decode(),
            }
            for n, (score, ev, factors) in enumerate(scored, start=1)
        ]
        if rows:
            conn.execute(insert(ranking_entries), rows)
        where = record(
            conn,
            "rank",
            operator=operator,
            subject=f"ranking {ranking_id}",
            details={"ranking_id": ranking_id, "subjects": len(rows), "weights_version": weights.version},
        )
    witness(case, where)
    return ranking_id


def stored_ranking(conn: Connection, ranking_id: int | None = None) -> tuple[int, str] | None:
    """The id and weights version of a stored ranking: ``ranking_id``, or the latest (``None``
    when the case has none yet). An id that names no ranking is :class:`NotFound`, naming the
    rankings there are: an empty list would read as a ranking of nobody."""
    if ranking_id is None:
        stmt = select(rankings.c.id, rankings.c.weights_version).order_by(rankings.c.id.desc()).limit(1)
        row = conn.execute(stmt).first()
        return (row.id, row.weights_version) if row else None
    return _existing_ranking(conn, ranking_id)


def _existing_ranking(conn: Connection, ranking_id: int) -> tuple[int, str]:
    stmt = select(rankings.c.id, rankings.c.weights_version).where(rankings.c.id == ranking_id)
    row = conn.execute(stmt).first()
    if row is None:
        ids = [str(i) for i in conn.execute(select(rankings.c.id).order_by(rankings.c.id)).scalars()]
        there = f"its rankings are {', '.join(ids)}" if ids else "it has none yet ('veilleur rank run')"
        raise NotFound(f"no ranking {ranking_id} in this case: {there}")
    return row.id, row.weights_version


def ranking(
    conn: Connection, ranking_id: int | None = None, *, jurisdiction: str | None = None
) -> list[Ranked]:
    """A stored ranking (the latest by default; none yet, no one), optionally only the subjects of
    one jurisdiction. A ranking id that names none is :class:`NotFound` (:func:`stored_ranking`)."""
    found = stored_ranking(conn, ranking_id)
    if found is None:
        return []
    ranking_id = found[0]
    out = []
    for r in conn.execute(
        select(ranking_entries)
        .where(ranking_entries.c.ranking_id == ranking_id)
        .order_by(ranking_entries.c.rank)
    ):
        place = orjson.loads(r.jurisdiction) if r.jurisdiction else {"label": "unknown"}
        if jurisdiction is not None and place["label"] != jurisdiction:
            continue
        data = orjson.loads(r.factors)
        factors = {
            name: Factor(name, v["value"], v["weight"], v["points"], v["records"], v.get("hits", []))
            for name, v in data.items()
            if name in FACTORS
        }
        out.append(
            Ranked(
                r.rank,
                r.subject,
                data["label"],
                r.score,
                place["label"],
                factors,
                list(data.get("accounts", [])),
                data.get("indicator_run"),
            )
        )
    return out


@dataclass
class RankingRecord:
    """A stored ranking whole, as a report states it: when, by whom, with which weights (each
    factor's description from the weights file it used), and every subject with its factors."""

    id: int
    created_at: str
    operator: str
    weights_version: str
    descriptions: dict[str, str]
    subjects: list[Ranked]
    _by_account: dict[int, Ranked] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # a package asks once per dossier: thousands of accounts in a large case
        self._by_account = {a: r for r in self.subjects for a in r.accounts}

    def of_account(self, account_id: int) -> Ranked | None:
        """The subject the account was ranked in (itself, or its person), if any."""
        return self._by_account.get(account_id)


def ranking_record(conn: Connection, ranking_id: int | None = None) -> RankingRecord | None:
    """Ranking ``ranking_id`` (the latest by default; ``None`` when the case has none yet) with
    its metadata. An id that names no ranking is :class:`NotFound` (:func:`stored_ranking`)."""
    found = stored_ranking(conn, ranking_id)
    if found is None:
        return None
    row = conn.execute(select(rankings).where(rankings.c.id == found[0])).one()
    try:
        factors = tomllib.loads(row.weights).get("factors", {})
    except tomllib.TOMLDecodeError:  # checked when ranked; a description is a courtesy, not data
        factors = {}
    descriptions = {n: str(f.get("description", "")) for n, f in factors.items() if isinstance(f, dict)}
    return RankingRecord(
        row.id, row.created_at, row.operator, row.weights_version, descriptions, ranking(conn, row.id)
    )


@dataclass
class RankChange:
    subject: str
    label: str
    old_rank: int | None
    new_rank: int | None
    old_score: float
    new_score: float
    reasons: list[str]


def explain_changes(conn: Connection, old_id: int, new_id: int) -> list[RankChange]:
    """Why each subject moved between two rankings: the factors whose points changed, and whether
    the weights changed (a different version) or the evidence did. Either id naming no ranking is
    :class:`NotFound`: compared with nothing, everyone would read as new or gone."""
    versions = dict(_existing_ranking(conn, i) for i in (old_id, new_id))
    old = {r.subject: r for r in ranking(conn, old_id)}
    new = {r.subject: r for r in ranking(conn, new_id)}
    weights_changed = versions.get(old_id) != versions.get(new_id)
    out = []
    for subject in sorted(old.keys() | new.keys()):
        a, b = old.get(subject), new.get(subject)
        reasons = []
        if a is None:
            reasons.append("new in this ranking (new evidence or a new link)")
        elif b is None:
            reasons.append("no longer ranked (evidence removed, or merged into a person by a link)")
        else:
            for name in FACTORS:
                fa, fb = a.factors.get(name), b.factors.get(name)
                pa, pb = (fa.points if fa else 0.0), (fb.points if fb else 0.0)
                if abs(pb - pa) >= 0.001:
                    why = (
                        "weight changed"
                        if fa and fb and fa.weight != fb.weight
                        else f"{fa.value if fa else 'none'} → {fb.value if fb else 'none'}"
                    )
                    reasons.append(f"{name}: {pa:+.1f} → {pb:+.1f} points ({why})")
        if weights_changed and reasons and a is not None and b is not None:
            reasons.append(f"weights version {versions.get(old_id)} → {versions.get(new_id)}")
        if a is not None and b is not None and a.rank == b.rank and not reasons:
            continue
        out.append(
            RankChange(
                subject,
                (b or a).label,  # type: ignore[union-attr]
                a.rank if a else None,
                b.rank if b else None,
                a.score if a else 0.0,
                b.score if b else 0.0,
                reasons or ["other subjects moved around it"],
            )
        )
    return sorted(out, key=lambda c: (c.new_rank or 10**9, c.subject))
