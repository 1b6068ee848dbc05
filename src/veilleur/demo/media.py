"""Deterministic synthetic media for the demo case: shapes, gradients, noise and text, nothing else.

Every picture and video here is drawn by this module from a seed. Nothing is ever downloaded,
copied or derived from a real photograph, so the demo can be shared freely and cannot contain
abusive material. The files still have to *behave* like the ones Telegram Desktop saves (real
JPEG/PNG/WebP/MP4 containers an importer can hash, open and thumbnail), because the importer is
judged on real exports.

Determinism matters: the demo generator promises byte-identical output for a given seed, so each
function seeds its own ``numpy`` generator, never reads the clock and asks encoders for
single-threaded, metadata-free output.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "known_image",
    "make_jpeg",
    "make_known_jpeg",
    "make_mp4",
    "make_png",
    "make_thumb",
    "make_webp",
    "synthetic_image",
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([0x7E1E6, seed & 0xFFFFFFFF]))


def synthetic_image(w: int, h: int, seed: int, label: str | None = None) -> Image.Image:
    """An RGB picture: a two-colour gradient, a few rectangles and ellipses, light noise, a label.

    The label (``"SYNTHETIC <seed>"`` by default) makes it obvious to any viewer that the file is
    generated test material.
    """
    rng = _rng(seed)
    c1 = rng.integers(30, 226, 3).astype(np.float32)
    c2 = rng.integers(30, 226, 3).astype(np.float32)
    angle = float(rng.uniform(0, np.pi))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * np.cos(angle) + yy * np.sin(angle)) / max(
        1.0, float(w * abs(np.cos(angle)) + h * np.sin(angle))
    )
    t = np.clip(t, 0.0, 1.0)[..., None]
    arr = c1 * (1.0 - t) + c2 * t
    arr += rng.normal(0.0, 6.0, (h, w, 1)).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 7))):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1 + 4, y1 + 4), fill=colour)
        else:
            draw.ellipse((x0, y0, x1 + 4, y1 + 4), fill=colour, outline=(255, 255, 255))
    text = label if label is not None else f"SYNTHETIC {seed}"
    if text:
        tw = 7 * len(text) + 8
        draw.rectangle((6, h - 24, 6 + tw, h - 6), fill=(0, 0, 0))
        draw.text((10, h - 22), text, fill=(255, 255, 255))
    return img


def detailed_image(w: int, h: int, seed: int) -> Image.Image:
    """A synthetic picture with detail at every scale (so its PDQ quality is high, like a photo's)."""
    rng = np.random.default_rng([0xBE7C, seed])
    field = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    im = Image.fromarray(field, "RGB").resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(25):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape((x0, y0, x1 + 2, y1 + 2), fill=colour)
    arr = np.asarray(im, dtype=np.float32) + rng.normal(0.0, 6.0, (h, w, 1)).astype(np.float32)
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(im)
    s = max(1, w // 1000)
    draw.rectangle((6 * s, h - 24 * s, (6 + 8 + 7 * 13) * s, h - 6 * s), fill=(0, 0, 0))
    draw.text((10 * s, h - 22 * s), f"SYNTHETIC {seed}", fill=(255, 255, 255), font_size=11 * s)
    return im


KNOWN_CANVAS = (1200, 900)


def known_image(seed: int, w: int, h: int, *, mirror: bool = False) -> Image.Image:
    """A picture the demo's own hash lists call "known material": harmless shapes and noise.

    Always drawn at one canvas size and then resized, so that copies of different sizes are the
    *same* picture (as a re-shared photo is), which is what perceptual matching must find.
    """
    im = detailed_image(*KNOWN_CANVAS, seed)
    if (w, h) != KNOWN_CANVAS:
        im = im.resize((w, h), Image.Resampling.BILINEAR)
    return im.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else im


def make_known_jpeg(path: Path, seed: int, w: int, h: int, *, mirror: bool = False, quality: int = 82) -> int:
    """Write :func:`known_image` as a JPEG (no EXIF, baseline) and return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known_image(seed, w, h, mirror=mirror).save(path, "JPEG", quality=quality, optimize=False)
    return path.stat().st_size


def make_jpeg(path: Path, w: int, h: int, seed: int, label: str | None = None, quality: int = 82) -> int:
    """Write a synthetic JPEG (no EXIF, baseline) and return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    synthetic_image(w, h, seed, label).save(path, "JPEG", quality=quality, optimize=False)
    return path.stat().st_size


def make_png(path: Path, w: int, h: int, seed: int, label: str | None = None) -> int:
    """Write a synthetic PNG (e.g. an image sent "as a file", which lands in ``files/``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    synthetic_image(w, h, seed, label).save(path, "PNG", optimize=False)
    return path.stat().st_size


def make_thumb(path: Path, w: int, h: int, seed: int) -> int:
    """Write the small JPEG Telegram sends alongside a document (``<file>_thumb.jpg``).

    It is drawn from the same seed as the document's own frames, never computed from anything
    else, and kept around 90-320 px like the server-side thumbnails the exporter saves.
    """
    return make_jpeg(path, w, h, seed, label="", quality=70)


def make_webp(path: Path, seed: int, size: int = 512) -> int:
    """Write a 512x512 transparent WebP "sticker": a few coloured blobs and a star-like polygon."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = _rng(seed)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for _ in range(3):
        x0, y0 = (int(v) for v in rng.integers(16, size // 2, 2))
        r = int(rng.integers(size // 6, size // 3))
        colour = (*(int(v) for v in rng.integers(40, 256, 3)), 255)
        draw.ellipse((x0, y0, x0 + r * 2, y0 + r * 2), fill=colour, outline=(255, 255, 255, 255), width=6)
    cx, cy, n = size / 2, size / 2, 5
    points = []
    for i in range(n * 2):
        radius = size * (0.42 if i % 2 == 0 else 0.18)
        a = np.pi * i / n - np.pi / 2
        points.append((cx + radius * float(np.cos(a)), cy + radius * float(np.sin(a))))
    draw.polygon(points, fill=(255, 215, 0, 230), outline=(90, 60, 0, 255))
    img.save(path, "WEBP", lossless=True, quality=80, method=4, exif=b"", icc_profile=None)
    return path.stat().st_size


def _frame(w: int, h: int, i: int, n: int, base: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """One frame: a fixed background plus shapes moving along straight lines."""
    frame = base.copy()
    t = i / max(1, n - 1)
    for sx, sy, dx, dy, r, cr, cg, cb in shapes:
        x = int((sx + dx * t) % w)
        y = int((sy + dy * t) % h)
        rr = int(r)
        frame[max(0, y - rr) : y + rr, max(0, x - rr) : x + rr] = (cr, cg, cb)
    bar = int(t * (w - 8))
    frame[h - 6 : h - 2, 4 : 4 + bar] = (255, 255, 255)
    return frame


def _to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range RGB -> planar YUV 4:2:0, stacked as FFmpeg's ``yuv420p`` ndarray layout.

    Done in numpy rather than by swscale because swscale's SIMD path reads row padding for
    widths that are not a multiple of its vector size, which made the encoded bytes vary between
    runs.
    """
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    h, w = y.shape
    u = u.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    v = v.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    planes = [np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, u, v)]
    return np.concatenate([planes[0], planes[1].reshape(h // 4, w), planes[2].reshape(h // 4, w)])


def _yuv_frame(av: Any, yuv: np.ndarray, w: int, h: int) -> Any:
    """A ``yuv420p`` frame whose row padding is zeroed, so the encoder never sees stale memory."""
    frame = av.VideoFrame(w, h, "yuv420p")
    q = h // 4
    planes = (yuv[:h], yuv[h : h + q].reshape(h // 2, w // 2), yuv[h + q :].reshape(h // 2, w // 2))
    for plane, arr in zip(frame.planes, planes, strict=True):
        buf = np.zeros((arr.shape[0], plane.line_size), np.uint8)
        buf[:, : arr.shape[1]] = arr
        plane.update(buf.tobytes())
    return frame


def make_mp4(path: Path, seconds: float, w: int, h: int, fps: int, seed: int) -> int:
    """Write a silent H.264 MP4 of moving squares over a gradient; return its size in bytes.

    Uses libx264 when PyAV has it, else FFmpeg's ``mpeg4`` encoder. Encoding is single-threaded
    with a fixed GOP so the bytes depend on the seed only. Width and height are rounded down to
    multiples of 16: x264 reads whole macroblocks, and with a partial last macroblock (or
    uninitialised row padding) its output changed from run to run.
    """
    import av  # imported lazily: only needed when videos are actually written
    from av.video.stream import VideoStream

    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = max(16, w - w % 16), max(16, h - h % 16)
    rng = _rng(seed)
    base = np.asarray(synthetic_image(w, h, seed, label=f"SYNTHETIC VIDEO {seed}"), dtype=np.uint8)
    shapes = np.column_stack(
        [
            rng.integers(0, w, 4),
            rng.integers(0, h, 4),
            rng.integers(-w, w, 4),
            rng.integers(-h, h, 4),
            rng.integers(6, max(8, min(w, h) // 8), 4),
            rng.integers(0, 256, (4, 3)),
        ]
    )
    n = max(1, round(seconds * fps))
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        out.metadata.clear()
        stream = out.add_stream(codec, rate=fps)
        assert isinstance(stream, VideoStream)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        ctx = stream.codec_context
        ctx.gop_size = fps * 2
        ctx.thread_count = 1
        ctx.thread_type = "NONE"
        if codec == "libx264":
            # mbtree and the lowres lookahead read uninitialised memory in x264's SIMD code
            # (output varied between identical runs); without them the encode is reproducible.
            ctx.options = {
                "preset": "veryfast",
                "crf": "30",
                "threads": "1",
                "x264-params": "mbtree=0:rc-lookahead=0",
            }
        else:
            ctx.bit_rate = 400_000
        for i in range(n):
            frame = _yuv_frame(av, _to_yuv420p(_frame(w, h, i, n, base, shapes)), w, h)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path.stat().st_size
