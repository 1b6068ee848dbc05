"""Text into search tokens, one way for both backends: the same tokens go into SQLite's FTS5 and
PostgreSQL's ``tsvector``, so one query finds the same documents on each.

Neither backend's own tokenizer is used: FTS5's ``unicode61`` and PostgreSQL's parser disagree on
e-mail addresses, hyphens, numbers with dots, scripts newer than Unicode 6.1 and emoji. Here:

* a *word* is a run of letters and digits (combining marks included); ``_``, ``'``, ``-``, ``.``,
  ``@`` and every other character separate words, so ``l'élève`` is ``l`` + ``eleve`` and
  ``camille_r`` is ``camille`` + ``r``;
* each word is folded: compatibility-decomposed (NFKD), diacritics removed, case-folded, ``œ`` and
  ``æ`` spelt out — "eleve" finds "élève", "ELEVE" and "élève" written with combining accents;
* each CJK ideograph, kana and Hangul syllable is a token of its own (no dictionary segmentation:
  a word of two characters is found as a phrase of two tokens);
* each emoji is a token (``u1f6b4`` for 🚴; skin tones, variation selectors and joiners dropped);
* a token that is not plain ASCII letters and digits is *encoded* (``zq`` + six hex digits per
  character), so both engines see only ``[a-z0-9]`` and agree; the encoding keeps prefixes (a
  prefix of the word is a prefix of its code), so ``привет*`` still works;
* tokens past :data:`MAX_TOKENS` in one text, and characters past :data:`MAX_TOKEN_CHARS` in one
  token, are not indexed (PostgreSQL positions stop at 16,383).

Stems (French and English Snowball, from PyStemmer) are not indexed: a word query is widened at
query time to the indexed words with the same stem (:mod:`veilleur.search.index` keeps that
vocabulary).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

__all__ = [
    "FIELD_MARKER",
    "MAX_TOKENS",
    "MAX_TOKEN_CHARS",
    "encode",
    "exact_token",
    "field_marker",
    "fold",
    "stems",
    "tokens",
    "tokens_with_spans",
]

MAX_TOKENS = 16_000
MAX_TOKEN_CHARS = 64
ALL_MARKER = "zfall"
"""Every document holds it: what a query's NOT subtracts from."""
FIELD_MARKER = "zf"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
_EMOJI_SKIP = {0xFE0F, 0xFE0E, 0x200D, *range(0x1F3FB, 0x1F400)}
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}])|(?P<emoji>[{_EMOJI}])|(?P<word>(?:[^\W_{_CJK}]|[{_MARKS}])+)",
)
_SPELL = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})
_PLAIN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """A word as indexed before encoding: NFKD, no diacritics, case-folded."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPELL)


@lru_cache(maxsize=500_000)
def encode(folded: str) -> str:
    """``folded`` as an ``[a-z0-9]`` token (itself when it already is one)."""
    if _PLAIN.fullmatch(folded):
        return folded[:MAX_TOKEN_CHARS]
    return ("zq" + "".join(f"{ord(c):06x}" for c in folded))[:MAX_TOKEN_CHARS]


_COMBINING = re.compile(f"[{_MARKS}]+")
_FOLDED_TOKEN = re.compile(rf"[{_CJK}]|[{_EMOJI}]|[^\W_{_CJK}]+")


def _fold_text(text: str) -> str:
    """The whole text folded at once (what :func:`fold` does to a word, for every word). Latin
    letters with diacritics, the bulk of French text, go through one table; the rest of Unicode
    through NFKD."""
    if text.isascii():
        return text.lower()
    quick = text.translate(_LATIN)
    if quick.isascii():
        return quick
    return _COMBINING.sub("", unicodedata.normalize("NFKD", quick.casefold())).translate(_SPELL)


def _latin_table() -> dict[int, str]:
    table = {c: chr(c).lower() for c in range(0x41, 0x5B)}
    for c in range(0xC0, 0x250):
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", chr(c).casefold())).translate(_SPELL)
        if folded.isascii():
            table[c] = folded
    return table


_LATIN = _latin_table()


def tokens(text: str) -> list[str]:
    """The tokens of ``text``, in order: what both backends index and every query is made of."""
    out: list[str] = []
    for s in _FOLDED_TOKEN.findall(_fold_text(text)):
        if len(s) == 1 and not s.isascii():
            c = ord(s)
            if c in _EMOJI_SKIP:
                continue
            if _is_emoji(c):
                out.append(f"u{c:x}")
                continue
        out.append(s if len(s) <= MAX_TOKEN_CHARS and s.isascii() and s.isalnum() else encode(s))
        if len(out) >= MAX_TOKENS:
            break
    return out


def _is_emoji(c: int) -> bool:
    return 0x1F000 <= c <= 0x1FAFF or 0x2600 <= c <= 0x27BF or 0x2B00 <= c <= 0x2BFF or 0x2300 <= c <= 0x23FF


def tokens_with_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """``(token, start, end)`` for each word of ``text`` as written, offsets in ``text``'s
    characters: what a snippet marks. A written word may fold to several tokens (``¼``); each is
    given with the word's span."""
    for m in _TOKEN.finditer(text):
        for t in tokens(m.group()):
            yield t, m.start(), m.end()


def field_marker(field: str) -> str:
    """The token every document of ``field`` holds (``name:`` restricts a query with it)."""
    return FIELD_MARKER + field


def exact_token(field: str, normalised: str) -> str:
    """The one token that names an identifier exactly (``phone:+33612345678``)."""
    return "zx" + hashlib.sha1(f"{field}\x00{normalised}".encode()).hexdigest()[:20]


_FR = Stemmer.Stemmer("french")
_EN = Stemmer.Stemmer("english")


def stems(token: str) -> tuple[str, str] | None:
    """The French and English stems of an indexed word token (None: not a plain word)."""
    if not token.isalpha() or not token.isascii() or token.startswith(("zf", "zx", "zq")):
        return None
    return _FR.stemWord(token), _EN.stemWord(token)
