"""The demo as a use case of its own: build the synthetic demo case and check it (``veilleur demo``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["build_demo"]


def build_demo(
    out_dir: Path,
    *,
    seed: int,
    user: str,
    say: Callable[[str], None],
    show: Callable[[Any, str | None], None],
) -> bool:
    """Generate the demo case under ``out_dir`` and run every step on it as ``user`` (its lead);
    True when the generator's ground truth holds. See :func:`veilleur.demo.run.run_demo`."""
    from veilleur.demo.run import run_demo  # the demo composes this layer's use cases

    return run_demo(out_dir, seed=seed, operator=user, say=say, show=show)
