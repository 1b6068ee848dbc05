"""What every command gets: the case folder and the acting user, and the session they open."""

from __future__ import annotations

from pathlib import Path

from veilleur.app import CaseSession, open_session


class Ctx:
    def __init__(self, case_dir: Path, operator: str) -> None:
        self.case_dir = case_dir
        self.operator = operator

    def session(self) -> CaseSession:
        """The case opened as the acting user (closed when the process ends)."""
        return open_session(self.case_dir, self.operator)
