"""A case session: one user acting on one case, and the door every use case goes through.

Every client (the command line, the web application, a script with an API token) opens a
:class:`CaseSession` and calls use cases with it. A use case is a function decorated with
:func:`use_case`: before its body runs, the session checks the permission table
(:mod:`veilleur.app.permissions`); a refusal is written to the case's audit log (``access.refused``)
and raised as :class:`~veilleur.errors.PermissionDenied`, and nothing else happens. Views write
their audit entry through :meth:`CaseSession.log_view` *before* returning what they read, so
what cannot be logged is not shown; actions log in the transaction of the change they make.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, select

from veilleur.app.permissions import USE_CASES, Role, allowed
from veilleur.app.users import Installation, open_installation
from veilleur.case import Case, open_case
from veilleur.custody.audit import AuditPosition
from veilleur.errors import PermissionDenied
from veilleur.store.schema import case_members

__all__ = ["REGISTRY", "CaseSession", "open_session", "open_shared_case", "session_for", "use_case"]

P = ParamSpec("P")
R = TypeVar("R")

REGISTRY: dict[str, Callable[..., Any]] = {}
"""Every use case by name: what the contract and permission tests walk, and the web routes call."""


@dataclass
class CaseSession:
    """The case, the acting user and their role in it (None: not a member)."""

    case: Case
    user: str
    role: Role | None
    installation: Installation | None = field(default=None, repr=False)

    @property
    def operator(self) -> str:
        """The name recorded in custody and the audit log: the user's."""
        return self.user

    def can(self, use_case: str) -> bool:
        return allowed(self.role, use_case)

    def require(self, use_case: str) -> None:
        """Let ``use_case`` run, or log the refusal and raise :class:`PermissionDenied`."""
        if self.can(use_case):
            return
        needs = USE_CASES[use_case].label
        self.case.audit(
            "access.refused",
            operator=self.user,
            subject=use_case,
            details={"role": self.role.label if self.role else None, "needs": needs},
        )
        if self.role is None:
            raise PermissionDenied(
                f"{self.user!r} is not a member of this case; a lead of the case adds members "
                "('veilleur case members add')",
                file=str(self.case.root),
            )
        raise PermissionDenied(
            f"{use_case} needs the role {needs}; {self.user!r} is {self.role.label} in this case",
            file=str(self.case.root),
        )

    def log_view(
        self, what: str, *, subject: str | None = None, details: dict[str, Any] | None = None
    ) -> AuditPosition:
        """Log a view (``view.<what>``) in a transaction of its own, then witness it."""
        return self.case.audit(f"view.{what}", operator=self.user, subject=subject, details=details)

    def log_action(
        self, action: str, *, subject: str | None = None, details: dict[str, Any] | None = None
    ) -> AuditPosition:
        """Log an action that writes nothing else to the case (a report or export written out)."""
        return self.case.audit(action, operator=self.user, subject=subject, details=details)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read the case with (use cases only)."""
        with self.case.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.case.close()
        if self.installation is not None:
            self.installation.close()

    def __enter__(self) -> CaseSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def member_role(case: Case, user: str) -> Role | None:
    with case.engine.connect() as conn:
        role = conn.execute(select(case_members.c.role).where(case_members.c.user_name == user)).scalar()
    return Role.parse(role) if role else None


def open_shared_case(folder: Path) -> Case:
    """A case opened once for the sessions of many requests (a web worker); never migrated."""
    return open_case(folder)


def session_for(case: Case, user: str, installation: Installation) -> CaseSession:
    """A session on a case already open (a web worker keeps its cases open across requests): the
    user's role is read now. A disabled user has no role in any case."""
    role = member_role(case, user)
    known = installation.user(user) if (installation.root / "installation.sqlite").exists() else None
    if known is not None and known.disabled:
        role = None
    return CaseSession(case, user, role, installation)


def open_session(case_dir: Path, user: str, *, installation: Installation | None = None) -> CaseSession:
    """Open the case at ``case_dir`` as ``user``; :meth:`CaseSession.close` closes it."""
    return session_for(open_case(case_dir), user, installation or open_installation())


def use_case(
    name: str,
) -> Callable[[Callable[Concatenate[CaseSession, P], R]], Callable[Concatenate[CaseSession, P], R]]:
    """Make a function the use case ``name``: the session's permission is checked before it runs."""
    if name not in USE_CASES:
        raise KeyError(f"{name} is not in the permission table")

    def wrap(fn: Callable[Concatenate[CaseSession, P], R]) -> Callable[Concatenate[CaseSession, P], R]:
        @functools.wraps(fn)
        def inner(session: CaseSession, /, *args: P.args, **kwargs: P.kwargs) -> R:
            session.require(name)
            return fn(session, *args, **kwargs)

        inner.use_case = name  # type: ignore[attr-defined]
        REGISTRY.setdefault(name, inner)
        return inner

    return wrap
