"""Media hashing: cryptographic and perceptual hashes of every media file in a case.

Signal types (:mod:`~veilleur.hashing.signals`): ``crypto`` (MD5, SHA-1, SHA-256 of every file),
``pdq`` (pictures: PDQ, quality, eight dihedral variants) and ``vpdq`` (videos and animations:
PDQ of one frame per second). :func:`hash_case_media` runs them over a case's media files on every
core; :func:`hash_file` hashes one file. Pictures and frames are decoded in memory to be hashed,
never written, shown or sent anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veilleur.hashing.hasher import HASHER_VERSION, SIGNAL_TYPES, FileHashes, hash_file
from veilleur.hashing.pdq import MATCH_THRESHOLD, hamming, pdq_of_image
from veilleur.hashing.signals import ContentType, HashLimits, Reason, Status
from veilleur.hashing.vpdq import FrameHash, vpdq_of_video

if TYPE_CHECKING:
    from veilleur.hashing.runner import HashReport, hash_case_media

__all__ = [
    "HASHER_VERSION",
    "MATCH_THRESHOLD",
    "SIGNAL_TYPES",
    "ContentType",
    "FileHashes",
    "FrameHash",
    "HashLimits",
    "HashReport",
    "Reason",
    "Status",
    "hamming",
    "hash_case_media",
    "hash_file",
    "pdq_of_image",
    "vpdq_of_video",
]


def __getattr__(name: str) -> Any:
    # The runner (and the database layer it needs) is loaded on first use, so that worker
    # processes, which only hash, start without it.
    if name in ("HashReport", "hash_case_media"):
        from veilleur.hashing import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
