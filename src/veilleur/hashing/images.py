"""Opening and decoding pictures with Pillow, in memory, under the pixel limits.

Nothing here writes or shows an image: a picture is decoded into an array only to be hashed, and
the array is dropped with it.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from veilleur.hashing.signals import HashFailure, HashLimits, Reason

__all__ = ["decode_error", "decoded_rgb", "open_image", "pixel_guard", "reduce_if_large"]

PIL_FORMATS = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "tiff": "TIFF",
    "bmp": "BMP",
    "jpeg2000": "JPEG2000",
    "qoi": "QOI",
    "psd": "PSD",
    "ico": "ICO",
    "avif": "AVIF",
}
JPEG_LIKE = ("JPEG", "MPO")
DRAFT_FACTOR = 64  # a 1/8 JPEG decode has 1/64 of the declared pixels


@contextlib.contextmanager
def pixel_guard(limits: HashLimits) -> Iterator[None]:
    """Pillow's decompression-bomb guard, set for this decode, its warning silenced.

    Pillow refuses (``DecompressionBombError``) a picture declaring more than twice
    ``MAX_IMAGE_PIXELS``; that is set so that only a picture even a 1/8 JPEG decode could not bring
    under ``limits.max_pixels`` is refused at open. The exact limit on decoded pixels is checked
    after the reduced-size decode is chosen (:func:`open_image`'s callers).
    """
    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = limits.max_pixels * DRAFT_FACTOR // 2
    # A truncated picture must fail, not be padded with grey. Other libraries in the process set
    # this process-wide flag (WeasyPrint turns it on when it is imported), so it is set here for
    # every decode rather than assumed.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def decode_error(e: BaseException) -> HashFailure:
    """A decoder's exception as a recorded reason."""
    if isinstance(e, HashFailure):
        return e
    if isinstance(e, Image.DecompressionBombError):
        return HashFailure(Reason.DECOMPRESSION_BOMB, f"Pillow's DecompressionBombError: {e}")
    if isinstance(e, MemoryError):
        return HashFailure(Reason.OUT_OF_MEMORY, "not enough memory to decode")
    text = f"{type(e).__name__}: {e}".strip()
    if "truncated" in text.lower() or isinstance(e, EOFError):
        return HashFailure(Reason.TRUNCATED, text)
    if "MAX_TEXT_CHUNK" in text or "decompressed data too large" in text.lower():
        return HashFailure(Reason.DECOMPRESSION_BOMB, text)
    return HashFailure(Reason.CORRUPT, text)


def open_image(stream: BinaryIO, fmt: str) -> ImageFile.ImageFile:
    """Open (parse the header of) a picture of the sniffed format; call inside :func:`pixel_guard`."""
    try:
        return Image.open(stream, formats=[PIL_FORMATS[fmt]] if fmt in PIL_FORMATS else None)
    except UnidentifiedImageError as e:
        what = fmt.upper() if fmt else "picture"
        raise HashFailure(Reason.CORRUPT, f"not a readable {what}: its header does not parse") from e
    except Exception as e:
        raise decode_error(e) from e


def check_pixels(width: int, height: int, limits: HashLimits, what: str = "picture") -> None:
    if width <= 0 or height <= 0:
        raise HashFailure(Reason.CORRUPT, f"{what} declares {width}x{height} pixels")
    if width * height > limits.max_pixels:
        raise HashFailure(
            Reason.DECOMPRESSION_BOMB,
            f"{what} declares {width}x{height} = {width * height:,} pixels to decode, "
            f"over the limit of {limits.max_pixels:,}",
        )


def reduce_if_large(im: Image.Image, limits: HashLimits) -> tuple[Image.Image, bool]:
    """Box-reduce a decoded picture by an integer factor when over ``reduce_above_pixels``."""
    pixels = im.width * im.height
    if pixels <= limits.reduce_above_pixels:
        return im, False
    factor = math.ceil(math.sqrt(pixels / limits.reduce_above_pixels))
    if im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    return im.reduce(factor), True


def decoded_rgb(im: Image.Image) -> np.ndarray:
    """The decoded picture as a C-contiguous ``uint8`` H x W x 3 array (alpha dropped).

    Alpha is dropped, not composited, as python-threatexchange does (it hands RGBA arrays to
    pdqhash, which reads the first three channels). Palette pictures are expanded to their colours
    (python-threatexchange would hash the palette indices). 16-bit and float greys are scaled to
    8 bits.
    """
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        grey = np.clip(a * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))
