"""What every hash-list format reads into, and the interface a format plug-in implements.

A list file is read as a stream of records, in file order:

* :class:`ListItem` — one entry of the list (one media item), carrying every hash the list gives
  for it (a VICS record may give MD5, SHA-1 and PhotoDNA), its category, series, flags and the
  list's own identifier for it;
* :class:`ListDeletion` — the list says an entry it gave before is withdrawn (NCMEC tombstones);
* :class:`ListMeta` — something the file says about itself: the category profile it declares,
  whether it is a full list or a delta, a version label.

Hash values are normalised here, once, for every format: lower-case hex of the digest's exact
length; base64 (as some VICS exporters write MD5 and SHA-1) is accepted where the hash type is
known and converted to hex. A vPDQ value (a video: one PDQ per sampled frame) is not one digest
but a list of frames; it is parsed by :func:`parse_vpdq` and normalised to one canonical string
(:func:`canonical_vpdq`). Errors say what is wrong with a value without repeating the value:
a list's entries are never echoed, not even in an error message.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, ClassVar, Literal

from veilleur.errors import BadInput, InvalidValue, VeilleurError

HashType = Literal["md5", "sha1", "sha256", "pdq", "photodna", "vpdq"]
HASH_TYPES: tuple[HashType, ...] = ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq")
"""Hash types a list entry may have. PhotoDNA values are stored as given and never matched
(PhotoDNA is licensed; Veilleur has no implementation of it). A vPDQ value is a video's frame
hashes (:func:`parse_vpdq`), matched by distance, never looked up exactly."""

SCHEMES = ("us", "uk", "custom")
"""Category schemes: the Project VIC US profile, the UK (CAID) A/B/C grades, or a custom one."""

KINDS = ("positive", "negative")
"""A positive list holds known material; a negative list holds known false positives."""

DIGEST_BYTES: dict[HashType, int] = {"md5": 16, "sha1": 20, "sha256": 32, "pdq": 32, "photodna": 144}
"""Digest length of each single-digest type. vPDQ has none (a value holds one PDQ per frame)."""

VPDQ_MAX_FRAMES = 100_000
"""The most frames a vPDQ value may hold: 27 hours at vpdq's default of one frame a second."""
VPDQ_MAX_SECONDS = 1e9
"""The latest frame time accepted (about 31 years), so that milliseconds fit any integer column."""

_NAMES: dict[str, HashType] = {
    "md5": "md5",
    "photomd5": "md5",
    "videomd5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "videosha256": "sha256",
    "photosha256": "sha256",
    "pdq": "pdq",
    "photopdq": "pdq",
    "photodna": "photodna",
    "pdna": "photodna",
    "vpdq": "vpdq",
    "videovpdq": "vpdq",
}
_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PDQ_HEX = re.compile(r"[0-9a-fA-F]{64}")
_QUALITY = re.compile(r"[+-]?[0-9]+")
_SECONDS = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FRAME = re.compile(
    r"\s*([0-9a-fA-F]{64})\s*,\s*([0-9]{1,3})\s*,\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*"
)
"""A well-formed frame as lists write them: the fast path (lists hold millions of frames)."""


class ListConflict(VeilleurError):
    """The import contradicts the list as stored: another kind or scheme, a version label reused."""


class InvalidHash(InvalidValue):
    """A hash value that is not what its type requires. The message never contains the value."""


def hash_type_named(name: str) -> HashType | None:
    """The hash type a list calls ``name`` (``MD5``, ``SHA-1``, ``sha_256``, ``PDNA``…), or None."""
    key = re.sub(r"[\s_\-]", "", name).lower()
    if key.endswith("hash") and key != "hash":
        key = key[: -len("hash")]
    return _NAMES.get(key)


def describe_token(token: str) -> str:
    """A token for an error message: shown only if it is short and cannot be a hash value."""
    if len(token) <= 16 and not _HEX.fullmatch(token) and token.isprintable():
        return repr(token)
    return f"(a {len(token)}-character token)"


def normalise_hash(hash_type: HashType, raw: str, *, allow_base64: bool = True) -> str:
    """``raw`` as lower-case hex of the digest, or :class:`InvalidHash` saying what is wrong.

    Hex must have exactly the digest's length. Base64 (padded or not) is accepted when
    ``allow_base64`` and it decodes to exactly the digest's length. PhotoDNA also comes as 144
    comma-separated numbers 0–255, as some tools write it. A vPDQ value is returned as its
    canonical string (:func:`canonical_vpdq` of :func:`parse_vpdq`), not as hex of a digest.
    """
    if hash_type == "vpdq":
        return canonical_vpdq(parse_vpdq(raw))
    n = DIGEST_BYTES[hash_type]
    s = raw.strip()
    if not s:
        raise InvalidHash(f"empty {_label(hash_type)} value")
    if len(s) == 2 * n and _HEX.fullmatch(s):
        return s.lower()
    if hash_type == "photodna" and "," in s:
        return _photodna_numbers(s)
    # Base64 only in its canonical padded length, and never for a string of hex digits only (a
    # truncated hex value must not pass as base64 of the right length).
    if (
        allow_base64
        and hash_type != "pdq"
        and len(s) == 4 * ((n + 2) // 3)
        and _B64.fullmatch(s)
        and not _HEX.fullmatch(s)
    ):
        try:
            digest = base64.b64decode(s, validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) == n:
            return digest.hex()
    if _HEX.fullmatch(s):
        raise InvalidHash(f"{_label(hash_type)} value has {len(s)} hex characters, expected {2 * n}")
    if len(s) == 2 * n:
        raise InvalidHash(f"{_label(hash_type)} value has characters that are not hexadecimal")
    b64 = f" (or base64 of {n} bytes)" if allow_base64 and hash_type != "pdq" else ""
    raise InvalidHash(f"{_label(hash_type)} value is not {2 * n} hex characters{b64}: {len(s)} characters")


def detect_hash_type(raw: str) -> HashType:
    """The type of a bare hex value, by its length; :class:`InvalidHash` when it cannot be told.

    32 hex characters are MD5, 40 SHA-1, 288 PhotoDNA. 64 are either SHA-256 or PDQ, which no
    length or charset can tell apart: the caller must be told the type.
    """
    s = raw.strip()
    if not _HEX.fullmatch(s):
        raise InvalidHash(f"not a hexadecimal hash ({len(s)} characters, some not hex)")
    by_len: dict[int, HashType] = {32: "md5", 40: "sha1", 288: "photodna"}
    if len(s) in by_len:
        return by_len[len(s)]
    if len(s) == 64:
        raise InvalidHash(
            "64 hex characters can be SHA-256 or PDQ: give the hash type (--hash-type sha256 or pdq)"
        )
    raise InvalidHash(
        f"{len(s)} hex characters is no known hash length (MD5 32, SHA-1 40, SHA-256/PDQ 64, PhotoDNA 288)"
    )


def _label(hash_type: HashType) -> str:
    return _LABELS[hash_type]


_LABELS: dict[HashType, str] = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "pdq": "PDQ",
    "photodna": "PhotoDNA",
    "vpdq": "vPDQ",
}


def _photodna_numbers(s: str) -> str:
    parts = [p.strip() for p in s.split(",")]
    if len(parts) != 144 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise InvalidHash(f"PhotoDNA value is not 144 comma-separated numbers 0-255 ({len(parts)} parts)")
    return bytes(int(p) for p in parts).hex()


# -- vPDQ -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One sampled frame of a listed video: its PDQ (64 lower-case hex), the PDQ quality (0–100)
    and the frame's time in whole milliseconds (integers, so the same frame compares equal and
    stores exactly whatever decimal form the list wrote its seconds in)."""

    pdq: str
    quality: int
    timestamp_ms: int


def parse_vpdq(raw: str) -> tuple[VpdqFrame, ...]:
    """The frames of a vPDQ value, in the order given; :class:`InvalidHash` saying what is wrong.

    Accepted forms: python-threatexchange's serialisation, a JSON array of strings
    ``"<64 hex pdq>,<quality 0-100>,<seconds>"`` (one per frame, as ``vpdq_to_json`` writes it,
    seconds possibly in exponent form such as ``1.23e+03``), or the same triples separated by
    ``;`` (CSV cells and one-line files hold that more easily than JSON). One frame at least,
    :data:`VPDQ_MAX_FRAMES` at most. A message names the frame (from 1) and what is wrong with
    it, never a hash.
    """
    s = raw.strip()
    if not s:
        raise InvalidHash("empty vPDQ value")
    parts: list[object]
    if s.startswith("["):
        try:
            loaded = json.loads(s)
        except ValueError as e:
            pos = getattr(e, "pos", None)
            at = f" (at character {pos + 1})" if isinstance(pos, int) else ""
            raise InvalidHash(f"vPDQ value is not valid JSON{at}") from None
        if not isinstance(loaded, list):
            raise InvalidHash("vPDQ value is not a JSON array")
        parts = loaded
    elif s.startswith(("{", '"')) or "," not in s:
        raise InvalidHash(
            "vPDQ value is neither a JSON array of strings nor ';'-separated "
            "'<pdq>,<quality>,<seconds>' frames"
        )
    else:
        parts = list(s.removesuffix(";").split(";"))
    if not parts:
        raise InvalidHash("vPDQ value has no frame")
    if len(parts) > VPDQ_MAX_FRAMES:
        raise InvalidHash(f"vPDQ value has {len(parts)} frames, more than {VPDQ_MAX_FRAMES}")
    return tuple(_vpdq_frame(part, i) for i, part in enumerate(parts, start=1))


def _vpdq_frame(part: object, n: int) -> VpdqFrame:
    if isinstance(part, str) and (m := _FRAME.fullmatch(part)):
        quality, seconds = int(m.group(2)), float(m.group(3))
        if quality <= 100 and seconds <= VPDQ_MAX_SECONDS:
            return VpdqFrame(m.group(1).lower(), quality, round(seconds * 1000))
    return _vpdq_frame_checked(part, n)


def _vpdq_frame_checked(part: object, n: int) -> VpdqFrame:
    """The frame, or the :class:`InvalidHash` that says what is wrong with it."""
    if not isinstance(part, str):
        raise InvalidHash(f"vPDQ frame {n} is not a string")
    fields = [f.strip() for f in part.split(",")]
    if len(fields) != 3:
        raise InvalidHash(
            f"vPDQ frame {n} has {len(fields)} comma-separated field(s), expected 3 (pdq, quality, seconds)"
        )
    pdq, quality, seconds = fields
    if not _PDQ_HEX.fullmatch(pdq):
        what = f"{len(pdq)} characters" if len(pdq) != 64 else "characters that are not hexadecimal"
        raise InvalidHash(f"vPDQ frame {n}: the PDQ is not 64 hex characters ({what})")
    if not _QUALITY.fullmatch(quality) or not 0 <= int(quality) <= 100:
        raise InvalidHash(f"vPDQ frame {n}: the quality is not a whole number from 0 to 100")
    t = float(seconds) if _SECONDS.fullmatch(seconds) else math.nan
    if not math.isfinite(t):
        raise InvalidHash(f"vPDQ frame {n}: the time is not a number of seconds")
    if t < 0:
        raise InvalidHash(f"vPDQ frame {n}: the time is negative")
    if t > VPDQ_MAX_SECONDS:
        raise InvalidHash(f"vPDQ frame {n}: the time is over {VPDQ_MAX_SECONDS:.0f} seconds")
    return VpdqFrame(pdq.lower(), int(quality), round(t * 1000))


def canonical_vpdq(frames: Iterable[VpdqFrame]) -> str:
    """The one string a vPDQ value is stored and compared as: python-threatexchange's JSON array
    (``json.dumps`` separators), PDQ lower-case, seconds with exactly three decimals.

    Two lists writing the same video's frames differently (upper-case hex, ``1.0`` or ``1.000``
    seconds, ``;``-separated) give the same string, hence the same SHA-256 (the entry's value).
    """
    return json.dumps(
        [f"{f.pdq},{f.quality},{f.timestamp_ms // 1000}.{f.timestamp_ms % 1000:03d}" for f in frames]
    )


def uk_grade(raw: str) -> str:
    """A UK grade written ``A``, ``a``, ``Category A`` or ``Cat. B`` as ``A``/``B``/``C``; else as given."""
    m = re.fullmatch(r"(?i)(?:cat(?:egory)?\.?\s*)?([abc])", raw.strip())
    return m.group(1).upper() if m else raw.strip()


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One hash of one list entry, normalised: what the store keeps per row."""

    hash_type: HashType
    value: str
    category: str | None = None
    series: str | None = None
    flags: tuple[str, ...] = ()
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListItem:
    """One entry of a list with all its hashes. ``place`` says where it is in the file."""

    hashes: tuple[tuple[HashType, str], ...]
    place: str
    category: str | None = None
    series: str | None = None
    flags: tuple[str, ...] = ()
    external_id: str | None = None
    unsupported: tuple[str, ...] = ()
    """Names of hashes the list gives for this entry that Veilleur does not keep (NetClean…)."""
    rejected: tuple[tuple[HashType, str, str], ...] = ()
    """``(hash type, the list's name for it, what is wrong)`` of each fingerprint of this entry
    that is malformed (a shortened PhotoDNA value…): left out, noted, the rest of the entry kept.
    Never the value itself."""

    def entries(self) -> Iterator[ListEntry]:
        for hash_type, value in self.hashes:
            yield ListEntry(hash_type, value, self.category, self.series, self.flags, self.external_id)


@dataclass(frozen=True, slots=True)
class ListDeletion:
    """The list withdraws the entry it calls ``external_id`` (or the given hashes)."""

    place: str
    external_id: str | None = None
    hashes: tuple[tuple[HashType, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ListMeta:
    """What the file says about itself; None where it says nothing."""

    scheme: str | None = None
    full: bool | None = None
    version: str | None = None
    format_version: str | None = None
    records_complete: bool = False
    """Each item carries every hash its entry has now, so hashes an earlier version gave for the
    same ``external_id`` and this item no longer has are withdrawn (NCMEC updates)."""


ListRecord = ListItem | ListDeletion | ListMeta


@dataclass(frozen=True)
class ReadOptions:
    hash_type: HashType | None = None
    """The type of bare values whose type the file does not say (plain lists, a CSV ``hash``
    column): required for 64-hex-character values, which are SHA-256 or PDQ."""


# -- the plug-in interface ----------------------------------------------------------------------


class ListFormat(ABC):
    """A hash-list format: recognises its files and reads them as a stream of records.

    Implementations are small and stateless; one instance of each is registered in
    :mod:`veilleur.lists.formats`. ``read`` must stream (bounded memory whatever the file size),
    raise :class:`~veilleur.errors.BadInput` naming the file and the place (line, byte offset,
    XML element) for anything malformed, and never put a hash value in an error message.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    full_by_default: ClassVar[bool] = True
    """Whether a file of this format is a whole list (entries it lacks were removed) unless the
    file or the operator says otherwise."""

    @abstractmethod
    def sniff(self, head: bytes, filename: str) -> bool:
        """Whether a file starting with ``head`` (up to 64 KiB) is of this format."""

    @abstractmethod
    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        """The file's records in file order. ``name`` is the file as errors should name it."""


@dataclass
class TextLines:
    """Lines of a UTF-8 text stream with their 1-based numbers; a UTF-8 BOM is skipped."""

    stream: IO[bytes]
    name: str
    lineno: int = field(default=0, init=False)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        first = True
        for raw in self.stream:
            self.lineno += 1
            if first:
                first = False
                check_not_utf16(raw, self.name)
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise BadInput(
                    "invalid UTF-8",
                    file=self.name,
                    place=f"line {self.lineno}, byte {e.start + 1} of the line",
                ) from e
            yield self.lineno, text


def check_not_utf16(head: bytes, name: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput(
            "the file is UTF-16 text; hash lists are read as UTF-8 "
            "(convert it, e.g. iconv -f UTF-16 -t UTF-8)",
            file=name,
            place="byte 0",
        )
