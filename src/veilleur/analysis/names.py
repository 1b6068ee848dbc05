"""Resolving a bare name to an account, as far as the case allows, and saying how.

Telegram exports name people without ids in several places: the members of ``invite_members``
and ``create_group`` service messages, ``forwarded_from`` of forwards, HTML exports. A name
resolves to an account only when exactly one account of the case was observed with it (as a
display name, a username or a contact-saved name); otherwise it stays a name, and nothing is
guessed. Every resolution says which observation it rests on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, select

from veilleur.store.schema import account_names, accounts

__all__ = ["NameIndex", "Resolution"]

_KINDS = ("display_name", "contact_name", "username")


@dataclass(frozen=True)
class Resolution:
    name: str
    account_id: int | None  # None: no account, or several, carry this name
    basis: str  # why, in words an analyst reads


class NameIndex:
    """Every (name → accounts) observation of the case, loaded once."""

    def __init__(self, conn: Connection) -> None:
        self._by_name: defaultdict[str, set[int]] = defaultdict(set)
        self._kinds: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        rows = conn.execute(
            select(account_names.c.account_id, account_names.c.name_kind, account_names.c.value)
            .join(accounts, accounts.c.id == account_names.c.account_id)
            .where(account_names.c.name_kind.in_(_KINDS), accounts.c.identity == "platform_id")
        )
        for account_id, kind, value in rows:
            for key in {value.strip(), value.strip().lstrip("@")}:
                if key:
                    self._by_name[key].add(account_id)
                    self._kinds[(key, account_id)].add(kind.replace("_", " "))

    def resolve(self, name: str | None) -> Resolution:
        name = (name or "").strip()
        if not name:
            return Resolution("", None, "no name given")
        found = self._by_name.get(name, set())
        if len(found) == 1:
            (account_id,) = found
            kinds = " and ".join(sorted(self._kinds[(name, account_id)]))
            return Resolution(name, account_id, f"the only account seen with this {kinds}")
        if found:
            return Resolution(name, None, f"{len(found)} accounts carry this name: not resolved")
        return Resolution(name, None, "no account of the case carries this name")
