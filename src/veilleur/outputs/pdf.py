"""Printing outputs to PDF, and saying so when this machine cannot print a character.

Dossiers are typeset by Typst (``templates/dossier.typ``) from the same data their HTML template
renders, passed as JSON: the values of the case are never written into markup, so a name holding
``#``, ``$``, ``*``, ``_``, ``@``, ``<`` or ``\\`` prints as itself with nothing to escape. Typst
lays out a dossier of two thousand exchanges in about 2.5 s, where WeasyPrint took over a minute
(most of it measuring every table cell's words for its automatic column widths, then breaking
them into lines; benchmarks/README.md, *Dossiers*), and :class:`DossierPrinter` typesets them in
worker processes while the caller reads the next account. The case summary and the packages'
indexes, one document each, are still printed from their HTML by WeasyPrint.

A name in a script or an emoji that no installed font covers comes out as an empty box: in a court
document, a name that silently reads wrong. So before printing, the characters of the document are
checked against the fonts its printer uses: for Typst the fonts it found, for WeasyPrint those
fontconfig lists (each face's character set from fontconfig's cache, else its character map read
with fontTools). A PDF that lacks any says so at its top, naming them by code point and Unicode
name. The HTML beside it — and the evidence it cites — hold them exactly. Debian's
``fonts-noto-color-emoji`` and ``fonts-noto-cjk`` draw emoji and CJK names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from importlib.resources import files
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson

from veilleur.errors import VeilleurError

if TYPE_CHECKING:
    import typst

__all__ = [
    "NOTICE_LEAD",
    "DossierPrinter",
    "covered_code_points",
    "dossier_pdf",
    "notice",
    "printable_html",
    "typst_code_points",
    "unprintable",
    "write_dossier_pdf",
    "write_pdf",
]

_NOT_DRAWN = {"Cc", "Cf", "Zl", "Zp"}  # controls, joiners and marks of direction: no glyph of their own
NOTICE_LEAD = "This PDF cannot show every character."


@cache
def _fontconfig() -> dict[tuple[str, int], str] | None:
    """Each face fontconfig lists, by file and index, with its character set as fontconfig writes
    it (hexadecimal code points and ranges); None when ``fc-list`` is not there to ask."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run(
        [fc_list, "--format", "%{file}\t%{index}\t%{charset}\n"], capture_output=True, text=True, check=False
    )
    faces: dict[tuple[str, int], str] = {}
    for line in listed.stdout.split("\n"):
        file, _, rest = line.partition("\t")
        index, _, charset = rest.partition("\t")
        if file and index.isdigit():
            faces[file, int(index)] = charset
    return faces


def _charset(charset: str) -> Iterator[int]:
    for span in charset.split():
        low, _, high = span.partition("-")
        yield from range(int(low, 16), int(high or low, 16) + 1)


def _cmap(file: str, index: int) -> Iterable[int]:
    """The code points the face's character map gives a glyph: for a font fontconfig does not list."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency

    try:
        return TTFont(file, fontNumber=index, lazy=True).getBestCmap() or {}
    except Exception:  # a font fontTools cannot read: claim nothing for it
        return ()


@cache
def covered_code_points() -> frozenset[int] | None:
    """Every code point some font fontconfig lists can draw (WeasyPrint's fonts, which is what
    fontconfig gives Pango); None when ``fc-list`` is not there to ask (then nothing is claimed
    either way)."""
    faces = _fontconfig()
    if faces is None:
        return None
    return frozenset(cp for charset in faces.values() for cp in _charset(charset))


@cache
def _typst_fonts() -> typst.Fonts:
    import typst

    # The machine's fonts only, not those compiled into Typst: the check reads each font's
    # character set from fontconfig or from its file, and the built-in ones have neither.
    return typst.Fonts(include_system_fonts=True, include_embedded_fonts=False)


@cache
def typst_code_points() -> frozenset[int]:
    """Every code point some font Typst found on this machine can draw. Read from fontconfig's
    cache where it lists the face (reading the character maps of the CJK fonts takes seconds and
    hundreds of MB), else from the font file."""
    faces = _fontconfig() or {}
    covered: set[int] = set()
    for font in _typst_fonts().fonts():
        if font.path is None:
            continue
        charset = faces.get((font.path, font.index))
        covered.update(_charset(charset) if charset is not None else _cmap(font.path, font.index))
    return frozenset(covered)


def unprintable(text: str, covered: frozenset[int] | None = None) -> list[str]:
    """The distinct characters of ``text`` that no font of ``covered`` (by default WeasyPrint's,
    :func:`covered_code_points`) draws, in order of first use."""
    if covered is None:
        covered = covered_code_points()
        if covered is None:
            return []
    missing = [
        ch
        for ch in set(text)  # the distinct characters first: a dossier holds millions of them
        if ord(ch) not in covered
        and not ch.isspace()
        and unicodedata.category(ch) not in _NOT_DRAWN
        and not 0xFE00 <= ord(ch) <= 0xFE0F  # variation selectors
    ]
    return sorted(missing, key=text.index)


def notice(missing: list[str]) -> str:
    """What a PDF that cannot draw ``missing`` says after :data:`NOTICE_LEAD`."""
    named = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in missing[:12])
    more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
    return (
        f"No font on the machine that printed it draws {len(missing)} of them; they appear as empty "
        f"boxes: {named}{more}. The HTML file of the same name, and the evidence it cites, hold them exactly."
    )


def printable_html(html: str) -> tuple[str, list[str]]:
    """``html`` as WeasyPrint prints it: with a notice at the top of the body when some characters
    cannot be drawn, and which."""
    missing = unprintable(html)
    if not missing:
        return html, []
    box = f'<div class="notice"><strong>{NOTICE_LEAD}</strong> {notice(missing)}</div>'
    at = html.find("<body>")
    if at < 0:
        return box + html, missing
    at += len("<body>")
    return html[:at] + box + html[at:], missing


def write_pdf(html: str, path: Path) -> list[str]:
    """Print ``html`` to ``path`` with WeasyPrint; return the characters the PDF could not draw."""
    from weasyprint import HTML  # loaded on first use: it is large

    printed, missing = printable_html(html)
    HTML(string=printed, base_url=None).write_pdf(path)
    return missing


_local = threading.local()


@cache
def _template() -> Path:
    # A file, not the template's bytes: a typst.Compiler given bytes finds them only once.
    return Path(str(files("veilleur.outputs").joinpath("templates", "dossier.typ")))


@cache
def _template_text() -> str:
    return _template().read_text(encoding="utf-8")


def _compiler() -> typst.Compiler:
    """This thread's Typst compiler: a compiler is not to be shared by two threads at once."""
    compiler: typst.Compiler | None = getattr(_local, "compiler", None)
    if compiler is None:
        import typst

        compiler = typst.Compiler(_template(), root=_template().parent, font_paths=_typst_fonts())
        _local.compiler = compiler
    return compiler


def dossier_pdf(data: dict[str, Any]) -> tuple[bytes, list[str]]:
    """The PDF of a dossier, typeset from ``data`` (what ``dossier.html.j2`` renders), and the
    characters it could not draw, which its first page names."""
    document = orjson.dumps(data).decode()
    missing = unprintable(document + _template_text(), typst_code_points())
    inputs = {"data": document}
    if missing:
        inputs["notice"] = notice(missing)
    pdf = _compiler().compile(input=_template(), format="pdf", sys_inputs=inputs)
    if not isinstance(pdf, bytes):
        raise TypeError(f"Typst returned {type(pdf).__name__} for a PDF")
    return pdf, missing


def write_dossier_pdf(data: dict[str, Any], path: Path) -> list[str]:
    """Typeset the dossier ``data`` to ``path``; return the characters it could not draw."""
    try:
        pdf, missing = dossier_pdf(data)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # also a panic inside Typst, which PyO3 raises as a BaseException
        raise VeilleurError(f"Typst could not typeset this dossier: {e}", file=str(path)) from e
    path.write_bytes(pdf)
    return missing


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_AGEING = 4
"""Empty documents a worker compiles after each dossier. Typst memoises what it lays out and keeps
it for ten compilations (each ages the cache by one), several hundred MB for a large dossier: left
alone, a worker would hold the last ten dossiers' worth, 2.5 GB for ten of 845 exchanges. Four
empty compilations after each dossier keep about the last three (~800 MB for those), for 50 ms a
dossier; ten would keep one, for 160 ms (benchmarks/README.md, *Dossiers*)."""


def _print_and_forget(data: dict[str, Any], path: Path) -> list[str]:
    """A worker's task: the dossier's PDF, then its share of Typst's cache aged away."""
    try:
        return write_dossier_pdf(data, path)
    finally:
        for _ in range(_AGEING):
            _compiler().compile(input=b"", format="pdf", sys_inputs={})


def _start_worker() -> None:
    typst_code_points()  # before the first dossier, which would otherwise wait for it


class DossierPrinter:
    """Dossier PDFs typeset in worker processes, one per core, while the caller goes on.

    Processes, not threads, although Typst releases the GIL: each worker ages Typst's cache after
    every dossier (:data:`_AGEING`), which in a process shared by two compilations would throw away
    what the other one, half laid out, still needs. :meth:`submit` waits while ``2 × workers``
    dossiers are queued, so that the data of a whole case is never held at once. Leaving the
    ``with`` block waits for every PDF; a failure is raised by the future :meth:`submit` returned.
    No process starts before the first dossier is submitted.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or _cores()
        # Spawned, not forked: the caller holds database connections and may run threads.
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=get_context("spawn"), initializer=_start_worker
        )
        self._room = threading.BoundedSemaphore(2 * self.workers)

    def submit(self, data: dict[str, Any], path: Path) -> Future[list[str]]:
        """Typeset ``data`` to ``path``; the future's result is the characters it could not draw."""
        self._room.acquire()
        try:
            future = self._pool.submit(_print_and_forget, data, path)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _: self._room.release())
        return future

    def close(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> DossierPrinter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(cancel=kind is not None)
