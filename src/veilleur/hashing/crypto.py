"""MD5, SHA-1 and SHA-256 of every file, in one read.

The read that computes them is also the read that loads the file for the perceptual hashes (the
bytes are kept in memory when the file is small enough), so each evidence file is read once.
MD5 and SHA-1 are computed because hash lists (Project VIC/CAID, NCMEC, older national lists)
still key on them; SHA-256 is the case's own identity for a file and is checked against the value
registered in evidence before anything is recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, ClassVar

from veilleur.digests import CHUNK
from veilleur.hashing.signals import ContentType, HashLimits, SignalType

if TYPE_CHECKING:
    from veilleur.hashing.content import Content

__all__ = ["CryptoDigests", "CryptoSignal", "digest_stream"]


@dataclass(frozen=True)
class CryptoDigests:
    md5: str
    sha1: str
    sha256: str
    size: int


def digest_stream(f: BinaryIO, keep_up_to: int = 0) -> tuple[CryptoDigests, bytes | None]:
    """Hash a stream to its end; also return its bytes when it is no larger than ``keep_up_to``.

    Its own loop rather than :func:`veilleur.digests.sha256_stream`: three digests and the kept
    bytes come from the one read."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha256 = hashlib.sha256()
    kept: list[bytes] | None = [] if keep_up_to > 0 else None
    size = 0
    while chunk := f.read(CHUNK):
        md5.update(chunk)
        sha1.update(chunk)
        sha256.update(chunk)
        size += len(chunk)
        if kept is not None:
            if size <= keep_up_to:
                kept.append(chunk)
            else:
                kept = None
    digests = CryptoDigests(md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest(), size)
    return digests, (b"".join(kept) if kept is not None else None)


class CryptoSignal(SignalType[CryptoDigests]):
    """The cryptographic digests; computed while the file is read, so this only hands them over."""

    name: ClassVar[str] = "crypto"
    content_types: ClassVar[frozenset[ContentType]] = frozenset(ContentType)

    def compute(self, content: Content, limits: HashLimits) -> CryptoDigests:
        return content.digests
