"""The command line's exit codes, documented once (``veilleur --help`` and ``docs/cli.md``)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    """Done."""
    CHECK_FAILED = 1
    """A check found a problem: evidence or audit verification, the demo's ground truth."""
    USAGE = 2
    """A usage error, reported by click (an unknown option, a missing argument)."""
    ERROR = 3
    """A Veilleur error: bad input, a case that cannot be opened or must be upgraded."""
    DENIED = 4
    """Refused by the permission table (the refusal is in the case's audit log)."""
    NOT_FOUND = 5
    """A key or name that names nothing in the case, or several things (candidates listed)."""
