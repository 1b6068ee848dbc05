"""Hash-list import: throughput and peak memory of a VICS 2.0 hash set, first and next version.

Writes (once, into ``bench-data/``) synthetic VICS 2.0 hash sets of random hashes (MD5, SHA-1,
PhotoDNA, and SHA-256 + PDQ as alternative hashes: five entries per media record), then, each
in a fresh process so that peak RSS is its own:

* **baseline** — ijson (``yajl2_c``) streaming ``value.item`` over the same bytes, parse only;
* **first version** — :func:`veilleur.lists.import_list` into a new SQLite case;
* **next version** — the same list again from a file where 1 % of records changed category,
  1 % are gone and 1 % are new (incremental: every entry looked up, unchanged ones touched).

    .venv/bin/python benchmarks/bench_lists.py --sizes 20000,200000 [--postgres URL]

Every hash is random; no list here holds the hash of any real file.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "bench-data"
CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


def _record(rng: random.Random, media_id: int, category: int) -> bytes:
    md5 = rng.randbytes(16).hex()
    rec = {
        "MediaID": media_id,
        "Category": category,
        "MD5": md5,
        "SHA1": rng.randbytes(20).hex(),
        "PhotoDNA": base64.b64encode(rng.randbytes(144)).decode(),
        "IsPrecategorized": True,
        "VictimIdentified": media_id % 9 == 0,
        "Series": f"s{media_id % 500}" if media_id % 3 == 0 else None,
        "AlternativeHashes": [
            {"MD5": md5, "HashName": "SHA256", "HashValue": rng.randbytes(32).hex()},
            {"MD5": md5, "HashName": "PDQ", "HashValue": rng.randbytes(32).hex()},
        ],
    }
    return json.dumps(rec, indent=6).encode()


def write_set(path: Path, n: int, *, version: int) -> None:
    """Version 1: records 0..n-1. Version 2: 1 % recategorised, 1 % dropped, 1 % new."""
    step = 100
    with path.open("wb") as f:
        f.write(b'{\n  "@odata.context": "%s",\n  "value": [\n' % CONTEXT.encode())
        first = True
        ids = list(range(n))
        if version == 2:
            ids = [i for i in ids if i % step != 1] + list(range(n, n + n // step))
        for i in ids:
            rng = random.Random(i)  # a record's hashes depend only on its id
            category = 1 + i % 3
            if version == 2 and i % step == 2:
                category = 1 + (category % 3)
            f.write((b"" if first else b",\n") + b"    " + _record(rng, i, category))
            first = False
        f.write(b"\n  ]\n}\n")


def _child(kind: str, path: str, case_dir: str, url: str | None) -> None:
    t0 = time.perf_counter()
    out: dict[str, object] = {}
    if kind == "baseline":
        import ijson

        with open(path, "rb") as f:
            n = sum(1 for _ in ijson.items(f, "value.item"))
        out["records"] = n
    else:
        from veilleur.case import init_case, open_case
        from veilleur.lists import import_list

        case = (
            init_case(Path(case_dir), database_url=url, operator="bench")
            if kind == "v1"
            else open_case(Path(case_dir))
        )
        r = import_list(case, path, name="bench", operator="bench")
        out.update(
            entries=r.entries, added=r.added, changed=r.changed, unchanged=r.unchanged, removed=r.removed
        )
        case.close()
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20000,200000")
    ap.add_argument("--postgres", help="an empty PostgreSQL database URL to use instead of SQLite")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path, case_dir, url = args.child
        _child(kind, path, case_dir, None if url == "-" else url)
        return
    DATA.mkdir(exist_ok=True)
    for n in (int(s) for s in args.sizes.split(",")):
        files = {}
        for version in (1, 2):
            files[version] = DATA / f"vics-hashset-{n}-v{version}.json"
            if not files[version].exists():
                write_set(files[version], n, version=version)
        case_dir = DATA / f"lists-case-{n}"
        subprocess.run(["rm", "-rf", str(case_dir)], check=True)
        size = files[1].stat().st_size / 2**20
        print(f"{n} records, {size:.0f} MiB ({5 * n} hashes)", flush=True)
        for kind, path in (("baseline", files[1]), ("v1", files[1]), ("v2", files[2])):
            res = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(path), str(case_dir), args.postgres or "-"],
                check=True,
                capture_output=True,
                text=True,
            )
            print(f"  {kind:8} {res.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
