"""The demo's own hash lists: what an authority would hand an investigator, made from synthetic files.

:func:`write_demo_lists` plays the list supplier for :data:`~veilleur.demo.scenario.KNOWN`: it
draws each "original" itself (in a temporary folder, deleted afterwards), hashes it, and writes
one list per format an investigator meets — a Project VIC VICS 2.0 hash set, python-threatexchange
``<type> <value>`` lines for PDQ and vPDQ, a bare SHA-256 list, and the team's negative list of
known benign files. Each list also carries a few hundred random synthetic values, as real lists
hold far more than any one case matches.

Originals differ from the case's copies the way re-shared files do: the PDQ list holds a larger
render of a picture the case holds resized, and the unmirrored picture the case holds mirrored;
the video list holds the video encoded at another frame rate. F1 and F4 are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from veilleur.demo import media as synth
from veilleur.demo.scenario import KNOWN
from veilleur.hashing import pdq_of_image
from veilleur.hashing.vpdq import vpdq_of_video

__all__ = ["write_demo_lists"]

_VICS2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
_FILLER = 300


def _case_copy(folder: Path, label: str) -> bytes:
    """The bytes of the case's copy of a known item, rendered exactly as the exports render it."""
    spec = KNOWN[label].spec
    path = folder / f"{label}.jpg"
    if spec.known:
        synth.make_known_jpeg(path, spec.seed, spec.width, spec.height, mirror=spec.mirror)
    else:
        synth.make_jpeg(path, spec.width, spec.height, spec.seed)
    return path.read_bytes()


def _original(folder: Path, label: str, w: int, h: int) -> bytes:
    """The supplier's original of a known picture: unmirrored, at ``w`` x ``h``, high quality."""
    path = folder / f"{label}-original.jpg"
    synth.make_known_jpeg(path, KNOWN[label].spec.seed, w, h, quality=92)
    return path.read_bytes()


def _vpdq_value(path: Path) -> str:
    with path.open("rb") as f:
        frames = vpdq_of_video(f).frames
    # python-threatexchange's vPDQ signal string: a JSON array of "<pdq>,<quality>,<seconds>"
    return json.dumps([f"{fr.pdq},{fr.quality},{fr.timestamp_s:.3f}" for fr in frames])


def write_demo_lists(out_dir: Path, seed: int = 7) -> list[dict[str, Any]]:
    """Write the demo lists under ``out_dir / 'lists'``; return how to import each one."""
    lists_dir = out_dir / "lists"
    lists_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"veilleur-demo-lists-{seed}")

    def filler(nbytes: int) -> list[str]:
        return [rng.randbytes(nbytes).hex() for _ in range(_FILLER)]

    with tempfile.TemporaryDirectory(prefix="veilleur-demo-originals-") as tmp:
        folder = Path(tmp)
        f1 = _case_copy(folder, "F1")
        f4 = _case_copy(folder, "F4")
        b1 = _case_copy(folder, "B1")
        f2 = _original(folder, "F2", *synth.KNOWN_CANVAS)
        f3 = _original(folder, "F3", 800, 600)
        v1 = KNOWN["V1"].spec
        synth.make_mp4(folder / "V1.mp4", v1.duration, v1.width, v1.height, 8, v1.seed)
        video = _vpdq_value(folder / "V1.mp4")

    media = [
        {
            "MediaID": 1,
            "Category": 1,
            "MD5": hashlib.md5(f1).hexdigest().upper(),
            "SHA1": hashlib.sha1(f1).hexdigest(),
            "IsPrecategorized": True,
            "Series": "SYNTHETIC-DEMO",
            "AlternativeHashes": [{"HashName": "PDQ", "HashValue": pdq_of_image(f1).pdq}],
        }
    ]
    for k, (md5, sha1) in enumerate(zip(filler(16), filler(20), strict=True), start=2):
        media.append({"MediaID": k, "Category": rng.choice([1, 2, 3]), "MD5": md5.upper(), "SHA1": sha1})
    (lists_dir / "projectvic-demo.json").write_text(
        json.dumps({"@odata.context": _VICS2, "value": media}, indent=1), encoding="utf-8"
    )

    pdq_lines = [f"pdq {pdq_of_image(data).pdq}" for data in (f2, f3, b1)]
    pdq_lines += [f"pdq {v}" for v in filler(32)]
    rng.shuffle(pdq_lines)
    (lists_dir / "pdq-demo.txt").write_text(
        "# Synthetic demo list: PDQ hashes of generated pictures only\n" + "\n".join(pdq_lines) + "\n",
        encoding="utf-8",
    )
    (lists_dir / "vpdq-demo.txt").write_text(
        "# Synthetic demo list: vPDQ of one generated video\n" + f"vpdq {video}\n", encoding="utf-8"
    )
    sha256s = [hashlib.sha256(f4).hexdigest(), *filler(32)]
    rng.shuffle(sha256s)
    (lists_dir / "sha256-demo.txt").write_text("\n".join(sha256s) + "\n", encoding="utf-8")
    (lists_dir / "negatives-demo.txt").write_text(
        "# Known benign files (the team's false positives)\n" + hashlib.md5(b1).hexdigest() + "\n",
        encoding="utf-8",
    )
    return [
        {"file": "projectvic-demo.json", "name": "Project VIC (demo)", "kind": "positive"},
        {"file": "pdq-demo.txt", "name": "Known pictures PDQ (demo)", "kind": "positive"},
        {"file": "vpdq-demo.txt", "name": "Known videos vPDQ (demo)", "kind": "positive"},
        {
            "file": "sha256-demo.txt",
            "name": "Known SHA-256 (demo)",
            "kind": "positive",
            "hash_type": "sha256",
        },
        {"file": "negatives-demo.txt", "name": "Team negatives (demo)", "kind": "negative"},
    ]
