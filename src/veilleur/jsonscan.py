"""A streaming reader for very large JSON documents that knows the byte offset of every value.

Telegram Desktop writes one ``result.json`` for a whole account, sometimes tens of GB, and writes
it by hand: control bytes inside strings come out as ``\\xHH``, which is not JSON. Off-the-shelf
streaming parsers (ijson) neither give byte offsets, which citations need, nor accept those
escapes. This reader walks the document's structure with a small tokenizer, lets the caller
descend into objects and arrays, and hands each leaf or array element over as a byte span that
is repaired (``\\xHH`` → ``\\u00HH``, each repair reported with its offset) and decoded by orjson.

Memory stays bounded by the largest single value the caller decodes (one message), not by the
file. Offsets are offsets in the file as it is on disk, before any repair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from veilleur.errors import BadInput

CHUNK = 1 << 22
FAST_WINDOW = 4 * CHUNK
"""How far ahead the pretty-print fast path looks for a closing bracket (one message is far less)."""
_WS = b" \t\r\n"
# An escape ``\xHH`` is invalid JSON only if its backslash is itself unescaped, i.e. preceded by
# an even number of backslashes. A NUL (``\x00`` as Telegram writes it, or ``\u0000``) is read as
# U+FFFD, as the HTML reader does: PostgreSQL text cannot hold it, and SQLite must store the same.
_BAD_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\(?:x([0-9A-Fa-f]{2})|u0000)")
_SPECIAL = re.compile(rb'["{}\[\]]')
_NUMBER_END = re.compile(rb"[,}\]\s]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by surrogateescape

RepairSink = Callable[[int, str, str], None]
"""Called with (file byte offset, repair kind, detail) for every repair."""


class JsonScanner:
    """Cursor over a JSON byte stream. ``pos`` is relative to ``buf``; ``base + pos`` is absolute."""

    def __init__(
        self,
        f: IO[bytes],
        *,
        name: str,
        on_repair: RepairSink | None = None,
        lenient_utf8: bool = False,
        start: int = 0,
    ) -> None:
        self.f = f
        self.name = name
        self.on_repair = on_repair
        self.lenient_utf8 = lenient_utf8
        self.buf = b""
        self.pos = 0
        self.base = start
        self.eof = False
        self._decoded: tuple[int, bytes, Any] | None = None
        self._layout_fast = True

    # -- buffer -------------------------------------------------------------------------------
    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _more(self, keep: int) -> int | None:
        """Read another chunk, keeping ``buf[keep:]``; return how far indices moved (None at EOF)."""
        if self.eof:
            return None
        data = self.f.read(CHUNK)
        if not data:
            self.eof = True
            return None
        self.base += keep
        self.buf = self.buf[keep:] + data
        self.pos -= keep
        return keep

    def error(self, what: str, at: int | None = None) -> BadInput:
        at = self.offset if at is None else at
        return BadInput(what, file=self.name, place=f"byte {at}")

    def skip_ws(self) -> int:
        """Skip whitespace and return the next byte (-1 at end of file)."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if self._more(pos) is None:
                return -1

    def expect(self, byte: bytes) -> None:
        c = self.skip_ws()
        if c == -1:
            raise self.error(f"file ends early (truncated?): expected {byte.decode()!r}")
        if c != byte[0]:
            raise self.error(f"expected {byte.decode()!r}, found {chr(c)!r}")
        self.pos += 1

    # -- spans --------------------------------------------------------------------------------
    def _string_close(self, keep: int, q0: int) -> tuple[int, int]:
        """For the string opening at ``q0``: (total shift of indices, index just past its end)."""
        shift = 0
        i = q0 + 1
        while True:
            q = self.buf.find(b'"', i)
            if q == -1:
                old_len = len(self.buf)
                s = self._more(keep - shift)
                if s is None:
                    raise self.error("file ends inside a string (truncated?)", self.base + q0)
                shift += s
                i = old_len - s
                q0 -= s
                continue
            k = q - 1
            while k > q0 and self.buf[k] == 0x5C:  # backslashes before the quote
                k -= 1
            if (q - 1 - k) % 2 == 0:
                return shift, q + 1
            i = q + 1

    def value_span(self) -> tuple[int, int]:
        """Locate the next value; return its (start, end) indices in ``buf`` and move past it.

        Objects and arrays are matched bracket by bracket, skipping strings; a fast path first
        tries the pretty-printed layout Telegram writes (the closing bracket on its own line at
        the opening line's indentation) and keeps it only if that span decodes as one value.
        """
        c = self.skip_ws()
        if c == -1:
            raise self.error("file ends early (truncated?): expected a value")
        start = self.pos
        if c == 0x22:
            shift, end = self._string_close(start, start)
            start -= shift
        elif c in (0x7B, 0x5B):
            start, end = self._container_end(start)
        else:  # number, true, false, null
            while True:
                m = _NUMBER_END.search(self.buf, start)
                if m:
                    end = m.start()
                    break
                s = self._more(start)
                if s is None:
                    end = len(self.buf)
                    break
                start -= s
        self.pos = end
        return start, end

    def _container_end(self, start: int) -> tuple[int, int]:
        close = b"}" if self.buf[start] == 0x7B else b"]"
        line_start = self.buf.rfind(b"\n", 0, start) + 1
        indent = self.buf[line_start:start]
        if self._layout_fast and line_start > 0 and indent.strip(b" ") == b"":
            needle = b"\n" + indent + close
            i = start
            while True:
                j = self.buf.find(needle, i)
                if j != -1:
                    end = j + len(needle)
                    data = self._repair(self.buf[start:end], self.base + start, report=False)
                    try:
                        value = orjson.loads(data)
                    except orjson.JSONDecodeError:
                        break
                    # The check decoded the value: keep it so that reading it costs nothing more.
                    self._decoded = (self.base + start, data, value)
                    return start, end
                if len(self.buf) - start > FAST_WINDOW:
                    # Not laid out as Telegram writes it. Looking this far ahead for every
                    # value would make the scan quadratic: use the general path from now on.
                    self._layout_fast = False
                    break
                old_len = len(self.buf)
                s = self._more(start)
                if s is None:
                    break
                start -= s
                i = max(start, old_len - s - len(needle))
        return self._container_end_slow(start)

    def _container_end_slow(self, start: int) -> tuple[int, int]:
        depth = 0
        i = start
        while True:
            m = _SPECIAL.search(self.buf, i)
            if m is None:
                old_len = len(self.buf)
                s = self._more(start)
                if s is None:
                    raise self.error("file ends inside an object or array (truncated?)", self.base + start)
                start -= s
                i = old_len - s
                continue
            j = m.start()
            ch = self.buf[j]
            if ch == 0x22:
                shift, i = self._string_close(start, j)
                start -= shift
                continue
            if ch in (0x7B, 0x5B):
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return start, j + 1
            i = j + 1

    # -- decoding -----------------------------------------------------------------------------
    def _repair(self, data: bytes, at: int, *, report: bool = True) -> bytes:
        if b"\\x" not in data and b"\\u0000" not in data:
            return data

        def fix(m: re.Match[bytes]) -> bytes:
            hh = m.group(2)
            nul = hh is None or hh == b"00"
            if report and self.on_repair is not None:
                where = at + m.start() + len(m.group(1))
                if hh is None:
                    self.on_repair(where, "nul_byte", "\\u0000 (NUL) read as U+FFFD")
                else:
                    got = "U+FFFD (NUL)" if nul else f"\\u00{hh.decode()}"
                    self.on_repair(where, "invalid_escape", f"\\x{hh.decode()} read as {got}")
            return m.group(1) + (b"\\ufffd" if nul else b"\\u00" + hh)

        return _BAD_ESCAPE.sub(fix, data)

    def decode(self, start: int, end: int) -> Any:
        """Decode ``buf[start:end]`` (one complete value), repairing what Telegram writes wrongly."""
        return self._decode(start, end)[1]

    def _decode(self, start: int, end: int) -> tuple[bytes, Any]:
        at = self.base + start
        cached = self._decoded
        if cached is not None and cached[0] == at:
            self._decoded = None
            if cached[1] != self.buf[start:end]:  # repairs were made: report them now
                self._repair(self.buf[start:end], at)
            return cached[1], cached[2]
        original = self.buf[start:end]
        data = self._repair(original, at)
        return data, self._loads(data, at, original)

    def _loads(self, data: bytes, at: int, original: bytes | None = None) -> Any:
        """Decode ``data`` (``original`` after escape repair); errors cite offsets in ``original``."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as e:
            bad = _first_bad_utf8(data)
            if bad is None:  # not an encoding problem (a lone surrogate escape is not one either)
                raise self._malformed(data, at, original) from e
            where = at + _original_pos(original, bad)
            if not self.lenient_utf8:
                raise self.error(
                    "invalid UTF-8 (re-run with --lenient-utf8 to import with U+FFFD, logged)", where
                ) from e
            try:
                value = orjson.loads(data.decode("utf-8", "replace").encode("utf-8"))
            except orjson.JSONDecodeError as e2:
                raise self._malformed(data, at, original) from e2
            if self.on_repair is not None:
                self.on_repair(where, "invalid_utf8", "undecodable bytes replaced by U+FFFD")
            return value

    def _malformed(self, data: bytes, at: int, original: bytes | None) -> BadInput:
        """The syntax error in ``data``, placed at its byte in the file (orjson counts characters)."""
        text = data.decode("utf-8", "surrogateescape")
        probe = _UNDECODABLE.sub("\ufffd", text).encode("utf-8")  # one character per bad byte
        try:
            orjson.loads(probe)
        except orjson.JSONDecodeError as e:
            pos = len(text[: e.pos].encode("utf-8", "surrogateescape"))
            return self.error(f"malformed JSON: {e.msg}", at + _original_pos(original, pos))
        return self.error("malformed JSON", at)

    def read_value(self) -> tuple[int, Any]:
        """Read the next value whole: (absolute offset, decoded value)."""
        start, end = self.value_span()
        return self.base + start, self.decode(start, end)

    def read_value_raw(self) -> tuple[int, int, bytes, Any]:
        """Like :meth:`read_value`: (offset, length on disk, bytes after escape repair, value)."""
        start, end = self.value_span()
        data, value = self._decode(start, end)
        return self.base + start, end - start, data, value

    def skip_value(self) -> int:
        start, _ = self.value_span()
        return self.base + start

    # -- structure ----------------------------------------------------------------------------
    def object_keys(self) -> Iterator[str]:
        """Iterate the keys of the object at the cursor; the caller must consume each value."""
        self.expect(b"{")
        first = True
        while True:
            c = self.skip_ws()
            if c == 0x7D:
                self.pos += 1
                return
            if not first:
                if c != 0x2C:
                    if c == -1:
                        raise self.error("file ends inside an object (truncated?)")
                    raise self.error(f"expected ',' or '}}', found {chr(c)!r}")
                self.pos += 1
                self.skip_ws()
            first = False
            _, key = self.read_value()
            if not isinstance(key, str):
                raise self.error("object key is not a string")
            self.expect(b":")
            yield key

    def array_items(self) -> Iterator[int]:
        """Iterate the elements of the array at the cursor, yielding each element's offset.

        The caller must consume each element (read, decode or skip) before asking for the next.
        """
        self.expect(b"[")
        first = True
        while True:
            c = self.skip_ws()
            if c == 0x5D:
                self.pos += 1
                return
            if not first:
                if c != 0x2C:
                    if c == -1:
                        raise self.error("file ends inside an array (truncated?)")
                    raise self.error(f"expected ',' or ']', found {chr(c)!r}")
                self.pos += 1
                self.skip_ws()
            first = False
            yield self.offset

    def at_end(self) -> bool:
        return self.skip_ws() == -1


def _first_bad_utf8(data: bytes) -> int | None:
    """Index of the first byte of ``data`` that is not valid UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start
    return None


def _original_pos(original: bytes | None, pos: int) -> int:
    """Map an index in repaired bytes back to ``original`` (each ``\\xHH`` grew into ``\\u00HH``)."""
    if original is None or (b"\\x" not in original and b"\\u0000" not in original):
        return pos
    grown = 0
    for m in _BAD_ESCAPE.finditer(original):
        escape = m.start() + len(m.group(1)) + grown  # where the repaired escape starts
        if pos < escape:
            break
        if pos < escape + 6:
            return escape - grown
        if m.group(2) is not None:  # \xHH grew by 2 bytes, \u0000 kept its length
            grown += 2
    return pos - grown
