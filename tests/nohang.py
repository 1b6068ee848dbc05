"""A guard for tests of FIFOs and devices: code that reads one would wait forever, so a test of it
must fail instead of hanging the run."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


class Hung(BaseException):
    """Raised in the test when the guarded code is still running at the deadline.

    A ``BaseException``, so that no ``except Exception`` (or ``except OSError``) of the code under
    test can take it for a failure of one file and carry on.
    """


@contextmanager
def no_hang(seconds: int = 30) -> Iterator[None]:
    """Run the block under a deadline (``SIGALRM``, main thread only).

    A read blocked on a FIFO is interrupted by the signal and, since the handler raises, not
    resumed (PEP 475), so the test fails with :class:`Hung` rather than waiting for ever.
    """

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s: it must have opened or read a FIFO or a device")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def make_fifo(path: Path) -> Path:
    """A FIFO with no writer at ``path`` (a file there is replaced): opening it to read blocks."""
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def make_socket(path: Path) -> socket.socket:
    """A listening Unix socket at ``path``; close it when done. Bound by a relative name, since a
    socket's path is limited to about 100 bytes and test folders are deeper than that."""
    path.unlink(missing_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        s.bind(path.name)
    finally:
        os.chdir(here)
    s.listen(1)
    return s
