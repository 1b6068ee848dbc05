"""Hashing one evidence file: read it once, decide what it holds, run every signal type that applies.

:func:`hash_file` never raises for anything a file can do to it: an unreadable, changed, corrupt,
truncated, hostile or unsupported file comes back as a :class:`FileHashes` with a status and a
reason. It runs in a worker process (:mod:`veilleur.hashing.worker`) or in the caller's.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from veilleur.errors import BadInput, NotRegularFile
from veilleur.hashing.content import Content, EvidenceOpener, load_content, sniff
from veilleur.hashing.crypto import CryptoDigests, CryptoSignal
from veilleur.hashing.images import open_image, pixel_guard
from veilleur.hashing.pdq import PdqResult, PdqSignal
from veilleur.hashing.signals import ContentType, HashFailure, HashLimits, Reason, SignalType, Status
from veilleur.hashing.vpdq import FrameHash, VpdqResult, VpdqSignal

__all__ = ["HASHER_VERSION", "SIGNAL_TYPES", "FileHashes", "Source", "hash_file"]

SIGNAL_TYPES: tuple[type[SignalType[Any]], ...] = (CryptoSignal, PdqSignal, VpdqSignal)
"""The registry: each file gets every signal type whose ``content_types`` include its content."""


def _versions() -> str:
    parts = ["veilleur-hashing 1"]
    for dist in ("pdqhash", "pillow", "av"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:  # pragma: no cover - an installation without metadata
            parts.append(f"{dist} ?")
    return "; ".join(parts)


HASHER_VERSION = _versions()
"""Recorded with every hash: the algorithm revision and the decoders that produced it."""

Source = tuple[int | None, str]
"""(evidence id, registered original path) of one copy of a file."""


@dataclass
class FileHashes:
    """Everything learnt about one distinct file (one SHA-256)."""

    sha256: str
    status: Status = Status.OK
    media_class: str = "unknown"  # image | animation | video | other; unknown when never read
    format: str = ""
    reason: Reason | None = None
    detail: str | None = None
    md5: str | None = None
    sha1: str | None = None
    size: int | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    dihedral: tuple[str, ...] = ()
    decoder: str | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    duration_s: float | None = None
    frame_hashes: tuple[FrameHash, ...] = ()
    evidence_id: int | None = None  # the copy that was read
    changed: list[tuple[int | None, str]] = field(default_factory=list)  # (evidence id, sha256 found)

    def fail(self, failure: HashFailure) -> FileHashes:
        self.status, self.reason, self.detail = failure.status, failure.reason, failure.detail
        return self


def _is_animated(content: Content, limits: HashLimits) -> bool:
    if content.format not in ("gif", "png", "webp", "avif"):
        return False
    try:
        with pixel_guard(limits), content.stream() as f:
            im = open_image(f, content.format)
            try:
                return bool(getattr(im, "is_animated", False))
            finally:
                im.close()
    except Exception:
        return False  # the PDQ signal will meet the same problem and record it


def _read(
    sha256: str, sources: Sequence[Source], opener: EvidenceOpener, limits: HashLimits, out: FileHashes
) -> Content | None:
    problems: list[str] = []
    refused = 0
    for evidence_id, path in sources:
        try:
            content = load_content(path, opener, limits)
        except NotRegularFile as e:
            refused += 1
            problems.append(f"{path}: {e.message}")
            continue
        except BadInput as e:
            problems.append(f"{path}: {e.message}")
            continue
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            problems.append(f"{path}: {type(e).__name__}: {e}")
            continue
        if content.digests.sha256 != sha256:
            out.changed.append((evidence_id, content.digests.sha256))
            problems.append(f"{path}: SHA-256 is now {content.digests.sha256}")
            continue
        out.evidence_id = evidence_id
        return content
    if out.changed:
        reason = Reason.CHANGED
    elif refused and refused == len(sources):
        reason = Reason.NOT_REGULAR_FILE
    else:
        reason = Reason.UNREADABLE
    out.fail(HashFailure(reason, "; ".join(problems) or "no registered path"))
    return None


def hash_file(
    sha256: str,
    sources: Sequence[Source],
    limits: HashLimits | None = None,
    opener: EvidenceOpener | None = None,
) -> FileHashes:
    """Hash the file registered with ``sha256``, reading the first of ``sources`` that still holds it."""
    limits = limits or HashLimits()
    own_opener = opener is None
    opener = opener or EvidenceOpener()
    out = FileHashes(sha256)
    try:
        content = _read(sha256, sources, opener, limits, out)
        if content is None:
            return out
        digests: CryptoDigests = content.digests
        out.md5, out.sha1, out.size = digests.md5, digests.sha1, digests.size
        sniffed = sniff(content.head, content.original_path)
        content.content_type, content.format = sniffed.content_type, sniffed.format
        out.format = sniffed.format
        out.media_class = sniffed.content_type.value
        if sniffed.failure is not None:
            return out.fail(sniffed.failure)
        if content.content_type == ContentType.IMAGE and _is_animated(content, limits):
            content.content_type = ContentType.ANIMATION
            out.media_class = ContentType.ANIMATION.value
        for signal_type in SIGNAL_TYPES:
            if signal_type.applies_to(content.content_type):
                _record(out, signal_type().compute(content, limits))
        return out
    except HashFailure as e:
        return out.fail(e)
    except MemoryError:
        return out.fail(HashFailure(Reason.OUT_OF_MEMORY, "not enough memory to hash this file"))
    except Exception as e:  # a bug of ours must cost one file, not the run
        return out.fail(HashFailure(Reason.ERROR, f"{type(e).__name__}: {e}"))
    finally:
        if own_opener:
            opener.close()


def _record(out: FileHashes, result: object) -> None:
    if isinstance(result, PdqResult):
        out.pdq, out.pdq_quality, out.dihedral = result.pdq, result.quality, result.dihedral
        out.decoder, out.width, out.height = result.decoder, result.width, result.height
        out.frames = out.frames or 1
    elif isinstance(result, VpdqResult):
        if not result.has_video:  # an MP4 or Matroska file holding only sound
            out.media_class = ContentType.OTHER.value
            out.duration_s = result.duration_s
            return
        out.frame_hashes = result.frames
        out.width = out.width or result.width
        out.height = out.height or result.height
        out.frames = result.frames_decoded
        out.duration_s = result.duration_s
        if out.decoder is None:
            out.decoder = "reduce" if result.reduced else "full"
        if result.stopped is not None:
            out.fail(result.stopped)
