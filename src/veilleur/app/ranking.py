"""Use cases of prioritisation: rank the case, show a ranking, compare two. A lead, never a verdict."""

from __future__ import annotations

from pathlib import Path

from veilleur.analysis.priority import (
    Ranked,
    explain_changes,
    load_weights,
    rank_case,
    ranking,
    stored_ranking,
)
from veilleur.app.results import (
    FactorHitOut,
    FactorOut,
    RankChangeOut,
    RankComparison,
    RankedOut,
    RankingView,
)
from veilleur.app.session import CaseSession, use_case
from veilleur.linking import persons_of

__all__ = ["compare_rankings", "rank", "show_ranking"]


def _ranked(r: Ranked) -> RankedOut:
    return RankedOut(
        r.rank,
        r.subject,
        r.label,
        r.score,
        r.jurisdiction,
        {
            k: FactorOut(
                f.value,
                f.weight,
                round(f.points, 3),
                list(f.records),
                [
                    FactorHitOut(h["id"], h["indicator"], h["rule"], h["confidence"], h["counted"], h["why"])
                    for h in f.hits
                ],
            )
            for k, f in r.factors.items()
        },
    )


def _weights_version(session: CaseSession, ranking_id: int | None) -> tuple[int | None, str | None]:
    with session.reading() as conn:
        found = stored_ranking(conn, ranking_id)
    return found if found is not None else (None, None)


@use_case("rank.run")
def rank(session: CaseSession, *, weights_path: Path | None = None) -> RankingView:
    """Score and rank everyone, with the links in force; the ranking is stored and logged (``rank``)."""
    weights = load_weights(weights_path)
    with session.reading() as conn:
        linked = {a: p.person_id for a, p in persons_of(conn).items()}
    ranking_id = rank_case(session.case, operator=session.user, weights=weights, account_person=linked)
    with session.reading() as conn:
        ranked = ranking(conn, ranking_id)
    return RankingView(ranking_id, weights.version, None, [_ranked(r) for r in ranked])


@use_case("ranking.show")
def show_ranking(
    session: CaseSession, *, ranking_id: int | None = None, jurisdiction: str | None = None
) -> RankingView:
    """A stored ranking (the latest by default), each subject with its factors and their records."""
    found, version = _weights_version(session, ranking_id)
    with session.reading() as conn:
        ranked = ranking(conn, found, jurisdiction=jurisdiction) if found is not None else []
    session.log_view("ranking", subject=jurisdiction, details={"ranking": found})
    return RankingView(found, version, jurisdiction, [_ranked(r) for r in ranked])


@use_case("ranking.compare")
def compare_rankings(session: CaseSession, old: int, new: int) -> RankComparison:
    """Why each subject moved between two rankings (an id naming none is :class:`NotFound`)."""
    with session.reading() as conn:
        changes = explain_changes(conn, old, new)
    session.log_view("ranking.compare", details={"old": old, "new": new})
    return RankComparison(
        old,
        new,
        [
            RankChangeOut(
                c.subject, c.label, c.old_rank, c.new_rank, c.old_score, c.new_score, list(c.reasons)
            )
            for c in changes
        ],
    )
