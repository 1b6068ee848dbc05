"""Errors an analyst reads. Each names the file and the place in it, so bad input is findable."""

from __future__ import annotations

from typing import Any


class VeilleurError(Exception):
    """Base error: a message, and where the problem is when a file is involved."""

    def __init__(self, message: str, *, file: str | None = None, place: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.place = place

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep file and place when the error crosses a process boundary (pipelined imports).
        return (_rebuild, (type(self), self.message, self.file, self.place))

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.file, self.place) if p)
        return f"{where}: {self.message}" if where else self.message


class BadInput(VeilleurError):
    """The input is not what it claims to be: truncated, malformed, wrong encoding, not an export."""


class UnsafeInput(BadInput):
    """The input tries to reach outside itself (``..``, absolute path, symlink) or is a bomb."""


class NotRegularFile(UnsafeInput):
    """A FIFO, socket or device stands where a file should be: never read, since reading it
    could block forever or never end (:func:`veilleur.safeio.open_regular`)."""


class CaseError(VeilleurError):
    """The case workspace is missing, already exists, or is of an unknown schema."""


class EvidenceChanged(VeilleurError):
    """A registered evidence file no longer has the hash it was registered with."""


class AuditError(VeilleurError):
    """The audit log cannot be appended to as it stands (its head is missing or behind)."""


class InvalidValue(VeilleurError, ValueError):
    """One value is not what its type requires (a hash, a phone number, a date); the message says
    what is expected. Also a :class:`ValueError`, which is what it is to code that parses."""


class PermissionDenied(VeilleurError):
    """The acting user's role in the case does not allow this use case (the refusal is audited)."""


class NotFound(VeilleurError):
    """A key or name typed by a user names nothing in the case, or more than one thing.

    ``candidates`` lists what it may have meant, each as ``(key, label)``: the message says them.
    """

    def __init__(
        self,
        message: str,
        *,
        candidates: list[tuple[str, str]] | None = None,
        file: str | None = None,
        place: str | None = None,
    ) -> None:
        self.candidates = candidates or []
        if self.candidates:
            shown = ", ".join(f"{k} ({label})" if label and label != k else k for k, label in self.candidates)
            message = f"{message}; did you mean {shown}?"
        super().__init__(message, file=file, place=place)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_not_found, (self.message, self.candidates, self.file, self.place))


def _rebuild_not_found(
    message: str, candidates: list[tuple[str, str]], file: str | None, place: str | None
) -> NotFound:
    e = NotFound(message, file=file, place=place)
    e.candidates = candidates
    return e


def _rebuild(cls: type[VeilleurError], message: str, file: str | None, place: str | None) -> VeilleurError:
    return cls(message, file=file, place=place)
