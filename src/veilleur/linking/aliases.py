"""Account → account links: two accounts of the case that may be one person (aliases).

Each candidate is a pair of accounts with its reasons; every reason has a fixed weight in bits
(rough log-likelihood ratios, judged, not trained: a case rarely holds enough known aliases to
train on), the candidate's weight is their sum and its confidence follows from the settings'
``alias_high``/``alias_medium``/``alias_low`` (8, 4, 1.5 bits by default). The reasons:

====================  ===========================================================  ===========
reason                when                                                         weight
====================  ===========================================================  ===========
``shared_phone``      the same phone number for both, at overlapping times or       10
                      with no times stated
``shared_phone``      the same number at disjoint times (numbers are reassigned)    3
``shared_ip``         the same IP address at overlapping times; each distinct       2 (≤ 6)
                      address counts, times are required
``username``          the same username (folded) on two account ids                 6
``display_name``      the same display name, rare in the case: log2(accounts with   ≤ 3
                      a display name / accounts carrying it), at most 3 (1.5 for
                      a single word); not counted when more than 3 accounts carry it
``contact_name``      the same contact-saved name on different seized devices       5 (3 for a
                      (imports), pointing to the two accounts                       single word)
``unique_media``      a file (SHA-256) sent by these two accounts and no other,     5 per file
                      not flagged by matching, not forwarded                        (≤ 10)
====================  ===========================================================  ===========

A phone number or IP address held by more than 20 accounts is no reason at all (a public or NAT
address, a shared connection). IP addresses alone are weak: carrier-grade NAT puts many
subscribers behind one public address, and shared Wi-Fi (a household, a café, a school) many
devices. A display name alone is weak too: common names repeat. See docs/linking.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, select

from veilleur.linking.normalise import fold, normalise_username
from veilleur.linking.persons import identifier_citation
from veilleur.linking.settings import LinkSettings
from veilleur.matching.results import flagged_files
from veilleur.records.identifiers import AccountIdentifier
from veilleur.store.schema import account_names, evidence, media, messages

__all__ = ["AliasCandidate", "AliasReason", "find_aliases"]

W_PHONE = 10.0
W_PHONE_DISJOINT = 3.0
W_IP = 2.0
W_IP_CAP = 6.0
W_USERNAME = 6.0
W_DISPLAY_CAP = 3.0
W_DISPLAY_ONE_WORD_CAP = 1.5
DISPLAY_MAX_CARRIERS = 3
W_CONTACT = 5.0
W_CONTACT_ONE_WORD = 3.0
W_MEDIA = 5.0
W_MEDIA_CAP = 10.0
MAX_HOLDERS = 20
"""A phone number or IP address held by more accounts than this is no reason for any of them: a
public, NAT or shared address (a café, a school), or a number everyone saved."""
MAX_RECORDS = 20


@dataclass
class AliasReason:
    name: str
    value: str
    weight: float
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_factor(self) -> dict[str, Any]:
        recs = self.records[:MAX_RECORDS]
        if len(self.records) > MAX_RECORDS:
            recs.append({"more": len(self.records) - MAX_RECORDS})
        return {"name": self.name, "value": self.value, "weight": self.weight, "records": recs}


@dataclass
class AliasCandidate:
    account_id: int  # the lower id
    other_account_id: int
    reasons: list[AliasReason] = field(default_factory=list)
    confidence: str = "low"

    @property
    def weight(self) -> float:
        return sum(r.weight for r in self.reasons)

    @property
    def method(self) -> str:
        best = max(self.reasons, key=lambda r: r.weight)
        return f"alias:{best.name}"


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _window(i: AccountIdentifier) -> tuple[int, int] | None:
    lo = i.first_utc if i.first_utc is not None else i.last_utc
    hi = i.last_utc if i.last_utc is not None else i.first_utc
    return None if lo is None or hi is None else (min(lo, hi), max(lo, hi))


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x[0] <= y[1] and y[0] <= x[1] for x in a for y in b)


def _ports(a: list[AccountIdentifier], b: list[AccountIdentifier]) -> str:
    """The source ports the returns give on each side, if any: what the operator needs to tell
    two subscribers behind one carrier-grade NAT address apart."""
    pa, pb = sorted({i.port for i in a if i.port}), sorted({i.port for i in b if i.port})
    if not pa and not pb:
        return ""
    return f", ports {', '.join(map(str, pa)) or 'not stated'} and {', '.join(map(str, pb)) or 'not stated'}"


class _Found:
    def __init__(self) -> None:
        self.reasons: dict[tuple[int, int], list[AliasReason]] = defaultdict(list)

    def add(self, a: int, b: int, reason: AliasReason) -> None:
        self.reasons[_pair(a, b)].append(reason)


def _identifiers(found: _Found, identifiers: list[AccountIdentifier]) -> None:
    by_value: dict[tuple[str, str], dict[int, list[AccountIdentifier]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for i in identifiers:
        if i.kind in ("phone", "ip") and i.account_id is not None:
            by_value[(i.kind, i.value)][i.account_id].append(i)
    ip_reasons: dict[tuple[int, int], list[AliasReason]] = defaultdict(list)
    for (kind, value), holders in sorted(by_value.items()):
        ids = sorted(holders)
        if len(ids) > MAX_HOLDERS:
            continue
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                a, b = ids[x], ids[y]
                wa = [w for w in map(_window, holders[a]) if w]
                wb = [w for w in map(_window, holders[b]) if w]
                records = [identifier_citation(i) for i in holders[a] + holders[b]]
                if kind == "phone":
                    if wa and wb and not _overlap(wa, wb):
                        found.add(
                            a,
                            b,
                            AliasReason(
                                "shared_phone",
                                f"{value}, at disjoint times (a number can be reassigned)",
                                W_PHONE_DISJOINT,
                                records,
                            ),
                        )
                    else:
                        when = "at overlapping times" if wa and wb else "times not stated"
                        found.add(a, b, AliasReason("shared_phone", f"{value}, {when}", W_PHONE, records))
                elif wa and wb and _overlap(wa, wb):
                    ip_reasons[(a, b)].append(
                        AliasReason(
                            "shared_ip",
                            f"{value} at overlapping times{_ports(holders[a], holders[b])} "
                            "(weak: carrier-grade NAT, shared Wi-Fi)",
                            W_IP,
                            records,
                        )
                    )
    for (a, b), reasons in ip_reasons.items():
        budget = W_IP_CAP
        for r in reasons:
            r.weight = min(r.weight, budget)
            budget -= r.weight
            if r.weight > 0:
                found.add(a, b, r)


def _names(found: _Found, conn: Connection) -> None:
    n = account_names
    rows = conn.execute(
        select(
            n.c.account_id, n.c.name_kind, n.c.value, n.c.import_id, n.c.evidence_id, n.c.first_byte_offset
        )
        .where(n.c.name_kind.in_(("username", "display_name", "contact_name")))
        .order_by(n.c.account_id, n.c.name_kind, n.c.value, n.c.import_id)
    ).all()
    # kind -> folded value -> account -> observations
    seen: dict[str, dict[str, dict[int, list[Any]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in rows:
        key = normalise_username(r.value) if r.name_kind == "username" else fold(r.value)
        if key:
            seen[r.name_kind][key][r.account_id].append(r)
    with_display = len({a for holders in seen["display_name"].values() for a in holders})

    def refs(obs: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "table": "account_names",
                "account_id": o.account_id,
                "name_kind": o.name_kind,
                "value": o.value,
                "import_id": o.import_id,
                "evidence_id": o.evidence_id,
                "byte_offset": o.first_byte_offset,
            }
            for o in obs
        ]

    for kind, values in seen.items():
        for key, holders in sorted(values.items()):
            ids = sorted(holders)
            if len(ids) < 2:
                continue
            one_word = " " not in key
            if kind == "username":
                weight, what = W_USERNAME, f"username {key!r} on both accounts"
            elif kind == "display_name":
                if len(ids) > DISPLAY_MAX_CARRIERS:
                    continue
                rarity = math.log2(max(with_display, 1) / len(ids))
                weight = min(W_DISPLAY_ONE_WORD_CAP if one_word else W_DISPLAY_CAP, rarity)
                what = f"display name {key!r}, carried by {len(ids)} of {with_display} accounts (weak alone)"
            else:
                if len(ids) > DISPLAY_MAX_CARRIERS:
                    continue
                weight = W_CONTACT_ONE_WORD if one_word else W_CONTACT
                what = f"contact-saved name {key!r} on different seized devices"
            if weight <= 0:
                continue
            for x in range(len(ids)):
                for y in range(x + 1, len(ids)):
                    a, b = ids[x], ids[y]
                    if kind == "contact_name":
                        imports_a = {o.import_id for o in holders[a]}
                        imports_b = {o.import_id for o in holders[b]}
                        if imports_a == imports_b and len(imports_a) == 1:
                            continue  # one address book naming two accounts alike: not two devices
                    found.add(a, b, AliasReason(kind, what, weight, refs(holders[a] + holders[b])))


def _media(found: _Found, conn: Connection) -> None:
    flagged = {f.sha256 for f in flagged_files(conn) if f.flagged}
    m, msg, ev = media, messages, evidence
    sent = (
        select(
            ev.c.sha256,
            msg.c.sender_id,
            msg.c.id,
            msg.c.chat_id,
            msg.c.message_id,
            msg.c.evidence_id,
            msg.c.byte_offset,
        )
        .select_from(m)
        .join(msg, msg.c.id == m.c.message_pk)
        .join(ev, ev.c.id == m.c.file_evidence_id)
        .where(
            and_(
                msg.c.sender_id.is_not(None),
                msg.c.forwarded_from.is_(None),
                msg.c.saved_from.is_(None),
                m.c.role != "thumbnail",
            )
        )
    )
    s = sent.subquery("sent")
    two = select(s.c.sha256).group_by(s.c.sha256).having(func.count(func.distinct(s.c.sender_id)) == 2)
    rows = conn.execute(select(s).where(s.c.sha256.in_(two)).order_by(s.c.sha256, s.c.id)).all()
    by_file: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_file[r.sha256].append(r)
    per_pair: dict[tuple[int, int], list[AliasReason]] = defaultdict(list)
    for sha, sightings in by_file.items():
        if sha in flagged:
            continue
        a, b = sorted({s.sender_id for s in sightings})
        per_pair[(a, b)].append(
            AliasReason(
                "unique_media",
                f"file {sha[:16]}… sent by these two accounts only",
                W_MEDIA,
                [
                    {
                        "table": "messages",
                        "id": s.id,
                        "sender_id": s.sender_id,
                        "chat_id": s.chat_id,
                        "message_id": s.message_id,
                        "evidence_id": s.evidence_id,
                        "byte_offset": s.byte_offset,
                        "sha256": sha,
                    }
                    for s in sightings
                ],
            )
        )
    for (a, b), reasons in per_pair.items():
        budget = W_MEDIA_CAP
        for reason in reasons:
            reason.weight = min(reason.weight, budget)
            budget -= reason.weight
            if reason.weight > 0:
                found.add(a, b, reason)


def find_aliases(
    conn: Connection, identifiers: list[AccountIdentifier], settings: LinkSettings
) -> list[AliasCandidate]:
    """Every pair of accounts whose reasons weigh at least ``settings.alias_low``."""
    found = _Found()
    _identifiers(found, identifiers)
    _names(found, conn)
    _media(found, conn)
    out = []
    for (a, b), reasons in sorted(found.reasons.items()):
        c = AliasCandidate(a, b, reasons)
        w = c.weight
        if w < settings.alias_low:
            continue
        c.confidence = (
            "high" if w >= settings.alias_high else "medium" if w >= settings.alias_medium else "low"
        )
        out.append(c)
    return out
