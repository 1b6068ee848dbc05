"""vPDQ video matching: which listed videos a case video matches, by the share of frames that agree.

The algorithm and its defaults are python-threatexchange's (``extensions/vpdq``): both videos'
frame hashes are quality-filtered (≥ 50) and de-duplicated (identical frame hashes count once);
a query frame is *matched* when some frame of the compared video lies within the frame distance
(31); the videos match when the matched share of the query's frames reaches the query threshold
(80 %) and the matched share of the compared video's frames reaches the compared threshold
(0 %: a short clip of a listed video matches it).

Frame pairs come from one exact :class:`~veilleur.matching.pdq_index.PdqIndex` over every listed
frame, so no pair within the frame distance is missed, however many videos the lists hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from veilleur.matching.pdq_index import PdqIndex, hex_to_words


@dataclass(frozen=True)
class VideoThresholds:
    frame_distance: int = 31
    quality: int = 50
    query_match_pct: float = 80.0
    compared_match_pct: float = 0.0


@dataclass(frozen=True)
class Frame:
    pdq: str
    quality: int
    timestamp_ms: int


@dataclass(frozen=True)
class VideoMatch:
    query: str  # the case video's key (its SHA-256)
    compared: int  # the listed video's entry id
    query_match_pct: float
    compared_match_pct: float
    distance: int  # the closest matched frame pair
    first_frame_ms: int  # the earliest matched frame of the case video


def usable_frames(frames: Sequence[Frame], quality: int) -> list[Frame]:
    """Quality-filtered, first occurrence of each frame hash kept (python-threatexchange's order:
    filter, then de-duplicate)."""
    seen: set[str] = set()
    out = []
    for f in frames:
        if f.quality >= quality and f.pdq not in seen:
            seen.add(f.pdq)
            out.append(f)
    return out


def match_videos(
    queries: Mapping[str, Sequence[Frame]],
    compared: Mapping[int, Sequence[Frame]],
    thresholds: VideoThresholds,
    *,
    threads: int = 1,
) -> list[VideoMatch]:
    """Every (case video, listed video) pair that matches under ``thresholds``."""
    q_frames = {k: usable_frames(v, thresholds.quality) for k, v in queries.items()}
    c_frames = {k: usable_frames(v, thresholds.quality) for k, v in compared.items()}
    q_frames = {k: v for k, v in q_frames.items() if v}
    c_frames = {k: v for k, v in c_frames.items() if v}
    if not q_frames or not c_frames:
        return []
    c_owner: list[int] = []
    c_hex: list[str] = []
    for entry, fs in c_frames.items():
        c_owner.extend([entry] * len(fs))
        c_hex.extend(f.pdq for f in fs)
    q_owner: list[str] = []
    q_hex: list[str] = []
    q_time: list[int] = []
    for key, fs in q_frames.items():
        q_owner.extend([key] * len(fs))
        q_hex.extend(f.pdq for f in fs)
        q_time.extend(f.timestamp_ms for f in fs)
    index = PdqIndex(hex_to_words(c_hex), radius=thresholds.frame_distance)
    hits = index.search(hex_to_words(q_hex), threads=threads)

    # per (case video, listed video): matched query frames, matched compared frames, best distance
    q_matched: defaultdict[tuple[str, int], set[int]] = defaultdict(set)
    c_matched: defaultdict[tuple[str, int], set[int]] = defaultdict(set)
    best: dict[tuple[str, int], int] = {}
    for qi, ri, d in zip(hits.query.tolist(), hits.reference.tolist(), hits.distance.tolist(), strict=True):
        pair = (q_owner[qi], c_owner[ri])
        q_matched[pair].add(qi)
        c_matched[pair].add(ri)
        best[pair] = min(d, best.get(pair, d))
    out = []
    for pair, qs in q_matched.items():
        key, entry = pair
        q_pct = 100.0 * len(qs) / len(q_frames[key])
        c_pct = 100.0 * len(c_matched[pair]) / len(c_frames[entry])
        if q_pct >= thresholds.query_match_pct and c_pct >= thresholds.compared_match_pct:
            first = int(np.min([q_time[i] for i in qs]))
            out.append(VideoMatch(key, entry, round(q_pct, 2), round(c_pct, 2), best[pair], first))
    out.sort(key=lambda m: (m.query, m.compared))
    return out
