"""How names and usernames are put in one form before linking.

Both sides of a comparison go through the same functions, so that "Éloïse LE-GOFF", "eloise le
goff" and "LE GOFF Éloïse" meet. Phone numbers and e-mail addresses arrive normalised already
(E.164, lower case: :mod:`veilleur.records.normalise` does it when records are imported, and
:func:`veilleur.records.identifiers.exporter_identifiers` for exports).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "SplitName",
    "birth_year",
    "email_user",
    "fold",
    "normalise_username",
    "split_name",
]

_NOT_LETTER = re.compile(r"[^a-z]+")
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"(?<!\d)(19[3-9]\d|20[01]\d)(?!\d)")


def fold(text: str | None) -> str:
    """Lower case, accents removed, every run of non-letters made one space, trimmed.

    ``"Éloïse LE-GOFF 🔥"`` → ``"eloise le goff"``. Ligatures and letters with no ASCII base
    (``ß``, ``æ``, ``ø``) are spelt out; other scripts are dropped (the model compares Latin
    spellings; a Cyrillic-only name is treated as missing, see docs/linking.md).
    """
    if not text:
        return ""
    text = text.replace("ß", "ss").replace("æ", "ae").replace("Æ", "AE").replace("ø", "o").replace("Ø", "O")
    text = text.replace("œ", "oe").replace("Œ", "OE")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", ascii_only)).strip()


@dataclass(frozen=True)
class SplitName:
    first: str | None
    last: str | None

    @property
    def full(self) -> str | None:
        parts = [p for p in (self.first, self.last) if p]
        return " ".join(parts) if parts else None


def _is_upper_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def split_name(raw: str | None) -> SplitName:
    """Split an observed name into first and last name, folded.

    One word: a first name only. Several: the first word is the first name, the rest the last
    name — except where the name follows the French administrative habit of writing the last
    name in capitals (``"DUPONT Jean"``, ``"Jean LE GOFF"``): then the words in capitals are the
    last name. Swapped orders that do not show it are left to the model's *swapped* level.
    """
    if not raw:
        return SplitName(None, None)
    words = [w for w in _SPACES.split(raw.strip()) if fold(w)]
    upper = [w for w in words if _is_upper_word(w)]
    if upper and len(upper) < len(words):
        first = fold(" ".join(w for w in words if not _is_upper_word(w)))
        last = fold(" ".join(upper))
        return SplitName(first or None, last or None)
    tokens = fold(raw).split()
    if not tokens:
        return SplitName(None, None)
    if len(tokens) == 1:
        return SplitName(tokens[0], None)
    return SplitName(tokens[0], " ".join(tokens[1:]))


def normalise_username(raw: str | None) -> str | None:
    """A username folded to its letters (``"@Jean_Dupont74"`` → ``"jeandupont"``); None if none."""
    letters = fold(raw).replace(" ", "")
    return letters or None


def birth_year(*texts: str | None) -> int | None:
    """A year of birth written in a username or an e-mail's user name (``jdupont1984``), when
    exactly one plausible year (1930–2019) appears; None otherwise. A weak hint, see
    docs/linking.md."""
    years = {int(y) for t in texts if t for y in _YEAR.findall(t)}
    return years.pop() if len(years) == 1 else None


def email_user(email: str) -> str:
    """The user name of an e-mail address, folded to letters and digits (``jean.dupont84``)."""
    return re.sub(r"[^a-z0-9]", "", email.partition("@")[0])
