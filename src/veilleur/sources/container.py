"""Where an export's files live: a folder or a zip archive, read without trusting either.

Investigators receive exports as folders or zip files. Both are opened read-only and never
extracted: extraction would copy media that may turn out to be flagged material. Every path a
source asks for (a ``photo`` path written in ``result.json``, an HTML link) goes through
:meth:`ExportContainer.open`, which refuses absolute paths, ``..``, and symlinks that lead out of
the export; a zip is checked member by member for hostile names and decompression bombs before
anything is read.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from veilleur.errors import BadInput, UnsafeInput

# Markers of a Telegram Desktop export root, in the order a reader prefers them.
EXPORT_MARKERS = ("result.json", "export_results.html", "messages.html")

MAX_ZIP_RATIO = 200
"""Compression ratio above which a large zip member is treated as a bomb (JPEG/MP4 barely compress)."""
MAX_ZIP_RATIO_MIN_SIZE = 16 * 1024 * 1024
MAX_ZIP_TOTAL = 256 * 1024**3
MAX_ZIP_MEMBERS = 5_000_000


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
        if not os.path.lexists(p):
            return p  # nothing there, so no link to follow out: callers find it missing
        real = Path(os.path.realpath(p))
        if real != self.root and self.root not in real.parents:
            raise UnsafeInput(f"{rel!r} is a link that leads out of the export", file=self.label)
        return p

    def files(self) -> list[str]:
        out: list[str] = []
        for dirpath, _dirs, names in os.walk(self.root, followlinks=False):
            for n in names:
                p = Path(dirpath) / n
                rel = p.relative_to(self.root).as_posix()
                if self.exists(rel):
                    out.append(rel)
        return sorted(out)

    def open(self, rel: str) -> BinaryIO:
        return self._path(rel).open("rb")

    def exists(self, rel: str) -> bool:
        try:
            return self._path(rel).is_file()
        except UnsafeInput:
            return False

    def size(self, rel: str) -> int:
        return self._path(rel).stat().st_size

    def original_path(self, rel: str) -> str:
        return str(self.root / rel)


class ZipContainer(ExportContainer):
    """A zip export. Every member is vetted when the archive is opened, before any is read."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.label = str(path)
        try:
            self.zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as e:
            raise BadInput(f"not a readable zip archive ({e})", file=self.label) from e
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
        where = f"{self.label}!{info.filename}"
        try:
            f = self.zf.open(info)
        except _DAMAGED as e:
            raise BadInput(f"damaged zip member ({e})", file=where) from e
        return _ZipMember(f, where)  # type: ignore[return-value]

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


_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)
"""What reading a damaged zip member raises: bad CRC, bad deflate data, data cut short."""


class _ZipMember:
    """A zip member being read: damage found while inflating it is :class:`BadInput` naming it."""

    def __init__(self, f: IO[bytes], where: str) -> None:
        self._f = f
        self._where = where

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except _DAMAGED as e:
            raise BadInput(f"damaged zip member ({e})", file=self._where) from e

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self._f.seek(offset, whence)
        except _DAMAGED as e:
            raise BadInput(f"damaged zip member ({e})", file=self._where) from e

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _ZipMember:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


def open_container(path: Path) -> ExportContainer:
    """Open a folder or zip as an export; raise :class:`BadInput` if it holds no export."""
    if not path.exists():
        raise BadInput("no such file or folder", file=str(path))
    container: ExportContainer
    if path.is_dir():
        container = DirectoryContainer(path)
    elif zipfile.is_zipfile(path):
        container = ZipContainer(path)
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
    if not any(container.exists(m) for m in EXPORT_MARKERS):
        container.close()
        raise BadInput(
            "not a Telegram Desktop export: no result.json, export_results.html or messages.html",
            file=str(path),
        )
    return container
