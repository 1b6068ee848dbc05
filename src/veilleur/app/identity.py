"""Use cases of the people behind the accounts: records, text indicators, links and decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from veilleur.analysis.indicators import IndicatorHit, current_run, hits_for, reveal, run_indicators
from veilleur.app.resolve import resolve_account, resolve_person
from veilleur.app.results import (
    IndicatorHitOut,
    IndicatorHitsView,
    IndicatorRun,
    LinkDecision,
    LinkDecisionOut,
    LinkOut,
    LinksView,
    RecordsView,
    Reveal,
)
from veilleur.app.search import refresh_index
from veilleur.app.session import CaseSession, use_case
from veilleur.errors import VeilleurError
from veilleur.linking import (
    LinkReport,
    LinkSettingsError,
    LinkView,
    current_links,
    decide,
    latest_run,
    link_case,
)
from veilleur.records import import_records, records_summary
from veilleur.records.importer import RecordImportReport
from veilleur.timefmt import iso_utc

__all__ = [
    "LinkConflict",
    "decide_link",
    "import_record_file",
    "indicator_hits",
    "link_state",
    "links",
    "records",
    "reveal_hit",
    "run_indicator_scan",
    "run_linking",
]


@use_case("records.import")
def import_record_file(
    session: CaseSession,
    path: Path,
    *,
    kind: str,
    source: str | None = None,
    format: str | None = None,
    region: str = "FR",
) -> RecordImportReport:
    """Import a file of lawful returns, identity records or attributes, whole or not at all."""
    report = import_records(
        session.case, path, kind=kind, operator=session.user, source=source, format=format, region=region
    )
    if report.status != "unchanged":
        refresh_index(
            session.case, operator=session.user, after_import=True
        )  # its identifiers are searchable
    return report


@use_case("records.show")
def records(session: CaseSession) -> RecordsView:
    with session.reading() as conn:
        s = records_summary(conn)
    session.log_view("records", details={"imports": len(s["imports"])})
    return RecordsView(s)


@use_case("indicators.run")
def run_indicator_scan(session: CaseSession) -> IndicatorRun:
    """Scan every message text with the French and English rules; the hits become the current run."""
    report = run_indicators(session.case, operator=session.user)
    d = report.to_dict()
    return IndicatorRun(**{k: d[k] for k in IndicatorRun.__dataclass_fields__})


def _hit(h: IndicatorHit) -> IndicatorHitOut:
    return IndicatorHitOut(
        h.id,
        h.run_id,
        h.indicator,
        h.rule,
        h.language,
        h.confidence,
        h.sensitive,
        h.sensitive,
        h.span_start,
        h.span_end,
        h.chat_key,
        h.chat_title,
        h.message_id,
        iso_utc(h.date_utc),
        h.sender_key,
        h.sender_name,
        h.evidence_id,
        h.byte_offset,
        h.page,
        h.version,
        h.citation,
        h.shown_text(),
        h.snippet,
        h.verified,
    )


@use_case("indicators.show")
def indicator_hits(
    session: CaseSession, *, account: str | None = None, indicator: str | None = None
) -> IndicatorHitsView:
    """The current run's hits with their citations; sensitive text hidden (see :func:`reveal_hit`)."""
    with session.reading() as conn:
        who = resolve_account(conn, account) if account else None
        run_id = current_run(conn)
        found = hits_for(conn, account_id=who.id if who else None, indicator=indicator)
    session.log_view(
        "indicators",
        subject=who.key if who else None,
        details={"run_id": run_id, "indicator": indicator, "hits": len(found)},
    )
    return IndicatorHitsView(run_id, who.key if who else None, indicator, [_hit(h) for h in found])


@use_case("indicators.reveal")
def reveal_hit(session: CaseSession, hit_id: int, *, reason: str) -> Reveal:
    """The hidden text of one hit with some context, logged (``reveal.text``, with the reason) first."""
    return Reveal(hit_id, reason, reveal(session.case, hit_id, operator=session.user, reason=reason))


@use_case("link.run")
def run_linking(session: CaseSession, *, settings_path: Path | None = None) -> LinkReport:
    """Link every account to persons of the identity records, and to other accounts (aliases)."""
    settings: dict[str, Any] | None = None
    if settings_path is not None:
        try:
            settings = orjson.loads(settings_path.read_bytes())
        except orjson.JSONDecodeError as e:
            raise LinkSettingsError(f"not JSON: {e}", file=str(settings_path)) from e
    return link_case(session.case, operator=session.user, settings=settings)


class LinkConflict(VeilleurError):
    """A decision on a proposal that changed since the user saw it."""


def link_state(link: LinkOut) -> str:
    """What a reviewer saw of a proposal: its run, its status and the decision in force."""
    return f"{link.run_id or 0}:{link.status}:{link.decision.id if link.decision else 0}"


def _what_changed(now: LinkOut | None) -> str:
    if now is None:
        return "this proposal is no longer current (a later run replaced it): reload the page"
    if now.decision is not None:
        d = now.decision
        return (
            f"this proposal changed since you loaded the page: {d.operator} {d.decision} it at "
            f"{d.at} ({d.note or 'no reason given'}); reload the page to decide again"
        )
    return f"this proposal changed since you loaded the page (now {now.status}, run {now.run_id}): reload it"


def _link(v: LinkView) -> LinkOut:
    d = v.decision
    return LinkOut(
        v.kind,
        v.account_key,
        v.person_key,
        v.other_account_key,
        v.method,
        v.match_weight,
        v.probability,
        v.confidence,
        v.factors,
        v.status,
        LinkDecisionOut(d.id, d.kind, d.decision, d.operator, d.decided_at, d.note) if d else None,
        v.run_id,
    )


@use_case("links.show")
def links(session: CaseSession, *, account: str | None = None) -> LinksView:
    """The current links: the latest run's candidates with the decisions in force, and why."""
    with session.reading() as conn:
        who = resolve_account(conn, account) if account else None
        run_id = latest_run(conn)
        found = [
            v for v in current_links(conn) if who is None or who.id in (v.account_id, v.other_account_id)
        ]
    session.log_view(
        "links", subject=who.key if who else None, details={"run_id": run_id, "links": len(found)}
    )
    return LinksView(run_id, who.key if who else None, [_link(v) for v in found])


@use_case("link.decide")
def decide_link(
    session: CaseSession,
    account: str,
    *,
    decision: str,
    person: str | None = None,
    other_account: str | None = None,
    note: str | None = None,
    seen: str | None = None,
) -> LinkDecision:
    """Confirm or reject that ``account`` is ``person`` (or the same person as ``other_account``);
    every later run respects it. Logged (``link.decide``) with the decision.

    ``seen`` is the :func:`link_state` of the proposal as the deciding user saw it (a page loaded
    earlier): if another reviewer decided it, or a new run changed it, since then, the decision is
    refused with what changed, so that two reviewers never overwrite each other unknowingly."""
    if (person is None) == (other_account is None):
        raise VeilleurError("give exactly one of a person or another account")
    with session.reading() as conn:
        who = resolve_account(conn, account)
        target = (
            resolve_person(conn, person) if person is not None else resolve_account(conn, str(other_account))
        )
        if seen is not None:
            now = next(
                (
                    _link(v)
                    for v in current_links(conn)
                    if v.account_id == who.id
                    and (v.person_id if person is not None else v.other_account_id) == target.id
                ),
                None,
            )
            if now is None or link_state(now) != seen:
                raise LinkConflict(_what_changed(now))
    d = decide(
        session.case,
        kind="account_person" if person is not None else "account_account",
        account_id=who.id,
        person_id=target.id if person is not None else None,
        other_account_id=target.id if person is None else None,
        decision=decision,
        operator=session.user,
        note=note,
    )
    return LinkDecision(
        d.id,
        decision,
        who.key,
        target.key if person is not None else None,
        target.key if person is None else None,
    )
