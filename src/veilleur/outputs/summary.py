"""The case summary: what the case holds, in numbers an analyst checks first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from veilleur.store.schema import (
    accounts,
    chats,
    evidence,
    import_log,
    imports,
    media,
    media_hashes,
    messages,
)
from veilleur.timefmt import EARLIEST_EPOCH, LATEST_EPOCH, iso_utc


def case_summary(conn: Connection) -> dict[str, Any]:
    """Counts of chats, accounts, messages and media, the date range, and the warnings logged."""

    def count(q: Any) -> int:
        return int(conn.execute(q).scalar() or 0)

    # A date no calendar holds (stored before imports kept such values in details instead) would
    # hide the real first or last one.
    first, last = conn.execute(
        select(func.min(messages.c.date_utc), func.max(messages.c.date_utc)).where(
            messages.c.date_utc.between(EARLIEST_EPOCH, LATEST_EPOCH)
        )
    ).one()
    by_kind: dict[str, int] = dict(
        conn.execute(select(messages.c.kind, func.count()).group_by(messages.c.kind)).all()
    )
    placeholders: dict[str, int] = dict(
        conn.execute(
            select(media.c.placeholder, func.count())
            .where(media.c.placeholder.is_not(None))
            .group_by(media.c.placeholder)
        ).all()
    )
    warnings: dict[str, int] = dict(
        conn.execute(
            select(import_log.c.code, func.count())
            .where(import_log.c.kind == "notice")
            .group_by(import_log.c.code)
        ).all()
    )
    repairs: dict[str, int] = dict(
        conn.execute(
            select(import_log.c.code, func.count())
            .where(import_log.c.kind == "repair")
            .group_by(import_log.c.code)
        ).all()
    )
    return {
        "imports": count(select(func.count()).select_from(imports).where(imports.c.status == "complete")),
        "evidence_files": count(select(func.count()).select_from(evidence)),
        "chats": count(select(func.count()).select_from(chats)),
        "accounts": count(select(func.count()).select_from(accounts)),
        "accounts_with_platform_id": count(
            select(func.count()).select_from(accounts).where(accounts.c.identity == "platform_id")
        ),
        "deleted_accounts": count(
            select(func.count()).select_from(accounts).where(accounts.c.deleted_seen.is_(True))
        ),
        "messages": sum(by_kind.values()),
        "messages_by_kind": by_kind,
        "edited_with_versions": count(
            select(func.count()).select_from(messages).where(messages.c.n_versions > 1)
        ),
        "possibly_deleted": count(
            select(func.count()).select_from(messages).where(messages.c.possibly_deleted.is_(True))
        ),
        "media_present": count(select(func.count()).select_from(media).where(media.c.present.is_(True))),
        "media_placeholders": placeholders,
        "media_missing_or_refused": count(
            select(func.count()).select_from(media).where(media.c.issue.is_not(None))
        ),
        "date_range": {"first": iso_utc(first), "last": iso_utc(last)},
        # Local times with no known offset are stored as if UTC: a timeline built on them is off
        # by the exporting machine's offset, so the summary says how many there are.
        "times_without_offset": count(
            select(func.count()).select_from(messages).where(messages.c.time_basis == "local_unknown_offset")
        ),
        "known_material": _known_material(conn),
        "repairs": repairs,
        "warnings": warnings,
    }


def _known_material(conn: Connection) -> dict[str, Any]:
    """Hashing and matching at a glance: files hashed, and the current run's flagged files."""
    from veilleur.matching.results import current_run, flagged_files

    run = current_run(conn)
    files = flagged_files(conn, run) if run is not None else []
    return {
        "files_hashed": int(conn.execute(select(func.count()).select_from(media_hashes)).scalar() or 0),
        "matching_run": run if run is not None else "none yet",
        "files_flagged": sum(f.flagged for f in files),
        "suppressed": sum(not f.flagged for f in files),
    }
