"""The web application under a team's load: server time of every page and API call at p50 and p95
for 20 concurrent signed-in users, the network view of the whole case drawn in Chromium, and the
same questions answered by the command line in the same run.

Usage::

    .venv/bin/python benchmarks/bench_web.py --keep /tmp/netcase      # 1M messages, 5k accounts
    .venv/bin/python benchmarks/bench_web.py --quick                  # 100k messages (smoke run)

The case is the network benchmark's (``bench_network.generate``: 1,000,000 messages, 5,000
accounts, 100,000 media, 3,095 flagged exchanges; SQLite), generated once and reused with
``--keep``; its search index is built before the measurement (not timed here: see
``bench_search.py``). The server is ``veilleur serve`` in its own process (one uvicorn worker, as
the README runs it). Each simulated user signs in, then walks the page list in a random order
``--rounds`` times with httpx (one connection each, all ``--users`` at once, on loopback); the
time of each request is measured at the client, so it includes the loopback round trip. The
first request of each page is made once before the load (the case-wide analyses are computed then,
once per state of the case: ``veilleur.app.snapshots``) and reported apart. The command line
answers the same questions in fresh processes, as a user runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent
VEILLEUR = [str(Path(sys.executable).parent / "veilleur")]
PASSWORD = "bench password 2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _case(folder: Path, n_msg: int, n_acc: int, n_media: int) -> None:
    import bench_network as bn

    wanted = {"messages": n_msg, "accounts": n_acc, "media_messages": n_media, "seed": bn.SEED}
    marker = folder / bn.MARKER
    if marker.exists() and {k: json.loads(marker.read_text()).get(k) for k in wanted} == wanted:
        print(f"reusing the case in {folder}")
        return
    if folder.exists():
        shutil.rmtree(folder)
    t = time.perf_counter()
    gen = bn.generate(folder, n_msg, n_acc, n_media)
    marker.write_text(json.dumps(gen | wanted))
    print(f"generated the case in {time.perf_counter() - t:.1f} s")


def _setup(folder: Path, home: Path) -> str:
    """Users with passwords; the search index built; the best-connected account's key."""
    os.environ["VEILLEUR_HOME"] = str(home)
    from veilleur import app

    inst = app.open_installation()
    inst.ensure("bench", by="bench")
    app.set_user_password(inst, "bench", PASSWORD, user="bench")
    with app.open_session(folder, "bench") as s:
        t = time.perf_counter()
        app.reindex(s)
        print(f"search index built in {time.perf_counter() - t:.1f} s (not measured here)")
        top = app.exchange_graph(s, limit=1).nodes[0].account
    return top


async def _login(base: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=base, timeout=300, follow_redirects=False)
    page = await c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    r = await c.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": token.group(1)})
    assert r.status_code == 303, r.text
    return c


def _pages(cid: str, top: str) -> dict[str, str]:
    return {
        "cases": "/",
        "overview": f"/cases/{cid}",
        "network page": f"/cases/{cid}/network",
        "graph API (500)": f"/api/v1/cases/{cid}/graph?limit=500",
        "graph API ego": f"/api/v1/cases/{cid}/graph?center={top}",
        "account page": f"/cases/{cid}/accounts/{top}",
        "edge exchanges": "",  # filled below with a counterpart
        "ranking": f"/cases/{cid}/ranking",
        "link review": f"/cases/{cid}/review/links",
        "text hits": f"/cases/{cid}/review/indicators",
        "new material": f"/cases/{cid}/review/material",
        "search": f"/cases/{cid}/search?q=photo",
        "search API": f"/api/v1/cases/{cid}/search?q=bonjour",
        "audit log": f"/cases/{cid}/audit",
        "dossiers": f"/cases/{cid}/outputs",
        "notes": f"/cases/{cid}/notes",
        "summary API": f"/api/v1/cases/{cid}/summary",
        "audit verification": f"/cases/{cid}/audit/verification",
    }


async def _user(
    base: str, pages: dict[str, str], rounds: int, seed: int, out: dict[str, list[float]]
) -> None:
    c = await _login(base)
    rng = random.Random(seed)
    try:
        for _ in range(rounds):
            order = list(pages.items())
            rng.shuffle(order)
            for name, url in order:
                t = time.perf_counter()
                r = await c.get(url)
                out.setdefault(name, []).append(time.perf_counter() - t)
                assert r.status_code == 200, (name, r.status_code, r.text[:200])
    finally:
        await c.aclose()


async def _load(
    base: str, pages: dict[str, str], users: int, rounds: int
) -> tuple[dict[str, list[float]], float]:
    out: dict[str, list[float]] = {}
    t = time.perf_counter()
    await asyncio.gather(*(_user(base, pages, rounds, i, out) for i in range(users)))
    return out, time.perf_counter() - t


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _browser(base: str, cid: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/login")
        page.fill("input[name=name]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        times = []
        for _ in range(3):
            t = time.perf_counter()
            page.goto(f"{base}/cases/{cid}/network?limit=5000")
            page.wait_for_selector('#graph[data-ready="true"]', timeout=120_000)
            nodes = int(page.get_attribute("#graph", "data-nodes") or 0)
            times.append(time.perf_counter() - t)
        # interactive: a hover and a click answered (the renderer is live)
        t = time.perf_counter()
        box = page.locator("#graph").bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)
        interact = time.perf_counter() - t
        b.close()
    return {"nodes": nodes, "best_s": min(times), "worst_s": max(times), "interaction_s": interact}


def _cli(folder: Path, top: str, home: Path) -> dict[str, float]:
    env = {**os.environ, "VEILLEUR_HOME": str(home)}
    base = [*VEILLEUR, "--case", str(folder), "--operator", "bench"]
    questions = {
        "summary": ["summary"],
        "network of the top account": ["network", top],
        "roles": ["roles"],
        "possibly new material": ["propagation", "--new"],
        "search": ["search", "photo"],
        "rank show": ["rank", "show"],
    }
    out = {}
    for name, args in questions.items():
        t = time.perf_counter()
        r = subprocess.run([*base, *args], env=env, capture_output=True, timeout=900)
        out[name] = time.perf_counter() - t
        if r.returncode not in (0,):
            out[name + " (exit)"] = r.returncode
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", metavar="DIR", help="the case folder (generated if it does not match)")
    ap.add_argument("--quick", action="store_true", help="100,000 messages, 10,000 media")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    n_msg, n_media = (100_000, 10_000) if args.quick else (1_000_000, 100_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    folder = Path(args.keep) if args.keep else tmp / "case"
    home = tmp / "home"
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load:.2f}; {n_msg:,} messages")
    _case(folder, n_msg, 5_000, n_media)
    top = _setup(folder, home)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*VEILLEUR, "serve", str(folder), "--port", str(port)],
        env={**os.environ, "VEILLEUR_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        cid = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")[:48] or "case"

        async def first() -> tuple[dict[str, str], dict[str, float]]:
            c = await _login(base)
            graph = (await c.get(f"/api/v1/cases/{cid}/graph?center={top}")).json()
            other = next(e["target"] if e["source"] == top else e["source"] for e in graph["edges"])
            pages = _pages(cid, top)
            pages["edge exchanges"] = f"/cases/{cid}/network/edge?a={top}&b={other}"
            cold = {}
            for name, url in pages.items():
                t = time.perf_counter()
                r = await c.get(url)
                cold[name] = time.perf_counter() - t
                assert r.status_code == 200, (name, r.status_code, r.text[:300])
            await c.aclose()
            return pages, cold

        pages, cold = asyncio.run(first())
        print("\nfirst request of each page (cold: case-wide analyses computed by the first that needs them)")
        for name, s in cold.items():
            print(f"  {name:<20} {s * 1000:9.0f} ms")
        times, wall = asyncio.run(_load(base, pages, args.users, args.rounds))
        n = sum(len(v) for v in times.values())
        print(
            f"\n{args.users} users × {args.rounds} rounds × {len(pages)} pages: "
            f"{n} requests in {wall:.1f} s ({n / wall:.1f}/s)"
        )
        print(f"  {'page':<20} {'p50':>9} {'p95':>9} {'max':>9}")
        for name, xs in times.items():
            p50, p95 = _pct(xs, 0.5) * 1000, _pct(xs, 0.95) * 1000
            print(f"  {name:<20} {p50:7.0f} ms {p95:7.0f} ms {max(xs) * 1000:7.0f} ms")
        every = [x for xs in times.values() for x in xs]
        p50, p95, mean = _pct(every, 0.5) * 1000, _pct(every, 0.95) * 1000, statistics.mean(every) * 1000
        print(f"  {'all':<20} {p50:7.0f} ms {p95:7.0f} ms {mean:7.0f} ms mean")
        if not args.no_browser:
            b = _browser(base, cid)
            print(
                f"\nnetwork view in Chromium, whole case ({b['nodes']} accounts): navigation to drawn "
                f"{b['best_s']:.2f}–{b['worst_s']:.2f} s (3 loads); "
                f"a hover and a zoom answered in {b['interaction_s'] * 1000:.0f} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\nthe same questions on the command line (a fresh process each)")
    for name, s in _cli(folder, top, home).items():
        print(f"  {name:<30} {s:8.2f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
