"""Use cases of the notes and tags investigators put on accounts, persons, chats and messages.

A note names its target by key (resolved from what the user typed, like every use case), is
written once with its author and time, and is never edited or deleted: a correction is a new
note, and a note its author or a lead withdraws stays in the case, marked. Writing and withdrawing
are actions in the audit log (with the note's id and target, not its text); reading notes is a
view. The author chooses whether a note is *shared*: shown in dossiers and exports.
"""

from __future__ import annotations

import re

import orjson
from sqlalchemy import insert, select, update

from veilleur.app.resolve import resolve_account, resolve_chat, resolve_person
from veilleur.app.results import NoteOut, NotesView
from veilleur.app.session import CaseSession, use_case
from veilleur.custody.audit import record, witness
from veilleur.errors import NotFound, VeilleurError
from veilleur.store.schema import messages, notes
from veilleur.timefmt import now_iso

__all__ = ["KINDS", "add_note", "notes_on", "withdraw_note"]

KINDS = ("account", "person", "chat", "message")
MAX_TEXT = 20_000
_TAG = re.compile(r"^[\w.:/-]{1,40}$")


def _target(session: CaseSession, kind: str, typed: str) -> str:
    """The key of what ``typed`` names (a message: ``<chat>#<message id>``)."""
    with session.reading() as conn:
        if kind == "account":
            return resolve_account(conn, typed).key
        if kind == "person":
            return resolve_person(conn, typed).key
        if kind == "chat":
            return resolve_chat(conn, typed).key
        if kind == "message":
            chat, sep, mid = typed.rpartition("#")
            if not sep or not mid.isdigit():
                raise VeilleurError(f"a message is named <chat>#<message id>, not {typed!r}")
            c = resolve_chat(conn, chat)
            found = conn.execute(
                select(messages.c.id).where(messages.c.chat_id == c.id, messages.c.message_id == int(mid))
            ).first()
            if found is None:
                raise NotFound(f"no message {mid} in {c.key}")
            return f"{c.key}#{int(mid)}"
    raise VeilleurError(f"a note is on one of {', '.join(KINDS)}, not {kind!r}")


def _tags(tags: list[str] | tuple[str, ...]) -> list[str]:
    out = []
    for t in tags:
        t = t.strip().lstrip("#").lower()
        if not t:
            continue
        if not _TAG.match(t):
            raise VeilleurError(f"a tag is 1 to 40 letters, digits or . : / - _, not {t!r}")
        if t not in out:
            out.append(t)
    return out


def _note(r: object) -> NoteOut:
    return NoteOut(
        r.id,  # type: ignore[attr-defined]
        r.target_kind,  # type: ignore[attr-defined]
        r.target,  # type: ignore[attr-defined]
        r.text,  # type: ignore[attr-defined]
        orjson.loads(r.tags),  # type: ignore[attr-defined]
        bool(r.shared),  # type: ignore[attr-defined]
        r.author,  # type: ignore[attr-defined]
        r.created_at,  # type: ignore[attr-defined]
        r.withdrawn_at,  # type: ignore[attr-defined]
        r.withdrawn_by,  # type: ignore[attr-defined]
    )


@use_case("notes.write")
def add_note(
    session: CaseSession,
    kind: str,
    target: str,
    text: str,
    *,
    tags: list[str] | tuple[str, ...] = (),
    shared: bool = False,
) -> NoteOut:
    """Write a note (and its tags) on an account, a person, a chat or a message."""
    text = text.strip()
    if not text and not tags:
        raise VeilleurError("a note needs a text or a tag")
    if len(text) > MAX_TEXT:
        raise VeilleurError(f"a note holds at most {MAX_TEXT} characters")
    key = _target(session, kind, target)
    labels = _tags(tags)
    with session.case.engine.begin() as conn:
        nid = conn.execute(
            insert(notes).returning(notes.c.id),
            {
                "target_kind": kind,
                "target": key,
                "text": text,
                "tags": orjson.dumps(labels).decode(),
                "shared": shared,
                "author": session.user,
                "created_at": now_iso(),
            },
        ).scalar_one()
        where = record(
            conn,
            "note.add",
            operator=session.user,
            subject=key,
            details={"note": nid, "kind": kind, "tags": labels, "shared": shared},
        )
        row = conn.execute(select(notes).where(notes.c.id == nid)).one()
    witness(session.case, where)
    return _note(row)


@use_case("notes.write")
def withdraw_note(session: CaseSession, note_id: int) -> NoteOut:
    """Withdraw a note: its author may, and a lead. It stays in the case, marked withdrawn."""
    with session.reading() as conn:
        row = conn.execute(select(notes).where(notes.c.id == note_id)).first()
    if row is None:
        raise NotFound(f"no note {note_id} in this case")
    if row.author != session.user:
        session.require("members.manage")  # a lead's
    with session.case.engine.begin() as conn:
        conn.execute(
            update(notes)
            .where(notes.c.id == note_id, notes.c.withdrawn_at.is_(None))
            .values(withdrawn_at=now_iso(), withdrawn_by=session.user)
        )
        where = record(
            conn, "note.withdraw", operator=session.user, subject=row.target, details={"note": note_id}
        )
        row = conn.execute(select(notes).where(notes.c.id == note_id)).one()
    witness(session.case, where)
    return _note(row)


@use_case("notes.show")
def notes_on(
    session: CaseSession, kind: str | None = None, target: str | None = None, *, tag: str | None = None
) -> NotesView:
    """The notes on one target (withdrawn ones included, marked), or every note with ``tag``, or
    every note of the case; oldest first."""
    q = select(notes).order_by(notes.c.id)
    key = None
    if kind is not None and target is not None:
        key = _target(session, kind, target)
        q = q.where(notes.c.target_kind == kind, notes.c.target == key)
    with session.reading() as conn:
        found = [_note(r) for r in conn.execute(q)]
    if tag:
        found = [n for n in found if tag.lower().lstrip("#") in n.tags]
    session.log_view("notes", subject=key, details={"notes": len(found), "tag": tag})
    return NotesView(kind, key, found)
