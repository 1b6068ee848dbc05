"""The network around accounts as a table for the terminal: who, how, how often, on what records."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from veilleur.analysis.network import Counterpart

__all__ = ["network_table"]


def network_table(title: str, counterparts: list[Counterpart], labels: dict[int, str]) -> Table:
    t = Table("account", "link", "sent", "received", "messages (chat #id)", title=title)
    for c in counterparts:
        refs = sorted(
            {
                f"{link.exchange.chat_title or link.exchange.chat_key} #{link.exchange.message_id}"
                for link in c.links
            }
        )
        t.add_row(
            f"{escape(labels.get(c.account_id, c.key))}\n[dim]{escape(c.key)}[/]",
            escape(", ".join(c.kinds)) + ("" if c.direct else "\n[dim](through a shared group)[/]"),
            str(c.sent),
            str(c.received),
            escape("; ".join(refs[:4]) + (f"; +{len(refs) - 4}" if len(refs) > 4 else "")),
        )
    return t
