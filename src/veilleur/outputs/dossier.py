"""Per-account evidence dossiers, in HTML and PDF, and the case summary report.

A dossier states what the case holds about one account and where each fact comes from: the
names it was observed under (and in which export), the identifiers exporters recorded for it,
every exchange of flagged media it took part in — sent and received apart — with its citation
(evidence file, chat, message id, time, byte offset or HTML page), the match details behind each
flag (list and version, entry identifier, category, method, distance), its network and roles,
and its dates of activity; its place in the case's latest ranking (rank, score, every factor with
its weight, points and the records behind it; or that there is no ranking), each text-indicator
hit with whether that ranking counted it and why, and the possibly new material it posted first.
It never contains media: no picture, no thumbnail, not even a link to a file; files are named by
SHA-256 only.

Each document states the case, the operator, the time and the audit-log position it was produced
at, so that what the log held then can be checked later. The same data is rendered to HTML here
and typeset to PDF by Typst (:mod:`veilleur.outputs.pdf`, :mod:`veilleur.outputs.dossier_files`),
and a test holds the two to the same text.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, func, select

from veilleur.analysis.exchanges import Exchange, ExchangeIndex, flagged_exchanges
from veilleur.analysis.graph import (
    AccountStats,
    NetworkAnalysis,
    account_timeline,
    analyse_network,
    cite_ids,
)
from veilleur.analysis.indicators import IndicatorHit, hits_for
from veilleur.analysis.network import Counterpart, exchanged_with
from veilleur.analysis.priority import FACTORS, Ranked, RankingRecord, ranking_record
from veilleur.analysis.propagation import Item, media_items, possibly_new_material
from veilleur.custody.audit import position
from veilleur.linking import persons_of
from veilleur.matching.results import Hit, current_run, display_names
from veilleur.records.identifiers import with_port
from veilleur.store.schema import (
    account_identifiers,
    account_names,
    accounts,
    case_meta,
    evidence,
    exporter_records,
    hash_list_versions,
    identity_records,
    messages,
    notes,
    person_attributes,
    record_imports,
)
from veilleur.timefmt import iso_utc, now_iso

__all__ = [
    "DossierContext",
    "account_dossier",
    "file_stems",
    "participants",
    "render_html",
]

_env = Environment(
    loader=PackageLoader("veilleur.outputs", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    # Nothing known is a dash in every document: Jinja would print Python's "None" (an empty
    # case's first message, a list never imported), which reads as a value.
    finalize=lambda v: "—" if v is None else v,
)
_env.filters["utc"] = lambda t: (iso_utc(t) or "—").replace("T", " ").replace("Z", " UTC")


@dataclass
class DossierContext:
    """What every dossier of one production run shares: computed once."""

    case_name: str
    operator: str
    generated_at: str
    audit_position: str
    run_id: int | None
    exchanges: ExchangeIndex
    analysis: NetworkAnalysis
    names: dict[int, str]
    keys: dict[int, str]
    versions: dict[int, str]
    evidence_paths: dict[int, str] = field(default_factory=dict)
    stems: dict[int, str] = field(default_factory=dict)
    ranking: RankingRecord | None = None  # the case's latest ranking, None: never ranked
    new_material: list[Item] = field(default_factory=list)  # the case's possibly new material
    _posted: dict[int, list[Item]] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        conn: Connection,
        operator: str,
        audit_position: str = "",
        *,
        exchanges: ExchangeIndex | None = None,
        analysis: NetworkAnalysis | None = None,
        new_material: list[Item] | None = None,
    ) -> DossierContext:
        """``exchanges``, ``analysis`` and ``new_material`` (the possibly new material): the
        case's, when the caller holds them already."""
        exchanges = exchanges if exchanges is not None else flagged_exchanges(conn)
        if new_material is None:
            new_material = possibly_new_material(media_items(conn), exchanges)
        ids = {e.sender_id for e in exchanges if e.sender_id is not None}
        ids |= {p.account_id for e in exchanges for p in e.recipients}
        keys = dict(conn.execute(select(accounts.c.id, accounts.c.key)).all())
        ev_ids = sorted({e.evidence_id for e in exchanges if e.evidence_id is not None})
        paths = (
            dict(
                conn.execute(
                    select(evidence.c.id, func.coalesce(evidence.c.relpath, evidence.c.original_path)).where(
                        evidence.c.id.in_(ev_ids)
                    )
                ).all()
            )
            if ev_ids
            else {}
        )
        name = conn.execute(select(case_meta.c.value).where(case_meta.c.key == "name")).scalar()
        return cls(
            case_name=name or "case",
            operator=operator,
            generated_at=now_iso(),
            audit_position=audit_position or _audit_label(conn),
            run_id=current_run(conn),
            exchanges=exchanges,
            analysis=analysis if analysis is not None else analyse_network(conn, exchanges),
            names=display_names(conn, ids),
            keys=keys,
            versions=dict(conn.execute(select(hash_list_versions.c.id, hash_list_versions.c.version)).all()),
            evidence_paths=paths,
            ranking=ranking_record(conn),
            new_material=new_material,
        )

    def file_stem(self, account_id: int) -> str:
        """The name of the account's dossier file, without extension (:func:`file_stems`)."""
        if not self.stems:
            # Over every account of the case, so that a name never depends on which are written.
            by_key = file_stems(self.keys.values())
            self.stems = {a: by_key[k] for a, k in self.keys.items()}
        return self.stems.get(account_id) or _stem(f"account #{account_id}", _DIGEST_HEX)

    def posted_first(self, account_id: int) -> list[Item]:
        """The possibly new material the account posted first."""
        if self._posted is None:
            self._posted = defaultdict(list)
            for item in self.new_material:
                if item.first.sender_id is not None:
                    self._posted[item.first.sender_id].append(item)
        return self._posted.get(account_id, [])

    def label(self, account_id: int | None) -> str:
        if account_id is None:
            return "(no sender)"
        key = self.keys.get(account_id, f"account #{account_id}")
        name = self.names.get(account_id)
        return f"{name} ({key})" if name else key


def _audit_label(conn: Connection) -> str:
    pos = position(conn)
    return pos.label if pos is not None else "audit log empty"


def _exchange_row(ctx: DossierContext, e: Exchange, account_id: int) -> dict[str, Any]:
    sent = e.sender_id == account_id
    if sent:
        n = len(e.recipients)
        shown = [ctx.label(p.account_id) for p in e.recipients[: 6 if n <= 6 else 5]]
        counterpart = "; ".join(shown) or "(no recipient: saved or unknown)"
        if n > 6:
            # In words: "+33" after a list of names reads as a French telephone prefix.
            counterpart += f" and {n - 5} others"
    else:
        counterpart = ctx.label(e.sender_id)
    me = e.recipient_map.get(account_id)
    basis = me.basis if me is not None else ""
    return {
        "date": e.date_utc,
        "direction": "sent" if sent else "received",
        "setting": e.setting,
        "chat": e.chat_title or e.chat_key,
        "chat_key": e.chat_key,
        "message_id": e.message_id,
        "counterpart": counterpart,
        "basis": basis,
        "forwarded_from": e.forwarded_from,
        "origin": e.forward_origin.basis if e.forward_origin is not None else None,
        "citation": f"{ctx.evidence_paths.get(e.evidence_id or -1, '?')} ({e.citation})",
        "files": e.files,
        "hits": [
            {
                "list": h.list_name,
                "version": ctx.versions.get(h.list_version_id, "?"),
                "entry": h.external_id or f"#{h.entry_id}",
                "category": h.category or "—",
                "how": _how(h),
            }
            for h in e.hits
        ],
    }


def _how(h: Hit) -> str:
    if h.method == "exact":
        return f"{h.hash_type.upper()} identical"
    if h.method == "vpdq":
        return (
            f"vPDQ: {h.query_match_pct:g} % of the case video's frames and {h.compared_match_pct:g} % of "
            f"the listed video's matched, closest frames {h.distance} of {h.threshold} bits"
        )
    text = f"{h.method.upper()}, {h.distance} of {h.threshold} bits"
    if h.variant:
        text += f", as rotated or mirrored (variant {h.variant})"
    if h.frame_ms is not None:
        text += f", video frame at {h.frame_ms / 1000:g} s"
    return text


def account_dossier(conn: Connection, account_id: int, ctx: DossierContext) -> dict[str, Any]:
    """The dossier of one account as plain data (what the templates render)."""
    acc = conn.execute(select(accounts).where(accounts.c.id == account_id)).one()
    names = [
        {
            "kind": r.name_kind.replace("_", " "),
            "value": r.value,
            "first": r.first_seen_utc,
            "last": r.last_seen_utc,
            "seen": r.n_seen,
            "evidence": r.evidence_id,
            "offset": r.first_byte_offset,
        }
        for r in conn.execute(
            select(account_names)
            .where(account_names.c.account_id == account_id)
            .order_by(account_names.c.first_seen_utc, account_names.c.name_kind, account_names.c.value)
        )
    ]
    identifiers = [
        {
            "section": r.section,
            "phone": r.phone,
            "ip": r.ip,
            "name": r.name,
            "date": r.date_utc,
            "evidence": r.evidence_id,
            "offset": r.byte_offset,
        }
        for r in conn.execute(
            select(exporter_records).where(
                (exporter_records.c.account_id == account_id)
                | (exporter_records.c.exporter_account_id == account_id),
                (exporter_records.c.phone.is_not(None)) | (exporter_records.c.ip.is_not(None)),
            )
        )
    ]
    a = account_identifiers
    returns = [
        {
            "kind": r.kind,
            "value": with_port(r.value, r.port),
            "first": r.first_utc,
            "last": r.last_utc,
            "source": f"return import #{r.import_id}, evidence #{r.evidence_id}, {r.place}",
        }
        for r in conn.execute(
            select(a, record_imports.c.evidence_id)
            .join(record_imports, record_imports.c.id == a.c.import_id)
            .where(a.c.account_id == account_id)
            .order_by(a.c.kind, a.c.first_utc, a.c.id)
        )
    ]
    first, last, n, n_chats = conn.execute(
        select(
            func.min(messages.c.date_utc),
            func.max(messages.c.date_utc),
            func.count(),
            func.count(func.distinct(messages.c.chat_id)),
        ).where(messages.c.sender_id == account_id)
    ).one()
    mine = ctx.exchanges.involving(account_id)
    counterparts: list[Counterpart] = exchanged_with(conn, [account_id], ctx.exchanges)
    stats = ctx.analysis.accounts.get(account_id, AccountStats(account_id))
    rows = [_exchange_row(ctx, e, account_id) for e in mine]
    categories: defaultdict[str, int] = defaultdict(int)
    for e in mine:
        for cat in {h.category for h in e.hits if h.category}:
            categories[cat] += 1
    person = _person(conn, account_id)
    entry = ctx.ranking.of_account(account_id) if ctx.ranking is not None else None
    return {
        "person": person,
        "notes": shared_notes(conn, acc.key, person["key"] if person else None),
        "ranking": _ranking_place(ctx, entry),
        "indicators": [
            {
                "indicator": h.indicator.replace("_", " "),
                "rule": h.rule,
                "confidence": h.confidence,
                "date": h.date_utc,
                "where": f"{h.chat_title or h.chat_key} message {h.message_id}",  # citation: version
                "text": h.snippet if not h.sensitive else None,
                "citation": h.citation,
                **_counted(ctx, entry, h),
            }
            for h in hits_for(conn, account_id=account_id)
        ],
        "new_material": [
            {
                "files": list(item.files),
                "first": item.first.date_utc,
                "where": f"{item.first.chat_title or item.first.chat_key} message {item.first.message_id}",
                "citation": _sighting_citation(ctx, item),
                "reasons": list(item.reasons),
                "sightings": len(item.sightings),
            }
            for item in ctx.posted_first(account_id)
        ],
        "case": ctx.case_name,
        "operator": ctx.operator,
        "generated_at": ctx.generated_at,
        "audit_position": ctx.audit_position,
        "run_id": ctx.run_id,
        "account": {
            "id": acc.id,
            "key": acc.key,
            "label": ctx.label(acc.id),
            "identity": "platform id"
            if acc.identity == "platform_id"
            else "name only (weak: no platform id)",
            "deleted_seen": acc.deleted_seen,
        },
        "names": names,
        "identifiers": identifiers,
        "returns": returns,
        "activity": {"first": first, "last": last, "messages": n, "chats": n_chats},
        "stats": {
            "roles": ", ".join(stats.roles) or "none",
            "sent": stats.sent,
            "sent_private": stats.sent_private,
            "received": stats.received,
            "received_private": stats.received_private,
            "files_sent": len(stats.files_sent),
            "files_received": len(stats.files_received),
            "requested": stats.requested,
            "admin": ", ".join(f"{k} ×{v}" for k, v in sorted(stats.admin_actions.items())) or "none",
            "first": stats.first_utc,
            "last": stats.last_utc,
            "degree": round(stats.degree_centrality, 4),
            "betweenness": round(stats.betweenness, 4),
            "community": stats.community,
        },
        "categories": dict(sorted(categories.items())),
        "sent": [r for r in rows if r["direction"] == "sent"],
        "received": [r for r in rows if r["direction"] == "received"],
        "counterparts": [
            {
                "label": ctx.label(c.account_id),
                "kinds": ", ".join(c.kinds),
                "direct": c.direct,
                "exchanges": len({link.exchange.message_pk for link in c.links}),
                "evidence": _cited_messages(c),
            }
            for c in counterparts
        ],
        "timeline": account_timeline(conn, account_id, mine),
    }


def _ranking_place(ctx: DossierContext, entry: Ranked | None) -> dict[str, Any] | None:
    """Where the account stands in the case's latest ranking, every factor with its weight, points
    and records, in the order of the points they give (None: the case was never ranked)."""
    r = ctx.ranking
    if r is None:
        return None
    place: dict[str, Any] = {
        "id": r.id,
        "created_at": r.created_at,
        "operator": r.operator,
        "weights_version": r.weights_version,
        "subjects": len(r.subjects),
        "entry": None,
    }
    if entry is None:
        return place
    order = sorted(entry.factors.values(), key=lambda f: (-f.points, FACTORS.index(f.name)))
    place["entry"] = {
        "rank": entry.rank,
        "score": entry.score,
        "subject": entry.subject,
        "label": entry.label,
        "jurisdiction": entry.jurisdiction,
        "accounts": [ctx.label(a) for a in entry.accounts],
        "factors": [
            {
                "name": f.name.replace("_", " "),
                "points": round(f.points, 1),
                "weight": f.weight,
                "value": f.value,
                "description": r.descriptions.get(f.name, ""),
                "records": list(f.records),
            }
            for f in order
        ],
    }
    return place


def _counted(ctx: DossierContext, entry: Ranked | None, h: IndicatorHit) -> dict[str, Any]:
    """Whether the latest ranking counted the hit (``counted``: yes, no, or — when it cannot say),
    and why: each factor records the hits it read with its verdict on them."""
    r = ctx.ranking
    if r is None:
        return {"counted": "—", "counted_why": "no ranking of this case yet ('veilleur rank run')"}
    if entry is None:
        return {"counted": "no", "counted_why": f"the account is not a subject of ranking #{r.id}"}
    for f in entry.factors.values():
        for read in f.hits:
            if read.get("id") == h.id:
                why = f"{f.name.replace('_', ' ')}: {read.get('why', '')}"
                return {"counted": "yes" if read.get("counted") else "no", "counted_why": why}
    if entry.indicator_run != h.run_id:
        which = (
            f"read indicators run #{entry.indicator_run}, this hit is from run #{h.run_id}"
            if entry.indicator_run is not None
            else f"did not read this hit's indicators run (#{h.run_id})"
        )
        return {"counted": "—", "counted_why": f"ranking #{r.id} {which}: rank again ('veilleur rank run')"}
    return {"counted": "no", "counted_why": "no factor of the ranking reads this indicator"}


def _sighting_citation(ctx: DossierContext, item: Item) -> str:
    s = item.first
    where = f"byte {s.byte_offset}" if s.byte_offset is not None else f"page {s.page}"
    path = ctx.evidence_paths.get(s.evidence_id or -1)
    return f"{path + ' ' if path else ''}(evidence #{s.evidence_id}, {where})"


def shared_notes(conn: Connection, account_key: str, person_key: str | None) -> list[dict[str, Any]]:
    """The notes their authors shared into dossiers, on the account or its person, not withdrawn."""
    targets = [("account", account_key)] + ([("person", person_key)] if person_key else [])
    out = []
    for kind, key in targets:
        for r in conn.execute(
            select(notes)
            .where(
                notes.c.target_kind == kind,
                notes.c.target == key,
                notes.c.shared.is_(True),
                notes.c.withdrawn_at.is_(None),
            )
            .order_by(notes.c.id)
        ):
            out.append(
                {
                    "kind": kind,
                    "target": key,
                    "text": r.text,
                    "tags": orjson.loads(r.tags),
                    "author": r.author,
                    "created_at": r.created_at,
                }
            )
    return out


def _cited_messages(c: Counterpart, shown: int = 6) -> list[str]:
    """The messages behind a counterpart, per chat. A member of a busy group shares dozens of
    the account's sends: past ``shown`` per chat, the count (each send is cited in full in the
    sent and received tables), so a group's dossier does not repeat them for every member."""
    by_chat: defaultdict[str, set[int]] = defaultdict(set)
    for link in c.links:
        by_chat[link.exchange.chat_title or link.exchange.chat_key].add(link.exchange.message_id)
    return [f"{chat} {cite_ids(ids, shown)}" for chat, ids in sorted(by_chat.items())]


def person_identity(conn: Connection, person_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A person's identity records and attributes, each with its source."""
    records = [
        {
            "name": " ".join(p for p in (r.first_name, r.last_name) if p),
            "birth_date": r.birth_date,
            "place": ", ".join(p for p in (r.city, r.departement and f"dép. {r.departement}", r.court) if p),
            "source": f"identity record #{r.id}, {r.place} (import #{r.import_id})",
        }
        for r in conn.execute(select(identity_records).where(identity_records.c.person_id == person_id))
    ]
    attributes = [
        {
            "kind": a.kind.replace("_", " "),
            "value": a.value,
            "source": a.source or "unstated",
            "place": a.place,
        }
        for a in conn.execute(select(person_attributes).where(person_attributes.c.person_id == person_id))
    ]
    return records, attributes


def _person(conn: Connection, account_id: int) -> dict[str, Any] | None:
    """The person the account is linked to (confirmed, or the best high-confidence proposal), with
    the identity records and attributes behind it, each with its source."""
    link = persons_of(conn).get(account_id)
    if link is None:
        return None
    records, attributes = person_identity(conn, link.person_id)
    how = (
        "confirmed by an analyst"
        if link.basis == "confirmed"
        else f"proposed ({link.method}, {link.confidence} confidence)"
    )
    return {"key": link.person_key, "how": how, "records": records, "attributes": attributes}


def render_html(data: dict[str, Any]) -> str:
    return _env.get_template("dossier.html.j2").render(d=data)


_READABLE_BYTES = 80
"""The most bytes of a file name given to the readable part: names hold at most 255 bytes on
common file systems, and a character of a CJK or emoji name takes three or four."""
_DIGEST_HEX = 10


def _readable(text: str) -> str:
    out: list[str] = []
    size = 0
    for ch in text:
        c = ch if ch.isalnum() or ch in "-_" else "_"
        size += len(c.encode("utf-8"))
        if size > _READABLE_BYTES:
            break
        out.append(c)
    return "".join(out).lstrip("-") or "_"  # a name beginning with "-" reads as an option to a shell tool


def _stem(text: str, digits: int) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_readable(text)}-{digest[:digits]}"


def file_stems(texts: Iterable[str]) -> dict[str, str]:
    """A file name (without extension) for each of ``texts`` (account keys, jurisdictions): its
    letters, digits, ``-`` and ``_`` for a reader, then the first hex digits of its SHA-256.

    The letters alone are not a name: ``telegram:name:Jean Luc``, ``…Jean_Luc`` and ``…Jean/Luc``
    read the same once ``:``, `` `` and ``/`` are dropped, and long keys once cut. The digest makes
    the name unique and the same in every production; should two short digests still meet
    (compared ignoring case, as some file systems do), both names carry the whole digest.
    """
    short = {t: _stem(t, _DIGEST_HEX) for t in set(texts)}
    taken = Counter(s.casefold() for s in short.values())
    return {t: s if taken[s.casefold()] == 1 else _stem(t, 64) for t, s in short.items()}


def participants(ctx: DossierContext) -> list[int]:
    """The accounts a dossier is written for: every sender of flagged media and every recipient
    in a private chat (group members who merely received are in the senders' dossiers)."""
    ids = {e.sender_id for e in ctx.exchanges if e.sender_id is not None}
    ids |= {p.account_id for e in ctx.exchanges if e.setting == "private" for p in e.recipients}
    return sorted(ids)
