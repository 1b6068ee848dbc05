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


def encode(folded: str) -> str:
    """``folded`` as an ``[a-z0-9]`` token (itself when it already is one)."""
    if _PLAIN.fullmatch(folded):
        return folded[:MAX_TOKEN_CHARS]
    return ("zq" + "".join(f"{ord(c):06x}" for c in folded))[:MAX_TOKEN_CHARS]


def tokens_with_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """``(token, start, end)`` for each token of ``text``, offsets in ``text``'s characters."""
    n = 0
    for m in _TOKEN.finditer(text):
        if n >= MAX_TOKENS:
            return
        kind = m.lastgroup
        s = m.group()
        if kind == "emoji":
            if ord(s) in _EMOJI_SKIP:
                continue
            yield f"u{ord(s):x}", m.start(), m.end()
        elif kind == "cjk":
            yield encode(s), m.start(), m.end()
        else:
            folded = fold(s)
            if not folded:
                continue
            yield encode(folded), m.start(), m.end()
        n += 1


def tokens(text: str) -> list[str]:
    return [t for t, _, _ in tokens_with_spans(text)]


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
