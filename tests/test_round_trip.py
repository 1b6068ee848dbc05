"""Every key of every message is kept: each fixture export, rebuilt from the store, is its raw file.

For each ``result.json`` the project's own code writes (the demo case's three, the benchmark
writer's, the bad-input tests' two, and two written here from the format reference: one with every
key it documents and every hostile field the reader tolerates, one of the integer-id era), the
export is imported into a fresh case, then every message object of the raw file is found in the store and
rebuilt from it alone: the ``messages`` columns, the sender's account key, the entities, media,
reactions and reactors, and ``details``. Each key of the raw object must be in the rebuilt one
with an equal value. The only equivalences allowed are those the format documents
(``shared/reference/telegram-export-format.md``): the three historic ``from_id`` forms, ``text``
as a string or as the mixed list of §5, ``text_entities`` whose plain runs are the text between
the entities, ``\\xHH`` read as ``\\u00HH`` (§2.1) and NUL read as U+FFFD (docs/telegram-import.md).

The raw file is read here with Python's ``json`` after the reference's own work-around for
``\\xHH``, never with the importer's scanner, so that a fault of the reader cannot hide itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from matched_demo import demo_dir  # noqa: F401 (the session's generated demo case)
from test_bad_input import write_export as write_small_export
from test_bad_input import write_full_export
from test_telegram_json import UNREADABLE, msg, tg_dump
from veilleur.case import Case, init_case
from veilleur.demo.bigexport import write_large_export
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.sources.telegram_common import CHAT_TYPE_KIND, decode_dialog_id, parse_peer_id, utc_offset
from veilleur.store.schema import (
    accounts,
    chats,
    entities,
    evidence,
    media,
    messages,
    reaction_actors,
    reactions,
)

OPERATOR = "t"
CASE_IDS = 1 << 62
"""Where the ids the case makes start (docs/telegram-import.md, "A message without a usable id")."""
OWN_DETAILS = frozenset({"case_message_id", "unreadable_fields", "sender_name_null", "forwarded_from_null"})
"""Keys of ``details`` Veilleur writes itself: what they say is rebuilt into the export's keys."""
_ACCOUNT_KEY = re.compile(r"telegram:(user|chat|channel):(-?[0-9]+)")
_HEX = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


# -- the raw file ---------------------------------------------------------------------------------


def _nul_as_replacement(v: Any) -> Any:
    if isinstance(v, str):
        return v.replace("\x00", "\ufffd")
    if isinstance(v, list):
        return [_nul_as_replacement(x) for x in v]
    if isinstance(v, dict):
        return {_nul_as_replacement(k): _nul_as_replacement(x) for k, x in v.items()}
    return v


def raw_export(path: Path) -> Any:
    """``result.json`` as the exporter meant it: its ``\\xHH`` escapes read as ``\\u00HH``."""
    data = _HEX.sub(rb"\1\\u00\2", path.read_bytes())
    return _nul_as_replacement(json.loads(data))


def raw_dialogs(root: dict[str, Any]) -> list[dict[str, Any]]:
    """The dialogs of a single-chat export (the root) or of a full one (chats, then left_chats)."""
    if "messages" in root:
        return [root]
    return [d for section in ("chats", "left_chats") for d in root.get(section, {}).get("list", [])]


def integer_era(dialogs: list[dict[str, Any]]) -> bool:
    """Whether the file's writer wrote sender ids as integers (before v2.7.2, reference §8)."""
    for d in dialogs:
        for m in d["messages"]:
            for key in ("from_id", "actor_id"):
                v = m.get(key) if isinstance(m, dict) else None
                if isinstance(v, str):
                    return False
                if isinstance(v, int) and not isinstance(v, bool):
                    return True
    return False


def chat_key(dialog: dict[str, Any], integer_ids: bool) -> str:
    kind = CHAT_TYPE_KIND[dialog["type"]]
    bare = decode_dialog_id(dialog["id"], kind) if integer_ids else dialog["id"]
    return f"telegram:{kind}:{bare}"


def usable_id(m: Any) -> int | None:
    """The message's own id, if it has one the case can keep it under."""
    v = m.get("id") if isinstance(m, dict) else None
    if v.__class__ is str and re.fullmatch(r"-?[0-9]{1,20}", v):
        v = int(v)
    return v if v.__class__ is int and -CASE_IDS < v < CASE_IDS else None


# -- the store, rebuilt ---------------------------------------------------------------------------


def _peer_ref(key: str | None) -> str | None:
    """``telegram:user:42`` → ``user42``, the form of ``from_id`` since v2.7.2; None for an
    account known by its name alone, which has no id to write."""
    m = _ACCOUNT_KEY.fullmatch(key or "")
    return f"{m.group(1)}{m.group(2)}" if m else None


def _part(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": e.type, "text": e.text}
    if e.user_id is not None:
        out["user_id"] = e.user_id
    if e.href is not None:
        out["href"] = e.href
    out.update(json.loads(e.extra) if e.extra else {})
    return out


def _text_parts(text: str, ents: list[Any]) -> list[dict[str, Any]]:
    """The message's runs, as ``text_entities`` holds them: the stored entities placed at their
    offsets, the text between them plain. An offset that does not match its entity's text
    shows as a joined text unlike the stored one."""
    parts: list[dict[str, Any]] = []
    at = 0
    for e in ents:
        if e.offset > at:
            parts.append({"type": "plain", "text": text[at : e.offset]})
        parts.append(_part(e))
        at = max(at, e.offset + e.length)
    if at < len(text) or not parts:
        parts.append({"type": "plain", "text": text[at:]})
    return parts


def _media_keys(m: Any) -> dict[str, Any]:
    size_key = {"photo": "photo_file_size", "file": "file_size"}.get(m.role, f"{m.role}_file_size")
    out: dict[str, Any] = {m.role: m.relpath if m.relpath is not None else m.placeholder_text}
    for key, value in (
        (size_key, m.file_size),
        ("file_name", m.file_name),
        ("mime_type", m.mime_type),
        ("media_type", m.media_type),
        ("duration_seconds", m.duration_seconds),
        ("width", m.width),
        ("height", m.height),
        ("self_destruct_period_seconds", m.ttl_seconds),
    ):
        if value is not None:
            out[key] = value
    if m.spoiler:
        out["media_spoiler"] = True
    return out


def _reactions(rows: list[Any], actors: list[Any]) -> list[dict[str, Any]]:
    """The reactions as their tables hold them: type, count, emoji or document, and the reactors'
    ids and exact times (the names and local times of ``recent`` are not columns)."""
    out: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = {"type": r.type, "count": r.count}
        if r.emoji is not None:
            item["emoji"] = r.emoji
        if r.document_id is not None:
            item["document_id"] = r.document_id
        item["recent"] = sorted(
            (
                {"from_id": _peer_ref(a.key), "date_unixtime": a.date_utc}
                for a in actors
                if a.reaction_idx == r.idx
            ),
            key=lambda x: str(x["from_id"]),
        )
        out.append(item)
    return out


@dataclass
class Rebuilt:
    """One stored message: the export's object rebuilt from the store, and the reactions as their
    tables alone hold them (checked against the raw file on their own)."""

    message_id: int
    obj: Any
    table_reactions: list[dict[str, Any]]
    unreadable: frozenset[str]
    """The keys the reader could not read (``details.unreadable_fields``)."""


def rebuild(conn: Connection, evidence_id: int) -> dict[str, dict[int, Rebuilt]]:
    """Per chat key, per stored message id: every message the file ``evidence_id`` gave."""
    sender = accounts.alias("sender")
    rows = conn.execute(
        select(messages, chats.c.key.label("chat_key"), sender.c.key.label("sender_key"))
        .join(chats, chats.c.id == messages.c.chat_id)
        .outerjoin(sender, sender.c.id == messages.c.sender_id)
        .where(messages.c.evidence_id == evidence_id)
        .order_by(messages.c.id)
    ).all()
    pks = [r.id for r in rows]

    def by_pk(stmt: Any) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for part in (pks[i : i + 500] for i in range(0, len(pks), 500)):
            for r in conn.execute(stmt.where(stmt.selected_columns.message_pk.in_(part))):
                out.setdefault(r.message_pk, []).append(r)
        return out

    ents = by_pk(select(entities).order_by(entities.c.message_pk, entities.c.idx))
    files = by_pk(select(media).order_by(media.c.message_pk, media.c.idx))
    reacts = by_pk(select(reactions).order_by(reactions.c.message_pk, reactions.c.idx))
    actors = by_pk(
        select(
            reaction_actors.c.message_pk,
            reaction_actors.c.reaction_idx,
            reaction_actors.c.date_utc,
            accounts.c.key,
        )
        .join(accounts, accounts.c.id == reaction_actors.c.account_id)
        .order_by(reaction_actors.c.message_pk, reaction_actors.c.reaction_idx, accounts.c.key)
    )
    out: dict[str, dict[int, Rebuilt]] = {}
    for r in rows:
        table_reactions = _reactions(reacts.get(r.id, []), actors.get(r.id, []))
        obj = _message(r, ents.get(r.id, []), files.get(r.id, []), table_reactions)
        unreadable = frozenset(json.loads(r.details).get("unreadable_fields", {}) if r.details else ())
        out.setdefault(r.chat_key, {})[r.message_id] = Rebuilt(r.message_id, obj, table_reactions, unreadable)
    return out


def _message(r: Any, ents: list[Any], files: list[Any], table_reactions: list[dict[str, Any]]) -> Any:
    details: dict[str, Any] = json.loads(r.details) if r.details else {}
    unreadable: dict[str, Any] = details.get("unreadable_fields", {})
    if "message" in unreadable:  # the value was no object: its exact JSON is all there is
        return json.loads(unreadable["message"]["json"])
    obj: dict[str, Any] = {}
    made = details.get("case_message_id")
    if made is None:
        obj["id"] = r.message_id
    elif made["reason"] == "duplicate_id":
        obj["id"] = made["exported_id"]
    obj["type"] = r.kind
    if r.date_local is not None:
        obj["date"] = r.date_local
    if r.time_basis == "unixtime":
        obj["date_unixtime"] = str(r.date_utc)
    if r.edited_utc is not None:
        obj["edited_unixtime"] = str(r.edited_utc)
    if r.sender_key is not None:
        id_key, name_key = ("actor_id", "actor") if r.kind == "service" else ("from_id", "from")
        obj[name_key] = None if details.get("sender_name_null") else r.sender_name
        if (ref := _peer_ref(r.sender_key)) is not None:
            obj[id_key] = ref
    parts = _text_parts(r.text, ents)
    obj["text_entities"] = parts
    obj["text"] = r.text if not ents else [p["text"] if p["type"] == "plain" else p for p in parts]
    if r.reply_to_message_id is not None:
        obj["reply_to_message_id"] = r.reply_to_message_id
    if r.reply_to_peer is not None:
        obj["reply_to_peer_id"] = _peer_ref(r.reply_to_peer)
    if details.get("forwarded_from_null"):
        obj["forwarded_from"] = None
    for key in ("forwarded_from", "saved_from", "via_bot", "author", "action"):
        if getattr(r, key) is not None:
            obj[key] = getattr(r, key)
    for m in files:
        obj.update(_media_keys(m))
    if table_reactions:
        obj["reactions"] = table_reactions
    # What no column holds is in details as the export wrote it; a field that could not be read
    # is there as its exact JSON text.
    obj.update({k: v for k, v in details.items() if k not in OWN_DETAILS})
    obj.update({k: json.loads(v["json"]) for k, v in unreadable.items() if "json" in v})
    return obj


# -- the diff -------------------------------------------------------------------------------------


def _canonical(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)  # true is not 1, 1.0 is not 1


def _runs(v: Any) -> list[str]:
    """``text`` or ``text_entities`` as its runs: a plain string, the mixed list of §5 and the
    all-objects list are the same text; adjacent plain runs are one, empty ones none."""
    items = [v] if isinstance(v, str) else v if isinstance(v, list) else [v]
    out: list[Any] = []
    for p in items:
        if isinstance(p, str) or (
            isinstance(p, dict) and p.keys() == {"type", "text"} and p["type"] == "plain"
        ):
            text = p if isinstance(p, str) else p["text"]
            if out and isinstance(out[-1], str):
                out[-1] += text
            elif text:
                out.append(text)
        else:
            out.append(p)
    return [x if isinstance(x, str) else _canonical(x) for x in out]


def _joined(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in v)
    return None


def _same_peer(raw: Any, got: Any) -> bool:
    """The three ``from_id`` forms of reference §8 name the same peer; the integer writers' tag
    covered basic groups and channels alike, so an integer does not tell those two apart."""
    if _canonical(raw) == _canonical(got):
        return True
    p, q = parse_peer_id(raw), parse_peer_id(got)
    if p is None or q is None or p.peer_id != q.peer_id:
        return False
    return p.kind == q.kind or (isinstance(raw, int) and {p.kind, q.kind} <= {"chat", "channel"})


def same(key: str, raw: Any, got: Any) -> bool:
    if key in ("from_id", "actor_id", "reply_to_peer_id"):
        return _same_peer(raw, got)
    if key == "text" and isinstance(raw, str):
        return _joined(got) == raw  # a string holds no entities: those are text_entities'
    if key in ("text", "text_entities") and isinstance(raw, list):
        return _runs(raw) == _runs(got)
    return _canonical(raw) == _canonical(got)


def _reaction_problems(raw: Any, tables: list[dict[str, Any]]) -> list[str]:
    """What the reaction tables hold, against the raw reactions: each reaction's type, count,
    emoji and document, its reactors by id (each once: the table's key) and their exact times."""
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        return []  # unreadable as a whole: its JSON is kept and compared as such
    if len(raw) != len(tables):
        return [f"reactions (tables): {len(tables)} stored for {len(raw)}"]
    problems = []
    for i, (r, t) in enumerate(zip(raw, tables, strict=True)):
        want: dict[str, Any] = {"type": r.get("type", "emoji"), "count": r.get("count", 0)}
        for key in ("emoji", "document_id"):
            if r.get(key) is not None:
                want[key] = str(r[key])
        recent: dict[str, Any] = {}
        for rec in r.get("recent") or []:
            peer = parse_peer_id(rec.get("from_id"))
            if peer is not None:
                recent.setdefault(f"{peer.kind}{peer.peer_id}", rec.get("date_unixtime"))
        want["recent"] = [
            {"from_id": k, "date_unixtime": None if d is None else int(d)} for k, d in sorted(recent.items())
        ]
        if _canonical(want) != _canonical(t):
            problems.append(f"reactions (tables) [{i}]: {t!r} for {want!r}")
    return problems


def diff(raw: Any, got: Rebuilt) -> list[str]:
    """Each raw key the rebuilt message lacks or holds otherwise, in words."""
    if not isinstance(raw, dict):
        return (
            [] if _canonical(raw) == _canonical(got.obj) else [f"the message itself: {got.obj!r} for {raw!r}"]
        )
    if not isinstance(got.obj, dict):
        return [f"the message itself: {got.obj!r} for an object"]
    problems = []
    for key, value in raw.items():
        if key not in got.obj:
            problems.append(f"{key}: not kept ({value!r})")
        elif not same(key, value, got.obj[key]):
            problems.append(f"{key}: {got.obj[key]!r} for {value!r}")
    if "reactions" not in got.unreadable:  # else the tables hold only what could be read
        problems += _reaction_problems(raw.get("reactions"), got.table_reactions)
    return problems


def round_trip(conn: Connection, export: Path) -> dict[str, list[str]]:
    """Every message of ``export``'s ``result.json`` against its stored row: ``{"<chat key> #<n>
    (id <id>)": problems}`` for each message that differs, and each stored row no message is."""
    root = raw_export(export / "result.json")
    dialogs = raw_dialogs(root)
    integer_ids = integer_era(dialogs)
    (ev,) = conn.execute(select(evidence.c.id).where(evidence.c.relpath == "result.json")).scalars()
    stored = rebuild(conn, ev)
    found: dict[str, list[str]] = {}
    seen: dict[str, set[int]] = {}
    made: dict[str, Iterator[Rebuilt]] = {}
    n_raw = 0
    for dialog in dialogs:
        key = chat_key(dialog, integer_ids)
        rows = stored.get(key, {})
        ids = seen.setdefault(key, set())
        made.setdefault(key, iter([rows[i] for i in sorted(rows) if i >= CASE_IDS]))
        for n, m in enumerate(dialog["messages"]):
            n_raw += 1
            mid = usable_id(m)
            where = f"{key} #{n} (id {m.get('id') if isinstance(m, dict) else None!r})"
            if mid is not None and mid not in ids:
                ids.add(mid)
                got = rows.pop(mid, None)
            else:  # no id of its own, or an earlier message's: kept under one the case made
                got = next(made[key], None)
                if got is not None:
                    rows.pop(got.message_id)
            if got is None:
                found[where] = ["not stored"]
            elif problems := diff(m, got):
                found[where] = problems
    for key, rows in stored.items():
        for mid in rows:
            found[f"{key} id {mid}"] = ["stored, and no message of the export is it"]
    assert n_raw, "the export holds no message: the round trip would check nothing"
    return found


# -- the exports ----------------------------------------------------------------------------------

ANA = {"from": "Ana B", "from_id": "user42"}
LEO = {"from": "Léo", "from_id": "user43"}


def _texts(*parts: str | dict[str, Any]) -> dict[str, Any]:
    """``text`` and ``text_entities`` as the exporter writes them for these runs (§5)."""
    plain_only = all(isinstance(p, str) for p in parts)
    return {
        "text": "".join(p for p in parts if isinstance(p, str)) if plain_only else list(parts),
        "text_entities": [{"type": "plain", "text": p} if isinstance(p, str) else p for p in parts],
    }


def _msg(mid: int, text: str = "", **kw: Any) -> dict[str, Any]:
    """A message whose ``text`` and ``text_entities`` agree, as the exporter writes them."""
    return msg(mid, **(_texts(text) if text else {}), **kw)


def _service(mid: int, action: str | None, actor: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    m = _msg(mid, type="service", **kw)
    if actor is not None:
        m.update({"actor": actor["from"], "actor_id": actor["from_id"]})
    if action is not None:
        m["action"] = action
    return m


def _every_key_messages() -> list[Any]:
    """A message for each key the reference (§4-§7) lists, then each hostile field the reader
    keeps (test_telegram_json.UNREADABLE), messages without a usable id and a duplicate id."""
    placeholder = "(File not included. Change data exporting settings to download.)"
    out: list[Any] = [
        msg(
            1,
            **ANA,
            **_texts(
                "hi ",
                {"type": "mention_name", "text": "Léo", "user_id": 43},
                " see ",
                {"type": "text_link", "text": "this", "href": "https://example.org/a"},
                " ",
                {"type": "custom_emoji", "text": "😀", "document_id": "5368324170671202286"},
                " ",
                {"type": "pre", "text": "print(1)", "language": "python"},
                {"type": "blockquote", "text": "quoted", "collapsed": True},
                {"type": "spoiler", "text": "hidden"},
                " CTRL ",  # written as \x01 in the file (see _every_key_export)
                {"type": "hashtag", "text": "#tag"},
                {"type": "bot_command", "text": "/start"},
                {"type": "cashtag", "text": "$EUR"},
                {"type": "email", "text": "a@example.org"},
                {"type": "phone", "text": "+33 6 00 00 00 00"},
                {"type": "bank_card", "text": "4000 0000 0000 0002"},
                {"type": "mention", "text": "@ana"},
                {"type": "link", "text": "https://t.me/x"},
                {"type": "bold", "text": "b"},
                {"type": "italic", "text": "i"},
                {"type": "underline", "text": "u"},
                {"type": "strikethrough", "text": "s"},
                {"type": "code", "text": "c"},
                {"type": "unknown", "text": "?"},
                {"type": "bold", "text": ""},
                " 📷 fin",
            ),
        ),
        _msg(
            2,
            **LEO,
            reply_to_message_id=1,
            edited="2026-02-01T11:00:00",
            edited_unixtime="1769940000",
            text="ok",
        ),
        _msg(
            3,
            **{"from": None, "from_id": "user44"},
            forwarded_from="Someone",
            reply_to_message_id=77,
            reply_to_peer_id="channel555",
            text="fwd",
        ),
        {"id": 4, "type": "unsupported"},
        _msg(
            5,
            **ANA,
            poll={
                "question": "Q?",
                "closed": False,
                "total_voters": 2,
                "answers": [
                    {"text": "a", "voters": 2, "chosen": True},
                    {"text": "b", "voters": 0, "chosen": False},
                ],
            },
            reactions=[
                {
                    "type": "emoji",
                    "count": 3,
                    "emoji": "👍",
                    "recent": [
                        {
                            "from": "Léo",
                            "from_id": "user43",
                            "date": "2026-02-01T10:01:00",
                            "date_unixtime": "1769936460",
                        },
                        {"from": None, "from_id": "user44", "date": "2026-02-01T10:02:00"},
                        {"from": "Ana B", "from_id": "user42", "date": "2026-02-01T10:00:30"},
                    ],
                },
                {
                    "type": "custom_emoji",
                    "count": 1,
                    "document_id": "5368324170671202286",
                    "recent": [{"from": "Léo", "from_id": "user43", "date": "2026-02-01T10:03:00"}],
                },
                {"type": "paid", "count": 50},
            ],
        ),
        _msg(
            6,
            **ANA,
            location_information=None,
            contact_information={"first_name": "Zoé", "last_name": "", "phone_number": "+33 6 00"},
            contact_vcard="contacts/contact_1.vcard",
            contact_vcard_file_size=120,
        ),
        _msg(
            7,
            **ANA,
            photo="(File unavailable, please try again later)",
            photo_file_size=0,
            width=1280,
            height=960,
            media_spoiler=True,
            self_destruct_period_seconds=10,
        ),
        _msg(
            8,
            **ANA,
            file="video_files/video_1@01-02-2026_10-00-00.mp4",
            file_name="clip.mp4",
            file_size=123456,
            thumbnail="video_files/video_1@01-02-2026_10-00-00.mp4_thumb.jpg",
            thumbnail_file_size=999,
            media_type="video_file",
            mime_type="video/mp4",
            duration_seconds=12,
            width=640,
            height=360,
            text="caption",
        ),
        _msg(
            9,
            **LEO,
            file="stickers/sticker.webp",
            file_size=20000,
            thumbnail=placeholder,
            thumbnail_file_size=3000,
            media_type="sticker",
            sticker_emoji="😀",
            mime_type="image/webp",
            width=512,
            height=512,
        ),
        _msg(
            10,
            **LEO,
            file=placeholder,
            file_name="song.mp3",
            file_size=4_000_000,
            media_type="audio_file",
            performer="Some Band",
            title="Some Song",
            mime_type="audio/mpeg",
            duration_seconds=200,
        ),
        _msg(
            11,
            **ANA,
            file="voice_messages/audio_1@01-02-2026_10-00-00.ogg",
            file_size=9000,
            media_type="voice_message",
            mime_type="audio/ogg",
            duration_seconds=3,
        ),
        _msg(
            12,
            **ANA,
            place_name="Tour",
            address="Champ de Mars",
            location_information={"latitude": 48.8584, "longitude": 2.2945},
        ),
        _msg(
            13,
            **ANA,
            location_information={"latitude": 45.5, "longitude": -73.25},
            live_location_period_seconds=900,
        ),
        _msg(14, **LEO, game_title="Jeu", game_description="un jeu", game_link="https://t.me/game"),
        _msg(
            15,
            **LEO,
            invoice_information={
                "title": "T",
                "description": "D",
                "amount": 500,
                "currency": "EUR",
                "receipt_message_id": 39,
            },
        ),
        _msg(
            16,
            **ANA,
            todo_list={
                "title": "À faire",
                "others_can_append": True,
                "others_can_complete": False,
                "answers": [{"text": "un", "id": 1}],
            },
        ),
        _msg(
            17,
            **ANA,
            giveaway_information={"quantity": 3, "months": 6, "until_date": "2026-03-01T00:00:00"},
            paid_stars_amount=25,
        ),
        _msg(
            18,
            **LEO,
            via_bot="@helperbot",
            inline_bot_buttons=[
                [
                    {"type": "callback", "text": "OK", "dataBase64": "b2s", "data": ""},
                    {"type": "url", "text": "site", "data": "https://example.org"},
                ]
            ],
            text="buttons",
        ),
        _msg(
            19, **{"from": "Cercle", "from_id": "channel1712345678"}, author="Admin", text="anonymous admin"
        ),
        _msg(20, **ANA, saved_from="Other chat", forwarded_from=None, text="saved"),
        _msg(
            21, **ANA, file="files/doc.pdf", file_name="doc.pdf", file_size=777, mime_type="application/pdf"
        ),
        _msg(
            22,
            **ANA,
            photo="photos/photo_2@01-02-2026_10-00-00.jpg",
            photo_file_size=50000,
            width=800,
            height=600,
            text="photo",
        ),
        _service(30, "create_group", ANA, title="Cercle", members=["Ana B", None]),
        _service(31, "invite_members", ANA, members=["Léo"]),
        _service(32, "remove_members", LEO, members=["Léo"]),
        _service(33, "join_group_by_link", LEO, inviter="Ana B"),
        _service(34, "join_group_by_link", LEO, inviter=None),
        _service(35, "pin_message", ANA, message_id=1),
        _service(36, "phone_call", ANA, duration_seconds=65, discard_reason="hangup"),
        _service(37, "group_call", ANA, duration=30),
        _service(
            38,
            "edit_group_photo",
            ANA,
            photo="photos/photo_3@01-02-2026_10-00-00.jpg",
            photo_file_size=4000,
            width=640,
            height=480,
        ),
        _service(39, "send_payment", None, amount=500, currency="EUR", invoice_message_id=15),
        _service(40, "proximity_reached", None, **ANA, to="Léo", to_id="user43", distance=50),
        _service(41, None, ANA, information_text="custom action"),
        _service(42, "set_messages_ttl", ANA, period=86400),
        _service(43, "migrate_from_group", ANA, title="Ancien cercle"),
        _msg(-999999990, **ANA, reply_to_message_id=-999999991, text="from the migrated group"),
        # A name without its id, and a message naming both a sender and an actor.
        _msg(50, **{"from": "Sans id"}, text="no from_id"),
        _msg(51, **ANA, actor="Léo", actor_id="user43", text="two senders"),
        # The export's own say for keys Veilleur writes in details.
        _msg(52, **ANA, case_message_id={"reason": "forged"}),
        _msg(53, **{"from": None, "from_id": "user44"}, sender_name_null=False),
        _msg(54, **ANA, forwarded_from="Real", forwarded_from_null=True),
    ]
    out += [msg(100 + i, **given) for i, (given, _fields, _read) in enumerate(UNREADABLE.values())]
    for i, (bad_id, text) in enumerate(
        [
            (None, "no id"),
            ("12abc", "text id"),
            (2**63 + 5, "past 2**63"),
            (CASE_IDS, "where case ids start"),
            (1.5, "fraction"),
            (True, "true"),
        ]
    ):
        m = _msg(200 + i, **ANA, text=text)
        if bad_id is None:
            del m["id"]
        else:
            m["id"] = bad_id
        out.append(m)
    out += [_msg(1, **LEO, text="a second message 1"), 17, None]
    return out


def _every_key_export(root: Path) -> Path:
    """A full-account export: every key the reference documents, and every hostile field."""
    doc = {
        "about": "Here is the data you requested.",
        "personal_information": {
            "user_id": 42,
            "first_name": "Ana",
            "last_name": "B",
            "phone_number": "+33 6",
        },
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {
                    "name": "Cercle",
                    "type": "private_supergroup",
                    "id": 1712345678,
                    "messages": _every_key_messages(),
                },
                {
                    "name": "Léo",
                    "type": "personal_chat",
                    "id": 43,
                    "messages": [
                        _msg(1, **LEO, text="salut"),
                        _msg(
                            2, **ANA, edited="2026-02-01T12:00:00", edited_unixtime="1769943600", text="édité"
                        ),
                    ],
                },
                {
                    "type": "saved_messages",
                    "id": 42,
                    "messages": [_msg(1, **ANA, saved_from="Cercle", text="gardé")],
                },
            ],
        },
        "left_chats": {
            "about": "This page lists all supergroups and channels from this export that you've left.",
            "list": [
                {
                    "name": "Annonces",
                    "type": "public_channel",
                    "id": 1878264527,
                    "messages": [
                        _msg(
                            7,
                            **{"from": "Annonces", "from_id": "channel1878264527"},
                            author="Rédaction",
                            text="post",
                        ),
                    ],
                },
            ],
        },
    }
    root.mkdir(parents=True)
    (root / "result.json").write_text(tg_dump(doc).replace(" CTRL ", " \\x01 "), encoding="utf-8")
    return root


def _integer_era_export(root: Path) -> Path:
    """A channel exported by a v2.4-v2.7.1 writer: encoded integer ids (reference §8), no Unix
    times, ``text`` lists without ``text_entities``, a photo without its size."""
    channel, user = 10036995664, 4389402929  # channel 1447061072 and user 94435633, encoded
    messages = [
        {
            "id": 1,
            "type": "service",
            "date": "2020-10-01T10:00:00",
            "actor": "Canal",
            "actor_id": channel,
            "action": "create_channel",
            "title": "Canal",
            "text": "",
        },
        {
            "id": 2,
            "type": "message",
            "date": "2020-10-01T10:05:00",
            "from": "Canal",
            "from_id": channel,
            "text": ["a ", {"type": "bold", "text": "b"}, " c"],
        },
        {
            "id": 3,
            "type": "message",
            "date": "2020-10-01T10:06:00",
            "edited": "2020-10-01T12:00:00",
            "from": "Ana",
            "from_id": user,
            "text": "plain",
        },
        {
            "id": 4,
            "type": "message",
            "date": "2020-10-01T10:07:00",
            "from": "Old",
            "from_id": 123456789,
            "photo": "photos/photo_1@01-10-2020_10-07-00.jpg",
            "width": 800,
            "height": 600,
            "text": ["only text"],
        },
    ]
    root.mkdir(parents=True)
    doc = {"name": "Canal", "type": "private_channel", "id": channel, "messages": messages}
    (root / "result.json").write_text(tg_dump(doc), encoding="utf-8")
    return root


def _demo(name: str) -> Callable[[pytest.FixtureRequest, Path], Path]:
    def get(request: pytest.FixtureRequest, _tmp: Path) -> Path:
        return Path(request.getfixturevalue("demo_dir")) / "exports" / name

    return get


def _big(_request: pytest.FixtureRequest, tmp: Path) -> Path:
    write_large_export(tmp / "big" / "result.json", 300, n_accounts=40, seed=5)
    return tmp / "big"


def _small(_request: pytest.FixtureRequest, tmp: Path) -> Path:
    write_small_export(tmp / "small", n=30)
    return tmp / "small"


def _full(_request: pytest.FixtureRequest, tmp: Path) -> Path:
    write_full_export(tmp / "full", per_chat=10)
    return tmp / "full"


EXPORTS: dict[str, tuple[Callable[[pytest.FixtureRequest, Path], Path], str | None]] = {
    # name: (how the export is made, the UTC offset it is imported with)
    "demo group-2026-03": (_demo("group-2026-03"), "+01:00"),
    "demo account-2026-05": (_demo("account-2026-05"), "+01:00"),
    "demo group-2026-06": (_demo("group-2026-06"), "+01:00"),
    "bigexport": (_big, None),
    "bad_input write_export": (_small, None),
    "bad_input write_full_export": (_full, None),
    "every documented key": (lambda _r, tmp: _every_key_export(tmp / "every"), None),
    "integer-id era": (lambda _r, tmp: _integer_era_export(tmp / "old"), "+02:00"),
}


def imported(
    request: pytest.FixtureRequest, tmp_path: Path, db_url: str | None, name: str
) -> tuple[Case, Path]:
    make, offset = EXPORTS[name]
    export = make(request, tmp_path)
    case = init_case(tmp_path / "case", name="round trip", database_url=db_url, operator=OPERATOR)
    try:
        options = ImportOptions(OPERATOR, utc_offset(offset) if offset else None)
        assert import_export(case, export, options).status == "complete"
    except BaseException:
        case.close()
        raise
    return case, export


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_key_of_every_message_is_kept(
    request: pytest.FixtureRequest, tmp_path: Path, db_url: str | None, name: str
) -> None:
    case, export = imported(request, tmp_path, db_url, name)
    try:
        with case.engine.connect() as conn:
            assert round_trip(conn, export) == {}
    finally:
        case.close()


# Each changes one stored value of message 5 or 8 of the every-key export ("Cercle"), in a
# transaction rolled back: (the table, the change, the key the diff must name).
TAMPER: dict[str, tuple[Any, dict[str, Any], int, str]] = {
    "a column": (messages, {"sender_name": "Anna B"}, 5, "from"),
    "details": (messages, {"details": None}, 5, "poll"),
    "the text": (messages, {"text": ""}, 8, "text"),
    "an entity": (entities, {"href": "https://example.org/b"}, 1, "text_entities"),
    "a media row": (media, {"width": 641}, 8, "width"),
    "a reaction": (reactions, {"count": 4}, 5, "reactions (tables) [0]"),
}


@pytest.mark.parametrize("what", list(TAMPER))
def test_the_round_trip_finds_one_stored_value_changed(
    request: pytest.FixtureRequest, tmp_path: Path, db_url: str | None, what: str
) -> None:
    case, export = imported(request, tmp_path, db_url, "every documented key")
    table, values, message_id, key = TAMPER[what]
    try:
        with case.engine.connect() as conn:
            assert round_trip(conn, export) == {}
            (pk,) = conn.execute(
                select(messages.c.id)
                .join(chats, chats.c.id == messages.c.chat_id)
                .where(chats.c.key == "telegram:channel:1712345678", messages.c.message_id == message_id)
            ).scalars()
            # In the connection's own transaction, rolled back: the case is left as imported.
            where = table.c.id == pk if table is messages else table.c.message_pk == pk
            assert conn.execute(update(table).where(where).values(**values)).rowcount >= 1
            found = round_trip(conn, export)
            conn.rollback()
            assert round_trip(conn, export) == {}
    finally:
        case.close()
    (where_found,) = found  # that message alone
    assert where_found.startswith("telegram:channel:1712345678 #") and f"(id {message_id})" in where_found
    assert any(p.startswith(key + ":") or p.startswith(key + " ") for p in found[where_found]), found
