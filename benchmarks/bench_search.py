"""Case search at scale: the index's build time next to the import, its size, query latency per
kind next to a ``LIKE '%…%'`` scan of the same table, and a 500-term keyword list, on SQLite and
PostgreSQL.

Usage::

    .venv/bin/python benchmarks/bench_search.py                      # 1,000,000 messages, both backends
    .venv/bin/python benchmarks/bench_search.py --messages 100000 --backends sqlite   # a quick run

The export is the import benchmark's (``veilleur.demo.bigexport``: one large group, texts drawn
from French, English, Cyrillic, Arabic and CJK word pools with emoji; written once under
``--data`` and reused). For each backend, in this process: a new case; ``import_export`` (timed:
the import alone, as ``veilleur import`` runs it before refreshing the index); ``refresh`` (timed:
the whole index of that import); the index's size; then 50 generated queries of each kind —
word, phrase, prefix, identifier (``phone:``, over lawful returns naming 2,000 accounts, imported
after the timing), field + time window (``name:`` … ``after:``) —
run through ``veilleur.search.search`` (first page of 20, with the total and the counts per chat and
account, as the command runs it), p50 and p95; 10 of the word queries again as ``LIKE '%word%'``
over ``messages.text`` (the baseline: what a user without search would run); and a keyword list of
500 terms (words, phrases, prefixes) through ``run_keywords``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

PG_ADMIN = os.environ.get("VEILLEUR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def _queries(conn: Any, rng: random.Random) -> dict[str, list[str]]:
    from sqlalchemy import select

    from veilleur.store.schema import account_names, messages

    texts = [t for (t,) in conn.execute(select(messages.c.text).where(messages.c.text != "").limit(20_000))]
    words = [w for t in texts for w in t.split() if len(w) > 3 and w.isalpha()]
    names = [
        v
        for (v,) in conn.execute(
            select(account_names.c.value).where(account_names.c.name_kind == "display_name")
        )
    ]
    pairs = []
    for t in texts:
        ws = [w for w in t.split() if w.isalpha()]
        if len(ws) >= 2:
            i = rng.randrange(len(ws) - 1)
            pairs.append(f'"{ws[i]} {ws[i + 1]}"')
    return {
        "word": rng.sample(words, 50),
        "phrase": rng.sample(pairs, 50),
        "prefix": [w[:4] + "*" for w in rng.sample(words, 50)],
        "field+time": [
            f"name:{n.split()[0]} after:2024-06-01" for n in rng.sample(names, min(50, len(names)))
        ],
    }


def run_backend(backend: str, export: Path, work: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from veilleur.case import init_case
    from veilleur.ingest.importer import ImportOptions, import_export
    from veilleur.search import parse, refresh, search
    from veilleur.search.keywords import run_keywords

    url = None
    name = f"veilleur_bench_{uuid.uuid4().hex[:10]}"
    if backend == "postgresql":
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://{PG_ADMIN.rsplit('/', 1)[0].split('://', 1)[1]}/{name}"
    try:
        case = init_case(work / backend, operator="bench", database_url=url)
        t = time.perf_counter()
        import_export(case, export, ImportOptions("bench"))
        t_import = time.perf_counter() - t
        size_before = _size(case)
        t = time.perf_counter()
        report = refresh(case.engine)
        t_index = time.perf_counter() - t
        index_mb = (_size(case) - size_before) / 1e6
        print(
            f"{backend}: import {t_import:.1f} s, index {t_index:.1f} s ({t_index / t_import:.0%}), "
            f"{index_mb:.0f} MB; querying…",
            flush=True,
        )
        rng = random.Random(7)
        phones = _returns(case, work / f"returns-{backend}.csv", rng)
        out: dict[str, Any] = {
            "import_s": t_import,
            "index_s": t_index,
            "share": t_index / t_import,
            "documents": report.documents,
            "index_mb": index_mb,
            "kinds": {},
        }
        with case.engine.connect() as conn:
            qs = _queries(conn, rng)
            qs["identifier"] = [f"phone:{p}" for p in rng.sample(phones, 50)]
            for kind, queries in qs.items():
                times, hits = [], []
                for q in queries:
                    t = time.perf_counter()
                    found = search(conn, parse(q))
                    times.append((time.perf_counter() - t) * 1000)
                    hits.append(found.total)
                out["kinds"][kind] = {
                    "p50_ms": statistics.median(times),
                    "p95_ms": _pct(times, 0.95),
                    "mean_hits": statistics.mean(hits),
                }
            like = []
            for w in qs["word"][:10]:
                t = time.perf_counter()
                conn.execute(
                    text("SELECT count(*) FROM messages WHERE text LIKE :p"), {"p": f"%{w}%"}
                ).scalar()
                like.append((time.perf_counter() - t) * 1000)
            out["like_p50_ms"] = statistics.median(like)
        terms = work / f"terms-{backend}.txt"
        pool = qs["word"] + qs["phrase"] + qs["prefix"]
        terms.write_text("\n".join(rng.choice(pool) for _ in range(500)), encoding="utf-8")
        with case.engine.begin() as conn:
            t = time.perf_counter()
            kw = run_keywords(conn, terms, operator="bench")
            out["keywords_s"] = time.perf_counter() - t
            out["keyword_hits"] = kw.hits
        case.close()
        return out
    finally:
        if backend == "postgresql":
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _returns(case: Any, path: Path, rng: random.Random) -> list[str]:
    """Lawful returns naming a phone for 2,000 of the case's accounts (imported and indexed, not
    timed): what ``phone:`` queries look up."""
    from sqlalchemy import select

    from veilleur.records import import_records
    from veilleur.search import refresh
    from veilleur.store.schema import accounts

    with case.engine.connect() as conn:
        peers = [
            p for (p,) in conn.execute(select(accounts.c.peer_id).where(accounts.c.peer_id.is_not(None)))
        ]
    phones = [f"+336{rng.randrange(10_000_000, 99_999_999)}" for _ in range(min(2_000, len(peers)))]
    rows = [
        f"{peer};phone;{phone};;" for peer, phone in zip(rng.sample(peers, len(phones)), phones, strict=True)
    ]
    path.write_text("account;kind;value;first_seen;last_seen\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_records(case, path, kind="returns", operator="bench")
    refresh(case.engine)
    return phones


def _size(case: Any) -> int:
    from sqlalchemy import text

    with case.engine.connect() as conn:
        if case.engine.dialect.name == "postgresql":
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
    path = case.root / "case.sqlite"
    return sum(p.stat().st_size for p in path.parent.glob("case.sqlite*"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--data", default="bench-data", help="where the export is written once and reused")
    args = ap.parse_args()
    from veilleur.demo.bigexport import write_large_export

    export = Path(args.data) / f"search-{args.messages}" / "result.json"
    if not export.exists():
        t = time.perf_counter()
        write_large_export(export, args.messages)
        print(
            f"export of {args.messages:,} messages written in {time.perf_counter() - t:.0f} s (not measured)"
        )
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        f"{args.messages:,} messages"
    )
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        for backend in args.backends.split(","):
            r = run_backend(backend, export.parent, Path(tmp))
            print(
                f"\n{backend}: import {r['import_s']:.1f} s, index {r['index_s']:.1f} s "
                f"({r['share']:.0%} of the import; target <= 25%), {r['documents']:,} documents, "
                f"index {r['index_mb']:.0f} MB"
            )
            for kind, k in r["kinds"].items():
                print(
                    f"  {kind:<11} p50 {k['p50_ms']:7.1f} ms  p95 {k['p95_ms']:7.1f} ms  "
                    f"(mean {k['mean_hits']:,.0f} hits)"
                )
            print(f"  LIKE '%word%' scan of messages.text: p50 {r['like_p50_ms']:.0f} ms")
            print(
                f"  keyword list of 500 terms: {r['keywords_s']:.1f} s "
                f"({r['keyword_hits']:,} hits; target < 60 s)"
            )


if __name__ == "__main__":
    main()
