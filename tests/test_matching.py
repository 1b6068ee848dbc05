"""Matching a case's media against hash lists, end to end, on SQLite and PostgreSQL.

Every picture and video is synthetic (``veilleur.demo.media``), and so is every list: the lists
hold hashes of those synthetic "originals". The case holds variants of them (exact copies,
re-encoded, resized, cropped, greyscale, watermarked, rotated, flipped), unrelated pictures and a
flat picture whose PDQ is too poor to match; each test states which must match, how, and which
must not.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import func, select

from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody.evidence import register_path
from veilleur.demo.media import detailed_image, make_mp4, synthetic_image
from veilleur.hashing import hash_case_media, pdq_of_image
from veilleur.hashing.vpdq import vpdq_of_video
from veilleur.lists import import_list
from veilleur.lists.thresholds import set_pdq_threshold
from veilleur.matching.exposure import FlaggedMediaRefused, flagged_sha256s, refuse_if_flagged
from veilleur.matching.results import current_run, flagged_files
from veilleur.matching.run import MatchOptions, match_case
from veilleur.store.schema import match_runs, matches


def encode(im: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def cropped(im: Image.Image, area: float) -> Image.Image:
    w, h = im.size
    side = (1 - (1 - area) ** 0.5) / 2
    dx, dy = round(w * side), round(h * side)
    return im.crop((dx, dy, w - dx, h - dy))


def watermarked(im: Image.Image) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    draw.rectangle((w - 160, h - 40, w - 10, h - 12), fill=(255, 255, 255))
    draw.text((w - 150, h - 34), "SYNTHETIC TEST", fill=(0, 0, 0))
    return out


@dataclass
class Fixture:
    case: Case
    folder: Path
    files: dict[str, str]  # name -> sha256
    listed: dict[str, str]  # what the lists hold, by label -> hash value (never to be printed)


ORIGINAL_JPEG = {"quality": 92}


def original() -> Image.Image:
    return detailed_image(800, 600, 41)


def _write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def build(case: Case, tmp_path: Path) -> Fixture:
    base = original()
    exact = encode(base, "JPEG", **ORIGINAL_JPEG)
    variants = {
        "exact.jpg": exact,
        "jpeg_q50.jpg": encode(base, "JPEG", quality=50),
        "resized.png": encode(base.resize((400, 300), Image.Resampling.BILINEAR)),
        "cropped2.png": encode(cropped(base, 0.02)),
        "greyscale.png": encode(base.convert("L")),
        "watermark.jpg": encode(watermarked(base), "JPEG", quality=85),
        "rotated90.png": encode(base.transpose(Image.Transpose.ROTATE_90)),
        "mirrored.png": encode(ImageOps.mirror(base)),
        "unrelated1.png": encode(detailed_image(800, 600, 77)),
        "unrelated2.jpg": encode(synthetic_image(640, 480, 78), "JPEG", quality=80),
        "collision.png": encode(detailed_image(640, 480, 79)),  # benign, yet in a positive list
        "flat.png": encode(Image.new("RGB", (300, 200), (128, 128, 128))),
        "not_media.bin": b"synthetic bytes, not a picture\n" * 10,
    }
    folder = tmp_path / "media"
    for name, data in variants.items():
        _write(folder, name, data)
    files = {name: hashlib.sha256(data).hexdigest() for name, data in variants.items()}
    with case.engine.begin() as conn:
        for path in sorted(folder.iterdir()):
            register_path(conn, path, kind="media", operator="tester")
    hash_case_media(case, workers=0, operator="tester")

    listed = {
        "original pdq": pdq_of_image(exact).pdq,
        "original md5": hashlib.md5(exact).hexdigest(),
        "collision pdq": pdq_of_image(variants["collision.png"]).pdq,
        "flat pdq": pdq_of_image(variants["flat.png"]).pdq,
    }
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "known.csv").write_text(
        "id,md5,category\nSYN-1,{},1\n".format(listed["original md5"]), encoding="utf-8"
    )
    (lists / "known-pdq.txt").write_text(
        f"pdq {listed['original pdq']}\npdq {listed['collision pdq']}\npdq {listed['flat pdq']}\n",
        encoding="utf-8",
    )
    (lists / "false-positives.txt").write_text(f"pdq {listed['collision pdq']}\n", encoding="utf-8")
    import_list(case, lists / "known.csv", name="Known (MD5)", operator="tester")
    import_list(case, lists / "known-pdq.txt", name="Known (PDQ)", operator="tester")
    import_list(
        case, lists / "false-positives.txt", name="Team negatives", operator="tester", kind="negative"
    )
    return Fixture(case, folder, files, listed)


@pytest.fixture
def fx(case: Case, tmp_path: Path) -> Fixture:
    return build(case, tmp_path)


def hits_by_name(fx: Fixture) -> dict[str, list[Any]]:
    by_sha = {v: k for k, v in fx.files.items()}
    with fx.case.engine.connect() as conn:
        return {by_sha[f.sha256]: f.hits for f in flagged_files(conn)}


def test_variants_match_and_unrelated_pictures_do_not(fx: Fixture) -> None:
    report = match_case(fx.case, MatchOptions(threads=1), operator="tester")
    found = hits_by_name(fx)
    # Plain PDQ finds the re-encoded, resized, slightly cropped, greyscale and watermarked copies;
    # the rotated and mirrored ones only with dihedral matching (next test).
    perceptual = {"jpeg_q50.jpg", "resized.png", "cropped2.png", "greyscale.png", "watermark.jpg"}
    assert set(found) == {"exact.jpg", "collision.png", *perceptual}
    for name in perceptual:
        (hit,) = found[name]
        assert (hit.method, hit.hash_type, hit.list_name, hit.threshold) == ("pdq", "pdq", "Known (PDQ)", 31)
        assert 0 < hit.distance <= 31 and hit.variant == 0
    # The exact copy: MD5 and PDQ agree.
    with fx.case.engine.connect() as conn:
        exact = next(f for f in flagged_files(conn) if f.sha256 == fx.files["exact.jpg"])
    assert exact.signals == ("md5", "pdq") and exact.flagged
    assert {(h.method, h.external_id, h.category, h.distance) for h in exact.hits} == {
        ("exact", "SYN-1", "1", 0),
        ("pdq", None, None, 0),
    }
    # The flat picture is listed, but its PDQ quality is too low to match anything.
    assert "flat.png" not in found and report.low_quality >= 1
    assert report.files_flagged == 1 + len(perceptual)  # the collision is suppressed


def test_dihedral_matching_finds_rotations_and_mirrors(fx: Fixture) -> None:
    match_case(fx.case, MatchOptions(dihedral=True, threads=1), operator="tester")
    found = hits_by_name(fx)
    assert found["rotated90.png"][0].variant in range(1, 8)
    assert found["mirrored.png"][0].variant in range(1, 8)
    assert found["rotated90.png"][0].variant != found["mirrored.png"][0].variant
    assert "unrelated1.png" not in found and "unrelated2.jpg" not in found


def test_negative_list_suppresses_and_is_shown(fx: Fixture) -> None:
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    with fx.case.engine.connect() as conn:
        files = {f.sha256: f for f in flagged_files(conn)}
        collision = files[fx.files["collision.png"]]
        assert not collision.flagged and collision.hits[0].suppressed_by is not None
        assert fx.files["collision.png"] not in {
            f.sha256 for f in flagged_files(conn, include_suppressed=False)
        }
        negatives = conn.execute(
            select(func.count()).select_from(matches).where(matches.c.list_kind == "negative")
        ).scalar()
    assert negatives == 1


def test_a_negative_exact_match_clears_the_file_a_perceptual_one_only_its_perceptual_hits(
    fx: Fixture, tmp_path: Path
) -> None:
    (tmp_path / "fp2.txt").write_text(f"pdq {fx.listed['original pdq']}\n", encoding="utf-8")
    import_list(fx.case, tmp_path / "fp2.txt", name="More negatives", operator="tester", kind="negative")
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    found = hits_by_name(fx)
    exact = {h.method: h for h in found["exact.jpg"]}
    assert exact["exact"].suppressed_by is None and exact["pdq"].suppressed_by is not None
    assert all(h.suppressed_by is not None for h in found["watermark.jpg"])

    (tmp_path / "fp3.txt").write_text(f"{fx.listed['original md5']}\n", encoding="utf-8")
    import_list(fx.case, tmp_path / "fp3.txt", name="Benign files", operator="tester", kind="negative")
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    assert all(h.suppressed_by is not None for h in hits_by_name(fx)["exact.jpg"])


def test_per_list_threshold(fx: Fixture) -> None:
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    d = hits_by_name(fx)["jpeg_q50.jpg"][0].distance
    with fx.case.engine.begin() as conn:
        set_pdq_threshold(conn, "Known (PDQ)", d - 1)
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    found = hits_by_name(fx)
    assert "jpeg_q50.jpg" not in found
    assert {h.threshold for h in found["exact.jpg"] if h.method == "pdq"} == {d - 1}


def test_runs_are_kept_and_the_latest_is_current(fx: Fixture, tmp_path: Path) -> None:
    first = match_case(fx.case, MatchOptions(threads=1), operator="tester").run_id
    # A new full version of the PDQ list without the original: its hits go, the MD5 hit stays.
    (tmp_path / "v2.txt").write_text(f"pdq {fx.listed['collision pdq']}\n", encoding="utf-8")
    import_list(fx.case, tmp_path / "v2.txt", name="Known (PDQ)", operator="tester")
    second = match_case(fx.case, MatchOptions(threads=1), operator="tester").run_id
    with fx.case.engine.connect() as conn:
        assert current_run(conn) == second > first
        assert {f.sha256 for f in flagged_files(conn, include_suppressed=False)} == {fx.files["exact.jpg"]}
        assert len(flagged_files(conn, first, include_suppressed=False)) == 6
        run = conn.execute(select(match_runs).where(match_runs.c.id == second)).one()
        assert run.status == "done" and run.operator == "tester"
        versions = {x["name"]: x["version"] for x in json.loads(run.lists)}
        assert versions["Known (PDQ)"] == "2"


def test_only_hits_are_recorded_never_a_near_miss(fx: Fixture) -> None:
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    with fx.case.engine.connect() as conn:
        rows = conn.execute(select(matches.c.distance, matches.c.threshold, matches.c.method)).all()
    assert rows and all(r.distance <= (r.threshold or 0) for r in rows)


def test_flagged_files_are_refused_for_display(fx: Fixture) -> None:
    with fx.case.engine.connect() as conn:
        refuse_if_flagged(conn, fx.files["exact.jpg"])  # not matched yet: nothing known
    match_case(fx.case, MatchOptions(threads=1), operator="tester")
    with fx.case.engine.connect() as conn:
        for name in ("exact.jpg", "watermark.jpg", "collision.png"):  # suppressed ones too
            with pytest.raises(FlaggedMediaRefused, match="never shows or copies"):
                refuse_if_flagged(conn, fx.files[name])
        refuse_if_flagged(conn, fx.files["unrelated1.png"])
        assert fx.files["unrelated1.png"] not in flagged_sha256s(conn)


def test_commands_never_print_a_list_value(fx: Fixture) -> None:
    runner = CliRunner()
    outputs = []
    for args in (
        ["match"],
        ["match", "--dihedral", "--json"],
        ["hits"],
        ["hits", "--json"],
        ["lists", "show"],
    ):
        result = runner.invoke(cli, ["--case", str(fx.case.root), "--operator", "tester", *args])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    text = "\n".join(outputs)
    assert "flagged" in text and "md5+pdq" in text
    for value in fx.listed.values():
        assert value not in text
    data = json.loads(outputs[3])
    assert {f["sha256"] for f in data["files"]} >= {fx.files["exact.jpg"], fx.files["rotated90.png"]}


# ------------------------------------------------------------------------------------------------
# Videos


def _frames_json(path: Path) -> str:
    with path.open("rb") as f:
        result = vpdq_of_video(f)
    return json.dumps([f"{fr.pdq},{fr.quality},{fr.timestamp_s:.3f}" for fr in result.frames])


def test_videos_match_by_vpdq_and_frames_by_listed_pictures(case: Case, tmp_path: Path) -> None:
    listed = tmp_path / "originals"
    make_mp4(listed / "known.mp4", 6, 320, 240, 6, seed=501)
    make_mp4(listed / "other.mp4", 6, 320, 240, 6, seed=502)
    media = tmp_path / "media"
    make_mp4(media / "reencoded.mp4", 6, 320, 240, 8, seed=501)  # the listed video at another frame rate
    make_mp4(media / "clip.mp4", 3, 320, 240, 6, seed=501)  # its first half
    make_mp4(media / "unrelated.mp4", 6, 320, 240, 6, seed=503)
    with case.engine.begin() as conn:
        for path in sorted(media.iterdir()):
            register_path(conn, path, kind="media", operator="tester")
    hash_case_media(case, workers=0, operator="tester")
    with (listed / "known.mp4").open("rb") as f:
        frame_pdq = vpdq_of_video(f).frames[2].pdq  # a still taken from the listed video
    (tmp_path / "videos.txt").write_text(
        f"vpdq {_frames_json(listed / 'known.mp4')}\nvpdq {_frames_json(listed / 'other.mp4')}\n",
        encoding="utf-8",
    )
    (tmp_path / "stills.txt").write_text(f"pdq {frame_pdq}\n", encoding="utf-8")
    import_list(case, tmp_path / "videos.txt", name="Known videos", operator="tester")
    import_list(case, tmp_path / "stills.txt", name="Known stills", operator="tester")

    report = match_case(case, MatchOptions(threads=1), operator="tester")
    sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in media.iterdir()}
    name_of = {v: k for k, v in sha.items()}
    with case.engine.connect() as conn:
        files = {name_of[f.sha256]: f for f in flagged_files(conn)}
    assert set(files) == {"reencoded.mp4", "clip.mp4"}
    assert report.videos_queried == 3
    for name in ("reencoded.mp4", "clip.mp4"):
        video = [h for h in files[name].hits if h.method == "vpdq"]
        assert len(video) == 1 and video[0].list_name == "Known videos"
        assert video[0].query_match_pct >= 80 and video[0].distance <= 31
    clip = next(h for h in files["clip.mp4"].hits if h.method == "vpdq")
    assert clip.compared_match_pct < 100  # a part of the listed video
    frames = [h for h in files["reencoded.mp4"].hits if h.method == "pdq-frame"]
    assert frames and frames[0].list_name == "Known stills" and frames[0].frame_ms is not None
    assert files["reencoded.mp4"].signals == ("pdq", "vpdq")

    # A stricter share of the listed video's frames leaves the half-length clip out.
    from veilleur.matching.video import VideoThresholds

    match_case(case, MatchOptions(threads=1, video=VideoThresholds(compared_match_pct=90.0)), operator="t")
    with case.engine.connect() as conn:
        matched = {name_of[f.sha256] for f in flagged_files(conn) if "vpdq" in f.signals}
    assert matched == {"reencoded.mp4"}
