"""Write the synthetic demo case: four Telegram Desktop exports and the ground truth they imply.

``generate_demo_case(out_dir)`` renders :func:`veilleur.demo.scenario.build_case` into::

    out_dir/
      exports/group-2026-03/   "Export chat history" of the supergroup, JSON + HTML, media included
      exports/account-2026-05/ "Export Telegram data" of the central account, JSON only
      exports/group-2026-06/   a later re-export of the supergroup (Feb-Jun), JSON only, photos only
      exports/dm-html-old/     an old-client HTML export of a private chat (no UTC offset in titles)
      lists/                   the demo's own hash lists of its synthetic "known material"
      ground_truth.json

Each export sees names its own way (users' own names, contact-saved names in the account export,
renames and a newly deleted account in June), names its media files with its own per-chat
counters and applies its own media settings, as Telegram Desktop does.

``ground_truth.json`` schema (all times UTC ISO ``YYYY-MM-DDTHH:MM:SSZ``; chat keys are
``"<kind>:<bare id>"`` with kind ``channel`` for ``*_supergroup``/``*_channel``, ``chat`` for
``private_group``, ``user`` for ``personal_chat``/``bot_chat``/``saved_messages``; chats of an
HTML-only export have no id and are keyed ``"name:<title shown in the page header>"``):

* ``schema``: ``"veilleur-demo-ground-truth/1"``; ``seed``; ``timezone_note``.
* ``import_order``: export folder names, in the order an importer should take them.
* ``exports``: ``{folder: {...}}`` with

  * ``layout``: ``"single_chat"`` or ``"full_account"``; ``formats``: ``["json"]``, ``["html"]``
    or ``["json", "html"]``; ``utc_offset``: the exporting PC's offset (``"+01:00"``), which the
    local ``date`` strings and HTML titles use; ``html_titles_have_utc_offset``: bool or null;
  * ``chats``: ``{chat key: {...}}`` with ``type`` (dialog type), ``name`` (JSON ``name``, or the
    HTML header), ``only_own_messages`` (full-export groups), ``message_ids`` (every message,
    service ones included, file order), ``service_message_ids``, ``media_present_ids`` (messages
    whose ``photo``/``file`` is a saved file), ``placeholders`` (``{"not_included",
    "exceeds_max_size", "unavailable"}``: messages whose main media field - ``photo``, ``file``
    or ``contact_vcard`` - holds that placeholder; thumbnail placeholders are not counted),
    ``json_escapes`` (``\\xHH`` sequences written in this chat's part of ``result.json``, 0 for
    HTML-only) and ``deleted_account_messages`` (messages whose ``from``/``actor`` is ``null``).

* ``case``: what a correct importer must conclude after importing every export in
  ``import_order``:

  * ``distinct_message_ids``: ``{chat key: sorted ids}`` (union over exports);
  * ``accounts``: ``{"user:<id>": {"names": [...], "usernames": [...]}}`` - every user seen as a
    ``from_id``/``actor_id`` in JSON, with each distinct non-null display name observed in
    ``from``/``actor`` (first-seen order) and usernames tied to the id (``personal_information``);
  * ``deleted_account_ids``: users seen with ``from``/``actor`` ``null``;
  * ``edited_messages``: ``[{"chat", "id", "texts"}]`` for every message that carries ``edited``
    in some export or whose text differs between exports; ``texts`` are the distinct full texts
    (concatenated runs) in import order;
  * ``possibly_deleted``: ``{chat key: ids}`` present in ``group-2026-03`` but absent from
    ``group-2026-06`` although inside the June export's actual date range (its first and last
    message);
  * ``central_account_id``: ``"user:<id>"`` of the full export's owner;
  * ``first_message_utc`` / ``last_message_utc``: over all messages of all exports (the HTML-only
    chat lies inside that range, so its unknown offset does not matter).

* ``lists``: the demo hash lists under ``lists/`` (``veilleur.demo.known_lists``), each with
  ``file``, ``name``, ``kind`` (``positive``/``negative``) and, for bare 64-hex lists,
  ``hash_type``; import them all, then match with dihedral matching on.
* ``known_material``: ``[{"label", "chat", "id", "sender", "signals", "suppressed",
  "forwarded_from"}]``, one per message carrying a file of ``scenario.KNOWN``: after hashing, importing
  ``lists`` and matching, each such message's file is hit with exactly ``signals`` agreeing
  (unsuppressed hits; for a ``suppressed`` one, its hits are all suppressed), and no other file
  of the case is flagged. ``forwarded_from`` is the ``"<kind>:<id>"`` a forward names, else null.
* ``central_network``: ``{"user:<id>": [kinds]}``, every account that exchanged flagged material
  with the central account and the kinds of link (``veilleur.analysis.network``); no other
  account may be found.
* ``identity``: the record files under ``records/`` (``files``: file, kind, source) and what
  linking and ranking must conclude (``veilleur.demo.identity``): ``links`` (account → person
  key), ``must_not_link`` (a homonym), ``aliases``, ``ranking_top`` (person keys, in order) and
  ``top_reasons`` (factors that must give points to those persons).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from veilleur.demo import media as synth
from veilleur.demo.identity import write_identity_records
from veilleur.demo.known_lists import write_demo_lists
from veilleur.demo.scenario import (
    ACCOUNT_EXPORTED,
    GROUP03_EXPORTED,
    GROUP06_FROM,
    GROUP_ID,
    KNOWN,
    LEFT_GROUP,
    TITLE_APRIL,
    TITLE_MARCH,
    TZ,
    Case,
    Item,
    MediaSpec,
    build_case,
    ts,
)
from veilleur.demo.tdesktop_html import HtmlChatWriter, write_static_files
from veilleur.demo.tdesktop_json import (
    ABOUT_CHATS,
    ABOUT_CONTACTS,
    ABOUT_FREQUENT,
    ABOUT_LEFT_CHATS,
    ABOUT_SESSIONS,
    ABOUT_WEB_SESSIONS,
    Action,
    Dialog,
    Document,
    FileRef,
    JsonWriter,
    Media,
    Message,
    Peer,
    Photo,
    SharedContact,
    SkipReason,
    local_iso,
)
from veilleur.timefmt import iso_utc

__all__ = ["generate_demo_case"]

View = Callable[[Peer], Peer]
_KIND_SETTING = {
    "photo": "photo",
    "video": "video",
    "animation": "gif",
    "sticker": "sticker",
    "round": "round",
    "voice": "voice",
    "file": "file",
}


# --------------------------------------------------------------------------------------------------
# Names as one export sees them
# --------------------------------------------------------------------------------------------------


def make_view(names: dict[int, tuple[str, str]], deleted: set[int]) -> View:
    """Peer -> Peer as displayed by one exporting account (deleted accounts lose their names)."""

    def view(p: Peer) -> Peer:
        if p.kind != "user":
            return p
        if p.id in deleted:
            return Peer("user", p.id)
        n = names.get(p.id)
        return replace(p, first_name=n[0], last_name=n[1]) if n else p

    return view


# --------------------------------------------------------------------------------------------------
# Media: per-export settings, per-chat file naming, file writing
# --------------------------------------------------------------------------------------------------


class MediaRenderer:
    """Turn :class:`MediaSpec` into the media record one export writes, saving files as needed.

    Mirrors ``ParseMedia``/``ComputeDocumentName`` (names from per-chat counters incremented for
    every media, saved or not, ``@DD-MM-YYYY_HH-MM-SS`` in exporter-local time) and the skip
    decisions of ``export_api_wrap.cpp`` (unavailable, then type not selected, then size limit).
    """

    def __init__(self, root: Path, included: set[str], size_limit: int) -> None:
        self.root = root
        self.included = included
        self.size_limit = size_limit
        self.prefix = ""
        self.counters: dict[str, int] = {}
        self.used: set[str] = set()
        self.files: list[str] = []

    def start_dialog(self, prefix: str) -> None:
        self.prefix = prefix
        self.counters = {"photos": 0, "videos": 0, "files": 0, "audios": 0, "contacts": 0}

    def _next(self, counter: str) -> int:
        self.counters[counter] += 1
        return self.counters[counter]

    def _date_part(self, date: int) -> str:
        t = time.gmtime(date + TZ)
        return (
            f"@{t.tm_mday:02d}-{t.tm_mon:02d}-{t.tm_year:04d}_{t.tm_hour:02d}-{t.tm_min:02d}-{t.tm_sec:02d}"
        )

    def _free(self, rel: str) -> str:
        """``File::PrepareRelativePath``: ``name (1).ext``, inserting before the first dot."""
        if rel not in self.used:
            self.used.add(rel)
            return rel
        folder, _, name = rel.rpartition("/")
        dot = name.find(".")
        stem, ext = (name[:dot], name[dot:]) if dot >= 0 else (name, "")
        k = 1
        while f"{folder}/{stem} ({k}){ext}" in self.used:
            k += 1
        rel = f"{folder}/{stem} ({k}){ext}"
        self.used.add(rel)
        return rel

    def _skip(self, spec: MediaSpec, ttl: int, size: int) -> SkipReason | None:
        if spec.unavailable or ttl:
            return "unavailable"
        if _KIND_SETTING[spec.kind] not in self.included:
            return "not_included"
        if size > self.size_limit:
            return "exceeds_max_size"
        return None

    def render(self, spec: MediaSpec, date: int, ttl: int) -> Media:
        if spec.kind == "photo":
            return self._photo(spec, date, ttl)
        if spec.kind == "contact":
            first, last, phone = spec.contact
            n = self._next("contacts")
            vcard = (
                f"BEGIN:VCARD\nVERSION:3.0\nN:{last};{first};;;\nFN:{first} {last}\n"
                f"TEL;CELL:{phone}\nEND:VCARD\n"
            )
            rel = self._free(f"{self.prefix}contacts/contact_{n}.vcard")
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(vcard.encode("utf-8"))
            self.files.append(rel)
            return SharedContact(first, last, phone, FileRef(rel, len(vcard.encode("utf-8"))))
        return self._document(spec, date, ttl)

    def _photo(self, spec: MediaSpec, date: int, ttl: int) -> Photo:
        n = self._next("photos")
        declared = spec.size or spec.width * spec.height // 6
        skip = self._skip(spec, ttl, declared)
        if skip is not None:
            return Photo(FileRef("", declared, skip), spec.width, spec.height)
        rel = self._free(f"{self.prefix}photos/photo_{n}{self._date_part(date)}.jpg")
        if spec.known:
            path = self.root / rel
            size = synth.make_known_jpeg(path, spec.seed, spec.width, spec.height, mirror=spec.mirror)
        else:
            size = synth.make_jpeg(self.root / rel, spec.width, spec.height, spec.seed)
        self.files.append(rel)
        return Photo(FileRef(rel, size), spec.width, spec.height)

    def _document(self, spec: MediaSpec, date: int, ttl: int) -> Document:
        kind = spec.kind
        folder = {
            "video": "video_files",
            "animation": "video_files",
            "sticker": "stickers",
            "round": "round_video_messages",
            "voice": "voice_messages",
        }.get(kind, "files")
        if spec.name:
            name = spec.name
        elif kind == "voice":
            name = f"audio_{self._next('audios')}{self._date_part(date)}.ogg"
        elif kind == "video":
            name = f"video_{self._next('videos')}{self._date_part(date)}.mp4"
        else:
            ext = {"video/mp4": ".mp4", "image/png": ".png", "application/pdf": ".pdf"}.get(
                spec.mime, ".unknown"
            )
            name = f"file_{self._next('files')}{self._date_part(date)}{ext}"
        media_type = {
            "video": "video_file",
            "animation": "animation",
            "sticker": "sticker",
            "round": "video_message",
            "voice": "voice_message",
        }.get(kind)
        has_thumb = kind in ("video", "animation", "sticker", "round")
        tw, th = _fit(spec.width, spec.height, 320) if has_thumb else (0, 0)
        declared = spec.size or max(20_000, spec.width * spec.height * max(1, spec.duration) // 8)
        skip = self._skip(spec, ttl, declared)
        doc = Document(
            FileRef("", declared, skip),
            spec.mime,
            name=spec.name,
            media_type=media_type,
            sticker_emoji=spec.emoji,
            duration=spec.duration,
            width=spec.width if kind != "voice" else 0,
            height=spec.height if kind != "voice" else 0,
        )
        rel = self._free(f"{self.prefix}{folder}/{name}") if skip is None else f"{self.prefix}{folder}/{name}"
        if skip is not None:
            if has_thumb and skip == "exceeds_max_size":  # the small thumbnail is still saved
                trel = self._free(rel + "_thumb.jpg")
                tsize = synth.make_thumb(self.root / trel, tw, th, spec.seed)
                self.files.append(trel)
                doc = replace(doc, thumb=FileRef(trel, tsize), thumb_size=(tw, th))
            elif has_thumb:  # a skipped document's thumbnail is skipped for the same reason
                doc = replace(doc, thumb=FileRef("", tw * th // 10, skip), thumb_size=(tw, th))
            return doc
        path = self.root / rel
        if kind in ("video", "animation", "round"):
            size = synth.make_mp4(path, max(1, min(spec.duration, 4)), spec.width, spec.height, 12, spec.seed)
        elif kind == "sticker":
            size = synth.make_webp(path, spec.seed)
        elif spec.mime == "image/png":
            size = synth.make_png(path, spec.width, spec.height, spec.seed)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"Synthetic document {spec.seed}\n".encode())
            size = path.stat().st_size
        self.files.append(rel)
        doc = replace(doc, file=FileRef(rel, size))
        if has_thumb:
            trel = rel + "_thumb.jpg"
            tsize = synth.make_thumb(self.root / trel, tw, th, spec.seed)
            self.files.append(trel)
            doc = replace(doc, thumb=FileRef(trel, tsize), thumb_size=(tw, th))
        return doc


def _fit(w: int, h: int, box: int) -> tuple[int, int]:
    if not w or not h:
        return 0, 0
    scale = min(1.0, box / max(w, h))
    return max(1, int(w * scale)), max(1, int(h * scale))


def render(item: Item, view: View, media: MediaRenderer, *, text: Message | None = None) -> Message:
    """One canonical item as a given export writes it (names, media, optional later edit)."""
    m = item.msg
    a = m.action
    action = a
    if a is not None:
        action = Action(
            a.type,
            a.title,
            tuple(view(p) for p in a.members),
            view(a.inviter) if a.inviter is not None else None,
            a.message_id,
            a.photo,
        )
    out = replace(
        m,
        sender=view(m.sender) if m.sender is not None else None,
        forwarded_from=view(m.forwarded_from) if m.forwarded_from is not None else None,
        action=action,
        reactions=tuple(replace(r, recent=tuple((view(p), d) for p, d in r.recent)) for r in m.reactions),
        media=media.render(item.spec, m.date, m.ttl) if item.spec is not None else m.media,
    )
    if text is not None:
        out = replace(out, text=text.text, edited=text.edited)
    return out


# --------------------------------------------------------------------------------------------------
# Ground-truth bookkeeping
# --------------------------------------------------------------------------------------------------


def chat_key(dialog_type: str, bare_id: int) -> str:
    kind = (
        "channel"
        if dialog_type.endswith(("_supergroup", "_channel"))
        else ("chat" if dialog_type == "private_group" else "user")
    )
    return f"{kind}:{bare_id}"


def _main_media_field(msg: Message) -> FileRef | None:
    if isinstance(msg.media, Photo | Document):
        return msg.media.file
    if isinstance(msg.media, SharedContact):
        return msg.media.vcard
    return None


def chat_facts(dialog: Dialog, escapes: int, only_own: bool, name: str | None) -> dict[str, object]:
    placeholders = {"not_included": 0, "exceeds_max_size": 0, "unavailable": 0}
    present: list[int] = []
    deleted = 0
    for m in dialog.messages:
        f = _main_media_field(m)
        if f is not None and f.skip is not None:
            placeholders[f.skip] += 1
        if isinstance(m.media, Photo | Document) and m.media.file.skip is None:
            present.append(m.id)
        if m.sender is not None and not m.sender.name:
            deleted += 1
    return {
        "type": dialog.type,
        "name": name,
        "only_own_messages": only_own,
        "message_ids": [m.id for m in dialog.messages],
        "service_message_ids": [m.id for m in dialog.messages if m.action is not None],
        "media_present_ids": present,
        "placeholders": placeholders,
        "json_escapes": escapes,
        "deleted_account_messages": deleted,
    }


@dataclass
class _Export:
    folder: str
    layout: str
    formats: list[str]
    html_offset: bool | None
    chats: dict[str, dict[str, object]] = field(default_factory=dict)
    dialogs: dict[str, Dialog] = field(default_factory=dict)
    json_chat: bool = True  # JSON present: ids and names are observable
    usernames: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# The four exports
# --------------------------------------------------------------------------------------------------


def _single_chat_json(root: Path, dialog: Dialog) -> int:
    with (root / "result.json").open("wb") as fp:
        w = JsonWriter(fp, TZ, single_chat=True)
        w.write_dialog(dialog)
        w.finish()
        return w.escapes


def _write_group_03(case: Case, root: Path) -> _Export:
    view = make_view({}, case.deleted_before_03)
    media = MediaRenderer(root, {"photo", "gif", "sticker", "round", "file"}, 50 * 1024 * 1024)
    media.start_dialog("")
    msgs = [render(it, view, media) for it in case.group if it.msg.date < GROUP03_EXPORTED]
    chat = Peer("channel", GROUP_ID, TITLE_MARCH)
    dialog = Dialog("private_supergroup", chat, TITLE_MARCH, msgs)
    escapes = _single_chat_json(root, dialog)
    write_static_files(root)
    HtmlChatWriter(root, dialog, TZ, with_utc_offset=True).write(msgs)
    ex = _Export("group-2026-03", "single_chat", ["json", "html"], True)
    key = chat_key(dialog.type, GROUP_ID)
    ex.chats[key] = chat_facts(dialog, escapes, False, TITLE_MARCH)
    ex.dialogs[key] = dialog
    return ex


def _write_group_06(case: Case, root: Path) -> _Export:
    names = dict(case.renames_06)
    view = make_view(names, case.deleted_before_03 | case.deleted_before_06)
    media = MediaRenderer(root, {"photo"}, 8 * 1024 * 1024)  # the default settings: photos only
    media.start_dialog("")
    msgs = []
    for it in case.group:
        if it.msg.date < GROUP06_FROM or it.msg.id in case.deleted_06:
            continue
        edit = case.edits_06.get(it.msg.id)
        override = replace(it.msg, text=edit[0], edited=edit[1]) if edit else None
        msgs.append(render(it, view, media, text=override))
    dialog = Dialog("private_supergroup", Peer("channel", GROUP_ID, TITLE_APRIL), TITLE_APRIL, msgs)
    escapes = _single_chat_json(root, dialog)
    ex = _Export("group-2026-06", "single_chat", ["json"], None)
    key = chat_key(dialog.type, GROUP_ID)
    ex.chats[key] = chat_facts(dialog, escapes, False, TITLE_APRIL)
    ex.dialogs[key] = dialog
    return ex


def _write_dm(case: Case, root: Path) -> _Export:
    _, b = case.dm_pair
    view = make_view({}, set())
    media = MediaRenderer(root, {"photo"}, 8 * 1024 * 1024)
    media.start_dialog("")
    msgs = [render(it, view, media) for it in case.dm]
    dialog = Dialog("personal_chat", b.peer, b.first, msgs, last_name=b.last)
    write_static_files(root)
    HtmlChatWriter(root, dialog, TZ, with_utc_offset=False).write(msgs)
    ex = _Export("dm-html-old", "single_chat", ["html"], False, json_chat=False)
    title = f"{b.first} {b.last}".strip()
    ex.chats[f"name:{title}"] = chat_facts(dialog, 0, False, title)
    ex.dialogs[f"name:{title}"] = dialog
    return ex


def _account_sections(case: Case, root: Path, w: JsonWriter) -> None:
    c = case.central
    w.write_value(
        "personal_information",
        {
            "user_id": c.id,
            "first_name": c.first,
            "last_name": c.last,
            "phone_number": c.phone,
            "username": "@" + c.username,
            "bio": "Randonn\u00e9e, v\u00e9lo et photo \U0001f4f7",
        },
    )
    pics = []
    for k, date in enumerate((ts(2025, 6, 14, 10, 0), ts(2026, 2, 20, 18, 30))):
        t = time.gmtime(date + TZ)
        rel = (
            f"profile_pictures/photo_{k + 1}@{t.tm_mday:02d}-{t.tm_mon:02d}-{t.tm_year}_"
            f"{t.tm_hour:02d}-{t.tm_min:02d}-{t.tm_sec:02d}.jpg"
        )
        synth.make_jpeg(root / rel, 640, 640, 900 + k)
        pics.append({"date": local_iso(date, TZ), "date_unixtime": str(date), "photo": rel})
    w.write_array_section("profile_pictures", pics)
    contacts: list[dict[str, object]] = []
    by_id = {p.id: p for p in case.people}
    for uid, (first, last) in case.contact_names.items():
        added = ts(2025, 9, 1 + len(contacts), 12, 0)
        contacts.append(
            {
                "user_id": uid,
                "first_name": first,
                "last_name": last,
                "phone_number": by_id[uid].phone,
                "date": local_iso(added, TZ),
                "date_unixtime": str(added),
            }
        )
    removed = ts(2024, 11, 5, 9, 0)
    contacts.append({"date": local_iso(removed, TZ), "date_unixtime": str(removed)})  # deleted contact

    def sort_key(ct: dict[str, object]) -> str:
        return f"{ct.get('first_name', '')} {ct.get('last_name', '')}".lower()

    contacts.sort(key=sort_key)
    w.write_list_section("contacts", ABOUT_CONTACTS, contacts)
    frequent = [
        {
            "id": case.people[2].id,
            "category": "people",
            "type": "user",
            "name": "L\u00e9a V\u00e9lo",
            "rating": 0.912,
        },
        {"id": case.people[1].id, "category": "people", "type": "user", "name": "Hugo Club", "rating": 0.631},
        {
            "id": GROUP_ID,
            "category": "people",
            "type": "private_supergroup",
            "name": TITLE_APRIL,
            "rating": 0.544,
        },
        {
            "id": case.bot.id,
            "category": "inline_bots",
            "type": "user",
            "name": case.bot.first,
            "rating": 0.21,
        },
        {"id": case.people[9].id, "category": "calls", "type": "user", "name": "Tante Sofia", "rating": 0.4},
    ]
    w.write_list_section("frequent_contacts", ABOUT_FREQUENT, frequent)
    sessions = [
        {
            "last_active": local_iso(s.last_active, TZ),
            "last_active_unixtime": str(s.last_active),
            "last_ip": s.ip,
            "last_country": s.country,
            "last_region": s.region,
            "application_name": s.app,
            "application_version": s.version,
            "device_model": s.device,
            "platform": s.platform,
            "system_version": s.system,
            "created": local_iso(s.created, TZ),
            "created_unixtime": str(s.created),
        }
        for s in case.sessions
    ]
    w.write_list_section("sessions", ABOUT_SESSIONS, sessions)
    w.write_list_section("web_sessions", ABOUT_WEB_SESSIONS, [])


def _write_account(case: Case, root: Path) -> _Export:
    c = case.central
    view = make_view(case.contact_names, case.deleted_before_03)
    media = MediaRenderer(root, {"photo", "video", "file", "gif", "sticker", "round"}, 50 * 1024 * 1024)
    ex = _Export("account-2026-05", "full_account", ["json"], None)
    ex.usernames[c.id] = "@" + c.username

    own_group = [
        it
        for it in case.group
        if it.msg.date < ACCOUNT_EXPORTED and it.msg.sender is not None and it.msg.sender.id == c.id
    ]
    plans: list[tuple[str, Peer, str | None, list[Item], bool]] = []
    for other, items in case.private_chats:
        seen = view(other.peer)
        plans.append(("personal_chat", seen, seen.first_name, items, False))
    plans.append(("private_supergroup", Peer("channel", GROUP_ID, TITLE_APRIL), TITLE_APRIL, own_group, True))
    plans.append(("saved_messages", c.peer, None, case.saved, False))
    plans.append(("bot_chat", case.bot.peer, case.bot.first, case.bot_chat, False))
    plans.sort(key=lambda p: -max(it.msg.date for it in p[3]))
    left = ("private_supergroup", LEFT_GROUP, LEFT_GROUP.first_name, case.left_chat, True)
    full_count = len(plans) + 1  # ``FinalizeDialogsInfo``: chat_NN padded to len(str(count - 1))
    digits = len(str(full_count - 1))

    with (root / "result.json").open("wb") as fp:
        w = JsonWriter(fp, TZ, single_chat=False)
        w.start()
        _account_sections(case, root, w)
        for section, about, group in (
            ("chats", ABOUT_CHATS, plans),
            ("left_chats", ABOUT_LEFT_CHATS, [left]),
        ):
            w.begin_list(section, about)
            for dtype, peer, name, items, only_own in group:
                index = len(ex.dialogs) + 1
                media.start_dialog(f"chats/chat_{index:0{digits}d}/")
                msgs = [render(it, view, media) for it in items]
                dialog = Dialog(dtype, peer, name, msgs)
                before = w.escapes
                w.write_dialog(dialog)
                key = chat_key(dtype, peer.id)
                ex.chats[key] = chat_facts(dialog, w.escapes - before, only_own, name)
                ex.dialogs[key] = dialog
            w.end_list()
        w.finish()
    return ex


# --------------------------------------------------------------------------------------------------
# Case-wide facts and the entry point
# --------------------------------------------------------------------------------------------------


def _case_facts(case: Case, exports: list[_Export]) -> dict[str, object]:
    ids: dict[str, set[int]] = {}
    accounts: dict[str, dict[str, list[str]]] = {}
    deleted: set[str] = set()
    texts: dict[tuple[str, int], list[str]] = {}
    edited_flag: set[tuple[str, int]] = set()
    dates: list[int] = []
    for ex in exports:
        for key, dialog in ex.dialogs.items():
            ids.setdefault(key, set()).update(m.id for m in dialog.messages)
            for m in dialog.messages:
                dates.append(m.date)
                seen = texts.setdefault((key, m.id), [])
                if m.plain_text not in seen:
                    seen.append(m.plain_text)
                if m.edited:
                    edited_flag.add((key, m.id))
                if not ex.json_chat or m.sender is None or m.sender.kind != "user":
                    continue
                acc = accounts.setdefault(f"user:{m.sender.id}", {"names": [], "usernames": []})
                if not m.sender.name:
                    deleted.add(f"user:{m.sender.id}")
                elif m.sender.name not in acc["names"]:
                    acc["names"].append(m.sender.name)
        for uid, username in ex.usernames.items():
            acc = accounts.setdefault(f"user:{uid}", {"names": [], "usernames": []})
            if username not in acc["usernames"]:
                acc["usernames"].append(username)
    edited = [
        {"chat": key, "id": mid, "texts": t}
        for (key, mid), t in sorted(texts.items())
        if len(t) > 1 or (key, mid) in edited_flag
    ]
    by_name = {ex.folder: ex for ex in exports}
    gkey = chat_key("private_supergroup", GROUP_ID)
    march = by_name["group-2026-03"].dialogs[gkey].messages
    june = by_name["group-2026-06"].dialogs[gkey].messages
    lo, hi = min(m.date for m in june), max(m.date for m in june)
    june_ids = {m.id for m in june}
    gone = sorted(m.id for m in march if m.id not in june_ids and lo <= m.date <= hi)
    return {
        "distinct_message_ids": {k: sorted(v) for k, v in sorted(ids.items())},
        "accounts": dict(sorted(accounts.items())),
        "deleted_account_ids": sorted(deleted),
        "edited_messages": edited,
        "possibly_deleted": {gkey: gone},
        "central_account_id": f"user:{case.central.id}",
        "first_message_utc": iso_utc(min(dates)),
        "last_message_utc": iso_utc(max(dates)),
    }


def _known_facts(case: Case) -> list[dict[str, object]]:
    """Each message carrying one of the demo lists' known files, and what matching must say of it."""
    by_spec = {k.spec: k for k in KNOWN.values()}
    found: list[dict[str, object]] = []
    chats_items = [(chat_key("personal_chat", other.id), items) for other, items in case.private_chats]
    chats_items.append((chat_key("private_supergroup", GROUP_ID), case.group))
    for key, items in chats_items:
        for it in items:
            known = by_spec.get(it.spec) if it.spec is not None else None
            if known is None or it.msg.sender is None:
                continue
            found.append(
                {
                    "label": known.label,
                    "chat": key,
                    "id": it.msg.id,
                    "sender": f"user:{it.msg.sender.id}",
                    "signals": list(known.signals),
                    "suppressed": known.suppressed,
                    "forwarded_from": f"{it.msg.forwarded_from.kind}:{it.msg.forwarded_from.id}"
                    if it.msg.forwarded_from is not None
                    else None,
                }
            )
    return found


def _central_network(case: Case, known: list[dict[str, object]]) -> dict[str, list[str]]:
    """Who exchanged known material with the central account, and how (``analysis.network`` kinds).

    In the story every such exchange is a private chat of the central account, a forward of
    another's item, or a file another member sent to the group while the central account was in
    it (it had posted there before).
    """
    central = f"user:{case.central.id}"
    found: dict[str, set[str]] = {}
    for k in known:
        if k["suppressed"]:
            continue
        sender, chat = str(k["sender"]), str(k["chat"])
        if chat.startswith("user:"):  # the private chat with that user
            if sender == central:
                found.setdefault(chat, set()).add("private: sent to them")
            else:
                found.setdefault(sender, set()).add("private: received from them")
        elif sender != central:
            found.setdefault(sender, set()).add("group: they sent, while a member too")
        origin = k["forwarded_from"]
        if origin is not None and sender == central and origin != central:
            found.setdefault(str(origin), set()).add("forward")
    return {key: sorted(kinds) for key, kinds in sorted(found.items())}


def generate_demo_case(out_dir: Path, seed: int = 7) -> Path:
    """Write the demo exports under ``out_dir`` and return the path of ``ground_truth.json``.

    Deterministic: the same seed gives byte-identical files. Takes a few seconds.
    """
    out_dir = Path(out_dir)
    case = build_case(seed)
    roots = {
        name: out_dir / "exports" / name
        for name in ("group-2026-03", "account-2026-05", "group-2026-06", "dm-html-old")
    }
    for root in roots.values():
        root.mkdir(parents=True, exist_ok=True)
    exports = [
        _write_group_03(case, roots["group-2026-03"]),
        _write_account(case, roots["account-2026-05"]),
        _write_group_06(case, roots["group-2026-06"]),
        _write_dm(case, roots["dm-html-old"]),
    ]
    known = _known_facts(case)
    truth = {
        "schema": "veilleur-demo-ground-truth/1",
        "seed": seed,
        "timezone_note": "Every exporting PC was at UTC+01:00; HTML of dm-html-old carries no offset.",
        "import_order": [ex.folder for ex in exports],
        "exports": {
            ex.folder: {
                "layout": ex.layout,
                "formats": ex.formats,
                "utc_offset": "+01:00",
                "html_titles_have_utc_offset": ex.html_offset,
                "chats": ex.chats,
            }
            for ex in exports
        },
        "case": _case_facts(case, exports),
        "lists": write_demo_lists(out_dir, seed),
        "known_material": known,
        "central_network": _central_network(case, known),
        "identity": write_identity_records(case, out_dir),
    }
    path = out_dir / "ground_truth.json"
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
