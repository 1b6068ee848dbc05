"""The registry of hash-list formats, in the order they are tried when a file's format is sniffed.

Each format is a :class:`~veilleur.lists.base.ListFormat` in a module of its own. A new format is
one more module and one more :func:`register` call; names double as the ``--format`` values and
are stored with every list version, so they must stay stable.
"""

from __future__ import annotations

from veilleur.errors import BadInput
from veilleur.lists.base import ListFormat
from veilleur.lists.formats.caid import CaidFormat
from veilleur.lists.formats.ncmec import NcmecFormat
from veilleur.lists.formats.plain import CsvFormat, TextFormat, TypedLinesFormat
from veilleur.lists.formats.vics import VicsFormat

_FORMATS: dict[str, ListFormat] = {}


def register(fmt: ListFormat) -> None:
    """Add a format; its name must be new. Sniffing tries formats in registration order."""
    if fmt.name in _FORMATS:
        raise ValueError(f"a hash-list format named {fmt.name!r} is already registered")
    _FORMATS[fmt.name] = fmt


for _fmt in (CaidFormat(), VicsFormat(), NcmecFormat(), CsvFormat(), TypedLinesFormat(), TextFormat()):
    register(_fmt)


def formats() -> tuple[ListFormat, ...]:
    return tuple(_FORMATS.values())


def format_names() -> tuple[str, ...]:
    return tuple(_FORMATS)


def get_format(name: str) -> ListFormat:
    try:
        return _FORMATS[name]
    except KeyError:
        raise BadInput(f"unknown hash-list format {name!r} (known: {', '.join(_FORMATS)})") from None


def sniff_format(head: bytes, filename: str) -> ListFormat | None:
    """The first registered format that recognises a file starting with ``head``."""
    for fmt in _FORMATS.values():
        if fmt.sniff(head, filename):
            return fmt
    return None
