"""The case store's tables, for SQLite and PostgreSQL alike (SQLAlchemy Core).

Three families of tables:

* **custody**: ``evidence`` (every file registered, hashed, never modified), ``custody_events``,
  ``imports`` (one row per import run, with its checkpoint and report) and ``import_log``
  (every repair and warning, with the byte offset it concerns);
* **case records**: ``chats``, ``accounts`` and the names observed for them, ``messages`` with
  their ``message_versions``, ``message_sightings`` (later evidence that showed a message, where),
  ``entities``, ``media``, ``reactions``, ``exporter_records`` (contacts, sessions…);
  a record's exact bytes are found in its evidence file at ``byte_offset`` for ``byte_length``;
* **case metadata**: ``case_meta``;
* **audit**: ``audit_log`` (every analytic action, hash-chained) and ``audit_head`` (its last
  entry), written only through :mod:`veilleur.custody.audit`.

Every case record points to an evidence row and a position in it. Times of events in the data
are integer epoch seconds UTC (``*_utc``) with a ``time_basis`` saying how they were obtained;
times of actions by Veilleur are ISO 8601 UTC strings.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

case_meta = Table(
    "case_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("original_path", Text, nullable=False),
    Column("relpath", Text),
    Column("kind", String(16), nullable=False),  # export | file | media
    Column("parent_id", Integer, ForeignKey("evidence.id")),
    Column("registered_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("mtime", String(32)),
    UniqueConstraint("sha256", "original_path", name="uq_evidence_sha256_path"),
)
Index("ix_evidence_parent", evidence.c.parent_id)

custody_events = Table(
    "custody_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("event", String(32), nullable=False),  # registered | verified | changed | missing
    Column("at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("detail", Text),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("source_path", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("layout", String(16)),
    Column("status", String(16), nullable=False),  # running | complete | failed
    Column("operator", String(128), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("options", Text, nullable=False),
    Column("checkpoint_file", Text),
    Column("checkpoint_offset", BigInteger),
    Column("checkpoint_chat", Text),
    Column("report", Text),
    Column("error", Text),
)

import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),
    Column("byte_offset", BigInteger),
    Column("kind", String(16), nullable=False),  # repair | notice
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("chat_key", Text),
)
Index("ix_import_log_import", import_log.c.import_id)

chats = Table(
    "chats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("kind", String(16)),
    Column("peer_id", BigInteger),
    Column("type", String(32), nullable=False),
    Column("title", Text),
)

chat_names = Table(
    "chat_names",
    metadata,
    Column("chat_id", Integer, ForeignKey("chats.id"), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),
    Column("byte_offset", BigInteger),
)

chat_imports = Table(
    "chat_imports",
    metadata,
    Column("chat_id", Integer, ForeignKey("chats.id"), primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), primary_key=True),
    Column("coverage", String(24), nullable=False),  # all | own_messages_only
    Column("section", String(32)),
    Column("first_utc", BigInteger),
    Column("last_utc", BigInteger),
    Column("n_messages", Integer, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("kind", String(16)),
    Column("peer_id", BigInteger),
    Column("identity", String(16), nullable=False),  # platform_id | name_only
    Column("deleted_seen", Boolean, nullable=False, default=False),
)

account_names = Table(
    "account_names",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("name_kind", String(24), primary_key=True),  # display_name | username | contact_name | ...
    Column("value", Text, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),
    Column("first_seen_utc", BigInteger),
    Column("last_seen_utc", BigInteger),
    Column("n_seen", Integer, nullable=False),
    Column("first_byte_offset", BigInteger),
)

messages = Table(
    "messages",
    metadata,
    # INTEGER on SQLite makes the id the rowid itself (no second B-tree to maintain on insert).
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("chat_id", Integer, ForeignKey("chats.id"), nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sender_id", Integer, ForeignKey("accounts.id")),
    Column("sender_name", Text),
    Column("date_utc", BigInteger),
    Column("time_basis", String(24)),
    Column("date_local", String(40)),
    Column("edited_utc", BigInteger),
    Column("text", Text, nullable=False),
    Column("reply_to_message_id", BigInteger),
    Column("reply_to_peer", String(200)),
    Column("forwarded_from", Text),
    Column("saved_from", Text),
    Column("via_bot", Text),
    Column("author", Text),
    Column("action", String(48)),
    Column("details", Text),
    Column("migrated", Boolean, nullable=False),
    Column("possibly_deleted", Boolean, nullable=False, default=False),
    Column("deletion_noticed_import_id", Integer, ForeignKey("imports.id")),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("byte_offset", BigInteger),
    Column("page", Text),
    Column("content_hash", String(32), nullable=False),
    Column("first_import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("last_import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("n_versions", Integer, nullable=False, default=1),
    # The record's exact bytes are evidence[byte_offset : byte_offset + byte_length]; evidence is
    # never modified and re-verifiable, so the store keeps the pointer, not a second copy.
    Column("byte_length", BigInteger),
    UniqueConstraint("chat_id", "message_id", name="uq_messages_chat_message"),
)
Index("ix_messages_sender", messages.c.sender_id)
Index("ix_messages_chat_date", messages.c.chat_id, messages.c.date_utc)

message_versions = Table(
    "message_versions",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("edited_utc", BigInteger),
    Column("content_hash", String(32), nullable=False),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("byte_offset", BigInteger),
    Column("page", Text),
    Column("byte_length", BigInteger),
)

# The message row itself records where a message was first seen; each later sighting (another
# export, the HTML twin of a JSON export) adds a row here, so every evidence file that showed a
# message can be cited.
message_sightings = Table(
    "message_sightings",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("byte_offset", BigInteger),
    Column("page", Text),
    Column("content_hash", String(32), nullable=False),
)
Index("ix_message_sightings_import", message_sightings.c.import_id)

# A later export that shows a stored message id with another sender (migration 0014): never a
# new version of the first sender's message, but a conflict kept with the record that shows it,
# reported by the import and on both accounts' pages. The stored message keeps its first sender.
message_conflicts = Table(
    "message_conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_pk", BigInteger, ForeignKey("messages.id"), nullable=False),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("byte_offset", BigInteger),
    Column("page", Text),
    Column("field", String(32), nullable=False),  # sender
    Column("stored_account_id", Integer, ForeignKey("accounts.id")),
    Column("found_account_id", Integer, ForeignKey("accounts.id")),
    Column("found_name", Text),
    Column("content_hash", String(32), nullable=False),
)
Index("ix_message_conflicts_message", message_conflicts.c.message_pk)
Index("ix_message_conflicts_import", message_conflicts.c.import_id)

entities = Table(
    "entities",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("length", Integer, nullable=False),
    Column("user_id", BigInteger),
    Column("href", Text),
    Column("extra", Text),
)
Index("ix_entities_type", entities.c.type)

media = Table(
    "media",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("role", String(24), nullable=False),
    Column("relpath", Text),
    Column("present", Boolean, nullable=False),
    Column("placeholder", String(32)),
    Column("placeholder_text", Text),
    Column("issue", Text),
    Column("file_name", Text),
    Column("file_size", BigInteger),
    Column("mime_type", String(128)),
    Column("media_type", String(32)),
    Column("width", Integer),
    Column("height", Integer),
    Column("duration_seconds", Integer),
    Column("spoiler", Boolean, nullable=False),
    Column("ttl_seconds", Integer),
    Column("file_evidence_id", Integer, ForeignKey("evidence.id")),
    # Which import wrote the row, and which linked its file (a later export may bring a file an
    # earlier one left out): each import's content seal covers what it wrote (migration 0013).
    Column("import_id", Integer),
    Column("file_import_id", Integer),
)
Index("ix_media_file_evidence", media.c.file_evidence_id)

reactions = Table(
    "reactions",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("type", String(24), nullable=False),
    Column("emoji", Text),
    Column("document_id", String(40)),
    Column("count", Integer, nullable=False),
)

reaction_actors = Table(
    "reaction_actors",
    metadata,
    Column("message_pk", BigInteger, ForeignKey("messages.id"), primary_key=True),
    Column("reaction_idx", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("date_utc", BigInteger),
)

exporter_records = Table(
    "exporter_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("exporter_account_id", Integer, ForeignKey("accounts.id")),
    Column("section", String(48), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id")),
    Column("phone", String(64)),
    Column("ip", String(64)),
    Column("name", Text),
    Column("date_utc", BigInteger),
    Column("data", Text, nullable=False),
    Column("byte_offset", BigInteger),
    UniqueConstraint("evidence_id", "section", "idx", name="uq_exporter_records_place"),
)

# -- hash lists (migration 0002) ---------------------------------------------------------------
# The user's hash lists (banks). They are reference data, not case evidence: a list file is never
# registered as evidence, and these tables are never exported with case data
# (``veilleur.lists.LIST_TABLES``). An entry is one hash of one list item; entries absent from a
# later full version, or withdrawn by a delta, are marked removed (``removed_version_id``), not
# deleted.

hash_lists = Table(
    "hash_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("source", Text),
    Column("category_scheme", String(16), nullable=False),  # us | uk | custom
    Column("kind", String(16), nullable=False),  # positive | negative (known false positives)
    Column("created_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    # The PDQ distance (bits) within which this list's entries match; NULL: the default, 31.
    Column("pdq_threshold", Integer),  # migration 0004
)

hash_list_versions = Table(
    "hash_list_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("hash_lists.id"), nullable=False),
    Column("version", String(200), nullable=False),
    Column("imported_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_size", BigInteger, nullable=False),
    Column("file_path", Text, nullable=False),
    Column("format", String(32), nullable=False),
    Column("full", Boolean, nullable=False),  # a whole list (absent entries removed) or a delta
    Column("n_added", BigInteger, nullable=False),
    Column("n_changed", BigInteger, nullable=False),
    Column("n_removed", BigInteger, nullable=False),
    Column("n_unchanged", BigInteger, nullable=False),
    Column("report", Text),  # the import report (JSON; counts only, never a hash value)
    UniqueConstraint("list_id", "version", name="uq_hash_list_versions_list_version"),
)
Index("ix_hash_list_versions_list_sha256", hash_list_versions.c.list_id, hash_list_versions.c.file_sha256)

hash_list_entries = Table(
    "hash_list_entries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("list_id", Integer, ForeignKey("hash_lists.id"), nullable=False),
    Column("hash_type", String(16), nullable=False),  # md5 | sha1 | sha256 | pdq | photodna
    Column("value", String(288), nullable=False),  # lower-case hex of the digest
    Column("category", String(32)),
    Column("series", Text),
    Column("flags", Text),  # JSON array of strings, sorted; NULL when none
    Column("external_id", String(200)),
    Column("first_version_id", Integer, ForeignKey("hash_list_versions.id"), nullable=False),
    Column("last_version_id", Integer, ForeignKey("hash_list_versions.id"), nullable=False),
    Column("removed_version_id", Integer, ForeignKey("hash_list_versions.id")),
    UniqueConstraint("list_id", "hash_type", "value", name="uq_hash_list_entries_list_type_value"),
)
Index("ix_hash_list_entries_match", hash_list_entries.c.hash_type, hash_list_entries.c.value)
Index("ix_hash_list_entries_external", hash_list_entries.c.list_id, hash_list_entries.c.external_id)

# -- media hashes (migration 0003) -------------------------------------------------------------

# One row per distinct media file (by SHA-256), however many evidence rows or messages carry it.
# Written by ``veilleur hash`` (``veilleur.hashing``): cryptographic digests of every file, PDQ of
# pictures with its quality and the decode that produced it, and why a file was not (wholly)
# hashed. Never a pixel: hashes and metadata only.
media_hashes = Table(
    "media_hashes",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("md5", String(32)),
    Column("sha1", String(40)),
    Column("size", BigInteger),
    Column("media_class", String(16), nullable=False),  # image | animation | video | other | unknown
    Column("format", String(16)),  # sniffed from the bytes: jpeg, png, gif, webp, mp4, matroska, ...
    Column("status", String(16), nullable=False),  # ok | partial | failed | unsupported
    Column("reason", String(32)),  # corrupt | truncated | decompression_bomb | not_media | ...
    Column("detail", Text),
    Column("pdq", String(64)),  # 64 hex, the reference's (and python-threatexchange's) order
    Column("pdq_quality", Integer),
    Column("decoder", String(24)),  # full | draft<size> (e.g. draft384) | reduce | draft<size>+reduce
    Column("width", Integer),
    Column("height", Integer),
    Column("frames", Integer),  # frames decoded (1 for a still picture)
    Column("frame_hashes", Integer, nullable=False, default=0),  # rows in video_frame_hashes
    Column("duration_ms", BigInteger),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),  # the copy that was read
    Column("hashed_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("hasher_version", String(128), nullable=False),
)
Index("ix_media_hashes_pdq", media_hashes.c.pdq)
Index("ix_media_hashes_md5", media_hashes.c.md5)
Index("ix_media_hashes_sha1", media_hashes.c.sha1)

# The eight PDQ hashes of a picture's rotations and flips (variant 0 is the picture as stored),
# all from one DCT: a rotated or mirrored copy of listed material matches one of them.
media_pdq_dihedral = Table(
    "media_pdq_dihedral",
    metadata,
    Column("sha256", String(64), ForeignKey("media_hashes.sha256"), primary_key=True),
    Column("variant", Integer, primary_key=True),  # 0 original, 1-3 rotate 90/180/270, 4-7 flips
    Column("pdq", String(64), nullable=False),
    Column("quality", Integer, nullable=False),
)

# vPDQ: the PDQ of one frame per second of a video or animation. Times are integer milliseconds.
video_frame_hashes = Table(
    "video_frame_hashes",
    metadata,
    Column("sha256", String(64), ForeignKey("media_hashes.sha256"), primary_key=True),
    Column("frame_index", Integer, primary_key=True),  # decode order from 0 (vpdq's frame number)
    Column("timestamp_ms", BigInteger, nullable=False),  # presentation time
    Column("pdq", String(64), nullable=False),
    Column("quality", Integer, nullable=False),
)

# -- matching (migration 0004) -----------------------------------------------------------------

# vPDQ list entries: the entry's ``value`` is the SHA-256 of the canonical feature list (the
# python-threatexchange serialisation, one ``"<pdq hex>,<quality>,<seconds>"`` per frame), and the
# frames themselves live here, keyed by that digest (content-addressed: shared by every list that
# holds the same video). List data: never exported with a case.
hash_list_vpdq_features = Table(
    "hash_list_vpdq_features",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("pdq", String(64), nullable=False),
    Column("quality", Integer, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
)

# One matching run: the settings it used and the list versions it saw. Its matches are the case's
# current ones once it is ``done``; earlier runs stay, so a hit can always be traced to the run,
# settings and list version that produced it.
match_runs = Table(
    "match_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("operator", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("settings", Text, nullable=False),  # JSON: thresholds, dihedral, frame matching
    Column("lists", Text, nullable=False),  # JSON: each list's id, name, kind, version, threshold
    Column("report", Text),  # JSON counts; never a hash value of a list
)

# Every match of a case media file (by SHA-256) with a list entry, as evidence: which list and
# version, which entry (its identifier and category as they were when matched), which signal and
# method, how close. A positive hit that a negative list (known false positives) also matches is
# kept and marked ``suppressed_by`` that negative entry.
matches = Table(
    "matches",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("run_id", Integer, ForeignKey("match_runs.id"), nullable=False),
    Column("sha256", String(64), ForeignKey("media_hashes.sha256"), nullable=False),
    Column("list_id", Integer, ForeignKey("hash_lists.id"), nullable=False),
    Column("list_version_id", Integer, ForeignKey("hash_list_versions.id"), nullable=False),
    Column("list_kind", String(16), nullable=False),  # positive | negative
    Column("entry_id", BigInteger, ForeignKey("hash_list_entries.id"), nullable=False),
    Column("external_id", String(200)),
    Column("category", String(32)),
    Column("hash_type", String(16), nullable=False),  # md5 | sha1 | sha256 | pdq | vpdq
    Column("method", String(16), nullable=False),  # exact | pdq | pdq-frame | vpdq
    Column("variant", Integer),  # the dihedral variant of the case picture that matched (0 as is)
    Column("frame_ms", BigInteger),  # pdq-frame: the video frame that matched a listed picture
    Column("distance", Integer),  # bits; 0 for exact matches; the worst matched frame for vpdq
    Column("threshold", Integer),  # the distance allowed when matched
    Column("quality", Integer),  # PDQ quality of the case's side
    Column("query_match_pct", Float),  # vpdq: share of the case video's frames matched
    Column("compared_match_pct", Float),  # vpdq: share of the listed video's frames matched
    Column("suppressed_by", BigInteger, ForeignKey("hash_list_entries.id")),
    Column("matched_at", String(32), nullable=False),
)
Index("ix_matches_run_sha256", matches.c.run_id, matches.c.sha256)
Index("ix_matches_entry", matches.c.entry_id)

# -- audit log (migration 0005) ----------------------------------------------------------------

# Every analytic action (an import, a hashing or matching run, a list import, a setting changed,
# a view of case data, a report) as one entry, appended by ``veilleur.custody.audit.record`` in
# the transaction of the action it records. ``seq`` runs 1, 2, 3… without gaps; ``entry_hash`` is
# the SHA-256 of the entry's canonical serialisation, which includes ``prev_hash``, the previous
# entry's ``entry_hash`` (64 zeros for the first): editing, deleting or reordering an entry breaks
# the chain. Entries are never updated or deleted by Veilleur.
audit_log = Table(
    "audit_log",
    metadata,
    # INTEGER on SQLite makes seq the rowid itself; assigned by the appender, never by the database.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC with microseconds
    Column("operator", String(128), nullable=False),
    Column("action", String(64), nullable=False),  # import | hash | lists.import | match | view.hits …
    Column("subject", Text),  # what it was about: an export path, a list name, an account key
    Column("details", Text),  # JSON (sorted keys): counts, ids, settings; never a list value or message text
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

# The log's head: one row (id 1), the last entry's seq and hash, created with seq 0 by the
# migration. An append locks and updates it in the appending transaction, which serialises
# concurrent appenders and gives the next seq without a scan.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
)

# -- identity and prioritisation (migration 0006) ----------------------------------------------

# One imported file of lawful returns, identity records or person attributes. The file is also
# registered as evidence (kind ``file``): these records are evidence, unlike hash lists.
record_imports = Table(
    "record_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # returns | identity | attributes
    Column("format", String(8), nullable=False),  # csv | json
    Column("source", Text),  # who provided it: "Telegram LE portal", "Orange réquisition 2026-114"
    Column("imported_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("report", Text),  # JSON counts
)

# Identifiers a lawful return gives for an account: phone numbers (E.164), IP addresses (with the
# time they were used), e-mail addresses (lower-case). ``place`` is the row or JSON pointer.
account_identifiers = Table(
    "account_identifiers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("record_imports.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # phone | ip | email
    Column("value", String(320), nullable=False),
    Column("first_utc", BigInteger),
    Column("last_utc", BigInteger),
    Column("place", String(64), nullable=False),
    # An IP address's source port, where the return gives one (carrier-grade NAT) — migration 0009.
    Column("port", Integer),
)
Index("ix_account_identifiers_value", account_identifiers.c.kind, account_identifiers.c.value)
Index("ix_account_identifiers_account", account_identifiers.c.account_id)

# A person, as identity records name them (``key``: the identifier the records use for them).
persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
)

identity_records = Table(
    "identity_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("record_imports.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("birth_date", String(10)),  # YYYY-MM-DD (or YYYY-MM, YYYY when partial)
    Column("address", Text),
    Column("postcode", String(16)),
    Column("city", Text),
    Column("country", String(64)),
    Column("departement", String(8)),  # French département code: "74", "2A", "971"
    Column("court", Text),  # the competent court or prosecutor's office, when the record says
    Column("phones", Text),  # JSON list, E.164
    Column("emails", Text),  # JSON list, lower-case
    Column("place", String(64), nullable=False),
)
Index("ix_identity_records_person", identity_records.c.person_id)

# What records say about a person, each with its source: access to children, a criminal record
# (offence types), a profession or employer with contact with children.
person_attributes = Table(
    "person_attributes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("record_imports.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("kind", String(32), nullable=False),  # access_to_children | criminal_record | profession
    Column("value", Text, nullable=False),  # as stated: "2 children (4, 9) in household", "teacher"
    Column("detail", Text),  # JSON: offence types, sexual_offence_against_minor, contact_with_children…
    Column("source", Text),  # the record's own source: "casier judiciaire B2", "employer HR"
    Column("observed_utc", BigInteger),
    Column("place", String(64), nullable=False),
)
Index("ix_person_attributes_person", person_attributes.c.person_id)

# A linking run and the links it proposed: account → person and account → account (aliases).
# Each proposal keeps its method, its match weight broken into named factors, and the records
# behind them, so the analyst sees why.
link_runs = Table(
    "link_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # running | done
    Column("settings", Text, nullable=False),  # JSON: thresholds, splink model parameters
)

link_candidates = Table(
    "link_candidates",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("run_id", Integer, ForeignKey("link_runs.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # account_person | account_account
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id")),  # account_person
    Column("other_account_id", Integer, ForeignKey("accounts.id")),  # account_account
    Column("method", String(32), nullable=False),  # rule:phone | splink | alias:shared_phone …
    Column("match_weight", Float),
    Column("probability", Float),
    Column("confidence", String(8), nullable=False),  # high | medium | low
    Column("factors", Text, nullable=False),  # JSON [{name, value, weight, records: [...]}]
)
Index("ix_link_candidates_run", link_candidates.c.run_id, link_candidates.c.kind)

# An analyst's decision on a link; every later run respects it (a rejected link is never proposed
# again, a confirmed one is kept) until another decision replaces it. Never deleted.
link_decisions = Table(
    "link_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id")),
    Column("other_account_id", Integer, ForeignKey("accounts.id")),
    Column("decision", String(16), nullable=False),  # confirmed | rejected
    Column("operator", String(128), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("note", Text),
)
Index("ix_link_decisions_pair", link_decisions.c.kind, link_decisions.c.account_id)

# Text indicators found in messages: the span is kept (offsets into messages.text), never copied:
# abusive text is shown only through an audited reveal.
indicator_hits = Table(
    "indicator_hits",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("message_pk", BigInteger, ForeignKey("messages.id"), nullable=False),
    # access_to_children | profession | intent | request | meeting
    Column("indicator", String(32), nullable=False),
    Column("rule", String(64), nullable=False),  # the rule that matched (stable id)
    Column("language", String(2), nullable=False),  # fr | en
    Column("span_start", Integer, nullable=False),  # character offsets in the text scanned:
    Column("span_end", Integer, nullable=False),  # messages.text, or the version's below
    Column("sensitive", Boolean, nullable=False),  # hidden until an audited reveal
    Column("confidence", String(8), nullable=False),
    # None: the message's current text. N: message_versions N, an earlier text the message no
    # longer shows (edited away between two exports) — migration 0008.
    Column("version", Integer),
)
Index("ix_indicator_hits_message", indicator_hits.c.message_pk)
Index("ix_indicator_hits_run", indicator_hits.c.run_id)  # migration 0007

# A ranking: the weights configuration it used (saved whole, with its version), and per subject
# (person, or account not linked to a person) its score, rank and factors with their records.
rankings = Table(
    "rankings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("weights_version", String(64), nullable=False),
    Column("weights", Text, nullable=False),  # the configuration file's content
)

ranking_entries = Table(
    "ranking_entries",
    metadata,
    Column("ranking_id", Integer, ForeignKey("rankings.id"), primary_key=True),
    Column("subject", String(64), primary_key=True),  # person:<id> | account:<id>
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("jurisdiction", Text),
    Column("factors", Text, nullable=False),  # JSON {factor: {value, weight, points, records}}
)

# -- people of the case (migration 0010) -------------------------------------------------------

# Who may work on this case, and as what. The installation's users (names, display names,
# credentials) live in the installation store (``veilleur.app.users``); membership lives here, in
# the case, so that a case moved to another installation or opened from several web workers
# carries its own access list, and every change to it is in the case's audit log.
case_members = Table(
    "case_members",
    metadata,
    Column("user_name", String(128), primary_key=True),
    Column("role", String(16), nullable=False),  # viewer | analyst | lead (veilleur.app.permissions)
    Column("added_by", String(128), nullable=False),
    Column("added_at", String(32), nullable=False),
    CheckConstraint("role IN ('viewer', 'analyst', 'lead')", name="ck_case_members_role"),
)

# -- search (migration 0011) -------------------------------------------------------------------

# One row per searchable text: a message's text (current, or an earlier version), its poll, its
# file names, an identifier found in it; an account's display name or username; a chat's title;
# an identifier from lawful returns or identity records; a contact or session of a full-account
# export. The tokens themselves live in the backend's full-text structure, keyed by ``id``:
# SQLite's FTS5 table ``search_fts`` (rowid = id) or PostgreSQL's ``search_tsv`` (tsvector, GIN),
# both made by the migration and not declared here (they are not portable tables). See
# ``veilleur.search``.
search_docs = Table(
    "search_docs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("source", String(16), nullable=False),  # message | version | name | chat | identifier | ...
    Column("field", String(16), nullable=False),  # text | poll | file | name | username | title | phone …
    Column("message_pk", BigInteger),
    Column("version", Integer),
    Column("chat_id", Integer),
    Column("account_id", Integer),
    Column("person_id", Integer),
    Column("date_utc", BigInteger),
    Column("content_hash", String(32)),  # the message's, when indexed: a changed message is re-indexed
    Column("ref", Text),  # what a non-message document cites: "account_identifiers#12", "chats#3"
    Column("body", Text),  # the text itself, for documents whose text no other table holds as is
)
Index("ix_search_docs_message", search_docs.c.message_pk, search_docs.c.source, search_docs.c.field)
Index("ix_search_docs_source", search_docs.c.source)
Index("ix_search_docs_chat_date", search_docs.c.chat_id, search_docs.c.date_utc)
Index("ix_search_docs_account", search_docs.c.account_id)

# The indexed words and their French and English stems: a word query is widened to the indexed
# words that share its stem ("enfants" finds "enfant"), so stems are never indexed per document.
search_terms = Table(
    "search_terms",
    metadata,
    Column("term", String(64), primary_key=True),
    Column("fr", String(64), nullable=False),
    Column("en", String(64), nullable=False),
)
Index("ix_search_terms_fr", search_terms.c.fr)
Index("ix_search_terms_en", search_terms.c.en)

# Keyword lists run over the whole case: each run (the list file is registered as evidence) and
# its hits, kept like the text indicators' and audited.
keyword_runs = Table(
    "keyword_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("list_name", Text, nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("terms", Integer, nullable=False),
    Column("hits", Integer, nullable=False),
)

keyword_hits = Table(
    "keyword_hits",
    metadata,
    Column("run_id", Integer, ForeignKey("keyword_runs.id"), primary_key=True),
    Column("term_idx", Integer, primary_key=True),
    Column("doc_id", BigInteger, primary_key=True),
    Column("term", Text, nullable=False),
    Column("message_pk", BigInteger),
)
Index("ix_keyword_hits_message", keyword_hits.c.message_pk)

# -- notes and tags (migration 0012) -----------------------------------------------------------

# What investigators write on the case's records: on an account, a person, a chat or one message
# (``target`` is its key; a message is ``<chat key>#<message id>``). Never edited or deleted: a
# correction is a new note, and a note may be withdrawn (kept, marked, with who and when). The
# author chooses whether it goes into dossiers and exports (``shared``).
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_kind", String(16), nullable=False),  # account | person | chat | message
    Column("target", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list of short labels
    Column("shared", Boolean, nullable=False),  # shown in dossiers and exports
    Column("author", String(128), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("withdrawn_at", String(32)),
    Column("withdrawn_by", String(128)),
    CheckConstraint("target_kind IN ('account', 'person', 'chat', 'message')", name="ck_notes_kind"),
)
Index("ix_notes_target", notes.c.target_kind, notes.c.target)

ENGINE_TABLES = frozenset(
    {"search_tsv", "search_fts"}
    | {f"search_fts_{p}" for p in ("data", "idx", "content", "docsize", "config")}
)
"""Tables a migration makes for one backend only (full-text structures), not declared above."""
