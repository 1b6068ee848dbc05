"""A hashing worker whose decoder "crashes" (aborts the process) on files named ``crash*``.

Run by ``tests/test_hashing.py`` as ``python -m hashing_crash_child`` to check that a worker
dying on a hostile file costs that file only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from veilleur.hashing import worker

_real = worker.hash_file


def _crashing(sha256: str, sources: Sequence[tuple[int | None, str]], *args: Any) -> Any:
    if any(os.path.basename(path).startswith("crash") for _, path in sources):
        os.abort()
    return _real(sha256, sources, *args)


if __name__ == "__main__":
    worker.hash_file = _crashing  # type: ignore[assignment]
    worker.child_main()
