"""Network analysis at case scale: exchanges of flagged media, "everyone who exchanged flagged
material with X", roles/centrality/communities and propagation, next to networkx over an edge list.

Usage::

    .venv/bin/python benchmarks/bench_network.py                 # 1M messages, 5k accounts, 100k media
    .venv/bin/python benchmarks/bench_network.py --quick         # 100k messages, 10k media (smoke run)
    .venv/bin/python benchmarks/bench_network.py --keep /tmp/netcase   # keep (and later reuse) the case
    .venv/bin/python benchmarks/bench_network.py --profile c     # cProfile one step (a, b, c, d, e)
    .venv/bin/python benchmarks/bench_network.py --dossiers pdf --dossier-limit 8   # PDFs, sampled

The case is generated directly in the store (not through Telegram exports: the importer has its
own benchmark) with a fixed seed: a SQLite case (``init_case``) whose rows are written with
``insert_rows``, one transaction per table chunk:

* 4 seized devices, each a full-account export (``evidence`` kind ``export``, ``imports``,
  ``exporter_records`` ``personal_information`` naming the device owner's account);
* ``--accounts`` accounts (platform ids) with display names (about 1 % shared by two accounts, so
  some names do not resolve) and usernames for 40 %;
* 200 chats: 160 private (``personal_chat``, key ``telegram:user:<peer id>``, each between a
  device owner and its peer) and 40 groups (``private_supergroup``) of about 130 to 2,500 members
  (Zipf-like sizes; accounts drawn with Zipf-like popularity, so some sit in many groups), with a
  ``create_group``, one ``join_group_by_link`` service message per member (sender = the joining
  account; 10 % of posters have none and are members by inference only), 3 % of members leaving
  (``remove_members`` naming themselves), at least 40 % of members who never post (known from
  their join);
* ``--messages`` messages in all, 70 % in groups; per chat a random active window in 2023-2025, days
  drawn with heavy-tailed (Pareto) weights and an evening-peaked daily rhythm; senders in a chat
  with Zipf-like activity; 10 % replies, 3 % edited;
* ``--media`` messages carrying a photo (``media`` row → ``evidence`` row of kind ``media``, one per
  message, as an import registers them); 20 % of the distinct files are sent more than once (2 to
  ~30 times, the first sighting is the original), 60 % of the re-sends by someone else are
  forwards with ``forwarded_from`` = the original sender's display name, half of those with
  ``forwarded_from_id`` in ``details`` (recent exports); 2 % of the files are re-encodings of
  another (a different SHA-256, PDQ within 12 bits), the rest have random PDQs;
* ``media_hashes`` for each distinct file (random PDQ hex, quality 90), one hash list (UK scheme)
  with one version and its entries (the flagged files' MD5 and/or PDQ, and 20,000 others);
* a ``match_runs`` row (``done``) and ``matches`` for 2 % of the distinct files, drawn in proportion
  to how often each file was sent (listed material circulates), 80 % of their sends placed in
  "offender" chats (12 of the private chats, 8 groups); 60 % exact (MD5), 40 % PDQ (distance 0-31),
  a fifth of the exact ones also by PDQ.

Each measurement runs in a fresh process; its peak memory is that process's ``VmHWM`` (peak
resident set of its own address space, read from ``/proc/self/status``; ``ru_maxrss`` would also
count the parent's pages, which ``exec`` inherits the high-water mark of). Steps:

* ``a`` — ``flagged_exchanges(conn)``: exchanges with their recipients;
* ``b`` — builds (a), then ``exchanged_with(conn, [X], exchanges)`` for the best-connected account
  and for 20 random accounts that took part in an exchange; writes the edge list for the peer;
* ``peer`` — networkx: ``nx.read_edgelist`` of that CSV into a ``DiGraph`` and the same question
  (in- and out-neighbours of X); the sets are compared with Veilleur's;
* ``c`` — builds (a), then ``analyse_network(conn, exchanges)``;
* ``d`` — builds (a), then ``media_items(conn)`` and ``possibly_new_material(items, exchanges)``;
* ``e`` — all analysis in one process: a + c + d + ``exchanged_with`` for every account that took
  part in an exchange; then (HOOK) the dossiers, if ``veilleur.outputs.dossier_files`` has
  ``write_all_dossiers``: called on the case as its signature asks (operator; ``pdf`` per
  ``--dossiers``, HTML only by default; with ``--dossier-limit N`` only N evenly spread
  participants via ``account_ids``, extrapolated to all after timing the shared context once),
  else "dossiers: not yet available" is printed.

A case kept with ``--keep`` is reused when its parameters match (the dossiers append entries to
its audit log; nothing else is changed by the measurements).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20261123
T0 = 1672531200  # 2023-01-01 UTC
T1 = 1759276800  # 2025-10-01 UTC
DAY = 86400
N_IMPORTS = 4
N_PRIVATE = 160
N_GROUPS = 40
OPERATOR = "bench"
AT = "2025-10-20T09:00:00.000000Z"
CHUNK = 50_000
MARKER = "bench-network.json"

TARGET_QUERY_S = 2.0
TARGET_ALL_S = 60.0
TARGET_MB = 2048


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Alex Sam Noa Lea Jonas Mila Yusuf Amira Ivan Olga Chen Mei Lukas Emma Omar Layla Pavel Irina Tom "
    "Zoe Marek Ana Karim Nour Elias Sofia Artem Daria Hugo Lina Felix Mara Adam Sara Leon Ines Tariq "
    "Hana Viktor Nadia Иван Ольга Мария Дмитрий Анна Сергей Юлия Павел Наталья Алексей أحمد فاطمة "
    "علي مريم Jan Eva Piet Sanne Kofi Ama Diego Lucia Mateo Paula Ravi Priya Kenji Yuki Ola Kari"
)
LAST = _words(
    "Meyer Dubois Rossi Novak Kowalski Jensen Silva Costa Moreau Weber Schulz Fischer Horvat Popescu "
    "Ivanova Petrov Smirnov Haddad Khalil Nasser Tan Lim Wong Sato Tanaka Müller Janssen Bakker Visser "
    "Nielsen Larsen Berg Lindqvist Nowak Wójcik Kovač Marković Dimitrov Georgiou Papadakis Öztürk "
    "Yılmaz Demir Kaya Santos Pereira Oliveira García López Martín Ruiz Moreno Romero Волков Соколов "
    "Лебедев Козлов Новиков Морозов Попов Васильев حداد خليل ناصر Okafor Mensah Abebe Diallo Traoré "
    "Ndiaye Kamau Otieno Park Kim Choi Nguyen Tran Le Pham"
)
WORDS = _words(
    "ok yes no later tonight tomorrow send it got it thanks where when here there link new old more "
    "check this look again please wait sure fine call me now done bye see you good bad maybe later "
    "what who why how much time channel group join admin rules photo file video price meet soon"
)


# -- generation ---------------------------------------------------------------------------------


def _zipf(n: int, s: float) -> np.ndarray:
    w: np.ndarray = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    w /= w.sum()
    return w


def _times(rng: np.random.Generator, n: int, start: int, end: int) -> np.ndarray:
    """``n`` sorted epoch seconds in [start, end): heavy-tailed busy days, evening-peaked hours."""
    days = max(1, (end - start) // DAY)
    day_w = rng.pareto(1.2, size=days) + 0.05
    day_w /= day_w.sum()
    hour_w = np.array(
        [
            1,
            0.6,
            0.4,
            0.3,
            0.3,
            0.4,
            0.8,
            1.2,
            1.6,
            2,
            2.2,
            2.4,
            2.6,
            2.5,
            2.4,
            2.4,
            2.6,
            3,
            3.6,
            4.2,
            4.8,
            5,
            4,
            2.2,
        ]
    )
    hour_w /= hour_w.sum()
    d = rng.choice(days, size=n, p=day_w)
    h = rng.choice(24, size=n, p=hour_w)
    t: np.ndarray = start + d.astype(np.int64) * DAY + h * 3600 + rng.integers(0, 3600, size=n)
    t = np.minimum(t, end - 1)
    t.sort()
    return t


def _hex(rng: random.Random, nbytes: int) -> str:
    return rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


def _flip(pdq: str, bits: int, rng: random.Random) -> str:
    v = int(pdq, 16)
    for b in rng.sample(range(256), bits):
        v ^= 1 << b
    return f"{v:064x}"


def generate(folder: Path, n_msg: int, n_acc: int, n_media: int, seed: int = SEED) -> dict[str, Any]:
    """Write the synthetic case into ``folder`` (a new case); return its figures."""
    from sqlalchemy import Engine

    from veilleur.case import init_case
    from veilleur.hashing.hasher import HASHER_VERSION
    from veilleur.ingest.prepare import content_hash
    from veilleur.matching.run import MatchOptions
    from veilleur.store import schema as S
    from veilleur.store.bulk import insert_rows

    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    case = init_case(folder, name="bench-network", operator=OPERATOR)
    engine: Engine = case.engine

    def write(table: Any, cols: str, rows: list[tuple[Any, ...]]) -> None:
        """``rows`` (tuples in the order of the space-separated ``cols``), one transaction a chunk."""
        for i in range(0, len(rows), CHUNK):
            with engine.begin() as conn:
                insert_rows(conn, table, cols.split(), rows[i : i + CHUNK])

    # Accounts ------------------------------------------------------------------------------
    acc_ids = np.arange(1, n_acc + 1)
    pids: set[int] = set()
    while len(pids) < n_acc:
        pids.update(int(x) for x in rng.integers(100_000_000, 7_000_000_000, size=n_acc - len(pids)))
    platform_id = dict(zip(acc_ids.tolist(), prng.sample(sorted(pids), n_acc), strict=True))
    combos = [f"{f} {ln}" for f in FIRST for ln in LAST]
    picked = (
        prng.sample(combos, n_acc)
        if n_acc <= len(combos)
        else [f"{prng.choice(combos)} {i}" for i in range(n_acc)]
    )
    name: dict[int, str] = dict(zip(acc_ids.tolist(), picked, strict=True))
    for a in prng.sample(acc_ids.tolist(), n_acc // 100):  # about 1 %: a name two accounts share
        name[a] = name[prng.choice(acc_ids.tolist())]
    username = {
        a: f"{name[a].split()[0].lower()}_{platform_id[a] % 9973}"
        for a in prng.sample(acc_ids.tolist(), int(n_acc * 0.4))
    }
    owners = list(range(1, N_IMPORTS + 1))  # each seized device's own account

    # Chats and members -----------------------------------------------------------------------
    chat_rows: list[tuple[Any, ...]] = []
    chat_import: list[int] = []  # by chat index
    chat_members: list[list[int]] = []  # posters first, then lurkers (groups); [owner, peer] (private)
    chat_posters: list[int] = []
    chat_is_group: list[bool] = []
    peers = prng.sample(range(N_IMPORTS + 1, n_acc + 1), N_PRIVATE)
    for i, peer in enumerate(peers):
        imp = i % N_IMPORTS + 1
        chat_rows.append(
            (
                i + 1,
                f"telegram:user:{platform_id[peer]}",
                "telegram",
                "user",
                platform_id[peer],
                "personal_chat",
                name[peer],
            )
        )
        chat_import.append(imp)
        chat_members.append([owners[imp - 1], peer])
        chat_posters.append(2)
        chat_is_group.append(False)
    popularity = _zipf(n_acc, 0.7)[np.argsort(rng.permutation(n_acc))]
    sizes = [int(min(2500, max(15, round(2500 / (r + 1) ** 0.8)))) for r in range(N_GROUPS)]
    in_group: set[int] = set()
    for g, gsize in enumerate(sizes):
        imp = g % N_IMPORTS + 1
        members = [int(x) for x in rng.choice(acc_ids, size=min(gsize, n_acc), replace=False, p=popularity)]
        if owners[imp - 1] not in members:
            members[-1] = owners[imp - 1]
        prng.shuffle(members)
        chat_members.append(members)
        chat_posters.append(max(2, int(len(members) * 0.6)))
        in_group.update(members)
        gid = 1_000_000_000 + 7919 * (g + 1)
        chat_rows.append(
            (
                N_PRIVATE + g + 1,
                f"telegram:channel:{gid}",
                "telegram",
                "channel",
                gid,
                "private_supergroup",
                f"Group {g + 1:02d}",
            )
        )
        chat_import.append(imp)
        chat_is_group.append(True)
    # Every account appears somewhere: the rest join (and lurk in) a random group.
    seen_anywhere = in_group | set(peers) | set(owners)
    for a in acc_ids.tolist():
        if a not in seen_anywhere:
            chat_members[N_PRIVATE + prng.randrange(N_GROUPS)].append(a)
    n_chats = len(chat_rows)
    offender_chats = set(range(0, N_PRIVATE, N_PRIVATE // 12)[:12]) | set(
        N_PRIVATE + g for g in (3, 6, 9, 12, 15, 20, 25, 30)
    )

    # Service messages (groups) and message counts per chat -------------------------------------
    windows = []
    for _ in range(n_chats):
        start = T0 + int(prng.uniform(0, 0.6) * (T1 - T0))
        end = start + int(prng.uniform(0.35, 1.0) * (T1 - start))
        windows.append((start, max(end, start + 60 * DAY)))
    n_service = sum(
        1 + len(chat_members[c]) + len(chat_members[c]) // 33 for c in range(N_PRIVATE, n_chats)
    )  # upper bound of create + joins + leaves, refined below
    n_content = n_msg - n_service
    group_share = int(n_content * 0.7)
    g_w = _zipf(N_GROUPS, 0.9)
    p_w = _zipf(N_PRIVATE, 0.8)[rng.permutation(N_PRIVATE)]
    counts = np.concatenate(
        [
            np.maximum(50, np.floor(p_w * (n_content - group_share))).astype(np.int64),
            np.maximum(50, np.floor(g_w * group_share)).astype(np.int64),
        ]
    )

    # Per chat: times, senders, actions, replies (arrays), then one global order (pk = index + 1).
    A_CONTENT, A_CREATE, A_JOIN, A_LEAVE = 0, 1, 2, 3
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for c in range(n_chats):
        start, end = windows[c]
        n = int(counts[c])
        t = _times(rng, n, start, end)
        members = chat_members[c]
        posters = np.array(members[: chat_posters[c]])
        if not chat_is_group[c]:
            senders = rng.choice(posters, size=n)
            acts = np.zeros(n, dtype=np.int8)
        else:
            senders = posters[rng.choice(len(posters), size=n, p=_zipf(len(posters), 1.1))]
            acts = np.zeros(n, dtype=np.int8)
            first: dict[int, int] = {}
            last: dict[int, int] = {}
            for s, ts in zip(senders.tolist(), t.tolist(), strict=True):
                first.setdefault(s, ts)
                last[s] = ts
            ev_t = [start]
            ev_s = [members[0]]
            ev_a = [A_CREATE]
            for m in members[1:]:
                if m in first:
                    if prng.random() < 0.10:
                        continue  # a member since before the history: inferred from activity only
                    jt = max(start + 1, first[m] - prng.randrange(0, 20 * DAY))
                else:
                    jt = prng.randrange(start + 1, end)
                ev_t.append(min(jt, first.get(m, jt)))
                ev_s.append(m)
                ev_a.append(A_JOIN)
                if prng.random() < 0.03:
                    lt = max(last.get(m, jt), jt) + prng.randrange(DAY, 30 * DAY)
                    if lt < end:
                        ev_t.append(lt)
                        ev_s.append(m)
                        ev_a.append(A_LEAVE)
            t = np.concatenate([np.array(ev_t, dtype=np.int64), t])
            senders = np.concatenate([np.array(ev_s), senders])
            acts = np.concatenate([np.array(ev_a, dtype=np.int8), acts])
            order = np.argsort(t, kind="stable")
            t, senders, acts = t[order], senders[order], acts[order]
        n = len(t)
        mids = np.arange(1, n + 1, dtype=np.int64)
        back = rng.integers(1, 50, size=n)
        reply = np.where((rng.random(n) < 0.10) & (acts == A_CONTENT) & (mids > back), mids - back, 0)
        parts["chat"].append(np.full(n, c, dtype=np.int32))
        parts["mid"].append(mids)
        parts["date"].append(t)
        parts["sender"].append(senders.astype(np.int32))
        parts["act"].append(acts)
        parts["reply"].append(reply)
    chat_of = np.concatenate(parts["chat"])
    mid = np.concatenate(parts["mid"])
    date = np.concatenate(parts["date"])
    sender = np.concatenate(parts["sender"])
    act = np.concatenate(parts["act"])
    reply = np.concatenate(parts["reply"])
    del parts
    # Trim or pad the largest group's content to exactly n_msg (the service count was an estimate).
    total = len(mid)
    if total != n_msg:
        big = N_PRIVATE  # the largest group: its messages are contiguous
        idx = np.nonzero(chat_of == big)[0]
        if total > n_msg:
            drop = idx[act[idx] == A_CONTENT][-(total - n_msg) :]
            keep = np.ones(total, dtype=bool)
            keep[drop] = False
            chat_of, mid, date, sender, act, reply = (
                x[keep] for x in (chat_of, mid, date, sender, act, reply)
            )
            reply[reply >= mid] = 0
        else:
            extra = n_msg - total
            at = idx[-1] + 1
            last_mid = int(mid[idx[-1]])
            start, end = windows[big]
            posters = np.array(chat_members[big][: chat_posters[big]])
            chat_of = np.insert(chat_of, at, np.full(extra, big, dtype=np.int32))
            mid = np.insert(mid, at, np.arange(last_mid + 1, last_mid + 1 + extra))
            date = np.insert(date, at, np.maximum(_times(rng, extra, end - 30 * DAY, end), date[idx[-1]]))
            sender = np.insert(sender, at, posters[rng.choice(len(posters), size=extra)].astype(np.int32))
            act = np.insert(act, at, np.zeros(extra, dtype=np.int8))
            reply = np.insert(reply, at, np.zeros(extra, dtype=np.int64))
    assert len(mid) == n_msg
    # Re-number message ids per chat (after trimming) and keep replies inside the chat.
    chat_start = np.searchsorted(chat_of, np.arange(n_chats))
    mid = (np.arange(n_msg) - chat_start[chat_of] + 1).astype(np.int64)
    reply = np.where((reply > 0) & (reply < mid), reply, 0)

    # Media: which messages, which files, which are flagged, forwards -------------------------
    content = np.nonzero(act == A_CONTENT)[0]
    weight = np.where(np.isin(chat_of[content], list(offender_chats)), 2.0, 1.0)
    keys = rng.random(len(content)) ** (1.0 / weight)  # Efraimidis-Spirakis weighted sample
    media_msgs = content[np.argpartition(-keys, n_media)[:n_media]]
    copies: list[int] = []
    while sum(copies) < n_media:
        copies.append(1 if prng.random() < 0.8 else 2 + min(28, int(rng.geometric(0.45)) - 1))
    copies[-1] -= sum(copies) - n_media
    if copies[-1] <= 0:
        copies.pop()
    n_files = len(copies)
    c_arr = np.array(copies, dtype=np.float64)
    n_flagged = max(1, round(n_files * 0.02))
    flagged = set(rng.choice(n_files, size=n_flagged, replace=False, p=c_arr / c_arr.sum()).tolist())
    in_off = np.isin(chat_of[media_msgs], list(offender_chats))
    pool_off = media_msgs[in_off].tolist()
    pool_other = media_msgs[~in_off].tolist()
    prng.shuffle(pool_off)
    prng.shuffle(pool_other)
    file_msgs: list[list[int]] = [[] for _ in range(n_files)]
    for f in sorted(flagged):
        for _ in range(copies[f]):
            src = pool_off if (prng.random() < 0.8 and pool_off) or not pool_other else pool_other
            file_msgs[f].append(src.pop())
    rest = pool_off + pool_other
    prng.shuffle(rest)
    for f in range(n_files):
        if f not in flagged:
            for _ in range(copies[f]):
                file_msgs[f].append(rest.pop())
    file_of: dict[int, int] = {}
    forwarded: dict[int, tuple[str, str | None]] = {}  # message index -> (name, details json)
    for f, msgs in enumerate(file_msgs):
        msgs.sort(key=lambda i: (int(date[i]), int(chat_of[i]), int(mid[i])))
        orig_sender = int(sender[msgs[0]])
        for i in msgs:
            file_of[i] = f
        for i in msgs[1:]:
            if int(sender[i]) != orig_sender and prng.random() < 0.6:
                fwd_details = (
                    json.dumps({"forwarded_from_id": f"user{platform_id[orig_sender]}"})
                    if prng.random() < 0.5
                    else None
                )
                forwarded[i] = (name[orig_sender], fwd_details)
    sha = [_hex(prng, 32) for _ in range(n_files)]
    md5 = [_hex(prng, 16) for _ in range(n_files)]
    pdq = [_hex(prng, 32) for _ in range(n_files)]
    for f in prng.sample(range(n_files), n_files // 50):  # re-encodings of another picture
        pdq[f] = _flip(pdq[prng.randrange(n_files)], prng.randrange(0, 13), prng)
    fsize = [prng.randrange(30_000, 400_000) for _ in range(n_files)]
    dims = [
        prng.choice(((1280, 960), (960, 1280), (1280, 720), (800, 600), (1080, 1080))) for _ in range(n_files)
    ]

    # Write: evidence (exports), imports, accounts, chats, chat_imports, exporter records -------
    export_ev = {imp: imp for imp in range(1, N_IMPORTS + 1)}
    dev = {imp: f"/evidence/device-{imp}/DataExport_2025-10-0{imp}" for imp in range(1, N_IMPORTS + 1)}
    write(
        S.evidence,
        "id sha256 size original_path relpath kind parent_id registered_at operator",
        [
            (imp, _hex(prng, 32), 0, f"{dev[imp]}/result.json", "result.json", "export", None, AT, OPERATOR)
            for imp in range(1, N_IMPORTS + 1)
        ],
    )
    write(
        S.imports,
        "id evidence_id source_path format layout status operator started_at finished_at options report",
        [
            (
                imp,
                export_ev[imp],
                dev[imp],
                "json",
                "full_account",
                "complete",
                OPERATOR,
                AT,
                AT,
                json.dumps({"utc_offset": None, "lenient_utf8": False}),
                json.dumps({"generated": "bench_network"}),
            )
            for imp in range(1, N_IMPORTS + 1)
        ],
    )
    write(
        S.accounts,
        "id key platform kind peer_id identity deleted_seen",
        [
            (a, f"telegram:user:{platform_id[a]}", "telegram", "user", platform_id[a], "platform_id", False)
            for a in acc_ids.tolist()
        ],
    )
    write(S.chats, "id key platform kind peer_id type title", chat_rows)
    chat_first = np.minimum.reduceat(date, chat_start)
    chat_last = np.maximum.reduceat(date, chat_start)
    chat_n = np.diff(np.append(chat_start, n_msg))
    write(
        S.chat_imports,
        "chat_id import_id coverage section first_utc last_utc n_messages complete",
        [
            (
                c + 1,
                chat_import[c],
                "all",
                "chats",
                int(chat_first[c]),
                int(chat_last[c]),
                int(chat_n[c]),
                True,
            )
            for c in range(n_chats)
        ],
    )
    write(
        S.exporter_records,
        (
            "import_id evidence_id exporter_account_id section idx account_id phone name date_utc data "
            "byte_offset"
        ),
        [
            (
                imp,
                export_ev[imp],
                owners[imp - 1],
                "personal_information",
                0,
                owners[imp - 1],
                f"+000 0000 000{imp}",
                name[owners[imp - 1]],
                None,
                json.dumps(
                    {
                        "user_id": platform_id[owners[imp - 1]],
                        "first_name": name[owners[imp - 1]].split()[0],
                        "last_name": name[owners[imp - 1]].split()[-1],
                        "phone_number": f"+000 0000 000{imp}",
                    },
                    ensure_ascii=False,
                ),
                120,
            )
            for imp in range(1, N_IMPORTS + 1)
        ],
    )

    # Names observed: per (account, import), from the messages it sent (joins included).
    imp_of_chat = np.array(chat_import, dtype=np.int64)
    obs: dict[tuple[int, int], list[int]] = {}
    for s, d, c in zip(sender.tolist(), date.tolist(), chat_of.tolist(), strict=True):
        k = (s, int(imp_of_chat[c]))
        o = obs.get(k)
        if o is None:
            obs[k] = [d, d, 1]
        else:
            o[1] = d if d > o[1] else o[1]
            o[2] += 1
    for c in range(N_PRIVATE):  # the peer of a private chat is named by the chat itself
        k = (chat_members[c][1], chat_import[c])
        obs.setdefault(k, [int(chat_first[c]), int(chat_last[c]), 1])
    for c in range(N_PRIVATE, n_chats):  # members that never posted nor joined in view: none, but safe
        for m in chat_members[c]:
            obs.setdefault((m, chat_import[c]), [int(chat_first[c]), int(chat_first[c]), 1])
    name_rows = []
    for (a, imp), (first_t, last_t, n) in sorted(obs.items()):
        name_rows.append((a, "display_name", name[a], imp, export_ev[imp], first_t, last_t, n, None))
        if a in username:
            name_rows.append((a, "username", username[a], imp, export_ev[imp], first_t, last_t, n, None))
    write(
        S.account_names,
        (
            "account_id name_kind value import_id evidence_id first_seen_utc last_seen_utc n_seen "
            "first_byte_offset"
        ),
        name_rows,
    )
    del obs, name_rows

    # Messages, streamed in chunks -----------------------------------------------------------
    msg_cols = (
        "id chat_id message_id kind sender_id sender_name date_utc time_basis date_local edited_utc "
        "text reply_to_message_id forwarded_from action details migrated possibly_deleted "
        "evidence_id byte_offset content_hash first_import_id last_import_id n_versions byte_length"
    )
    texts = [" ".join(prng.choices(WORDS, k=k)) for k in range(1, 13) for _ in range(40)]
    offsets = dict.fromkeys(range(1, N_IMPORTS + 1), 2048)
    action_name = {A_CREATE: "create_group", A_JOIN: "join_group_by_link", A_LEAVE: "remove_members"}
    edited = rng.random(n_msg) < 0.03
    lengths = rng.integers(180, 700, size=n_msg)
    rows: list[tuple[Any, ...]] = []
    for i in range(n_msg):
        c = int(chat_of[i])
        imp = chat_import[c]
        s = int(sender[i])
        d = int(date[i])
        a = int(act[i])
        details: str | None = None
        fwd: str | None = None
        if a == A_CONTENT:
            kind, action = "message", None
            if i in file_of:
                text = "" if prng.random() < 0.7 else prng.choice(texts)
                if i in forwarded:
                    fwd, details = forwarded[i]
            else:
                text = prng.choice(texts)
        else:
            kind, action, text = "service", action_name[a], ""
            if a == A_CREATE:
                details = json.dumps({"title": chat_rows[c][6], "members": []})
            elif a == A_JOIN:
                details = json.dumps({"inviter": "Group"})
            else:
                details = json.dumps({"members": [name[s]]}, ensure_ascii=False)
        ed = d + prng.randrange(10, 600) if a == A_CONTENT and edited[i] else None
        r = int(reply[i])
        ln = int(lengths[i])
        rows.append(
            (
                i + 1,
                c + 1,
                int(mid[i]),
                kind,
                s,
                name[s],
                d,
                "unixtime",
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(d + 3600)),
                ed,
                text,
                r or None,
                fwd,
                action,
                details,
                False,
                False,
                export_ev[imp],
                offsets[imp],
                content_hash(text, ed),
                imp,
                imp,
                1,
                ln,
            )
        )
        offsets[imp] += ln + 2
        if len(rows) == CHUNK:
            write(S.messages, msg_cols, rows)
            rows = []
    write(S.messages, msg_cols, rows)
    del rows

    # Media evidence, custody, media rows -----------------------------------------------------
    ev_rows = []
    custody_rows = []
    media_rows = []
    first_ev: dict[int, int] = {}
    next_ev = N_IMPORTS + 1
    for i in sorted(file_of):
        f = file_of[i]
        c = int(chat_of[i])
        imp = chat_import[c]
        stamp = time.strftime("%d-%m-%Y_%H-%M-%S", time.gmtime(int(date[i]) + 3600))
        rel = f"chats/chat_{c + 1:03d}/photos/photo_{int(mid[i])}@{stamp}.jpg"
        ev_rows.append(
            (next_ev, sha[f], fsize[f], f"{dev[imp]}/{rel}", rel, "media", export_ev[imp], AT, OPERATOR)
        )
        custody_rows.append((next_ev, "registered", AT, OPERATOR, f"sha256 {sha[f]}"))
        w, h = dims[f]
        media_rows.append((i + 1, 0, "photo", rel, True, fsize[f], w, h, False, next_ev))
        first_ev.setdefault(f, next_ev)
        next_ev += 1
    write(
        S.evidence,
        "id sha256 size original_path relpath kind parent_id registered_at operator",
        ev_rows,
    )
    write(S.custody_events, "evidence_id event at operator detail", custody_rows)
    write(
        S.media,
        "message_pk idx role relpath present file_size width height spoiler file_evidence_id",
        media_rows,
    )
    del ev_rows, custody_rows, media_rows
    write(
        S.media_hashes,
        (
            "sha256 md5 sha1 size media_class format status pdq pdq_quality decoder width height frames "
            "frame_hashes evidence_id hashed_at operator hasher_version"
        ),
        [
            (
                sha[f],
                md5[f],
                _hex(prng, 20),
                fsize[f],
                "image",
                "jpeg",
                "ok",
                pdq[f],
                90,
                "full",
                dims[f][0],
                dims[f][1],
                1,
                0,
                first_ev[f],
                AT,
                OPERATOR,
                HASHER_VERSION,
            )
            for f in range(n_files)
        ],
    )

    # Hash list, version, entries; the matching run and its matches ---------------------------
    write(
        S.hash_lists,
        "id name source category_scheme kind created_at operator",
        [(1, "Synthetic known material", "bench_network (synthetic)", "uk", "positive", AT, OPERATOR)],
    )
    entry_rows: list[tuple[Any, ...]] = []
    match_plan: list[tuple[int, int, str, str, int]] = []  # (file, entry id, hash type, method, distance)
    cats = ("A", "B", "C")
    for f in sorted(flagged):
        roll = prng.random()
        cat = prng.choice(cats)
        ext = f"SYN-{f:07d}"
        if roll < 0.6:
            entry_rows.append((len(entry_rows) + 1, 1, "md5", md5[f], cat, None, None, ext, 1, 1, None))
            match_plan.append((f, len(entry_rows), "md5", "exact", 0))
        if roll >= 0.6 or roll < 0.12:
            dist = prng.randrange(0, 32)
            entry_rows.append(
                (len(entry_rows) + 1, 1, "pdq", _flip(pdq[f], dist, prng), cat, None, None, ext, 1, 1, None)
            )
            match_plan.append((f, len(entry_rows), "pdq", "pdq", dist))
    n_listed = len(entry_rows)
    for j in range(20_000):
        ht = "md5" if j % 2 else "pdq"
        entry_rows.append(
            (
                len(entry_rows) + 1,
                1,
                ht,
                _hex(prng, 16 if ht == "md5" else 32),
                prng.choice(cats),
                None,
                None,
                f"SYN-X{j:06d}",
                1,
                1,
                None,
            )
        )
    write(
        S.hash_list_versions,
        (
            "id list_id version imported_at operator file_sha256 file_size file_path format full "
            "n_added n_changed n_removed n_unchanged report"
        ),
        [
            (
                1,
                1,
                "2025-09",
                AT,
                OPERATOR,
                _hex(prng, 32),
                9_500_000,
                "/lists/synthetic-2025-09.json",
                "vics",
                True,
                len(entry_rows),
                0,
                0,
                0,
                json.dumps({"entries": len(entry_rows)}),
            )
        ],
    )
    write(
        S.hash_list_entries,
        (
            "id list_id hash_type value category series flags external_id first_version_id "
            "last_version_id removed_version_id"
        ),
        entry_rows,
    )
    snapshot = [
        {
            "id": 1,
            "name": "Synthetic known material",
            "kind": "positive",
            "version_id": 1,
            "version": "2025-09",
            "pdq_threshold": None,
        }
    ]
    flagged_files = len(flagged)
    write(
        S.match_runs,
        "id started_at finished_at operator status settings lists report",
        [
            (
                1,
                AT,
                AT,
                OPERATOR,
                "done",
                json.dumps(asdict(MatchOptions())),
                json.dumps(snapshot),
                json.dumps({"hits": len(match_plan), "files_flagged": flagged_files}),
            )
        ],
    )
    cat_of = {e[0]: (e[4], e[7]) for e in entry_rows[:n_listed]}
    write(
        S.matches,
        (
            "run_id sha256 list_id list_version_id list_kind entry_id external_id category hash_type "
            "method variant distance threshold quality matched_at"
        ),
        [
            (
                1,
                sha[f],
                1,
                1,
                "positive",
                eid,
                cat_of[eid][1],
                cat_of[eid][0],
                ht,
                method,
                0 if method == "pdq" else None,
                dist,
                31 if method == "pdq" else None,
                90 if method == "pdq" else None,
                AT,
            )
            for f, eid, ht, method, dist in match_plan
        ],
    )
    case.close()  # no ANALYZE: the store as an import leaves it
    db = folder / "case.sqlite"
    figures = {
        "messages": n_msg,
        "service": int((act != A_CONTENT).sum()),
        "accounts": n_acc,
        "chats": n_chats,
        "private_chats": N_PRIVATE,
        "groups": N_GROUPS,
        "group_members": sum(len(chat_members[c]) for c in range(N_PRIVATE, n_chats)),
        "largest_group": max(len(chat_members[c]) for c in range(N_PRIVATE, n_chats)),
        "media_messages": len(file_of),
        "distinct_files": n_files,
        "files_sent_more_than_once": sum(1 for x in copies if x > 1),
        "forwards": len(forwarded),
        "flagged_files": flagged_files,
        "flagged_sends": sum(copies[f] for f in flagged),
        "matches": len(match_plan),
        "list_entries": len(entry_rows),
        "db_mb": round(db.stat().st_size / 1e6),
        "seconds": round(time.perf_counter() - t_start, 1),
        "seed": seed,
    }
    (folder / MARKER).write_text(json.dumps(figures, indent=1))
    return figures


# -- measured steps (each in its own process) ---------------------------------------------------


def _mem() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def _edges(exchanges: list[Any]) -> list[tuple[int, int, int, int, str]]:
    """The exchange edge list: sender → recipient, replier → replied-to, origin → forwarder."""
    out = []
    for e in exchanges:
        s = e.sender_id
        if s is None:
            continue
        for p in e.recipients:
            out.append((s, p.account_id, e.chat_id, e.message_pk, "recipient"))
        if e.reply_to_sender_id is not None and e.reply_to_sender_id != s:
            out.append((s, e.reply_to_sender_id, e.chat_id, e.message_pk, "reply"))
        origin = e.forward_origin.account_id if e.forward_origin is not None else None
        if origin is not None and origin != s:
            out.append((origin, s, e.chat_id, e.message_pk, "forward"))
    return out


def run_step(folder: Path, step: str, work: Path, dossiers: str = "html", limit: int = 0) -> dict[str, Any]:
    base = _mem()
    from veilleur.analysis.exchanges import flagged_exchanges
    from veilleur.analysis.graph import analyse_network
    from veilleur.analysis.network import exchanged_with
    from veilleur.analysis.propagation import media_items, possibly_new_material
    from veilleur.store.engine import make_engine

    engine = make_engine(f"sqlite:///{(folder / 'case.sqlite').resolve()}")
    out: dict[str, Any] = {"rss_after_imports_mb": round(_mem()["VmRSS"], 1), "rss_start_mb": base["VmRSS"]}
    with engine.connect() as conn:
        t = time.perf_counter()
        exchanges = flagged_exchanges(conn)
        out["a_s"] = time.perf_counter() - t
        out["exchanges"] = len(exchanges)
        out["recipient_rows"] = sum(len(e.recipients) for e in exchanges)
        out["private"] = sum(e.setting == "private" for e in exchanges)
        out["group"] = sum(e.setting == "group" for e in exchanges)
        out["forwards_resolved"] = sum(
            1 for e in exchanges if e.forward_origin is not None and e.forward_origin.account_id is not None
        )
        out["rss_after_a_mb"] = round(_mem()["VmRSS"], 1)
        involved = sorted(
            {e.sender_id for e in exchanges if e.sender_id is not None}
            | {p.account_id for e in exchanges for p in e.recipients}
        )
        out["accounts_involved"] = len(involved)
        if step == "b":
            edges = _edges(exchanges)
            with open(work / "edges.csv", "w", newline="") as fh:
                fh.write("# sender,recipient,chat,message_pk,kind\n")
                csv.writer(fh, lineterminator="\n").writerows(edges)
            out["edge_rows"] = len(edges)
            degree: dict[int, set[int]] = defaultdict(set)
            for s, r, *_ in edges:
                degree[s].add(r)
                degree[r].add(s)
            best = max(degree, key=lambda a: (len(degree[a]), -a))
            xs = [best, *random.Random(SEED).sample(involved, min(20, len(involved)))]
            times, sets = [], []
            for x in xs:
                t = time.perf_counter()
                found = exchanged_with(conn, [x], exchanges)
                times.append(time.perf_counter() - t)
                sets.append(sorted(c.account_id for c in found))
            out["xs"] = xs
            out["query_s"] = times
            out["counterparts"] = [len(s) for s in sets]
            (work / "veilleur_sets.json").write_text(json.dumps({"xs": xs, "sets": sets}))
        if step in ("c", "e"):
            t = time.perf_counter()
            net = analyse_network(conn, exchanges)
            out["c_s"] = time.perf_counter() - t
            out["graph_nodes"] = net.graph.number_of_nodes()
            out["graph_edges"] = net.graph.number_of_edges()
            out["communities"] = len(net.communities)
            out["rss_after_c_mb"] = round(_mem()["VmRSS"], 1)
            if step == "e":
                del net
        if step in ("d", "e"):
            t = time.perf_counter()
            items = media_items(conn)
            out["d_items_s"] = time.perf_counter() - t
            t = time.perf_counter()
            new = possibly_new_material(items, exchanges)
            out["d_new_s"] = time.perf_counter() - t
            out["items"] = len(items)
            out["possibly_new"] = len(new)
            if step == "e":
                del items, new
        if step == "e":
            t = time.perf_counter()
            n_links = 0
            for x in involved:
                n_links += sum(len(c.links) for c in exchanged_with(conn, [x], exchanges))
            out["e_queries_s"] = time.perf_counter() - t
            out["e_queries"] = len(involved)
            out["e_links"] = n_links
            out["peak_analysis_mb"] = round(_mem()["VmHWM"], 1)
    # Dossiers — HOOK: veilleur.outputs.dossier_files.write_all_dossiers, timed when it exists.
    if step == "e" and dossiers != "skip":
        out.update(_dossiers(folder, work, dossiers, limit, exchanges))
    out["peak_mb"] = round(_mem()["VmHWM"], 1)
    return out


def _dossiers(folder: Path, work: Path, mode: str, limit: int, exchanges: list[Any]) -> dict[str, Any]:
    """Time ``write_all_dossiers`` as the CLI would call it: on the case (or, as first specified, a
    connection), into a new folder, as our operator; ``pdf`` per ``mode`` (html, pdf); with
    ``limit``, only every k-th of its participants (``account_ids``), to extrapolate from."""
    import inspect
    from types import SimpleNamespace

    from veilleur.case import open_case

    try:
        dossier = importlib.import_module("veilleur.outputs.dossier_files")
    except ImportError:
        return {"dossiers_s": None}
    write_all = getattr(dossier, "write_all_dossiers", None)
    if write_all is None:
        return {"dossiers_s": None}
    params = inspect.signature(write_all).parameters
    kwargs: dict[str, Any] = {}
    if "operator" in params:
        kwargs["operator"] = OPERATOR
    if "pdf" in params:
        kwargs["pdf"] = mode == "pdf"
    n_participants = None
    if hasattr(dossier, "participants"):  # the accounts it writes for, by its own rule
        everyone = dossier.participants(SimpleNamespace(exchanges=exchanges))
        n_participants = len(everyone)
        if limit and "account_ids" in params and limit < len(everyone):
            kwargs["account_ids"] = everyone[:: -(-len(everyone) // limit)]
    target = work / "dossiers"
    case = open_case(folder)
    fixed = None
    if "account_ids" in kwargs and hasattr(dossier, "DossierContext"):
        # What every production pays once before its first dossier (its own exchanges and network).
        with case.engine.connect() as conn:
            t = time.perf_counter()
            dossier.DossierContext.build(conn, OPERATOR)
            fixed = time.perf_counter() - t
    try:
        t = time.perf_counter()
        if next(iter(params)) == "case":
            write_all(case, target, **kwargs)
        else:
            with case.engine.connect() as conn:
                write_all(conn, target, **kwargs)
        took = time.perf_counter() - t
    finally:
        case.close()
    files = [p for p in target.rglob("*") if p.is_file()]
    shown = {k: (f"{len(v)} of them" if k == "account_ids" else v) for k, v in kwargs.items()}
    return {
        "dossiers_s": took,
        "dossier_fixed_s": fixed,
        "dossier_call": ", ".join(
            f"{k}={v!r}" if k != "account_ids" else f"{k}=<{v}>" for k, v in shown.items()
        ),
        "dossier_participants": n_participants,
        "dossier_accounts": len(kwargs.get("account_ids") or []) or n_participants,
        "dossier_html": sum(p.suffix == ".html" for p in files),
        "dossier_pdf": sum(p.suffix == ".pdf" for p in files),
        "dossier_mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
    }


def run_peer(work: Path) -> dict[str, Any]:
    base = _mem()
    import networkx as nx

    xs = json.loads((work / "veilleur_sets.json").read_text())["xs"]
    out: dict[str, Any] = {"rss_after_imports_mb": round(_mem()["VmRSS"], 1), "rss_start_mb": base["VmRSS"]}
    t = time.perf_counter()
    g = nx.read_edgelist(
        work / "edges.csv",
        delimiter=",",
        create_using=nx.DiGraph,
        nodetype=int,
        data=(("chat", int), ("message_pk", int), ("kind", str)),
    )
    out["load_s"] = time.perf_counter() - t
    out["nodes"] = g.number_of_nodes()
    out["edges"] = g.number_of_edges()
    times, sets = [], []
    for x in xs:
        t = time.perf_counter()
        found = (set(g.predecessors(x)) | set(g.successors(x))) - {x} if x in g else set()
        times.append(time.perf_counter() - t)
        sets.append(sorted(found))
    out["query_s"] = times
    (work / "peer_sets.json").write_text(json.dumps({"xs": xs, "sets": sets}))
    out["peak_mb"] = round(_mem()["VmHWM"], 1)
    return out


def _child(args: list[str]) -> dict[str, Any]:
    p = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"step {args[:2]} failed ({p.returncode})")
    result: dict[str, Any] = json.loads(next(ln for ln in p.stdout.splitlines() if ln.startswith("{")))
    return result


def _profiled(folder: Path, step: str, work: Path, dossiers: str, limit: int) -> dict[str, Any]:
    """``run_step`` under cProfile; the top functions by own time and by cumulative time go to
    ``work/profile.txt``."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    out = prof.runcall(run_step, folder, step, work, dossiers, limit)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    (work / "profile.txt").write_text(buf.getvalue())
    return out


def _fmt(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=None)
    ap.add_argument("--accounts", type=int, default=5_000)
    ap.add_argument("--media", type=int, default=None)
    ap.add_argument(
        "--keep", metavar="DIR", help="generate the case in DIR and keep it (reused if it matches)"
    )
    ap.add_argument("--quick", action="store_true", help="100,000 messages and 10,000 media (smoke run)")
    ap.add_argument("--profile", metavar="STEP", help="run one step (a, b, c, d, e) under cProfile and stop")
    ap.add_argument(
        "--dossiers",
        choices=("html", "pdf", "skip"),
        default="html",
        help="time write_all_dossiers with HTML only (default), with PDFs too, or not at all",
    )
    ap.add_argument(
        "--dossier-limit",
        type=int,
        default=0,
        metavar="N",
        help="write the dossiers of about N of the participants (evenly spread) and extrapolate",
    )
    ap.add_argument("--profiled", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--step", help=argparse.SUPPRESS)
    args = ap.parse_args()
    n_msg = args.messages or (100_000 if args.quick else 1_000_000)
    n_media = args.media or (n_msg // 10)
    if args.mode == "generate":
        print(json.dumps(generate(Path(args.folder), n_msg, args.accounts, n_media)))
        return
    if args.mode == "step":
        run = _profiled if args.profiled else run_step
        print(
            json.dumps(run(Path(args.folder), args.step, Path(args.work), args.dossiers, args.dossier_limit))
        )
        return
    if args.mode == "peer":
        print(json.dumps(run_peer(Path(args.work))))
        return

    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load[0]:.2f}; "
        f"{n_msg:,} messages, {args.accounts:,} accounts, {n_media:,} media"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-network-"))
    folder = Path(args.keep) if args.keep else tmp / "case"
    wanted = {"messages": n_msg, "accounts": args.accounts, "media_messages": n_media, "seed": SEED}
    marker = folder / MARKER
    try:
        if marker.exists() and {k: json.loads(marker.read_text()).get(k) for k in wanted} == wanted:
            gen = json.loads(marker.read_text())
            print(f"reusing the case in {folder} (generated earlier in {gen['seconds']} s)")
        else:
            if folder.exists() and args.keep:
                shutil.rmtree(folder)
            gen = _child(
                [
                    "--mode",
                    "generate",
                    "--folder",
                    str(folder),
                    "--messages",
                    str(n_msg),
                    "--accounts",
                    str(args.accounts),
                    "--media",
                    str(n_media),
                ]
            )
            print(f"generated in {gen['seconds']} s (not measured): {folder}")
        print(
            f"  {gen['messages']:,} messages ({gen['service']:,} service), {gen['chats']} chats "
            f"({gen['private_chats']} private, {gen['groups']} groups, {gen['group_members']:,} memberships, "
            f"largest {gen['largest_group']:,}), {gen['media_messages']:,} media messages, "
            f"{gen['distinct_files']:,} distinct files ({gen['files_sent_more_than_once']:,} sent more than "
            f"once, {gen['forwards']:,} forwards), {gen['flagged_files']:,} flagged files in "
            f"{gen['flagged_sends']:,} "
            f"messages, {gen['matches']:,} matches, {gen['list_entries']:,} list entries; {gen['db_mb']} MB"
        )
        common = [
            "--mode",
            "step",
            "--folder",
            str(folder),
            "--work",
            str(tmp),
            "--dossiers",
            args.dossiers,
            "--dossier-limit",
            str(args.dossier_limit),
        ]
        if args.profile:
            r = _child([*common, "--step", args.profile, "--profiled"])
            print(
                f"step {args.profile} under cProfile (times inflated by profiling): "
                + ", ".join(f"{k} {v:.2f}" for k, v in r.items() if k.endswith("_s") and isinstance(v, float))
            )
            print((tmp / "profile.txt").read_text())
            return

        a = _child([*common, "--step", "a"])
        print(
            f"\n(a) flagged_exchanges: {_fmt(a['a_s'])}, peak RSS {a['peak_mb']:.0f} MB "
            f"(process after imports {a['rss_after_imports_mb']:.0f} MB); {a['exchanges']:,} exchanges "
            f"({a['private']:,} private, {a['group']:,} group), {a['recipient_rows']:,} recipient rows, "
            f"{a['forwards_resolved']:,} forwards resolved, {a['accounts_involved']:,} accounts involved"
        )
        b = _child([*common, "--step", "b"])
        q = b["query_s"]
        rand = q[1:]
        print(
            f"(b) exchanged_with: best-connected X (account {b['xs'][0]}, {b['counterparts'][0]:,} "
            f"counterparts) "
            f"{_fmt(q[0])}; 20 random X: median {_fmt(statistics.median(rand))}, worst {_fmt(max(rand))} "
            f"(counterparts median {statistics.median(b['counterparts'][1:]):.0f}); process peak "
            f"{b['peak_mb']:.0f} MB (builds (a) first); edge list {b['edge_rows']:,} rows"
        )
        peer = _child(["--mode", "peer", "--work", str(tmp)])
        pq = peer["query_s"]
        v_sets = json.loads((tmp / "veilleur_sets.json").read_text())["sets"]
        p_sets = json.loads((tmp / "peer_sets.json").read_text())["sets"]
        same = sum(v == p for v, p in zip(v_sets, p_sets, strict=True))
        print(
            f"    peer networkx {importlib.import_module('networkx').__version__}: read_edgelist → DiGraph "
            f"{_fmt(peer['load_s'])} ({peer['nodes']:,} nodes, {peer['edges']:,} edges), query best X "
            f"{_fmt(pq[0])}, random median {_fmt(statistics.median(pq[1:]))}; peak {peer['peak_mb']:.0f} MB"
        )
        print(
            f"    same accounts for {same}/{len(v_sets)} X; query veilleur/networkx: best X "
            f"{q[0] / max(pq[0], 1e-9):,.0f}x, random median "
            f"{statistics.median(rand) / max(statistics.median(pq[1:]), 1e-9):,.0f}x; "
            f"build + one query (best X): veilleur {_fmt(a['a_s'] + q[0])} vs networkx "
            f"{_fmt(peer['load_s'] + pq[0])} = {(a['a_s'] + q[0]) / (peer['load_s'] + pq[0]):.2f}x"
        )
        c = _child([*common, "--step", "c"])
        print(
            f"(c) analyse_network: {_fmt(c['c_s'])} ({c['graph_nodes']:,} nodes, {c['graph_edges']:,} edges, "
            f"{c['communities']} communities); process peak {c['peak_mb']:.0f} MB (with (a))"
        )
        d = _child([*common, "--step", "d"])
        print(
            f"(d) media_items {_fmt(d['d_items_s'])} ({d['items']:,} items), possibly_new_material "
            f"{_fmt(d['d_new_s'])} ({d['possibly_new']:,} items); process peak {d['peak_mb']:.0f} MB "
            "(with (a))"
        )
        e = _child([*common, "--step", "e"])
        total = e["a_s"] + e["c_s"] + e["d_items_s"] + e["d_new_s"] + e["e_queries_s"]
        print(
            f"(e) all analysis in one process: {_fmt(total)} = exchanges {_fmt(e['a_s'])} + network "
            f"{_fmt(e['c_s'])} + items {_fmt(e['d_items_s'])} + new {_fmt(e['d_new_s'])} + "
            f"{e['e_queries']:,} queries {_fmt(e['e_queries_s'])} ({e['e_links']:,} links); "
            f"peak RSS {e['peak_analysis_mb']:.0f} MB"
        )
        if args.dossiers == "skip":
            print("    dossiers: skipped (--dossiers skip)")
        elif e.get("dossiers_s") is None:
            print("    dossiers: not yet available (veilleur.outputs.dossier_files.write_all_dossiers)")
        else:
            fixed = e.get("dossier_fixed_s") or 0.0
            per = (e["dossiers_s"] - fixed) / max(1, e["dossier_accounts"] or 1)
            print(
                f"    dossiers: write_all_dossiers({e['dossier_call']}) {_fmt(e['dossiers_s'])} for "
                f"{e['dossier_accounts']:,} of {e['dossier_participants']:,} participants ({_fmt(per)} each"
                f"{f' after {_fmt(fixed)} of context' if fixed else ''}): "
                f"{e['dossier_html']:,} HTML, {e['dossier_pdf']:,} PDF, {e['dossier_mb']} MB; process peak "
                f"{e['peak_mb']:.0f} MB"
            )
            if e["dossier_accounts"] != e["dossier_participants"]:
                print(
                    f"    all {e['dossier_participants']:,} dossiers, extrapolated: "
                    f"~{_fmt(fixed + per * e['dossier_participants'])}"
                )
        worst_q = max(q)
        print(
            f"\ntargets: network query < {TARGET_QUERY_S:.0f} s: "
            f"{'met' if worst_q < TARGET_QUERY_S else 'MISSED'} "
            f"(worst {_fmt(worst_q)}); all analysis < {TARGET_ALL_S:.0f} s: "
            f"{'met' if total < TARGET_ALL_S else 'MISSED'} ({_fmt(total)}); < {TARGET_MB} MB: "
            f"{'met' if e['peak_analysis_mb'] < TARGET_MB else 'MISSED'} ({e['peak_analysis_mb']:.0f} MB)"
        )
        print("RESULT " + json.dumps({"a": a, "b": b, "peer": peer, "c": c, "d": d, "e": e, "gen": gen}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
