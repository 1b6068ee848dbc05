"""A ranking as a terminal table: rank, subject, score, and each factor that gave points."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from veilleur.analysis.priority import Ranked

__all__ = ["ranking_table"]


def ranking_table(title: str, ranked: list[Ranked], *, top: int | None = None) -> Table:
    t = Table("#", "who", "score", "why (factor: points — evidence)", "jurisdiction", title=title)
    for r in ranked[:top]:
        reasons = [
            f"{name.replace('_', ' ')}: {f.points:.1f} — {f.value}"
            for name, f in sorted(r.factors.items(), key=lambda x: -x[1].points)
            if f.points > 0
        ]
        t.add_row(
            str(r.rank), escape(r.label), f"{r.score:.1f}", escape("\n".join(reasons)), escape(r.jurisdiction)
        )
    return t
