"""All terminal output of the command line: Rich tables and lines built from typed results.

Case data is text, never markup: every value from the case is escaped, and control characters
are replaced (:func:`safe`) so that a name holding ANSI or OSC sequences cannot act on the
terminal. JSON goes out through :func:`print_json`, serialised by the application layer.
"""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from veilleur.app import to_json
from veilleur.app.results import (
    AuditLog,
    AuditVerification,
    CaseVerification,
    EvidenceList,
    EvidenceVerification,
    ExchangesView,
    HashReport,
    Hit,
    HitsView,
    ImportOutcome,
    ImportsView,
    IndicatorHitsView,
    IndicatorRun,
    KeywordHitsView,
    KeywordRun,
    LinkReport,
    LinksView,
    ListImportReport,
    ListsView,
    MatchReport,
    MembersView,
    NetworkView,
    PropagationView,
    RankComparison,
    RankingView,
    RecordImportReport,
    RecordsView,
    RolesView,
    SearchHitOut,
    SearchView,
    Summary,
    TallyOut,
    TimelineView,
    UsersView,
)

err = Console(stderr=True)
out = Console()

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """Case text for the terminal: control characters (ESC, OSC, C1) shown as ``\\xNN``, markup escaped."""
    return escape(_clean(value))


def _clean(value: object) -> str:
    """Case text for a Rich ``Text`` (never markup): control characters shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def print_json(result: Any) -> None:
    out.print_json(to_json(result).decode())


def line(text: str) -> None:
    """A line of Veilleur's own words (markup allowed); case values must be passed through :func:`safe`."""
    out.print(text, soft_wrap=True)


def error(text: str) -> None:
    err.print(f"[red]error:[/] {safe(text)}", soft_wrap=True)


# -- progress -------------------------------------------------------------------------------------


class PhaseBar:
    """The import's progress: one bar per phase (result.json, HTML pages)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            label = "result.json" if phase == "json" else "HTML pages"
            self.tasks[phase] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


def transfer_bar(*, disable: bool = False) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=disable,
    )


def counted_bar(unit: str, *, disable: bool = False) -> Progress:
    """A progress bar on stderr counting ``unit`` (files, dossiers), gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(f"{{task.completed}}/{{task.total}} {unit}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=disable,
    )


# -- import and custody ---------------------------------------------------------------------------


def import_line(o: ImportOutcome) -> None:
    c = o.report.get("counters", {})
    if o.status == "unchanged":
        line(f"{safe(o.source)}: already imported (import #{o.import_id}); nothing changed.")
        return
    line(
        f"{safe(o.source)}: import #{o.import_id}{' (resumed)' if o.resumed else ''}: "
        f"{c.get('messages', 0)} messages ({c.get('new', 0)} new, "
        f"{c.get('new_versions', 0)} new versions, "
        f"{c.get('reconciled', 0)} HTML reconciled), {c.get('repairs', 0)} repairs, "
        f"{o.report.get('possibly_deleted_flagged', 0)} flagged possibly deleted"
        + (
            f", [red]{c['sender_conflicts']} sender conflicts[/] (see the report's warnings)"
            if c.get("sender_conflicts")
            else ""
        )
    )


def imports_table(v: ImportsView) -> None:
    t = Table("id", "status", "format", "layout", "started", "operator", "source", "error")
    for r in v.imports:
        t.add_row(
            str(r.id),
            r.status,
            safe(r.format or ""),
            safe(r.layout or ""),
            r.started_at or "",
            safe(r.operator),
            safe(r.source),
            safe(r.error or ""),
        )
    out.print(t)


def evidence_table(v: EvidenceList) -> None:
    t = Table("id", "kind", "sha256", "size", "registered", "operator", "path")
    for r in v.evidence:
        t.add_row(str(r.id), r.kind, r.sha256, str(r.size), r.registered_at, safe(r.operator), safe(r.path))
    out.print(t)


def evidence_verification(v: EvidenceVerification) -> None:
    for p in v.problems:
        line(
            f"[red]{p.status.upper()}[/] #{p.evidence_id} {safe(p.path)} "
            f"(registered {p.expected}, now {p.found or '-'})"
        )
    line(f"{v.files} evidence files checked, {len(v.problems)} changed or missing.")


def audit_verification(v: AuditVerification) -> None:
    for p in v.problems:
        line(f"[red]PROBLEM[/] {safe(p)}")
    where = v.head or "an empty log"
    if v.problems:
        line(f"[red]{len(v.problems)} problems[/] in the audit log (head: {safe(where)}).")
    else:
        line(f"Audit log intact up to {safe(where)}; witness file agrees.")
    if not v.logged:
        err.print("[red]this check could not be logged[/] (the log cannot be appended to as it stands)")


def case_verification(v: CaseVerification) -> None:
    for p in v.audit:
        line(f"[red]AUDIT[/] {safe(p)}")
    for p in v.records:
        line(f"[red]RECORDS[/] {safe(p)}")
    for c in v.file_problems:
        line(
            f"[red]{c.status.upper()}[/] #{c.evidence_id} {safe(c.path)} "
            f"(registered {c.expected}, now {c.found or '-'})"
        )
    for u in v.unsealed:
        line(f"[yellow]UNSEALED[/] {safe(u)}")
    chain = f"{len(v.audit)} problems" if v.audit else "intact"
    records = f"{len(v.records)} problems" if v.records else "as sealed"
    files = (
        f"{v.files} re-hashed, {len(v.file_problems)} changed or missing" if v.files else "not re-hashed"
    )
    line(f"Audit log: {chain} (head: {safe(v.head or 'an empty log')}).")
    line(f"Records: {records} ({v.sealed_imports} sealed imports, {v.sealed_rows:,} rows).")
    line(f"Evidence files: {files}.")
    if v.unsealed:
        line(f"{len(v.unsealed)} parts of the case carry no seal to check (listed above).")
    if not v.logged:
        err.print("[red]this check could not be logged[/] (the log cannot be appended to as it stands)")


def audit_table(v: AuditLog) -> None:
    import orjson

    t = Table("#", "at", "operator", "action", "subject", "details", "hash")
    for e in v.entries:
        details = "" if e.details is None else orjson.dumps(e.details, option=orjson.OPT_SORT_KEYS).decode()
        t.add_row(
            str(e.seq),
            e.at,
            safe(e.operator),
            safe(e.action),
            safe(e.subject or ""),
            safe(details),
            e.entry_hash[:12] + "…",
        )
    out.print(t)


def _summary_value(v: Any) -> str:
    """A summary value in words at any depth: nothing as ``-``, an empty tally as ``none``, never
    Python's ``None`` (an empty case has no first message and no counts by kind)."""
    if v is None:
        return "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_summary_value(x)}" for k, x in v.items()) or "none"
    if isinstance(v, (list, tuple)):
        return ", ".join(_summary_value(x) for x in v) or "none"
    return str(v)


def summary_table(s: Summary) -> None:
    t = Table(title="Case summary", show_header=False)
    for k, v in s.summary.items():
        t.add_row(k.replace("_", " "), safe(_summary_value(v)))
    out.print(t)


def members_table(v: MembersView) -> None:
    t = Table("user", "name", "role", "added by", "added")
    for m in v.members:
        t.add_row(safe(m.user), safe(m.display_name or ""), m.role, safe(m.added_by), m.added_at)
    out.print(t)


def users_table(v: UsersView) -> None:
    t = Table("user", "name", "administrator", "disabled", "created", "by")
    for u in v.users:
        t.add_row(
            safe(u.name),
            safe(u.display_name),
            "yes" if u.is_admin else "",
            "yes" if u.disabled else "",
            u.created_at,
            safe(u.created_by),
        )
    out.print(t)


# -- media ----------------------------------------------------------------------------------------


def hash_table(r: HashReport) -> None:
    t = Table(title="Media hashing", show_header=False)
    t.add_row("media files in case", str(r.media_files))
    t.add_row("hashed by earlier runs", str(r.already_hashed))
    t.add_row("hashed now", f"{r.hashed} in {r.seconds:.1f} s on {r.workers or 1} processes")
    t.add_row("still to hash", str(r.remaining))
    for label, counts in (
        ("by status", r.by_status),
        ("by reason", r.by_reason),
        ("by media class", r.by_class),
    ):
        t.add_row(label, safe(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"))
    t.add_row("video frame hashes", str(r.frame_hashes))
    out.print(t)
    if r.changed_evidence:
        line(
            f"[red]{r.changed_evidence} evidence files no longer match their registered SHA-256[/] "
            "(custody events recorded; run 'veilleur evidence verify')."
        )


def list_import_line(path: str, r: ListImportReport) -> None:
    if r.status == "unchanged":
        line(
            f"{safe(path)}: already imported as version {safe(r.version)} of list "
            f"{safe(r.list_name)}; nothing changed."
        )
        return
    line(
        f"List [bold]{safe(r.list_name)}[/] version {safe(r.version)} "
        f"({r.format}, {'full' if r.full else 'delta'}): {r.entries} hashes in "
        f"{r.items} entries; {r.added + r.restored} added, {r.changed} changed, "
        f"{r.unchanged} unchanged, {r.removed + r.withdrawn} removed"
        + (f", {r.duplicates} duplicates" if r.duplicates else "")
        + (f", unsupported hash types skipped: {safe(', '.join(r.unsupported))}" if r.unsupported else "")
    )


def lists_view(v: ListsView) -> None:
    if not v.lists:
        line("No hash lists in this case ('veilleur lists import' adds one).")
    for s in v.lists:
        line(
            f"[bold]{safe(s['name'])}[/] ({s['kind']}, {s['scheme']} categories"
            + (f", source: {safe(s['source'])}" if s["source"] else "")
            + f"): {s['active_total']} active hashes, {s['removed']} removed"
        )
        for ver in s["versions"]:
            line(
                f"  version {safe(ver['version'])}: {ver['imported_at']} by {safe(ver['operator'])}, "
                f"{ver['format']} ({'full' if ver['full'] else 'delta'}), {ver['added']} added, "
                f"{ver['changed']} changed, {ver['removed']} removed, {ver['unchanged']} unchanged"
            )
        counts = Table("hash type", "category", "active entries")
        for hash_type, by_category in s["active"].items():
            for category, n in by_category.items():
                counts.add_row(hash_type, safe(category), str(n))
        out.print(counts)


def match_table(r: MatchReport) -> None:
    t = Table(title=f"Matching run {r.run_id}", show_header=False)
    t.add_row("hashed media files", str(r.media_files))
    t.add_row(
        "pictures queried by PDQ", f"{r.pictures_queried} ({r.low_quality} under the quality threshold)"
    )
    t.add_row("videos queried", str(r.videos_queried))
    t.add_row("hits on positive lists", f"{r.hits} ({r.suppressed} suppressed by negative lists)")
    t.add_row("by method", ", ".join(f"{k}: {v}" for k, v in r.by_method.items()) or "-")
    t.add_row("by list", ", ".join(f"{safe(k)}: {v}" for k, v in r.by_list.items()) or "-")
    t.add_row("files flagged", str(r.files_flagged))
    out.print(t)


def _how(h: Hit) -> str:
    if h.method == "exact":
        return f"{h.hash_type} exact"
    if h.method == "vpdq":
        return (
            f"vpdq {h.query_match_pct:g}% of frames / {h.compared_match_pct:g}% of listed, "
            f"closest {h.distance}/{h.threshold} bits"
        )
    where = ""
    if h.variant:
        where = f", variant {h.variant}"
    if h.frame_ms is not None:
        where = f", frame at {h.frame_ms / 1000:g} s"
    return f"{h.method} {h.distance}/{h.threshold} bits{where}"


def tally_table(title: str, what: str, tallies: list[TallyOut]) -> None:
    t = Table(what, "messages", "files", "first (UTC)", "last (UTC)", title=title)
    for x in tallies:
        t.add_row(
            f"{safe(x.label)}\n[dim]{safe(x.key)}[/]",
            str(x.messages),
            str(len(x.files)),
            (x.first_utc or "-")[:10],
            (x.last_utc or "-")[:10],
        )
    out.print(t)


def hits_view(v: HitsView, *, files: bool = True) -> None:
    if v.run_id is None:
        line("This case has not been matched yet ('veilleur match').")
        return
    if files:
        t = Table("file (SHA-256)", "signals agreeing", "hits (list: entry, category, how)", "status")
        for f in v.files:
            hits = "\n".join(
                f"{safe(h.list_name)}: {safe(h.external_id or f'#{h.entry_id}')}, "
                f"{safe(h.category or 'no category')}, {_how(h)}"
                + (f" (suppressed by negative entry #{h.suppressed_by})" if h.suppressed_by else "")
                for h in f.hits
            )
            t.add_row(f.sha256, "+".join(f.signals) or "-", hits, "flagged" if f.flagged else "suppressed")
        out.print(t)
    tally_table("Hits per chat", "chat", v.by_chat)
    tally_table("Hits per sending account", "account", v.by_account)


# -- exchanges and the network --------------------------------------------------------------------


def exchanges_table(v: ExchangesView) -> None:
    t = Table(
        "time (UTC)", "chat #message", "sender", "recipients", "matches", title="Exchanges of flagged media"
    )
    for e in v.exchanges:
        recipients = [v.names.get(p.account, p.account) for p in e.recipients]
        shown = ", ".join(recipients[:4]) + (
            f" and {len(recipients) - 4} others" if len(recipients) > 4 else ""
        )
        t.add_row(
            (e.date_utc or "-").replace("T", " "),
            safe(f"{e.chat_title or e.chat} #{e.message_id}") + f"\n[dim]{e.setting}[/]",
            safe(v.names.get(e.sender or "", e.sender_name or "?")),
            safe(shown or "-"),
            safe(", ".join(sorted({f"{h.list_name}: {h.method}" for h in e.hits}))),
        )
    out.print(t)


def network_table(v: NetworkView, title: str | None = None) -> None:
    who = " + ".join(a.name or a.key for a in v.around)
    t = Table(
        "account",
        "link",
        "sent",
        "received",
        "messages (chat #id)",
        title=title or f"Everyone who exchanged flagged material with {safe(who)}",
    )
    for c in v.counterparts:
        refs = sorted({f"{x.chat_title or x.chat} #{x.message_id}" for x in c.links})
        t.add_row(
            f"{safe(c.name or c.account)}\n[dim]{safe(c.account)}[/]",
            safe(", ".join(c.kinds)) + ("" if c.direct else "\n[dim](through a shared group)[/]"),
            str(c.sent),
            str(c.received),
            safe("; ".join(refs[:4]) + (f"; and {len(refs) - 4} others" if len(refs) > 4 else "")),
        )
    out.print(t)


def roles_table(v: RolesView) -> None:
    """One row per account, readable on 80 columns: each account's key whole, under its name."""
    t = Table("account", "roles", "sent/\nrecv.", "active\n(UTC)", "network")
    # The key is what names an account to every other command: folded if it must be, never cut.
    widest = max((cell_len(s.account) for s in v.accounts), default=7)
    t.columns[0].min_width = min(widest, 40)
    t.columns[0].overflow = "fold"
    t.columns[1].max_width = len("administrator")
    for s in v.accounts:
        community = s.community if s.community is not None else "-"
        t.add_row(
            f"{safe(s.name)}\n[dim]{safe(s.account)}[/]" if s.name else safe(s.account),
            safe(", ".join(s.roles)) or "-",
            f"{s.sent}/{s.received}",
            f"{(s.first_utc or '-')[:10]}\n{(s.last_utc or '-')[:10]}",
            f"deg {s.degree_centrality:.3f}\nbtw {s.betweenness:.3f}\ncomm {community}",
        )
    out.print(t)
    line("deg: degree centrality, btw: betweenness, comm: community (docs/network.md).")


def propagation_table(v: PropagationView) -> None:
    t = Table("item (SHA-256)", "first appeared", "then", "status", title="Media propagation")
    for i in v.items:
        f = i.sightings[0]
        later = [
            f"{s.chat_title or s.chat} #{s.message_id}{' (fwd)' if s.forwarded_from else ''}"
            for s in i.sightings[1:]
        ]
        status = (
            "flagged"
            if i.flagged
            else ("possibly new: " + "; ".join(i.possibly_new) if i.possibly_new else "-")
        )
        t.add_row(
            "\n".join(i.files),
            safe(
                f"{(f.date_utc or '-')[:16]} {f.chat_title or f.chat} #{f.message_id} "
                f"by {f.sender_name or '?'}"
            ),
            safe("; ".join(later[:5]) + (f" and {len(later) - 5} others" if len(later) > 5 else "")) or "-",
            safe(status),
        )
    out.print(t)


def timeline_table(v: TimelineView) -> None:
    if v.kind == "account":
        t = Table("time (UTC)", "event", "until", title=f"Timeline of {safe(v.label)} ({safe(v.subject)})")
        for r in v.rows:
            t.add_row(r["utc"] or "-", safe(r["event"]), r["until_utc"] or "")
    else:
        t = Table("month", "messages", "senders", "flagged exchanges", title=f"Timeline of {safe(v.label)}")
        for r in v.rows:
            t.add_row(r["month"], str(r["messages"]), str(r["senders"]), str(r["exchanges"]))
    out.print(t)


# -- records, indicators, links -------------------------------------------------------------------


def records_import_line(path: str, r: RecordImportReport) -> None:
    if r.status == "unchanged":
        line(f"{safe(path)}: already imported as {r.kind} (import {r.import_id}); nothing changed.")
        return
    counts = ", ".join(f"{n} {k}" for k, n in r.counts.items())
    line(f"Imported {r.rows} {r.kind} rows ({r.format}; {safe(counts)}) as import {r.import_id}.")
    if r.accounts_created:
        line(
            f"{len(r.accounts_created)} accounts were not in the case and were created: "
            + safe(", ".join(r.accounts_created))
        )
    if r.persons_created:
        line(f"{r.persons_created} new persons.")


def records_view(v: RecordsView) -> None:
    s = v.records
    ret, ident, attrs = s["returns"], s["identity"], s["attributes"]
    line(
        f"Returns: {ret['identifiers']} identifiers of {ret['accounts']} accounts "
        f"({', '.join(f'{n} {k}' for k, n in ret['by_kind'].items()) or 'none'}); "
        f"identity: {ident['records']} records of {ident['persons']} persons; "
        f"attributes: {attrs['records']} of {attrs['persons']} persons "
        f"({', '.join(f'{n} {k}' for k, n in attrs['by_kind'].items()) or 'none'}); "
        f"{s['persons']} persons in all."
    )
    t = Table("import", "kind", "format", "rows", "counts", "source", "imported", "by", "file SHA-256")
    for i in s["imports"]:
        t.add_row(
            str(i["import_id"]),
            i["kind"],
            i["format"],
            str(i["rows"]),
            safe(", ".join(f"{n} {k}" for k, n in i["counts"].items())),
            safe(i["source"] or ""),
            i["imported_at"],
            safe(i["operator"]),
            i["file_sha256"][:12] + "…",
        )
    out.print(t)


def indicator_run_table(r: IndicatorRun) -> None:
    t = Table(title=f"Indicators run #{r.run_id}", show_header=False)
    t.add_row("messages scanned", f"{r.messages} in {r.seconds:.1f} s ({r.messages_per_second:,.0f}/s)")
    t.add_row("messages with hits", str(r.messages_with_hits))
    t.add_row("hits", str(r.hits))
    for label, counts in (
        ("by indicator", r.by_indicator),
        ("by confidence", r.by_confidence),
        ("by language", r.by_language),
        ("left out by guards", r.dropped_by_guard),
        ("lowered by guards", r.lowered_by_guard),
    ):
        t.add_row(label, ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-")
    out.print(t)


def indicator_hits_table(v: IndicatorHitsView) -> None:
    if v.run_id is None:
        line("No indicators run in this case yet ('veilleur indicators run').")
        return
    t = Table("hit", "rule", "conf.", "time (UTC)", "chat #message", "sender", "text", "citation")
    for h in v.hits:
        t.add_row(
            str(h.id),
            h.rule,
            h.confidence,
            (h.date_utc or "-").replace("T", " "),
            safe(f"{h.chat_title or h.chat} #{h.message_id}"),
            safe(h.sender_name or h.sender or "?"),
            safe(h.text),
            f"{h.citation}; chars {h.span_start}-{h.span_end}",
        )
    out.print(t)
    line(f"Indicators run #{v.run_id}: {len(v.hits)} hits. A hit is a lead to read, never evidence alone.")


def link_run_table(r: LinkReport) -> None:
    t = Table(title=f"Linking run #{r.run_id}", show_header=False)
    t.add_row("accounts / identity records / persons", f"{r.accounts} / {r.identity_records} / {r.persons}")
    t.add_row("account → person candidates", str(r.person_candidates))
    t.add_row("account → account candidates", str(r.alias_candidates))
    t.add_row("by method", ", ".join(f"{k}: {v}" for k, v in r.by_method.items()) or "-")
    t.add_row("by confidence", ", ".join(f"{k}: {v}" for k, v in r.by_confidence.items()) or "-")
    t.add_row("decisions", f"{r.rejected_kept_out} rejected kept out, {r.confirmed_carried} confirmed kept")
    t.add_row("model", f"{'trained' if r.trained else 'default parameters'}, prior {r.prior:.3g}")
    out.print(t)


def _factor_text(f: dict[str, Any]) -> tuple[str, str]:
    """A link factor in words, and the records it rests on (empty when none)."""
    weight = "" if f.get("weight") is None else f" [{f['weight']:+.2f}]"
    compared = f.get("compared") or {}
    shown = ""
    if compared.get("account") or compared.get("record"):
        shown = f" ({compared.get('account') or '-'} ↔ {compared.get('record') or '-'})"
    cites = []
    for r in f.get("records", []):
        if "more" in r:
            cites.append(f"and {r['more']} more")
            continue
        where = f"{r['table']}#{r.get('id', r.get('value', ''))}"
        if r.get("evidence_id") is not None:
            where += f" ev{r['evidence_id']}"
            if r.get("byte_offset") is not None:
                where += f"@{r['byte_offset']}"
            elif r.get("place"):
                where += f" {r['place']}"
        cites.append(where)
    return f"{_clean(f['name'])}: {_clean(f['value'])}{_clean(shown)}{weight}", _clean("; ".join(cites))


def links_table(v: LinksView) -> None:
    """Each link as a block, readable on 80 columns: the account and what it is linked to, its
    status, method, confidence and weight, then its factors, indented, each with its records."""
    if v.run_id is None and not v.links:
        line("No linking run in this case yet ('veilleur link run').")
        return
    line(f"[bold]Links (run #{v.run_id})[/]: {len(v.links)}")
    for x in v.links:
        target = f"person {x.person}" if x.kind == "account_person" else f"account {x.other_account}"
        weight = "" if x.match_weight is None else f" · weight {x.match_weight:+.2f}"
        if x.probability is not None:
            weight += f", p={x.probability:.3f}"
        out.print()
        out.print(Text(f"{_clean(x.account)} → {_clean(target)}", style="bold"), overflow="fold")
        lines = [Text(f"{x.status} · {x.method} · {x.confidence or '-'} confidence{weight}")]
        if x.decision is not None:
            d = x.decision
            note = f": {d.note}" if d.note else ""
            lines.append(Text(_clean(f"decision #{d.id}: {d.decision} by {d.operator}, {d.at}{note}")))
        for text in lines:
            out.print(Padding(text, (0, 0, 0, 2), expand=False))
        for f in x.factors:
            # Text, not markup: "rule:phone: …" is a factor, not an emoji code or a tag.
            said, records = _factor_text(f)
            out.print(Padding(Text(said), (0, 0, 0, 2), expand=False), overflow="fold")
            if records:
                out.print(Padding(Text(records, style="dim"), (0, 0, 0, 6), expand=False), overflow="fold")


# -- ranking --------------------------------------------------------------------------------------


def ranking_table(v: RankingView, *, title: str | None = None, top: int | None = None) -> None:
    if v.ranking_id is None:
        line("No ranking yet ('veilleur rank run').")
        return
    t = Table(
        "#",
        "who",
        "score",
        "why (factor: points — evidence)",
        "jurisdiction",
        title=title
        or f"Ranking {v.ranking_id} (weights {safe(v.weights_version or '?')}): a lead, not a verdict",
    )
    for r in v.subjects[:top]:
        reasons = [
            f"{name.replace('_', ' ')}: {f.points:.1f} — {f.value}"
            for name, f in sorted(r.factors.items(), key=lambda x: -x[1].points)
            if f.points > 0
        ]
        t.add_row(
            str(r.rank), safe(r.label), f"{r.score:.1f}", safe("\n".join(reasons)), safe(r.jurisdiction)
        )
    out.print(t)


def comparison_table(v: RankComparison) -> None:
    t = Table("subject", "rank", "score", "why", title=f"Ranking {v.old} → {v.new}")
    for c in v.changes:
        t.add_row(
            safe(c.label),
            f"{c.old_rank or '-'} → {c.new_rank or '-'}",
            f"{c.old_score:.1f} → {c.new_score:.1f}",
            safe("\n".join(c.reasons)),
        )
    out.print(t)


# -- search ---------------------------------------------------------------------------------------


def _marked(snippet: str, marks: list[tuple[int, int]]) -> str:
    """The snippet escaped, its matched words in bold."""
    out, at = [], 0
    for s, e in sorted(marks):
        if s < at:
            continue
        out.append(safe(snippet[at:s]))
        out.append(f"[bold]{safe(snippet[s:e])}[/]")
        at = e
    out.append(safe(snippet[at:]))
    return "".join(out)


def _where(h: SearchHitOut) -> str:
    if h.source in ("message", "version"):
        return safe(f"{h.chat_title or h.chat} #{h.message_id}") + (
            f" (version {h.version})" if h.version else ""
        )
    return safe(h.chat_title or h.chat or h.account or h.source)


def search_table(hits: list[SearchHitOut], title: str) -> None:
    t = Table("time (UTC)", "where", "who", "field", "found", "citation", title=title)
    for h in hits:
        note = " [dim](possibly deleted)[/]" if h.possibly_deleted else ""
        t.add_row(
            (h.date_utc or "-").replace("T", " ")[:16],
            _where(h),
            safe(h.sender_name or h.account or "-"),
            h.field,
            _marked(h.snippet, h.marks) + note,
            safe(h.citation),
        )
    out.print(t)


def search_view(v: SearchView) -> None:
    first = v.offset + 1 if v.hits else 0
    search_table(
        v.hits,
        f"{v.total} hits for {safe(v.query)} ({first}-{v.offset + len(v.hits)}, {v.milliseconds:g} ms)",
    )
    for label, counts in (("per chat", v.by_chat), ("per account", v.by_account)):
        if counts:
            line(f"{label}: " + ", ".join(f"{safe(c.label)} ({safe(c.key)}) {c.hits}" for c in counts[:10]))


def keyword_run_table(r: KeywordRun) -> None:
    t = Table("term", "hits", title=f"Keyword run #{r.run_id}: {safe(r.list_name)}")
    for term, n in r.by_term.items():
        t.add_row(safe(term), str(n))
    out.print(t)
    line(f"{r.terms} terms, {r.hits} hits in {r.messages} messages, {r.seconds:.1f} s.")
    for s in r.skipped:
        line(f"[yellow]skipped[/] {safe(s)}")


def keyword_hits_table(v: KeywordHitsView) -> None:
    if v.run_id is None:
        line("No keyword run in this case yet ('veilleur keywords run FILE').")
        return
    line(
        f"Keyword run #{v.run_id} ({safe(v.list_name or '')}): "
        + ", ".join(f"{safe(c.key)} {c.hits}" for c in v.terms)
    )
    search_table(v.hits, "First hits of each term")
