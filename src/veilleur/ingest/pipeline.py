"""Reading and writing on two cores: a child process reads and prepares, the importer writes.

Parsing a large ``result.json`` and preparing rows costs about as much CPU as writing them, and
Python runs one thread at a time; a second *process* doubles throughput on the two-core machines
investigators use. The child streams batches of :class:`~veilleur.ingest.prepare.PreparedMessage`
(plain tuples, cheap to pickle) and other records through a pipe, so memory stays bounded
whatever the file size. An error in the child (bad input) is re-raised in the importer
with its file and place intact; if the importer stops, the child is terminated.
"""

from __future__ import annotations

import contextlib
import gc
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from veilleur.ingest.prepare import PreparedMessage, prepare
from veilleur.model.records import MessageRecord, SourceRecord
from veilleur.sources.container import open_container
from veilleur.sources.telegram_json import read_json_export

BATCH = 2_000
QUEUED_BATCHES = 8

Item = PreparedMessage | SourceRecord


def prepared(records: Iterator[SourceRecord]) -> Iterator[Item]:
    """The same stream with messages prepared, in this process."""
    for rec in records:
        yield prepare(rec) if isinstance(rec, MessageRecord) else rec


def _child(argv: list[str]) -> None:
    """Entry point of the reading process: stream pickled batches to stdout until done."""
    path, minutes, lenient, skip = argv
    tz = None if minutes == "-" else timezone(timedelta(minutes=int(minutes)))
    out = sys.stdout.buffer
    batch: list[Item] = []

    def send(kind: str, payload: Any) -> None:
        if kind == "items":
            # Plain tuples pickle in C; a NamedTuple would call Python code for each message.
            payload = [(1, tuple(x)) if type(x) is PreparedMessage else (0, x) for x in payload]
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(struct.pack("<Q", len(data)))
        out.write(data)

    gc.disable()  # see importer._gc_paused: records are acyclic
    try:
        container = open_container(Path(path))
        try:
            records = read_json_export(
                container, utc_offset=tz, lenient_utf8=lenient == "1", skip_before=int(skip)
            )
            for item in prepared(records):
                batch.append(item)
                if len(batch) >= BATCH:
                    send("items", batch)
                    batch = []
        finally:
            container.close()
        send("items", batch)
        send("done", None)
    except BaseException as e:
        send("items", batch)
        send("error", e)
    out.flush()


def prepared_in_child(
    path: Path, *, utc_offset: timezone | None, lenient_utf8: bool, skip_before: int
) -> Iterator[Item]:
    """Stream the prepared records of ``path``'s ``result.json``, read in a child process.

    The child is a plain ``python -m veilleur.ingest.pipeline`` writing length-prefixed pickles
    to a pipe: unlike multiprocessing's spawn it never re-imports the caller's main module. At most
    ``QUEUED_BATCHES`` batches wait in memory; beyond that the pipe's back-pressure pauses the child.
    """
    minutes = "-" if utc_offset is None else str(int(utc_offset.utcoffset(None).total_seconds() // 60))
    args = [
        sys.executable,
        "-m",
        "veilleur.ingest.pipeline",
        str(path),
        minutes,
        "1" if lenient_utf8 else "0",
        str(skip_before),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    pipe = proc.stdout
    # A pipe holds 64 KiB: read it from a thread (reads release the GIL) into a bounded queue,
    # so that the child keeps parsing while this process writes to the database.
    frames: queue.Queue[bytes | None] = queue.Queue(QUEUED_BATCHES)
    stop = threading.Event()

    def drain() -> None:
        try:
            while not stop.is_set():
                head = pipe.read(8)
                if len(head) < 8:
                    break
                (n,) = struct.unpack("<Q", head)
                frames.put(pipe.read(n))
        finally:
            frames.put(None)

    reader = threading.Thread(target=drain, name="veilleur-pipeline", daemon=True)
    reader.start()
    try:
        while True:
            frame = frames.get()
            if frame is None:
                raise RuntimeError(f"the reading process stopped unexpectedly (exit code {proc.wait()})")
            kind, payload = pickle.loads(frame)
            if kind == "items":
                make = PreparedMessage._make
                for tag, x in payload:
                    yield make(x) if tag else x
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        while reader.is_alive():  # unblock a put() on a full queue so the thread can end
            with contextlib.suppress(queue.Empty):
                frames.get_nowait()
            reader.join(timeout=0.05)
        pipe.close()


if __name__ == "__main__":
    _child(sys.argv[1:])
