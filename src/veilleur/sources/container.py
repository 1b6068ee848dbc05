"""Where an export's files live: a folder or a zip archive, read without trusting either.

Investigators receive exports as folders or zip files. Both are opened read-only and never
extracted: extraction would copy media that may turn out to be flagged material. Every path a
source asks for (a ``photo`` path written in ``result.json``, an HTML link) goes through
:meth:`ExportContainer.open`, which refuses absolute paths, ``..``, and symlinks that lead out of
the export; a zip is checked member by member for hostile names and decompression bombs before
anything is read.

Only regular files are read (:mod:`veilleur.safeio`): a FIFO, socket or device given as the export,
or standing where one of its files should be, is refused with its path instead of hanging the
import. A file the import parses (``result.json``, an HTML page) is refused with the whole export; a
media file only costs its message's media, with a notice.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from veilleur.errors import BadInput, NotRegularFile, UnsafeInput
from veilleur.safeio import (
    is_encrypted,
    not_regular,
    open_regular,
    open_zip,
    open_zip_member,
)

# Markers of a Telegram Desktop export root, in the order a reader prefers them.
EXPORT_MARKERS = ("result.json", "export_results.html", "messages.html")
SECOND_PAGE = "messages2.html"
"""Enough to open a folder as an export: its first page may have been published under another
name (``veilleur.sources.telegram_html.renamed_first_page`` finds it by the pages' links)."""

MAX_ZIP_RATIO = 200
"""Compression ratio above which a large zip member is treated as a bomb (JPEG/MP4 barely compress)."""
MAX_ZIP_RATIO_MIN_SIZE = 16 * 1024 * 1024
MAX_ZIP_TOTAL = 256 * 1024**3
MAX_ZIP_MEMBERS = 5_000_000
"""Most members a zip export may hold, checked against its end record before its directory is read."""

PARSED_FILE = re.compile(
    r"(?:^|/)(?:result\.json|messages\d*\.html|export_results\.html)$|^lists/[^/]+\.html$"
)
"""The files of an export that an import parses (as against media files it only registers)."""

NAME_MAX = 255
"""Bytes in one file name on every file system an export folder can be on (ext4, APFS, NTFS)."""
PATH_MAX = 4096
"""Bytes in a path the operating system opens (Linux's ``PATH_MAX``)."""


def check_relative(rel: str, *, file: str) -> str:
    """Return ``rel`` as a clean POSIX relative path, or raise :class:`UnsafeInput`."""
    if not rel or "\x00" in rel:
        raise UnsafeInput(f"empty or NUL-containing path {rel!r}", file=file)
    norm = rel.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        raise UnsafeInput(f"absolute path {rel!r} refused", file=file)
    parts = PurePosixPath(norm).parts
    if any(p == ".." for p in parts):
        raise UnsafeInput(f"path {rel!r} leaves the export ('..')", file=file)
    return "/".join(p for p in parts if p not in ("", "."))


def _shown(rel: str, limit: int = 80) -> str:
    """``rel`` as quoted in a message, shortened: an over-long name must not fill the report."""
    return repr(rel) if len(rel) <= limit else repr(rel[: limit - 1] + "…") + f" ({len(rel)} characters)"


class ExportContainer(ABC):
    """Read-only access to the files of one export, by path relative to the export root."""

    label: str
    """How the analyst named it (the folder or zip path), used in every message."""

    @abstractmethod
    def files(self) -> list[str]:
        """Every regular file, as sorted relative POSIX paths."""

    @abstractmethod
    def open(self, rel: str) -> BinaryIO:
        """Open a file for reading; raises :class:`UnsafeInput` or :class:`FileNotFoundError`."""

    @abstractmethod
    def exists(self, rel: str) -> bool:
        """Whether ``rel`` is a regular file inside the export (unsafe paths are not)."""

    @abstractmethod
    def size(self, rel: str) -> int: ...

    @abstractmethod
    def original_path(self, rel: str) -> str:
        """The path to cite in the evidence registry (``/x/y.zip!root/result.json`` for zips)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the underlying file, if any."""


class DirectoryContainer(ExportContainer):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.label = str(root)

    def _path(self, rel: str) -> Path:
        clean = check_relative(rel, file=self.label)
        p = self.root / clean
        self._check_length(rel, clean, p)
        if not os.path.lexists(p):
            return p  # nothing there, so no link to follow out: callers find it missing
        try:
            real = Path(os.path.realpath(p, strict=True))
        except (FileNotFoundError, NotADirectoryError):
            real = Path(os.path.realpath(p))  # a dangling link: where it would lead still counts
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise UnsafeInput(f"{_shown(rel)} is a loop of symbolic links", file=self.label) from e
            raise BadInput(f"{_shown(rel)} cannot be looked up ({e.strerror})", file=self.label) from e
        if real != self.root and self.root not in real.parents:
            raise UnsafeInput(f"{_shown(rel)} is a link that leads out of the export", file=self.label)
        return p

    def _check_length(self, rel: str, clean: str, p: Path) -> None:
        """No file of a folder can have a longer name: say so, rather than call it missing."""
        try:
            longest = max((len(os.fsencode(part)) for part in clean.split("/")), default=0)
            total = len(os.fsencode(p))
        except UnicodeEncodeError as e:
            raise BadInput(f"{_shown(rel)} cannot be a file name here ({e.reason})", file=self.label) from e
        if longest > NAME_MAX:
            raise BadInput(
                f"{_shown(rel)} holds a name of {longest} bytes; no file system allows more than "
                f"{NAME_MAX}, so no such file is in this folder",
                file=self.label,
            )
        if total >= PATH_MAX:
            raise BadInput(
                f"{_shown(rel)} makes a path of {total} bytes, longer than the {PATH_MAX} a file can "
                "be opened by",
                file=self.label,
            )

    def _not_regular(self, rel: str) -> str | None:
        """What stands at ``rel`` when it is neither a regular file, a folder nor nothing."""
        try:
            p = self._path(rel)
        except UnsafeInput as e:
            cause = e.__cause__
            return "a loop of symbolic links" if isinstance(cause, OSError) else None
        except BadInput:
            return None
        try:
            return not_regular(os.stat(p).st_mode) if os.path.lexists(p) else None
        except OSError:
            return None

    def files(self) -> list[str]:
        """Every regular file; a file the import would parse that is no regular file is refused."""

        def unlistable(e: OSError) -> None:
            # Left alone, os.walk would skip the folder and every file in it without a word.
            where = os.fsdecode(e.filename) if e.filename else self.label
            raise BadInput(f"a folder of the export cannot be listed ({e.strerror})", file=where) from e

        out: list[str] = []
        for dirpath, _dirs, names in os.walk(self.root, onerror=unlistable, followlinks=False):
            for n in names:
                p = Path(dirpath) / n
                rel = p.relative_to(self.root).as_posix()
                if self.exists(rel):
                    out.append(rel)
                    continue
                if not PARSED_FILE.search(rel):
                    continue  # a media file: refused, with a notice, if a message asks for it
                self._path(rel)  # a name too long, a link loop or a link out of the export: said here
                what = self._not_regular(rel)
                if what is not None:
                    raise NotRegularFile(
                        f"{_shown(rel)} is {what}, not a regular file: the export is refused unread",
                        file=str(p),
                    )
        return sorted(out)

    def open(self, rel: str) -> BinaryIO:
        p = self._path(rel)
        return open_regular(p, name=_shown(rel), file=self.label)

    def exists(self, rel: str) -> bool:
        try:
            return self._path(rel).is_file()
        except BadInput:
            return False

    def size(self, rel: str) -> int:
        return self._path(rel).stat().st_size

    def original_path(self, rel: str) -> str:
        return str(self.root / rel)


class ZipContainer(ExportContainer):
    """A zip export. Every member is vetted when the archive is opened, before any is read."""

    def __init__(self, path: Path, zf: zipfile.ZipFile | None = None) -> None:
        self.path = path.resolve()
        self.label = str(path)
        if zf is None:
            zf = open_zip(self.path, label=self.label, max_members=MAX_ZIP_MEMBERS)
            if zf is None:
                raise BadInput("not a zip archive: no end-of-central-directory record", file=self.label)
        self.zf = zf
        try:
            self._vet()
        except BaseException:
            self.zf.close()
            raise

    def _vet(self) -> None:
        infos = self.zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UnsafeInput(f"{len(infos)} members: more than {MAX_ZIP_MEMBERS}", file=self.label)
        total = 0
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = check_relative(info.filename, file=f"{self.label}!{info.filename}")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeInput("symbolic link inside the zip refused", file=f"{self.label}!{name}")
            if info.is_dir():
                continue
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_ZIP_RATIO_MIN_SIZE and ratio > MAX_ZIP_RATIO:
                raise UnsafeInput(
                    f"decompression bomb: {info.file_size} bytes from {info.compress_size} "
                    f"(ratio {ratio:.0f} > {MAX_ZIP_RATIO})",
                    file=f"{self.label}!{name}",
                )
            self._members[name] = info
        if total > MAX_ZIP_TOTAL:
            raise UnsafeInput(f"unpacks to {total} bytes, more than {MAX_ZIP_TOTAL}", file=self.label)
        self.prefix = self._find_root()
        for marker in EXPORT_MARKERS:
            parsed = self._members.get(self.prefix + marker)
            if parsed is not None and is_encrypted(parsed):
                # Said once for the whole export: every file of a password-protected zip would fail.
                raise BadInput(
                    "encrypted (password-protected) zip: its files cannot be read; give Veilleur the "
                    "export decrypted",
                    file=f"{self.label}!{parsed.filename}",
                )

    def _find_root(self) -> str:
        """The folder inside the zip that holds the export (zips usually wrap ``ChatExport_…/``)."""
        best: str | None = None
        for name in self._members:
            p = PurePosixPath(name)
            if p.name in EXPORT_MARKERS:
                parent = "" if str(p.parent) == "." else str(p.parent) + "/"
                if best is None or len(parent) < len(best):
                    best = parent
        return best or ""

    def files(self) -> list[str]:
        n = len(self.prefix)
        return sorted(m[n:] for m in self._members if m.startswith(self.prefix))

    def _info(self, rel: str) -> zipfile.ZipInfo:
        clean = check_relative(rel, file=self.label)
        info = self._members.get(self.prefix + clean)
        if info is None:
            raise FileNotFoundError(f"{self.label}!{self.prefix}{clean}")
        return info

    def open(self, rel: str) -> BinaryIO:
        # ZipExtFile stops at the declared size and checks the CRC, so a member cannot inflate
        # beyond what was vetted above.
        info = self._info(rel)
        return open_zip_member(self.zf, info, where=f"{self.label}!{info.filename}")  # type: ignore[return-value]

    def exists(self, rel: str) -> bool:
        try:
            self._info(rel)
        except (FileNotFoundError, UnsafeInput):
            return False
        return True

    def size(self, rel: str) -> int:
        return self._info(rel).file_size

    def original_path(self, rel: str) -> str:
        return f"{self.path}!{self.prefix}{rel}"

    def close(self) -> None:
        self.zf.close()


def open_container(path: Path) -> ExportContainer:
    """Open a folder or zip as an export; raise :class:`BadInput` if it holds no export."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise BadInput("no such file or folder", file=str(path)) from None
    except OSError as e:
        raise BadInput(f"cannot be read ({e.strerror})", file=str(path)) from e
    what = not_regular(mode)
    if what is not None:  # looking inside it (is it a zip?) would already hang on a FIFO
        raise NotRegularFile(
            f"{what}, not a folder or a regular file: refused unread (reading it could block or never end)",
            file=str(path),
        )
    container: ExportContainer
    if stat.S_ISDIR(mode):
        container = DirectoryContainer(path)
    elif (zf := open_zip(path, max_members=MAX_ZIP_MEMBERS)) is not None:
        container = ZipContainer(path, zf)
    elif path.suffix.lower() == ".zip":
        raise BadInput(
            "not a readable zip archive: no end-of-central-directory record (truncated or damaged?)",
            file=str(path),
        )
    elif path.name == "result.json" or re.fullmatch(r"messages\d*\.html|export_results\.html", path.name):
        # A bare result.json or messages.html: its folder is the export.
        container = DirectoryContainer(path.parent)
    elif path.name.endswith((".json", ".html")):
        raise BadInput(
            "a Telegram Desktop export file is named result.json or messages.html; "
            "give the export folder (or restore the original name)",
            file=str(path),
        )
    else:
        raise BadInput(
            "not a Telegram Desktop export (expected a folder, a zip, result.json or messages.html)",
            file=str(path),
        )
    if isinstance(container, DirectoryContainer):
        for m in EXPORT_MARKERS:
            what = container._not_regular(m)
            if what is not None:
                container.close()
                raise NotRegularFile(
                    f"{m} is {what}, not a regular file: the export is refused unread",
                    file=container.original_path(m),
                )
    if not any(container.exists(m) for m in (*EXPORT_MARKERS, SECOND_PAGE)):
        container.close()
        raise BadInput(
            "not a Telegram Desktop export: no result.json, export_results.html or messages.html",
            file=str(path),
        )
    return container
