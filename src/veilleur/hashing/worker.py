"""Hashing on every core: worker processes started with ``python -m veilleur.hashing.child``.

Like the import's reading process (:mod:`veilleur.ingest.pipeline`), a worker is a plain child
interpreter speaking length-prefixed pickles over its stdin and stdout, never a multiprocessing
spawn, which would re-import the caller's main module. Each worker hashes one file at a time. A
worker that dies (a decoder crashing on a hostile file) or overruns the per-file time limit costs
that one file, recorded with reason ``worker_crashed`` or ``timeout``; a fresh worker takes its
place and the run goes on.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from veilleur.hashing.content import EvidenceOpener
from veilleur.hashing.hasher import FileHashes, Source, hash_file
from veilleur.hashing.signals import HashFailure, HashLimits, Reason

__all__ = ["Task", "WorkerPool", "hash_in_process"]

Task = tuple[str, Sequence[Source]]
"""(sha256, the registered copies of that file)."""

_HEADER = struct.Struct("<Q")


def _write(out: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _read_exact(f: IO[bytes], n: int) -> bytes | None:
    parts: list[bytes] = []
    while n > 0:
        chunk = f.read(n)
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _read(f: IO[bytes]) -> Any | None:
    head = _read_exact(f, _HEADER.size)
    if head is None:
        return None
    (n,) = _HEADER.unpack(head)
    data = _read_exact(f, n)
    return None if data is None else pickle.loads(data)


def child_main() -> None:
    """The worker's loop: read a task, hash, answer; until stdin closes."""
    # Ctrl-C reaches the whole process group: the parent stops the workers and keeps what is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library printing to stdout must not corrupt the channel
    tasks = sys.stdin.buffer
    opener = EvidenceOpener()
    try:
        while (msg := _read(tasks)) is not None:
            seq, sha256, sources, limits = msg
            _write(channel, (seq, hash_file(sha256, sources, limits, opener)))
    finally:
        opener.close()


def hash_in_process(tasks: Iterable[Task], limits: HashLimits) -> Iterator[FileHashes]:
    """The same work in the calling process, one file after another (``workers=0``)."""
    opener = EvidenceOpener()
    try:
        for sha256, sources in tasks:
            yield hash_file(sha256, sources, limits, opener)
    finally:
        opener.close()


@dataclass(eq=False)
class _Worker:
    proc: subprocess.Popen[bytes]
    reader: threading.Thread | None = None
    task: Task | None = None
    seq: int = 0
    started: float = field(default=0.0)


class WorkerPool:
    """``n`` worker processes hashing the tasks they are handed, results yielded as they finish.

    Each worker's answers are read by a thread of its own into one queue (pipes cannot be
    ``select``-ed on every platform); the caller's thread hands out tasks and watches the clock.
    """

    def __init__(self, n: int, child_module: str = "veilleur.hashing.child") -> None:
        if n < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.n = n
        self.child_module = child_module

    def map(self, tasks: Iterable[Task], limits: HashLimits) -> Iterator[FileHashes]:
        it = iter(tasks)
        seq = 0
        answers: queue.Queue[tuple[_Worker, Any | None]] = queue.Queue()
        workers: list[_Worker] = []

        def start() -> _Worker:
            proc = subprocess.Popen(
                [sys.executable, "-m", self.child_module],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
            w = _Worker(proc)
            out = proc.stdout
            assert out is not None

            def pump() -> None:
                try:
                    while (msg := _read(out)) is not None:
                        answers.put((w, msg))
                except (OSError, ValueError, EOFError, pickle.UnpicklingError):
                    pass
                answers.put((w, None))  # end of its output: it exited, or died

            w.reader = threading.Thread(target=pump, name="veilleur-hash-worker", daemon=True)
            w.reader.start()
            workers.append(w)
            return w

        def stop(w: _Worker) -> None:
            workers.remove(w)
            if w.proc.poll() is None:
                w.proc.kill()
            w.proc.wait()
            if w.reader is not None:
                w.reader.join(timeout=5)
            for pipe in (w.proc.stdin, w.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()

        def assign(w: _Worker, retry: Task | None = None, attempts: int = 0) -> None:
            """Hand ``w`` the next task, or let it go when there is none."""
            nonlocal seq
            task = retry if retry is not None else next(it, None)
            w.task = task
            assert w.proc.stdin is not None
            if task is None:
                with contextlib.suppress(OSError):
                    w.proc.stdin.close()  # EOF: the worker exits
                return
            seq += 1
            w.seq, w.started = seq, time.monotonic()
            try:
                _write(w.proc.stdin, (seq, task[0], task[1], limits))
            except OSError:
                # It died before this file reached it: not the file's fault. Give it to a new worker.
                w.task = None
                stop(w)
                if attempts >= 3:
                    raise RuntimeError("hashing worker processes keep dying at start") from None
                assign(start(), task, attempts + 1)

        def lost(w: _Worker, failure: HashFailure) -> FileHashes:
            """A worker died or was stopped on a file: record the file, put a fresh worker in its place."""
            assert w.task is not None
            result = FileHashes(w.task[0]).fail(failure)
            stop(w)
            assign(start())
            return result

        try:
            for _ in range(self.n):
                assign(start())
            while any(w.task is not None for w in workers):
                now = time.monotonic()
                wait = min(w.started + limits.timeout_s - now for w in workers if w.task is not None)
                try:
                    w, msg = answers.get(timeout=min(1.0, max(0.0, wait)))
                except queue.Empty:
                    w, msg = None, None
                if w is not None and w in workers:
                    if msg is not None:
                        done_seq, result = msg
                        assert done_seq == w.seq
                        yield result
                        assign(w)
                    elif w.task is None:
                        stop(w)  # it finished and exited
                    else:
                        code = w.proc.wait()
                        how = f"signal {-code}" if code < 0 else f"exit code {code}"
                        yield lost(
                            w,
                            HashFailure(
                                Reason.WORKER_CRASHED,
                                f"the hashing process died ({how}) on this file; not retried",
                            ),
                        )
                now = time.monotonic()
                for late in [w for w in workers if w.task is not None and now - w.started > limits.timeout_s]:
                    yield lost(
                        late,
                        HashFailure(Reason.TIMEOUT, f"still hashing after {limits.timeout_s:g} s; abandoned"),
                    )
        finally:
            for w in list(workers):
                stop(w)
