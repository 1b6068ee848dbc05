"""The cases a server serves, each opened once per worker and named in URLs by a short id.

A worker keeps its cases open across requests (a PostgreSQL case keeps its connection pool), and
opens a :class:`~veilleur.app.session.CaseSession` per request with the role the user has *now*, so
that a membership changed by a lead applies at the next click. Opening a case never changes it
(:func:`veilleur.case.open_case`): several workers may serve the same case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veilleur.app import CaseSession, Installation, NotFound
from veilleur.app.session import open_shared_case, session_for

__all__ = ["Catalog", "ServedCase"]


@dataclass
class ServedCase:
    id: str  # as in URLs: /cases/<id>/...
    path: Path
    case: Any  # veilleur.case.Case, reached through the application layer only


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:48] or "case"


class Catalog:
    """The served cases by id: the case folder's name, made URL-safe and unique."""

    def __init__(self, folders: list[Path], installation: Installation) -> None:
        self.installation = installation
        self.cases: dict[str, ServedCase] = {}
        for folder in folders:
            case = open_shared_case(folder)
            base = _slug(folder.resolve().name)
            cid, n = base, 2
            while cid in self.cases:
                cid, n = f"{base}-{n}", n + 1
            self.cases[cid] = ServedCase(cid, folder.resolve(), case)

    def get(self, cid: str) -> ServedCase:
        try:
            return self.cases[cid]
        except KeyError:
            raise NotFound(f"no case {cid!r} on this server") from None

    def session(self, cid: str, user: str) -> CaseSession:
        """``user`` on case ``cid``, with their role in it now (None: not a member)."""
        return session_for(self.get(cid).case, user, self.installation)

    def session_at(self, case_path: str, user: str) -> CaseSession:
        """``user`` on the served case whose folder is ``case_path`` (a background job's case)."""
        for served in self.cases.values():
            if str(served.path) == case_path:
                return session_for(served.case, user, self.installation)
        raise NotFound(f"the case at {case_path} is not served here")

    def of_member(self, user: str) -> list[tuple[ServedCase, CaseSession]]:
        """The cases ``user`` is a member of: the only ones a user is shown."""
        out = []
        for served in self.cases.values():
            s = session_for(served.case, user, self.installation)
            if s.role is not None:
                out.append((served, s))
        return out

    def listing(self, user: str) -> list[dict[str, str]]:
        """The cases ``user`` is a member of, as the case list and the API show them."""
        return [
            {"id": served.id, "name": served.case.name, "role": s.role.label if s.role else ""}
            for served, s in self.of_member(user)
        ]

    def close(self) -> None:
        for served in self.cases.values():
            served.case.close()
