"""The SHA-256 of a file or a stream, read once in chunks: the case's identity for a file.

Evidence registration and verification, list and record imports, and export manifests all name a
file by its SHA-256 and size. The hashing stage computes it with MD5 and SHA-1 in its own single
read (:func:`veilleur.hashing.crypto.digest_stream`), because it also keeps the bytes it reads.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

__all__ = ["CHUNK", "sha256_file", "sha256_stream"]

CHUNK = 1 << 20
"""Bytes read at a time."""


def sha256_stream(f: IO[bytes], *, chunk: int = CHUNK) -> tuple[str, int]:
    """SHA-256 (hex) and size of what is left to read in ``f``, which is read to its end.

    Read with ``f.read``, so that a stream translating its own errors (a damaged zip member
    raising :class:`~veilleur.errors.BadInput`) does so here too.
    """
    h = hashlib.sha256()
    size = 0
    while data := f.read(chunk):
        h.update(data)
        size += len(data)
    return h.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file at ``path``."""
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256")
        return digest.hexdigest(), f.tell()
