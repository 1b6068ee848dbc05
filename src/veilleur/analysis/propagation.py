"""Media propagation: where each item first appeared in the case, and every later send and forward.

An *item* is a group of files that are the same picture or video: files with the same SHA-256,
joined with files whose PDQ lies within ``radius`` bits (31 by default, quality at least 50) of
one of them (single linkage over an exact :class:`~veilleur.matching.pdq_index.PdqIndex`, so no
near-duplicate pair is missed). For each item: its sightings (messages carrying one of its files)
in time order, the first appearance, and which later sightings were forwards.

**Possibly new material.** An item that matches no list (no positive hit, suppressed or not),
whose first appearance is not a forward, and whose first poster exchanged flagged material in
the case, or which first appeared in a chat where flagged material was exchanged, is surfaced for
review with those reasons: known offenders' own, unlisted media is where new victims are found.
It is a lead for a reviewer, never a finding, and Veilleur never displays it by default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from veilleur.analysis.exchanges import Exchange
from veilleur.matching.pdq_index import PdqIndex, hex_to_words
from veilleur.matching.results import Sighting, current_run, flagged_files, sightings
from veilleur.store.schema import evidence, media, media_hashes

__all__ = ["Item", "media_items", "possibly_new_material"]

MAIN_ROLES = ("photo", "file")


@dataclass
class Item:
    """One picture or video as it travelled through the case."""

    files: list[str]  # SHA-256 of every file of the item (exact copies collapse to one)
    sightings: list[Sighting] = field(default_factory=list)  # in time order
    flagged: bool = False  # a positive hit not suppressed on any of its files
    listed: bool = False  # any positive hit at all, suppressed included
    reasons: list[str] = field(default_factory=list)  # why it is possibly new material

    @property
    def first(self) -> Sighting:
        return self.sightings[0]

    @property
    def forwards(self) -> list[Sighting]:
        return [s for s in self.sightings[1:] if s.forwarded_from is not None]

    @property
    def senders(self) -> list[int]:
        return sorted({s.sender_id for s in self.sightings if s.sender_id is not None})


class _Groups:
    def __init__(self, keys: list[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def media_items(conn: Connection, *, radius: int = 31, quality: int = 50, threads: int = 2) -> list[Item]:
    """Every media item of the case with its sightings, first appearance first."""
    shas = sorted(
        set(
            conn.execute(
                select(evidence.c.sha256)
                .join(media, media.c.file_evidence_id == evidence.c.id)
                .where(media.c.role.in_(MAIN_ROLES))
                .distinct()
            ).scalars()
        )
    )
    if not shas:
        return []
    groups = _Groups(shas)
    present = set(shas)
    pdq = [
        (s, h)
        for s, h, q in conn.execute(
            select(media_hashes.c.sha256, media_hashes.c.pdq, media_hashes.c.pdq_quality).where(
                media_hashes.c.pdq.is_not(None)
            )
        )
        if s in present and q is not None and q >= quality
    ]
    if len(pdq) > 1:
        words = hex_to_words([h for _, h in pdq])
        hits = PdqIndex(words, radius=radius).search(words, threads=threads)
        for qi, ri in zip(hits.query.tolist(), hits.reference.tolist(), strict=True):
            if qi < ri:
                groups.union(pdq[qi][0], pdq[ri][0])
    members: defaultdict[str, list[str]] = defaultdict(list)
    for s in shas:
        members[groups.find(s)].append(s)
    by_file: defaultdict[str, list[Sighting]] = defaultdict(list)
    for s in sightings(conn, shas):
        if s.role in MAIN_ROLES:
            by_file[s.sha256].append(s)
    run = current_run(conn)
    hit = flagged_files(conn, run) if run is not None else []
    flagged = {f.sha256 for f in hit if f.flagged}
    listed = {f.sha256 for f in hit}
    items = []
    for files in members.values():
        seen = {s.message_pk: s for f in files for s in by_file[f]}
        if not seen:
            continue
        item = Item(
            sorted(files), sorted(seen.values(), key=lambda s: (s.date_utc or 0, s.chat_id, s.message_id))
        )
        item.flagged = bool(flagged & set(files))
        item.listed = bool(listed & set(files))
        items.append(item)
    items.sort(key=lambda i: (i.first.date_utc or 0, i.first.chat_id, i.first.message_id))
    return items


def possibly_new_material(
    items: list[Item], exchanges: Sequence[Exchange], *, chat_share: float = 0.1
) -> list[Item]:
    """Items to review as possibly new material, each with its reasons (see the module docstring).

    A chat counts as one "where flagged material was exchanged" when it is a private chat with a
    flagged exchange, or when at least ``chat_share`` of its media messages carried flagged files:
    one flagged file in a large hobby group does not make every holiday photo in it suspect.
    """
    offenders: set[int] = set()
    flagged_in: defaultdict[int, int] = defaultdict(int)
    private: set[int] = set()
    for e in exchanges:
        flagged_in[e.chat_id] += 1
        if e.setting == "private":
            private.add(e.chat_id)
            offenders.update(p.account_id for p in e.recipients)
        if e.sender_id is not None:
            offenders.add(e.sender_id)
    media_in: defaultdict[int, int] = defaultdict(int)
    for item in items:
        for s in item.sightings:
            media_in[s.chat_id] += 1
    hot = private | {c for c, n in flagged_in.items() if n >= chat_share * media_in.get(c, n)}
    out = []
    for item in items:
        first = item.first
        if item.listed or first.forwarded_from is not None:
            continue
        reasons = []
        if first.sender_id in offenders:
            reasons.append("first posted by an account that exchanged flagged material")
        if first.chat_id in hot:
            reasons.append("first appeared in a chat where flagged material was exchanged")
        if reasons:
            item.reasons = reasons
            out.append(item)
    # Both reasons first, then the earliest: a reviewer's queue.
    return sorted(out, key=lambda i: (-len(i.reasons), i.first.date_utc or 0, i.first.message_id))
