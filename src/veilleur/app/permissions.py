"""Who may do what in a case: the roles of an investigation team and the permission table, as data.

The table is the one place that says it; :meth:`veilleur.app.session.CaseSession.require` is the one
place that enforces it, at the door of every use case, for every client (command line, web, API
scripts). ``docs/permissions.md`` prints this table; a test keeps the two the same.

Roles are ranked: each can do what the one below it can. An installation *administrator* manages
the installation's users and nothing else: being one gives no access to any case. Within a case an
administrator is whatever their membership says, like anyone else.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["USE_CASES", "Role", "allowed", "installation_use_cases", "table_markdown"]


class Role(IntEnum):
    """A member's role in one case, lowest first."""

    VIEWER = 1
    """Reads the case: summaries, hits, exchanges, network, links, rankings. No reveal of hidden
    text, no run, no decision."""
    ANALYST = 2
    """Also imports and runs analyses, proposes and decides links, reveals sensitive text with a
    reason."""
    LEAD = 3
    """Also manages the case's members and settings, writes exports, dossiers and reports for
    prosecutors, reads the audit log and upgrades the case's schema."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"no role {value!r}: one of viewer, analyst, lead") from None


# Use case -> the least role that may run it. The names are those of the audit entries they write
# (a view's entry is ``view.<name>`` unless the use case is an action with an entry of its own).
USE_CASES: dict[str, Role] = {
    # reading the case
    "summary": Role.VIEWER,
    "imports.show": Role.VIEWER,
    "evidence.list": Role.VIEWER,
    "lists.show": Role.VIEWER,
    "hits": Role.VIEWER,
    "exchanges": Role.VIEWER,
    "network": Role.VIEWER,
    "roles": Role.VIEWER,
    "propagation": Role.VIEWER,
    "timeline": Role.VIEWER,
    "records.show": Role.VIEWER,
    "accounts.show": Role.VIEWER,
    "persons.show": Role.VIEWER,
    "indicators.show": Role.VIEWER,
    "links.show": Role.VIEWER,
    "ranking.show": Role.VIEWER,
    "ranking.compare": Role.VIEWER,
    "members.show": Role.VIEWER,
    "audit.verify": Role.VIEWER,
    "search": Role.VIEWER,
    "keywords.show": Role.VIEWER,
    "outputs.show": Role.VIEWER,
    "notes.show": Role.VIEWER,
    # analysing it
    "import": Role.ANALYST,
    "evidence.verify": Role.ANALYST,
    "case.verify": Role.ANALYST,
    "hash": Role.ANALYST,
    "lists.import": Role.ANALYST,
    "match": Role.ANALYST,
    "records.import": Role.ANALYST,
    "indicators.run": Role.ANALYST,
    "indicators.reveal": Role.ANALYST,
    "link.run": Role.ANALYST,
    "link.decide": Role.ANALYST,
    "rank.run": Role.ANALYST,
    "search.index": Role.ANALYST,
    "keywords.run": Role.ANALYST,
    "notes.write": Role.ANALYST,
    # leading it
    "settings": Role.LEAD,
    "members.manage": Role.LEAD,
    "dossiers": Role.LEAD,
    "reports": Role.LEAD,
    "export": Role.LEAD,
    "audit.show": Role.LEAD,
    "case.upgrade": Role.LEAD,
}


def allowed(role: Role | None, use_case: str) -> bool:
    """Whether a member of ``role`` (None: not a member) may run ``use_case``."""
    return role is not None and role >= USE_CASES[use_case]


def installation_use_cases() -> dict[str, str]:
    """The installation's own use cases and who may run them (not case data)."""
    return {
        "users.show": "administrator",
        "users.manage": "administrator",
        "case.init": "any user (becomes the new case's lead)",
    }


def table_markdown() -> str:
    """The permission table as ``docs/permissions.md`` prints it (a test keeps the doc current)."""
    roles = list(Role)
    lines = [
        "| use case | " + " | ".join(r.label for r in roles) + " | not a member |",
        "|---|" + "---|" * (len(roles) + 1),
    ]
    for name, least in USE_CASES.items():
        cells = ["yes" if r >= least else "—" for r in roles]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " | — |")
    return "\n".join(lines) + "\n"
