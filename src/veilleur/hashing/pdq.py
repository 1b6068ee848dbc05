"""PDQ of pictures: the hash, its quality and the eight dihedral variants, from one pass.

``pdqhash.compute_dihedral`` (the Python binding of Meta's C++ reference, the one
python-threatexchange uses) returns the 256 bits of the original and of its rotations by 90, 180
and 270 degrees and its four flips, from one luminance, filter and DCT pass, with one quality
score (0-100; python-threatexchange discards hashes under 50 when matching; Veilleur stores
them all with their quality and leaves the cut to the matcher).

**Hex encoding.** 64 hex digits, exactly as the C++ ``Hash256::format`` (``toHexString``) and
python-threatexchange write them: the sixteen 16-bit words from ``w[15]`` down to ``w[0]``, each
as four hex digits. pdqhash returns the bits most significant first (bit 255 of the hash first),
so packing its bit vector big-endian into 32 bytes gives that string.

**Reduced-size JPEG decoding.** A JPEG with both sides of at least 768 px is decoded by libjpeg
directly at 1/2, 1/4 or 1/8 scale (``Image.draft("RGB", (384, 384))``: the smallest scale keeping
both sides at least 384 px), about 16x faster on a 12-megapixel photo and 6x on a 1024x768 one
(pdqhash's filter is slow on 1024-px rows). The PDQ hash moves by a few bits (measured in
``benchmarks/bench_hashing.py`` and stated in ``docs/media-hashing.md``), against a match
threshold of 31; ``decoder`` records which decode produced each hash so a near-miss can be
confirmed on a full decode (:func:`pdq_of_image` with ``draft=False``).

EXIF orientation is not applied (neither does the reference hasher); rotated copies are found
through the dihedral variants instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar

import numpy as np
import pdqhash

from veilleur.hashing.content import Content
from veilleur.hashing.images import (
    JPEG_LIKE,
    check_pixels,
    decode_error,
    decoded_rgb,
    open_image,
    pixel_guard,
    reduce_if_large,
)
from veilleur.hashing.signals import ContentType, HashFailure, HashLimits, SignalType

__all__ = [
    "DIHEDRAL_VARIANTS",
    "DRAFT_MAX_DRIFT",
    "MATCH_THRESHOLD",
    "PdqResult",
    "PdqSignal",
    "hamming",
    "pdq_hex",
    "pdq_of_array",
    "pdq_of_image",
]

MATCH_THRESHOLD = 31
"""PDQ's confident-match distance (``PDQ_CONFIDENT_MATCH_THRESHOLD`` in the reference)."""

DRAFT_MAX_DRIFT = 16
"""Most bits a reduced-size decode (JPEG draft, or box reduction of a huge picture) moved the PDQ
hash from the full decode's in ``benchmarks/bench_hashing.py`` (see ``docs/media-hashing.md``)."""

DIHEDRAL_VARIANTS = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)
"""Variant numbers 0-7 of ``media_pdq_dihedral``, in pdqhash's (and the C++ reference's) order.

Variant k is (within a few bits: PDQ's filter is not exactly symmetric) the hash of the picture
transformed by Pillow's ``Image.Transpose``: 1 ``ROTATE_90`` (counter-clockwise), 2 ``ROTATE_180``,
3 ``ROTATE_270``, 4 ``FLIP_TOP_BOTTOM``, 5 ``FLIP_LEFT_RIGHT``, 6 ``TRANSPOSE``, 7 ``TRANSVERSE``.
A listed hash within 31 bits of a file's variant k means the listed picture is that file so
transformed (a rotated or mirrored copy).
"""


def pdq_hex(bits: Any) -> str:
    """A pdqhash bit vector (256 values 0/1, most significant first) as the reference's 64 hex."""
    v = np.asarray(bits, dtype=np.uint8)
    if v.shape != (256,):
        raise ValueError(f"a PDQ hash has 256 bits, not {v.shape}")
    return np.packbits(v).tobytes().hex()


def hamming(a: str, b: str) -> int:
    """Hamming distance between two PDQ hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class PdqResult:
    pdq: str
    quality: int
    dihedral: tuple[str, ...]  # 8 hex hashes, DIHEDRAL_VARIANTS order; dihedral[0] == pdq
    decoder: str  # full | draft512 | reduce | draft512+reduce
    width: int  # as the file declares it
    height: int
    animated: bool


def pdq_of_array(rgb: np.ndarray) -> tuple[tuple[str, ...], int]:
    """The eight dihedral PDQ hashes and the quality of an H x W x 3 ``uint8`` array."""
    vectors, quality = pdqhash.compute_dihedral(rgb)
    return tuple(pdq_hex(v) for v in vectors), int(quality)


def pdq_of_frame(rgb: np.ndarray) -> tuple[str, int]:
    """PDQ and quality of one video frame (the original orientation only)."""
    vector, quality = pdqhash.compute(rgb)
    return pdq_hex(vector), int(quality)


def pdq_of_image(
    data: bytes | BinaryIO, fmt: str = "", limits: HashLimits | None = None, *, draft: bool = True
) -> PdqResult:
    """PDQ of a picture given as bytes or a binary stream (first frame of an animation).

    ``draft=False`` forces the full-size decode of a JPEG, e.g. to confirm a near-miss.
    """
    limits = limits or HashLimits()
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    with pixel_guard(limits):
        im = open_image(stream, fmt)
        try:
            width, height = im.size
            animated = bool(getattr(im, "is_animated", False))
            if animated:
                im.seek(0)
            decoder = "full"
            if draft and im.format in JPEG_LIKE:
                im.draft("RGB", (limits.draft_size, limits.draft_size))
                if im.size != (width, height):
                    decoder = f"draft{limits.draft_size}"
            check_pixels(*im.size, limits)
            im.load()
            frame, reduced = reduce_if_large(im, limits)
            if reduced:
                decoder = "reduce" if decoder == "full" else f"{decoder}+reduce"
            rgb = decoded_rgb(frame)
        except HashFailure:
            raise
        except Exception as e:
            raise decode_error(e) from e
        finally:
            im.close()
    dihedral, quality = pdq_of_array(rgb)
    return PdqResult(dihedral[0], quality, dihedral, decoder, width, height, animated)


class PdqSignal(SignalType[PdqResult]):
    """PDQ (+ quality + dihedral variants) of still pictures and of an animation's first frame."""

    name: ClassVar[str] = "pdq"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.IMAGE, ContentType.ANIMATION})

    def compute(self, content: Content, limits: HashLimits) -> PdqResult:
        with content.stream() as f:
            return pdq_of_image(f, content.format, limits)


def nearest_variant(query: str, dihedral: Sequence[str]) -> tuple[int, int]:
    """(distance, variant) of the dihedral variant nearest to ``query``."""
    return min((hamming(query, h), i) for i, h in enumerate(dihedral))
