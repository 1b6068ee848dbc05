"""One evidence file as the signal types see it: its digests, its first bytes, what it holds.

A file is read exactly once to compute its cryptographic digests; when it is small enough
(:attr:`HashLimits.keep_in_memory`) the same read keeps its bytes, from which pictures are decoded
in memory. What a file holds is decided from its bytes (:func:`sniff`), its name only serving to
notice a file that claims to be a picture or a video and is not. Nothing is ever written: zip
members are read in place, never extracted. Files are opened by the evidence registry's own rule
(:class:`~veilleur.safeio.EvidenceOpener`): regular files only, zips vetted before they are parsed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from veilleur.hashing.crypto import CryptoDigests, digest_stream
from veilleur.hashing.signals import ContentType, HashFailure, HashLimits, Reason, Status
from veilleur.safeio import EvidenceOpener

__all__ = ["Content", "EvidenceOpener", "Sniffed", "load_content", "sniff"]

HEAD = 4096

_IMAGE_EXT = ".jpg .jpeg .jpe .jfif .png .apng .gif .webp .bmp .tif .tiff .heic .heif .avif .ico .jp2"
_VIDEO_EXT = ".mp4 .m4v .mov .webm .mkv .avi .3gp .3g2 .flv .ts .mpg .mpeg .wmv .gifv"
IMAGE_SUFFIXES = frozenset(_IMAGE_EXT.split(" "))
VIDEO_SUFFIXES = frozenset(_VIDEO_EXT.split(" "))

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})


def suffix_of(original: str) -> str:
    return PurePosixPath(original.rsplit("!", 1)[-1].replace("\\", "/")).suffix.lower()


@dataclass(frozen=True)
class Sniffed:
    content_type: ContentType
    format: str  # jpeg, png, gif, webp, mp4, matroska, ... or "" when unknown
    failure: HashFailure | None = None


def _ftyp_brands(head: bytes) -> tuple[bytes, set[bytes]]:
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    end = min(len(head), size if 16 <= size <= HEAD else 64)
    return major, {major, *(head[i : i + 4] for i in range(16, end - 3, 4))}


def sniff(head: bytes, original: str) -> Sniffed:
    """What the bytes are; ``failure`` set for pictures no decoder reads and for impostors."""
    suffix = suffix_of(original)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(ContentType.IMAGE, "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(ContentType.IMAGE, "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(ContentType.IMAGE, "gif")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed(ContentType.IMAGE, "webp")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Sniffed(ContentType.VIDEO, "avi")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed(ContentType.IMAGE, "tiff")
    if (
        head.startswith(b"BM")
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little")
        in (
            12,
            40,
            52,
            56,
            64,
            108,
            124,
        )
    ):
        return Sniffed(ContentType.IMAGE, "bmp")
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xffO\xffQ")):
        return Sniffed(ContentType.IMAGE, "jpeg2000")
    if head.startswith(b"qoif"):
        return Sniffed(ContentType.IMAGE, "qoi")
    if head.startswith(b"8BPS"):
        return Sniffed(ContentType.IMAGE, "psd")
    if head.startswith(b"\x00\x00\x01\x00") and suffix in (".ico", ".cur"):
        return Sniffed(ContentType.IMAGE, "ico")
    if head[4:8] == b"ftyp":
        major, brands = _ftyp_brands(head)
        if brands & _AVIF_BRANDS:
            return Sniffed(ContentType.IMAGE, "avif")
        if brands & _HEIF_BRANDS:
            return Sniffed(
                ContentType.IMAGE,
                "heif",
                HashFailure(
                    Reason.UNSUPPORTED_FORMAT,
                    "HEIC/HEIF picture: no HEIF decoder is installed",
                    Status.UNSUPPORTED,
                ),
            )
        if major in _AUDIO_BRANDS:
            return Sniffed(ContentType.OTHER, "m4a")
        return Sniffed(ContentType.VIDEO, "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed(ContentType.VIDEO, "matroska")
    if head.startswith(b"FLV\x01"):
        return Sniffed(ContentType.VIDEO, "flv")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return Sniffed(ContentType.VIDEO, "asf")
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return Sniffed(ContentType.VIDEO, "mpeg")
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return Sniffed(ContentType.VIDEO, "mpegts")
    if head.startswith(b"OggS"):
        if b"\x80theora" in head or b"\x01video" in head or b"OVP80" in head:
            return Sniffed(ContentType.VIDEO, "ogg")
        return Sniffed(ContentType.OTHER, "ogg")
    if head.startswith(b"\x1f\x8b") and suffix == ".tgs":
        return Sniffed(
            ContentType.ANIMATION,
            "tgs",
            HashFailure(
                Reason.UNSUPPORTED_FORMAT,
                "Telegram animated sticker (.tgs, Lottie vector animation): no decoder; "
                "it would have to be rendered",
                Status.UNSUPPORTED,
            ),
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:256].lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head.lower()):
        return Sniffed(
            ContentType.IMAGE,
            "svg",
            HashFailure(
                Reason.UNSUPPORTED_FORMAT,
                "SVG vector picture: it would have to be rendered",
                Status.UNSUPPORTED,
            ),
        )
    if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
        what = "a picture" if suffix in IMAGE_SUFFIXES else "a video"
        return Sniffed(
            ContentType.OTHER,
            "",
            HashFailure(
                Reason.NOT_MEDIA,
                f"named {suffix} but its content is not {what} (first bytes {head[:8].hex()})",
            ),
        )
    return Sniffed(ContentType.OTHER, "")


@dataclass
class Content:
    """An evidence file read once: digests, first bytes, bytes in memory when small enough."""

    original_path: str
    digests: CryptoDigests
    head: bytes
    data: bytes | None
    fs_path: str | None
    reopen: Callable[[], BinaryIO]
    content_type: ContentType = ContentType.OTHER
    format: str = ""

    def stream(self) -> BinaryIO:
        """A fresh read-only stream of the file, positioned at its start."""
        return io.BytesIO(self.data) if self.data is not None else self.reopen()


def load_content(original: str, opener: EvidenceOpener, limits: HashLimits) -> Content:
    """Read a registered file once: digests, and its bytes when small. Raises OSError,
    :class:`KeyError` (no such zip member) or :class:`~veilleur.errors.BadInput` (a FIFO or
    device, a damaged or encrypted zip) when the file cannot be read."""
    f, fs_path = opener.open(original)
    with f:
        digests, data = digest_stream(f, limits.keep_in_memory)
    if data is not None:
        head = data[:HEAD]
    else:
        with opener.open(original)[0] as again:
            head = again.read(HEAD)
    return Content(original, digests, head, data, fs_path, lambda: opener.open(original)[0])
