"""The text the rules read: case-folded, accents folded, mapped back to the original characters.

Rules are written against *normalised* text (lower case, no accents, typographic apostrophes and
quotes made plain, ``œ`` spelled ``oe``, invisible format characters dropped), so one pattern
catches ``Enseignante``, ``enseignante`` and ``ENSEIGNANTE``, ``élève`` and ``eleve``, ``t’as`` and
``t'as``. A hit must still point into ``messages.text`` exactly as stored, so normalising keeps,
for every character it writes, the index of the original character it came from
(:class:`Folded`), and :meth:`Folded.span` maps a match back.

Offsets everywhere are Python string indices: Unicode code points, which is also what SQLite's
and PostgreSQL's ``substr`` count, so a span can be cut out by the database without loading the
message.

Cost: a pure-ASCII message is lower-cased in one C call and maps to itself; other messages go
through ``str.translate`` with a table filled on first sight of each character; only those
holding a character whose folded form is not exactly one character (a combining accent, a
ligature, ``ß``, a zero-width joiner, an emoji variation selector…) need an explicit map, built
when a match is to be mapped back.
"""

from __future__ import annotations

import unicodedata

__all__ = ["Folded", "fold"]

# Characters folded by hand before the general rule: typographic apostrophes and quotes,
# ligatures NFKD leaves alone, dashes.
_SPECIAL = {
    "\u2019": "'",  # ’
    "\u2018": "'",  # ‘
    "\u02bc": "'",  # ʼ
    "\u00b4": "'",  # ´
    "`": "'",
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u00ab": "\u00ab",  # « kept: the quote guard tells opening from closing
    "\u00bb": "\u00bb",  # »
    "\u0153": "oe",  # œ
    "\u0152": "oe",  # Œ
    "\u00e6": "ae",  # æ
    "\u00c6": "ae",  # Æ
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
}
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


def _fold_char(c: str) -> str:
    if c in _SPECIAL:
        return _SPECIAL[c]
    if unicodedata.category(c) in _DROPPED_CATEGORIES:
        return ""  # combining marks, zero-width (non-)joiners and spaces, variation selectors
    decomposed = unicodedata.normalize("NFKD", c)
    kept = "".join(x for x in decomposed if unicodedata.category(x) not in _DROPPED_CATEGORIES)
    return "".join(_SPECIAL.get(x, x) for x in kept.casefold())


class _Table(dict[int, str]):
    """``str.translate`` table filled on demand; remembers characters that do not fold 1:1."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        c = chr(code)
        folded = _fold_char(c)
        if len(folded) != 1:
            self.irregular.add(c)
        self[code] = folded
        return folded


_TABLE = _Table()


def _is_mark(c: str) -> bool:
    return unicodedata.category(c) in ("Mn", "Me")


class Folded:
    """A normalised text, and the original index of each of its characters (:attr:`sources`)."""

    __slots__ = ("_sources", "original", "regular", "text")

    def __init__(self, original: str, text: str, regular: bool) -> None:
        self.original = original
        self.text = text
        self.regular = regular  # every original character folded to exactly one character
        self._sources: tuple[int, ...] | None = None

    @property
    def sources(self) -> tuple[int, ...] | None:
        """The original index of each normalised character; None when character i of ``text``
        is character i of ``original``. Built on first use: only texts with a match need it."""
        if self.regular:
            return None
        if self._sources is None:
            out: list[int] = []
            for i, c in enumerate(self.original):
                f = _TABLE[ord(c)]
                if f:
                    out.extend([i] * len(f))
            self._sources = tuple(out)
        return self._sources

    def source(self, i: int) -> int:
        """The original index of normalised character ``i``."""
        sources = self.sources
        return i if sources is None else sources[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of the normalised ``[start, end)`` (``end > start``).

        The end covers the whole original character that produced the last matched character,
        and the combining marks that follow it (``e`` + U+0301 is one letter ``é``)."""
        sources = self.sources
        if sources is None:
            return start, end
        o_start = sources[start]
        o_end = sources[end - 1] + 1
        n = len(self.original)
        while o_end < n and _is_mark(self.original[o_end]):
            o_end += 1
        return o_start, o_end


def fold(text: str) -> Folded:
    """Normalise ``text`` for matching (see the module's documentation)."""
    if text.isascii():
        return Folded(text, text.lower(), True)
    out = text.translate(_TABLE)
    return Folded(text, out, _TABLE.irregular.isdisjoint(text))
