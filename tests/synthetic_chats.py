"""Tiny synthetic Telegram Desktop chat exports (JSON), written and imported for ranking and
report tests: a few named people, each chat a list of who said what, in reply to what."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import select

from veilleur.analysis.indicators import run_indicators
from veilleur.case import Case
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.store.schema import accounts

ANNE, BRUNO, CHLOE, DAVID, EMMA, FRED = (
    (f"Synth {n}", f"user{i}") for i, n in enumerate(("Anne", "Bruno", "Chloé", "David", "Emma", "Fred"), 71)
)
Said = tuple[tuple[str, str], str, int | None]  # who, text, the message id it replies to


def chat_export(folder: Path, name: str, kind: str, chat_id: int, said: list[Said]) -> Path:
    """One chat as Telegram Desktop exports it (JSON), messages numbered from 1 a minute apart."""
    folder.mkdir(parents=True)
    msgs = []
    for i, (who, text, reply_to) in enumerate(said, 1):
        m: dict[str, object] = {
            "id": i,
            "type": "message",
            "date": f"2026-03-01T{10 + i // 60:02d}:{i % 60:02d}:00",
            "date_unixtime": str(1772359200 + 60 * i),
            "from": who[0],
            "from_id": who[1],
            "text": text,
            "text_entities": [{"type": "plain", "text": text}],
        }
        if reply_to is not None:
            m["reply_to_message_id"] = reply_to
        msgs.append(m)
    doc = {"name": name, "type": kind, "id": chat_id, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc))
    return folder


def import_chats(case: Case, tmp_path: Path, chats: dict[str, tuple[str, int, list[Said]]]) -> None:
    """Each chat (name: Telegram type, id, messages) exported and imported, then the indicators run."""
    for name, (kind, chat_id, said) in chats.items():
        import_export(case, chat_export(tmp_path / name, name, kind, chat_id, said), ImportOptions("t"))
    run_indicators(case, operator="t")


def key_id(case: Case, who: tuple[str, str]) -> int:
    """The store's id of a person's account."""
    key = f"telegram:user:{who[1].removeprefix('user')}"
    with case.engine.connect() as conn:
        return int(conn.execute(select(accounts.c.id).where(accounts.c.key == key)).scalar_one())
