"""How Veilleur writes an instant in UTC: one format for reports, exports and custody.

Every place that shows or stores a point in time (a message's date in a dossier or an export, the
time an export or a run was made, a custody event) writes it as ISO 8601 in UTC with a ``Z``, so
that times from different outputs compare as text and never need a zone to be read.

Times of messages and export stamps are to the second, which is what Telegram records. Custody
events and run records keep microseconds (:func:`now_iso`): they are ordered by that text, and two
events of one second must not tie.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso_utc", "now_iso", "now_iso_seconds", "parse_window", "utc_day"]

_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
_MICROSECONDS = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso_utc(epoch: int | float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC to the second (``2024-03-01T12:00:00Z``); None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime(_SECONDS)


def now_iso() -> str:
    """Now, to the microsecond (``2024-03-01T12:00:00.123456Z``): custody events and run records."""
    return datetime.now(UTC).strftime(_MICROSECONDS)


def now_iso_seconds() -> str:
    """Now, to the second, in the form of :func:`iso_utc`: the stamp of an export's manifest."""
    return datetime.now(UTC).strftime(_SECONDS)


def utc_day(value: str, what: str) -> int:
    """A day written ``YYYY-MM-DD`` as the epoch second of its start, UTC; a clear error if not."""
    from veilleur.errors import InvalidValue

    try:
        d = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidValue(f"{what}: wants a day as YYYY-MM-DD, not {value!r}") from None
    return int(d.timestamp())


def parse_window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """A window of days, ``since`` included and ``until`` excluded, as epoch seconds (None: open)."""
    return (
        utc_day(since, "since") if since else None,
        utc_day(until, "until") if until else None,
    )
