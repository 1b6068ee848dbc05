"""vPDQ: PDQ of one frame per second of a video or an animation, with frame number and time.

Videos are decoded by FFmpeg through PyAV (bundled with its wheel: no system libraries), in memory;
frames are converted to RGB only when they are hashed. The frames chosen are those Meta's vPDQ
reference chooses: with the stream's average frame rate ``r``, every frame whose decode index is
a multiple of ``int(seconds_per_hash * r)`` (vpdq's ``frameMod``), so hashes line up with vPDQ
hashes computed elsewhere; frames are hashed at their native size, as vpdq does by default. A
stream without a usable frame rate is sampled by presentation time instead. Each hash keeps its
frame index, its presentation time in seconds and its PDQ quality.

Animated GIF, WebP and PNG pictures are decoded by Pillow, frame by frame, and sampled by time:
the frame on screen at 0 s, 1 s, 2 s, ... (a frame shown for several seconds is hashed once).

Huge or hostile files are bounded (:class:`HashLimits`): a frame declaring more pixels than the
limit is refused before decoding, and so is an animation whose canvas times its frames is over
``max_animation_pixels``; hashing stops at ``max_video_seconds``, ``max_frame_hashes`` or
``max_decoded_frames`` (status ``partial``, reason ``capped``). A stream damaged part-way keeps the
hashes of the frames before the damage (status ``partial``, reason ``corrupt``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar

import av
import numpy as np

from veilleur.hashing.content import Content
from veilleur.hashing.images import (
    check_pixels,
    decode_error,
    decoded_rgb,
    open_image,
    pixel_guard,
    reduce_if_large,
)
from veilleur.hashing.pdq import pdq_of_frame
from veilleur.hashing.signals import ContentType, HashFailure, HashLimits, Reason, SignalType, Status

__all__ = ["FrameHash", "VpdqResult", "VpdqSignal", "vpdq_of_animation", "vpdq_of_video"]


@dataclass(frozen=True)
class FrameHash:
    frame_index: int  # decode order, from 0 (vpdq's frame number)
    timestamp_s: float
    pdq: str
    quality: int


@dataclass(frozen=True)
class VpdqResult:
    frames: tuple[FrameHash, ...]
    width: int
    height: int
    frames_decoded: int
    duration_s: float | None
    frame_rate: float | None
    has_video: bool = True  # False: a container with no video stream (audio only)
    stopped: HashFailure | None = None  # why hashing stopped before the end, if it did
    reduced: bool = False  # frames box-reduced before hashing (over reduce_above_pixels)


def _capped(what: str) -> HashFailure:
    return HashFailure(Reason.CAPPED, what, Status.PARTIAL)


def _frame_rgb(frame: Any, limits: HashLimits) -> tuple[np.ndarray, bool]:
    w, h = frame.width, frame.height
    check_pixels(w, h, limits, "video frame")
    if w * h > limits.reduce_above_pixels:
        f = math.ceil(math.sqrt(w * h / limits.reduce_above_pixels))
        small = frame.reformat(width=max(1, w // f), height=max(1, h // f), format="rgb24")
        return np.ascontiguousarray(small.to_ndarray()), True
    return np.ascontiguousarray(frame.to_ndarray(format="rgb24")), False


def vpdq_of_video(src: BinaryIO, limits: HashLimits | None = None) -> VpdqResult:
    """vPDQ of a video file given as a seekable binary stream."""
    limits = limits or HashLimits()
    try:
        # Nested opens (MOV data references, playlists) may only read local files: never the network.
        container = av.open(src, mode="r", options={"protocol_whitelist": "file"})
    except Exception as e:
        raise decode_error(e) from e
    with container:
        if not container.streams.video:
            return VpdqResult((), 0, 0, 0, _seconds(container.duration), None, has_video=False)
        stream = container.streams.video[0]
        cc = stream.codec_context
        check_pixels(cc.width, cc.height, limits, "video frame")
        cc.thread_count = limits.video_threads
        cc.thread_type = "AUTO" if limits.video_threads != 1 else "SLICE"
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        frame_mod = max(1, int(limits.seconds_per_hash * fps)) if fps else None
        duration = _seconds(container.duration)
        frames: list[FrameHash] = []
        stopped: HashFailure | None = None
        reduced = False
        index = -1
        next_t = 0.0
        try:
            for frame in container.decode(stream):
                index += 1
                if index >= limits.max_decoded_frames:
                    stopped = _capped(f"stopped after {limits.max_decoded_frames:,} decoded frames")
                    break
                # A frame without a time stamp in a stream without a rate: assume 25 frames a second.
                t = frame.time if frame.time is not None else index / (fps or 25.0)
                if t >= limits.max_video_seconds:
                    stopped = _capped(f"hashed up to {limits.max_video_seconds:g} s")
                    break
                if frame_mod is not None:
                    take = index % frame_mod == 0
                else:
                    take = t >= next_t
                    if take:
                        next_t = (math.floor(t / limits.seconds_per_hash) + 1) * limits.seconds_per_hash
                if not take:
                    continue
                if len(frames) >= limits.max_frame_hashes:
                    stopped = _capped(f"stopped after {limits.max_frame_hashes:,} frame hashes")
                    break
                rgb, small = _frame_rgb(frame, limits)
                reduced = reduced or small
                pdq, quality = pdq_of_frame(rgb)
                frames.append(FrameHash(index, round(float(t), 6), pdq, quality))
        except HashFailure as e:
            if not frames or e.reason == Reason.DECOMPRESSION_BOMB:
                raise
            stopped = HashFailure(e.reason, e.detail, Status.PARTIAL)
        except Exception as e:
            failure = decode_error(e)
            if not frames:
                raise failure from e
            detail = f"{failure.detail} (after frame {index - 1})"
            stopped = HashFailure(failure.reason, detail, Status.PARTIAL)
        if not frames and stopped is None:
            raise HashFailure(Reason.CORRUPT, "no video frame could be decoded")
        return VpdqResult(
            tuple(frames), cc.width, cc.height, index + 1, duration, fps, stopped=stopped, reduced=reduced
        )


def _seconds(microseconds: int | None) -> float | None:
    return round(microseconds / 1_000_000, 6) if microseconds else None


def check_animation(im: Any, width: int, height: int, limits: HashLimits) -> None:
    """Refuse, before any frame is decoded, an animation whose frames would cost more pixels than
    ``limits.max_animation_pixels``: Pillow composites every frame onto the whole canvas, so the
    cost is the canvas times the frames, whatever the size of the file."""
    declared = int(getattr(im, "n_frames", 1) or 1)  # counted from the frame headers, not decoded
    frames = min(declared, limits.max_decoded_frames)
    cost = width * height * frames
    if cost > limits.max_animation_pixels:
        raise HashFailure(
            Reason.DECOMPRESSION_BOMB,
            f"animation of {declared:,} frames on a {width}x{height} canvas: {cost:,} pixels to "
            f"decode (canvas x frames), over the limit of {limits.max_animation_pixels:,}; "
            "no frame was decoded",
        )


def vpdq_of_animation(src: BinaryIO, fmt: str, limits: HashLimits | None = None) -> VpdqResult:
    """vPDQ of an animated GIF, WebP or PNG, sampled by each frame's display time."""
    limits = limits or HashLimits()
    step = limits.seconds_per_hash
    frames: list[FrameHash] = []
    stopped: HashFailure | None = None
    reduced = False
    with pixel_guard(limits):
        im = open_image(src, fmt)
        width, height = im.size
        clock = 0.0
        next_t = 0.0
        index = 0
        try:
            check_pixels(width, height, limits)
            check_animation(im, width, height, limits)
            while True:
                if index >= limits.max_decoded_frames:
                    stopped = _capped(f"stopped after {limits.max_decoded_frames:,} decoded frames")
                    break
                try:
                    im.seek(index)
                except EOFError:
                    break
                ms = im.info.get("duration") or 0
                # Browsers show a frame of 0 (or no) duration for 100 ms; so does this clock.
                start, clock = clock, clock + (float(ms) if float(ms) > 0 else 100.0) / 1000.0
                if start >= limits.max_video_seconds:
                    stopped = _capped(f"hashed up to {limits.max_video_seconds:g} s")
                    break
                if next_t < clock:
                    if len(frames) >= limits.max_frame_hashes:
                        stopped = _capped(f"stopped after {limits.max_frame_hashes:,} frame hashes")
                        break
                    frame, small = reduce_if_large(im, limits)
                    reduced = reduced or small
                    pdq, quality = pdq_of_frame(decoded_rgb(frame))
                    frames.append(FrameHash(index, round(start, 6), pdq, quality))
                    next_t = math.ceil(clock / step - 1e-9) * step
                index += 1
        except HashFailure as e:
            if not frames or e.reason == Reason.DECOMPRESSION_BOMB:
                raise
            stopped = HashFailure(e.reason, e.detail, Status.PARTIAL)
        except Exception as e:
            failure = decode_error(e)
            if not frames:
                raise failure from e
            stopped = HashFailure(failure.reason, f"{failure.detail} (at frame {index})", Status.PARTIAL)
        finally:
            im.close()
    return VpdqResult(
        tuple(frames),
        width,
        height,
        index,
        round(clock, 6) if stopped is None else None,
        None,
        stopped=stopped,
        reduced=reduced,
    )


class VpdqSignal(SignalType[VpdqResult]):
    """PDQ of one frame per second, for videos and animated pictures."""

    name: ClassVar[str] = "vpdq"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.VIDEO, ContentType.ANIMATION})

    def compute(self, content: Content, limits: HashLimits) -> VpdqResult:
        with content.stream() as f:
            if content.content_type == ContentType.ANIMATION:
                return vpdq_of_animation(f, content.format, limits)
            return vpdq_of_video(f, limits)
