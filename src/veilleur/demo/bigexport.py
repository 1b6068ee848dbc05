"""A large single-chat ``result.json`` for benchmarks, written in bounded memory.

Real investigations meet exports of hundreds of megabytes to tens of gigabytes, written by
Telegram Desktop block by block. This module produces one in the same byte format
(:mod:`veilleur.demo.tdesktop_json`: one-space indentation, ``\\xHH`` control escapes, string
``date_unixtime``, shifted ``reactions``...) with a mix close to a busy real supergroup: mostly
text, about a quarter with entity arrays, replies, forwards, photos saved or skipped, service
messages, reactions, edits, texts in several scripts. No media file is written.

Messages are generated and serialised one at a time and flushed every megabyte, so memory stays
flat whatever ``n_messages`` is. One million messages take well under a minute.
"""

from __future__ import annotations

import bisect
import random
import time
from pathlib import Path

from veilleur.demo.tdesktop_json import JsonWriter, Raw, Shifted, local_iso

__all__ = ["write_large_export"]

TZ = 3600
CHAT_ID = 1823456789
_START = 1_735_686_000  # 2025-01-01T00:00:00+01:00

_WORDS = {
    "latin": [
        "bonjour",
        "merci",
        "demain",
        "sortie",
        "rendez-vous",
        "gare",
        "parking",
        "sentier",
        "refuge",
        "lac",
        "soleil",
        "pluie",
        "photo",
        "groupe",
        "voiture",
        "matin",
        "soir",
        "week-end",
        "carte",
        "itinéraire",
        "montée",
        "descente",
        "pause",
        "hello",
        "thanks",
        "tomorrow",
        "meeting",
        "train",
        "station",
        "weather",
        "coffee",
        "ready",
        "later",
        "great",
    ],
    "cyrillic": [
        "привет",
        "спасибо",
        "завтра",
        "встреча",
        "вокзал",
        "погода",
        "кофе",
        "утром",
        "вечером",
        "отлично",
        "дорога",
        "гора",
        "озеро",
        "машина",
        "фото",
        "группа",
    ],
    "arabic": [
        "مرحبا",
        "شكرا",
        "غدا",
        "لقاء",
        "محطة",
        "طقس",
        "قهوة",
        "صباحا",
        "مساء",
        "ممتاز",
        "طريق",
        "جبل",
        "بحيرة",
        "سيارة",
        "صورة",
    ],
    "cjk": [
        "こんにちは",
        "ありがとう",
        "明日",
        "駅",
        "天気",
        "コーヒー",
        "朝",
        "夜",
        "山",
        "湖",
        "写真",
        "你好",
        "谢谢",
        "明天",
        "车站",
        "天气",
    ],
}
_EMOJI = [
    "\U0001f44d",
    "\U0001f602",
    "\u2764\ufe0f",
    "\U0001f525",
    "\U0001f3d4\ufe0f",
    "\U0001f64f",
    "\U0001f60a",
    "\U0001f389",
    "\u2600\ufe0f",
    "\U0001f332",
]
_SCRIPTS = ["latin"] * 6 + ["cyrillic"] * 2 + ["arabic", "cjk"]


def _make_text(rng: random.Random) -> str:
    words = _WORDS[rng.choice(_SCRIPTS)]
    target = 20 + int(180 * rng.random() ** 6)  # 20-200 chars, mostly short as in real chats
    out: list[str] = []
    length = 0
    while length < target:
        w = rng.choice(words) if rng.random() > 0.08 else rng.choice(_EMOJI)
        out.append(w)
        length += len(w) + 1
    text = " ".join(out)
    if rng.random() < 0.05:
        text = text.replace(" ", "\n", 1)
    return text[:200]


class _Accounts:
    def __init__(self, rng: random.Random, n: int) -> None:
        first = [
            "Alex",
            "Camille",
            "Sam",
            "Noa",
            "Lou",
            "Yuki",
            "Olga",
            "Omar",
            "Lina",
            "Ivan",
            "Mia",
            "Ravi",
        ]
        last = ["Martin", "Petit", "Ivanova", "Sato", "Haddad", "Silva", "Novak", "Kaya", "", "Rossi"]
        self.refs: list[str] = []
        self.names: list[str | None] = []
        for i in range(n):
            uid = 5_000_000_000 + i * 7919 + rng.randrange(0, 7000)
            self.refs.append(f"user{uid}")
            name = f"{rng.choice(first)} {rng.choice(last)}".strip()
            self.names.append(None if rng.random() < 0.02 else name)
        cum = 0.0
        self.cum: list[float] = []
        for i in range(n):  # a few very active members, a long tail of quiet ones
            cum += 1.0 / (1 + i % 400)
            self.cum.append(cum)

    def pick(self, rng: random.Random) -> int:
        return min(len(self.cum) - 1, bisect.bisect_right(self.cum, rng.random() * self.cum[-1]))


def _entity_text(rng: random.Random, text: str, acc: _Accounts) -> tuple[list[object], list[object]]:
    """Wrap one (sometimes two) entities into ``text``, as ``SerializeText`` prints them."""
    parts: list[tuple[str, str, object]] = []
    cut = rng.randint(0, min(40, len(text)))
    rest = text
    for _ in range(1 if rng.random() < 0.7 else 2):
        head, rest = rest[:cut], rest[cut:]
        if head:
            parts.append(("plain", head, None))
        kind = rng.choice(("bold", "link", "mention", "hashtag", "text_link", "mention_name", "italic"))
        extra: object = None
        if kind == "link":
            value = f"https://example.org/p/{rng.randrange(1, 99999)}"
        elif kind == "mention":
            value = f"@member_{rng.randrange(1, 9999)}"
        elif kind == "hashtag":
            value = "#" + rng.choice(("rando", "meteo", "photos", "sortie"))
        elif kind == "text_link":
            value, extra = "ce lien", f"https://example.org/t/{rng.randrange(1, 9999)}"
        elif kind == "mention_name":
            i = acc.pick(rng)
            value, extra = acc.names[i] or "Membre", int(acc.refs[i][4:])
        else:
            value = rng.choice(("important", "demain", "8h30", "merci"))
        parts.append((kind, value, extra))
        cut = rng.randint(0, min(20, len(rest)))
    if rest:
        parts.append(("plain", rest, None))
    mixed: list[object] = []
    objects: list[object] = []
    for kind, value, extra in parts:
        obj: dict[str, object] = {"type": kind, "text": value}
        if kind == "mention_name":
            obj["user_id"] = extra
        elif kind == "text_link":
            obj["href"] = extra
        objects.append(obj)
        mixed.append(value if kind == "plain" else obj)
    return mixed, objects


def write_large_export(path: Path, n_messages: int, n_accounts: int = 5000, seed: int = 1) -> dict[str, int]:
    """Write a ``private_supergroup`` single-chat export of ``n_messages`` messages to ``path``.

    Returns ``{"messages", "service", "escapes", "bytes"}``: messages written (service ones
    included), how many are service messages, ``\\xHH`` escapes written, file size in bytes.
    """
    rng = random.Random(seed)
    acc = _Accounts(rng, max(2, n_accounts))
    pool = [_make_text(rng) for _ in range(4096)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    service = 0
    date = _START
    photo_n = 0
    with path.open("wb") as fp:
        w = JsonWriter(fp, TZ, single_chat=True)
        w.begin_dialog("private_supergroup", CHAT_ID, "Benchmark \u2013 grand groupe")
        depth = w.depth
        for mid in range(1, n_messages + 1):
            date += rng.randint(1, 90)
            sender = acc.pick(rng)
            m: dict[str, object] = {"id": mid}
            roll = rng.random()
            if roll < 0.03:
                service += 1
                m["type"] = "service"
                m["date"] = local_iso(date, TZ)
                m["date_unixtime"] = str(date)
                m["actor"] = acc.names[sender]
                m["actor_id"] = acc.refs[sender]
                kind = rng.random()
                if kind < 0.4:
                    m["action"] = "join_group_by_link"
                    m["inviter"] = acc.names[acc.pick(rng)]
                elif kind < 0.7:
                    m["action"] = "invite_members"
                    m["members"] = [acc.names[acc.pick(rng)] for _ in range(rng.randint(1, 3))]
                elif kind < 0.9:
                    m["action"] = "remove_members"
                    m["members"] = [acc.names[sender]]
                else:
                    m["action"] = "pin_message"
                    m["message_id"] = max(1, mid - rng.randint(1, 50))
                m["text"] = ""
                m["text_entities"] = Raw("[]")
                w.write_raw_message(w.serialize(m, depth))
                continue
            m["type"] = "message"
            m["date"] = local_iso(date, TZ)
            m["date_unixtime"] = str(date)
            if rng.random() < 0.02:
                edited = date + rng.randint(30, 7200)
                m["edited"] = local_iso(edited, TZ)
                m["edited_unixtime"] = str(edited)
            m["from"] = acc.names[sender]
            m["from_id"] = acc.refs[sender]
            if rng.random() < 0.03:
                m["forwarded_from"] = acc.names[acc.pick(rng)] if rng.random() < 0.7 else "Canal infos"
            if mid > 1 and rng.random() < 0.12:
                m["reply_to_message_id"] = max(1, mid - rng.randint(1, 200))
            text = pool[rng.randrange(len(pool))]
            media = rng.random()
            if media < 0.06:
                photo_n += 1
                if rng.random() < 0.6:
                    t = time.gmtime(date + TZ)
                    m["photo"] = (
                        f"photos/photo_{photo_n}@{t.tm_mday:02d}-{t.tm_mon:02d}-{t.tm_year}_"
                        f"{t.tm_hour:02d}-{t.tm_min:02d}-{t.tm_sec:02d}.jpg"
                    )
                else:
                    m["photo"] = "(File not included. Change data exporting settings to download.)"
                m["photo_file_size"] = rng.randint(40_000, 400_000)
                m["width"], m["height"] = rng.choice([(1280, 960), (960, 1280), (1280, 720), (800, 600)])
                if rng.random() < 0.6:
                    text = ""
            elif media < 0.08:
                placeholder = "(File not included. Change data exporting settings to download.)"
                m["file"] = placeholder
                m["file_size"] = rng.randint(1_000_000, 60_000_000)
                m["thumbnail"] = placeholder
                m["thumbnail_file_size"] = rng.randint(3_000, 20_000)
                m["media_type"] = "video_file"
                m["mime_type"] = "video/mp4"
                m["duration_seconds"] = rng.randint(3, 300)
                m["width"], m["height"] = 1280, 720
            if text and rng.random() < 0.0008:
                cut = rng.randrange(len(text))
                text = text[:cut] + rng.choice("\x01\x02\x0b\x1f") + text[cut:]
            if text and rng.random() < 0.25:
                mixed, objects = _entity_text(rng, text, acc)
                m["text"] = mixed
                m["text_entities"] = objects
            else:
                m["text"] = text
                m["text_entities"] = [{"type": "plain", "text": text}] if text else Raw("[]")
            if rng.random() < 0.05:
                reactions = []
                for _ in range(rng.randint(1, 3)):
                    count = rng.randint(1, 12)
                    recent = [
                        {"from": acc.names[r], "from_id": acc.refs[r], "date": local_iso(date + 60, TZ)}
                        for r in (acc.pick(rng) for _ in range(min(count, 3)))
                    ]
                    reactions.append(
                        {"type": "emoji", "count": count, "emoji": rng.choice(_EMOJI), "recent": recent}
                    )
                m["reactions"] = Shifted(reactions)
            w.write_raw_message(w.serialize(m, depth))
        w.end_dialog()
        w.finish()
        escapes = w.escapes
        written = w.bytes_written
    return {"messages": n_messages, "service": service, "escapes": escapes, "bytes": written}
