"""The SHA-256 of a file or a stream, read once in chunks: the case's identity for a file.

Evidence registration and verification, list and record imports, and export manifests all name a
file by its SHA-256 and size. The hashing stage computes it with MD5 and SHA-1 in its own single
read (:func:`veilleur.hashing.crypto.digest_stream`), because it also keeps the bytes it reads.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from veilleur.errors import BadInput
from veilleur.safeio import open_regular

__all__ = ["CHUNK", "InputFile", "read_input_file", "sha256_file", "sha256_stream"]

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
    """SHA-256 (hex) and size of the regular file at ``path`` (a FIFO or device is refused)."""
    with open_regular(path) as f:
        digest = hashlib.file_digest(f, "sha256")
        return digest.hexdigest(), f.tell()


@dataclass(frozen=True)
class InputFile:
    """A user's input file (a hash list, a records file) as first read: its SHA-256, size and
    opening bytes (to sniff its format), and its stat, to tell later whether it changed while it
    was being imported."""

    path: Path
    sha256: str
    size: int
    head: bytes
    stat: os.stat_result

    def check_unchanged(self) -> None:
        """Refuse an import whose file changed under it (a copy still being written, an edit)."""
        after = os.stat(self.path)
        if (after.st_size, after.st_mtime_ns) != (self.stat.st_size, self.stat.st_mtime_ns):
            raise BadInput(
                "the file changed while it was being imported; import it again", file=str(self.path)
            )


def read_input_file(path: Path, *, head: int) -> InputFile:
    """Hash ``path`` once and keep its first ``head`` bytes; a clear error if it is no file."""
    try:
        f = open_regular(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BadInput("no such file", file=str(path)) from None
    with f:
        before = os.fstat(f.fileno())
        digest, size = sha256_stream(f)
        f.seek(0)
        first = f.read(head)
    return InputFile(path, digest, size, first, before)
