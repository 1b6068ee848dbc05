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

__all__ = [
    "EARLIEST_EPOCH",
    "LATEST_EPOCH",
    "iso_utc",
    "now_iso",
    "now_iso_seconds",
    "parse_window",
    "utc_day",
]

_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
_MICROSECONDS = "%Y-%m-%dT%H:%M:%S.%fZ"

EARLIEST_EPOCH = -62_135_596_800
"""0001-01-01T00:00:00Z: the first second a four-digit ISO 8601 year (and Python) can write."""
LATEST_EPOCH = 253_402_300_799
"""9999-12-31T23:59:59Z: the last second a four-digit ISO 8601 year (and Python) can write."""


def iso_utc(epoch: int | float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC to the second (``2024-03-01T12:00:00Z``); None stays None.

    A value no calendar date holds (past the year 9999, before the year 1, not a number) is None
    as well: imports no longer store such dates, but a case imported before may hold one, and a
    summary, report or export must not stop over it.
    """
    if epoch is None or not EARLIEST_EPOCH <= epoch < LATEST_EPOCH + 1:  # NaN fails both comparisons
        return None
    d = datetime.fromtimestamp(epoch, UTC)
    # Not strftime: its %Y writes the year 0042 as "42" on Linux, which is not ISO 8601.
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


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
