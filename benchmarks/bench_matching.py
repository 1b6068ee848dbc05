"""PDQ matching: Veilleur's exact index against python-threatexchange's PDQ index, same data.

Usage::

    .venv/bin/pip install threatexchange        # the peer; not a Veilleur dependency
    .venv/bin/python benchmarks/bench_matching.py --refs 10000000 --queries 100000

Reference hashes are random 256-bit values (``random``) or 100-member clusters of near-duplicates
around random centres, each member 0–24 bits from its centre (``clustered``, closer to a real
list, where variants of one image sit together). Half the queries are planted: a reference with
``d`` bits flipped, ``d`` spread evenly over 0..31; the other half are random. Recall is the share
of planted queries whose source reference is returned at distance <= 31; exactness is checked
against brute force on a sample of queries (every pair within 31 found, none beyond).

Each method runs in its own process so that its peak memory is its own. The peer
(``threatexchange.signal_type.pdq.pdq_index.PDQIndex``, FAISS multi-index hashing, one OpenMP
thread, which the reference measured as its fastest setting for per-query calls) answers
``--peer-queries`` of the queries; its rate is extrapolated to all of them, and said so.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RADIUS = 31


def make_data(folder: Path, n_refs: int, n_queries: int, kind: str, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    if kind == "random":
        refs = rng.integers(0, 2**64, size=(n_refs, 4), dtype=np.uint64)
    else:
        centres = rng.integers(0, 2**64, size=(n_refs // 100 + 1, 4), dtype=np.uint64)
        refs = np.repeat(centres, 100, axis=0)[:n_refs]
        for start in range(0, n_refs, 1_000_000):
            block = refs[start : start + 1_000_000]
            bits = np.unpackbits(block.view(np.uint8), axis=1)
            flips = rng.integers(0, 25, size=len(block))
            noise = rng.random(bits.shape) < (flips / 256.0)[:, None]
            bits ^= noise.astype(np.uint8)
            refs[start : start + 1_000_000] = np.packbits(bits, axis=1).view(np.uint64).reshape(-1, 4)
    half = n_queries // 2
    src = rng.integers(0, n_refs, size=half)
    planted_bits = np.unpackbits(refs[src].view(np.uint8), axis=1)
    dist = np.arange(half) % (RADIUS + 1)
    for i in range(half):
        planted_bits[i, rng.choice(256, dist[i], replace=False)] ^= 1
    queries = np.concatenate(
        [
            np.packbits(planted_bits, axis=1).view(np.uint64).reshape(-1, 4),
            rng.integers(0, 2**64, size=(n_queries - half, 4), dtype=np.uint64),
        ]
    )
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "refs.npy", refs)
    np.save(folder / "queries.npy", queries)
    np.save(folder / "source.npy", src)


def run_veilleur(folder: Path, threads: int) -> None:
    from veilleur.matching.pdq_index import PdqIndex

    refs = np.load(folder / "refs.npy")
    queries = np.load(folder / "queries.npy")
    src = np.load(folder / "source.npy")
    t = time.perf_counter()
    index = PdqIndex(refs)
    build = time.perf_counter() - t
    t = time.perf_counter()
    hits = index.search(queries, threads=threads)
    search = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the check below
    found = set(zip(hits.query.tolist(), hits.reference.tolist(), strict=True))
    recall = sum((i, int(s)) in found for i, s in enumerate(src)) / len(src)
    # Exactness on a sample: brute force every reference for 50 planted and 50 random queries.
    sample = list(range(50)) + list(range(len(queries) - 50, len(queries)))
    missing = extra = 0
    for i in sample:
        truth: set[int] = set()
        for start in range(0, len(refs), 1_000_000):
            d = np.bitwise_count(refs[start : start + 1_000_000] ^ queries[i]).sum(axis=1)
            truth |= {start + j for j in np.nonzero(d <= RADIUS)[0].tolist()}
        got = {r for q, r in found if q == i}
        missing += len(truth - got)
        extra += len(got - truth)
    print(
        f"{build:.1f} {search:.1f} {recall:.4f} {len(hits.query)} {missing} {extra} {index.nbytes / 1e6:.0f} "
        f"{peak:.0f}"
    )


def run_peer(folder: Path, n: int) -> None:
    import faiss
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    faiss.omp_set_num_threads(1)
    refs = np.load(folder / "refs.npy")
    queries = np.load(folder / "queries.npy")[:n]
    src = np.load(folder / "source.npy")

    def to_hex(a: np.ndarray) -> list[str]:
        return [row.tobytes().hex() for row in a]

    t = time.perf_counter()
    index = PDQIndex.build(((h, i) for i, h in enumerate(to_hex(refs))))
    build = time.perf_counter() - t
    qh = to_hex(queries)
    t = time.perf_counter()
    results = [index.query(h) for h in qh]
    search = time.perf_counter() - t
    found = {(qi, r.metadata) for qi, rs in enumerate(results) for r in rs}
    planted = [i for i in range(min(n, len(src)))]
    recall = sum((i, int(src[i])) in found for i in planted) / max(len(planted), 1)
    print(f"{build:.1f} {search:.1f} {recall:.4f} {len(found)}")


def _child(args: list[str]) -> tuple[str, float, float]:
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    out = p.stdout.read().strip() if p.stdout else ""
    if status != 0:
        raise SystemExit(f"{args[0]} failed")
    return out, time.perf_counter() - t, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--refs", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--peer-queries", type=int, default=2_000)
    ap.add_argument("--kinds", default="random,clustered")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--data", default=str(HERE.parent / "bench-data"))
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mode == "veilleur":
        return run_veilleur(Path(args.folder), args.threads)
    if args.mode == "peer":
        return run_peer(Path(args.folder), args.peer_queries)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {args.refs:,} references, "
        f"{args.queries:,} queries, radius {RADIUS}"
    )
    for kind in args.kinds.split(","):
        folder = Path(args.data) / f"pdq-{kind}-{args.refs}-{args.queries}"
        if not (folder / "queries.npy").exists():
            t = time.perf_counter()
            make_data(folder, args.refs, args.queries, kind)
            print(f"generated {kind} data in {time.perf_counter() - t:.0f} s")
        out, _, rss = _child(["--mode", "veilleur", "--folder", str(folder), "--threads", str(args.threads)])
        build, search, recall, hits, missing, extra, mb, peak = out.split()
        print(f"\n{kind}:")
        print(
            f"  veilleur PdqIndex ({args.threads} threads): build {build} s, {args.queries:,} queries in "
            f"{search} s = {args.queries / float(search):,.0f} q/s, recall {recall}, {hits} hits, "
            f"exact on sample: {missing} missing / {extra} extra; index {mb} MB; "
            f"peak RSS {float(peak):,.0f} MB with the data loaded ({rss:,.0f} MB after the brute-force check)"
        )
        if args.no_peer:
            continue
        out, _, prss = _child(
            ["--mode", "peer", "--folder", str(folder), "--peer-queries", str(args.peer_queries)]
        )
        pbuild, psearch, precall, _ = out.split()
        prate = args.peer_queries / float(psearch)
        print(
            f"  threatexchange PDQIndex (1 OMP thread): build {pbuild} s, {args.peer_queries:,} queries in "
            f"{psearch} s = {prate:,.0f} q/s (all {args.queries:,}: ~{args.queries / prate:,.0f} s "
            f"extrapolated), recall {precall}, peak RSS {prss:,.0f} MB"
        )
        print(f"  query rate, veilleur / threatexchange: {args.queries / float(search) / prate:.1f}x")


if __name__ == "__main__":
    main()
