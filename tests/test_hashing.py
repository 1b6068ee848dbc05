"""Media hashing: crypto digests, PDQ and its variants, vPDQ, bad files, the resumable case run.

Every picture and video here is synthetic, drawn by this file or by ``veilleur.demo.media``.
Hashing reads bytes and decodes pixels in memory; nothing here is ever displayed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import os
import pickle
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import func, select

from nohang import make_fifo, no_hang
from veilleur.case import Case, init_case
from veilleur.cli import cli
from veilleur.custody.evidence import register_member, register_path
from veilleur.demo.generate import generate_demo_case
from veilleur.demo.media import detailed_image, make_mp4, synthetic_image
from veilleur.errors import VeilleurError
from veilleur.hashing import HashLimits, Reason, Status, hash_case_media, hash_file
from veilleur.hashing.content import sniff
from veilleur.hashing.pdq import (
    DRAFT_MAX_DRIFT,
    MATCH_THRESHOLD,
    hamming,
    nearest_variant,
    pdq_hex,
    pdq_of_image,
)
from veilleur.hashing.signals import HashFailure
from veilleur.hashing.vpdq import vpdq_of_video
from veilleur.hashing.worker import WorkerPool
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.sources.container import ZipContainer
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import (
    custody_events,
    evidence,
    media,
    media_hashes,
    media_pdq_dihedral,
    video_frame_hashes,
)

# ------------------------------------------------------------------------------------------------
# Synthetic material


def encode(im: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buf = io.BytesIO()
    if fmt == "PNG":
        options.setdefault("compress_level", 1)
    im.save(buf, fmt, **options)
    return buf.getvalue()


def watermarked(im: Image.Image) -> Image.Image:
    w, h = im.size
    over = Image.new("RGBA", im.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(over)
    draw.rectangle((w - 150, h - 40, w - 10, h - 12), fill=(255, 255, 255, 110))
    draw.text((w - 144, h - 34), "(c) SYNTH TEST", fill=(0, 0, 0, 160))
    return Image.alpha_composite(im.convert("RGBA"), over).convert("RGB")


def cropped(im: Image.Image, area: float = 0.03) -> Image.Image:
    """Remove about ``area`` of the picture: a border of equal share on every side."""
    w, h = im.size
    side = (1 - (1 - area) ** 0.5) / 2
    dx, dy = round(w * side), round(h * side)
    return im.crop((dx, dy, w - dx, h - dy))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes declaring ``width`` x ``height`` pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hash_path(path: Path | str, limits: HashLimits | None = None) -> Any:
    p = Path(str(path).split("!", 1)[0])
    if "!" in str(path):
        with zipfile.ZipFile(p) as zf:
            sha = hashlib.sha256(zf.read(str(path).split("!", 1)[1])).hexdigest()
    else:
        sha = sha256_of(p)
    return hash_file(sha, [(None, str(path))], limits)


# ------------------------------------------------------------------------------------------------
# Digests and PDQ


def test_pdq_hex_is_the_reference_word_order() -> None:
    """64 hex digits, words w[15]..w[0] as the C++ Hash256::format writes them (= pytx's hex)."""
    rng = np.random.default_rng(3)
    vector = rng.integers(0, 2, 256)  # as pdqhash returns it: bit 255 first
    words = [sum(int(vector[255 - (16 * i + j)]) << j for j in range(16)) for i in range(16)]
    reference = "".join(f"{words[i]:04x}" for i in range(15, -1, -1))
    bits = "".join(str(int(x)) for x in vector)
    threatexchange = ("%0*X" % ((len(bits) + 3) // 4, int(bits, 2))).lower()  # noqa: UP031 - pytx's code
    assert pdq_hex(vector) == reference == threatexchange
    assert len(reference) == 64


def test_crypto_digests_equal_hashlib(tmp_path: Path) -> None:
    data = encode(detailed_image(320, 240, 1), "JPEG", quality=80) + b"trailing bytes"
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    r = hash_path(path)
    assert r.status == Status.OK
    assert (r.md5, r.sha1, r.sha256, r.size) == (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
        len(data),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_of_one_picture_stay_within_the_threshold(seed: int) -> None:
    """Re-encoded, resized, slightly cropped, rotated, flipped, greyscale, watermarked: all match."""
    base = detailed_image(800, 600, seed)
    original = pdq_of_image(encode(base))
    assert original.quality >= 80
    variants = {
        "jpeg q60": encode(base, "JPEG", quality=60),
        "resized 50%": encode(base.resize((400, 300), Image.Resampling.BILINEAR)),
        "cropped 2%": encode(cropped(base, 0.02)),
        "rotated 90": encode(base.transpose(Image.Transpose.ROTATE_90)),
        "rotated 270": encode(base.transpose(Image.Transpose.ROTATE_270)),
        "flipped": encode(ImageOps.mirror(base)),
        "upside down": encode(ImageOps.flip(base)),
        "greyscale": encode(base.convert("L")),
        "watermark": encode(watermarked(base), "JPEG", quality=90),
    }
    hashes = {name: pdq_of_image(data).pdq for name, data in variants.items()}
    distances = {name: nearest_variant(h, original.dihedral)[0] for name, h in hashes.items()}
    assert all(d <= MATCH_THRESHOLD for d in distances.values()), distances
    # Rotations and flips are found by a dihedral variant, not by the plain hash.
    for name in ("rotated 90", "rotated 270", "flipped", "upside down"):
        assert hamming(hashes[name], original.pdq) > MATCH_THRESHOLD


def test_crop_tolerance_is_about_three_percent_of_the_area() -> None:
    """PDQ is sensitive to cropping: a 3 % crop (a border of 0.76 % on each side) usually stays
    within 31 bits, and not always (docs/media-hashing.md gives the measured spread)."""
    distances = []
    for seed in range(1, 13):
        base = detailed_image(800, 600, seed)
        original = pdq_of_image(encode(base))
        distances.append(nearest_variant(pdq_of_image(encode(cropped(base, 0.03))).pdq, original.dihedral)[0])
    assert float(np.median(distances)) <= 24
    assert sum(d <= MATCH_THRESHOLD for d in distances) >= 10, distances


def test_dihedral_variants_name_the_transformation() -> None:
    base = detailed_image(640, 480, 9)
    original = pdq_of_image(encode(base))
    t = Image.Transpose
    operations = [t.ROTATE_90, t.ROTATE_180, t.ROTATE_270, t.FLIP_TOP_BOTTOM, t.FLIP_LEFT_RIGHT]
    for variant, op in enumerate([*operations, t.TRANSPOSE, t.TRANSVERSE], 1):
        distance, nearest = nearest_variant(pdq_of_image(encode(base.transpose(op))).pdq, original.dihedral)
        assert (nearest, distance <= MATCH_THRESHOLD) == (variant, True), op
    assert original.dihedral[0] == original.pdq and len(set(original.dihedral)) == 8


def test_unrelated_pictures_are_far_apart() -> None:
    hashes = [pdq_of_image(encode(detailed_image(640, 480, 100 + s))) for s in range(8)]
    hashes += [pdq_of_image(encode(synthetic_image(640, 480, 200 + s))) for s in range(4)]
    distances = [nearest_variant(a.pdq, b.dihedral)[0] for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > MATCH_THRESHOLD
    plain = [hamming(a.pdq, b.pdq) for a, b in itertools.combinations(hashes, 2)]
    assert float(np.median(plain)) >= 100  # about half the 256 bits differ


def test_draft_decode_stays_within_the_documented_distance() -> None:
    data = encode(detailed_image(4000, 3000, 7), "JPEG", quality=85)
    reduced = pdq_of_image(data, "jpeg")
    full = pdq_of_image(data, "jpeg", draft=False)
    assert reduced.decoder == "draft384" and full.decoder == "full"
    assert (reduced.width, reduced.height) == (4000, 3000)
    assert hamming(reduced.pdq, full.pdq) <= DRAFT_MAX_DRIFT
    common = encode(detailed_image(1024, 768, 8), "JPEG", quality=85)  # decoded at 512x384
    half, whole = pdq_of_image(common, "jpeg"), pdq_of_image(common, "jpeg", draft=False)
    assert half.decoder == "draft384" and hamming(half.pdq, whole.pdq) <= DRAFT_MAX_DRIFT
    small = encode(detailed_image(760, 600, 7), "JPEG", quality=85)  # a half would be under 384 px
    assert pdq_of_image(small, "jpeg").decoder == "full"


def test_large_non_jpeg_pictures_are_reduced_before_hashing() -> None:
    limits = HashLimits(reduce_above_pixels=400 * 300)
    data = encode(detailed_image(1600, 1200, 4))
    reduced = pdq_of_image(data, "png", limits)
    assert reduced.decoder == "reduce"
    assert hamming(reduced.pdq, pdq_of_image(data, "png").pdq) <= DRAFT_MAX_DRIFT


# ------------------------------------------------------------------------------------------------
# Videos and animations


def test_mp4_gets_one_frame_hash_per_second(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    make_mp4(path, 4, 160, 128, 10, seed=5)
    r = hash_path(path)
    assert (r.status, r.media_class, r.format) == (Status.OK, "video", "mp4")
    assert [f.frame_index for f in r.frame_hashes] == [0, 10, 20, 30]
    assert [f.timestamp_s for f in r.frame_hashes] == [0.0, 1.0, 2.0, 3.0]
    assert all(len(f.pdq) == 64 and 0 <= f.quality <= 100 for f in r.frame_hashes)
    assert r.frames == 40 and (r.width, r.height) == (160, 128) and r.pdq is None
    assert r.duration_s == pytest.approx(4.0, abs=0.2)


def test_long_video_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "long.mp4"
    make_mp4(path, 5, 64, 64, 5, seed=6)
    r = hash_path(path, HashLimits(max_video_seconds=2))
    assert (r.status, r.reason) == (Status.PARTIAL, Reason.CAPPED)
    assert [f.timestamp_s for f in r.frame_hashes] == [0.0, 1.0]
    with path.open("rb") as f:
        assert len(vpdq_of_video(f, HashLimits(max_frame_hashes=3)).frames) == 3


def test_animated_gif_hashes_its_first_frame_and_one_frame_per_second(tmp_path: Path) -> None:
    frames = [detailed_image(160, 120, 300 + i) for i in range(10)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=400, loop=0)
    r = hash_path(path)
    assert (r.status, r.media_class, r.format) == (Status.OK, "animation", "gif")
    assert r.pdq == r.frame_hashes[0].pdq
    # frames shown 0-0.4 s, 0.4-0.8, 0.8-1.2 (on screen at 1 s), ... : one hash per second
    sampled = [(f.frame_index, f.timestamp_s) for f in r.frame_hashes]
    assert sampled == [(0, 0.0), (2, 0.8), (5, 2.0), (7, 2.8)]
    assert r.duration_s == pytest.approx(4.0)


# ------------------------------------------------------------------------------------------------
# What a file holds, and files that cannot be hashed


def test_sniffing_reads_the_bytes_not_the_name() -> None:
    jpeg = encode(detailed_image(32, 32, 1), "JPEG")
    assert sniff(jpeg[:4096], "photo.png").format == "jpeg"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "round.bin").format == "mp4"
    assert sniff(b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isom", "a.m4a").content_type == "other"
    assert sniff(b"\x1a\x45\xdf\xa3\x01", "sticker.webm").format == "matroska"
    assert sniff(b"%PDF-1.7\n", "report.pdf").failure is None
    text = sniff(b"just text", "holiday.jpg").failure
    assert text is not None and text.reason == Reason.NOT_MEDIA
    heic = sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "IMG_0001.HEIC").failure
    assert heic is not None and (heic.status, heic.reason) == (Status.UNSUPPORTED, Reason.UNSUPPORTED_FORMAT)


def test_zip_member_is_hashed_in_place(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    data = encode(detailed_image(300, 200, 2), "JPEG", quality=85)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ChatExport/photos/photo_1.jpg", data)
    r = hash_path(f"{archive}!ChatExport/photos/photo_1.jpg")
    assert r.status == Status.OK and r.pdq == pdq_of_image(data).pdq
    assert r.sha256 == hashlib.sha256(data).hexdigest()


def bad_files(folder: Path) -> dict[str, tuple[str, str]]:
    """Write the hostile and broken files; return {name: (expected status, expected reason)}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    jpeg = encode(detailed_image(400, 300, 5), "JPEG", quality=85)
    png = encode(detailed_image(400, 300, 6))
    mp4_head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    heic_head = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    unsupported = ("unsupported", "unsupported_format")
    files = {
        "corrupt.jpg": (jpeg[:20] + rng.bytes(300) + jpeg[320:], ("failed", "corrupt")),  # header damaged
        "cut.jpg": (jpeg[: len(jpeg) // 3], ("failed", "truncated")),
        "truncated.png": (png[: len(png) // 2], ("failed", "truncated")),
        "bomb.png": (bomb_png(100_000, 100_000), ("failed", "decompression_bomb")),
        "bomb_small.png": (bomb_png(20_000, 20_000), ("failed", "decompression_bomb")),
        "notes.jpg": (b"This is a text file, not a picture.\n" * 20, ("failed", "not_media")),
        "sticker.tgs": (gzip.compress(b'{"v":"5.5.2","fr":60,"layers":[]}'), unsupported),
        "IMG_0001.HEIC": (heic_head + bytes(64), unsupported),
        "broken.mp4": (mp4_head + rng.bytes(3000), ("failed", "corrupt")),
        "good.jpg": (jpeg, ("ok", "")),
        "doc.pdf": (b"%PDF-1.4\n%synthetic\n", ("ok", "")),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}


def register_all(case: Case, folder: Path) -> None:
    with case.engine.begin() as conn:
        for path in sorted(folder.iterdir()):
            register_path(conn, path, kind="media", operator="tester")


def test_bad_files_are_recorded_with_their_reason_and_the_run_goes_on(case: Case, tmp_path: Path) -> None:
    expected = bad_files(tmp_path / "media")
    register_all(case, tmp_path / "media")
    report = hash_case_media(case, workers=2, operator="tester")
    assert report.hashed == report.selected == len(expected)
    with case.engine.connect() as conn:
        rows = conn.execute(
            select(evidence.c.original_path, media_hashes).join(
                media_hashes, media_hashes.c.sha256 == evidence.c.sha256
            )
        ).all()
    got = {Path(r.original_path).name: (r.status, r.reason or "") for r in rows}
    assert got == expected
    details = {Path(r.original_path).name: r.detail for r in rows}
    assert "DecompressionBombError: Image size (10000000000 pixels)" in details["bomb.png"]
    assert "400,000,000 pixels" in details["bomb_small.png"]
    good = next(r for r in rows if r.original_path.endswith("good.jpg"))
    assert good.md5 and good.sha1 and good.pdq and good.pdq_quality is not None and good.frame_hashes == 0
    assert good.hashed_at and good.operator == "tester" and "pdqhash" in good.hasher_version
    assert report.by_status == {"ok": 2, "failed": 7, "unsupported": 2}
    assert hash_case_media(case, workers=0, operator="tester").selected == 0  # failures are not retried
    again = hash_case_media(case, workers=0, operator="tester", retry_failed=True)
    assert again.selected == 7 and again.by_status == {"failed": 7}


def test_changed_evidence_is_recorded_not_hashed(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "media" / "photo.jpg"
    path.parent.mkdir()
    path.write_bytes(encode(detailed_image(200, 150, 8), "JPEG"))
    register_all(case, path.parent)
    path.write_bytes(encode(detailed_image(200, 150, 9), "JPEG"))  # altered after registration
    report = hash_case_media(case, workers=0, operator="tester")
    assert report.by_reason == {"changed": 1} and report.changed_evidence == 1
    with case.engine.connect() as conn:
        row = conn.execute(select(media_hashes)).one()
        assert row.status == "failed" and row.pdq is None and row.md5 is None
        events = conn.execute(select(custody_events.c.event).order_by(custody_events.c.id)).scalars().all()
    assert events == ["registered", "changed"]


def test_a_file_over_the_time_limit_costs_that_file_only(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        p = tmp_path / f"p{i}.png"
        p.write_bytes(encode(detailed_image(200, 150, 20 + i)))
        paths.append(p)
    tasks = [(sha256_of(p), [(None, str(p))]) for p in paths]
    results = list(WorkerPool(2).map(tasks, HashLimits(timeout_s=0.0)))
    assert sorted(r.sha256 for r in results) == sorted(t[0] for t in tasks)
    assert {(r.status, r.reason) for r in results} == {(Status.FAILED, Reason.TIMEOUT)}
    assert [r.status for r in WorkerPool(2).map(tasks, HashLimits())] == [Status.OK] * 3


# ------------------------------------------------------------------------------------------------
# The demo case, both backends


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("hash_demo")
    truth = json.loads(generate_demo_case(out, seed=7).read_text(encoding="utf-8"))
    return out, truth


def import_demo(case: Case, demo: tuple[Path, dict[str, Any]]) -> None:
    """The demo exports, then a seized phone's zip holding four of their pictures again (same
    bytes) and one of its own: four files reach the case by two paths."""
    root, truth = demo
    for name in truth["import_order"]:
        offset = truth["exports"][name]["utc_offset"]
        import_export(case, root / "exports" / name, ImportOptions("tester", utc_offset(offset)))
    with case.engine.connect() as conn:
        pictures = (
            conn.execute(
                select(evidence.c.original_path)
                .where(evidence.c.kind == "media", evidence.c.original_path.like("%.jpg"))
                .order_by(evidence.c.id)
                .limit(4)
            )
            .scalars()
            .all()
        )
    archive = case.root / "seized.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, p in enumerate(pictures):
            zf.write(p, f"DCIM/IMG_{i}.jpg")
        zf.writestr("DCIM/only_here.jpg", encode(detailed_image(320, 240, 77), "JPEG"))
    seized = ZipContainer(archive)
    with case.engine.begin() as conn:
        for rel in seized.files():
            register_member(conn, seized, rel, kind="media", parent_id=None, operator="tester")
    seized.close()


def test_demo_media_are_hashed_once_each_and_a_second_run_hashes_nothing(
    case: Case, demo: tuple[Path, dict[str, Any]]
) -> None:
    import_demo(case, demo)
    with case.engine.connect() as conn:
        counts = select(func.count(), func.count(func.distinct(evidence.c.sha256)))
        rows, distinct = conn.execute(counts.where(evidence.c.kind == "media")).one()
        # Later exports (the group again, the account's own) show again messages that had files
        # in an earlier one: their copies are registered as evidence of their own, linked to no
        # message (the first file stays the message's).
        linked = select(media.c.file_evidence_id).where(media.c.file_evidence_id.is_not(None))
        later = conn.execute(
            select(func.count()).where(
                evidence.c.kind == "media",
                evidence.c.original_path.contains("/exports/"),
                evidence.c.id.not_in(linked),
            )
        ).scalar_one()
    # Five files registered twice besides: four demo pictures again in a seized zip, and the
    # demo's forwarded known picture (F2), saved in two chats of the account export.
    assert later > 0
    assert rows == distinct + 5 + later
    seen: list[tuple[int, int]] = []
    report = hash_case_media(case, workers=2, operator="tester", progress=lambda d, n: seen.append((d, n)))
    assert report.media_files == report.hashed == distinct and report.remaining == 0
    assert seen[0] == (0, distinct) and seen[-1] == (distinct, distinct)
    assert report.by_status == {"ok": distinct}
    with case.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(media_hashes)).scalar() == distinct
        by_class = select(media_hashes.c.media_class, func.count()).group_by(media_hashes.c.media_class)
        classes = {row[0]: row[1] for row in conn.execute(by_class)}
        assert classes.get("image", 0) > 0 and classes.get("video", 0) > 0
        n_images = int(conn.execute(select(func.count()).where(media_hashes.c.pdq.is_not(None))).scalar_one())
        assert conn.execute(select(func.count()).select_from(media_pdq_dihedral)).scalar() == 8 * n_images
        frames = conn.execute(select(func.count()).select_from(video_frame_hashes)).scalar()
        assert frames == report.frame_hashes and frames >= classes["video"]
        # every present media file of every message has its hashes
        unhashed = conn.execute(
            select(func.count())
            .select_from(media.join(evidence, media.c.file_evidence_id == evidence.c.id))
            .outerjoin(media_hashes, media_hashes.c.sha256 == evidence.c.sha256)
            .where(media_hashes.c.sha256.is_(None))
        ).scalar()
        assert unhashed == 0
        read_from = (
            conn.execute(
                select(evidence.c.original_path)
                .join(media_hashes, media_hashes.c.evidence_id == evidence.c.id)
                .where(evidence.c.original_path.like("%seized.zip!%"))
            )
            .scalars()
            .all()
        )
        assert [p.rsplit("!", 1)[1] for p in read_from] == ["DCIM/only_here.jpg"]  # read in the zip
        stamps = conn.execute(select(media_hashes.c.sha256, media_hashes.c.hashed_at)).all()
    second = hash_case_media(case, workers=2, operator="tester")
    assert (second.selected, second.hashed, second.already_hashed) == (0, 0, distinct)
    with case.engine.connect() as conn:
        assert conn.execute(select(media_hashes.c.sha256, media_hashes.c.hashed_at)).all() == stamps


class Stop(Exception):
    pass


def test_an_interrupted_run_resumes_where_it_stopped(case: Case, demo: tuple[Path, dict[str, Any]]) -> None:
    import_demo(case, demo)
    first = hash_case_media(case, workers=0, operator="tester", limit=10)
    assert first.hashed == 10 and first.remaining == first.media_files - 10

    def stop_after_12(done: int, total: int) -> None:
        if done == 12:
            raise Stop  # as if the process were interrupted: the files finished are kept

    with pytest.raises(Stop):
        hash_case_media(case, workers=2, operator="tester", progress=stop_after_12, batch_size=5)
    with case.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(media_hashes)).scalar() == 22
    rest = hash_case_media(case, workers=2, operator="tester")
    assert rest.already_hashed == 22 and rest.hashed == first.media_files - 22 and rest.remaining == 0
    with case.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(media_hashes)).scalar() == first.media_files


# ------------------------------------------------------------------------------------------------
# Command line (the schema: tests/test_store_contract.py)


def test_cli_hash_prints_counts_only(tmp_path: Path) -> None:
    case = init_case(tmp_path / "case", operator="tester")
    expected = bad_files(tmp_path / "media")
    register_all(case, tmp_path / "media")
    case.close()
    runner = CliRunner()
    args = ["--case", str(tmp_path / "case"), "--operator", "tester", "hash"]
    res = runner.invoke(cli, [*args, "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "Media hashing" in res.output
    assert "decompression_bomb: 2" in res.output and "unsupported: 2" in res.output
    res = runner.invoke(cli, [*args, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert (report["already_hashed"], report["hashed"]) == (len(expected), 0)


def test_a_worker_crash_costs_that_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent), prepend=os.pathsep)
    paths = []
    for i, name in enumerate(["a.png", "crash.png", "b.png", "c.png"]):
        p = tmp_path / name
        p.write_bytes(encode(detailed_image(120, 90, 40 + i)))
        paths.append(p)
    tasks = [(sha256_of(p), [(None, str(p))]) for p in paths]
    pool = WorkerPool(2, child_module="hashing_crash_child")
    results = {r.sha256: r for r in pool.map(tasks, HashLimits())}
    assert len(results) == 4
    crashed = results.pop(tasks[1][0])
    assert (crashed.status, crashed.reason) == (Status.FAILED, Reason.WORKER_CRASHED)
    assert crashed.detail is not None and "signal 6" in crashed.detail
    assert {r.status for r in results.values()} == {Status.OK}


def test_a_hash_failure_is_a_veilleur_error_that_crosses_processes_whole() -> None:
    failure = HashFailure(Reason.CAPPED, "hashed up to 4 h", Status.PARTIAL)
    assert isinstance(failure, VeilleurError)
    back = pickle.loads(pickle.dumps(failure))  # what a worker's pipe does
    assert type(back) is HashFailure
    assert (back.reason, back.detail, back.status, str(back)) == (
        Reason.CAPPED,
        "hashed up to 4 h",
        Status.PARTIAL,
        "hashed up to 4 h",
    )


def test_other_libraries_cannot_make_truncated_pictures_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint (used for PDF reports) turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when
    imported; hashing must still refuse a truncated picture, and still hash a whole one."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    jpeg = encode(detailed_image(640, 480, 5), "JPEG", quality=90)
    (tmp_path / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (tmp_path / "whole.jpg").write_bytes(jpeg)
    cut, whole = hash_path(tmp_path / "cut.jpg"), hash_path(tmp_path / "whole.jpg")
    assert (cut.status, cut.reason) == ("failed", "truncated")
    assert whole.status == "ok" and whole.pdq is not None
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # restored for whoever set it


# ------------------------------------------------------------------------------------------------
# Only regular files are read; an animation is bounded by its canvas times its frames


@pytest.mark.parametrize("workers", [0, 2])
def test_a_fifo_or_a_device_where_a_media_file_was_is_a_failure_and_the_run_goes_on(
    case: Case, tmp_path: Path, workers: int
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    for i, name in enumerate(["good.png", "fifo.png", "device.jpg"]):
        (folder / name).write_bytes(encode(detailed_image(160, 120, 60 + i)))
    register_all(case, folder)
    make_fifo(folder / "fifo.png")
    (folder / "device.jpg").unlink()
    os.symlink("/dev/zero", folder / "device.jpg")  # never ends
    with no_hang(90):
        report = hash_case_media(case, workers=workers, operator="tester", limits=HashLimits(timeout_s=45))
    assert report.hashed == 3 and report.by_status == {"ok": 1, "failed": 2}
    assert report.by_reason == {"not_regular_file": 2} and report.changed_evidence == 0
    with case.engine.connect() as conn:
        rows = {
            Path(r.original_path).name: r
            for r in conn.execute(
                select(evidence.c.original_path, media_hashes).join(
                    media_hashes, media_hashes.c.sha256 == evidence.c.sha256
                )
            )
        }
    assert rows["good.png"].status == "ok" and rows["good.png"].pdq
    for name, what in (("fifo.png", "a FIFO"), ("device.jpg", "a character device")):
        r = rows[name]
        assert (r.status, r.reason, r.md5, r.pdq) == ("failed", "not_regular_file", None, None)
        assert str(folder / name) in r.detail and what in r.detail, r.detail

    # The command says so, and a retry meets the same refusal instead of waiting.
    args = ["--case", str(case.root), "--operator", "tester", "hash", "--workers", "0", "--retry-failed"]
    with no_hang(90):
        res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "not_regular_file: 2" in res.output


def _frames(n: int) -> list[Image.Image]:
    return [Image.new("RGB", (2, 2), (i % 250, 80, 160)) for i in range(n)]


def _gif(width: int, height: int, n: int) -> bytes:
    frames = [Image.new("P", (2, 2), i % 250) for i in range(n)]
    data = bytearray(
        encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=0, optimize=False)
    )
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen: every frame is drawn on it
    return bytes(data)


def _apng(width: int, height: int, n: int) -> bytes:
    frames = _frames(n)
    data = bytearray(encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _webp(width: int, height: int, n: int) -> bytes:
    frames = _frames(n)
    data = bytearray(
        encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    )
    at = data.index(b"VP8X")  # the canvas, as width - 1 and height - 1 on 24 bits each
    data[at + 12 : at + 15] = (width - 1).to_bytes(3, "little")
    data[at + 15 : at + 18] = (height - 1).to_bytes(3, "little")
    return bytes(data)


@pytest.mark.parametrize("fmt", ["gif", "png", "webp"])
def test_an_animation_with_a_huge_canvas_is_bounded_by_canvas_times_frames(
    tmp_path: Path, fmt: str
) -> None:
    make = {"gif": _gif, "png": _apng, "webp": _webp}[fmt]
    data = make(9000, 9000, 200)
    with Image.open(io.BytesIO(data)) as im:  # what it claims to be: a huge canvas, many frames
        assert im.size == (9000, 9000) and im.n_frames == 200 and len(data) < 20_000
    path = tmp_path / f"sticker.{fmt}"
    path.write_bytes(data)
    started = time.monotonic()
    r = hash_path(path)
    took = time.monotonic() - started
    assert (r.status, r.reason, r.media_class, r.format) == (
        Status.FAILED,
        Reason.DECOMPRESSION_BOMB,
        "animation",
        fmt,
    )
    assert r.detail is not None and "200 frames on a 9000x9000 canvas" in r.detail
    assert "16,200,000,000 pixels" in r.detail and "canvas x frames" in r.detail
    assert r.frame_hashes == ()
    assert took < 30, took  # frame by frame it took a minute and 800 MB

    # The same frames on a small canvas are hashed; the bound is the product, not either factor.
    small = tmp_path / f"small.{fmt}"
    small.write_bytes(make(300, 300, 200))
    ok = hash_path(small)
    assert ok.status == Status.OK and ok.media_class == "animation" and len(ok.frame_hashes) > 1
    tight = hash_path(small, HashLimits(max_animation_pixels=300 * 300 * 199))
    assert (tight.status, tight.reason) == (Status.FAILED, Reason.DECOMPRESSION_BOMB)
    assert hash_path(small, HashLimits(max_animation_pixels=300 * 300 * 200)).status == Status.OK
