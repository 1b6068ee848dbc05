"""Project VIC VICS JSON (OData), versions 1.x and 2.0: hash sets and case files, streamed.

Shapes read (entity and property names from the VICS 2.0 CSDL, namespace ``CEModel``):

* a **hash set**: ``{"@odata.context": "…/DataModels/2.0.xml/<PROFILE>/$metadata#Media",
  "value": [Media, …]}``;
* a **case file**: ``{"@odata.context": "…#Cases", "value": [{"CaseID": …, "Media": [Media, …]}]}``;
* VICS 1.x: the same with ``"odata.metadata": "…/ProjectVic/DataModels/1.1.xml#Cases"`` and
  ``odata.id`` / ``…@odata.navigationLinkUrl`` annotations (ignored).

From each ``Media`` record: ``MD5``, ``SHA1``, ``PhotoDNA`` (and ``SHA256``/``PDQ`` where a tool
adds them), ``AlternativeHashes[{HashName, HashValue}]``; ``Category`` (kept as the code the
list gives, e.g. ``"1"``), ``Series``, ``MediaID`` (the entry's identifier) and, as flags,
``VictimIdentified``, ``OffenderIdentified``, ``IsDistributed``, ``IsPrecategorized``,
``IsSuspected``, ``SelfGenerated`` when true, and each of ``Tags`` as ``tag:<tag>``. Case data
(``MediaFiles``, paths, EXIF, comments, contact fields) is not read into the store.

Property names are matched case-insensitively. The profile in the context (``US``, ``UK``,
``CUSTOM``) is the category scheme the file declares. The document is read with
:class:`~veilleur.jsonscan.JsonScanner`: one ``Media`` record in memory at a time, and
errors name the byte offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from veilleur.errors import BadInput
from veilleur.jsonscan import JsonScanner
from veilleur.lists.base import (
    HashType,
    InvalidHash,
    ListFormat,
    ListItem,
    ListMeta,
    ListRecord,
    ReadOptions,
    check_not_utf16,
    hash_type_named,
    normalise_hash,
    uk_grade,
)

_CONTEXT = re.compile(
    r"DataModels/(?P<version>\d+(?:\.\d+)*)\.xml(?:/(?P<profile>[^/#$]+))?(?:/\$metadata)?#(?P<set>\w+)",
    re.IGNORECASE,
)
_CONTEXT_HEAD = re.compile(rb'"(?:@odata\.context|odata\.metadata)"\s*:\s*"(?P<ctx>[^"]*)"', re.IGNORECASE)
_MD5_KEY = re.compile(rb'"md5"\s*:', re.IGNORECASE)
_PROFILES = {"us": "us", "uk": "uk", "custom": "custom"}
_HASH_FIELDS: tuple[tuple[str, HashType], ...] = (
    ("md5", "md5"),
    ("sha1", "sha1"),
    ("sha256", "sha256"),
    ("pdq", "pdq"),
    ("photodna", "photodna"),
)
_FLAG_FIELDS = {
    "victimidentified": "victim_identified",
    "offenderidentified": "offender_identified",
    "isdistributed": "distributed",
    "isprecategorized": "precategorized",
    "issuspected": "suspected",
    "selfgenerated": "self_generated",
}
_TAG_SPLIT = re.compile(r"[,;|]")
_BOM = b"\xef\xbb\xbf"


def json_object_head(head: bytes) -> bool:
    return head.removeprefix(_BOM).lstrip().startswith(b"{")


def declared_context(head: bytes) -> str | None:
    m = _CONTEXT_HEAD.search(head)
    return m.group("ctx").decode("utf-8", "replace") if m else None


def looks_vics(head: bytes) -> bool:
    if not json_object_head(head):
        return False
    ctx = declared_context(head)
    if ctx is not None:
        return "projectvic" in ctx.lower() or "vics" in ctx.lower() or _CONTEXT.search(ctx) is not None
    return b'"value"' in head and _MD5_KEY.search(head) is not None


def declares_uk(head: bytes) -> bool:
    ctx = declared_context(head)
    if ctx is None:
        return False
    m = _CONTEXT.search(ctx)
    return (m is not None and (m.group("profile") or "").lower() == "uk") or "caid" in ctx.lower()


class _Scanner(JsonScanner):
    """:class:`JsonScanner` without its look-ahead for Telegram's pretty-printed layout.

    VICS files come from many tools; when a value's closing bracket is not on its own line at the
    opening line's indentation, that look-ahead reads on (up to 64 chunks) before giving up, for
    every value: quadratic time and unbounded memory on a large list. Bracket matching alone is
    linear and keeps one record in memory.
    """

    def _container_end(self, start: int) -> tuple[int, int]:
        return self._container_end_slow(start)


class VicsFormat(ListFormat):
    name = "vics"
    description = "Project VIC VICS JSON 1.x / 2.0 (hash sets and case files)"
    uk_grades = False

    def sniff(self, head: bytes, filename: str) -> bool:
        return looks_vics(head) and not declares_uk(head)

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        return _VicsReader(stream, name, uk_grades=self.uk_grades).records()


class _VicsReader:
    def __init__(self, stream: IO[bytes], name: str, *, uk_grades: bool) -> None:
        self.stream = stream
        self.name = name
        self.uk_grades = uk_grades
        self.entity_set: str | None = None
        self.n = 0
        self.context_seen = False
        self.sc: JsonScanner

    def records(self) -> Iterator[ListRecord]:
        first = self.stream.read(3)
        check_not_utf16(first, self.name)
        skip = 3 if first == _BOM else 0
        self.stream.seek(skip)
        sc = self.sc = _Scanner(self.stream, name=self.name, start=skip)
        c = sc.skip_ws()
        if c == -1:
            raise sc.error("empty file: no VICS document")
        if c != 0x7B:
            raise sc.error("not a VICS document: expected a JSON object")
        seen_value = False
        for key in sc.object_keys():
            k = key.lower()
            if k in ("odata.metadata", "@odata.context"):
                at, ctx = sc.read_value()
                if not isinstance(ctx, str):
                    raise sc.error(f"{key} is not a string", at)
                self.context_seen = True
                yield self._meta(ctx)
            elif k == "value":
                seen_value = True
                yield from self._value()
            else:
                sc.skip_value()
        if not sc.at_end():
            raise sc.error("unexpected data after the JSON document")
        if not seen_value:
            raise BadInput(
                'no "value" array: not a VICS hash set or case file', file=self.name, place=f"byte {skip}"
            )
        if self.uk_grades and not self.context_seen:
            yield ListMeta(scheme="uk")

    def _meta(self, ctx: str) -> ListMeta:
        m = _CONTEXT.search(ctx)
        if m is None:
            return ListMeta(scheme="uk" if self.uk_grades else None)
        self.entity_set = m.group("set").lower()
        profile = (m.group("profile") or "").lower()
        scheme = _PROFILES.get(profile) or ("uk" if self.uk_grades else None)
        return ListMeta(scheme=scheme, format_version=f"VICS {m.group('version')}")

    def _value(self) -> Iterator[ListRecord]:
        sc = self.sc
        if sc.skip_ws() != 0x5B:
            raise sc.error('"value" is not an array')
        for off in sc.array_items():
            if self.entity_set == "media":
                at, rec = sc.read_value()
                yield self._item(rec, at)
            else:
                # A case, or (no context said which) a case or a media record: walked key by key,
                # so that a case's Media array is streamed and never held whole.
                yield from self._element(off)

    def _element(self, off: int) -> Iterator[ListRecord]:
        sc = self.sc
        if sc.skip_ws() != 0x7B:
            raise sc.error('expected a case or media object in "value"')
        fields: dict[str, Any] = {}
        is_case = self.entity_set == "cases"
        for key in sc.object_keys():
            if key.lower() == "media" and sc.skip_ws() in (0x5B, ord("n")):
                is_case = True
                yield from self._media_array()
            elif is_case:
                sc.skip_value()
            else:
                fields[key] = sc.read_value()[1]
        if not is_case:
            yield self._item(fields, off)

    def _media_array(self) -> Iterator[ListRecord]:
        sc = self.sc
        if sc.skip_ws() == ord("n"):
            sc.skip_value()
            return
        for _ in sc.array_items():
            at, rec = sc.read_value()
            yield self._item(rec, at)

    def _item(self, rec: Any, at: int) -> ListItem:
        self.n += 1
        place = f"byte {at} (media record {self.n})"
        if not isinstance(rec, dict):
            raise BadInput("media record is not a JSON object", file=self.name, place=place)
        r = {str(k).lower(): v for k, v in rec.items()}
        hashes: list[tuple[HashType, str]] = []
        unsupported: list[str] = []
        rejected: list[tuple[HashType, str, str]] = []
        for key, hash_type in _HASH_FIELDS:
            self._add_hash(hashes, rejected, hash_type, r.get(key), key.upper())
        alternatives = r.get("alternativehashes")
        if isinstance(alternatives, list):
            for alt in alternatives:
                if not isinstance(alt, dict):
                    raise BadInput("AlternativeHashes holds a non-object", file=self.name, place=place)
                a = {str(k).lower(): v for k, v in alt.items()}
                hash_name = a.get("hashname")
                if not isinstance(hash_name, str) or not hash_name.strip():
                    raise BadInput("alternative hash without a HashName", file=self.name, place=place)
                alt_type = hash_type_named(hash_name)
                if alt_type is None or alt_type == "vpdq":
                    # VICS documents no vPDQ serialisation: count it unsupported rather than
                    # refuse the whole file over a layout Veilleur cannot check.
                    unsupported.append(hash_name.strip())
                else:
                    self._add_hash(hashes, rejected, alt_type, a.get("hashvalue"), f"alternative {hash_name}")
        elif alternatives is not None:
            raise BadInput("AlternativeHashes is not an array", file=self.name, place=place)
        if not hashes and not unsupported and not rejected:
            raise BadInput(
                "media record without any hash (no MD5, SHA1 or PhotoDNA)", file=self.name, place=place
            )
        return ListItem(
            hashes=tuple(dict.fromkeys(hashes)),
            place=place,
            category=self._category(r.get("category"), place),
            series=_text(r.get("series")),
            flags=_flags(r),
            external_id=_text(r.get("mediaid")),
            unsupported=tuple(unsupported),
            rejected=tuple(rejected),
        )

    def _add_hash(
        self,
        hashes: list[tuple[HashType, str]],
        rejected: list[tuple[HashType, str, str]],
        hash_type: HashType,
        value: Any,
        what: str,
    ) -> None:
        """Add the normalised ``value``; a malformed one costs this fingerprint, not the file."""
        if value is None or value == "":
            return
        if not isinstance(value, str):
            rejected.append((hash_type, what, "the value is not a string"))
            return
        try:
            hashes.append((hash_type, normalise_hash(hash_type, value)))
        except InvalidHash as e:
            rejected.append((hash_type, what, str(e)))

    def _category(self, value: Any, place: str) -> str | None:
        if value is None or isinstance(value, bool):
            if isinstance(value, bool):
                raise BadInput("Category is true/false, not a category code", file=self.name, place=place)
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            code = value.strip()
            if not code:
                return None
            return uk_grade(code) if self.uk_grades else code
        raise BadInput("Category is neither a number nor a string", file=self.name, place=place)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _flags(r: dict[str, Any]) -> tuple[str, ...]:
    flags = [flag for key, flag in _FLAG_FIELDS.items() if r.get(key) is True]
    tags = r.get("tags")
    if isinstance(tags, str):
        flags.extend(f"tag:{t.strip()}" for t in _TAG_SPLIT.split(tags) if t.strip())
    elif isinstance(tags, list):
        flags.extend(f"tag:{t.strip()}" for t in tags if isinstance(t, str) and t.strip())
    return tuple(sorted(set(flags)))
