"""Use cases that gather everything about one account or one person: the pages of the web
application and the JSON of its API.

An account's profile is its dossier's content (:func:`veilleur.outputs.dossier.account_dossier`,
so a page and a dossier never disagree) with the links that concern it; a person's profile is the
person's identity records and attributes with their sources, and every account linked to them with
each link's factors and status.
"""

from __future__ import annotations

from dataclasses import replace

from veilleur.analysis.conflicts import sender_conflicts
from veilleur.analysis.priority import ranking_record, stored_ranking
from veilleur.app.identity import _link
from veilleur.app.resolve import resolve_account, resolve_person
from veilleur.app.results import AccountProfile, PersonProfile
from veilleur.app.session import CaseSession, use_case
from veilleur.app.snapshots import case_analysis, case_exchanges, case_propagation, change_mark, memo
from veilleur.linking import current_links
from veilleur.outputs.dossier import DossierContext, account_dossier, person_identity
from veilleur.timefmt import now_iso

__all__ = ["account_profile", "person_profile"]


@use_case("accounts.show")
def account_profile(session: CaseSession, account: str) -> AccountProfile:
    """Names and usernames over time, identifiers with their sources, flagged exchanges sent and
    received with their citations, counterparts, timeline, text-indicator hits (sensitive text held
    back), the person the account is linked to and every link that concerns it."""
    with session.reading() as conn:
        who = resolve_account(conn, account)
        shared = memo(
            session,
            conn,
            "dossier-context",
            lambda: DossierContext.build(
                conn,
                "",
                exchanges=case_exchanges(session, conn),
                analysis=case_analysis(session, conn),
                new_material=case_propagation(session, conn)[1],
            ),
        )
        # A ranking does not change the evidence the shared context is kept for: the latest one is
        # read here (a stored ranking never changes, so its id names its memo).
        latest = stored_ranking(conn)
        ranked = (
            memo(session, conn, f"ranking:{latest[0]}", lambda: ranking_record(conn, latest[0]))
            if latest is not None
            else None
        )
        ctx = replace(shared, operator=session.user, generated_at=now_iso(), ranking=ranked)
        # notes, links and decisions change without the evidence changing: they name the memo too
        data = memo(
            session,
            conn,
            f"account:{who.key}@{change_mark(conn)}",
            lambda: account_dossier(conn, who.id, ctx),
        )
        found = [_link(v) for v in current_links(conn) if who.id in (v.account_id, v.other_account_id)]
        # A later export that named someone else as a message's sender: shown on both accounts.
        data = {**data, "sender_conflicts": sender_conflicts(conn, who.id)}
    session.log_view("account", subject=who.key)
    return AccountProfile(who.key, who.label, data, found)


@use_case("persons.show")
def person_profile(session: CaseSession, person: str) -> PersonProfile:
    """A person: identity records and attributes with their sources, and each linked account with
    its link's factors, confidence and decision."""
    with session.reading() as conn:
        who = resolve_person(conn, person)
        records, attributes = person_identity(conn, who.id)
        found = [_link(v) for v in current_links(conn) if v.person_id == who.id]
    session.log_view("person", subject=who.key)
    return PersonProfile(who.key, who.label, records, attributes, found)
