"""CyberTipline report sections: what a platform or a police unit would fill from this case, per
reported account, in the XML of NCMEC's CyberTipline Reporting API.

One file per reported account (by default every account that sent flagged media; the caller may
name others), ``cybertip-<account key>.xml``, holding a ``<report>`` with only the sections this
data supports, element names and order as in the API's published schema (``GET /xsd``, as
generated into Boostport/ncmec-go ``cybertipline/types.go``):

* ``incidentSummary``: ``platform`` (Telegram), ``incidentDateTime`` (the first flagged send, UTC)
  and ``incidentDateTimeDescription``. ``incidentType`` is the reporter's decision and is left out;
* ``internetDetails/chatImIncident``, one per chat the account sent flagged media in:
  ``chatClient`` (Telegram), ``chatRoomName`` (the chat's title), ``content`` (the log of its
  flagged sends there: time, message id, citation, text, recipients and, per file, the SHA-256 and
  the hits) and ``additionalInfo`` (the chat's type and id, and its participants as far as the
  data shows: the schema has no participants element);
* ``personOrUserReported``: ``espIdentifier`` (the platform's user id), ``espService``,
  ``screenName`` (the latest username), ``displayName`` (every display name observed),
  ``groupIdentifier`` (one text: the groups where it sent flagged media or was a member when
  flagged media was sent), ``associatedAccount`` (``type="Other"``) for each account linked to
  it in the exchanges of flagged media — directly (private chat, reply, forward) or by sending
  flagged media in a group they shared — and ``additionalInfo`` (Veilleur's key, counts, the
  flagged files' SHA-256 and the lists that flagged them).

Left out: uploads and ``fileDetails`` (one per uploaded file, where ``originalFileHash`` lives)
are for whoever holds the files, as Veilleur never holds, copies or sends media — a comment in
each file says so; ``reporter``, ``lawEnforcement``, ``victim`` and ``intendedRecipient`` are the
reporter's; group members who only received (by membership) are counted, not listed as
associated accounts. Characters XML 1.0 cannot carry are written ``[U+XXXX]``.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from lxml import etree
from sqlalchemy import Connection, select

from veilleur.analysis.exchanges import Exchange, ExchangeIndex, flagged_exchanges
from veilleur.analysis.network import Counterpart, exchanged_with
from veilleur.matching.results import Hit, flagged_files
from veilleur.outputs.exports.base import (
    AccountRecord,
    ExportError,
    ExportFiles,
    account_records,
    message_texts,
    resolve_run,
)
from veilleur.store.lookups import chunks
from veilleur.store.schema import accounts, chats
from veilleur.timefmt import iso_utc

__all__ = ["CHAT_CLIENT", "MAX_LISTED", "write_cybertip"]

CHAT_CLIENT = "Telegram"
MAX_LISTED = 100
"""Participants named in a chat's ``additionalInfo`` before the rest are only counted."""

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")

_COMMENT = (
    " Veilleur: CyberTipline report sections for one reported account, from case {case}, matching "
    "run {run}. Not a complete report: incidentType, reporter and lawEnforcement are the "
    "reporter's to fill. File uploads (/upload) and fileDetails, with originalFileHash, are left to "
    "whoever holds the files: Veilleur never holds, copies or transmits media. The SHA-256 of the "
    "flagged files are given in additionalInfo for reference only. "
)


def _x(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: _x(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _x(text)
    return el


def _comment(text: str) -> etree._Comment:
    safe = _x(text).replace("--", "- -")
    return etree.Comment(safe if not safe.endswith("-") else safe + " ")


def _hits(hits: Iterable[Hit]) -> str:
    parts = []
    for h in hits:
        how = f"{h.hash_type} exact" if h.method == "exact" else f"{h.method} {h.distance}/{h.threshold} bits"
        entry = h.external_id or f"#{h.entry_id}"
        parts.append(f"{h.list_name} entry {entry}, category {h.category or 'none'}, {how}")
    return "; ".join(parts)


def _chat_kind(chat_type: str) -> str:
    return chat_type.replace("_", " ")


def write_cybertip(
    conn: Connection,
    out_dir: Path,
    *,
    run_id: int | None = None,
    account_keys: Iterable[str] | None = None,
) -> list[Path]:
    """One ``cybertip-<key>.xml`` per reported account (every sender of flagged media unless
    ``account_keys`` names them) and the manifest."""
    run_id = resolve_run(conn, run_id)
    exchanges = flagged_exchanges(conn, run_id) if run_id is not None else ExchangeIndex([])
    if account_keys is None:
        reported = sorted({e.sender_id for e in exchanges if e.sender_id is not None})
    else:
        wanted = sorted(set(account_keys))
        found = dict(
            conn.execute(select(accounts.c.key, accounts.c.id).where(accounts.c.key.in_(wanted))).all()
        )
        missing = [k for k in wanted if k not in found]
        if missing:
            raise ExportError(f"no account with key {missing[0]!r} in this case")
        reported = sorted(found.values())
    out = ExportFiles(
        conn, out_dir, "cybertip", "CyberTipline report sections (XML), one file per reported account", run_id
    )
    case_name = out.case_name()
    involved = set(reported)
    for e in exchanges:
        involved.update(p.account_id for p in e.recipients)
        if e.sender_id is not None:
            involved.add(e.sender_id)
    people = {a.id: a for a in account_records(conn, involved)}
    chat_info = _chats(conn, {e.chat_id for e in exchanges})
    texts = message_texts(conn, [e.message_pk for e in exchanges])
    hits = (
        {f.sha256: f.active for f in flagged_files(conn, run_id, include_suppressed=False)} if run_id else {}
    )
    files: dict[str, str] = {}
    for account_id in reported:
        a = people.get(account_id) or next(account_records(conn, [account_id]))
        people[account_id] = a
        counterparts = exchanged_with(conn, [account_id], exchanges)
        root = _report(
            a,
            exchanges.involving(account_id),
            counterparts,
            people,
            chat_info,
            texts,
            hits,
            case_name,
            run_id,
        )
        name = _file_name(a.key, files)
        files[name] = a.key
        with out.binary(name) as f:
            f.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return out.finish(
        accounts=files,
        left_out=[
            "uploads and fileDetails (originalFileHash): for whoever holds the files",
            "incidentType, reporter, lawEnforcement, victim, intendedRecipient: the reporter's",
            "hash lists: no list entry or hash value; hits by list name, entry identifier and category",
        ],
        notes=[
            "element names and order follow the CyberTipline API schema (GET /xsd); validate against "
            "the live schema before submitting",
        ],
    )


def _file_name(key: str, taken: dict[str, str]) -> str:
    slug = _UNSAFE_FILE.sub("_", key).strip("_.")[:100] or "account"
    name = f"cybertip-{slug}.xml"
    if name in taken:
        name = f"cybertip-{slug}-{hashlib.sha1(key.encode('utf-8', 'backslashreplace')).hexdigest()[:10]}.xml"
    return name


def _chats(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, int | None, str | None]]:
    """key, type, platform id and title of each chat."""
    out: dict[int, tuple[str, str, int | None, str | None]] = {}
    for part in chunks(ids):
        for r in conn.execute(
            select(chats.c.id, chats.c.key, chats.c.type, chats.c.peer_id, chats.c.title).where(
                chats.c.id.in_(part)
            )
        ):
            out[r.id] = (r.key, r.type, r.peer_id, r.title)
    return out


def _group_name(chat: tuple[str, str, int | None, str | None]) -> str:
    key, type_, peer_id, title = chat
    ident = f"id {peer_id}" if peer_id is not None else key
    return f"{title or key} (Telegram {_chat_kind(type_)}, {ident})"


def _report(
    a: AccountRecord,
    own: Sequence[Exchange],  # the exchanges the account sent or received
    counterparts: list[Counterpart],
    people: dict[int, AccountRecord],
    chat_info: dict[int, tuple[str, str, int | None, str | None]],
    texts: dict[int, str],
    hits: dict[str, list[Hit]],
    case_name: str | None,
    run_id: int | None,
) -> etree._Element:
    sent = [e for e in own if e.sender_id == a.id]
    received = [e for e in own if a.id in e.recipient_map]
    root = etree.Element("report")
    root.append(_comment(_COMMENT.format(case=case_name or "(unnamed)", run=run_id)))

    dated = [e.date_utc for e in sent if e.date_utc is not None]
    summary = _sub(root, "incidentSummary")
    summary.append(_comment(" incidentType: the reporter's decision, not Veilleur's "))
    _sub(summary, "platform", CHAT_CLIENT)
    if dated:
        first, last = min(dated), max(dated)
        _sub(summary, "incidentDateTime", iso_utc(first))
        _sub(
            summary,
            "incidentDateTimeDescription",
            f"Time of the first of {_messages(len(sent))} carrying flagged media sent by this account "
            f"(UTC, as exported); the last was sent at {iso_utc(last)}.",
        )

    by_chat: defaultdict[int, list[Exchange]] = defaultdict(list)
    for e in sent:
        by_chat[e.chat_id].append(e)
    for chat_id, sends in by_chat.items():
        chat = chat_info[chat_id]
        details = _sub(root, "internetDetails")
        incident = _sub(details, "chatImIncident")
        _sub(incident, "chatClient", CHAT_CLIENT)
        _sub(incident, "chatRoomName", chat[3] or chat[0])
        _sub(incident, "content", "\n".join(_log_line(e, a, people, texts, hits) for e in sends))
        _sub(incident, "additionalInfo", _participants(chat, sends, people))

    person = _sub(root, "personOrUserReported")
    if a.peer_id is not None and a.identity == "platform_id":
        _sub(person, "espIdentifier", str(a.peer_id))
    _sub(person, "espService", CHAT_CLIENT)
    if a.latest_username:
        _sub(person, "screenName", a.latest_username.lstrip("@"))
    for name in a.display_names:
        _sub(person, "displayName", name)
    groups = _groups(a, sent, received, chat_info)
    if groups:
        _sub(person, "groupIdentifier", groups)
    listed = 0
    for c in counterparts:
        if not (c.direct or c.sent):
            continue
        _associated(person, people.get(c.account_id), c)
        listed += 1
    _sub(person, "additionalInfo", _about(a, sent, received, counterparts, listed))
    return root


def _log_line(
    e: Exchange,
    a: AccountRecord,
    people: dict[int, AccountRecord],
    texts: dict[int, str],
    hits: dict[str, list[Hit]],
) -> str:
    if e.setting == "saved":
        to = "to their saved messages"
    elif e.setting == "private":
        to = "to " + ", ".join(people[p.account_id].label for p in e.recipients if p.account_id in people)
    else:
        to = f"to the group ({len(e.recipients)} other members as far as the data shows)"
    text = texts.get(e.message_pk) or "(media message)"
    forward = f" forwarded from {e.forwarded_from}," if e.forwarded_from else ""
    lines = [
        f"{iso_utc(e.date_utc) or '(no date)'} message {e.message_id} from {a.label} {to},{forward} "
        f"cited as {e.citation}: {text}"
    ]
    for sha in e.files:
        lines.append(f"  flagged file SHA-256 {sha}: {_hits(hits.get(sha, []))}")
    return "\n".join(lines)


def _participants(
    chat: tuple[str, str, int | None, str | None], sends: list[Exchange], people: dict[int, AccountRecord]
) -> str:
    key, type_, peer_id, _ = chat
    ident = f"id {peer_id}, " if peer_id is not None else ""
    recipients: dict[int, str] = {}
    for e in sends:
        for p in e.recipients:
            recipients.setdefault(p.account_id, "recorded" if p.recorded else "inferred")
    names = [
        f"{people[i].label} ({people[i].key}, {how})" for i, how in sorted(recipients.items()) if i in people
    ]
    shown = "; ".join(names[:MAX_LISTED])
    more = f"; and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return (
        f"Telegram {_chat_kind(type_)} ({ident}Veilleur key {key}). Recipients of these messages as far "
        f"as the data shows ({len(names)}): {shown or 'none known'}{more}."
    )


def _groups(
    a: AccountRecord,
    sent: list[Exchange],
    received: list[Exchange],
    chat_info: dict[int, tuple[str, str, int | None, str | None]],
) -> str:
    sends: defaultdict[int, int] = defaultdict(int)
    member: defaultdict[int, int] = defaultdict(int)
    for e in sent:
        if e.setting == "group":
            sends[e.chat_id] += 1
    for e in received:
        if e.setting == "group":
            member[e.chat_id] += 1
    parts = []
    for chat_id in sorted(set(sends) | set(member)):
        what = []
        if sends[chat_id]:
            what.append(f"sent {_messages(sends[chat_id])} carrying flagged media")
        if member[chat_id]:
            what.append(f"a member when others sent {_messages(member[chat_id])} carrying flagged media")
        parts.append(f"{_group_name(chat_info[chat_id])}: {' and '.join(what)}")
    return "; ".join(parts)


def _messages(n: int) -> str:
    return f"{n} message" if n == 1 else f"{n} messages"


def _associated(parent: etree._Element, other: AccountRecord | None, c: Counterpart) -> None:
    el = _sub(parent, "associatedAccount", type="Other")
    _sub(el, "platform", CHAT_CLIENT)
    _sub(el, "espService", CHAT_CLIENT)
    if other is not None and other.peer_id is not None and other.identity == "platform_id":
        _sub(el, "espIdentifier", str(other.peer_id))
    if other is not None and other.latest_username:
        _sub(el, "screenName", other.latest_username.lstrip("@"))
    if other is not None:
        for name in other.display_names:
            _sub(el, "displayName", name)
    kinds: defaultdict[str, int] = defaultdict(int)
    for link in c.links:
        kinds[link.kind] += 1
    how = ", ".join(f"{k} ({n})" for k, n in sorted(kinds.items()))
    _sub(
        el,
        "additionalInfo",
        f"Veilleur key {c.key}. Linked to the reported account by exchanges of flagged media: {how}. "
        f"It sent {c.sent} and received {c.received} of them.",
    )


def _about(
    a: AccountRecord,
    sent: list[Exchange],
    received: list[Exchange],
    counterparts: list[Counterpart],
    listed: int,
) -> str:
    files: dict[str, set[str]] = defaultdict(set)
    for e in sent:
        for sha in e.files:
            files[sha].update(h.list_name for h in e.hits)
    unlisted = len(counterparts) - listed
    parts = [
        f"Veilleur key {a.key}"
        + (" (identified by name only: the data holds no platform id)" if a.identity == "name_only" else "")
        + ".",
        f"Sent {_messages(len(sent))} carrying {len(files)} distinct flagged files; "
        f"received {_messages(len(received))} carrying flagged media.",
    ]
    if files:
        parts.append(
            "Flagged files (SHA-256, for reference; the files are not attached): "
            + "; ".join(f"{sha} ({', '.join(sorted(lists))})" for sha, lists in sorted(files.items()))
            + "."
        )
    earlier = [u for u in a.usernames if u != a.latest_username]
    if earlier:
        parts.append("Other usernames observed: " + ", ".join(earlier) + ".")
    if unlisted > 0:
        parts.append(
            f"{unlisted} more accounts only shared a group with it when flagged media was sent, "
            "and are not listed as associated accounts."
        )
    return " ".join(parts)
