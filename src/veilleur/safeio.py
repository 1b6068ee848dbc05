"""Opening files Veilleur did not write: regular files only, and zips vetted before they are parsed.

Exports, media files, hash lists and records come from outside the case. A FIFO, a socket or a
device standing where one of them should be would make a plain ``open`` or ``read`` wait forever
(a FIFO with no writer) or never end (``/dev/zero``), so nothing here reads anything but a regular
file. :func:`open_regular` opens with ``O_NONBLOCK`` and checks the open descriptor, so a file
swapped for a FIFO between a check and the open is refused too.

A zip is opened by :func:`open_zip`, which reads the end-of-central-directory record itself and
refuses an archive declaring (or holding) more members than allowed before :mod:`zipfile` parses
the central directory into one object per member. Its members are opened by
:func:`open_zip_member`, which turns what a damaged, encrypted or oddly compressed member raises
into :class:`~veilleur.errors.BadInput` naming the member. :class:`EvidenceOpener` opens a
registered evidence path (``/x/export.zip!member`` for a zip member) with both rules.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from veilleur.errors import BadInput, NotRegularFile, UnsafeInput

__all__ = [
    "MAX_ZIP_MEMBERS",
    "ZIP_DAMAGED",
    "EvidenceOpener",
    "ZipEnd",
    "ZipMember",
    "not_regular",
    "open_regular",
    "open_zip",
    "open_zip_member",
    "read_zip_end",
]

MAX_ZIP_MEMBERS = 5_000_000
"""Most members a zip may hold: :mod:`zipfile` keeps an object of about half a kilobyte for each."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_regular(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is no regular file nor folder, else ``None``."""
    for test, what in _KINDS:
        if test(mode):
            return what
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def _refusal(what: str, name: str, file: str) -> NotRegularFile:
    return NotRegularFile(
        f"{name} is {what}, not a regular file: refused unread (reading it could block or never end)",
        file=file,
    )


def open_regular(
    path: str | os.PathLike[str], *, name: str | None = None, file: str | None = None
) -> io.BufferedReader:
    """Open ``path`` for reading if it is a regular file (links followed).

    Raises :class:`~veilleur.errors.NotRegularFile` (naming ``name``, default the path, with
    ``file`` as the error's file) for a FIFO, socket or device, :class:`IsADirectoryError` for a
    folder and :class:`OSError` as ``open`` would otherwise.
    """
    shown = name if name is not None else str(path)
    where = file if file is not None else str(path)
    # A socket cannot be opened at all (ENXIO): look first, to say what it is.
    what = not_regular(os.stat(path).st_mode)
    if what is not None:
        raise _refusal(what, shown, where)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        what = not_regular(st.st_mode)
        if what is not None:  # swapped for a FIFO or a device since it was looked at
            raise _refusal(what, shown, where)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# -- zips ------------------------------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIG = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")
_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_EOCD64_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIG = b"PK\x01\x02"
_MAX_COMMENT = 1 << 16


@dataclass(frozen=True)
class ZipEnd:
    """What a zip's end-of-central-directory record (and its ZIP64 twin) declares."""

    entries: int
    cd_size: int
    cd_start: int  # where the central directory begins in the file (after any prepended data)
    file_size: int
    disk: int  # the number of the disk this record is on; non-zero for a split archive
    conflict: str | None = None  # a ZIP64 record contradicting the classic one: what they disagree on


def read_zip_end(f: BinaryIO) -> ZipEnd | None:
    """The end record of the zip ``f`` holds, found as :mod:`zipfile` finds it, or ``None``.

    The same search as Python 3.11's ``zipfile._EndRecData`` (the last 22 bytes, else the last
    signature in the final 64 KiB, then a ZIP64 locator and record just before it), so the count
    checked is that of the directory :mod:`zipfile` would go on to parse.
    """
    f.seek(0, os.SEEK_END)
    size = f.tell()
    if size < _EOCD.size:
        return None
    f.seek(size - _EOCD.size)
    data = f.read(_EOCD.size)
    if data[:4] == _EOCD_SIG and data[-2:] == b"\x00\x00":
        at = size - _EOCD.size
        rec = data
    else:
        base = max(size - _MAX_COMMENT - _EOCD.size, 0)
        f.seek(base)
        tail = f.read()
        start = tail.rfind(_EOCD_SIG)
        if start < 0 or len(tail) - start < _EOCD.size:
            return None
        at = base + start
        rec = tail[start : start + _EOCD.size]
    _sig, disk, _disk_cd, _here, entries, cd_size, cd_offset, _comment = _EOCD.unpack(rec)
    concat = at - cd_size - cd_offset
    if at >= _LOCATOR.size:
        f.seek(at - _LOCATOR.size)
        sig, disk64, _reloff, disks = _LOCATOR.unpack(f.read(_LOCATOR.size))
        if sig == _LOCATOR_SIG and (disk64 != 0 or disks > 1):
            return ZipEnd(entries, cd_size, cd_offset + concat, size, max(disk, disk64, 1))
        if sig == _LOCATOR_SIG and at >= _LOCATOR.size + _EOCD64.size:
            f.seek(at - _LOCATOR.size - _EOCD64.size)
            r64 = _EOCD64.unpack(f.read(_EOCD64.size))
            if r64[0] == _EOCD64_SIG:
                classic = (entries, cd_size, cd_offset)
                disk, entries, cd_size, cd_offset = r64[4], r64[7], r64[8], r64[9]
                concat = at - cd_size - cd_offset - _EOCD64.size - _LOCATOR.size
                # A classic field is only overridden where it holds its "see ZIP64" sentinel (some
                # writers leave the low bits there instead: those agree too).
                for what, old, new, full in zip(
                    ("members", "directory size", "directory offset"),
                    classic,
                    (entries, cd_size, cd_offset),
                    (0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
                    strict=True,
                ):
                    if old != full and old != new & full:
                        conflict = f"{what}: {old:,} in its end record, {new:,} in its ZIP64 record"
                        return ZipEnd(entries, cd_size, cd_offset + concat, size, disk, conflict)
    return ZipEnd(entries, cd_size, cd_offset + concat, size, disk)


def _count_entries(f: BinaryIO, end: ZipEnd, stop: int) -> int:
    """Members in the central directory, counted header by header without parsing them, up to
    ``stop + 1``: needed only when the directory is large enough to hold more than ``stop``."""
    f.seek(end.cd_start)
    left = end.cd_size
    n = 0
    while left >= _CENTRAL.size and n <= stop:
        head = f.read(_CENTRAL.size)
        if len(head) < _CENTRAL.size or head[:4] != _CENTRAL_SIG:
            break  # the rest is damage, which zipfile reports
        name, extra, comment = struct.unpack_from("<3H", head, 28)
        f.seek(name + extra + comment, os.SEEK_CUR)
        left -= _CENTRAL.size + name + extra + comment
        n += 1
    return n


def check_zip_directory(f: BinaryIO, *, label: str, max_members: int | None = None) -> ZipEnd | None:
    """Vet the zip ``f`` before its central directory is parsed; ``None`` when it is no zip.

    Raises :class:`UnsafeInput` for more members than ``max_members`` (declared, or found in a
    directory declaring fewer) and :class:`BadInput` for a split archive or a directory that runs
    past the end of the file.
    """
    limit = MAX_ZIP_MEMBERS if max_members is None else max_members
    end = read_zip_end(f)
    if end is None:
        return None
    if end.entries > limit:
        raise UnsafeInput(
            f"the zip declares {end.entries:,} members, more than {limit:,}; its directory was not read",
            file=label,
        )
    if end.disk:
        raise BadInput("a zip split over several files (disks) is not supported; join it first", file=label)
    if end.conflict:
        raise BadInput(f"damaged zip: its two end records disagree on the {end.conflict}", file=label)
    if end.cd_start < 0 or end.cd_start + end.cd_size > end.file_size:
        raise BadInput(
            "damaged or truncated zip: its central directory would run past the end of the file",
            file=label,
        )
    # Each member takes at least a fixed-size header: a directory this small cannot hold more
    # members than the limit, whatever its end record says.
    if end.cd_size > limit * _CENTRAL.size:
        found = _count_entries(f, end, limit)
        if found > limit:
            raise UnsafeInput(
                f"the zip's directory holds more than {limit:,} members (its end record declares "
                f"{end.entries:,}); it was not parsed",
                file=label,
            )
    return end


class _OwnedZip(zipfile.ZipFile):
    """A :class:`zipfile.ZipFile` reading a file object it closes with itself."""

    def __init__(self, f: BinaryIO) -> None:
        self._owned = f
        super().__init__(f)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


_NOT_A_ZIP = (zipfile.BadZipFile, ValueError, struct.error, EOFError, OSError, NotImplementedError)
"""What zipfile raises on a hostile directory (a bad UTF-8 name is a ValueError, a bad offset an
OSError, an odd ZIP64 field a struct error)."""


def open_zip(
    path: str | os.PathLike[str], *, label: str | None = None, max_members: int | None = None
) -> zipfile.ZipFile | None:
    """The zip at ``path``, vetted (:func:`check_zip_directory`) before :mod:`zipfile` parses it.

    ``None`` when ``path`` is a regular file that is no zip. A damaged directory is
    :class:`BadInput` naming ``label`` (default: the path); a FIFO or device is
    :class:`~veilleur.errors.NotRegularFile`.
    """
    where = label if label is not None else str(path)
    f = open_regular(path, file=where)
    try:
        try:
            end = check_zip_directory(f, label=where, max_members=max_members)
        except OSError as e:
            raise BadInput(f"not a readable zip archive ({e})", file=where) from e
        if end is None:
            f.close()
            return None
        f.seek(0)
        try:
            zf = _OwnedZip(f)
        except _NOT_A_ZIP as e:
            raise BadInput(f"damaged zip archive: its directory does not read ({e})", file=where) from e
    except BaseException:
        f.close()
        raise
    return zf


ZIP_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, lzma.LZMAError, OSError)
"""What reading a damaged zip member raises: bad CRC, bad deflate, LZMA or bzip2 data (the last
an OSError), data cut short."""


def is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1)


def open_zip_member(zf: zipfile.ZipFile, member: str | zipfile.ZipInfo, *, where: str) -> ZipMember:
    """Open a member for reading; what it cannot be read for is :class:`BadInput` naming ``where``.

    :class:`KeyError` when the archive has no such member.
    """
    info = member if isinstance(member, zipfile.ZipInfo) else zf.getinfo(member)
    if is_encrypted(info):
        raise BadInput(
            "encrypted (password-protected) zip member: not read; give Veilleur the export decrypted",
            file=where,
        )
    try:
        f = zf.open(info)
    except NotImplementedError as e:
        raise BadInput(f"zip member stored in a way Veilleur cannot read ({e})", file=where) from e
    except ZIP_DAMAGED as e:
        raise BadInput(f"damaged zip member ({e})", file=where) from e
    return ZipMember(f, where)


class ZipMember:
    """A zip member being read: damage found while inflating it is :class:`BadInput` naming it."""

    def __init__(self, f: IO[bytes], where: str) -> None:
        self._f = f
        self._where = where

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except ZIP_DAMAGED as e:
            raise BadInput(f"damaged zip member ({e})", file=self._where) from e

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self._f.seek(offset, whence)
        except ZIP_DAMAGED as e:
            raise BadInput(f"damaged zip member ({e})", file=self._where) from e

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> ZipMember:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


# -- registered evidence ---------------------------------------------------------------------------


class EvidenceOpener:
    """Opens registered evidence paths read-only; ``archive.zip!member`` names a zip member.

    The last few archives are kept open: re-reading a large export's central directory for each of
    its media files would cost more than reading them.
    """

    def __init__(self, keep_archives: int = 4) -> None:
        self._zips: OrderedDict[str, zipfile.ZipFile] = OrderedDict()
        self._keep = keep_archives

    def _zip(self, archive: str) -> zipfile.ZipFile | None:
        zf = self._zips.get(archive)
        if zf is not None:
            self._zips.move_to_end(archive)
            return zf
        try:
            mode = os.stat(archive).st_mode
        except OSError:
            return None  # no such archive: the whole path may be a plain file with a "!" in it
        if stat.S_ISDIR(mode):
            return None
        zf = open_zip(archive)
        if zf is None:
            return None
        self._zips[archive] = zf
        while len(self._zips) > self._keep:
            self._zips.popitem(last=False)[1].close()
        return zf

    def open(self, original: str) -> tuple[BinaryIO, str | None]:
        """The file's stream, and its filesystem path when it is a plain file (not a zip member).

        Raises :class:`OSError` or :class:`KeyError` when it is not there,
        :class:`~veilleur.errors.NotRegularFile` for a FIFO or device, :class:`BadInput` for a
        damaged or encrypted zip.
        """
        if "!" in original:
            archive, member = original.split("!", 1)
            zf = self._zip(archive)
            if zf is not None:
                return open_zip_member(zf, member, where=original), None  # type: ignore[return-value]
        return open_regular(original), original

    def close(self) -> None:
        for zf in self._zips.values():
            zf.close()
        self._zips.clear()
