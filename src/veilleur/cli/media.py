"""``veilleur hash``, ``lists …``, ``match`` and ``hits``: recognising known material."""

from __future__ import annotations

from pathlib import Path

import click

from veilleur import app
from veilleur.cli import render
from veilleur.cli.context import Ctx


@click.command("hash")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: one per core; 0: hash in this process).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Hash at most N files in this run.")
@click.option("--retry-failed", is_flag=True, help="Try again files that failed (e.g. a drive was offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def hash_cmd(obj: Ctx, workers: int | None, limit: int | None, retry_failed: bool, as_json: bool) -> None:
    """Hash every media file once: MD5, SHA-1, SHA-256, PDQ and vPDQ. Resumable.

    Pictures and frames are decoded in memory to compute hashes; nothing is displayed or written
    but hashes and metadata.
    """
    session = obj.session()
    with render.counted_bar("files", disable=as_json) as progress:
        task = progress.add_task("Hashing media", total=None)
        report = app.hash_media(
            session,
            workers=workers,
            limit=limit,
            retry_failed=retry_failed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    render.print_json(report) if as_json else render.hash_table(report)


@click.group("lists")
def lists_group() -> None:
    """Hash lists (banks) of known material: import versions, show what they hold.

    Lists are reference data, not case evidence: they are never exported with case data, and no
    command prints their hash values.
    """


@lists_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The list's name (a new version if the list exists).")
@click.option("--version", "version", help="Version label (default: what the file says, else 1, 2…).")
@click.option(
    "--scheme",
    type=click.Choice(["us", "uk", "custom"]),
    help="Category scheme of a new list (default: the profile the file declares, else us).",
)
@click.option("--negative", is_flag=True, help="A list of known false positives (negative bank).")
@click.option("--source", help="Where the list comes from (e.g. 'Project VIC US', 'NCMEC NGO').")
@click.option(
    "--format", "fmt", help="The file's format, if not recognised (vics, caid, ncmec, csv, typed, text)."
)
@click.option(
    "--hash-type",
    type=click.Choice(["md5", "sha1", "sha256", "pdq", "photodna"]),
    help="Type of bare values the file does not label (needed for 64-hex SHA-256 or PDQ lists).",
)
@click.option(
    "--delta/--full",
    "delta",
    default=None,
    help="Whether the file holds changes only or the whole list (default: NCMEC delta, others full).",
)
@click.option(
    "--pdq-threshold",
    type=click.IntRange(0, 64),
    help="PDQ distance (bits) within which this list's entries match (default 31).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def lists_import(
    obj: Ctx,
    path: Path,
    name: str,
    version: str | None,
    scheme: str | None,
    negative: bool,
    source: str | None,
    fmt: str | None,
    hash_type: str | None,
    delta: bool | None,
    pdq_threshold: int | None,
    as_json: bool,
) -> None:
    """Import a hash-list file as a new version of the list NAME (incremental)."""
    session = obj.session()
    report = app.import_hash_list(
        session,
        path,
        name=name,
        version=version,
        scheme=scheme,
        negative=negative,
        source=source,
        format=fmt,
        full=None if delta is None else not delta,
        hash_type=hash_type,
    )
    if pdq_threshold is not None:
        app.set_list_threshold(session, report.list_name, pdq_threshold)
    render.print_json(report) if as_json else render.list_import_line(str(path), report)


@lists_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def lists_show(obj: Ctx, as_json: bool) -> None:
    """Each list with its versions and its entries counted per hash type and category."""
    v = app.lists(obj.session())
    render.print_json(v) if as_json else render.lists_view(v)


@lists_group.command("threshold")
@click.argument("name")
@click.argument("bits", type=click.IntRange(0, 64), required=False)
@click.pass_obj
def lists_threshold(obj: Ctx, name: str, bits: int | None) -> None:
    """Set the PDQ threshold of the list NAME to BITS (without BITS: back to the default, 31)."""
    app.set_list_threshold(obj.session(), name, bits)
    render.line(
        f"List {render.safe(name)}: PDQ threshold {bits if bits is not None else '31 (default)'} bits."
    )


@click.command("match")
@click.option("--dihedral", is_flag=True, help="Also match rotated and mirrored copies of pictures.")
@click.option(
    "--pdq-quality",
    type=click.IntRange(0, 100),
    default=50,
    show_default=True,
    help="Least PDQ quality matched.",
)
@click.option("--no-video-frames", is_flag=True, help="Do not match video frames against listed pictures.")
@click.option("--vpdq-distance", type=click.IntRange(0, 64), default=31, show_default=True)
@click.option(
    "--vpdq-query-pct",
    type=click.FloatRange(0, 100),
    default=80.0,
    show_default=True,
    help="Share of the case video's frames that must match.",
)
@click.option(
    "--vpdq-compared-pct",
    type=click.FloatRange(0, 100),
    default=0.0,
    show_default=True,
    help="Share of the listed video's frames that must match.",
)
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def match_cmd(
    obj: Ctx,
    dihedral: bool,
    pdq_quality: int,
    no_video_frames: bool,
    vpdq_distance: int,
    vpdq_query_pct: float,
    vpdq_compared_pct: float,
    threads: int,
    as_json: bool,
) -> None:
    """Match the case's hashed media against every hash list it holds, and record the hits.

    Run 'veilleur hash' first. Hits are stored as evidence (list, version, entry, signal,
    distance, time); no file is ever shown. Prints the run and the hits per chat and per account.
    """
    session = obj.session()
    options = app.MatchOptions(
        pdq_quality=pdq_quality,
        dihedral=dihedral,
        video_frames=not no_video_frames,
        video=app.VideoThresholds(vpdq_distance, pdq_quality, vpdq_query_pct, vpdq_compared_pct),
        threads=threads,
    )
    report = app.match(session, options)
    if as_json:
        render.print_json(report)
        return
    render.match_table(report)
    render.hits_view(app.hits(session), files=False)


@click.command("hits")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def hits_cmd(obj: Ctx, as_json: bool) -> None:
    """The current hits: each flagged file with the signals that agree, then per chat and account."""
    v = app.hits(obj.session())
    render.print_json(v) if as_json else render.hits_view(v)


COMMANDS = [hash_cmd, lists_group, match_cmd, hits_cmd]
