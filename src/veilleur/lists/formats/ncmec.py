"""NCMEC hash-sharing XML (API v2 ``entries`` responses): additions, updates and deletions.

Shape (namespace ``https://hashsharing.ncmec.org/hashsharing/v2``; any namespace is accepted)::

    <queryResult>
      <images count=… maxTimestamp=…>
        <image> <member id=…/> <timestamp/> <id/> <classification/>
                <fingerprints><md5/><sha1/><pdna/><pdq/>…</fingerprints> <feedback>…</feedback> </image>
        <deletedImage> <member/> <id/> <timestamp/> </deletedImage>
      </images>
      <videos …> <video>…</video> <deletedVideo>…</deletedVideo> </videos>
      <paging><next/></paging>
    </queryResult>

An entries response is a delta: the entries changed in a time range. So a file of this format
is imported as a delta (entries it does not mention stay as they are), ``deletedImage`` /
``deletedVideo`` withdraw the entry with that id, and an ``image``/``video`` carries every
fingerprint its entry has now (a fingerprint an earlier version gave for the same id and this one
lacks is withdrawn). The entry's identifier is ``image:<id>`` or ``video:<id>``;
``classification`` (e.g. ``A1``) is its category; flags are ``media:image|video``,
``member:<id>`` and ``feedback:affirmative|negative:<fingerprint type>`` from ``feedback``.
Fingerprints kept: ``md5``, ``sha1``, ``pdq``, ``pdna`` (PhotoDNA, stored, never matched);
``netclean``, ``videntifier``, ``tmk-pdqf``, ``ssvh-*`` and fingerprints given only by reference
(``href``) are counted as unsupported. The version label is the largest ``maxTimestamp``.

Parsed with ``lxml.etree.iterparse`` one entry at a time (entities are not resolved, nothing is
fetched); an XML error names its line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from lxml import etree

from veilleur.errors import BadInput
from veilleur.lists.base import (
    HashType,
    InvalidHash,
    ListDeletion,
    ListFormat,
    ListItem,
    ListMeta,
    ListRecord,
    ReadOptions,
    normalise_hash,
)

_FINGERPRINTS: dict[str, HashType] = {
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "pdq": "pdq",
    "pdna": "photodna",
}
_ENTRIES = {"image": "image", "video": "video"}
_DELETED = {"deletedimage": "image", "deletedvideo": "video"}


class NcmecFormat(ListFormat):
    name = "ncmec"
    description = "NCMEC hash-sharing XML (v2 entries, with deletions)"
    full_by_default = False

    def sniff(self, head: bytes, filename: str) -> bool:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        h = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        return h.startswith(b"<") and (b"queryResult" in head or b"hashsharing" in head)

    def read(self, stream: IO[bytes], *, name: str, options: ReadOptions) -> Iterator[ListRecord]:
        return _read(stream, name)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read(stream: IO[bytes], name: str) -> Iterator[ListRecord]:
    yield ListMeta(full=False, records_complete=True, format_version="NCMEC hash sharing v2")
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    max_timestamp: str | None = None
    try:
        for event, el in events:
            if not isinstance(el.tag, str):
                continue
            tag = _local(el.tag)
            if event == "start":
                depth += 1
                if depth == 1 and tag != "queryResult":
                    raise BadInput(
                        f"not an NCMEC hash-sharing entries document (root element <{tag}>)",
                        file=name,
                        place=f"line {el.sourceline}",
                    )
                if depth == 2 and tag in ("images", "videos"):
                    ts = el.get("maxTimestamp")
                    if ts and (max_timestamp is None or ts > max_timestamp):
                        max_timestamp = ts
                continue
            depth -= 1
            if depth != 2:
                continue
            low = tag.lower()
            if low in _ENTRIES:
                yield _item(el, _ENTRIES[low], name)
            elif low in _DELETED:
                yield _deletion(el, _DELETED[low], name)
            # Entries are independent: drop each once read, so memory stays flat.
            el.clear(keep_tail=True)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as e:
        line, column = e.position if e.position else (e.lineno, 0)
        raise BadInput(
            f"XML not well-formed: {e.msg}", file=name, place=f"line {line}, column {column}"
        ) from None
    if depth != 0:  # pragma: no cover - lxml reports an unclosed document itself
        raise BadInput("XML ends inside an element (truncated?)", file=name)
    if max_timestamp:
        yield ListMeta(version=max_timestamp)


def _children(el: etree._Element) -> dict[str, etree._Element]:
    return {_local(c.tag).lower(): c for c in el if isinstance(c.tag, str)}


def _entry_id(el: etree._Element, tag: str, name: str) -> str:
    id_el = _children(el).get("id")
    text = (id_el.text or "").strip() if id_el is not None else ""
    if not text:
        raise BadInput(f"<{tag}> without an <id>", file=name, place=f"line {el.sourceline}")
    return text


def _item(el: etree._Element, kind: str, name: str) -> ListItem:
    entry_id = _entry_id(el, kind, name)
    place = f"line {el.sourceline} (<{kind}> {entry_id})"
    children = _children(el)
    hashes: list[tuple[HashType, str]] = []
    unsupported: list[str] = []
    rejected: list[tuple[HashType, str, str]] = []
    fingerprints = children.get("fingerprints")
    for fp in fingerprints if fingerprints is not None else ():
        if not isinstance(fp.tag, str):
            continue
        fp_name = _local(fp.tag).lower()
        hash_type = _FINGERPRINTS.get(fp_name)
        text = (fp.text or "").strip()
        if hash_type is None or (not text and fp.get("href")):
            unsupported.append(fp_name)
            continue
        try:
            hashes.append((hash_type, normalise_hash(hash_type, text)))
        except InvalidHash as e:
            # One fingerprint a feed sent malformed costs that fingerprint, not the file.
            rejected.append((hash_type, f"<{fp_name}> (line {fp.sourceline})", str(e)))
    flags = [f"media:{kind}"]
    member = children.get("member")
    if member is not None and member.get("id"):
        flags.append(f"member:{member.get('id')}")
    feedback = children.get("feedback")
    for fb in feedback if feedback is not None else ():
        if not isinstance(fb.tag, str):
            continue
        opinion = _local(fb.tag).lower().removesuffix("feedback")
        if opinion in ("affirmative", "negative"):
            flags.append(f"feedback:{opinion}:{(fb.get('type') or 'all').lower()}")
    classification = children.get("classification")
    category = (classification.text or "").strip() if classification is not None else ""
    return ListItem(
        hashes=tuple(dict.fromkeys(hashes)),
        place=place,
        category=category or None,
        flags=tuple(sorted(set(flags))),
        external_id=f"{kind}:{entry_id}",
        unsupported=tuple(unsupported),
        rejected=tuple(rejected),
    )


def _deletion(el: etree._Element, kind: str, name: str) -> ListDeletion:
    entry_id = _entry_id(el, f"deleted{kind.capitalize()}", name)
    return ListDeletion(
        place=f"line {el.sourceline} (<deleted{kind.capitalize()}> {entry_id})",
        external_id=f"{kind}:{entry_id}",
    )
