"""Bad, hostile and interrupted input: a clear error that says where, and nothing stored is lost.

Every test that touches a store runs on SQLite and PostgreSQL (the ``case`` fixture). Most start
from a case that already holds a good import (:func:`stored`) and end by checking that its rows
and its evidence are exactly as they were. All exports are small, synthetic and written here with
the demo writer (Telegram Desktop's byte format); media files are a few placeholder bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

import veilleur.ingest.importer as importer
from nohang import make_fifo, make_socket, no_hang
from veilleur import cli
from veilleur.case import Case, init_case
from veilleur.custody.evidence import verify
from veilleur.demo.bigexport import write_large_export
from veilleur.demo.tdesktop_json import (
    ABOUT_CHATS,
    ABOUT_CONTACTS,
    Dialog,
    FileRef,
    JsonWriter,
    Message,
    Part,
    Peer,
    Photo,
    message_pairs,
)
from veilleur.errors import BadInput, CaseError, NotRegularFile, UnsafeInput, VeilleurError
from veilleur.ingest.importer import ImportOptions, ImportResult, import_export
from veilleur.model.records import MessageRecord, SourceRecord
from veilleur.sources import container as container_mod
from veilleur.sources.telegram_common import CASE_MESSAGE_IDS, utc_offset
from veilleur.sources.telegram_json import read_json_export
from veilleur.store.schema import (
    account_names,
    accounts,
    chat_imports,
    chats,
    custody_events,
    evidence,
    exporter_records,
    import_log,
    imports,
    media,
    media_hashes,
    message_sightings,
    messages,
    metadata,
)
from veilleur.timefmt import iso_utc

OPERATOR = "tester"
ALICE = Peer("user", 1001, "Alice", "Exemple")
BOB = Peer("user", 1002, "Bob")
T0 = 1_700_000_000
PREFIX = "ChatExport_2026-03-01/"


# ---------------------------------------------------------------------------------------------
# Exports written for the tests.


def text_of(i: int) -> str:
    return f'message {i} numéro {{"x": [1]}} \\ fin'


def write_export(
    root: Path,
    *,
    chat_id: int = 555,
    n: int = 30,
    title: str = "Groupe test",
    texts: dict[int, str] | None = None,
    photos: dict[int, str] | None = None,
) -> bytes:
    """A single-chat export: ``n`` messages; messages 3, 13, 23... carry a photo that exists.

    ``texts`` and ``photos`` override the text or the photo path of given message ids (a photo
    path given here is written as is and no file is created for it).
    """
    root.mkdir(parents=True, exist_ok=True)
    photos = dict(photos or {})
    for i in range(3, n + 1, 10):
        if i not in photos:
            rel = f"photos/photo_{i}@14-11-2023_23-00-00.jpg"
            (root / rel).parent.mkdir(exist_ok=True)
            (root / rel).write_bytes(b"\xff\xd8\xff\xe0 synthetic photo %d \xff\xd9" % (chat_id * 1000 + i))
            photos[i] = rel
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=True)
    w.begin_dialog("private_group", chat_id, title)
    for i in range(1, n + 1):
        text = (texts or {}).get(i, text_of(i))
        photo = Photo(FileRef(photos[i], 30), 10, 10) if i in photos else None
        w.write_message(Message(i, T0 + i * 60, ALICE if i % 2 else BOB, (Part("plain", text),), media=photo))
    w.end_dialog()
    w.finish()
    data = buf.getvalue()
    (root / "result.json").write_bytes(data)
    return data


def write_full_export(root: Path, per_chat: int = 40) -> bytes:
    """A full-account export: account sections (one with a ``\\xHH`` escape) and three chats."""
    root.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=False)
    w.start()
    w.write_value(
        "personal_information",
        {
            "user_id": ALICE.id,
            "first_name": ALICE.first_name,
            "last_name": ALICE.last_name,
            "phone_number": "+00 0000 0001",
            "bio": "bio\x07bell",
        },
    )
    w.write_list_section(
        "contacts",
        ABOUT_CONTACTS,
        [
            {
                "user_id": BOB.id,
                "first_name": "Bob",
                "last_name": "",
                "phone_number": "+00 0000 0002",
                "date": "2024-01-01T10:00:00",
                "date_unixtime": "1704099600",
            },
        ],
    )
    w.begin_list("chats", ABOUT_CHATS)
    mid = 0
    for c, (kind, peer) in enumerate(
        [
            ("personal_chat", Peer("user", 2001, "Chloé")),
            ("private_supergroup", Peer("channel", 3001, "Club")),
            ("personal_chat", Peer("user", 2002, "Dan")),
        ]
    ):
        msgs = []
        for i in range(per_chat):
            mid += 1
            sender = ALICE if (kind == "private_supergroup" or i % 2) else peer
            msgs.append(Message(mid, T0 + mid * 60, sender, (Part("plain", f"chat {c} message {mid}\x01"),)))
        w.write_dialog(Dialog(kind, peer, peer.first_name, msgs))
    w.end_list()
    w.finish()
    data = buf.getvalue()
    (root / "result.json").write_bytes(data)
    return data


def zip_folder(
    src: Path, dest: Path, prefix: str = PREFIX, extra: Callable[[zipfile.ZipFile], None] | None = None
) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(prefix), b"")  # the folder entry, as archivers write it
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(src).as_posix())
        if extra is not None:
            extra(zf)
    return dest


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# Reading the store.


def q(case: Case, stmt: Any) -> list[Any]:
    with case.engine.connect() as conn:
        return list(conn.execute(stmt).all())


def scalar(case: Case, stmt: Any) -> Any:
    with case.engine.connect() as conn:
        return conn.execute(stmt).scalar()


def table_counts(case: Case) -> dict[str, int]:
    with case.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def chat_message_ids(case: Case, chat_id: int = 555, kind: str = "chat") -> list[int]:
    rows = q(
        case,
        select(messages.c.message_id)
        .join(chats, chats.c.id == messages.c.chat_id)
        .where(chats.c.key == f"telegram:{kind}:{chat_id}")
        .order_by(messages.c.message_id),
    )
    return [r.message_id for r in rows]


def chat_texts(case: Case, chat_id: int = 555) -> dict[int, str]:
    return {
        r.message_id: r.text
        for r in q(
            case,
            select(messages.c.message_id, messages.c.text)
            .join(chats, chats.c.id == messages.c.chat_id)
            .where(chats.c.key == f"telegram:chat:{chat_id}"),
        )
    }


def evidence_id_of(case: Case, path: Path) -> int:
    return int(
        scalar(
            case,
            select(evidence.c.id)
            .where(evidence.c.original_path == str(path.resolve()))
            .order_by(evidence.c.id.desc()),
        )
    )


def import_row(case: Case, import_id: int | None = None) -> Any:
    stmt = select(imports).order_by(imports.c.id.desc())
    if import_id is not None:
        stmt = stmt.where(imports.c.id == import_id)
    return q(case, stmt)[0]


def place_of(err: BadInput) -> int:
    assert err.place is not None and err.place.startswith("byte "), err
    return int(err.place.removeprefix("byte "))


def run(case: Case, path: Path, **kw: Any) -> ImportResult:
    return import_export(case, path, ImportOptions(OPERATOR, **kw))


# ---------------------------------------------------------------------------------------------
# A case that already holds a good import, and the check that it is untouched.


@dataclass
class Stored:
    case: Case
    import_id: int
    snapshot: dict[str, Any]
    evidence_ids: list[int]


def _snapshot(case: Case, import_id: int) -> dict[str, Any]:
    mine = select(messages.c.id).where(messages.c.first_import_id == import_id)
    return {
        "messages": q(
            case,
            select(
                messages.c.message_id,
                messages.c.text,
                messages.c.content_hash,
                messages.c.byte_offset,
                messages.c.possibly_deleted,
                messages.c.last_import_id,
            )
            .where(messages.c.first_import_id == import_id)
            .order_by(messages.c.message_id),
        ),
        "sightings": q(
            case,
            select(message_sightings)
            .where(message_sightings.c.import_id == import_id)
            .order_by(message_sightings.c.message_pk),
        ),
        "media": q(
            case,
            select(
                media.c.message_pk, media.c.relpath, media.c.present, media.c.issue, media.c.file_evidence_id
            )
            .where(media.c.message_pk.in_(mine))
            .order_by(media.c.message_pk),
        ),
        "chat_imports": q(case, select(chat_imports).where(chat_imports.c.import_id == import_id)),
        "log": q(
            case,
            select(import_log.c.kind, import_log.c.code, import_log.c.byte_offset)
            .where(import_log.c.import_id == import_id)
            .order_by(import_log.c.id),
        ),
        "import": q(
            case,
            select(imports.c.status, imports.c.report, imports.c.evidence_id).where(
                imports.c.id == import_id
            ),
        ),
    }


@pytest.fixture
def stored(case: Case, tmp_path: Path) -> Stored:
    good = tmp_path / "good_export"
    write_export(good, chat_id=900, n=14, title="Déjà importé")
    result = run(case, good)
    assert result.status == "complete" and result.report["counters"]["new"] == 14
    root = import_row(case, result.import_id).evidence_id
    ev_ids = [
        r.id
        for r in q(
            case, select(evidence.c.id).where((evidence.c.id == root) | (evidence.c.parent_id == root))
        )
    ]
    assert len(ev_ids) == 3  # result.json and the photos of messages 3 and 13
    return Stored(case, result.import_id, _snapshot(case, result.import_id), ev_ids)


def assert_intact(s: Stored) -> None:
    """The earlier good import has every row it had, and its evidence still verifies."""
    assert _snapshot(s.case, s.import_id) == s.snapshot
    with s.case.engine.begin() as conn:
        status = {v.evidence_id: v.status for v in verify(conn, OPERATOR)}
    assert {i: status[i] for i in s.evidence_ids} == {i: "unchanged" for i in s.evidence_ids}


@pytest.fixture
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHECKPOINT_EVERY", 5)
    monkeypatch.setattr(importer, "BATCH", 3)


class CountingReader:
    """Wraps ``read_json_export`` in the importer: counts the messages it yields, can crash."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = read_json_export
        self.crash_after: int | None = None
        self.yielded: list[int] = []
        monkeypatch.setattr(importer, "read_json_export", self)

    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[SourceRecord]:
        self.yielded = []
        for rec in self.real(*args, **kwargs):
            if isinstance(rec, MessageRecord):
                if self.crash_after is not None and len(self.yielded) >= self.crash_after:
                    raise RuntimeError("simulated crash (power cut)")
                self.yielded.append(rec.message_id)
            yield rec


# ---------------------------------------------------------------------------------------------
# Truncated result.json


def _cut(data: bytes, where: str) -> tuple[int, int, str]:
    """(cut length, offset the error must name, words of the message) for a truncation."""
    m18 = data.index(b'"id": 18,')
    start18 = data.rindex(b"{", 0, m18)
    if where == "mid_message":
        return m18 + len(b'"id": 18,'), start18, "ends inside an object"
    if where == "mid_string":
        quote = data.index(b'"message 18 ')
        return quote + 12, quote, "ends inside a string"
    end = data.rindex(b"\n ]")  # right after the last message, before the closing brackets
    return end, end, "ends inside an array"


@pytest.mark.parametrize("where", ["mid_message", "mid_string", "before_close"])
def test_truncated_result_json(
    stored: Stored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_checkpoints: None, where: str
) -> None:
    case = stored.case
    folder = tmp_path / "export"
    full = write_export(folder, n=32)
    cut, at, words = _cut(full, where)
    (folder / "result.json").write_bytes(full[:cut])
    complete_before = full[:cut].count(b"\n  }")  # messages read whole before the cut
    checkpointed = complete_before // 5 * 5

    with pytest.raises(BadInput) as info:
        run(case, folder)
    err = info.value
    assert not isinstance(err, UnsafeInput)
    assert err.file == str((folder / "result.json").resolve())
    assert place_of(err) == at and words in err.message and "truncated" in err.message
    assert str(err) == f"{err.file}: byte {at}: {err.message}"
    row = import_row(case)
    assert row.status == "failed" and str(err) in row.error
    # What was checkpointed stays; what was read after the last checkpoint is not half-kept.
    assert chat_message_ids(case) == list(range(1, checkpointed + 1))
    assert_intact(stored)

    # The same truncated file again: the failed import is resumed from its checkpoint, not redone.
    reader = CountingReader(monkeypatch)
    with pytest.raises(BadInput) as again:
        run(case, folder)
    assert str(again.value) == str(err)
    assert reader.yielded == list(range(checkpointed + 1, complete_before + 1))
    assert scalar(case, select(func.count()).select_from(imports)) == 2  # the good one and this one
    assert chat_message_ids(case) == list(range(1, checkpointed + 1))

    # The complete export replaces the truncated file: it imports whole, without duplicates.
    (folder / "result.json").write_bytes(full)
    result = run(case, folder)
    assert result.status == "complete"
    assert chat_message_ids(case) == list(range(1, 33))
    assert chat_texts(case) == {i: text_of(i) for i in range(1, 33)}
    c = result.report["counters"]
    assert c["messages"] == 32 and c["new"] + c["unchanged"] == 32 and c["unchanged"] == checkpointed
    assert (
        scalar(case, select(func.count()).select_from(messages).where(messages.c.possibly_deleted.is_(True)))
        == 0
    )
    assert_intact(stored)


# ---------------------------------------------------------------------------------------------
# Encoding: invalid UTF-8, \xHH escapes


def test_invalid_utf8_is_an_error_then_a_logged_repair(stored: Stored, tmp_path: Path) -> None:
    case = stored.case
    folder = tmp_path / "export"
    data = write_export(folder, n=20, texts={7: "avant @@BAD@@ après"})
    data = data.replace(b"@@BAD@@", b"caf\xe9 \xff")
    (folder / "result.json").write_bytes(data)
    bad = data.index(b"\xe9 \xff")

    with pytest.raises(BadInput) as info:
        run(case, folder)
    err = info.value
    assert err.file == str((folder / "result.json").resolve())
    assert place_of(err) == bad and "invalid UTF-8" in err.message and "--lenient-utf8" in err.message
    assert import_row(case).status == "failed"
    assert_intact(stored)

    # As the message says: run again with lenient UTF-8. The failed import of this evidence resumes.
    result = run(case, folder, lenient_utf8=True)
    assert result.status == "complete" and result.resumed
    assert chat_message_ids(case) == list(range(1, 21))
    assert chat_texts(case)[7] == "avant caf\ufffd \ufffd après"
    rows = q(
        case,
        select(import_log).where(import_log.c.import_id == result.import_id, import_log.c.kind == "repair"),
    )
    assert [(r.code, r.byte_offset) for r in rows] == [("invalid_utf8", bad)]
    assert rows[0].evidence_id == evidence_id_of(case, folder / "result.json")
    assert result.report["counters"]["repairs"] == 1
    assert_intact(stored)


def test_invalid_utf8_lenient_from_the_start(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    data = write_export(folder, n=5, texts={2: "x@@BAD@@y"}).replace(b"@@BAD@@", b"\xc3")
    (folder / "result.json").write_bytes(data)
    result = run(case, folder, lenient_utf8=True)
    assert not result.resumed and chat_texts(case)[2] == "x\ufffdy"
    offsets = [r.byte_offset for r in q(case, select(import_log).where(import_log.c.code == "invalid_utf8"))]
    assert offsets == [data.index(b"x\xc3y") + 1]


def _expected_escapes(data: bytes) -> list[int]:
    """Offsets of every ``\\x`` whose backslash is not itself escaped (counted by hand)."""
    out = []
    i = data.find(b"\\x")
    while i != -1:
        k = i
        while k > 0 and data[k - 1] == 0x5C:
            k -= 1
        if (i - k) % 2 == 0:
            out.append(i)
        i = data.find(b"\\x", i + 1)
    return out


def test_hex_escapes_are_decoded_and_logged_at_the_backslash(stored: Stored, tmp_path: Path) -> None:
    case = stored.case
    folder = tmp_path / "export"
    texts = {
        4: "bell\x07 and unit separator\x1f",
        5: "literal \\x41 stays as typed",  # an escaped backslash, then "x41": not an escape
        6: "backslash then control: \\\x01",
        7: "\x00 starts with NUL",
    }
    data = write_export(folder, n=8, title="Titre\x1b", texts=texts)
    assert b"literal \\\\x41" in data and b"\\\\\\x01" in data
    result = run(case, folder)
    assert result.status == "complete"
    stored_texts = chat_texts(case)
    for i, t in texts.items():
        # A NUL is read as U+FFFD (no PostgreSQL text can hold it); the evidence keeps the byte.
        assert stored_texts[i] == t.replace("\x00", "\ufffd")
    assert q(case, select(chats.c.title).where(chats.c.key == "telegram:chat:555"))[0].title == "Titre\x1b"

    rows = q(
        case,
        select(import_log)
        .where(import_log.c.import_id == result.import_id, import_log.c.kind == "repair")
        .order_by(import_log.c.byte_offset),
    )
    expected = _expected_escapes(data)
    # Title once; messages 4 and 6 and 7 in "text" and again in "text_entities".
    assert len(expected) == 1 + 2 * (2 + 1 + 1)
    assert [r.byte_offset for r in rows] == expected
    assert all(data[r.byte_offset : r.byte_offset + 2] == b"\\x" for r in rows)
    assert {r.code for r in rows} == {"invalid_escape"}
    nul = data.index(b"\\x00")
    assert [r.message for r in rows if r.byte_offset == nul] == ["\\x00 read as U+FFFD (NUL)"]
    assert {r.evidence_id for r in rows} == {evidence_id_of(case, folder / "result.json")}
    literal = data.index(b"literal \\\\x41") + len(b"literal ")
    assert literal not in expected and literal + 1 not in expected
    assert result.report["counters"]["repairs"] == len(expected)
    assert_intact(stored)


@pytest.mark.parametrize("kind", ["truncated", "invalid_utf8", "malformed"])
def test_errors_found_by_the_reading_process_keep_file_and_place(
    stored: Stored, tmp_path: Path, kind: str
) -> None:
    """Large files are read in a second process: its errors reach the analyst unchanged."""
    case = stored.case
    folder = tmp_path / "export"
    data = write_export(folder, n=20, texts={9: "x@@BAD@@y"})
    if kind == "truncated":
        at = data.index(b'"message 18 ')
        data = data[: at + 5]
    elif kind == "invalid_utf8":
        data = data.replace(b"@@BAD@@", b"\xff")
        at = data.index(b"\xff")
    else:
        data = data.replace(b'x@@BAD@@y"', b'x" y"')
        at = data.index(b' y"') + 1
    (folder / "result.json").write_bytes(data)
    with pytest.raises(BadInput) as child:
        run(case, folder, parallel=True)
    assert child.value.file == str((folder / "result.json").resolve())
    assert place_of(child.value) == at, child.value
    with pytest.raises(BadInput) as here:
        run(case, folder, parallel=False)
    assert type(here.value) is type(child.value) and str(here.value) == str(child.value)
    assert_intact(stored)


# ---------------------------------------------------------------------------------------------
# Malformed JSON, and files that are no export at all


@pytest.mark.parametrize("kind", ["comma_between_messages", "comma_inside_message"])
def test_malformed_json_names_the_byte(stored: Stored, tmp_path: Path, kind: str) -> None:
    """A message whose id is no number is not malformed JSON: it is imported (see
    test_one_bad_field_never_stops_an_import_and_its_message_is_kept)."""
    case = stored.case
    folder = tmp_path / "export"
    data = write_export(folder, n=30)
    m18 = data.index(b'"id": 18,')
    start18 = data.rindex(b"{", 0, m18)
    if kind == "comma_between_messages":
        comma = data.rindex(b"},", 0, start18) + 1
        data = data[:comma] + data[comma + 1 :]
        at = start18 - 1
    else:
        comma = data.index(b'"type": "message",', m18) + len(b'"type": "message"')
        data = data[:comma] + data[comma + 1 :]
        at = data.index(b'"date"', comma)
    (folder / "result.json").write_bytes(data)
    with pytest.raises(BadInput) as info:
        run(case, folder)
    err = info.value
    assert err.file == str((folder / "result.json").resolve())
    assert place_of(err) == at, (err, data[place_of(err) : place_of(err) + 20])
    assert import_row(case).status == "failed"
    assert_intact(stored)


def _random(d: Path) -> Path:
    (d / "result.json").write_bytes(random.Random(7).randbytes(3000))
    return d


def _array(d: Path) -> Path:
    (d / "result.json").write_bytes(b'[{"id": 1, "type": "message"}]')
    return d


def _png_as_result(d: Path) -> Path:
    (d / "result.json").write_bytes(png_bytes())
    return d


def _png_renamed(d: Path) -> Path:
    (d / "picture.json").write_bytes(png_bytes())
    return d / "picture.json"


def _text_file(d: Path) -> Path:
    (d / "notes.txt").write_text("Liste de courses : pain, lait.\n", encoding="utf-8")
    return d / "notes.txt"


def _text_in_folder(d: Path) -> Path:
    _text_file(d)
    return d


def _text_as_result(d: Path) -> Path:
    (d / "result.json").write_text("Liste de courses : pain, lait.\n", encoding="utf-8")
    return d


def _empty_folder(d: Path) -> Path:
    return d


def _missing(d: Path) -> Path:
    return d / "does-not-exist"


def _empty_result(d: Path) -> Path:
    (d / "result.json").write_bytes(b"")
    return d


def _other_json_object(d: Path) -> Path:
    (d / "result.json").write_bytes(b'{"tool": "some other program", "results": [1, 2, 3]}')
    return d


def _not_a_zip(d: Path) -> Path:
    (d / "export.zip").write_bytes(b"PK\x03\x04 not really a zip" + bytes(100))
    return d / "export.zip"


def _zip_without_export(d: Path) -> Path:
    with zipfile.ZipFile(d / "photos.zip", "w") as zf:
        zf.writestr("holiday/photo.png", png_bytes())
    return d / "photos.zip"


NOT_EXPORTS: dict[str, tuple[Callable[[Path], Path], bool]] = {
    # name: (make it, whether the error is found only once result.json is read)
    "random_bytes_result_json": (_random, True),
    "json_array": (_array, True),
    "png_named_result_json": (_png_as_result, True),
    "png_renamed_json": (_png_renamed, False),
    "text_file": (_text_file, False),
    "folder_with_text_file": (_text_in_folder, False),
    "text_named_result_json": (_text_as_result, True),
    "empty_folder": (_empty_folder, False),
    "missing_path": (_missing, False),
    "empty_result_json": (_empty_result, True),
    "other_json_object": (_other_json_object, True),
    "not_a_zip": (_not_a_zip, False),
    "zip_without_export": (_zip_without_export, False),
}


@pytest.mark.parametrize("name", sorted(NOT_EXPORTS))
def test_not_an_export(stored: Stored, tmp_path: Path, name: str) -> None:
    make, parsed = NOT_EXPORTS[name]
    d = tmp_path / "input"
    d.mkdir()
    path = make(d)
    before = table_counts(stored.case)
    with pytest.raises(BadInput) as info:
        run(stored.case, path)
    err = info.value
    assert not isinstance(err, UnsafeInput)
    assert err.file is not None and err.file.startswith(str(d)), err
    assert "Telegram" in err.message or "no such file" in err.message or "zip" in err.message, err
    if parsed:
        assert err.file == str((d / "result.json").resolve())
        assert err.place is not None and err.place.startswith("byte ")
    else:
        assert table_counts(stored.case) == before  # refused before anything was registered
    assert_intact(stored)


def test_trailing_data_after_the_export(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    data = write_export(folder, n=3) + b"\n{}"
    (folder / "result.json").write_bytes(data)
    with pytest.raises(BadInput) as info:
        run(stored.case, folder)
    assert place_of(info.value) == len(data) - 2 and "after the end" in info.value.message
    assert_intact(stored)


# ---------------------------------------------------------------------------------------------
# Media paths that leave the export


def test_unsafe_media_paths_are_refused_and_noted(stored: Stored, tmp_path: Path) -> None:
    case = stored.case
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.jpg"
    secret.write_bytes(b"\xff\xd8 a file outside the export \xff\xd9")
    folder = tmp_path / "export"
    (folder / "photos").mkdir(parents=True)
    os.symlink(secret, folder / "photos" / "link.jpg")
    unsafe = {
        4: "../outside/secret.jpg",
        5: str(secret),  # absolute
        6: "photos/link.jpg",  # a symlink inside the export that leads out of it
        7: "photos\\..\\..\\outside\\secret.jpg",
        8: "C:\\outside\\secret.jpg",
    }
    write_export(folder, n=10, photos=unsafe)
    result = run(case, folder)
    assert result.status == "complete"
    assert chat_message_ids(case) == list(range(1, 11))
    c = result.report["counters"]
    assert c["media_unsafe"] == len(unsafe) and c["media_present"] == 1  # message 3's photo

    rows = {
        r.message_id: r
        for r in q(
            case,
            select(
                messages.c.message_id,
                messages.c.byte_offset,
                media.c.relpath,
                media.c.present,
                media.c.issue,
                media.c.file_evidence_id,
            )
            .join(media, media.c.message_pk == messages.c.id)
            .where(messages.c.first_import_id == result.import_id),
        )
    }
    for mid, path in unsafe.items():
        r = rows[mid]
        assert (r.relpath, r.present, r.issue, r.file_evidence_id) == (path, False, "unsafe_path", None)
    assert rows[3].present and rows[3].issue is None

    notices = q(
        case,
        select(import_log).where(
            import_log.c.import_id == result.import_id, import_log.c.code == "unsafe_media_path"
        ),
    )
    result_json = evidence_id_of(case, folder / "result.json")
    assert sorted(n.byte_offset for n in notices) == sorted(rows[m].byte_offset for m in unsafe)
    assert {n.evidence_id for n in notices} == {result_json}
    for n in notices:
        mid = next(m for m in unsafe if rows[m].byte_offset == n.byte_offset)
        assert repr(unsafe[mid]) in n.message
    assert len([w for w in result.report["warnings"] if w["code"] == "unsafe_media_path"]) == len(unsafe)

    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    registered = q(case, select(evidence.c.sha256, evidence.c.original_path))
    assert all(
        r.sha256 != digest and "outside" not in r.original_path and "link.jpg" not in r.original_path
        for r in registered
    )
    assert_intact(stored)


# ---------------------------------------------------------------------------------------------
# Zip exports


def _content(case: Case) -> dict[str, Any]:
    """What an import stored, in terms that do not depend on database ids or the container."""
    msgs = q(
        case,
        select(
            messages.c.message_id,
            messages.c.text,
            messages.c.date_utc,
            messages.c.byte_offset,
            messages.c.content_hash,
            accounts.c.key,
        )
        .join(accounts, accounts.c.id == messages.c.sender_id, isouter=True)
        .order_by(messages.c.message_id),
    )
    med = q(
        case,
        select(messages.c.message_id, media.c.relpath, media.c.present, media.c.issue, evidence.c.sha256)
        .join(media, media.c.message_pk == messages.c.id)
        .join(evidence, evidence.c.id == media.c.file_evidence_id, isouter=True)
        .order_by(messages.c.message_id),
    )
    log = q(
        case, select(import_log.c.kind, import_log.c.code, import_log.c.byte_offset).order_by(import_log.c.id)
    )
    return {
        "messages": [tuple(r) for r in msgs],
        "media": [tuple(r) for r in med],
        "log": [tuple(r) for r in log],
    }


def test_zip_imports_like_the_folder(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=25, texts={5: "escape\x02"})
    archive = zip_folder(folder, tmp_path / "ChatExport_2026-03-01.zip")
    from_zip = run(case, archive)
    assert from_zip.status == "complete"

    clean = init_case(tmp_path / "clean_case", operator=OPERATOR)
    try:
        from_folder = run(clean, folder)
        assert _content(case) == _content(clean)
        for key in ("counters", "chats", "date_range", "warnings", "possibly_deleted_flagged"):
            assert from_zip.report[key] == from_folder.report[key], key
    finally:
        clean.close()
    assert from_zip.report["counters"]["media_present"] == 3

    # Evidence: the zip itself, and its members cited inside it.
    rows = q(case, select(evidence.c.kind, evidence.c.original_path).order_by(evidence.c.id))
    zip_path = str(archive.resolve())
    assert rows[0].kind == "export" and rows[0].original_path == zip_path
    assert all(r.original_path.startswith(f"{zip_path}!{PREFIX}") for r in rows[1:])
    assert f"{zip_path}!{PREFIX}result.json" in {r.original_path for r in rows}
    with case.engine.begin() as conn:
        assert {v.status for v in verify(conn, OPERATOR)} == {"unchanged"}
    assert run(case, archive).status == "unchanged"  # the same zip again: nothing to do


def _hostile(
    name: str, mode: int | None = None, data: bytes = b"synthetic\n"
) -> Callable[[zipfile.ZipFile], None]:
    def add(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        zf.writestr(info, data)

    return add


HOSTILE = {
    "dotdot": (_hostile("../evil.txt"), "../evil.txt"),
    "absolute": (_hostile("/abs.txt"), "/abs.txt"),
    "nested_dotdot": (_hostile(PREFIX + "photos/../../../evil.txt"), "photos/../../../evil.txt"),
    "backslash_dotdot": (_hostile(PREFIX + "..\\..\\evil.txt"), "..\\..\\evil.txt"),
    "drive_letter": (_hostile("C:/Windows/evil.txt"), "C:/Windows/evil.txt"),
    "symlink": (
        _hostile(PREFIX + "photos/link.jpg", stat.S_IFLNK | 0o777, b"/etc/hostname"),
        PREFIX + "photos/link.jpg",
    ),
}


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> Iterator[SourceRecord]:
        raise AssertionError("result.json must not be parsed")

    monkeypatch.setattr(importer, "read_json_export", refuse)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_zip_with_hostile_member_is_refused(
    stored: Stored, tmp_path: Path, no_parsing: None, name: str
) -> None:
    add, member = HOSTILE[name]
    folder = tmp_path / "export"
    write_export(folder, n=5)
    archive = zip_folder(folder, tmp_path / "hostile.zip", extra=add)
    before = table_counts(stored.case)
    with pytest.raises(UnsafeInput) as info:
        run(stored.case, archive)
    err = info.value
    assert err.file is not None and err.file.startswith(f"{archive}!") and member in err.file, err
    assert member in str(err)
    if name == "symlink":
        assert "symbolic link" in err.message
    assert table_counts(stored.case) == before
    assert not (tmp_path / "evil.txt").exists()
    assert_intact(stored)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid small export plus a 200 MB member of zeros, deflated to about 200 KB."""
    d = tmp_path_factory.mktemp("bomb")
    write_export(d / "export", n=3)

    def add(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(PREFIX + "video_files/clip.mp4")
        info.compress_type = zipfile.ZIP_DEFLATED
        zeros = bytes(1 << 20)
        with zf.open(info, "w") as f:
            for _ in range(200):
                f.write(zeros)

    archive = zip_folder(d / "export", d / "bomb.zip", extra=add)
    assert archive.stat().st_size < 2 * 1024 * 1024
    return archive


def test_zip_bomb_is_refused_before_parsing(stored: Stored, zip_bomb: Path, no_parsing: None) -> None:
    member = zipfile.ZipFile(zip_bomb).getinfo(PREFIX + "video_files/clip.mp4")
    assert member.file_size > container_mod.MAX_ZIP_RATIO_MIN_SIZE
    assert member.file_size / member.compress_size > container_mod.MAX_ZIP_RATIO
    before = table_counts(stored.case)
    with pytest.raises(UnsafeInput) as info:
        run(stored.case, zip_bomb)
    err = info.value
    assert err.file == f"{zip_bomb}!{PREFIX}video_files/clip.mp4"
    assert "decompression bomb" in err.message and str(member.file_size) in err.message
    assert table_counts(stored.case) == before
    assert_intact(stored)


def _damage_member(archive: Path, name: str) -> None:
    """Flip a byte in the middle of a member's compressed data (the zip's directory stays valid)."""
    info = zipfile.ZipFile(archive).getinfo(name)
    data = bytearray(archive.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x55
    archive.write_bytes(bytes(data))


def test_zip_with_damaged_result_json(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=20)
    archive = zip_folder(folder, tmp_path / "damaged.zip")
    _damage_member(archive, PREFIX + "result.json")
    with pytest.raises(BadInput) as info:
        run(stored.case, archive)
    err = info.value
    assert err.file == f"{archive}!{PREFIX}result.json" and "damaged zip member" in err.message
    assert_intact(stored)


def test_zip_with_a_damaged_photo_imports_the_rest(stored: Stored, tmp_path: Path) -> None:
    """One unreadable media file is noted against its message; it does not cost the export."""
    folder = tmp_path / "export"
    write_export(folder, chat_id=777, n=20)
    archive = zip_folder(folder, tmp_path / "damaged.zip")
    member = "photos/photo_13@14-11-2023_23-00-00.jpg"
    _damage_member(archive, PREFIX + member)
    result = run(stored.case, archive)
    assert result.status == "complete" and result.report["counters"]["messages"] == 20
    rows = q(stored.case, select(media.c.relpath, media.c.present, media.c.issue).order_by(media.c.relpath))
    assert [tuple(r) for r in rows if r.relpath == member][-1] == (member, False, "unreadable")
    notes = [w for w in result.report["warnings"] if w["code"] == "unreadable_media"]
    assert len(notes) == 1 and "message 13" in notes[0]["message"] and notes[0]["file"] == "result.json"
    assert_intact(stored)


def test_a_renamed_json_file_is_not_taken_for_its_folder(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=5)
    (folder / "notes.json").write_text("{}")
    with pytest.raises(BadInput, match=r"named result\.json") as info:
        run(stored.case, folder / "notes.json")
    assert info.value.file == str(folder / "notes.json")
    assert_intact(stored)


def test_evidence_verify_of_a_zip_that_was_damaged(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=20)
    archive = zip_folder(folder, tmp_path / "export.zip")
    run(case, archive)
    _damage_member(archive, PREFIX + "result.json")
    with case.engine.begin() as conn:
        status = {v.original_path: v.status for v in verify(conn, OPERATOR)}
    zip_path = str(archive.resolve())
    assert status[zip_path] == "changed"
    assert status[f"{zip_path}!{PREFIX}result.json"] == "changed"
    assert status[f"{zip_path}!{PREFIX}photos/photo_3@14-11-2023_23-00-00.jpg"] == "unchanged"
    archive.unlink()
    with case.engine.begin() as conn:
        assert {v.status for v in verify(conn, OPERATOR)} == {"missing"}


# ---------------------------------------------------------------------------------------------
# Interrupted import, resumed


def _store_state(case: Case) -> dict[str, Any]:
    """An import's outcome without ids: messages, sightings, log, media, names, exporter records."""
    keyed = (
        select(messages.c.id, chats.c.key.label("chat"), messages.c.message_id)
        .join(chats, chats.c.id == messages.c.chat_id)
        .subquery()
    )
    return {
        "messages": [
            tuple(r)
            for r in q(
                case,
                select(
                    chats.c.key,
                    messages.c.message_id,
                    messages.c.text,
                    messages.c.date_utc,
                    messages.c.byte_offset,
                    messages.c.content_hash,
                    messages.c.possibly_deleted,
                )
                .join(chats, chats.c.id == messages.c.chat_id)
                .order_by(chats.c.key, messages.c.message_id),
            )
        ],
        "sightings": scalar(case, select(func.count()).select_from(message_sightings)),
        "media": sorted(
            tuple(r)
            for r in q(
                case,
                select(
                    keyed.c.chat,
                    keyed.c.message_id,
                    media.c.relpath,
                    media.c.present,
                    media.c.issue,
                    media.c.placeholder,
                ).join(keyed, keyed.c.id == media.c.message_pk),
            )
        ),
        "log": Counter(
            tuple(r)
            for r in q(
                case,
                select(import_log.c.kind, import_log.c.code, import_log.c.byte_offset, import_log.c.message),
            )
        ),
        "chat_imports": sorted(
            tuple(r)
            for r in q(
                case,
                select(
                    chats.c.key,
                    chat_imports.c.coverage,
                    chat_imports.c.first_utc,
                    chat_imports.c.last_utc,
                    chat_imports.c.n_messages,
                    chat_imports.c.complete,
                ).join(chats, chats.c.id == chat_imports.c.chat_id),
            )
        ),
        "names": sorted(
            tuple(r)
            for r in q(
                case,
                select(
                    accounts.c.key,
                    account_names.c.name_kind,
                    account_names.c.value,
                    account_names.c.n_seen,
                    account_names.c.first_seen_utc,
                    account_names.c.last_seen_utc,
                ).join(accounts, accounts.c.id == account_names.c.account_id),
            )
        ),
        "exporter_records": sorted(
            tuple(r)
            for r in q(
                case,
                select(
                    exporter_records.c.section,
                    exporter_records.c.idx,
                    exporter_records.c.name,
                    exporter_records.c.byte_offset,
                    exporter_records.c.data,
                ),
            )
        ),
        "exporter": sorted(
            str(r.key)
            for r in q(
                case,
                select(accounts.c.key)
                .join(exporter_records, exporter_records.c.exporter_account_id == accounts.c.id)
                .distinct(),
            )
        ),
    }


@pytest.mark.parametrize("layout", ["single_chat", "full_account"])
def test_interrupted_import_resumes_from_its_checkpoint(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    folder = tmp_path / "export"
    if layout == "single_chat":
        facts = write_large_export(folder / "result.json", 300, n_accounts=40, seed=3)
        total = facts["messages"]
    else:
        write_full_export(folder, per_chat=100)
        total = 300
    monkeypatch.setattr(importer, "CHECKPOINT_EVERY", 40)
    monkeypatch.setattr(importer, "BATCH", 15)
    reader = CountingReader(monkeypatch)

    reader.crash_after = 130
    with pytest.raises(VeilleurError, match=r"stopped by an internal error \(RuntimeError\)") as info:
        run(case, folder)
    assert isinstance(info.value.__cause__, RuntimeError)  # for a developer; its text is not stored
    row = import_row(case)
    assert (row.status, row.error) == ("failed", "RuntimeError")
    assert row.checkpoint_offset is not None
    assert scalar(case, select(func.count()).select_from(messages)) == 120  # three checkpoints of 40

    reader.crash_after = None
    result = run(case, folder)
    assert result.status == "complete" and result.resumed and result.import_id == row.id
    assert scalar(case, select(func.count()).select_from(imports)) == 1
    assert len(reader.yielded) == total - 120  # continued from the checkpoint, not from the start
    first_ids = sorted(reader.yielded)[:1]
    if layout == "single_chat":
        assert first_ids == [121]

    # The same as a clean import of the same export.
    clean = init_case(tmp_path / "clean_case", operator=OPERATOR)
    try:
        expected = run(clean, folder)
        assert len(reader.yielded) == total
        assert _store_state(case) == _store_state(clean)
    finally:
        clean.close()
    for key in ("counters", "chats", "date_range", "warnings", "possibly_deleted_flagged", "files"):
        assert result.report[key] == expected.report[key], key
    c = result.report["counters"]
    assert c["messages"] == c["new"] == total
    assert sum(ch["messages"] for ch in result.report["chats"]) == total
    log = q(case, select(import_log.c.kind))
    assert c["repairs"] == sum(1 for r in log if r.kind == "repair")
    assert c["notices"] == sum(1 for r in log if r.kind == "notice")
    if layout == "full_account":
        assert c["exporter_records"] == 5  # about, personal_information, contacts (about + 1), chats.about
        assert c["repairs"] == 1 + 2 * total  # the bio, and each message's text and text_entities
        assert _store_state(case)["exporter"] == [f"telegram:user:{ALICE.id}"]


def test_resuming_with_another_utc_offset_is_refused(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One import must not mix two offsets: resume it as it was started."""
    folder = tmp_path / "export"
    write_large_export(folder / "result.json", 200, n_accounts=20, seed=4)
    monkeypatch.setattr(importer, "CHECKPOINT_EVERY", 40)
    reader = CountingReader(monkeypatch)
    reader.crash_after = 90
    with pytest.raises(VeilleurError, match="stopped by an internal error"):
        run(case, folder, utc_offset=utc_offset("+01:00"))
    reader.crash_after = None
    with pytest.raises(VeilleurError, match=r"used --utc-offset UTC\+01:00"):
        run(case, folder, utc_offset=utc_offset("+02:00"))
    assert run(case, folder, utc_offset=utc_offset("+01:00")).resumed


# ---------------------------------------------------------------------------------------------
# Evidence verification and the command line


def test_evidence_verify_reports_changed_and_missing(stored: Stored, tmp_path: Path) -> None:
    case = stored.case
    runner = CliRunner()
    args = ["--case", str(case.root), "--operator", OPERATOR, "evidence", "verify"]
    ok = runner.invoke(cli.cli, args)
    assert ok.exit_code == 0, ok.output
    assert "3 evidence files checked, 0 changed or missing" in ok.output

    folder = tmp_path / "good_export"
    result_json = folder / "result.json"
    photo = next((folder / "photos").iterdir())
    data = bytearray(result_json.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    result_json.write_bytes(bytes(data))
    photo.unlink()

    with case.engine.begin() as conn:
        status = {v.original_path: (v.status, v.found) for v in verify(conn, OPERATOR)}
    assert status[str(result_json)][0] == "changed"
    assert status[str(result_json)][1] == hashlib.sha256(bytes(data)).hexdigest()
    assert status[str(photo)] == ("missing", None)
    assert [s for s, _ in status.values()].count("unchanged") == 1

    bad = runner.invoke(cli.cli, args)
    assert bad.exit_code == 1
    assert "CHANGED" in bad.output and "MISSING" in bad.output
    assert "3 evidence files checked, 2 changed or missing" in bad.output


def test_cli_import_error_is_one_line_with_file_and_place(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "saisie [scellé 1]" / "export"  # brackets must not be read as markup
    data = write_export(folder, n=10)
    cut = data.index(b'"message 7 ') + 5
    (folder / "result.json").write_bytes(data[:cut])
    monkeypatch.setattr(
        sys, "argv", ["veilleur", "--case", str(case.root), "--operator", OPERATOR, "import", str(folder)]
    )
    monkeypatch.setenv("COLUMNS", "40")
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 3  # ExitCode.ERROR
    err = capsys.readouterr().err.strip()
    file = str((folder / "result.json").resolve())
    at = data.index(b'"message 7 ')
    assert err == f"error: {file}: byte {at}: file ends inside a string (truncated?)"


# ---------------------------------------------------------------------------------------------
# Two imports at once


HOLDER = """
import sys, time
from pathlib import Path
from veilleur.case import open_case
case = open_case(Path(sys.argv[1]))
with case.exclusive("import"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_import_at_the_same_time_is_refused_and_a_dead_holder_frees_the_case(
    stored: Stored, tmp_path: Path
) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(stored.case.root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        folder = tmp_path / "second"
        write_export(folder, chat_id=901, n=3, title="Second")
        with pytest.raises(CaseError, match="another import into this case is running"):
            run(stored.case, folder)
        assert scalar(stored.case, select(func.count()).select_from(imports)) == 1  # nothing begun
        assert_intact(stored)
    finally:
        other.kill()  # as a crash would: the operating system (or PostgreSQL) drops the lock
        other.wait()
    assert run(stored.case, folder).status == "complete"


# ---------------------------------------------------------------------------------------------
# Only regular files are read: a FIFO, socket or device is refused with its path, never waited on


def test_a_fifo_given_as_the_export_is_refused_unread(stored: Stored, tmp_path: Path) -> None:
    before = table_counts(stored.case)
    for name in ("ChatExport_2026-03-01.zip", "result.json", "messages.html", "export"):
        fifo = make_fifo(tmp_path / name)
        with no_hang(), pytest.raises(NotRegularFile) as info:
            run(stored.case, fifo)
        assert info.value.file == str(fifo) and "FIFO" in info.value.message, info.value
        assert isinstance(info.value, UnsafeInput)
    assert table_counts(stored.case) == before  # refused before anything was registered
    assert_intact(stored)


@pytest.mark.parametrize("rel", ["result.json", "messages2.html", "chats/chat_01/messages.html"])
def test_a_fifo_standing_for_a_file_the_import_parses_refuses_the_export(
    stored: Stored, tmp_path: Path, rel: str
) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=5)
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    fifo = make_fifo(folder / rel)
    before = table_counts(stored.case)
    with no_hang(), pytest.raises(NotRegularFile) as info:
        run(stored.case, folder)
    assert info.value.file == str(fifo.resolve()) and "FIFO" in info.value.message, info.value
    assert table_counts(stored.case) == before
    assert_intact(stored)


def test_a_fifo_or_a_socket_standing_for_a_media_file_costs_that_file_only(
    stored: Stored, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    write_export(folder, chat_id=778, n=25)  # photos on messages 3, 13 and 23
    fifo = make_fifo(folder / "photos" / "photo_13@14-11-2023_23-00-00.jpg")
    sock = make_socket(folder / "photos" / "photo_23@14-11-2023_23-00-00.jpg")
    try:
        with no_hang():
            result = run(stored.case, folder)
    finally:
        sock.close()
    assert result.status == "complete" and result.report["counters"]["messages"] == 25
    c = result.report["counters"]
    assert (c["media_present"], c["media_unsafe"]) == (1, 2)
    rows = q(
        stored.case,
        select(messages.c.message_id, media.c.relpath, media.c.present, media.c.issue)
        .join(media, media.c.message_pk == messages.c.id)
        .where(messages.c.first_import_id == result.import_id)
        .order_by(messages.c.message_id),
    )
    assert [(r.message_id, r.present, r.issue) for r in rows] == [
        (3, True, None),
        (13, False, "unsafe_path"),
        (23, False, "unsafe_path"),
    ]
    notes = {
        w["message"].split(":")[0]: w for w in result.report["warnings"] if w["code"] == "unsafe_media_path"
    }
    assert set(notes) == {"message 13", "message 23"}
    assert "photo_13@14-11-2023_23-00-00.jpg" in notes["message 13"]["message"]
    assert "FIFO" in notes["message 13"]["message"] and "socket" in notes["message 23"]["message"]
    assert all(n["file"] == "result.json" for n in notes.values())
    registered = {r.original_path for r in q(stored.case, select(evidence.c.original_path))}
    assert not registered & {str(fifo), str(folder / "photos" / "photo_23@14-11-2023_23-00-00.jpg")}
    assert_intact(stored)


def test_evidence_verify_refuses_a_fifo_or_a_device_where_evidence_was(
    stored: Stored, tmp_path: Path
) -> None:
    case = stored.case
    photos = sorted((tmp_path / "good_export" / "photos").iterdir())
    assert len(photos) == 2
    make_fifo(photos[0])
    photos[1].unlink()
    os.symlink("/dev/zero", photos[1])  # read to its end, it never ends
    with no_hang(), case.engine.begin() as conn:
        status = {v.original_path: (v.status, v.found) for v in verify(conn, OPERATOR)}
    assert status[str(photos[0])] == ("changed", None)
    assert status[str(photos[1])] == ("changed", None)
    assert [s for s, _ in status.values()].count("unchanged") == 1  # result.json
    details = {
        r.original_path: r.detail
        for r in q(
            case,
            select(evidence.c.original_path, custody_events.c.detail)
            .join(custody_events, custody_events.c.evidence_id == evidence.c.id)
            .where(custody_events.c.event == "changed"),
        )
    }
    assert "FIFO" in details[str(photos[0])] and "not a regular file" in details[str(photos[0])]
    assert "character device" in details[str(photos[1])]

    args = ["--case", str(case.root), "--operator", OPERATOR, "evidence", "verify"]
    with no_hang():
        bad = CliRunner().invoke(cli.cli, args)
    assert bad.exit_code == 1, bad.output
    assert bad.output.count("CHANGED") == 2 and "3 evidence files checked, 2 changed or missing" in bad.output


def test_cli_import_of_a_fifo_is_one_line_naming_it(case: Case, tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "export.zip")
    args = ["--case", str(case.root), "--operator", OPERATOR, "import", str(fifo)]
    with no_hang():
        res = CliRunner().invoke(cli.cli, args)
    assert res.exit_code == 3 and isinstance(res.exception, SystemExit), (res.exception, res.output)
    assert str(fifo) in res.output and "FIFO" in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------------------------------------
# Zips: counted before their directory is parsed; encrypted and corrupt ones named


def _end_record(data: bytes) -> tuple[int, int, int]:
    """(position, central directory size, offset) of a zip written by zipfile (no comment)."""
    at = len(data) - 22
    assert data[at : at + 4] == b"PK\x05\x06"
    size, offset = struct.unpack("<LL", data[at + 12 : at + 20])
    return at, size, offset


def _declare_members(archive: Path, declared: int, *, break_second_entry: bool = False) -> None:
    """Rewrite the end record to declare ``declared`` members (in a ZIP64 record beyond 65,535).

    ``break_second_entry`` damages the second central-directory entry: parsing the whole
    directory would then fail on it, so a refusal that names the count came before any parsing.
    """
    data = bytearray(archive.read_bytes())
    at, size, offset = _end_record(bytes(data))
    if break_second_entry:
        first_len = 46 + sum(struct.unpack("<3H", data[offset + 28 : offset + 34]))
        data[offset + first_len : offset + first_len + 4] = b"PK\x00\x00"
    body = bytes(data[:at])
    if declared <= 0xFFFF:
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, declared, declared, size, offset, 0)
        archive.write_bytes(body + end)
        return
    zip64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, size, offset, 0)
    archive.write_bytes(body + zip64 + locator + end)


def test_a_zip_declaring_more_members_than_allowed_is_refused_before_its_directory_is_parsed(
    stored: Stored, tmp_path: Path, no_parsing: None
) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=5)
    archive = zip_folder(folder, tmp_path / "many.zip")
    assert container_mod.MAX_ZIP_MEMBERS == 5_000_000
    _declare_members(archive, 6_000_000, break_second_entry=True)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(archive)  # what a full parse of this directory meets: the damage
    before = table_counts(stored.case)
    with pytest.raises(UnsafeInput) as info:
        run(stored.case, archive)
    err = info.value
    assert err.file == str(archive) and "declares 6,000,000 members, more than 5,000,000" in err.message
    assert table_counts(stored.case) == before
    assert_intact(stored)


def _many_members(dest: Path, n: int) -> Path:
    folder = dest.with_suffix("")
    write_export(folder, n=3)

    def add(zf: zipfile.ZipFile) -> None:
        for i in range(n):
            zf.writestr(f"{PREFIX}files/note_{i:03}.txt", b"x")

    return zip_folder(folder, dest, extra=add)


def test_a_zip_holding_more_members_than_its_end_record_declares_is_counted(
    stored: Stored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container_mod, "MAX_ZIP_MEMBERS", 20)
    honest = _many_members(tmp_path / "honest.zip", 30)  # 33: the folder, result.json, a photo
    before = table_counts(stored.case)
    with pytest.raises(UnsafeInput, match="declares 33 members, more than 20"):
        run(stored.case, honest)
    lying = _many_members(tmp_path / "lying.zip", 30)
    _declare_members(lying, 2)  # zipfile would parse all 33 entries whatever this says
    assert len(zipfile.ZipFile(lying).infolist()) == 33
    with pytest.raises(UnsafeInput) as info:
        run(stored.case, lying)
    assert info.value.file == str(lying)
    assert "holds more than 20 members (its end record declares 2)" in info.value.message
    assert table_counts(stored.case) == before
    monkeypatch.setattr(container_mod, "MAX_ZIP_MEMBERS", 33)
    assert run(stored.case, lying).status == "complete"  # at the limit, the same zip is read
    assert_intact(stored)


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


def zipcrypto(data: bytes, password: bytes, crc: int) -> bytes:
    """Traditional PKWARE encryption (APPNOTE 6.1), as ``zip -e`` writes it."""
    table = _crc_table()
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(b: int) -> None:
        keys[0] = (keys[0] >> 8) ^ table[(keys[0] ^ b) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ table[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    for b in password:
        update(b)
    out = bytearray()
    for p in random.Random(5).randbytes(11) + bytes([crc >> 24]) + data:
        t = (keys[2] | 2) & 0xFFFF
        out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
        update(p)
    return bytes(out)


def raw_zip(
    dest: Path, members: dict[str, bytes], *, password: bytes, encrypted: Callable[[str], bool]
) -> Path:
    """A zip written byte by byte (stored members), those ``encrypted`` says with ZipCrypto."""
    out = bytearray()
    central = bytearray()
    for name, data in members.items():
        crc = zlib.crc32(data)
        secret = encrypted(name)
        body = zipcrypto(data, password, crc) if secret else data
        flags = 0x800 | (0x1 if secret else 0)
        raw_name = name.encode()
        offset = len(out)
        sizes = (crc, len(body), len(data), len(raw_name), 0)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 0, 0, 0x21, *sizes) + raw_name + body
        entry = (*sizes, 0, 0, 0, 0o100644 << 16, offset)
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 0, 0, 0x21, *entry) + raw_name
    n = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    dest.write_bytes(bytes(out + central + end))
    return dest


def _export_members(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {PREFIX + p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_an_encrypted_zip_is_refused_naming_it(stored: Stored, tmp_path: Path, no_parsing: None) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=5)
    members = _export_members(folder)
    archive = raw_zip(tmp_path / "locked.zip", members, password=b"s3cret", encrypted=lambda _n: True)
    with zipfile.ZipFile(archive) as zf:  # a genuine encrypted zip: it reads with its password
        assert zf.read(PREFIX + "result.json", pwd=b"s3cret") == members[PREFIX + "result.json"]
    before = table_counts(stored.case)
    with pytest.raises(BadInput) as info:
        run(stored.case, archive)
    err = info.value
    assert err.file == f"{archive}!{PREFIX}result.json"
    assert "encrypted (password-protected) zip" in err.message
    assert table_counts(stored.case) == before
    assert_intact(stored)


def test_an_encrypted_media_member_costs_that_file_only(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, chat_id=779, n=15)
    member = PREFIX + "photos/photo_13@14-11-2023_23-00-00.jpg"
    archive = raw_zip(
        tmp_path / "half.zip", _export_members(folder), password=b"pw", encrypted=lambda n: n == member
    )
    result = run(stored.case, archive)
    assert result.status == "complete" and result.report["counters"]["messages"] == 15
    assert result.report["counters"]["media_present"] == 1
    notes = [w for w in result.report["warnings"] if w["code"] == "unreadable_media"]
    assert len(notes) == 1 and "message 13" in notes[0]["message"] and "encrypted" in notes[0]["message"]
    assert f"{archive}!{member}" in notes[0]["message"]
    with stored.case.engine.begin() as conn:
        assert {v.status for v in verify(conn, OPERATOR)} == {"unchanged"}
    assert_intact(stored)


def _corrupt(data: bytes, how: str) -> bytes:
    at, size, offset = _end_record(data)
    b = bytearray(data)
    if how == "cut_in_directory":
        return data[: offset + size // 2]
    if how == "directory_past_the_end":
        b[at + 16 : at + 20] = struct.pack("<L", len(data) + 1000)
        b[at + 12 : at + 16] = struct.pack("<L", size)
    elif how == "entry_signature":
        b[offset : offset + 4] = b"PK\x09\x09"
    elif how == "utf8_name_not_utf8":
        flags = struct.unpack("<H", b[offset + 8 : offset + 10])[0]
        b[offset + 8 : offset + 10] = struct.pack("<H", flags | 0x800)
        b[offset + 46] = 0xFF
    elif how == "split_archive":
        b[at + 4 : at + 6] = struct.pack("<H", 1)
    elif how == "unknown_method":  # Deflate64 (9), which zipfile does not read
        first = struct.unpack("<L", b[offset + 42 : offset + 46])[0]
        for pos in (offset + 10, first + 8):
            b[pos : pos + 2] = struct.pack("<H", 9)
    elif how == "zip64_record_garbage":
        zip64 = b"PK\x06\x06" + bytes(52)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
        return bytes(b[:at]) + zip64 + locator + bytes(b[at:])
    return bytes(b)


CORRUPT = [
    "cut_in_directory",
    "directory_past_the_end",
    "entry_signature",
    "utf8_name_not_utf8",
    "split_archive",
    "unknown_method",
    "zip64_record_garbage",
]


def _read_all(path: Path) -> None:
    c = container_mod.open_container(path)
    try:
        for rel in c.files():
            with c.open(rel) as f:
                f.read()
    finally:
        c.close()


@pytest.mark.parametrize("how", CORRUPT)
def test_a_corrupt_zip_is_a_clear_error_naming_it(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=5)
    archive = tmp_path / "damaged.zip"
    members = {PREFIX + "result.json": (folder / "result.json").read_bytes()}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    archive.write_bytes(_corrupt(archive.read_bytes(), how))
    with pytest.raises(BadInput) as info:
        _read_all(archive)
    err = info.value
    assert err.file is not None and err.file.startswith(str(archive)), err
    assert "zip" in err.message, err


def test_randomly_damaged_zips_are_read_or_refused_never_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, n=8)
    good = zip_folder(folder, tmp_path / "good.zip")
    data = good.read_bytes()
    _at, _size, offset = _end_record(data)
    rng = random.Random(12)
    outcomes: Counter[str] = Counter()
    for i in range(150):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(offset, len(b))  # the central directory and the end record
            b[pos] = rng.randrange(256)
        path = tmp_path / f"fuzz_{i}.zip"
        path.write_bytes(bytes(b))
        try:
            _read_all(path)
            outcomes["read"] += 1
        except BadInput as e:
            assert e.file is not None and e.file.startswith(str(path)), e
            outcomes["refused"] += 1
    assert outcomes["refused"] > 20, outcomes


# ---------------------------------------------------------------------------------------------
# Folder exports: symbolic link loops and over-long names


def test_symbolic_link_loops_in_a_folder_export(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, chat_id=780, n=10, photos={4: "photos/loop_a.jpg"})
    os.symlink("loop_b.jpg", folder / "photos" / "loop_a.jpg")
    os.symlink("loop_a.jpg", folder / "photos" / "loop_b.jpg")
    os.symlink("self", folder / "photos" / "self")  # a folder link to itself: never walked into
    result = run(stored.case, folder)
    assert result.status == "complete" and result.report["counters"]["media_unsafe"] == 1
    notes = [w for w in result.report["warnings"] if w["code"] == "unsafe_media_path"]
    assert len(notes) == 1 and "message 4" in notes[0]["message"]
    assert "loop of symbolic links" in notes[0]["message"]

    other = tmp_path / "looped"
    write_export(other, chat_id=781, n=3)
    (other / "result.json").unlink()
    os.symlink("result.json", other / "result.json")
    with pytest.raises(NotRegularFile, match=r"result\.json is a loop of symbolic links") as info:
        run(stored.case, other)
    assert info.value.file == str((other / "result.json").absolute())

    paged = tmp_path / "paged"
    write_export(paged, chat_id=784, n=3)
    os.symlink("messages3.html", paged / "messages2.html")
    os.symlink("messages2.html", paged / "messages3.html")
    with pytest.raises(UnsafeInput, match=r"'messages2\.html' is a loop of symbolic links") as info:
        run(stored.case, paged)
    assert info.value.file == str(paged)
    assert_intact(stored)


def test_an_over_long_media_name_is_said_to_be_one(stored: Stored, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    long_name = "photos/" + "é" * 150 + ".jpg"  # 300 bytes in UTF-8: more than a name may hold
    deep = "/".join(["dossier"] * 600) + "/photo.jpg"  # over PATH_MAX once under the export
    write_export(folder, chat_id=782, n=10, photos={4: long_name, 5: deep})
    result = run(stored.case, folder)
    assert result.status == "complete" and result.report["counters"]["messages"] == 10
    notes = {
        w["message"].split(":")[0]: w["message"]
        for w in result.report["warnings"]
        if w["code"] == "unreadable_media"
    }
    assert set(notes) == {"message 4", "message 5"}
    assert "a name of 304 bytes" in notes["message 4"] and "255" in notes["message 4"]
    assert "longer than the 4096" in notes["message 5"]
    assert all(len(n) < 600 for n in notes.values())  # the name is shown shortened
    rows = q(
        stored.case,
        select(messages.c.message_id, media.c.issue)
        .join(media, media.c.message_pk == messages.c.id)
        .where(messages.c.first_import_id == result.import_id, messages.c.message_id.in_([4, 5])),
    )
    assert {r.message_id: r.issue for r in rows} == {4: "unreadable", 5: "unreadable"}
    assert_intact(stored)


def test_a_folder_nested_past_the_path_limit_is_an_error_not_a_silent_skip(
    stored: Stored, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    write_export(folder, chat_id=783, n=3)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(24):  # 24 names of 200 bytes: past PATH_MAX, reachable only step by step
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("messages2.html", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    with pytest.raises(BadInput, match="cannot be listed") as info:
        run(stored.case, folder)
    assert info.value.file is not None and info.value.file.startswith(str(folder.resolve()))
    assert_intact(stored)


# ---------------------------------------------------------------------------------------------
# One bad field never stops an import, nor what comes after it

SECRET = "texte confidentiel"
"""In every hostile message's text: no notice, stored error or printed line may carry it."""
CASE_IDS = CASE_MESSAGE_IDS


def png_of(shade: int) -> bytes:
    """A 1x1 grey PNG: one file, one digest, per shade."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes([0, shade])))
        + chunk(b"IEND", b"")
    )


def _pairs(i: int, body: str, shade: int, folder: Path, **over: Any) -> dict[str, Any]:
    """A message as Telegram Desktop writes it (with a photo of its own), then ``over`` set."""
    rel = f"photos/photo_{shade}@14-11-2023_23-00-00.jpg"
    (folder / rel).write_bytes(png_of(shade))
    msg = Message(
        i, T0 + i * 60, ALICE if i % 2 else BOB, (Part("plain", body),), media=Photo(FileRef(rel, 60), 1, 1)
    )
    pairs = message_pairs(msg, 3600)
    pairs.update(over)
    return pairs


def write_hostile_export(folder: Path, *, extra: int = 0) -> bytes:
    """A single-chat export with one value in each message that cannot be read as what it should
    be; ``extra`` good messages after them (a later export of the same chat)."""
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=True)
    w.begin_dialog("private_group", 555, "Groupe hostile")
    missing_id = _pairs(2, f"{SECRET} 2", 2, folder)
    del missing_id["id"]
    hostile: list[object] = [
        _pairs(1, f"{SECRET} 1", 1, folder),
        missing_id,
        _pairs(3, f"{SECRET} A", 3, folder),
        _pairs(3, f"{SECRET} B", 4, folder),  # the same id, another text
        _pairs(3, f"{SECRET} B", 4, folder),  # and again, the same
        _pairs(6, f"{SECRET} 6", 6, folder, date_unixtime="253402300800"),  # the year 10000
        _pairs(7, f"{SECRET} 7", 7, folder, date_unixtime=1e23),
        _pairs(8, f"{SECRET} 8", 8, folder, date_unixtime="-5"),
        _pairs(9, f"{SECRET} 9", 9, folder, id=2**63 + 5),
        _pairs(10, f"{SECRET} 10", 10, folder, id="12abc"),
        _pairs(11, f"{SECRET} 11", 11, folder, from_id=["user1001"]),
        _pairs(12, f"{SECRET} 12", 12, folder, text={"a": SECRET}),
        _pairs(13, f"{SECRET} 13", 13, folder, photo=42),
        14,  # not a message object at all
        *(_pairs(15 + k, f"{SECRET} {15 + k}", 15 + k, folder) for k in range(1 + extra)),
    ]
    for m in hostile:
        w.write_raw_message(w.serialize(m, w.depth))
    w.end_dialog()
    w.finish()
    data = buf.getvalue()
    (folder / "result.json").write_bytes(data)
    return data


def _cli(case: Case, *args: str) -> Any:
    result = CliRunner().invoke(cli.cli, ["--case", str(case.root), "--operator", OPERATOR, *args])
    assert "Traceback" not in result.output and SECRET not in result.output, result.output
    return result


def _outputs_run(case: Case, tmp_path: Path, folder: Path) -> None:
    """Hash, match against a list of the export's files, then every output: none may fail."""
    (tmp_path / "known.txt").write_text(
        "\n".join(hashlib.md5(p.read_bytes()).hexdigest() for p in sorted((folder / "photos").iterdir()))
        + "\n"
    )
    for args in (
        ["hash"],
        ["lists", "import", str(tmp_path / "known.txt"), "--name", "Known"],
        ["match"],
        ["summary"],
        ["summary", "--json"],
        ["report", "--out", str(tmp_path / "report"), "--no-pdf"],
        *(
            ["export", fmt, "--out", str(tmp_path / f"x_{fmt}")]
            for fmt in ("csv", "jsonl", "ftm", "cybertip", "vics")
        ),
    ):
        result = _cli(case, *args)
        assert result.exit_code == 0, (args, result.output)
    with case.engine.connect() as conn:
        flagged = conn.execute(select(func.count()).select_from(media_hashes)).scalar_one()
    assert flagged >= 10
    assert (tmp_path / "x_cybertip" / "manifest.json").exists()


def test_one_bad_field_never_stops_an_import_and_its_message_is_kept(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    data = write_hostile_export(folder)
    result = _cli(case, "import", str(folder))
    assert result.exit_code == 0, result.output
    row = import_row(case)
    assert (row.status, row.error) == ("complete", None)
    report = orjson.loads(row.report)
    c = report["counters"]
    assert (c["messages"], c["new"]) == (15, 15)
    assert (c["unreadable_fields"], c["messages_with_unreadable_fields"]) == (6, 6)
    assert (c["duplicate_ids"], c["case_message_ids"]) == (2, 6)

    stored = {
        r.message_id: r
        for r in q(case, select(messages).join(chats).where(chats.c.key == "telegram:chat:555"))
    }
    assert sorted(i for i in stored if i < CASE_IDS) == [1, 3, 6, 7, 8, 11, 12, 13, 15]
    made = [stored[CASE_IDS + k] for k in range(6)]  # in the order the export holds them
    reasons = [orjson.loads(m.details)["case_message_id"] for m in made]
    assert reasons == [
        {"reason": "missing_id"},
        {"reason": "duplicate_id", "exported_id": 3},
        {"reason": "duplicate_id", "exported_id": 3},
        {"reason": "unreadable_id"},
        {"reason": "unreadable_id"},
        {"reason": "not_an_object"},
    ]
    assert [m.text for m in made] == [
        f"{SECRET} 2",
        f"{SECRET} B",
        f"{SECRET} B",
        f"{SECRET} 9",
        f"{SECRET} 10",
        "",
    ]
    assert stored[3].text == f"{SECRET} A"  # the first keeps its id; neither is merged into the other
    raw_ids = [orjson.loads(m.details)["unreadable_fields"]["id"]["json"] for m in made[3:5]]
    assert raw_ids == [str(2**63 + 5), '"12abc"']
    assert orjson.loads(made[5].details)["unreadable_fields"]["message"]["json"] == "14"
    # What could be read is: the time from the local date, a sender by its name, the rest.
    six = stored[6]
    assert (six.date_utc, six.time_basis) == (T0 + 6 * 60 + 3600, "local_unknown_offset")
    assert orjson.loads(six.details)["unreadable_fields"]["date_unixtime"]["json"] == '"253402300800"'
    assert orjson.loads(stored[7].details)["unreadable_fields"]["date_unixtime"]["json"].startswith("9999999")
    assert (
        scalar(case, select(accounts.c.identity).where(accounts.c.id == stored[11].sender_id)) == "name_only"
    )
    assert stored[11].sender_name == ALICE.name
    assert stored[12].text == f"{SECRET} 12"  # from text_entities, as always when it is there
    assert orjson.loads(stored[13].details)["photo"] == 42

    # Each is a notice at its message's bytes; none says what the message says.
    log = q(case, select(import_log).where(import_log.c.kind == "notice").order_by(import_log.c.id))
    mine = [r for r in log if r.code in ("unreadable_field", "unreadable_message_id", "duplicate_message_id")]
    assert Counter(r.code for r in mine) == {
        "unreadable_field": 6,
        "unreadable_message_id": 4,
        "duplicate_message_id": 2,
    }
    offsets = {r.byte_offset for r in stored.values()}
    for r in mine:
        assert r.byte_offset in offsets and data[r.byte_offset : r.byte_offset + 1] in (b"{", b"1"), r
        assert r.chat_key == "telegram:chat:555"
    assert all(SECRET not in r.message for r in log)
    assert SECRET not in json.dumps(report["warnings"])
    by_offset = {r.byte_offset: r.message for r in mine}
    assert by_offset[stored[CASE_IDS + 1].byte_offset] == (
        f"message 3: a second message with this id in this chat, kept apart as message {CASE_IDS + 1}, an id "
        "the case made (details.case_message_id); neither merged into the first nor dropped"
    )
    assert by_offset[stored[6].byte_offset] == (
        "message 6: 'date_unixtime' cannot be read (after the year 9999; the time is read from 'date' "
        "instead); its JSON is kept in details.unreadable_fields"
    )
    assert by_offset[stored[CASE_IDS].byte_offset].startswith(
        f"a message without an id: kept as message {CASE_IDS},"
    )

    _outputs_run(case, tmp_path, folder)

    # A later export of the chat holds them again: kept again, and the first ones not taken for
    # deleted (no export can show a message again under an id the case made).
    later = tmp_path / "later"
    write_hostile_export(later, extra=1)
    again = _cli(case, "import", str(later))
    assert again.exit_code == 0, again.output
    r2 = orjson.loads(import_row(case).report)
    assert (r2["counters"]["case_message_ids"], r2["possibly_deleted_flagged"]) == (6, 0)
    assert r2["counters"]["unchanged"] == 9 and r2["counters"]["new"] == 6 + 1


def test_duplicates_are_found_across_batches_and_an_interrupted_import(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_checkpoints: None
) -> None:
    folder = tmp_path / "export"
    (folder / "photos").mkdir(parents=True)
    order = [*range(1, 11), 4, *range(11, 16), 9, 2]  # 4 and 9 again, after several batches
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=True)
    w.begin_dialog("private_group", 555, "G")
    for n, i in enumerate(order):
        w.write_raw_message(w.serialize(_pairs(i, f"{SECRET} {n}", n, folder), w.depth))
    w.end_dialog()
    w.finish()
    (folder / "result.json").write_bytes(buf.getvalue())

    clean = init_case(tmp_path / "clean_case", operator=OPERATOR)
    try:
        expected = run(clean, folder)
        expected_rows = _message_rows(clean)
    finally:
        clean.close()
    assert expected.report["counters"]["duplicate_ids"] == 3
    assert [i for i, _ in expected_rows] == [*range(1, 16), CASE_IDS, CASE_IDS + 1, CASE_IDS + 2]

    reader = CountingReader(monkeypatch)
    reader.crash_after = 13  # past the checkpoint after message 10; 4 again is read twice
    with pytest.raises(VeilleurError, match="stopped by an internal error"):
        run(case, folder)
    reader.crash_after = None
    result = run(case, folder)
    assert result.resumed and result.report["counters"]["duplicate_ids"] == 3
    assert _message_rows(case) == expected_rows
    for key in ("counters", "warnings"):
        assert result.report[key] == expected.report[key], key


def _message_rows(case: Case) -> list[tuple[int, str]]:
    return [(r.message_id, r.text) for r in q(case, select(messages).order_by(messages.c.message_id))]


def test_stored_dates_no_calendar_holds_stop_no_output(case: Case, tmp_path: Path) -> None:
    """A case imported before such dates were refused may hold them: every output still works."""
    folder = tmp_path / "hostile"
    write_hostile_export(folder)
    assert _cli(case, "import", str(folder)).exit_code == 0
    with case.engine.begin() as conn:
        conn.execute(update(messages).where(messages.c.message_id == 1).values(date_utc=253402300800))
        conn.execute(
            update(messages).where(messages.c.message_id == 3).values(date_utc=-(10**15), edited_utc=10**15)
        )
        conn.execute(update(chat_imports).values(first_utc=-(10**15), last_utc=253402300800))
    _outputs_run(case, tmp_path, folder)
    summary = orjson.loads(_cli(case, "summary", "--json").output)["summary"]
    # Message 2 (kept under a case id) is now the first; 8, timed from its local date, the last.
    assert summary["date_range"] == {"first": iso_utc(T0 + 2 * 60), "last": iso_utc(T0 + 8 * 60 + 3600)}


def test_a_database_error_is_one_line_and_stores_no_message_text(case: Case, tmp_path: Path) -> None:
    """Whatever stops an import, the analyst reads one line and the case keeps its kind, never
    the row the database refused (a driver's full error quotes it, message text included)."""
    folder = tmp_path / "export"
    write_export(folder, n=12, texts={7: f"{SECRET} 7"})
    with case.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.text LIKE '%confidentiel%' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            conn.exec_driver_sql(
                "ALTER TABLE messages ADD CONSTRAINT refuse CHECK (strpos(text, 'confidentiel') = 0)"
            )
    result = _cli(case, "import", str(folder))
    said = result.output.strip()
    assert result.exit_code == 3 and "\n" not in said and said.startswith("error: "), result.output
    assert (
        "stopped by an internal error" in result.output
        and "importing this export again resumes" in result.output
    )
    row = import_row(case)
    assert row.status == "failed" and SECRET not in row.error
    assert row.error in (
        "IntegrityError: refused by the test",
        'CheckViolation: new row for relation "messages" violates check constraint "refuse"',
    )


def test_a_hostile_export_read_by_a_second_process_is_stored_the_same(case: Case, tmp_path: Path) -> None:
    """Large exports are read in a child process: what it hands over carries the same notes."""
    folder = tmp_path / "hostile"
    write_hostile_export(folder)
    piped = run(case, folder, parallel=True)
    rows = select(messages.c.message_id, messages.c.details).order_by(messages.c.message_id)
    clean = init_case(tmp_path / "clean_case", operator=OPERATOR)
    try:
        here = run(clean, folder, parallel=False)
        expected = q(clean, rows)
    finally:
        clean.close()
    assert q(case, rows) == expected
    for key in ("counters", "warnings"):
        assert piped.report[key] == here.report[key], key
