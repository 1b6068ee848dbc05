"""Use cases of known material: hashing, hash lists and their settings, matching, the hits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from veilleur.app.results import FlaggedFileOut, HitsView, ListsView, SettingChanged, TallyOut
from veilleur.app.session import CaseSession, use_case
from veilleur.custody import audit
from veilleur.hashing.runner import HashReport, hash_case_media
from veilleur.lists import ListImportReport, import_list, list_summaries
from veilleur.lists.thresholds import set_pdq_threshold
from veilleur.matching.results import Tally, current_run, flagged_files, hits_by_account, hits_by_chat
from veilleur.matching.run import MatchOptions, MatchReport, match_case
from veilleur.timefmt import iso_utc

__all__ = ["hash_media", "hits", "import_hash_list", "lists", "match", "set_list_threshold"]


@use_case("hash")
def hash_media(
    session: CaseSession,
    *,
    workers: int | None = None,
    limit: int | None = None,
    retry_failed: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> HashReport:
    """Hash every media file once (MD5, SHA-1, SHA-256, PDQ, vPDQ); resumable; logged (``hash``)."""
    return hash_case_media(
        session.case,
        workers=workers,
        operator=session.user,
        limit=limit,
        retry_failed=retry_failed,
        progress=progress,
    )


@use_case("lists.import")
def import_hash_list(
    session: CaseSession,
    path: Path,
    *,
    name: str,
    version: str | None = None,
    scheme: str | None = None,
    negative: bool = False,
    source: str | None = None,
    format: str | None = None,
    full: bool | None = None,
    hash_type: str | None = None,
) -> ListImportReport:
    """Import a hash-list file as a new version of the list ``name``; logged (``lists.import``)."""
    return import_list(
        session.case,
        path,
        name=name,
        operator=session.user,
        version=version,
        scheme=scheme,
        source=source,
        kind="negative" if negative else None,
        format=format,
        full=full,
        hash_type=hash_type,
    )


@use_case("settings")
def set_list_threshold(session: CaseSession, name: str, bits: int | None) -> SettingChanged:
    """Set a list's PDQ distance (None: back to the default); logged with the setting."""
    with session.case.engine.begin() as conn:
        where = set_pdq_threshold(conn, name, bits, operator=session.user)
    audit.witness(session.case, where)
    return SettingChanged("pdq_threshold", name, bits)


@use_case("lists.show")
def lists(session: CaseSession) -> ListsView:
    with session.reading() as conn:
        summaries = list_summaries(conn)
    session.log_view("lists", details={"lists": len(summaries)})
    return ListsView(summaries)


@use_case("match")
def match(session: CaseSession, options: MatchOptions | None = None) -> MatchReport:
    """Match every hashed file against every list; the run and its hits are logged (``match``)."""
    report = match_case(session.case, options, operator=session.user)
    audit.witness(session.case)  # logged in the run's transaction; witnessed now it is committed
    return report


def _tally(x: Tally) -> TallyOut:
    return TallyOut(
        x.key, x.label, len(x.messages), sorted(x.files), iso_utc(x.first_utc), iso_utc(x.last_utc)
    )


@use_case("hits")
def hits(session: CaseSession) -> HitsView:
    """The current run's flagged files with the signals that agree, per chat and per account."""
    with session.reading() as conn:
        run_id = current_run(conn)
        files = flagged_files(conn)
        by_chat, by_account = hits_by_chat(conn), hits_by_account(conn)
    session.log_view("hits", details={"run_id": run_id})
    return HitsView(
        run_id,
        [FlaggedFileOut(f.sha256, f.flagged, list(f.signals), list(f.hits)) for f in files],
        [_tally(x) for x in by_chat],
        [_tally(x) for x in by_account],
    )
