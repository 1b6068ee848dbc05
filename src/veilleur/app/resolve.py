"""What a user typed, resolved to the record it names: accounts, persons and chats, with help.

One place for it, so every client accepts the same spellings and answers a miss the same way: an
unknown or ambiguous name is a :class:`~veilleur.errors.NotFound` listing the candidates with their
keys ("no account 'Camille'; did you mean telegram:user:547712782 (Camille Renaud)?").

Accounts: the platform key (``telegram:user:123``), the key without its platform (``user:123``),
a bare Telegram user id (``123``), a username (``@camille_r`` or ``camille_r``) or a display name
seen in the case. Persons: their key or a name of their identity records. Chats: key or title.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from veilleur.errors import NotFound
from veilleur.store.schema import account_names, accounts, chats, identity_records, persons

__all__ = ["Resolved", "resolve_account", "resolve_chat", "resolve_person"]

MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Resolved:
    """A record a user named: its internal id (never shown), key and a label to show."""

    id: int
    key: str
    label: str


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in s if not unicodedata.combining(c)).strip()


def _account_label(conn: Connection, account_id: int, key: str) -> str:
    n = account_names
    row = conn.execute(
        select(n.c.value)
        .where(n.c.account_id == account_id, n.c.name_kind == "display_name")
        .order_by(n.c.last_seen_utc.desc().nulls_last())
        .limit(1)
    ).scalar()
    return str(row) if row else key


def _close(typed: str, names: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Candidates whose name is close to ``typed`` (folded), best first."""
    folded = {_fold(k): v for k, v in names.items()}
    hits = difflib.get_close_matches(_fold(typed), list(folded), n=MAX_CANDIDATES, cutoff=0.6)
    hits += [k for k in folded if _fold(typed) in k and k not in hits]
    out: list[tuple[str, str]] = []
    for h in hits:
        for c in folded[h]:
            if c not in out:
                out.append(c)
    return out[:MAX_CANDIDATES]


def resolve_account(conn: Connection, typed: str) -> Resolved:
    """The account ``typed`` names (see the module's docstring), or :class:`NotFound` with help."""
    text = typed.strip()
    keys = [text, f"telegram:{text}"]
    if text.lstrip("-").isdigit():
        keys.append(f"telegram:user:{text}")
    row = conn.execute(select(accounts.c.id, accounts.c.key).where(accounts.c.key.in_(keys))).first()
    if row is not None:
        return Resolved(row.id, row.key, _account_label(conn, row.id, row.key))
    name = text.removeprefix("@")
    n = account_names
    found = conn.execute(
        select(n.c.account_id, accounts.c.key)
        .join(accounts, accounts.c.id == n.c.account_id)
        .where(
            or_(
                (n.c.name_kind == "username") & (func.lower(n.c.value) == name.lower()),
                (n.c.name_kind == "display_name") & (n.c.value == text),
            )
        )
        .distinct()
    ).all()
    if len(found) == 1:
        (account_id, key) = found[0]
        return Resolved(account_id, key, _account_label(conn, account_id, key))
    if found:
        raise NotFound(
            f"{text!r} names {len(found)} accounts; give one key",
            candidates=[(k, _account_label(conn, i, k)) for i, k in found[:MAX_CANDIDATES]],
        )
    names: dict[str, list[tuple[str, str]]] = {}
    for account_id, key, value in conn.execute(
        select(n.c.account_id, accounts.c.key, n.c.value)
        .join(accounts, accounts.c.id == n.c.account_id)
        .where(n.c.name_kind.in_(["display_name", "username"]))
        .distinct()
    ):
        names.setdefault(value, []).append((key, _account_label(conn, account_id, key)))
    raise NotFound(f"no account {text!r} in this case", candidates=_close(text, names))


def resolve_person(conn: Connection, typed: str) -> Resolved:
    """The person ``typed`` names: their key, or a first and last name of their identity records."""
    text = typed.strip()
    row = conn.execute(select(persons.c.id, persons.c.key).where(persons.c.key == text)).first()
    ir = identity_records
    label_rows = conn.execute(
        select(ir.c.person_id, persons.c.key, ir.c.first_name, ir.c.last_name).join(
            persons, persons.c.id == ir.c.person_id
        )
    ).all()
    labels: dict[int, str] = {}
    for pid, _key, first, last in label_rows:
        labels.setdefault(pid, " ".join(p for p in (first, last) if p))
    if row is not None:
        return Resolved(row.id, row.key, labels.get(row.id) or row.key)
    wanted = _fold(text)
    found = sorted(
        {(pid, key) for pid, key, first, last in label_rows if _fold(f"{first or ''} {last or ''}") == wanted}
    )
    if len(found) == 1:
        pid, key = found[0]
        return Resolved(pid, key, labels.get(pid) or key)
    if found:
        raise NotFound(
            f"{text!r} names {len(found)} persons; give one key",
            candidates=[(k, labels.get(i, k)) for i, k in found[:MAX_CANDIDATES]],
        )
    names: dict[str, list[tuple[str, str]]] = {}
    for pid, key, first, last in label_rows:
        names.setdefault(f"{first or ''} {last or ''}".strip() or key, []).append(
            (key, labels.get(pid) or key)
        )
    raise NotFound(f"no person {text!r} in this case", candidates=_close(text, names))


def resolve_chat(conn: Connection, typed: str) -> Resolved:
    """The chat ``typed`` names: its key (with or without ``telegram:``) or its title."""
    text = typed.strip()
    row = conn.execute(
        select(chats.c.id, chats.c.key, chats.c.title).where(chats.c.key.in_([text, f"telegram:{text}"]))
    ).first()
    if row is not None:
        return Resolved(row.id, row.key, row.title or row.key)
    found = conn.execute(select(chats.c.id, chats.c.key, chats.c.title).where(chats.c.title == text)).all()
    if len(found) == 1:
        return Resolved(found[0].id, found[0].key, found[0].title or found[0].key)
    if found:
        raise NotFound(
            f"{len(found)} chats are titled {text!r}; give one key",
            candidates=[(r.key, r.title or r.key) for r in found[:MAX_CANDIDATES]],
        )
    names: dict[str, list[tuple[str, str]]] = {}
    for r in conn.execute(select(chats.c.key, chats.c.title)):
        names.setdefault(r.title or r.key, []).append((r.key, r.title or r.key))
    raise NotFound(f"no chat {text!r} in this case", candidates=_close(text, names))
