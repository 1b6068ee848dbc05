"""The typed results of the use cases, and their one JSON shape.

Every use case returns one of these frozen dataclasses (or a domain report that is one plain
dataclass already, such as :class:`~veilleur.matching.run.MatchReport`). ``--json``, the web API
and any export that mirrors a result serialise it with :func:`to_data` / :func:`to_json`, so a
shape is written once, here, as types; :func:`json_schema` gives its JSON Schema, and
``docs/schemas/`` holds one per result (a test keeps them current).

Accounts, persons and chats are always named by their keys (``telegram:user:123``), never by the
store's internal ids; times are ISO 8601 UTC strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter

from veilleur.app.users import User
from veilleur.custody.audit import AuditEntry
from veilleur.hashing.runner import HashReport
from veilleur.linking.run import LinkReport
from veilleur.lists.importer import ListImportReport
from veilleur.matching.results import Hit
from veilleur.matching.run import MatchReport
from veilleur.records.importer import RecordImportReport

__all__ = [
    "RESULT_TYPES",
    "AccountProfile",
    "AccountRef",
    "AuditLog",
    "AuditVerification",
    "CaseUpgrade",
    "CaseVerification",
    "CountOut",
    "CounterpartOut",
    "Dossiers",
    "EvidenceCheck",
    "EvidenceList",
    "EvidenceRow",
    "EvidenceVerification",
    "ExchangeOut",
    "ExchangesView",
    "ExportWritten",
    "FlaggedFileOut",
    "GraphEdge",
    "GraphNode",
    "GraphView",
    "HashReport",
    "Hit",
    "HitsView",
    "ImportOutcome",
    "ImportRow",
    "ImportsView",
    "IndexRun",
    "IndicatorHitOut",
    "IndicatorHitsView",
    "IndicatorRun",
    "KeywordHitsView",
    "KeywordRun",
    "LinkDecision",
    "LinkOut",
    "LinkReport",
    "LinksView",
    "ListImportReport",
    "ListsView",
    "MatchReport",
    "Member",
    "MembersView",
    "NetworkLinkOut",
    "NetworkView",
    "OutputBody",
    "OutputFileOut",
    "OutputsView",
    "PartyOut",
    "PersonProfile",
    "PropagationItem",
    "PropagationView",
    "RankChangeOut",
    "RankComparison",
    "RankedOut",
    "RankingView",
    "RecordImportReport",
    "RecordsView",
    "Reveal",
    "RoleRow",
    "RolesView",
    "SearchHitOut",
    "SearchView",
    "SettingChanged",
    "SightingOut",
    "Summary",
    "TallyOut",
    "TimelineView",
    "User",
    "UsersView",
    "json_schema",
    "to_data",
    "to_json",
    "write_schemas",
]


@dataclass(frozen=True)
class AccountRef:
    key: str
    name: str | None


# -- import and custody ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    source: str
    import_id: int
    status: str  # done | unchanged
    resumed: bool
    report: dict[str, Any]


@dataclass(frozen=True)
class ImportRow:
    id: int
    status: str
    format: str | None
    layout: str | None
    started_at: str | None
    operator: str
    source: str
    error: str | None
    report: dict[str, Any] | None


@dataclass(frozen=True)
class ImportsView:
    imports: list[ImportRow]


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    kind: str
    sha256: str
    size: int | None
    registered_at: str
    operator: str
    path: str


@dataclass(frozen=True)
class EvidenceList:
    total: int
    by_kind: dict[str, int]
    evidence: list[EvidenceRow]  # the first ``limit`` when one was asked for


@dataclass(frozen=True)
class EvidenceCheck:
    evidence_id: int
    status: str  # changed | missing | ...
    path: str
    expected: str
    found: str | None


@dataclass(frozen=True)
class EvidenceVerification:
    files: int
    problems: list[EvidenceCheck]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class AuditVerification:
    problems: list[str]
    head: str | None  # "audit #N abcdef…", None for an empty log
    logged: bool  # whether the check itself could be logged

    @property
    def ok(self) -> bool:
        return not self.problems and self.logged


@dataclass(frozen=True)
class CaseVerification:
    """``case verify``: the audit chain and its witness, every import's records against the seal
    its audit entry holds, and each evidence file against the registry (docs/audit-log.md)."""

    audit: list[str]  # problems of the chain, its head or the witness
    head: str | None
    records: list[str]  # records that differ from what their import sealed
    unsealed: list[str]  # what carries no seal to check (imported before seals, never completed)
    sealed_imports: int
    sealed_rows: int
    files: int  # evidence files re-hashed (0 with files=False)
    file_problems: list[EvidenceCheck]
    logged: bool

    @property
    def ok(self) -> bool:
        return not (self.audit or self.records or self.file_problems) and self.logged


@dataclass(frozen=True)
class AuditEntryOut:
    seq: int
    at: str
    operator: str
    action: str
    subject: str | None
    details: Any
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class AuditLog:
    entries: list[AuditEntryOut]

    @staticmethod
    def of(entries: list[AuditEntry]) -> AuditLog:
        return AuditLog([AuditEntryOut(**e.to_dict()) for e in entries])


@dataclass(frozen=True)
class CaseUpgrade:
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Summary:
    """The case summary: the sections ``veilleur summary`` prints (docs/import-model.md)."""

    summary: dict[str, Any]


# -- media, lists, matching -----------------------------------------------------------------------


@dataclass(frozen=True)
class ListsView:
    lists: list[dict[str, Any]]  # name, kind, scheme, source, versions, counts: never a hash value


@dataclass(frozen=True)
class SettingChanged:
    setting: str
    subject: str
    value: Any


@dataclass(frozen=True)
class FlaggedFileOut:
    sha256: str
    flagged: bool
    signals: list[str]
    hits: list[Hit]


@dataclass(frozen=True)
class TallyOut:
    key: str
    label: str
    messages: int
    files: list[str]
    first_utc: str | None
    last_utc: str | None


@dataclass(frozen=True)
class HitsView:
    run_id: int | None
    files: list[FlaggedFileOut]
    by_chat: list[TallyOut]
    by_account: list[TallyOut]


# -- exchanges and the network --------------------------------------------------------------------


@dataclass(frozen=True)
class PartyOut:
    account: str
    recorded: bool
    basis: str
    message_id: int | None


@dataclass(frozen=True)
class ExchangeOut:
    chat: str
    chat_title: str | None
    message_id: int
    date_utc: str | None
    setting: str
    sender: str | None
    sender_name: str | None
    recipients: list[PartyOut]
    forwarded_from: str | None
    files: list[str]
    hits: list[Hit]
    citation: str


@dataclass(frozen=True)
class ExchangesView:
    accounts: list[AccountRef]
    chat: str | None
    exchanges: list[ExchangeOut]
    names: dict[str, str]  # account key -> display name, for every account named above


@dataclass(frozen=True)
class NetworkLinkOut:
    kind: str
    detail: str
    chat: str
    chat_title: str | None
    message_id: int


@dataclass(frozen=True)
class CounterpartOut:
    account: str
    name: str | None
    kinds: list[str]
    direct: bool
    sent: int
    received: int
    links: list[NetworkLinkOut]


@dataclass(frozen=True)
class NetworkView:
    around: list[AccountRef]
    counterparts: list[CounterpartOut]


@dataclass(frozen=True)
class RoleRow:
    account: str
    name: str | None
    roles: list[str]
    sent: int
    received: int
    first_utc: str | None
    last_utc: str | None
    degree_centrality: float
    betweenness: float
    community: int | None


@dataclass(frozen=True)
class RolesView:
    accounts: list[RoleRow]


@dataclass(frozen=True)
class SightingOut:
    chat: str
    chat_title: str | None
    message_id: int
    date_utc: str | None
    sender: str | None
    sender_name: str | None
    forwarded_from: str | None


@dataclass(frozen=True)
class PropagationItem:
    files: list[str]
    flagged: bool
    possibly_new: list[str]
    sightings: list[SightingOut]


@dataclass(frozen=True)
class PropagationView:
    new_only: bool
    total: int  # items in all; ``items`` may hold only the first
    items: list[PropagationItem]


@dataclass(frozen=True)
class TimelineView:
    kind: str  # account | chat
    subject: str
    label: str
    rows: list[dict[str, Any]]


# -- records, indicators, links -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordsView:
    records: dict[str, Any]  # counts per kind and per import; never a personal value


@dataclass(frozen=True)
class IndicatorRun:
    run_id: int
    ruleset: str
    rules: int
    messages: int
    messages_with_hits: int
    hits: int
    earlier_versions: int
    hits_in_earlier_versions: int
    by_indicator: dict[str, int]
    by_confidence: dict[str, int]
    by_language: dict[str, int]
    by_rule: dict[str, int]
    dropped_by_guard: dict[str, int]
    lowered_by_guard: dict[str, int]
    seconds: float
    messages_per_second: float


@dataclass(frozen=True)
class IndicatorHitOut:
    id: int
    run_id: int
    indicator: str
    rule: str
    language: str
    confidence: str
    sensitive: bool
    hidden: bool
    span_start: int
    span_end: int
    chat: str
    chat_title: str | None
    message_id: int
    date_utc: str | None
    sender: str | None
    sender_name: str | None
    evidence_id: int
    byte_offset: int | None
    page: str | None
    version: int | None
    citation: str
    text: str  # the snippet, or why it is not shown (hidden: 'indicators reveal')
    snippet: str | None
    verified: bool | None


@dataclass(frozen=True)
class IndicatorHitsView:
    run_id: int | None
    account: str | None
    indicator: str | None
    hits: list[IndicatorHitOut]


@dataclass(frozen=True)
class Reveal:
    hit_id: int
    reason: str
    text: str


@dataclass(frozen=True)
class LinkDecisionOut:
    id: int
    kind: str
    decision: str
    operator: str
    at: str
    note: str | None


@dataclass(frozen=True)
class LinkOut:
    kind: str  # account_person | account_account
    account: str
    person: str | None
    other_account: str | None
    method: str
    match_weight: float | None
    probability: float | None
    confidence: str | None
    factors: list[dict[str, Any]]
    status: str  # proposed | confirmed | rejected
    decision: LinkDecisionOut | None
    run_id: int | None


@dataclass(frozen=True)
class LinksView:
    run_id: int | None
    account: str | None
    links: list[LinkOut]


@dataclass(frozen=True)
class LinkDecision:
    id: int
    decision: str
    account: str
    person: str | None
    other_account: str | None


# -- ranking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorHitOut:
    """An indicator hit a factor read: whether it counted in the ranking, and why."""

    id: int
    indicator: str
    rule: str
    confidence: str
    counted: bool
    why: str


@dataclass(frozen=True)
class FactorOut:
    value: str
    weight: float
    points: float
    records: list[str]
    hits: list[FactorHitOut]


@dataclass(frozen=True)
class RankedOut:
    rank: int
    subject: str
    label: str
    score: float
    jurisdiction: str
    factors: dict[str, FactorOut]


@dataclass(frozen=True)
class RankingView:
    ranking_id: int | None
    weights_version: str | None
    jurisdiction: str | None
    subjects: list[RankedOut]


@dataclass(frozen=True)
class RankChangeOut:
    subject: str
    label: str
    old_rank: int | None
    new_rank: int | None
    old_score: float
    new_score: float
    reasons: list[str]


@dataclass(frozen=True)
class RankComparison:
    old: int
    new: int
    changes: list[RankChangeOut]


# -- search ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHitOut:
    """One document found: where it is (message, chat, sender, time), why (field, snippet with the
    matched words at ``marks``), and its citation."""

    source: str  # message | version | name | chat | identifier | person | contact | session
    field: str  # text | poll | file | name | username | title | phone | email | ip
    chat: str | None
    chat_title: str | None
    message_id: int | None
    version: int | None  # an earlier text of the message, since edited away
    account: str | None  # the sender of a message; the account a name or identifier is of
    sender_name: str | None
    date_utc: str | None
    snippet: str
    marks: list[tuple[int, int]]  # [start, end) of each matched word in the snippet
    hidden: bool  # text held back until an indicator hit's audited reveal
    possibly_deleted: bool
    citation: str
    score: float


@dataclass(frozen=True)
class CountOut:
    key: str
    label: str
    hits: int


@dataclass(frozen=True)
class SearchView:
    query: str
    total: int
    offset: int
    limit: int
    hits: list[SearchHitOut]
    by_chat: list[CountOut]
    by_account: list[CountOut]
    milliseconds: float


@dataclass(frozen=True)
class IndexRun:
    messages: int
    versions: int
    other_documents: int
    documents: int
    terms_added: int
    seconds: float
    by_field: dict[str, int]


@dataclass(frozen=True)
class KeywordRun:
    run_id: int
    list_name: str
    list_sha256: str
    terms: int
    hits: int
    messages: int
    by_term: dict[str, int]
    skipped: list[str]
    seconds: float


@dataclass(frozen=True)
class KeywordHitsView:
    run_id: int | None
    list_name: str | None
    terms: list[CountOut]  # key: the term, hits: its count
    hits: list[SearchHitOut]  # the first hits of each term


# -- outputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dossiers:
    folder: str
    files: list[str]


@dataclass(frozen=True)
class NoteOut:
    id: int
    kind: str  # account | person | chat | message
    target: str  # its key; a message is <chat key>#<message id>
    text: str
    tags: list[str]
    shared: bool  # shown in dossiers and exports
    author: str
    created_at: str
    withdrawn_at: str | None
    withdrawn_by: str | None


@dataclass(frozen=True)
class NotesView:
    kind: str | None
    target: str | None
    notes: list[NoteOut]


@dataclass(frozen=True)
class OutputFileOut:
    path: str  # inside the case's outputs folder
    size: int
    modified_utc: str


@dataclass(frozen=True)
class OutputsView:
    files: list[OutputFileOut]


@dataclass(frozen=True)
class OutputBody:
    """A produced document's bytes, for a client to open (never JSON: no schema)."""

    path: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class ExportWritten:
    format: str
    folder: str
    files: list[str]


# -- people ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user: str
    display_name: str | None
    role: str
    added_by: str
    added_at: str


@dataclass(frozen=True)
class MembersView:
    members: list[Member]


@dataclass(frozen=True)
class UsersView:
    users: list[User]


# -- profiles and the graph (the web application's pages) ----------------------------------------


@dataclass(frozen=True)
class AccountProfile:
    """Everything about one account: its dossier's content (``profile``: names over time,
    identifiers and returns with their sources, activity, network measures, exchanges sent and
    received with citations, counterparts, timeline, indicator hits with sensitive text held back,
    linked person) and every current link that concerns it."""

    account: str
    label: str
    profile: dict[str, Any]
    links: list[LinkOut]


@dataclass(frozen=True)
class PersonProfile:
    person: str
    label: str
    records: list[dict[str, Any]]  # identity records: name, birth date, place, source
    attributes: list[dict[str, Any]]  # kind, value, source, place
    links: list[LinkOut]


@dataclass(frozen=True)
class GraphNode:
    account: str
    label: str
    roles: list[str]
    community: int | None
    sent: int
    received: int
    x: float
    y: float


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    exchanges: int
    private: int
    group: int


@dataclass(frozen=True)
class GraphView:
    """The exchange network (sender → recipient, weighted by flagged exchanges), capped on the
    server: the ``limit`` best-connected accounts of the window, or the ego network of ``center``
    within ``depth`` steps. Positions are computed on the server so a browser only draws."""

    center: str | None
    depth: int
    since_utc: str | None
    until_utc: str | None
    total_accounts: int
    total_edges: int
    truncated: bool  # fewer accounts drawn than the network holds
    edges_truncated: bool  # only the strongest edges between the drawn accounts
    nodes: list[GraphNode]
    edges: list[GraphEdge]


RESULT_TYPES: dict[str, type[Any]] = {
    t.__name__: t
    for t in (
        AccountProfile,
        GraphView,
        NoteOut,
        NotesView,
        OutputsView,
        PersonProfile,
        AuditLog,
        AuditVerification,
        CaseUpgrade,
        CaseVerification,
        Dossiers,
        EvidenceList,
        EvidenceVerification,
        ExchangesView,
        ExportWritten,
        HashReport,
        HitsView,
        ImportOutcome,
        IndexRun,
        KeywordHitsView,
        KeywordRun,
        ImportsView,
        IndicatorHitsView,
        IndicatorRun,
        LinkDecision,
        LinkReport,
        LinksView,
        ListImportReport,
        ListsView,
        MatchReport,
        MembersView,
        NetworkView,
        PropagationView,
        RankComparison,
        RankingView,
        RecordImportReport,
        RecordsView,
        Reveal,
        RolesView,
        SearchView,
        SettingChanged,
        Summary,
        TimelineView,
        UsersView,
    )
}
"""Every result type by name: one JSON Schema each in ``docs/schemas/<name>.json``."""


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(t: type[Any]) -> TypeAdapter[Any]:
    if t not in _ADAPTERS:
        _ADAPTERS[t] = TypeAdapter(t)
    return _ADAPTERS[t]


def to_data(result: Any) -> Any:
    """The result as JSON-ready data, in the shape its type states."""
    return _adapter(type(result)).dump_python(result, mode="json")


def to_json(result: Any, *, indent: bool = False) -> bytes:
    return orjson.dumps(to_data(result), option=orjson.OPT_INDENT_2 if indent else 0)


def json_schema(t: type[Any]) -> dict[str, Any]:
    """The JSON Schema of a result type, as serialised (``docs/schemas/``)."""
    return _adapter(t).json_schema(mode="serialization")


def write_schemas(folder: Path) -> list[Path]:
    """Write ``<Name>.json``, the JSON Schema of every result type, into ``folder`` (docs/schemas)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, t in sorted(RESULT_TYPES.items()):
        path = folder / f"{name}.json"
        path.write_bytes(
            orjson.dumps(json_schema(t), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        written.append(path)
    return written


if __name__ == "__main__":  # python -m veilleur.app.results docs/schemas
    import sys

    for p in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(p)
