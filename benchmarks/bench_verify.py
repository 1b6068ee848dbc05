"""``case verify`` next to the import of the same export, in the same run.

Usage: ``python benchmarks/bench_verify.py [--size 1000000] [--data bench-data] [--database-url URL]``

It writes (once, then reuses) the synthetic single-chat ``result.json`` of ``bench_import.py``,
imports it into a new case (SQLite in a temporary folder, or the PostgreSQL database given, which
must be empty), then runs ``case verify`` twice: with the evidence files re-hashed (the whole
check) and with ``files=False`` (the seals, the chain and the coverage only). It also times
computing the import's seal alone, which is what sealing adds to an import. Target (issue 12):
verifying takes at most twice the import.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--data", default=str(HERE.parent / "bench-data"))
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    from sqlalchemy import func, select

    from veilleur import app
    from veilleur.app.session import CaseSession, member_role
    from veilleur.case import init_case
    from veilleur.custody.seal import telegram_seal
    from veilleur.demo.bigexport import write_large_export
    from veilleur.ingest.importer import ImportOptions, import_export
    from veilleur.store.schema import evidence

    n = args.size
    data = Path(args.data)
    folder = data / f"export-{n}"
    src = folder / "result.json"
    if not src.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_large_export(src, n)
    mb = src.stat().st_size / 1e6
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {n:,} messages, {mb:.0f} MB")
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        case = init_case(Path(tmp) / "case", operator="bench", database_url=args.database_url)
        try:
            t = time.perf_counter()
            r = import_export(case, folder, ImportOptions("bench"))
            imported = time.perf_counter() - t
            with case.engine.connect() as conn:
                t = time.perf_counter()
                first = conn.execute(select(func.min(evidence.c.id))).scalar_one()
                telegram_seal(conn, r.import_id, first)
                sealing = time.perf_counter() - t
            session = CaseSession(case, "bench", member_role(case, "bench"), None)
            t = time.perf_counter()
            whole = app.case_verify(session, files=True)
            verified = time.perf_counter() - t
            t = time.perf_counter()
            records_only = app.case_verify(session, files=False)
            verified_records = time.perf_counter() - t
        finally:
            case.close()
    assert whole.ok and records_only.ok, (whole.audit, whole.records, whole.file_problems)
    print(f"  backend                         : {case.engine.dialect.name}")
    print(f"  import (sealing included)       : {imported:6.1f} s")
    print(f"  of which computing the seal     : {sealing:6.1f} s ({sealing / imported:.0%} of the import)")
    print(f"  case verify, files re-hashed    : {verified:6.1f} s  ratio to import {verified / imported:.2f}")
    ratio = verified_records / imported
    print(f"  case verify --no-files          : {verified_records:6.1f} s  ratio to import {ratio:.2f}")
    print(f"  rows checked against seals      : {whole.sealed_rows:,}")


if __name__ == "__main__":
    main()
