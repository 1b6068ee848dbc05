"""Every participant's dossier of a large case, in HTML only and with PDFs, as ``veilleur dossier``
writes them; and the former printer (WeasyPrint, from the HTML) on a sample, for comparison.

Usage::

    .venv/bin/python benchmarks/bench_dossiers.py --keep /tmp/netcase      # 1M messages, 876 dossiers
    .venv/bin/python benchmarks/bench_dossiers.py --quick                  # 100k messages (smoke run)
    .venv/bin/python benchmarks/bench_dossiers.py --keep /tmp/netcase --weasyprint 4 --workers 1,2

The case is the network benchmark's (``bench_network.generate``: 1,000,000 messages, 5,000
accounts, 100,000 media, 3,095 flagged exchanges, 876 participants; SQLite), generated once and
reused with ``--keep``. Each measurement runs in a fresh process and calls
``veilleur.outputs.dossier_files.write_all_dossiers`` on the case, as the command line's
``veilleur dossier`` does, so each pays the shared context (the case's exchanges, network and
possibly new material) once before its first dossier:

* **HTML only** — ``pdf=False`` (``veilleur dossier --no-pdf``);
* **HTML and PDF** — ``pdf=True``: the PDFs typeset by Typst in ``--workers`` processes (default
  one per core) while the next accounts are read; one run per value of ``--workers``;
* **WeasyPrint** (``--weasyprint N``) — the former path, ``write_pdf(render_html(data))`` for N
  participants evenly spread by size of dossier, timed each and extrapolated to all.

Peak memory is the process's own ``VmHWM``, and for the PDF workers the largest one's
``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _case(folder: Path, n_msg: int, n_acc: int, n_media: int) -> None:
    import bench_network as bn

    wanted = {"messages": n_msg, "accounts": n_acc, "media_messages": n_media, "seed": bn.SEED}
    marker = folder / bn.MARKER
    if marker.exists() and {k: json.loads(marker.read_text()).get(k) for k in wanted} == wanted:
        from veilleur.case import upgrade_case

        # A case kept from an earlier Veilleur is brought to this one's schema, as a user would.
        found, now = upgrade_case(folder, operator=bn.OPERATOR)
        print(
            f"reusing the case in {folder}"
            + (f" (schema upgraded from {found} to {now})" if found != now else "")
        )
        return
    if folder.exists():
        shutil.rmtree(folder)
    t = time.perf_counter()
    bn.generate(folder, n_msg, n_acc, n_media)
    print(f"generated the case in {time.perf_counter() - t:.1f} s (not measured): {folder}")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_all(folder: Path, out: Path, pdf: bool, workers: int) -> dict[str, Any]:
    """``write_all_dossiers`` as the command line calls it; what it wrote and how long it took."""
    import bench_network as bn
    from veilleur.case import open_case
    from veilleur.outputs.dossier_files import write_all_dossiers

    case = open_case(folder)
    t = time.perf_counter()
    paths = write_all_dossiers(case, out, operator=bn.OPERATOR, pdf=pdf, workers=workers or None)
    took = time.perf_counter() - t
    me, workers_used = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    html = [p for p in paths if p.suffix == ".html"]
    pdfs = [p for p in paths if p.suffix == ".pdf"]
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in pdfs)
    return {
        "seconds": round(took, 1),
        # CPU seconds: on a shared machine the wall time depends on the neighbours, these do not.
        "cpu_main": round(me.ru_utime + me.ru_stime),
        "cpu_workers": round(workers_used.ru_utime + workers_used.ru_stime),
        "dossiers": len(html),
        "pdf": len(pdfs),
        "html_mb": round(sum(p.stat().st_size for p in html) / 1e6),
        "pdf_mb": round(sum(p.stat().st_size for p in pdfs) / 1e6),
        "peak_mb": round(_peak_mb()),
        # The largest of the PDF workers, each reaped when the production closed its pool.
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def run_weasyprint(folder: Path, out: Path, sample: int) -> dict[str, Any]:
    """The former PDF path on ``sample`` participants, from the smallest dossier to the largest."""
    import bench_network as bn
    from veilleur.case import open_case
    from veilleur.outputs.dossier import DossierContext, account_dossier, participants, render_html
    from veilleur.outputs.pdf import write_pdf

    case = open_case(folder)
    out.mkdir(parents=True, exist_ok=True)
    with case.engine.connect() as conn:
        ctx = DossierContext.build(conn, bn.OPERATOR)
        ids = sorted(participants(ctx), key=lambda a: len(ctx.exchanges.involving(a)))
        picks = [ids[round(i * (len(ids) - 1) / max(1, sample - 1))] for i in range(sample)]
        each = []
        for account_id in picks:
            html = render_html(account_dossier(conn, account_id, ctx))
            t = time.perf_counter()
            write_pdf(html, out / f"{account_id}.pdf")
            each.append({"exchanges": len(ctx.exchanges.involving(account_id)), "s": time.perf_counter() - t})
    return {"participants": len(ids), "each": each, "peak_mb": round(_peak_mb())}


def _child(args: list[str]) -> dict[str, Any]:
    p = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"step {args} failed ({p.returncode})")
    result: dict[str, Any] = json.loads(next(ln for ln in p.stdout.splitlines() if ln.startswith("{")))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", metavar="DIR", help="the case folder (generated if it does not match)")
    ap.add_argument("--quick", action="store_true", help="100,000 messages (smoke run)")
    ap.add_argument("--workers", default="0", help="PDF workers per run, comma-separated (0: one per core)")
    ap.add_argument("--weasyprint", type=int, default=0, metavar="N", help="time the former path on N")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML-only run")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        folder, out = Path(args.folder), Path(args.out)
        if args.step == "weasyprint":
            print(json.dumps(run_weasyprint(folder, out, args.n)))
        else:
            print(json.dumps(run_all(folder, out, args.step == "pdf", args.n)))
        return

    n_msg = 100_000 if args.quick else 1_000_000
    load = os.getloadavg()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-dossiers-"))
    folder = Path(args.keep) if args.keep else tmp / "case"
    try:
        _case(folder, n_msg, 5_000, n_msg // 10)
        html: dict[str, Any] | None = None
        if not args.no_html:
            html = _child(["--step", "html", "--folder", str(folder), "--out", str(tmp / "html")])
            print(
                f"HTML only:     {html['seconds']:7.1f} s  {html['dossiers']:,} dossiers, "
                f"{html['html_mb']:,} MB of HTML; CPU {html['cpu_main']:,} s; peak {html['peak_mb']:,} MB"
            )
        for w in [int(x) for x in args.workers.split(",")]:
            out = tmp / f"pdf-{w}"
            r = _child(["--step", "pdf", "--folder", str(folder), "--out", str(out), "--n", str(w)])
            ratio = f", {r['seconds'] / html['seconds']:.2f}× the HTML-only run" if html else ""
            print(
                f"HTML and PDF:  {r['seconds']:7.1f} s  {r['dossiers']:,} dossiers, {r['pdf']:,} PDFs on "
                f"{w or os.cpu_count()} worker process(es), {r['pdf_mb']:,} MB of PDF{ratio}; CPU "
                f"{r['cpu_main']:,} s in the main process, {r['cpu_workers']:,} s in the workers; peak "
                f"{r['peak_mb']:,} MB, each worker at most {r['worker_peak_mb']:,} MB; load average "
                f"{os.getloadavg()[0]:.2f} after"
            )
            shutil.rmtree(out)
        if args.weasyprint:
            step = ["--step", "weasyprint", "--folder", str(folder), "--out", str(tmp / "wp")]
            wp = _child([*step, "--n", str(args.weasyprint)])
            total = sum(x["s"] for x in wp["each"])
            mean = total / len(wp["each"])
            each = ", ".join(f"{x['s']:.1f} s ({x['exchanges']:,} exchanges)" for x in wp["each"])
            print(
                f"WeasyPrint:    {each}; mean {mean:.1f} s, ~{mean * wp['participants'] / 3600:.1f} h "
                f"extrapolated for {wp['participants']:,}; peak {wp['peak_mb']:,} MB"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
