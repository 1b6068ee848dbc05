"""The plug-in interface every hash of a media file implements, in python-threatexchange's spirit.

A :class:`SignalType` has a name (the column family it fills and the hash-list type it can be
matched against), says which kinds of content it applies to and computes its signal from a
:class:`~veilleur.hashing.content.Content`: the bytes of one evidence file, read once and held in
memory (or re-opened for large videos). Signal types never write anything and never render or
display pixels: decoding happens in memory only, to compute a hash.

Three signal types exist: ``crypto`` (MD5, SHA-1, SHA-256, every file), ``pdq`` (still images and
the first frame of animations, with its quality and the eight dihedral variants) and ``vpdq``
(PDQ of one frame per second of videos and animations). :data:`SIGNAL_TYPES` in
:mod:`veilleur.hashing.hasher` is the registry; adding a signal type is adding a class there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from veilleur.errors import VeilleurError

if TYPE_CHECKING:
    from veilleur.hashing.content import Content

__all__ = [
    "ContentType",
    "HashFailure",
    "HashLimits",
    "Reason",
    "SignalType",
    "Status",
]


class ContentType(StrEnum):
    """What a file holds, decided from its bytes (never from its name alone)."""

    IMAGE = "image"  # a still picture Pillow decodes (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF, ...)
    ANIMATION = "animation"  # an animated GIF, WebP or PNG: PDQ of frame 0 and vPDQ of the frames
    VIDEO = "video"  # a video container with a video stream (MP4, MOV, WebM/MKV, AVI, ...)
    OTHER = "other"  # anything else: documents, audio, archives; cryptographic hashes only


class Status(StrEnum):
    OK = "ok"  # every signal that applies was computed
    PARTIAL = "partial"  # a video or animation hashed in part (cap reached, or damaged after a point)
    FAILED = "failed"  # a signal applies but could not be computed (see the reason)
    UNSUPPORTED = "unsupported"  # pictures or video in a format no installed decoder reads


class Reason(StrEnum):
    """Why a file was not (wholly) hashed. Stored in ``media_hashes.reason``."""

    UNREADABLE = "unreadable"  # the file could not be opened or read (missing, I/O error)
    NOT_REGULAR_FILE = "not_regular_file"  # a FIFO, socket or device stands at its path: not read
    CHANGED = "changed"  # its bytes no longer have the SHA-256 registered in evidence
    CORRUPT = "corrupt"  # the decoder rejected the data
    TRUNCATED = "truncated"  # the data ends before the picture does
    DECOMPRESSION_BOMB = "decompression_bomb"  # declares more pixels than the limit allows
    NOT_MEDIA = "not_media"  # named as a picture or video (.jpg, .mp4, ...) but is neither
    UNSUPPORTED_FORMAT = "unsupported_format"  # e.g. HEIC, Lottie stickers (.tgs), SVG
    CAPPED = "capped"  # a video or animation longer than the cap: the rest is not hashed
    OUT_OF_MEMORY = "out_of_memory"
    TIMEOUT = "timeout"  # took longer than the per-file time limit; the worker was stopped
    WORKER_CRASHED = "worker_crashed"  # the decoder crashed its process
    ERROR = "error"  # an unexpected error in Veilleur itself (a bug: please report it)


class HashFailure(VeilleurError):
    """Raised by a signal type when the file cannot be hashed; recorded, never fatal to a run."""

    def __init__(self, reason: Reason, detail: str, status: Status = Status.FAILED) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        # Hashing runs in worker processes: keep the reason and status across the pipe.
        return (type(self), (self.reason, self.detail, self.status))


@dataclass(frozen=True)
class HashLimits:
    """Bounds that keep one hostile or enormous file from exhausting a worker.

    ``max_pixels`` applies to the pixels actually decoded (after a JPEG's reduced-size decode),
    so a 200-megapixel camera JPEG is hashed while a 100,000 x 100,000 PNG is refused as a
    decompression bomb. Pillow's own guard (``Image.MAX_IMAGE_PIXELS``) is set so that it only
    fires beyond what even a 1/8 JPEG decode could bring under ``max_pixels``.
    """

    max_pixels: int = 100_000_000
    """Most pixels decoded for one picture or video frame; more is a decompression bomb."""
    reduce_above_pixels: int = 4096 * 4096
    """Decoded pictures larger than this are box-reduced by an integer factor before PDQ."""
    draft_size: int = 384
    """JPEGs are decoded at the smallest 1/1, 1/2, 1/4 or 1/8 scale keeping both sides >= this
    (384: a 1024x768 photo at half size, 4000x3000 at a quarter; drift measured in the docs)."""
    seconds_per_hash: float = 1.0
    """vPDQ: one frame hashed per this many seconds of video."""
    max_video_seconds: float = 4 * 3600.0
    """Videos and animations are hashed up to this time; the rest is skipped (status partial)."""
    max_frame_hashes: int = 4 * 3600
    max_decoded_frames: int = 1_000_000
    """Frames decoded in one file, hashed or not (guards against absurd frame rates)."""
    max_animation_pixels: int = 4_000_000_000
    """Most pixels an animated GIF, WebP or PNG may make Pillow decode: canvas x frames. Each frame
    is drawn onto the whole canvas, so a few kilobytes declaring a 9000 x 9000 canvas and 200
    one-pixel frames would cost a minute and 800 MB; 4 billion is about 15 s of decoding."""
    keep_in_memory: int = 64 << 20
    """Files up to this size are read once into memory; larger ones are re-opened to decode."""
    video_threads: int = 1
    """FFmpeg decoding threads per worker (0 = FFmpeg's choice); workers already fill the cores."""
    timeout_s: float = 3600.0
    """A file taking longer than this is abandoned (status failed, reason timeout)."""


R = TypeVar("R")


class SignalType(ABC, Generic[R]):
    """One kind of hash: a name, the content it applies to, and how to compute it."""

    name: ClassVar[str]
    content_types: ClassVar[frozenset[ContentType]]

    @classmethod
    def applies_to(cls, content_type: ContentType) -> bool:
        return content_type in cls.content_types

    @abstractmethod
    def compute(self, content: Content, limits: HashLimits) -> R:
        """Compute the signal from the file's bytes, or raise :class:`HashFailure`."""
