"""Import throughput and peak memory, next to a parse-only ijson baseline on the same file.

Usage: ``python benchmarks/bench_import.py [--sizes 100000,1000000] [--data bench-data]``

For each size it writes (once, then reuses) a synthetic single-chat ``result.json`` with the demo
generator's benchmark writer, then runs, each in a fresh process so that peak memory is its own:

* ``baseline``: ijson (yajl2_c) streaming ``messages.item`` over the same bytes — parse only,
  nothing converted or stored. ijson rejects Telegram's ``\\xHH`` escapes, so the baseline reads
  through a minimal chunk filter that rewrites them (its cost is included);
* ``reader``: Veilleur's reading process alone (scan, repair, decode, convert, prepare, pickle
  to a pipe that goes nowhere): the half of the import that runs beside the writer;
* ``import``: ``veilleur import`` of the file into a new SQLite case, the whole pipeline. Its peak
  is the largest of its processes (importer or reader; they run at the same time).

It prints messages per second, MB/s and peak RSS for each, and the import/baseline ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(code: str, *args: str) -> tuple[float, float, str]:
    """Run python code in a child; return (wall seconds, peak RSS MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out = p.stdout.read() if p.stdout else ""
    if status != 0:
        raise SystemExit(f"child failed ({status}): {code[:60]}…")
    return wall, usage.ru_maxrss / 1024, out


BASELINE = r"""
import sys, ijson, re
class Fix:
    # Rewrites the invalid \xHH escapes Telegram writes to \u00HH on the fly.
    pat = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
    def __init__(self, f): self.f, self.tail, self.out = f, b"", b""
    def read(self, n=65536):
        while len(self.out) < n:
            chunk = self.f.read(1 << 20)
            if not chunk:
                self.out += self.pat.sub(rb"\1\\u00\2", self.tail); self.tail = b""
                break
            data = self.tail + chunk
            k = len(data) - 5
            while k > 0 and data[k - 1] == 0x5C:  # never cut inside a run of backslashes
                k -= 1
            self.out += self.pat.sub(rb"\1\\u00\2", data[:k]); self.tail = data[k:]
        res, self.out = self.out[:n], self.out[n:]
        return res
n = 0
with open(sys.argv[1], "rb") as f:
    for _ in ijson.items(Fix(f), "messages.item"):
        n += 1
print(n, ijson.backend)
"""

READER = r"""
import subprocess, sys
subprocess.run([sys.executable, "-m", "veilleur.ingest.pipeline", sys.argv[1], "-", "0", "0"],
               stdout=subprocess.DEVNULL, check=True)
print(0)
"""

IMPORT = r"""
import sys
from pathlib import Path
from veilleur.case import init_case
from veilleur.ingest.importer import ImportOptions, import_export
case = init_case(Path(sys.argv[2]), operator="bench")
r = import_export(case, Path(sys.argv[1]), ImportOptions("bench"))
print(r.report["counters"]["messages"])
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--data", default=str(HERE.parent / "bench-data"))
    args = ap.parse_args()
    from veilleur.demo.bigexport import write_large_export

    data = Path(args.data)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for n in (int(s) for s in args.sizes.split(",")):
        folder = data / f"export-{n}"
        src = folder / "result.json"
        if not src.exists():
            folder.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            write_large_export(src, n)
            print(f"generated {n} messages in {time.perf_counter() - t:.1f} s")
        mb = src.stat().st_size / 1e6
        bw, brss, bout = _run(BASELINE, str(src))
        rw, rrss, _ = _run(READER, str(folder))
        with tempfile.TemporaryDirectory(dir=data) as tmp:
            iw, irss, iout = _run(IMPORT, str(folder), str(Path(tmp) / "case"))
        assert int(bout.split()[0]) == n == int(iout.strip()), (bout, iout)
        print(f"\n{n:,} messages, {mb:.0f} MB")
        print(
            f"  baseline ijson parse-only ({bout.split()[1]}): {bw:6.1f} s  {n / bw:9,.0f} msg/s  "
            f"{mb / bw:5.1f} MB/s  peak {brss:5.0f} MB"
        )
        print(
            f"  veilleur reading process alone     : {rw:6.1f} s  {n / rw:9,.0f} msg/s  "
            f"{mb / rw:5.1f} MB/s  peak {rrss:5.0f} MB"
        )
        print(
            f"  veilleur import to SQLite          : {iw:6.1f} s  {n / iw:9,.0f} msg/s  "
            f"{mb / iw:5.1f} MB/s  peak {irss:5.0f} MB"
        )
        print(f"  import / baseline throughput: {bw / iw:.2f}")


if __name__ == "__main__":
    main()
