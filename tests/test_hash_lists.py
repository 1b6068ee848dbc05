"""Hash lists: every format imports with its categories, series and flags; versions are
incremental; malformed files fail clearly and change nothing; nothing prints a list's values.

Every store test runs on SQLite and PostgreSQL (the ``case`` fixture). Every hash is random
(:mod:`listfixtures`); no list here holds the hash of any real file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import veilleur.jsonscan as jsonscan
import veilleur.lists.importer as importer
from conftest import add_member
from listfixtures import (
    Synth,
    SynthVideo,
    changed,
    synth,
    synth_videos,
    write_caid,
    write_csv,
    write_csv_vpdq,
    write_ncmec,
    write_ncmec_unchanged,
    write_text,
    write_typed,
    write_typed_vpdq,
    write_vics1,
    write_vics2_casefile,
    write_vics2_hashset,
)
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.errors import BadInput
from veilleur.lists import LIST_TABLES, ListConflict, exact_hits, import_list
from veilleur.lists.base import (
    InvalidHash,
    VpdqFrame,
    canonical_vpdq,
    detect_hash_type,
    hash_type_named,
    normalise_hash,
    parse_vpdq,
)
from veilleur.lists.formats import format_names, sniff_format
from veilleur.lists.vpdq import active_vpdq_entries
from veilleur.store.schema import (
    evidence,
    hash_list_entries,
    hash_list_versions,
    hash_list_vpdq_features,
    hash_lists,
    metadata,
)

E = hash_list_entries
ALL5 = ("md5", "sha1", "sha256", "pdq", "photodna")


def _values(e: Synth, hash_type: str) -> str:
    return e.photodna.hex() if hash_type == "photodna" else str(getattr(e, hash_type))


def _rows(case: Case, list_name: str) -> dict[tuple[str, str], Any]:
    with case.engine.connect() as conn:
        lid = conn.execute(select(hash_lists.c.id).where(hash_lists.c.name == list_name)).scalar_one()
        return {(r.hash_type, r.value): r for r in conn.execute(select(E).where(E.c.list_id == lid))}


def _snapshot(case: Case) -> dict[str, list[tuple[Any, ...]]]:
    with case.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in (hash_lists, hash_list_versions, hash_list_entries, hash_list_vpdq_features, evidence)
        }


# -- every format ---------------------------------------------------------------------------------

ENTRIES = synth(12, seed=11)


def _vics_expect(e: Synth, *, grade: bool = False) -> dict[str, tuple[Any, ...]]:
    cat = e.grade if grade else str(e.category)
    return {h: (cat, e.series, list(e.flags), str(e.media_id)) for h in ALL5}


def _ncmec_expect(e: Synth, kind: str = "image") -> dict[str, tuple[Any, ...]]:
    flags = sorted([f"media:{kind}", "member:42", "feedback:negative:sha1"])
    cat = "A1" if e.category == 1 else "B2"
    return {h: (cat, None, flags, f"{kind}:{e.media_id}") for h in ("md5", "sha1", "pdq")}


def _without_context(path: Path) -> Path:
    doc = orjson.loads(path.read_bytes())
    del doc["@odata.context"]
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


FORMATS: dict[str, tuple[Callable[[Path], Path], str, str, Callable[[Synth], dict[str, tuple[Any, ...]]]]] = {
    # case: (writer, format sniffed, scheme, expected per entry: hash type -> (category, series, flags, id))
    "vics2-hashset": (lambda d: write_vics2_hashset(d / "set.json", ENTRIES), "vics", "us", _vics_expect),
    "vics2-hashset-base64": (
        lambda d: write_vics2_hashset(d / "set64.json", ENTRIES, b64=True),
        "vics",
        "us",
        _vics_expect,
    ),
    "vics2-casefile": (lambda d: write_vics2_casefile(d / "case.json", ENTRIES), "vics", "us", _vics_expect),
    "vics-casefile-without-context": (
        lambda d: _without_context(write_vics2_casefile(d / "case.json", ENTRIES)),
        "vics",
        "us",
        _vics_expect,
    ),
    "vics-hashset-without-context": (
        lambda d: _without_context(write_vics2_hashset(d / "set.json", ENTRIES)),
        "vics",
        "us",
        _vics_expect,
    ),
    "vics1": (lambda d: write_vics1(d / "v11.json", ENTRIES), "vics", "us", _vics_expect),
    "caid": (
        lambda d: write_caid(d / "caid.json", ENTRIES),
        "caid",
        "uk",
        lambda e: _vics_expect(e, grade=True),
    ),
    "ncmec": (lambda d: write_ncmec(d / "entries.xml", ENTRIES), "ncmec", "us", _ncmec_expect),
    "text": (
        lambda d: write_text(d / "md5.txt", [e.md5 for e in ENTRIES]),
        "text",
        "us",
        lambda e: {"md5": (None, None, None, None)},
    ),
    "csv": (
        lambda d: write_csv(d / "list.csv", ENTRIES),
        "csv",
        "us",
        lambda e: {h: (str(e.category), e.series, list(e.flags), str(e.media_id)) for h in ("md5", "sha1")},
    ),
    "csv-semicolon": (
        lambda d: write_csv(d / "list.txt", ENTRIES, delimiter=";"),
        "csv",
        "us",
        lambda e: {h: (str(e.category), e.series, list(e.flags), str(e.media_id)) for h in ("md5", "sha1")},
    ),
    "typed": (
        lambda d: write_typed(d / "signals.txt", ENTRIES),
        "typed",
        "us",
        lambda e: {h: (None, None, None, None) for h in ("md5", "pdq", "sha256")},
    ),
}


def test_every_format_imports_with_categories_series_and_flags(case: Case, tmp_path: Path) -> None:
    for fixture, (write, fmt, scheme, expect) in FORMATS.items():
        folder = tmp_path / fixture
        folder.mkdir()
        path = write(folder)
        sniffed = sniff_format(path.read_bytes()[:65536], path.name)
        assert sniffed is not None and sniffed.name == fmt, fixture
        report = import_list(case, path, name=fixture, operator="tester")
        assert (report.status, report.format, report.scheme, report.new_list) == (
            "imported",
            fmt,
            scheme,
            True,
        )
        expected: dict[tuple[str, str], tuple[Any, ...]] = {}
        for e in ENTRIES:
            for hash_type, (c, s, f, i) in expect(e).items():
                expected[(hash_type, _values(e, hash_type))] = (c, s, f or None, i)
        rows = _rows(case, fixture)
        got = {
            key: (r.category, r.series, orjson.loads(r.flags) if r.flags else None, r.external_id)
            for key, r in rows.items()
        }
        assert got == expected, fixture
        assert all(
            r.removed_version_id is None and r.first_version_id == report.version_id for r in rows.values()
        )
        assert report.added == report.entries == len(expected), fixture
        assert report.items == (3 * len(ENTRIES) if fmt == "typed" else len(ENTRIES)), fixture
        assert (report.changed, report.removed, report.withdrawn) == (0, 0, 0), fixture
        if fmt in ("vics", "caid"):
            assert report.unsupported == {"netclean": len(ENTRIES)}, fixture
        if fmt == "ncmec":
            assert report.full is False and report.version == "2026-01-02T03:04:05Z"
            assert report.unsupported == {"tmk-pdqf": len(ENTRIES)}
    # A list file is reference data, never case evidence.
    with case.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(evidence)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(hash_lists)).scalar_one() == len(FORMATS)


def test_ncmec_videos_and_deletions_of_unknown_ids(case: Case, tmp_path: Path) -> None:
    path = write_ncmec(tmp_path / "e.xml", ENTRIES[:3], videos=ENTRIES[3:5], deleted_images=[999])
    report = import_list(case, path, name="N", operator="tester")
    assert (report.items, report.deletions, report.deletions_unmatched) == (5, 1, 1)
    ids = {r.external_id for r in _rows(case, "N").values()}
    assert ids == {"image:1", "image:2", "image:3", "video:4", "video:5"}


def test_sixty_four_hex_values_need_their_type(case: Case, tmp_path: Path) -> None:
    path = write_text(tmp_path / "pdq.txt", [e.pdq for e in ENTRIES])
    with pytest.raises(BadInput, match=r"SHA-256 or PDQ") as err:
        import_list(case, path, name="P", operator="tester")
    assert err.value.place == "line 3"
    report = import_list(case, path, name="P", operator="tester", hash_type="pdq")
    assert report.by_hash_type == {"pdq": len(ENTRIES)}


# -- versions -------------------------------------------------------------------------------------


def test_a_newer_full_version_is_incremental_and_removed_entries_stay(case: Case, tmp_path: Path) -> None:
    v1 = synth(10, seed=3)
    r1 = import_list(
        case, write_vics2_hashset(tmp_path / "v1.json", v1), name="VIC", operator="a", source="VIC US"
    )
    assert (r1.version, r1.added) == ("1", 50)

    newcomers = synth(3, seed=4, start_id=100)
    v2 = [changed(v1[3], category=3, series="renamed"), *v1[4:], *v1[2:3], *newcomers]
    r2 = import_list(case, write_vics2_hashset(tmp_path / "v2.json", v2), name="VIC", operator="b")
    assert (r2.version, r2.new_list, r2.full) == ("2", False, True)
    assert (r2.added, r2.changed, r2.unchanged, r2.removed) == (15, 5, 35, 10)

    rows = _rows(case, "VIC")
    assert len(rows) == 65  # removed entries are flagged, not deleted
    for e in v1[:2]:
        assert all(rows[(h, _values(e, h))].removed_version_id == r2.version_id for h in ALL5)
    moved = rows[("md5", v1[3].md5)]
    assert (moved.category, moved.series, moved.first_version_id, moved.last_version_id) == (
        "3",
        "renamed",
        r1.version_id,
        r2.version_id,
    )
    kept = rows[("sha1", v1[5].sha1)]
    assert (kept.first_version_id, kept.last_version_id, kept.removed_version_id) == (
        r1.version_id,
        r2.version_id,
        None,
    )

    # Back to the first list: removed entries are restored, the newcomers removed.
    (tmp_path / "v3.json").write_bytes((tmp_path / "v1.json").read_bytes() + b"\n")
    r3 = import_list(case, tmp_path / "v3.json", name="VIC", operator="c", version="2026-03")
    assert (r3.version, r3.restored, r3.changed, r3.unchanged, r3.removed) == ("2026-03", 10, 5, 35, 15)
    assert sum(r.removed_version_id is None for r in _rows(case, "VIC").values()) == 50

    with case.engine.connect() as conn:
        versions = conn.execute(select(hash_list_versions).order_by(hash_list_versions.c.id)).all()
        lst = conn.execute(select(hash_lists)).one()
    assert [(v.version, v.n_added, v.n_changed, v.n_removed, v.n_unchanged) for v in versions] == [
        ("1", 50, 0, 0, 0),
        ("2", 15, 5, 10, 35),
        ("2026-03", 10, 5, 15, 35),
    ]
    assert (lst.source, lst.category_scheme, lst.kind, lst.operator) == ("VIC US", "us", "positive", "a")
    assert all(len(v.file_sha256) == 64 and v.format == "vics" and v.full for v in versions)


def test_the_same_file_twice_changes_nothing(case: Case, tmp_path: Path) -> None:
    path = write_vics2_casefile(tmp_path / "case.json", ENTRIES)
    first = import_list(case, path, name="C", operator="tester")
    before = _snapshot(case)
    again = import_list(case, path, name="C", operator="someone else", version="other label")
    assert (again.status, again.version_id, again.version) == ("unchanged", first.version_id, "1")
    assert _snapshot(case) == before


def test_ncmec_deltas_update_withdraw_and_leave_the_rest(case: Case, tmp_path: Path) -> None:
    base = synth(6, seed=5)
    r1 = import_list(case, write_ncmec(tmp_path / "d1.xml", base), name="NCMEC", operator="t")
    assert (r1.full, r1.added) == (False, 18)
    newcomer = synth(1, seed=6, start_id=50)
    r2 = import_list(
        case,
        write_ncmec(
            tmp_path / "d2.xml",
            [base[0], base[1], *newcomer],
            classification={1: "A2"},
            drop_sha1={2},
            deleted_images=[3],
        ),
        name="NCMEC",
        operator="t",
    )
    assert (r2.added, r2.changed, r2.unchanged, r2.withdrawn, r2.removed) == (3, 3, 2, 4, 0)
    rows = _rows(case, "NCMEC")
    active = {k: r for k, r in rows.items() if r.removed_version_id is None}
    assert len(rows) == 21 and len(active) == 17
    assert rows[("md5", base[0].md5)].category == "A2"
    assert rows[("sha1", base[1].sha1)].removed_version_id == r2.version_id  # the update lost it
    assert all(
        rows[(h, _values(base[2], h))].removed_version_id == r2.version_id for h in ("md5", "sha1", "pdq")
    )
    assert all(rows[(h, _values(e, h))].removed_version_id is None for e in base[3:] for h in ("md5", "pdq"))
    # The same delta as a full list would remove what it does not mention.
    r3 = import_list(case, write_ncmec(tmp_path / "d3.xml", base[3:]), name="NCMEC", operator="t", full=True)
    assert r3.full is True and r3.removed == 8  # base[0], base[1] (less its sha1), the newcomer


def test_small_chunks_and_batches_give_the_same_store(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = synth(40, seed=8)
    path = write_vics2_casefile(tmp_path / "case.json", entries + entries[:5])  # 5 seen twice
    monkeypatch.setattr(jsonscan, "CHUNK", 97)
    report = import_list(case, path, name="S", operator="t", batch_size=7)
    assert (report.items, report.added, report.duplicates) == (45, 200, 25)
    rows = _rows(case, "S")
    assert {k for k in rows} == {(h, _values(e, h)) for e in entries for h in ALL5}
    assert rows[("pdq", entries[17].pdq)].category == str(entries[17].category)


# -- refusals -------------------------------------------------------------------------------------


def test_conflicting_kind_scheme_or_version_is_refused(case: Case, tmp_path: Path) -> None:
    import_list(
        case, write_caid(tmp_path / "caid.json", ENTRIES[:4]), name="UK", operator="t", kind="negative"
    )
    other = write_caid(tmp_path / "caid2.json", ENTRIES[:5])
    before = _snapshot(case)
    with pytest.raises(ListConflict, match="negative list"):
        import_list(case, other, name="UK", operator="t", kind="positive")
    with pytest.raises(ListConflict, match="uk category scheme"):
        import_list(case, other, name="UK", operator="t", scheme="us")
    with pytest.raises(ListConflict, match="already has a version '1'"):
        import_list(case, other, name="UK", operator="t", version="1")
    with pytest.raises(BadInput, match="declares the UK category profile") as err:
        import_list(case, other, name="US", operator="t", scheme="us")
    assert err.value.file == str(other)
    assert _snapshot(case) == before
    assert import_list(case, other, name="mine", operator="t", scheme="custom").scheme == "custom"


def _truncated(d: Path) -> Path:
    data = write_vics2_hashset(d / "t.json", ENTRIES).read_bytes()
    (d / "t.json").write_bytes(data[: len(data) // 2])
    return d / "t.json"


def _edited(write: Callable[[Path], Path], old: str, new: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = write(d)
        text = path.read_text(encoding="utf-8-sig")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return make


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


_V = ENTRIES[1]
MALFORMED: dict[str, tuple[Callable[[Path], Path], dict[str, Any], str, str]] = {
    # case id: (file maker, import options, error message pattern, place pattern)
    "vics truncated": (_truncated, {}, r"file ends inside|ends early", r"^byte \d+$"),
    "vics hash set without value": (
        _bytes("x.json", b'{"@odata.context": "%b"}' % b"ProjectVic#Media"),
        {},
        r'no "value" array',
        r"byte 0",
    ),
    "caid alternative hashes not an array": (
        _edited(
            lambda d: write_caid(d / "c.json", ENTRIES[:2]),
            '"AlternativeHashes": [',
            '"AlternativeHashes": 7, "x": [',
        ),
        {},
        r"AlternativeHashes is not an array",
        r"media record 1\)$",
    ),
    "ncmec not well-formed": (
        _edited(lambda d: write_ncmec(d / "n.xml", ENTRIES[:3]), "</classification>", "</classificatio>"),
        {},
        r"XML not well-formed",
        r"^line 8, column \d+$",
    ),
    "ncmec entry without id": (
        _edited(lambda d: write_ncmec(d / "n.xml", ENTRIES[:3]), "<id>3</id>", ""),
        {},
        r"<image> without an <id>",
        r"^line 20$",
    ),
    "text wrong length": (
        _bytes(
            "t.txt", b"\n".join(e.md5.encode() for e in ENTRIES[:3]) + b"\n" + _V.md5[:30].encode() + b"\n"
        ),
        {},
        r"30 hex characters is no known hash length",
        r"^line 4$",
    ),
    "text non-hex": (
        _bytes("t.txt", _V.md5.encode() + b"\n" + b"z" + _V.md5[1:].encode() + b"\n"),
        {"format": "text"},
        r"not a hexadecimal hash",
        r"^line 2$",
    ),
    "typed unknown hash type": (
        _bytes("s.txt", b"md5 " + _V.md5.encode() + b"\nmd6 " + _V.md5.encode() + b"\n"),
        {},
        r"unknown hash type 'md6'",
        r"^line 2$",
    ),
    "typed value reversed": (
        _bytes("s.txt", b"md5 " + _V.md5.encode() + b"\n" + _V.md5.encode() + b" md5\n"),
        {},
        r"unknown hash type \(a 32-character token\)",
        r"^line 2$",
    ),
    "csv without a hash column": (
        _bytes("l.csv", b"name,size,category\nx,1,2\n"),
        {},
        r"no hash column in the CSV header",
        r"^line 1$",
    ),
    "csv bare value of no known length": (
        _bytes("h.csv", b"hash,category\n" + _V.md5[:30].encode() + b",1\n"),
        {},
        r"30 hex characters is no known hash length",
        r"^line 2$",
    ),
    "csv row wider than its header": (
        _bytes("w.csv", b"md5,category\n" + _V.md5.encode() + b",1,extra\n"),
        {},
        r"row has 3 fields, the header names 2",
        r"^line 2$",
    ),
    "xml external entity is not expanded": (
        _bytes(
            "x.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE queryResult [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
            b'<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images><image><id>&x;</id>'
            b"<fingerprints><md5>"
            + _V.md5.encode()
            + b"</md5></fingerprints></image></images></queryResult>\n",
        ),
        {},
        r"<image> without an <id>",
        r"^line 3$",
    ),
    "empty file": (_bytes("empty.json", b""), {}, r"empty file", r"^byte 0$"),
    "only comments": (
        _bytes("c.txt", b"# nothing here\n"),
        {"format": "text"},
        r"no hash entries",
        r"^byte 0$",
    ),
    "not a list": (_bytes("other.json", b'{"a": 1}'), {}, r"not a hash-list format", r"^byte 0$"),
    "utf-16": (
        _bytes("w.txt", "md5 ".encode("utf-16") + _V.md5.encode("utf-16-le")),
        {"format": "typed"},
        r"UTF-16",
        r"^byte 0$",
    ),
}


def test_malformed_files_fail_naming_file_and_place_and_change_nothing(case: Case, tmp_path: Path) -> None:
    import_list(case, write_vics2_hashset(tmp_path / "good.json", ENTRIES[:3]), name="L", operator="t")
    before = _snapshot(case)
    for bad, (make, options, message, place) in MALFORMED.items():
        folder = tmp_path / re.sub(r"\W", "_", bad)
        folder.mkdir()
        path = make(folder)
        for name in ("L", "new list"):
            with pytest.raises(BadInput) as err:
                import_list(case, path, name=name, operator="t", **options)
            assert re.search(message, err.value.message), (bad, err.value.message)
            assert err.value.file == str(path), bad
            assert re.search(place, err.value.place or ""), (bad, err.value.place)
            text = str(err.value).lower()
            assert not any(e.md5 in text or e.sha1 in text or e.pdq in text for e in ENTRIES), bad
        assert _snapshot(case) == before, bad


# -- lists from the wild ---------------------------------------------------------------------------


def _active(case: Case, list_name: str) -> set[tuple[str, str]]:
    return {k for k, r in _rows(case, list_name).items() if r.removed_version_id is None}


def test_an_unchanged_ncmec_delta_is_a_version_that_changes_nothing(case: Case, tmp_path: Path) -> None:
    """A feed fetched again with nothing new answers an empty delta: a version, not an error."""
    import_list(case, write_ncmec(tmp_path / "d1.xml", ENTRIES[:4]), name="N", operator="t")
    before = {k: tuple(r) for k, r in _rows(case, "N").items()}
    quiet = write_ncmec_unchanged(tmp_path / "d2.xml", "2026-02-01T00:00:00Z")
    r = import_list(case, quiet, name="N", operator="t")
    assert (r.status, r.full, r.version, r.format) == ("imported", False, "2026-02-01T00:00:00Z", "ncmec")
    counts = (r.items, r.entries, r.added, r.changed, r.unchanged, r.removed, r.withdrawn, r.deletions)
    assert counts == (0, 0, 0, 0, 0, 0, 0, 0)
    assert {k: tuple(r) for k, r in _rows(case, "N").items()} == before
    with case.engine.connect() as conn:
        versions = conn.execute(
            select(hash_list_versions.c.version, hash_list_versions.c.n_added, hash_list_versions.c.n_removed)
            .join(hash_lists, hash_lists.c.id == hash_list_versions.c.list_id)
            .where(hash_lists.c.name == "N")
            .order_by(hash_list_versions.c.id)
        ).all()
    assert [tuple(v) for v in versions][1:] == [("2026-02-01T00:00:00Z", 0, 0)]
    assert import_list(case, quiet, name="N", operator="t").status == "unchanged"  # the same file
    later = import_list(
        case, write_ncmec_unchanged(tmp_path / "d3.xml", "2026-03-01T00:00:00Z"), name="N", operator="t"
    )
    assert (later.status, later.version) == ("imported", "2026-03-01T00:00:00Z")
    fresh = import_list(case, quiet, name="Fresh", operator="t")  # a list may start so
    assert (fresh.new_list, fresh.entries) == (True, 0)
    # Given as a whole list it would withdraw every entry: that is still refused.
    whole = write_ncmec_unchanged(tmp_path / "d4.xml", "2026-04-01T00:00:00Z")
    with pytest.raises(BadInput, match="no hash entries"):
        import_list(case, whole, name="N", operator="t", full=True)
    assert {k: tuple(r) for k, r in _rows(case, "N").items()} == before


def test_a_malformed_fingerprint_is_a_notice_and_the_rest_is_imported(case: Case, tmp_path: Path) -> None:
    """A shortened PhotoDNA value costs that fingerprint: the entry's other fingerprints, the
    rest of the file and the value an earlier version gave for it are kept."""
    e = ENTRIES[:3]
    pdna_hex = {x.media_id: x.photodna.hex() for x in e}
    import_list(case, write_ncmec(tmp_path / "n1.xml", e, pdna=pdna_hex), name="N", operator="t")
    cut = {**pdna_hex, 2: pdna_hex[2][:-8]}
    short = write_ncmec(tmp_path / "n2.xml", e, pdna=cut, classification={1: "A2"})
    r = import_list(case, short, name="N", operator="t")
    assert (r.status, r.items, r.entries, r.fingerprints_rejected, r.changed) == ("imported", 3, 11, 1, 4)
    lines = short.read_text().splitlines()
    line = next(n for n, t in enumerate(lines, 1) if pdna_hex[2][:-8] + "<" in t)
    opens = max(n for n, t in enumerate(lines[:line], 1) if t.strip() == "<image>")
    assert r.notices == [
        {
            "place": f"line {opens} (<image> 2)",
            "entry": "image:2",
            "fingerprint": f"<pdna> (line {line})",
            "problem": "PhotoDNA value has 280 hex characters, expected 288",
        }
    ]
    active = _active(case, "N")
    assert {(h, _values(x, h)) for x in e for h in ("md5", "sha1", "pdq", "photodna")} <= active
    assert _rows(case, "N")[("photodna", pdna_hex[2])].last_version_id == r.version_id
    shown = json.dumps(r.to_dict()).lower()
    assert not any(v in shown for x in e for v in (x.md5, x.sha1, x.pdq, pdna_hex[x.media_id][:40]))

    # VICS (a whole list): a PhotoDNA cut short and an MD5 that is a number, in two records.
    doc = orjson.loads(write_vics2_hashset(tmp_path / "v.json", ENTRIES[:4]).read_bytes())
    import_list(case, tmp_path / "v.json", name="V", operator="t")
    doc["value"][1]["PhotoDNA"] = doc["value"][1]["PhotoDNA"][:-12]
    doc["value"][2]["MD5"] = 7
    (tmp_path / "v2.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    v = import_list(case, tmp_path / "v2.json", name="V", operator="t")
    assert (v.full, v.items, v.entries, v.fingerprints_rejected, v.removed) == (True, 4, 18, 2, 0)
    assert [(n["entry"], n["fingerprint"]) for n in v.notices] == [("2", "PHOTODNA"), ("3", "MD5")]
    assert re.fullmatch(r"byte \d+ \(media record 2\)", v.notices[0]["place"] or "")
    assert v.notices[1]["problem"] == "the value is not a string"
    assert {(h, _values(x, h)) for x in ENTRIES[:4] for h in ALL5} == _active(case, "V")

    # CSV: the SHA-1 column's cell cut short; its MD5, and the other rows, imported.
    csv_file = _edited(lambda d: write_csv(d / "l.csv", e), e[1].sha1, e[1].sha1[:-2])(tmp_path)
    c = import_list(case, csv_file, name="C", operator="t")
    assert (c.entries, c.fingerprints_rejected, c.notices[0]["place"]) == (5, 1, "line 3")
    assert c.notices[0]["fingerprint"] == "sha1 (column 3)"
    assert ("md5", e[1].md5) in _active(case, "C") and ("sha1", e[1].sha1) not in _active(case, "C")

    # A whole list of which no fingerprint can be read is refused, naming how many were malformed.
    with pytest.raises(BadInput, match=r"no well-formed fingerprint \(2 malformed\) in the file"):
        import_list(
            case,
            _bytes("bad.csv", b"md5,id\n" + _V.md5[:30].encode() + b",1\n" + b"x" * 32 + b",2\n")(tmp_path),
            name="C2",
            operator="t",
        )


# -- what is shown, what is never shown -----------------------------------------------------------


def test_lists_show_and_import_print_no_hash_values(case: Case, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--case", str(case.root), "--operator", "analyst"]
    add_member(case, "analyst")
    listing = write_vics2_casefile(tmp_path / "case.json", ENTRIES)
    imported = runner.invoke(
        cli, [*base, "lists", "import", str(listing), "--name", "VIC US", "--source", "VIC"]
    )
    assert imported.exit_code == 0, imported.output
    negative = write_typed(tmp_path / "fp.txt", ENTRIES[:2])
    imported_json = runner.invoke(
        cli, [*base, "lists", "import", str(negative), "--name", "false positives", "--negative", "--json"]
    )
    assert imported_json.exit_code == 0, imported_json.output
    assert orjson.loads(imported_json.output)["added"] == 6
    delta = write_ncmec(tmp_path / "n.xml", ENTRIES[:4])
    runner.invoke(cli, [*base, "lists", "import", str(delta), "--name", "NCMEC", "--format", "ncmec"])
    shown = runner.invoke(cli, [*base, "lists", "show"])
    shown_json = runner.invoke(cli, [*base, "lists", "show", "--json"])
    assert shown.exit_code == shown_json.exit_code == 0, shown.output
    out = (imported.output + imported_json.output + shown.output + shown_json.output).lower()
    for e in ENTRIES:
        for h in ALL5:
            assert _values(e, h) not in out
    assert "vic us" in out and "false positives" in out and "negative" in out and "delta" in out
    summaries = {s["name"]: s for s in orjson.loads(shown_json.output)["lists"]}
    assert summaries["VIC US"]["active"]["md5"] == {"1": 4, "2": 4, "3": 4}
    assert summaries["false positives"]["kind"] == "negative"
    assert summaries["NCMEC"]["versions"][0]["full"] is False


def test_a_match_reveals_only_the_entry_identifier_and_category(case: Case, tmp_path: Path) -> None:
    import_list(case, write_vics2_hashset(tmp_path / "a.json", ENTRIES[:5]), name="A", operator="t")
    import_list(case, write_typed(tmp_path / "b.txt", ENTRIES[4:6]), name="FP", operator="t", kind="negative")
    import_list(case, write_vics2_hashset(tmp_path / "a2.json", ENTRIES[1:5]), name="A", operator="t")
    with case.engine.connect() as conn:
        hits = exact_hits(conn, "md5", [e.md5.upper() for e in ENTRIES] + ["0" * 32])
    assert set(hits) == {e.md5 for e in ENTRIES[1:6]}  # ENTRIES[0] was removed by A's second version
    both = hits[ENTRIES[4].md5]
    assert [(h.list_name, h.list_kind, h.external_id, h.category) for h in both] == [
        ("A", "positive", "5", str(ENTRIES[4].category)),
        ("FP", "negative", None, None),
    ]
    assert set(vars(both[0])) == {"list_id", "list_name", "list_kind", "entry_id", "external_id", "category"}


def test_list_tables_are_all_named_for_exclusion_from_exports() -> None:
    assert {t for t in metadata.tables if t.startswith("hash_list")} == set(LIST_TABLES)


# -- values ---------------------------------------------------------------------------------------


def test_hash_values_are_normalised_strictly() -> None:
    raw = bytes(range(16))
    import base64

    assert normalise_hash("md5", base64.b64encode(raw).decode()) == raw.hex()
    assert normalise_hash("md5", raw.hex().upper()) == raw.hex()
    assert normalise_hash("sha1", base64.b64encode(bytes(20)).decode()) == "00" * 20
    assert normalise_hash("photodna", ",".join(["7"] * 144)) == "07" * 144
    with pytest.raises(InvalidHash):
        normalise_hash("md5", raw.hex()[:22])  # hex-only text never passes as base64
    with pytest.raises(InvalidHash):
        normalise_hash("pdq", base64.b64encode(bytes(32)).decode())  # PDQ is hex only
    with pytest.raises(InvalidHash) as err:
        normalise_hash("sha256", "ab" * 31)
    assert "ab" not in str(err.value)
    assert [detect_hash_type(x * n) for x, n in (("a", 32), ("b", 40), ("c", 288))] == [
        "md5",
        "sha1",
        "photodna",
    ]
    assert [hash_type_named(n) for n in ("SHA-1", "sha_256", "PDNA", "video_md5", "md5hash", "tlsh")] == [
        "sha1",
        "sha256",
        "photodna",
        "md5",
        "md5",
        None,
    ]
    assert set(format_names()) == {"vics", "caid", "ncmec", "csv", "typed", "text"}


# -- vPDQ (videos) --------------------------------------------------------------------------------

VIDEOS = synth_videos(5, seed=21)


def _digest(v: SynthVideo) -> str:
    return hashlib.sha256(v.canonical().encode()).hexdigest()


def _frames(v: SynthVideo) -> tuple[VpdqFrame, ...]:
    return tuple(VpdqFrame(p, q, round(t * 1000)) for p, q, t in v.frames)


def _features(case: Case) -> dict[str, tuple[VpdqFrame, ...]]:
    f = hash_list_vpdq_features
    out: dict[str, list[VpdqFrame]] = {}
    with case.engine.connect() as conn:
        for r in conn.execute(select(f).order_by(f.c.digest, f.c.idx)):
            frames = out.setdefault(r.digest, [])
            assert r.idx == len(frames)
            frames.append(VpdqFrame(r.pdq, r.quality, r.timestamp_ms))
    return {d: tuple(fr) for d, fr in out.items()}


def test_vpdq_entries_import_from_typed_lines_and_csv(case: Case, tmp_path: Path) -> None:
    typed = write_typed_vpdq(tmp_path / "videos.txt", VIDEOS)
    assert "vpdq [" in typed.read_text() and '", "' in typed.read_text()  # TE's JSON, spaces and all
    sniffed = sniff_format(typed.read_bytes(), typed.name)
    assert sniffed is not None and sniffed.name == "typed"
    r1 = import_list(case, typed, name="TE videos", operator="t")
    assert (r1.format, r1.items, r1.added, r1.by_hash_type) == ("typed", 5, 5, {"vpdq": 5})
    rows = _rows(case, "TE videos")
    assert set(rows) == {("vpdq", _digest(v)) for v in VIDEOS}
    assert _features(case) == {_digest(v): _frames(v) for v in VIDEOS}

    # The same videos as a CSV column, once as ';'-separated frames, once as quoted JSON arrays:
    # the same canonical values, the same digests, and the frames are stored once (shared).
    for path in (
        write_csv_vpdq(tmp_path / "videos.csv", VIDEOS[:3]),
        write_csv_vpdq(tmp_path / "videos-json.csv", VIDEOS[2:], json_cells=True),
    ):
        report = import_list(case, path, name=path.stem, operator="t")
        assert (report.format, report.by_hash_type) == ("csv", {"vpdq": 3})
    got = {key: (r.category, r.external_id) for key, r in _rows(case, "videos-json").items()}
    assert got == {("vpdq", _digest(v)): (str(v.category), str(v.media_id)) for v in VIDEOS[2:]}
    assert _features(case) == {_digest(v): _frames(v) for v in VIDEOS}

    # ';'-separated frames on typed lines give the same entries; the same file again is a no-op.
    same = write_typed_vpdq(tmp_path / "videos2.txt", VIDEOS, semicolons=True)
    r2 = import_list(case, same, name="TE videos", operator="t")
    assert (r2.added, r2.unchanged, r2.changed, r2.removed) == (0, 5, 0, 0)
    before = _snapshot(case)
    again = import_list(case, same, name="TE videos", operator="t")
    assert (again.status, again.version_id) == ("unchanged", r2.version_id)
    assert _snapshot(case) == before


def test_a_vpdq_version_without_a_video_removes_it_and_only_active_entries_are_read(
    case: Case, tmp_path: Path
) -> None:
    r1 = import_list(case, write_typed_vpdq(tmp_path / "v1.txt", VIDEOS), name="V", operator="t")
    import_list(case, write_csv_vpdq(tmp_path / "other.csv", VIDEOS[3:]), name="W", operator="t")
    r2 = import_list(case, write_typed_vpdq(tmp_path / "v2.txt", VIDEOS[1:]), name="V", operator="t")
    assert (r2.added, r2.unchanged, r2.removed) == (0, 4, 1)
    rows = _rows(case, "V")
    gone = rows[("vpdq", _digest(VIDEOS[0]))]
    assert (gone.first_version_id, gone.removed_version_id) == (r1.version_id, r2.version_id)
    assert _digest(VIDEOS[0]) in _features(case)  # content-addressed features are never deleted

    with case.engine.connect() as conn:
        active = active_vpdq_entries(conn)
        list_of = {r.id: r.name for r in conn.execute(select(hash_lists))}
        with pytest.raises(ValueError, match="frame distance"):
            exact_hits(conn, "vpdq", [_digest(VIDEOS[1])])
    by_list = [(list_of[e.list_id], e.frames) for e in active]
    expected = [("V", _frames(v)) for v in VIDEOS[1:]] + [("W", _frames(v)) for v in VIDEOS[3:]]
    assert len(by_list) == len(expected) and set(by_list) == set(expected)
    assert [e.entry_id for e in active] == sorted(e.entry_id for e in active)
    assert gone.id not in {e.entry_id for e in active}


def test_vpdq_batches_by_frames_give_the_same_store(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    videos = synth_videos(9, seed=22)
    path = write_typed_vpdq(tmp_path / "v.txt", videos + videos[:2])  # two videos twice
    monkeypatch.setattr(importer, "VPDQ_FRAME_BATCH", 3)
    report = import_list(case, path, name="V", operator="t", batch_size=4)
    assert (report.items, report.added, report.duplicates) == (11, 9, 2)
    assert _features(case) == {_digest(v): _frames(v) for v in videos}


def _vpdq_line(v: SynthVideo, frame: int, edit: Callable[[str, int, float], str]) -> str:
    frames = [f"{p},{q},{t}" for p, q, t in v.frames]
    frames[frame] = edit(*v.frames[frame])
    return json.dumps(frames)


_W = VIDEOS[3]  # four frames
BAD_VPDQ: dict[str, tuple[str, str]] = {
    # case id: (the bad value, error message pattern)
    "bad hex": (
        _vpdq_line(_W, 1, lambda p, q, t: f"{p[:-1]}g,{q},{t}"),
        r"vPDQ frame 2: the PDQ is not 64 hex",
    ),
    "short hex": (_vpdq_line(_W, 0, lambda p, q, t: f"{p[:-2]},{q},{t}"), r"frame 1: .*\(62 characters\)"),
    "quality 101": (_vpdq_line(_W, 2, lambda p, q, t: f"{p},101,{t}"), r"frame 3: the quality is not"),
    "negative time": (_vpdq_line(_W, 3, lambda p, q, t: f"{p},{q},-1.5"), r"frame 4: the time is negative"),
    "two fields": (_vpdq_line(_W, 1, lambda p, q, t: f"{p},{q}"), r"frame 2 has 2 comma-separated"),
    "empty array": ("[]", r"vPDQ value has no frame"),
    "not json": (_W.te_signal()[:-3], r"vPDQ value is not valid JSON"),
    "json object": ('{"frames": 1}', r"neither a JSON array"),
    "not a frame list": ("synthetic", r"neither a JSON array"),
    "array of numbers": ("[1, 2]", r"vPDQ frame 1 is not a string"),
}


def test_malformed_vpdq_values_fail_naming_file_and_line_without_a_hash(case: Case, tmp_path: Path) -> None:
    import_list(case, write_typed_vpdq(tmp_path / "good.txt", VIDEOS[:2]), name="V", operator="t")
    for bad, (value, message) in BAD_VPDQ.items():
        before = _snapshot(case)
        folder = tmp_path / re.sub(r"\W", "_", bad)
        folder.mkdir()
        typed = folder / "bad.txt"
        typed.write_text(f"vpdq {VIDEOS[0].te_signal()}\n# comment\nvpdq {value}\n", encoding="utf-8")
        with_csv = write_csv_vpdq(folder / "bad.csv", VIDEOS[:2])
        lines = with_csv.read_text().splitlines()
        lines[2] = f'2,1,"{value.replace(chr(34), chr(34) * 2)}"'
        with_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name in ("V", "new list"):
            with pytest.raises(BadInput) as err:
                import_list(case, typed, name=name, operator="t")
            assert re.search(message, err.value.message), (bad, err.value.message)
            assert (err.value.file, err.value.place) == (str(typed), "line 3"), bad
            text = str(err.value).lower()
            assert not any(p[:16] in text for v in VIDEOS for p, _, _ in v.frames), (bad, text)
        assert _snapshot(case) == before, bad
        # In a CSV the column names the type: the malformed cell costs that entry's vPDQ only.
        report = import_list(case, with_csv, name=f"csv {bad}", operator="t")
        assert (report.items, report.entries, report.fingerprints_rejected) == (2, 1, 1), bad
        [notice] = report.notices
        assert (notice["place"], notice["entry"], notice["fingerprint"]) == ("line 3", "2", "vpdq (column 3)")
        assert re.search(message, notice["problem"] or ""), (bad, notice)
        text = json.dumps(report.to_dict()).lower()
        assert not any(p[:16] in text for v in VIDEOS for p, _, _ in v.frames), (bad, text)


def test_vpdq_values_are_refused_where_a_format_cannot_hold_them(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "bare.txt"
    path.write_text(VIDEOS[0].frames[0][0] + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="not vPDQ values"):
        import_list(case, path, name="V", operator="t", hash_type="vpdq")
    empty = tmp_path / "empty.txt"
    empty.write_text(f"vpdq {VIDEOS[0].te_signal()}\nvpdq\n", encoding="utf-8")
    with pytest.raises(BadInput, match="expected '<type> <value>', found 1 fields") as err:
        import_list(case, empty, name="V", operator="t")
    assert err.value.place == "line 2"
    # VICS names no vPDQ layout: an alternative hash so named is counted unsupported, as before.
    doc = orjson.loads(write_vics2_hashset(tmp_path / "v.json", ENTRIES[:2]).read_bytes())
    for media in doc["value"]:
        media["AlternativeHashes"].append({"HashName": "vPDQ", "HashValue": "[1, 2]"})
    (tmp_path / "v.json").write_bytes(orjson.dumps(doc))
    report = import_list(case, tmp_path / "v.json", name="VICS", operator="t")
    assert report.unsupported == {"netclean": 2, "vpdq": 2}


def test_vpdq_values_parse_te_serialisation_and_canonicalise() -> None:
    v = VIDEOS[3]
    frames = parse_vpdq(v.te_signal(upper=True))
    assert frames == _frames(v)
    assert parse_vpdq(v.triples() + ";") == frames == parse_vpdq(v.canonical())
    assert canonical_vpdq(frames) == v.canonical() == normalise_hash("vpdq", v.te_signal(upper=True))
    assert canonical_vpdq(frames).startswith('["') and '", "' in canonical_vpdq(frames)
    p = v.frames[0][0]
    # TE writes seconds to three significant digits, so long videos' times come in exponent form.
    assert parse_vpdq(json.dumps([f"{p},50,1.23e+03"])) == (VpdqFrame(p, 50, 1_230_000),)
    assert canonical_vpdq(parse_vpdq(f"{p},7,1.2346")) == json.dumps([f"{p},7,1.235"])  # to the ms
    assert canonical_vpdq([VpdqFrame(p, 0, 61_005)]) == json.dumps([f"{p},0,61.005"])
    with pytest.raises(InvalidHash, match="more than 100000"):
        parse_vpdq(";".join([f"{p},1,0"] * 100_001))
    with pytest.raises(InvalidHash, match="time is not a number"):
        parse_vpdq(f"{p},1,nan")
    with pytest.raises(InvalidHash, match="empty vPDQ value"):
        normalise_hash("vpdq", "  ")
    assert [hash_type_named(n) for n in ("vpdq", "videovpdq", "video_vpdq", "vPDQ")] == ["vpdq"] * 4
    with pytest.raises(InvalidHash):
        detect_hash_type(v.canonical())
