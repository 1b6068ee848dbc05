"""Synthetic hash lists in every format Veilleur reads, and malformed ones that must fail.

Every hash here is random bytes from a seeded generator: no list holds the hash of any real
file. Categories, series and identifiers are made up. Each writer takes the same
:class:`Synth` entries, so one expectation checks every format.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

VICS2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{profile}/$metadata#{set}"
VICS1 = "http://github.com/ICMEC/ProjectVic/DataModels/1.1.xml#Cases"
NCMEC_NS = "https://hashsharing.ncmec.org/hashsharing/v2"


@dataclass(frozen=True)
class Synth:
    """One synthetic list entry with random hashes of every kind."""

    media_id: int
    md5: str
    sha1: str
    sha256: str
    pdq: str
    photodna: bytes
    category: int
    series: str | None = None
    victim_identified: bool = False
    distributed: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def grade(self) -> str:
        return "ABC"[(self.category - 1) % 3]

    @property
    def flags(self) -> tuple[str, ...]:
        f = ["precategorized"]
        if self.victim_identified:
            f.append("victim_identified")
        if self.distributed:
            f.append("distributed")
        f.extend(f"tag:{t}" for t in self.tags)
        return tuple(sorted(f))


def synth(n: int, seed: int = 1, start_id: int = 1) -> list[Synth]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            Synth(
                media_id=start_id + i,
                md5=rng.randbytes(16).hex(),
                sha1=rng.randbytes(20).hex(),
                sha256=rng.randbytes(32).hex(),
                pdq=rng.randbytes(32).hex(),
                photodna=rng.randbytes(144),
                category=1 + i % 3,
                series=f"series-{i % 4}" if i % 2 == 0 else None,
                victim_identified=i % 5 == 0,
                distributed=i % 3 == 1,
                tags=("synthetic",) if i % 7 == 0 else (),
            )
        )
    return out


@dataclass(frozen=True)
class SynthVideo:
    """One synthetic listed video: random frame PDQs with a quality and a time (seconds) each.

    Times are multiples of half a second under 100 s, so python-threatexchange's three
    significant digits write them exactly."""

    media_id: int
    frames: tuple[tuple[str, int, float], ...]
    category: int

    def te_signal(self, *, upper: bool = False) -> str:
        """The value as python-threatexchange serialises it (``vpdq_to_json``)."""
        return json.dumps([f"{p.upper() if upper else p},{q},{t:.3}" for p, q, t in self.frames])

    def triples(self) -> str:
        """The value as ``;``-separated ``pdq,quality,seconds`` frames."""
        return ";".join(f"{p},{q},{t}" for p, q, t in self.frames)

    def canonical(self) -> str:
        return json.dumps([f"{p},{q},{t:.3f}" for p, q, t in self.frames])


def synth_videos(n: int, seed: int = 1, start_id: int = 1) -> list[SynthVideo]:
    rng = random.Random(seed)
    return [
        SynthVideo(
            media_id=start_id + i,
            frames=tuple(
                (rng.randbytes(32).hex(), rng.randint(0, 100), 0.5 * k * (1 + i % 2))
                for k in range(1 + i % 4)
            ),
            category=1 + i % 3,
        )
        for i in range(n)
    ]


def changed(e: Synth, **kw: object) -> Synth:
    return replace(e, **kw)  # type: ignore[arg-type]


# -- VICS / CAID --------------------------------------------------------------------------------


def _vics_media(e: Synth, *, b64: bool, grade: bool = False, v1: bool = False) -> dict[str, object]:
    md5 = base64.b64encode(bytes.fromhex(e.md5)).decode() if b64 else e.md5.upper()
    sha1 = base64.b64encode(bytes.fromhex(e.sha1)).decode() if b64 else e.sha1
    m: dict[str, object] = {}
    if v1:
        m["odata.id"] = f'Media("{md5}")'
        m["MediaFiles@odata.navigationLinkUrl"] = f"Media('{md5}')/MediaFiles"
    m.update(
        {
            "MediaID": e.media_id,
            "Category": e.grade if grade else e.category,
            "MD5": md5,
            "SHA1": sha1,
            "PhotoDNA": base64.b64encode(e.photodna).decode(),
            "MediaSize": 1000 + e.media_id,
            "DateUpdated": "2026-01-02T03:04:05Z",
            "IsPrecategorized": True,
            "VictimIdentified": e.victim_identified,
            "IsDistributed": e.distributed,
            "OffenderIdentified": False,
            "Comments": "synthetic test entry",
            "AlternativeHashes": [
                {"MD5": md5, "HashName": "SHA256", "HashValue": e.sha256},
                {"MD5": md5, "HashName": "PDQ", "HashValue": e.pdq},
                {"MD5": md5, "HashName": "NetClean", "HashValue": "0123"},
            ],
            "MediaFiles": [{"MD5": md5, "FileName": f"file{e.media_id}.jpg", "FilePath": "x\\y"}],
        }
    )
    if e.series:
        m["Series"] = e.series
    if e.tags:
        m["Tags"] = ",".join(e.tags)
    return m


def write_vics2_hashset(path: Path, entries: list[Synth], *, profile: str = "US", b64: bool = False) -> Path:
    doc = {
        "@odata.context": VICS2.format(profile=profile, set="Media"),
        "value": [_vics_media(e, b64=b64) for e in entries],
    }
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


def write_vics2_casefile(path: Path, entries: list[Synth], *, profile: str = "US") -> Path:
    half = len(entries) // 2
    cases = [
        {
            "CaseID": f"00000000-0000-4000-8000-00000000000{k}",
            "CaseNumber": f"SYN-{k}",
            "ContactOrganization": "Synthetic Unit",
            "SourceApplicationName": "Veilleur tests",
            "Media": [_vics_media(e, b64=False) for e in part],
            "TotalMediaFiles": len(part),
        }
        for k, part in enumerate((entries[:half], entries[half:]), start=1)
    ]
    doc = {"@odata.context": VICS2.format(profile=profile, set="Cases"), "value": cases}
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


def write_vics1(path: Path, entries: list[Synth]) -> Path:
    case = {
        "odata.id": 'Case("00000000-0000-4000-8000-000000000001")',
        "Media@odata.navigationLinkUrl": "/Case(1)/Media",
        "Media": [_vics_media(e, b64=True, v1=True) for e in entries],
        "CaseID": "00000000-0000-4000-8000-000000000001",
        "CaseNumber": "SYN-1",
    }
    doc = {"odata.metadata": VICS1, "value": [case]}
    path.write_bytes(orjson.dumps(doc))  # compact, one line, as 1.x tools wrote it
    return path


def write_caid(path: Path, entries: list[Synth]) -> Path:
    doc = {
        "@odata.context": VICS2.format(profile="UK", set="Media"),
        "value": [_vics_media(e, b64=False, grade=True) for e in entries],
    }
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


# -- NCMEC --------------------------------------------------------------------------------------


def write_ncmec(
    path: Path,
    images: list[Synth],
    *,
    videos: list[Synth] = (),  # type: ignore[assignment]
    deleted_images: list[int] = (),  # type: ignore[assignment]
    classification: dict[int, str] | None = None,
    drop_sha1: set[int] = frozenset(),  # type: ignore[assignment]
    pdna: dict[int, str] | None = None,
) -> Path:
    """``pdna`` gives the PhotoDNA text written for some entries (media id → text), as is."""
    classification = classification or {}

    def entry(tag: str, e: Synth) -> str:
        cls = classification.get(e.media_id, "A1" if e.category == 1 else "B2")
        sha1 = "" if e.media_id in drop_sha1 else f"<sha1>{e.sha1.upper()}</sha1>"
        photodna = f"<pdna>{pdna[e.media_id]}</pdna>" if pdna and e.media_id in pdna else ""
        return (
            f"    <{tag}>\n"
            f'      <member id="42">Synthetic Member</member>\n'
            f"      <timestamp>2026-01-02T03:04:05Z</timestamp>\n"
            f"      <id>{e.media_id}</id>\n"
            f"      <classification>{cls}</classification>\n"
            f"      <fingerprints><md5>{e.md5}</md5>{sha1}<pdq>{e.pdq}</pdq>{photodna}"
            f'<tmk-pdqf rel="self" href="/v2/entries/{e.media_id}/fingerprints/TMK_PDQF"/></fingerprints>\n'
            f'      <feedback lastUpdateTimestamp="2026-01-03T00:00:00Z">'
            f'<negativeFeedback type="Sha1"><reasons><reason guid="0" name="r" type="Sha1"/></reasons>'
            f"</negativeFeedback></feedback>\n"
            f"    </{tag}>\n"
        )

    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<queryResult xmlns="{NCMEC_NS}">\n']
    parts.append(f'  <images count="{len(images)}" maxTimestamp="2026-01-02T03:04:05Z">\n')
    parts.extend(entry("image", e) for e in images)
    for i in deleted_images:
        parts.append(
            f'    <deletedImage><member id="43">M</member><id>{i}</id>'
            "<timestamp>2026-01-02T03:04:06Z</timestamp></deletedImage>\n"
        )
    parts.append("  </images>\n")
    if videos:
        parts.append(f'  <videos count="{len(videos)}" maxTimestamp="2026-01-02T03:04:07Z">\n')
        parts.extend(entry("video", e) for e in videos)
        parts.append("  </videos>\n")
    parts.append(
        "  <paging><next>/v2/entries?from=a&amp;to=b&amp;start=2001&amp;size=1000&amp;max=3000</next>"
        "</paging>\n"
    )
    parts.append("</queryResult>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_ncmec_unchanged(path: Path, stamp: str) -> Path:
    """An entries response for a time range in which nothing changed: every count 0."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<queryResult xmlns="{NCMEC_NS}">\n'
        f'  <images count="0" maxTimestamp="{stamp}"/>\n'
        f'  <videos count="0" maxTimestamp="{stamp}"/>\n'
        "  <paging/>\n"
        "</queryResult>\n",
        encoding="utf-8",
    )
    return path


# -- plain --------------------------------------------------------------------------------------


def write_text(path: Path, values: list[str]) -> Path:
    path.write_text("# synthetic list\n\n" + "\n".join(v.upper() for v in values) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, entries: list[Synth], *, delimiter: str = ",") -> Path:
    d = delimiter
    rows = [d.join(["Media ID", "MD5", "SHA-1", "Category", "Series", "Flags", "Notes"])]
    for e in entries:
        rows.append(
            d.join(
                [
                    str(e.media_id),
                    e.md5,
                    e.sha1,
                    str(e.category),
                    e.series or "",
                    "|".join(e.flags),
                    "synthetic",
                ]
            )
        )
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8-sig")
    return path


def write_typed(path: Path, entries: list[Synth]) -> Path:
    lines = ["# pytx local file: <type> <value>"]
    for e in entries:
        lines += [f"pdq {e.pdq}", f"video_md5 {e.md5}", f"SHA-256 {e.sha256}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_typed_vpdq(path: Path, videos: list[SynthVideo], *, semicolons: bool = False) -> Path:
    """``vpdq <value>`` lines: TE's JSON array (spaces and all), or ``;``-separated frames."""
    lines = [f"vpdq {v.triples() if semicolons else v.te_signal(upper=i == 0)}" for i, v in enumerate(videos)]
    lines.insert(1, "# pytx local file: <type> <value>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv_vpdq(path: Path, videos: list[SynthVideo], *, json_cells: bool = False) -> Path:
    """A CSV with a ``vPDQ`` column: ``;``-separated frames, or TE's JSON array, quoted as needed."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Media ID", "Category", "vPDQ"])
    for v in videos:
        w.writerow([v.media_id, v.category, v.te_signal() if json_cells else v.triples()])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
