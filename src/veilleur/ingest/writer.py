"""Writes a source's record stream into the case store, idempotently and in batches.

The writer is where repeated exports meet: a message already stored (same chat, same id) gets a
new *sighting* (this evidence showed it, at this place), a new *version* if its text or edit time
differ, and is never duplicated. Accounts are keyed by platform id; every name observed for one
is kept with first and last seen and the evidence it came from.

All state needed to continue after a crash is in the database at each commit (see
:meth:`RecordWriter.flush`), so an interrupted import resumes from its last checkpoint.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, update

from veilleur.custody.evidence import register_member
from veilleur.errors import BadInput, UnsafeInput
from veilleur.ingest.prepare import ROW_COLS, PeerTuple, PreparedMessage
from veilleur.model.records import (
    ChatRecord,
    ExporterRecord,
    Notice,
    PeerRef,
    Repair,
)
from veilleur.sources.container import ExportContainer
from veilleur.sources.telegram_common import CASE_MESSAGE_IDS
from veilleur.store.bulk import insert_rows, sync_sequences, update_rows
from veilleur.store.lookups import chunks
from veilleur.store.schema import (
    account_names,
    accounts,
    chat_imports,
    chat_names,
    chats,
    entities,
    evidence,
    exporter_records,
    import_log,
    media,
    message_conflicts,
    message_sightings,
    message_versions,
    messages,
    reaction_actors,
    reactions,
)

MESSAGE_COLS = ("id", "chat_id", "sender_id", "evidence_id", "first_import_id", "last_import_id", *ROW_COLS)
SIGHTING_COLS = ("message_pk", "evidence_id", "import_id", "byte_offset", "page", "content_hash")
ENTITY_COLS = ("message_pk", "idx", "type", "text", "offset", "length", "user_id", "href", "extra")
MEDIA_COLS = (
    "message_pk",
    "idx",
    "role",
    "relpath",
    "present",
    "placeholder",
    "placeholder_text",
    "issue",
    "file_name",
    "file_size",
    "mime_type",
    "media_type",
    "width",
    "height",
    "duration_seconds",
    "spoiler",
    "ttl_seconds",
    "file_evidence_id",
    "import_id",
    "file_import_id",
)
CONFLICT_COLS = (
    "message_pk",
    "import_id",
    "evidence_id",
    "byte_offset",
    "page",
    "field",
    "stored_account_id",
    "found_account_id",
    "found_name",
    "content_hash",
)
REACTION_COLS = ("message_pk", "idx", "type", "emoji", "document_id", "count")
REACTOR_COLS = ("message_pk", "reaction_idx", "account_id", "date_utc")
VERSION_COLS = (
    "message_pk",
    "version",
    "text",
    "edited_utc",
    "content_hash",
    "import_id",
    "evidence_id",
    "byte_offset",
    "page",
    "byte_length",
)


IDENTIFY_SAMPLE = 200
"""Messages of a chat with no id read before deciding which stored chat, if any, it is."""
_MESSAGE_ID = ROW_COLS.index("message_id")
_DETAILS = ROW_COLS.index("details")
MEDIA_CACHE = 10_000
"""Media paths remembered per import, so a file several messages share is hashed once."""


def _peer(t: PeerTuple) -> PeerRef:
    return PeerRef(t[0], t[1], t[2])  # type: ignore[arg-type]


_ID_CHAT = re.compile(r"telegram:(user|channel|chat):(-?\d+)")


def name_only_key(chat_key: str | None, name: str) -> str:
    """The key of an account known only by ``name``, scoped to the chat it was seen in.

    ``telegram:name:channel:1712345678:Théo`` in a chat with an id, ``telegram:name:"Famille":Théo``
    in a chat known by its title alone (quoted, ``\\`` and ``"`` escaped, so that no title and
    name can make the key of another chat's account), ``telegram:name:export:Théo`` outside any
    chat. The prefix is written once: the chat's own key is not repeated inside the account's.
    """
    if chat_key is None:
        scope = "export"
    elif m := _ID_CHAT.fullmatch(chat_key):
        scope = f"{m.group(1)}:{m.group(2)}"
    else:
        title = chat_key.removeprefix("telegram:name:")
        scope = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"telegram:name:{scope}:{name}"


@dataclass
class ChatState:
    chat_id: int
    key: str
    fresh: bool
    """Created by this import: no stored message can collide, so lookups are skipped."""
    coverage: str
    section: str | None
    first_utc: int | None = None
    last_utc: int | None = None
    n: int = 0
    other_senders: bool = False
    twin: bool = False
    """An HTML chat found by its content to be a chat a JSON export already gave: its messages
    seen before are sightings only (the JSON's fields are the richer record), new ones are added."""


@dataclass
class Counters:
    messages: int = 0
    service: int = 0
    unsupported: int = 0
    new: int = 0
    unchanged: int = 0
    new_versions: int = 0
    reconciled: int = 0
    media_present: int = 0
    media_missing: int = 0
    media_unsafe: int = 0
    exporter_records: int = 0
    repairs: int = 0
    notices: int = 0
    sender_conflicts: int = 0
    unreadable_fields: int = 0
    """Fields of messages that could not be read as what they should be (a notice each)."""
    messages_with_unreadable_fields: int = 0
    duplicate_ids: int = 0
    """Messages with the id of an earlier message of their chat in this export, kept apart."""
    case_message_ids: int = 0
    """Messages kept under an id the case made: duplicates, and messages with no usable id."""
    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per chat key, per reason code: media the export wrote a placeholder for (every message of
    the export, stored before or not; a thumbnail skipped with its file is not counted again)."""


class RecordWriter:
    """Turns records into rows for one import. Not thread-safe; one writer per import."""

    def __init__(
        self,
        *,
        import_id: int,
        container: ExportContainer,
        evidence_ids: dict[str, int],
        root_evidence_id: int,
        operator: str,
        reconcile_only: bool = False,
    ) -> None:
        self.import_id = import_id
        self.container = container
        self.evidence_ids = evidence_ids
        self.root_evidence_id = root_evidence_id
        self.operator = operator
        self.exporter_account: int | None = None
        self.reconcile_only = reconcile_only
        self.counts = Counters()
        self.chat: ChatState | None = None
        self.chats: dict[str, ChatState] = {}
        self._accounts: dict[str, int] = {}
        self._by_sender: dict[PeerTuple, int] = {}
        self._next_account: int | None = None
        self._new_accounts: list[tuple[Any, ...]] = []
        self._names: dict[tuple[int, str, str], list[Any]] = {}
        self._media_files: dict[str, tuple[int | None, str | None]] = {}
        self._pending: list[PreparedMessage] = []
        self._log: list[tuple[Any, ...]] = []
        self._conflicts: list[tuple[Any, ...]] = []
        self._undecided: ChatRecord | None = None
        self._exporter_rows: list[dict[str, Any]] = []
        self._next_pk: int | None = None
        self._deleted_accounts: set[int] = set()
        self._top_ids: dict[int, int | None] = {}
        """Per chat: the highest message id this import has shown of it (None: none yet)."""
        self._case_ids: dict[int, int] = {}
        """Per chat: the next id the case makes for a message without a usable one of its own."""

    # -- identities ---------------------------------------------------------------------------
    def _account_key(self, peer: PeerRef) -> tuple[str, str, str | None]:
        """(key, identity, the key an earlier version of Veilleur gave the same account or None)."""
        if peer.peer_id is not None and peer.kind is not None:
            return peer.key, "platform_id", None
        # A name alone identifies nobody across chats: scope it to the chat it was seen in.
        chat = self.chat.key if self.chat else None
        legacy = f"telegram:name:{chat or 'export'}:{peer.name or ''}"
        return name_only_key(chat, peer.name or ""), "name_only", legacy

    def account_id(self, conn: Connection, peer: PeerRef) -> int:
        """The case's id for ``peer``, creating the account (written at the next flush) if new.

        Every known account key is loaded once: a few hundred thousand keys cost far less than
        one query per message.
        """
        key, identity, legacy = self._account_key(peer)
        found = self._accounts.get(key)
        if found is not None:
            return found
        if self._next_account is None:
            self._accounts.update((k, i) for k, i in conn.execute(select(accounts.c.key, accounts.c.id)))
            self._next_account = (conn.execute(select(func.max(accounts.c.id))).scalar() or 0) + 1
            found = self._accounts.get(key)
            if found is not None:
                return found
        if legacy is not None and (found := self._accounts.get(legacy)) is not None:
            # A case imported before name-only keys lost their doubled prefix keeps its keys (notes,
            # links, the audit log and dossiers already cite them): a later import finds the same
            # account under its old key instead of making a second one.
            self._accounts[key] = found
            return found
        found = self._next_account
        self._next_account += 1
        self._new_accounts.append((found, key, "telegram", peer.kind, peer.peer_id, identity, False))
        self._accounts[key] = found
        return found

    def _flush_accounts(self, conn: Connection) -> None:
        if self._new_accounts:
            insert_rows(
                conn,
                accounts,
                ("id", "key", "platform", "kind", "peer_id", "identity", "deleted_seen"),
                self._new_accounts,
            )
            self._new_accounts = []
            sync_sequences(conn, accounts)

    def observe_name(
        self,
        account: int,
        kind: str,
        value: str | None,
        when: int | None,
        evidence_id: int,
        offset: int | None,
    ) -> None:
        if not value:
            return
        k = (account, kind, value)
        obs = self._names.get(k)
        if obs is None:
            self._names[k] = [when, when, 1, offset, evidence_id]
            return
        obs[2] += 1
        if when is not None:
            if obs[0] is None or when < obs[0]:
                obs[0] = when
            if obs[1] is None or when > obs[1]:
                obs[1] = when

    # -- records ------------------------------------------------------------------------------
    def chat_record(self, conn: Connection, rec: ChatRecord) -> None:
        self.flush_messages(conn)
        if rec.ref.peer_id is None and not self.reconcile_only:
            # A chat with no id (an HTML export) is known by its content, not its title: which
            # chat it is is decided once its first messages are in (:meth:`_identify`).
            self._undecided = rec
            self.chat = None
            return
        key = rec.ref.key if rec.ref.peer_id is not None else f"telegram:name:{rec.name or ''}"
        self._open_chat(conn, rec, key)

    def _identify(self, conn: Connection) -> None:
        """Decide which chat the pending HTML chat is, from its first messages: the stored chat
        whose messages of the same ids have the same text (at least three of a sample, or all of a
        shorter one, and most of the ids both hold) — a JSON export's chat with an id, or the
        same HTML group exported before. With no such chat it is a chat of its own: a stored chat
        of the same title that shares none of its messages is another group, and the new one gets
        a key of its own."""
        rec, self._undecided = self._undecided, None
        assert rec is not None
        title_key = f"telegram:name:{rec.name or ''}"
        ev = self.evidence_ids.get(rec.position.file, self.root_evidence_id)
        resumed = conn.execute(
            select(chats.c.key, chats.c.peer_id)
            .join(chat_names, chat_names.c.chat_id == chats.c.id)
            .where(
                chat_names.c.import_id == self.import_id,
                chat_names.c.evidence_id == ev,
                chat_names.c.name == (rec.name or ""),
            )
        ).first()
        if resumed is not None:  # an interrupted run of this import decided already
            self._open_chat(conn, rec, resumed.key, twin=resumed.peer_id is not None)
            return
        sample = {
            m.message_id: (m.kind, " ".join(m.text.split()))
            for m in self._pending[:IDENTIFY_SAMPLE]
            if m.text.strip()
        }
        found: dict[int, int] = {}
        overlap: dict[int, int] = {}
        if sample:
            q = select(messages.c.chat_id, messages.c.message_id, messages.c.kind, messages.c.text).where(
                messages.c.message_id.in_(list(sample))
            )
            for r in conn.execute(q):
                kind, text = sample[r.message_id]
                if kind != r.kind or not r.text.strip():  # a JSON service message has no text to compare
                    continue
                overlap[r.chat_id] = overlap.get(r.chat_id, 0) + 1
                if text == " ".join(r.text.split()):
                    found[r.chat_id] = found.get(r.chat_id, 0) + 1
        # Of the sampled ids a stored chat also holds, most must read the same: a later export
        # adds messages and shows edits, while another chat's message 12 is another text.
        best = max(
            (kv for kv in found.items() if kv[1] >= min(3, len(sample)) and 2 * kv[1] > overlap[kv[0]]),
            key=lambda kv: (kv[1], -kv[0]),
            default=None,
        )
        if best is not None:
            row = conn.execute(select(chats.c.key, chats.c.peer_id).where(chats.c.id == best[0])).one()
            twin = row.peer_id is not None
            if row.key != title_key:
                self._chat_notice(
                    rec,
                    "chat_matched_by_content",
                    f"HTML chat {rec.name!r} has no id; {best[1]} of {len(sample)} sampled messages are "
                    f"those of {row.key}: read as that chat",
                )
            self._open_chat(conn, rec, row.key, twin=twin)
            return
        key, n = title_key, 1
        while conn.execute(select(chats.c.id).where(chats.c.key == key)).first() is not None:
            n += 1
            key = f"{title_key}#{n}"
        if n > 1:
            self._chat_notice(
                rec,
                "same_title_other_chat",
                f"HTML chat {rec.name!r} has no id and shares no messages with the stored chat of that "
                f"title: kept apart as {key}",
            )
        self._open_chat(conn, rec, key)

    def _chat_notice(self, rec: ChatRecord, code: str, text: str) -> None:
        ev = self.evidence_ids.get(rec.position.file, self.root_evidence_id)
        self.counts.notices += 1
        self._log.append((self.import_id, ev, rec.position.byte_offset, "notice", code, text, None))

    def _open_chat(self, conn: Connection, rec: ChatRecord, key: str, *, twin: bool = False) -> None:
        row = conn.execute(select(chats.c.id).where(chats.c.key == key)).first()
        if row is None:
            chat_id = int(
                conn.execute(
                    insert(chats).values(
                        key=key,
                        platform="telegram",
                        kind=rec.ref.kind,
                        peer_id=rec.ref.peer_id,
                        type=rec.type,
                        title=rec.name,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            fresh = True
        else:
            chat_id = int(row.id)
            fresh = False
            if rec.name:
                conn.execute(update(chats).where(chats.c.id == chat_id).values(title=rec.name))
        prior = conn.execute(
            select(chat_imports).where(
                chat_imports.c.chat_id == chat_id, chat_imports.c.import_id == self.import_id
            )
        ).first()
        if prior is None:
            conn.execute(
                insert(chat_imports).values(
                    chat_id=chat_id,
                    import_id=self.import_id,
                    coverage=rec.coverage,
                    section=rec.section,
                    n_messages=0,
                    complete=False,
                )
            )
        elif prior.n_messages:
            fresh = False  # resuming: this chat already holds rows of this import
        if rec.name:
            ev = self.evidence_ids.get(rec.position.file, self.root_evidence_id)
            insert_rows(
                conn,
                chat_names,
                ("chat_id", "name", "import_id", "evidence_id", "byte_offset"),
                [(chat_id, rec.name, self.import_id, ev, rec.position.byte_offset)],
                ignore_conflicts=True,
            )
        state = self.chats.get(key)
        if state is None:
            state = ChatState(chat_id, key, fresh and not self.reconcile_only, rec.coverage, rec.section)
            if prior is not None:  # resuming: continue the stored tallies
                state.first_utc, state.last_utc, state.n = prior.first_utc, prior.last_utc, prior.n_messages
                state.other_senders = prior.coverage != rec.coverage
            self.chats[key] = state
        elif self.reconcile_only:
            state.fresh = False  # the JSON pass of this import stored its messages: look them up
        state.twin = twin
        self.chat = state
        self._by_sender.clear()  # name-only senders are scoped to their chat

    def exporter_record(self, conn: Connection, rec: ExporterRecord) -> None:
        ev = self.evidence_ids.get(rec.position.file, self.root_evidence_id)
        account = self.account_id(conn, rec.peer) if rec.peer and rec.peer.peer_id is not None else None
        if rec.section == "personal_information" and account is not None:
            self.exporter_account = account
        if account is not None:
            kind = {
                "contacts": "contact_name",
                "personal_information": "profile_name",
                "username": "username",
                "frequent_contacts": "frequent_contact_name",
            }.get(rec.section)
            if kind:
                self.observe_name(account, kind, rec.name, rec.date_utc, ev, rec.position.byte_offset)
        self._exporter_rows.append(
            {
                "import_id": self.import_id,
                "evidence_id": ev,
                "exporter_account_id": self.exporter_account,
                "section": rec.section,
                "idx": rec.position.index or 0,
                "account_id": account,
                "phone": rec.phone,
                "ip": rec.ip,
                "name": rec.name,
                "date_utc": rec.date_utc,
                "data": orjson.dumps(rec.data).decode(),
                "byte_offset": rec.position.byte_offset,
            }
        )
        self.counts.exporter_records += 1

    def log(self, rec: Repair | Notice) -> None:
        ev: int | None
        if isinstance(rec, Repair):
            self.counts.repairs += 1
            ev = self.evidence_ids.get(rec.file, self.root_evidence_id)
            self._log.append((self.import_id, ev, rec.byte_offset, "repair", rec.kind, rec.detail, None))
        else:
            self.counts.notices += 1
            ev = self.evidence_ids.get(rec.file, self.root_evidence_id) if rec.file else None
            self._log.append(
                (
                    self.import_id,
                    ev,
                    rec.byte_offset,
                    "notice",
                    rec.code,
                    rec.message,
                    rec.chat.key if rec.chat else None,
                )
            )

    def message(self, msg: PreparedMessage) -> None:
        self._pending.append(msg)

    # -- media --------------------------------------------------------------------------------
    def _media_file(
        self, conn: Connection, path: str | None, msg: PreparedMessage
    ) -> tuple[int | None, str | None]:
        """Register a media file the message points to; (evidence id, issue) — never opened to view."""
        if path is None:
            return None, None
        if msg.page:  # an HTML href is relative to the page that links it
            path = posixpath.normpath(posixpath.join(posixpath.dirname(msg.page), path))
        hit = self._media_files.get(path)
        if hit is not None:
            return hit
        try:
            ev = register_member(
                conn,
                self.container,
                path,
                kind="media",
                parent_id=self.root_evidence_id,
                operator=self.operator,
            )
            result: tuple[int | None, str | None] = (ev.id, None)
        except UnsafeInput as e:
            result = (None, "unsafe_path")
            self._notice_on_message(msg, "unsafe_media_path", f"media path refused: {e.message}")
        except BadInput as e:
            # One damaged file (a corrupt zip member) must not cost the rest of the export.
            result = (None, "unreadable")
            self._notice_on_message(msg, "unreadable_media", f"media file unreadable: {e}")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            result = (None, "missing_file")
        except OSError as e:  # there, but the system will not let it be read (permissions, I/O)
            result = (None, "unreadable")
            self._notice_on_message(msg, "unreadable_media", f"media file unreadable: {path!r}: {e.strerror}")
        if len(self._media_files) >= MEDIA_CACHE:
            self._media_files.clear()  # bounded memory: a file seen again is only re-hashed
        self._media_files[path] = result
        return result

    def _notice_on_message(self, msg: PreparedMessage, code: str, text: str) -> None:
        """A notice about a message that starts by naming it by its id."""
        self._message_notice(msg, code, f"message {msg.message_id}: {text}")

    # -- flushing -----------------------------------------------------------------------------
    def _allocate(self, conn: Connection, n: int) -> int:
        if self._next_pk is None:
            self._next_pk = (conn.execute(select(func.max(messages.c.id))).scalar() or 0) + 1
        first = self._next_pk
        self._next_pk += n
        return first

    def flush_messages(self, conn: Connection) -> None:
        """Write the pending messages of the current chat."""
        if self._undecided is not None:
            self._identify(conn)
        batch, self._pending = self._pending, []
        if not batch or self.chat is None:
            return
        chat = self.chat
        batch = self._settle_ids(conn, chat, batch)
        existing: dict[int, Any] = {}
        if not chat.fresh:
            ids = [m.message_id for m in batch if m.message_id < CASE_MESSAGE_IDS] or [0]  # made: new
            rows = conn.execute(
                select(
                    messages.c.message_id,
                    messages.c.id,
                    messages.c.content_hash,
                    messages.c.n_versions,
                    messages.c.edited_utc,
                    messages.c.sender_id,
                ).where(messages.c.chat_id == chat.chat_id, messages.c.message_id.between(min(ids), max(ids)))
            ).all()
            wanted = set(ids)
            existing = {r.message_id: r for r in rows if r.message_id in wanted}
        new_rows: list[tuple[Any, ...]] = []
        seen_again: list[tuple[Any, ...]] = []
        ent_rows: list[tuple[Any, ...]] = []
        media_rows: list[tuple[Any, ...]] = []
        react_rows: list[tuple[Any, ...]] = []
        reactor_rows: list[tuple[Any, ...]] = []
        shown_ids: list[int] = []
        n_new = sum(1 for m in batch if m.message_id not in existing)
        pk = self._allocate(conn, n_new) if n_new else 0
        import_id = self.import_id
        counts = self.counts
        reconcile = self.reconcile_only or chat.twin
        for msg in batch:
            ev = self.evidence_ids.get(msg.file, self.root_evidence_id)
            counts.messages += 1
            if msg.kind == "service":
                counts.service += 1
            elif msg.kind == "unsupported":
                counts.unsupported += 1
            old = existing.get(msg.message_id)
            if old is None or not reconcile:  # HTML re-showing this export's JSON adds nothing
                self._tally(chat, msg)
            if old is not None:
                if reconcile:
                    seen_again.append((old.id, ev, import_id, msg.byte_offset, msg.page, msg.content_hash))
                    counts.reconciled += 1
                    continue
                sender = self._sender(conn, msg, ev, chat)
                if self._sender_conflict(conn, old, msg, sender, ev):
                    shown_ids.append(old.id)  # the id is there: not "possibly deleted" from this export
                    continue
                seen_again.append((old.id, ev, import_id, msg.byte_offset, msg.page, msg.content_hash))
                if old.content_hash == msg.content_hash:
                    counts.unchanged += 1
                else:
                    self._new_version(conn, old, msg, ev)
                self._later_media(conn, old.id, msg)
                continue
            sender_id = self._sender(conn, msg, ev, chat)
            mpk = pk
            pk += 1
            counts.new += 1
            new_rows.append((mpk, chat.chat_id, sender_id, ev, import_id, import_id, *msg.row))
            for i, e in enumerate(msg.entities):
                ent_rows.append((mpk, i, *e))
                if e[4] is not None and e[0] == "mention_name":
                    acc = self.account_id(conn, PeerRef("user", e[4]))
                    self.observe_name(acc, "mention_text", e[1], msg.date_utc, ev, msg.byte_offset)
            for i, m in enumerate(msg.media):
                file_ev, issue = self._media_file(conn, m[1], msg)
                self._count_media(m, file_ev, issue)
                media_rows.append(
                    (
                        mpk,
                        i,
                        m[0],
                        m[1],
                        file_ev is not None,
                        m[2],
                        m[3],
                        issue,
                        *m[4:],
                        file_ev,
                        import_id,
                        import_id if file_ev is not None else None,
                    )
                )
            for i, r in enumerate(msg.reactions):
                react_rows.append((mpk, i, *r[:4]))
                seen: set[int] = set()
                for kind, peer_id, name, when in r[4]:
                    if peer_id is None:
                        continue
                    acc = self.account_id(conn, PeerRef(kind, peer_id, name))
                    if acc in seen:
                        continue
                    seen.add(acc)
                    reactor_rows.append((mpk, i, acc, when))
                    self.observe_name(acc, "display_name", name, when, ev, msg.byte_offset)
        self._flush_accounts(conn)
        insert_rows(conn, messages, MESSAGE_COLS, new_rows)
        insert_rows(conn, message_sightings, SIGHTING_COLS, seen_again, ignore_conflicts=True)
        insert_rows(conn, entities, ENTITY_COLS, ent_rows)
        insert_rows(conn, media, MEDIA_COLS, media_rows)
        insert_rows(conn, reactions, REACTION_COLS, react_rows)
        insert_rows(conn, reaction_actors, REACTOR_COLS, reactor_rows, ignore_conflicts=True)
        if self._conflicts:
            insert_rows(conn, message_conflicts, CONFLICT_COLS, self._conflicts)
            self._conflicts = []
        if (seen_again or shown_ids) and not reconcile:
            conn.execute(
                update(messages)
                .where(messages.c.id.in_([s[0] for s in seen_again] + shown_ids))
                .values(last_import_id=import_id)
            )

    def _settle_ids(
        self, conn: Connection, chat: ChatState, batch: list[PreparedMessage]
    ) -> list[PreparedMessage]:
        """Note the fields each message's source could not read, and give an id the case makes to
        each message without a usable id of its own, or with the id of an earlier message of its
        chat in this export. Such a duplicate is kept apart, a row of its own: never merged into
        the first (its text may differ, and which one is genuine is the analyst's question),
        never dropped. An HTML page re-showing this export's JSON is not a duplicate."""
        checking = not self.reconcile_only
        seen = self._seen_ids(conn, chat, batch) if checking else set()
        out = []
        for msg in batch:
            reason = msg.case_id_reason
            if reason is None and checking:
                if msg.message_id in seen:
                    reason = "duplicate_id"
                else:
                    seen.add(msg.message_id)
            if reason is not None:
                msg = self._with_case_id(conn, chat, msg, reason)
            if msg.problems:
                self.counts.messages_with_unreadable_fields += 1
                for key, problem in msg.problems:
                    self.counts.unreadable_fields += 1
                    self._message_notice(
                        msg,
                        "unreadable_field",
                        f"message {msg.message_id}: '{key}' cannot be read ({problem}); "
                        "its JSON is kept in details.unreadable_fields",
                    )
            out.append(msg)
        return out

    def _seen_ids(self, conn: Connection, chat: ChatState, batch: list[PreparedMessage]) -> set[int]:
        """The ids of ``batch`` that earlier batches of this import showed in this chat.

        Exports list a chat's messages by ascending id, so only an id at or below the highest
        shown so far can repeat one: most batches need no query at all."""
        if chat.chat_id not in self._top_ids:
            # First batch of this chat in this run: a resumed import shows it from its checkpoint.
            self._top_ids[chat.chat_id] = (
                conn.execute(
                    select(func.max(messages.c.message_id)).where(
                        messages.c.chat_id == chat.chat_id,
                        messages.c.last_import_id == self.import_id,
                        messages.c.message_id < CASE_MESSAGE_IDS,
                    )
                ).scalar()
                if chat.n
                else None
            )
        top = self._top_ids[chat.chat_id]
        ids = [m.message_id for m in batch if m.case_id_reason is None]
        if ids:
            self._top_ids[chat.chat_id] = max(ids) if top is None else max(top, *ids)
        if top is None:
            return set()
        found: set[int] = set()
        for part in chunks(i for i in ids if i <= top):
            q = select(messages.c.message_id).where(
                messages.c.chat_id == chat.chat_id, messages.c.message_id.in_(part)
            )
            if not chat.fresh:  # rows of earlier imports are shown again, not repeated
                q = q.where(messages.c.last_import_id == self.import_id)
            found.update(conn.execute(q).scalars())
        return found

    def _with_case_id(
        self, conn: Connection, chat: ChatState, msg: PreparedMessage, reason: str
    ) -> PreparedMessage:
        """``msg`` under the next id the case makes in ``chat`` (:data:`CASE_MESSAGE_IDS` up), the
        reason in ``details.case_message_id``, and a notice saying which id it got."""
        cid = self._case_ids.get(chat.chat_id)
        if cid is None:
            top = conn.execute(
                select(func.max(messages.c.message_id)).where(messages.c.chat_id == chat.chat_id)
            ).scalar()
            cid = top + 1 if top is not None and top >= CASE_MESSAGE_IDS else CASE_MESSAGE_IDS
        self._case_ids[chat.chat_id] = cid + 1
        row = list(msg.row)
        details = orjson.loads(row[_DETAILS]) if row[_DETAILS] else {}
        made: dict[str, Any] = {"reason": reason}
        if reason == "duplicate_id":
            made["exported_id"] = msg.message_id
        details["case_message_id"] = made
        row[_MESSAGE_ID], row[_DETAILS] = cid, orjson.dumps(details).decode()
        self.counts.case_message_ids += 1
        if reason == "duplicate_id":
            self.counts.duplicate_ids += 1
            code = "duplicate_message_id"
            text = (
                f"message {msg.message_id}: a second message with this id in this chat, kept apart as "
                f"message {cid}, an id the case made (details.case_message_id); neither merged into "
                "the first nor dropped"
            )
        else:
            code = "unreadable_message_id"
            field_ = "message" if reason == "not_an_object" else "id"
            why = details.get("unreadable_fields", {}).get(field_, {}).get("problem")
            what = {
                "missing_id": "a message without an id",
                "unreadable_id": f"a message whose id is {why}",
                "not_an_object": f"a message that is {why}",
            }[reason]
            text = (
                f"{what}: kept as message {cid}, an id the case made (details.case_message_id"
                + ("; the exported value is in details.unreadable_fields)" if why else ")")
            )
        self._message_notice(msg, code, text)
        return msg._replace(message_id=cid, row=tuple(row))

    def _message_notice(self, msg: PreparedMessage, code: str, text: str) -> None:
        """A notice about a message, at its place: ``text`` names it by id, never by its text."""
        self.counts.notices += 1
        ev = self.evidence_ids.get(msg.file, self.root_evidence_id)
        chat = self.chat.key if self.chat else None
        self._log.append((self.import_id, ev, msg.byte_offset, "notice", code, text, chat))

    def _tally(self, chat: ChatState, msg: PreparedMessage) -> None:
        """What this export holds for the chat: its real date range, count and placeholders."""
        d = msg.date_utc
        if d is not None:
            if chat.first_utc is None or d < chat.first_utc:
                chat.first_utc = d
            if chat.last_utc is None or d > chat.last_utc:
                chat.last_utc = d
        chat.n += 1
        for m in msg.media:
            if m[2] and m[0] != "thumbnail":  # a skipped file's thumbnail goes with it
                per_chat = self.counts.placeholders.setdefault(chat.key, {})
                per_chat[m[2]] = per_chat.get(m[2], 0) + 1

    def _count_media(self, m: tuple[Any, ...], file_ev: int | None, issue: str | None) -> None:
        if m[2]:
            return  # a placeholder: counted per export in _tally
        if file_ev is not None:
            self.counts.media_present += 1
        elif issue == "unsafe_path":
            self.counts.media_unsafe += 1
        else:
            self.counts.media_missing += 1

    def _later_media(self, conn: Connection, message_pk: int, msg: PreparedMessage) -> None:
        """The files of a message seen again. Each is registered as evidence, as the first
        export's were: a later export's copy is evidence of its own, and the report counts it. A
        file an earlier export left out is linked to the message (by this import: its seal covers
        the link); a file that differs from the one already linked is a notice, the link kept."""
        if not any(m[1] for m in msg.media):
            return
        stored = {
            r.idx: r
            for r in conn.execute(
                select(media.c.idx, media.c.role, media.c.file_evidence_id, evidence.c.sha256)
                .outerjoin(evidence, evidence.c.id == media.c.file_evidence_id)
                .where(media.c.message_pk == message_pk)
            )
        }
        for i, m in enumerate(msg.media):
            row = stored.get(i)
            if m[1] is None:
                continue
            file_ev, issue = self._media_file(conn, m[1], msg)
            self._count_media(m, file_ev, issue)
            if file_ev is None:
                continue
            if row is not None and row.file_evidence_id is not None:
                if file_ev != row.file_evidence_id:
                    found = conn.execute(select(evidence.c.sha256).where(evidence.c.id == file_ev)).scalar()
                    if found != row.sha256:
                        self._notice_on_message(
                            msg,
                            "media_differs",
                            f"its file {m[1]!r} (evidence #{file_ev}) differs from the one an earlier "
                            f"export gave (evidence #{row.file_evidence_id}); both are registered",
                        )
                continue
            if row is None:
                insert_rows(
                    conn,
                    media,
                    MEDIA_COLS,
                    [
                        (
                            message_pk,
                            i,
                            m[0],
                            m[1],
                            True,
                            m[2],
                            m[3],
                            None,
                            *m[4:],
                            file_ev,
                            self.import_id,
                            self.import_id,
                        )
                    ],
                )
            elif row.role == m[0]:
                conn.execute(
                    update(media)
                    .where(media.c.message_pk == message_pk, media.c.idx == i)
                    .values(
                        relpath=m[1],
                        present=True,
                        issue=None,
                        file_evidence_id=file_ev,
                        file_import_id=self.import_id,
                    )
                )

    def _sender(self, conn: Connection, msg: PreparedMessage, ev: int, chat: ChatState) -> int | None:
        if msg.sender is None:
            return None
        acc = self._by_sender.get(msg.sender)
        if acc is None:
            acc = self._by_sender[msg.sender] = self.account_id(conn, _peer(msg.sender))
        if msg.sender_deleted:
            self._deleted_accounts.add(acc)
        else:
            self.observe_name(acc, "display_name", msg.sender[2], msg.date_utc, ev, msg.byte_offset)
        if self.exporter_account is not None and acc != self.exporter_account:
            chat.other_senders = True
        return acc

    def _sender_conflict(
        self, conn: Connection, old: Any, msg: PreparedMessage, sender: int | None, ev: int
    ) -> bool:
        """Whether this sighting names another sender than the stored message: then it is a
        conflict, recorded with the record that shows it, and never a version of the stored
        message (a message credited to the wrong person is worse than one lost). Only accounts
        known by their platform id are compared: a name alone (an HTML export) identifies no one."""
        if sender is None or old.sender_id is None or sender == old.sender_id:
            return False
        keys = self._keys_of(conn, {sender, int(old.sender_id)})
        if any(k is None or k.startswith("telegram:name:") for k in keys.values()):
            return False
        self.counts.sender_conflicts += 1
        self._conflicts.append(
            (
                old.id,
                self.import_id,
                ev,
                msg.byte_offset,
                msg.page,
                "sender",
                old.sender_id,
                sender,
                msg.sender[2] if msg.sender else None,
                msg.content_hash,
            )
        )
        self._notice_on_message(
            msg,
            "sender_conflict",
            f"this export names {keys[sender]} as its sender, the stored message "
            f"{keys[int(old.sender_id)]}; kept as a conflict, the stored sender unchanged",
        )
        return True

    def _keys_of(self, conn: Connection, ids: set[int]) -> dict[int, str | None]:
        """Account keys by id, for the rare paths that need them (accounts not yet flushed too)."""
        found: dict[int, str | None] = {i: None for i in ids}
        for key, i in self._accounts.items():
            if i in found and found[i] is None:
                found[i] = key
        missing = [i for i, k in found.items() if k is None]
        if missing:
            q = select(accounts.c.id, accounts.c.key).where(accounts.c.id.in_(missing))
            for i, key in conn.execute(q):
                found[int(i)] = key
        return found

    def _new_version(self, conn: Connection, old: Any, msg: PreparedMessage, ev: int) -> None:
        known = (
            conn.execute(
                select(message_versions.c.content_hash).where(message_versions.c.message_pk == old.id)
            )
            .scalars()
            .all()
        )
        if msg.content_hash in known:
            self.counts.unchanged += 1
            return
        self.counts.new_versions += 1
        n = old.n_versions
        if not known:
            # The first version lives in the message row; copy it before it may be replaced.
            first = conn.execute(select(messages).where(messages.c.id == old.id)).one()
            insert_rows(
                conn,
                message_versions,
                VERSION_COLS,
                [
                    (
                        old.id,
                        1,
                        first.text,
                        first.edited_utc,
                        first.content_hash,
                        first.first_import_id,
                        first.evidence_id,
                        first.byte_offset,
                        first.page,
                        first.byte_length,
                    )
                ],
            )
        n += 1
        insert_rows(
            conn,
            message_versions,
            VERSION_COLS,
            [
                (
                    old.id,
                    n,
                    msg.text,
                    msg.edited_utc,
                    msg.content_hash,
                    self.import_id,
                    ev,
                    msg.byte_offset,
                    msg.page,
                    msg.byte_length,
                )
            ],
        )
        values: dict[str, Any] = {"n_versions": n}
        if (msg.edited_utc or 0) >= (old.edited_utc or 0):
            # The message row shows the latest version (by edit time); all are in message_versions.
            values.update(
                text=msg.text,
                edited_utc=msg.edited_utc,
                content_hash=msg.content_hash,
                byte_length=msg.byte_length,
                evidence_id=ev,
                byte_offset=msg.byte_offset,
                page=msg.page,
            )
        conn.execute(update(messages).where(messages.c.id == old.id).values(**values))

    def flush(self, conn: Connection) -> None:
        """Write everything pending; after this the database alone can resume the import."""
        self.flush_messages(conn)
        self._flush_accounts(conn)
        if self._log:
            insert_rows(
                conn,
                import_log,
                ("import_id", "evidence_id", "byte_offset", "kind", "code", "message", "chat_key"),
                self._log,
            )
            self._log = []
        if self._exporter_rows:
            cols = tuple(self._exporter_rows[0])
            insert_rows(
                conn,
                exporter_records,
                cols,
                [tuple(r[c] for c in cols) for r in self._exporter_rows],
                ignore_conflicts=True,
            )
            self._exporter_rows = []
        self._flush_names(conn)
        if self._deleted_accounts:
            conn.execute(
                update(accounts).where(accounts.c.id.in_(self._deleted_accounts)).values(deleted_seen=True)
            )
            self._deleted_accounts = set()
        for st in self.chats.values():
            coverage = st.coverage
            if coverage == "own_messages_only" and st.other_senders:
                coverage = "all"  # the exporter unticked "only my messages" for this chat
            conn.execute(
                update(chat_imports)
                .where(chat_imports.c.chat_id == st.chat_id, chat_imports.c.import_id == self.import_id)
                .values(first_utc=st.first_utc, last_utc=st.last_utc, n_messages=st.n, coverage=coverage)
            )

    def _flush_names(self, conn: Connection) -> None:
        if not self._names:
            return
        keys = list(self._names)
        stored = {
            (r.account_id, r.name_kind, r.value): r
            for r in conn.execute(
                select(account_names).where(
                    account_names.c.import_id == self.import_id,
                    account_names.c.account_id.in_({k[0] for k in keys}),
                )
            )
        }
        fresh = []
        changed = []
        for k in keys:
            first, last, n, offset, ev = self._names[k]
            row = stored.get(k)
            if row is None:
                fresh.append((k[0], k[1], k[2], self.import_id, ev, first, last, n, offset))
                continue
            firsts = [x for x in (first, row.first_seen_utc) if x is not None]
            lasts = [x for x in (last, row.last_seen_utc) if x is not None]
            changed.append(
                (
                    min(firsts, default=None),
                    max(lasts, default=None),
                    row.n_seen + n,
                    k[0],
                    k[1],
                    k[2],
                    self.import_id,
                )
            )
        update_rows(
            conn,
            account_names,
            ("first_seen_utc", "last_seen_utc", "n_seen"),
            ("account_id", "name_kind", "value", "import_id"),
            changed,
        )
        insert_rows(
            conn,
            account_names,
            (
                "account_id",
                "name_kind",
                "value",
                "import_id",
                "evidence_id",
                "first_seen_utc",
                "last_seen_utc",
                "n_seen",
                "first_byte_offset",
            ),
            fresh,
        )
        self._names = {}
