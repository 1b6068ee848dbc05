"""Media hashing: PDQ drift of the reduced-size JPEG decode, per-core speed, parallel speed-up.

Usage: ``python benchmarks/bench_hashing.py [--count 20] [--reps 3] [--data bench-data]``

Every picture is synthetic, drawn here (a smooth random colour field, 25 rectangles and ellipses,
light noise and a ``SYNTHETIC <n>`` label) and written once as a quality-85 JPEG under
``bench-data/hashing/``. It prints:

* **drift**: for JPEGs of 1024x768, 2048x1536, 4000x3000 and 6000x4000, the Hamming distance
  between the PDQ of Veilleur's reduced-size decode (``Image.draft("RGB", (512, 512))``) and of
  the full-size decode of the same file: median, 95th percentile and maximum;
* **reduction**: the same for 6000x4000 PNGs, box-reduced by 2 before PDQ (pictures other than
  JPEGs over 16.7 megapixels);
* **tolerance**: distances of common changes (re-encoding, resizing, greyscale, watermark,
  rotations and flips through the dihedral variants, crops of 1-5 % of the area) and of unrelated
  pictures, on ``2 x --count`` synthetic 800x600 pictures;
* **per core**, for 1024x768 and 4000x3000, interleaved in one process, median of ``--reps``:
  the peer, python-threatexchange's path (``PdqSignal.hash_from_file`` = PIL full decode, then
  ``pdqhash.compute``, then hex; python-threatexchange is not installed, so that path is rebuilt
  here from its source, operation for operation), Veilleur's PDQ alone (draft decode + the eight
  dihedral hashes) and Veilleur's whole per-file work (``hash_file``: read once, MD5 + SHA-1 +
  SHA-256, sniff, PDQ + dihedral);
* **parallel**: the 4000x3000 set through Veilleur's worker pool with 1 worker and with one per
  core (wall time including worker start), and the speed-up;
* **video**: vPDQ at one frame per second of a synthetic 1280x720, 30 fps, 20 s H.264 clip, as a
  multiple of real time, on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageDraw

from veilleur.demo.media import detailed_image, make_mp4
from veilleur.hashing.hasher import hash_file
from veilleur.hashing.pdq import hamming, pdq_of_image
from veilleur.hashing.signals import HashLimits
from veilleur.hashing.vpdq import vpdq_of_video
from veilleur.hashing.worker import WorkerPool, hash_in_process

SIZES = [(1024, 768), (2048, 1536), (4000, 3000), (6000, 4000)]
SPEED_SIZES = [(1024, 768), (4000, 3000)]


def jpegs(root: Path, size: tuple[int, int], count: int) -> list[Path]:
    folder = root / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        p = folder / f"synthetic_{i:03d}.jpg"
        if not p.exists():
            detailed_image(*size, seed=size[0] * 1000 + i).save(p, "JPEG", quality=85)
        paths.append(p)
    return paths


def peer_threatexchange(path: Path) -> tuple[str, int]:
    """python-threatexchange's ``PdqSignal.hash_from_file``: PIL open, full decode, pdqhash, hex."""
    image = Image.open(path)
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.concatenate([array[..., np.newaxis]] * 3, axis=2)
    hash_vector, quality = pdqhash.compute(array)
    bin_str = "".join([str(x) for x in hash_vector])
    hex_str = "%0*X" % ((len(bin_str) + 3) // 4, int(bin_str, 2))  # noqa: UP031 - pytx's own code
    return hex_str.lower(), quality


def drift(root: Path, count: int) -> None:
    print("\nPDQ drift, reduced-size decode vs full decode (Hamming bits; match threshold 31)")
    print(f"{'size':>11} {'n':>4} {'decoded at':>11} {'median':>6} {'p95':>4} {'max':>4} {'quality':>16}")
    for size in SIZES:
        ds: list[int] = []
        qs: list[int] = []
        decoded = ""
        for p in jpegs(root, size, count):
            data = p.read_bytes()
            a = pdq_of_image(data, "jpeg", draft=True)
            b = pdq_of_image(data, "jpeg", draft=False)
            ds.append(hamming(a.pdq, b.pdq))
            qs.append(b.quality)
            with Image.open(p) as im:
                im.draft("RGB", (HashLimits().draft_size,) * 2)
                decoded = f"{im.size[0]}x{im.size[1]}"
        ds.sort()
        p95 = ds[min(len(ds) - 1, round(0.95 * (len(ds) - 1)))]
        print(
            f"{size[0]:>5}x{size[1]:<5} {len(ds):>4} {decoded:>11} {statistics.median(ds):>6g} {p95:>4} "
            f"{ds[-1]:>4} {min(qs):>7}/{statistics.median(qs):g}"
        )


def reduce_drift(root: Path, count: int) -> None:
    """Pictures over 16.7 megapixels that are not JPEGs are box-reduced before PDQ: the cost."""
    print("\nPDQ drift, box reduction of large non-JPEG pictures vs full size (PNG 6000x4000 -> 3000x2000)")
    ds: list[int] = []
    for p in jpegs(root, (6000, 4000), min(count, 10)):
        with Image.open(p) as im:
            buf = io.BytesIO()
            im.save(buf, "PNG", compress_level=1)
        data = buf.getvalue()
        a = pdq_of_image(data, "png")
        b = pdq_of_image(data, "png", HashLimits(reduce_above_pixels=10**9))
        assert a.decoder == "reduce" and b.decoder == "full"
        ds.append(hamming(a.pdq, b.pdq))
    ds.sort()
    print(f"  n {len(ds)}: median {statistics.median(ds):g}, max {ds[-1]}")


def tolerance(count: int) -> None:
    """Distance of common changes from the original's nearest dihedral variant (800x600 PNG)."""
    t = Image.Transpose

    def png(im: Image.Image) -> bytes:
        buf = io.BytesIO()
        im.save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    def jpeg(im: Image.Image, q: int) -> bytes:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        return buf.getvalue()

    def crop(im: Image.Image, area: float) -> Image.Image:
        side = (1 - (1 - area) ** 0.5) / 2
        dx, dy = round(im.width * side), round(im.height * side)
        return im.crop((dx, dy, im.width - dx, im.height - dy))

    def watermark(im: Image.Image) -> Image.Image:
        over = Image.new("RGBA", im.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(over)
        w, h = im.size
        draw.rectangle((w - 150, h - 40, w - 10, h - 12), fill=(255, 255, 255, 110))
        draw.text((w - 144, h - 34), "(c) SYNTH TEST", fill=(0, 0, 0, 160))
        return Image.alpha_composite(im.convert("RGBA"), over).convert("RGB")

    changes = {
        "JPEG quality 60": lambda im: jpeg(im, 60),
        "resized to 50%": lambda im: png(
            im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR)
        ),
        "greyscale": lambda im: png(im.convert("L")),
        "watermark (corner, translucent)": lambda im: jpeg(watermark(im), 90),
        "rotations, flips, transposes": None,
        "cropped 1% of the area": lambda im: png(crop(im, 0.01)),
        "cropped 2%": lambda im: png(crop(im, 0.02)),
        "cropped 3%": lambda im: png(crop(im, 0.03)),
        "cropped 5%": lambda im: png(crop(im, 0.05)),
    }
    found: dict[str, list[int]] = {k: [] for k in changes}
    plain: list[int] = []
    originals = []
    for i in range(count):
        base = detailed_image(800, 600, seed=90_000 + i)
        o = pdq_of_image(png(base))
        originals.append(o)
        for name, change in changes.items():
            if change is None:
                for op in t:
                    h = pdq_of_image(png(base.transpose(op))).pdq
                    found[name].append(min(hamming(h, v) for v in o.dihedral))
                    plain.append(hamming(h, o.pdq))
            else:
                h = pdq_of_image(change(base)).pdq
                found[name].append(min(hamming(h, v) for v in o.dihedral))
    unrelated = [
        min(hamming(a.pdq, v) for v in b.dihedral)
        for i, a in enumerate(originals)
        for b in originals[i + 1 :]
    ]
    print(
        f"\nWhat PDQ tolerates: {count} synthetic 800x600 pictures, distance to the nearest dihedral variant"
    )
    for name, ds in [*found.items(), ("unrelated pictures", unrelated)]:
        ds.sort()
        over = sum(d > 31 for d in ds)
        print(
            f"  {name:<32} median {statistics.median(ds):>5g}  max {ds[-1]:>3}  min {ds[0]:>3}  "
            f"over 31: {over}/{len(ds)}"
        )
    print(
        f"  (rotations etc. on the plain hash, no dihedral variant: min {min(plain)}, median "
        f"{statistics.median(plain):g})"
    )


def per_core(root: Path, count: int, reps: int) -> None:
    print("\nPer core (one process), images/s, median of reps; same files, interleaved")
    for size in SPEED_SIZES:
        paths = jpegs(root, size, count)
        shas = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
        times: dict[str, list[float]] = {"peer": [], "decode": [], "pdq": [], "file": []}
        for _ in range(reps):
            for name in times:
                t = time.perf_counter()
                for p in paths:
                    if name == "peer":
                        peer_threatexchange(p)
                    elif name == "decode":  # the same reduced-size decode to RGB, no hash
                        with Image.open(io.BytesIO(p.read_bytes())) as im:
                            im.draft("RGB", (HashLimits().draft_size,) * 2)
                            im.convert("RGB").load()
                    elif name == "pdq":
                        pdq_of_image(p.read_bytes(), "jpeg")
                    else:
                        r = hash_file(shas[p], [(None, str(p))])
                        assert r.pdq, r.detail
                times[name].append(time.perf_counter() - t)
        rate = {k: len(paths) / statistics.median(v) for k, v in times.items()}
        print(
            f"  {size[0]}x{size[1]}: python-threatexchange path {rate['peer']:.1f}/s | "
            f"reduced-size decode alone {rate['decode']:.1f}/s | "
            f"Veilleur PDQ+dihedral (draft) {rate['pdq']:.1f}/s ({rate['pdq'] / rate['peer']:.1f}x) | "
            f"Veilleur hash_file (read, MD5+SHA-1+SHA-256, PDQ+dihedral) {rate['file']:.1f}/s "
            f"({rate['file'] / rate['peer']:.1f}x)"
        )


def parallel(root: Path, count: int) -> None:
    paths = jpegs(root, (4000, 3000), count)
    tasks = [(hashlib.sha256(p.read_bytes()).hexdigest(), [(None, str(p))]) for p in paths]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    print(f"\nParallel, {len(paths)} JPEGs of 4000x3000 (wall time; worker processes' start included)")
    t = time.perf_counter()
    assert all(r.pdq for r in hash_in_process(tasks, HashLimits()))
    alone = time.perf_counter() - t
    print(f"  in this process: {alone:.2f} s, {len(paths) / alone:.1f} images/s")
    base = 0.0
    for n in sorted({1, cores}):
        t = time.perf_counter()
        results = list(WorkerPool(n).map(tasks, HashLimits()))
        wall = time.perf_counter() - t
        assert all(r.pdq for r in results)
        base = base or wall
        print(
            f"  {n:>2} worker(s): {wall:.2f} s, {len(paths) / wall:.1f} images/s, "
            f"speed-up {base / wall:.2f}x over 1 worker, {alone / wall:.2f}x over in-process"
        )


def video(root: Path) -> None:
    p = root / "video_1280x720_30fps_20s.mp4"
    if not p.exists():
        make_mp4(p, 20, 1280, 720, 30, seed=11)
    with p.open("rb") as f:
        t = time.perf_counter()
        r = vpdq_of_video(f, HashLimits(video_threads=1))
        wall = time.perf_counter() - t
    print(
        f"\nvPDQ, 1280x720 30 fps 20 s H.264, one core: {len(r.frames)} frame hashes from "
        f"{r.frames_decoded} decoded frames in {wall:.2f} s = {20 / wall:.0f}x real time"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20, help="JPEGs per size")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path("bench-data"))
    ap.add_argument("--only", choices=("drift", "tolerance", "speed", "parallel", "video"), default=None)
    args = ap.parse_args()
    root = args.data / "hashing"
    root.mkdir(parents=True, exist_ok=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{cores} cores; load average before the run: {load} (others' work distorts timings)")
    if args.only in (None, "drift"):
        drift(root, args.count)
        reduce_drift(root, args.count)
    if args.only in (None, "tolerance"):
        tolerance(args.count * 2)
    if args.only in (None, "speed"):
        per_core(root, args.count, args.reps)
    if args.only in (None, "parallel"):
        parallel(root, args.count)
    if args.only in (None, "video"):
        video(root)


if __name__ == "__main__":
    main()
