"""FollowTheMoney (FtM) entities, one JSON object a line, for Aleph / OpenAleph and FtM tools.

Written as plain FtM entity dicts (``{"id", "schema", "properties": {name: [values]}}``): the
``followthemoney`` package was not added as a dependency, because it pulls about 40 packages
(52 MB of wheels), among them PyICU, which builds from source against the system's ICU headers,
and it would move this project's SQLAlchemy and mypy. Property names follow FtM's schemata
(followthemoney ``schema/*.yaml``, 3.8–4.x); ``tests/test_exports.py`` checks them.

Entities written:

* **UserAccount**, one per account of the case: ``username`` (required by FtM) is the latest
  username, else the latest display name, else Veilleur's key for the account; ``service``
  ``Telegram``; ``name`` the latest display name and ``alias`` the others; earlier usernames as
  ``previousName``; ``owner`` the placeholder below where there is one.
* **LegalEntity**, a *placeholder* for each account that sent or received a flagged message:
  ``Message.sender`` is required and must be a LegalEntity, and FtM's own gap note says a
  message from an unresolved pseudonym needs one. Its ``name`` says it is the unidentified user
  of that account; merge or replace it when the person is identified. (All placeholders share
  that wording: leave them out of cross-referencing, or expect them to be proposed as matches of
  one another.)
* **Folder**, one per chat holding a flagged message, as each message's ``parent``: FtM has no
  schema for a chat, group or channel (gap 1), and a Folder is the container it offers; the chat
  title is also the message's ``threadTopic``. Group membership is not written: FtM could only
  fake it with ``Membership`` of an ``Organization``.
* **Message**, one per message carrying flagged media (:func:`flagged_exchanges`):
  ``bodyText`` (required) the message text, or ``(media message)`` when it has none; ``sender``
  the placeholder and ``senderAccount`` the account; ``recipients`` and ``recipientAccount`` its
  recipients as the exchange analysis finds them (recorded or inferred; the basis is in
  ``metadata``); ``date``; ``messageId`` ``<chat key>/<message id>``; ``inReplyTo`` (and
  ``inReplyToMessage`` when the message replied to is exported too); ``recordId`` the evidence
  citation; ``notes`` the flagged files and the hits behind them in words; ``metadata`` the same
  as JSON (files by SHA-256, hits with list, entry identifier, category, method, distance;
  recipients with their basis; the forward).

What FtM cannot hold, and where it went:

* a platform's numeric user id (gap 2: UserAccount has no identifier property): in the account's
  ``notes``, with Veilleur's key;
* forwards (gap 4): ``forwarded_from`` and the resolved origin in ``notes`` and ``metadata``;
* hash hits (gap 5: ``checksum`` is SHA-1 only, and Aleph scrubs it): the flagged files'
  SHA-256 and the hits in ``notes`` and ``metadata``, never as ``contentHash``;
* child sexual exploitation has no FtM topic (gap 6): no ``topics`` are set.

Entity ids are ``veilleur-<kind>-<SHA-1 of Veilleur's key>`` (FtM ids allow letters, digits, ``.``
and ``-`` only), so the same account or message gets the same id in every export. Dates are FtM's
``YYYY-MM-DDTHH:MM:SS`` in UTC. No media and no hash list data are written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, select

from veilleur.analysis.exchanges import Exchange, flagged_exchanges
from veilleur.matching.results import Hit
from veilleur.outputs.exports.base import (
    AccountRecord,
    ExportFiles,
    account_records,
    clean_text,
    message_texts,
    resolve_run,
)
from veilleur.store.lookups import chunks
from veilleur.store.schema import chats
from veilleur.timefmt import iso_utc

__all__ = ["MEDIA_PLACEHOLDER", "entity_id", "write_ftm"]

MEDIA_PLACEHOLDER = "(media message)"
FILE_NAME = "entities.ftm.jsonl"


def entity_id(kind: str, key: str) -> str:
    """A stable FtM id: ``veilleur-<kind>-<SHA-1 of key>``."""
    return f"veilleur-{kind}-{hashlib.sha1(key.encode('utf-8', 'backslashreplace')).hexdigest()}"


def _date(epoch: int | None) -> str | None:
    """FtM dates carry no zone designator: the UTC time as :func:`iso_utc` writes it, less its Z."""
    iso = iso_utc(epoch)
    return None if iso is None else iso.removesuffix("Z")


def _entity(schema: str, id_: str, props: dict[str, Iterable[Any]]) -> dict[str, Any]:
    properties: dict[str, list[str]] = {}
    for name, values in props.items():
        clean = []
        for v in values:
            if v is None or v == "":
                continue
            s = clean_text(str(v))
            if s not in clean:
                clean.append(s)
        if clean:
            properties[name] = clean
    return {"id": id_, "schema": schema, "properties": properties}


def _emit(f: IO[bytes], entity: dict[str, Any]) -> None:
    f.write(orjson.dumps(entity))
    f.write(b"\n")


def _service(platform: str) -> str:
    return "Telegram" if platform == "telegram" else platform


def _hit_words(h: Hit) -> str:
    how = f"{h.hash_type} exact" if h.method == "exact" else f"{h.method} distance {h.distance}/{h.threshold}"
    entry = h.external_id or f"#{h.entry_id}"
    return f"{h.list_name} entry {entry}, category {h.category or 'none'}, {how}"


def _hit_data(h: Hit) -> dict[str, Any]:
    return {
        "list": h.list_name,
        "entry_identifier": h.external_id,
        "category": h.category,
        "hash_type": h.hash_type,
        "method": h.method,
        "distance": h.distance,
        "threshold": h.threshold,
    }


def _account_props(a: AccountRecord, owner: str | None) -> dict[str, Iterable[Any]]:
    username = (a.latest_username or "").lstrip("@") or a.latest_display_name or a.key
    ident = f"{_service(a.platform)} {a.kind or 'account'} id {a.peer_id}" if a.peer_id is not None else None
    notes = "; ".join(
        x
        for x in (
            ident,
            f"Veilleur key {a.key}",
            "identified by name only (no platform id in the data)" if a.identity == "name_only" else None,
            "seen as a deleted account" if a.deleted_seen else None,
        )
        if x
    )
    return {
        "username": [username],
        "service": [_service(a.platform)],
        "name": [a.latest_display_name],
        "alias": [n for n in a.display_names if n != a.latest_display_name],
        "previousName": [u.lstrip("@") for u in a.usernames if u != a.latest_username],
        "owner": [owner],
        "notes": [notes],
    }


def write_ftm(conn: Connection, out_dir: Path, *, run_id: int | None = None) -> list[Path]:
    """``entities.ftm.jsonl`` (Folders, placeholder LegalEntities, UserAccounts, Messages) and
    the manifest. See the module documentation for the mapping and its gaps."""
    run_id = resolve_run(conn, run_id)
    exchanges = flagged_exchanges(conn, run_id) if run_id is not None else []
    involved: set[int] = set()
    for e in exchanges:
        involved.update(p.account_id for p in e.recipients)
        if e.sender_id is not None:
            involved.add(e.sender_id)
    people = {a.id: a for a in account_records(conn, involved)}
    out = ExportFiles(
        conn, out_dir, "ftm", "FollowTheMoney entities (JSON Lines): accounts and flagged messages", run_id
    )
    counts: dict[str, int] = {}

    def emit(f: IO[bytes], entity: dict[str, Any]) -> None:
        _emit(f, entity)
        counts[entity["schema"]] = counts.get(entity["schema"], 0) + 1

    with out.binary(FILE_NAME) as f:
        folders = _folders(conn, exchanges)
        for entity in folders.values():
            emit(f, entity)
        placeholder: dict[int, str] = {}
        for account_id in sorted(involved):
            a = people[account_id]
            placeholder[account_id] = entity_id("person", a.key)
            emit(
                f,
                _entity(
                    "LegalEntity",
                    placeholder[account_id],
                    {
                        "name": [f"Unidentified user of {_service(a.platform)} account {a.label}"],
                        "notes": [
                            "Placeholder: FtM requires a message's sender to be a legal entity; the case "
                            f"has not identified who uses the account {a.key}. Merge or replace it when "
                            "the person is identified."
                        ],
                    },
                ),
            )
        nameless = {e.sender_name or "" for e in exchanges if e.sender_id is None}
        for name in sorted(nameless):
            emit(
                f,
                _entity(
                    "LegalEntity",
                    entity_id("person", f"name:{name}"),
                    {
                        "name": [f"Unidentified sender named {name!r}" if name else "Unidentified sender"],
                        "notes": ["Placeholder: a sender the export names without any account."],
                    },
                ),
            )
        for a in account_records(conn):
            emit(
                f,
                _entity("UserAccount", entity_id("account", a.key), _account_props(a, placeholder.get(a.id))),
            )
        exported = {(e.chat_id, e.message_id) for e in exchanges}
        texts = message_texts(conn, [e.message_pk for e in exchanges])
        for e in exchanges:
            emit(f, _message(e, people, exported, texts.get(e.message_pk) or MEDIA_PLACEHOLDER))
    out.set_rows(FILE_NAME, sum(counts.values()))
    return out.finish(
        entities=counts,
        left_out=[
            "hash lists: no list entry or hash value; hits by list name, entry identifier and category",
            "media: files named by SHA-256 only; no Image/Video/Document entity for them",
            "messages not carrying flagged media, and group membership (FtM has no chat schema)",
        ],
        notes=[
            "Message.sender is a placeholder LegalEntity per account (FtM requires a LegalEntity); "
            "chats are Folders (FtM has no chat or group schema)",
        ],
    )


def _folders(conn: Connection, exchanges: Sequence[Exchange]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for part in chunks(e.chat_id for e in exchanges):
        for r in conn.execute(
            select(chats.c.id, chats.c.key, chats.c.type, chats.c.title, chats.c.peer_id, chats.c.platform)
            .where(chats.c.id.in_(part))
            .order_by(chats.c.id)
        ):
            service = _service(r.platform)
            out[r.id] = _entity(
                "Folder",
                entity_id("chat", r.key),
                {
                    "title": [r.title or r.key],
                    "notes": [
                        f"{service} chat ({r.type.replace('_', ' ')})"
                        + (f", id {r.peer_id}" if r.peer_id is not None else "")
                        + f"; Veilleur key {r.key}"
                    ],
                },
            )
    return out


def _message(
    e: Exchange, people: dict[int, AccountRecord], exported: set[tuple[int, int]], body: str
) -> dict[str, Any]:
    chat_entity = entity_id("chat", e.chat_key)
    sender = people.get(e.sender_id) if e.sender_id is not None else None
    sender_entity = (
        entity_id("person", sender.key)
        if sender is not None
        else entity_id("person", f"name:{e.sender_name or ''}")
    )
    recipients = [people[p.account_id] for p in e.recipients if p.account_id in people]
    hits_words = "; ".join(_hit_words(h) for h in e.hits)
    origin = e.forward_origin
    forward = None
    if e.forwarded_from is not None or origin is not None:
        resolved = (
            people.get(origin.account_id) if origin is not None and origin.account_id is not None else None
        )
        forward = {
            "forwarded_from": e.forwarded_from,
            "origin_account": resolved.key if resolved else None,
            "basis": origin.basis if origin is not None else None,
        }
    notes = [f"Carries flagged media: {', '.join(e.files)} ({hits_words})"]
    if forward is not None:
        basis = f" ({forward['basis']})" if forward["basis"] else ""
        notes.append(f"Forwarded from {e.forwarded_from or '(the export hides from whom)'}{basis}")
    metadata = {
        "veilleur": {
            "chat_key": e.chat_key,
            "message_id": e.message_id,
            "setting": e.setting,
            "citation": {"evidence_id": e.evidence_id, "byte_offset": e.byte_offset, "page": e.page},
            "files": e.files,
            "hits": [_hit_data(h) for h in e.hits],
            "recipients": [
                {
                    "account": people[p.account_id].key if p.account_id in people else None,
                    "recorded": p.recorded,
                    "basis": p.basis,
                }
                for p in e.recipients
            ],
            "forward": forward,
        }
    }
    reply = (
        entity_id("message", f"{e.chat_key}/{e.reply_to_message_id}")
        if e.reply_to_message_id is not None and (e.chat_id, e.reply_to_message_id) in exported
        else None
    )
    return _entity(
        "Message",
        entity_id("message", f"{e.chat_key}/{e.message_id}"),
        {
            "bodyText": [body],
            "title": [f"Message {e.message_id} in {e.chat_title or e.chat_key}"],
            "sender": [sender_entity],
            "senderAccount": [entity_id("account", sender.key)] if sender is not None else [],
            "recipients": [entity_id("person", a.key) for a in recipients],
            "recipientAccount": [entity_id("account", a.key) for a in recipients],
            "date": [_date(e.date_utc)],
            "parent": [chat_entity],
            "threadTopic": [e.chat_title or e.chat_key],
            "messageId": [f"{e.chat_key}/{e.message_id}"],
            "inReplyTo": [f"{e.chat_key}/{e.reply_to_message_id}"]
            if e.reply_to_message_id is not None
            else [],
            "inReplyToMessage": [reply],
            "recordId": [e.citation],
            "notes": notes,
            "metadata": [orjson.dumps(metadata).decode("utf-8")],
        },
    )
