"""The streaming JSON scanner: values and byte offsets whatever the chunking, ``\\xHH`` repair, errors.

Offsets are checked against an independent reader (``json.JSONDecoder.raw_decode`` started at the
offset), and every document is also read with tiny read chunks (``CHUNK`` of 1, 3 and 7 bytes) so
that every token, string and bracket straddles a chunk boundary somewhere.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import veilleur.jsonscan as jsonscan
from veilleur.demo.tdesktop_json import JsonWriter, Message, Part, Peer
from veilleur.errors import BadInput
from veilleur.jsonscan import JsonScanner

CHUNKS = [1 << 22, 7, 3, 1]
OBJECT, ARRAY = ("container", "{"), ("container", "[")  # tuples: no JSON value equals them

TRICKY = {
    "braces": "{not an object}",
    "brackets": "[not, an, array]",
    "quotes": 'she said "hi" and "bye"',
    "backslashes": "C:\\dir\\file \\\\ end\\",
    "mixed": '}]\\"[{',
    "ends_with_backslash": "\\",
    "only_quote": '"',
    "newline_bracket": "line\n }\n]",
    "unicode": "é ü € 😀 \u2028 ok",
    "nested": [{"a": "}"}, ["]", "[", "{"], {"b": {"c": ['\\"', "x"]}}, [], {}],
    "numbers": [0, -1, 2.5, -3e-2, 12345678901234567890, True, False, None],
    "empty": {"o": {}, "a": [], "s": ""},
    "brace key {": "value",
}


def walk(
    sc: JsonScanner, path: str = "$", out: list[tuple[str, int, Any]] | None = None
) -> list[tuple[str, int, Any]]:
    """Every element of the document: (path, byte offset, value, or OBJECT / ARRAY for containers)."""
    out = [] if out is None else out
    c = sc.skip_ws()
    if c == ord("{"):
        out.append((path, sc.offset, OBJECT))
        for key in sc.object_keys():
            walk(sc, f"{path}.{key}", out)
    elif c == ord("["):
        out.append((path, sc.offset, ARRAY))
        for i, at in enumerate(sc.array_items()):
            assert at == sc.offset
            walk(sc, f"{path}[{i}]", out)
    else:
        at, value = sc.read_value()
        out.append((path, at, value))
    return out


def scan(data: bytes, **kw: Any) -> list[tuple[str, int, Any]]:
    sc = JsonScanner(io.BytesIO(data), name="doc.json", **kw)
    out = walk(sc)
    assert sc.at_end()
    return out


def reference(data: bytes, offset: int) -> Any:
    """The value starting at byte ``offset``, read by the standard library (independent check)."""
    text = data.decode("utf-8")
    idx = len(data[:offset].decode("utf-8"))
    value, _ = json.JSONDecoder().raw_decode(text, idx)
    return value


def documents() -> dict[str, bytes]:
    docs = {
        "minified": json.dumps(TRICKY, ensure_ascii=False, separators=(",", ":")).encode(),
        "spaced": json.dumps(TRICKY, ensure_ascii=False).encode(),
        "pretty1": json.dumps(TRICKY, ensure_ascii=False, indent=1).encode(),
        "pretty4": json.dumps(TRICKY, ensure_ascii=True, indent=4).encode(),
        "crlf_tabs": json.dumps(TRICKY, ensure_ascii=False, indent="\t").replace("\n", "\r\n").encode(),
    }
    # A document as Telegram Desktop writes it (one-space indent, no final newline).
    buf = io.BytesIO()
    w = JsonWriter(buf, 3600, single_chat=True)
    w.begin_dialog("private_group", 42, "Chat {with} [brackets]")
    peer = Peer("user", 7, "Ann", "Example")
    for i, text in enumerate(["plain", '}\n]"', "\\", "{[", 'end \\" quote'], start=1):
        w.write_message(Message(i, 1_700_000_000 + i, peer, (Part("plain", text), Part("bold", "}"))))
    w.end_dialog()
    w.finish()
    docs["tdesktop"] = buf.getvalue()
    return docs


DOCS = documents()


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_values_and_offsets_do_not_depend_on_chunking(
    monkeypatch: pytest.MonkeyPatch, name: str, chunk: int
) -> None:
    data = DOCS[name]
    expected = scan(data)
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    assert scan(data) == expected


@pytest.mark.parametrize("name", sorted(DOCS))
def test_offsets_point_at_the_first_byte_of_each_element(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    data = DOCS[name]
    monkeypatch.setattr(jsonscan, "CHUNK", 7)
    elements = scan(data)
    assert elements[0][1] == 0
    for path, at, value in elements:
        first = data[at : at + 1]
        if value in (OBJECT, ARRAY):
            assert first == value[1].encode(), path
            continue
        assert first in (b'"', b"-", b"t", b"f", b"n") or first.isdigit(), (path, first)
        assert reference(data, at) == value, path


def test_pretty_and_minified_give_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", 7)

    def values(data: bytes) -> list[tuple[str, Any]]:
        return [(p, v) for p, _, v in scan(data)]

    base = values(DOCS["minified"])
    for name in ("spaced", "pretty1", "pretty4", "crlf_tabs"):
        assert values(DOCS[name]) == base, name
    # And the whole document as the standard library reads it.
    assert reference(DOCS["pretty1"], 0) == TRICKY


def test_tdesktop_messages_are_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = DOCS["tdesktop"]
    for chunk in CHUNKS:
        monkeypatch.setattr(jsonscan, "CHUNK", chunk)
        sc = JsonScanner(io.BytesIO(data), name="result.json")
        seen = []
        for key in sc.object_keys():
            if key != "messages":
                sc.read_value()
                continue
            for at in sc.array_items():
                start, length, raw, msg = sc.read_value_raw()
                assert start == at and data[at : at + 1] == b"{"
                assert raw == data[at : at + length]
                assert json.loads(raw) == msg == reference(data, at)
                seen.append(msg["text_entities"][0]["text"])
        assert sc.at_end()
        assert seen == ["plain", '}\n]"', "\\", "{[", 'end \\" quote'], chunk


@pytest.mark.parametrize("chunk", CHUNKS)
def test_skip_value_then_read(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    data = DOCS["pretty1"]
    sc = JsonScanner(io.BytesIO(data), name="doc.json")
    got = {}
    for key in sc.object_keys():
        if key in ("nested", "braces"):
            at = sc.skip_value()
            assert reference(data, at) == TRICKY[key]
        else:
            got[key] = sc.read_value()[1]
    assert got == {k: v for k, v in TRICKY.items() if k not in ("nested", "braces")}


# -- \xHH repair --------------------------------------------------------------------------------


def _read_with_repairs(data: bytes, **kw: Any) -> tuple[Any, list[tuple[int, str, str]]]:
    repairs: list[tuple[int, str, str]] = []
    sc = JsonScanner(io.BytesIO(data), name="doc.json", on_repair=lambda *r: repairs.append(r), **kw)
    _, value = sc.read_value()
    return value, repairs


@pytest.mark.parametrize("chunk", CHUNKS)
def test_hex_escapes_are_repaired_at_their_exact_offsets(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    # \x01 (a real escape), \\x41 (escaped backslash then "x41": text), \\\x42 (backslash, then \x42).
    data = b'[\n {\n  "t": "a\\x01b \\\\x41 c\\\\\\x42 \\x1F\\x1f",\n  "k\\x02": "\xc3\xa9\\x03"\n }\n]'
    value, repairs = _read_with_repairs(data)
    assert value == [{"t": "a\x01b \\x41 c\\B \x1f\x1f", "k\x02": "é\x03"}]
    expected_at = [
        data.index(b"\\x01"),
        data.index(b"\\x42"),
        data.index(b"\\x1F"),
        data.index(b"\\x1f"),
        data.index(b"\\x02"),
        data.index(b"\\x03"),
    ]
    assert [r[0] for r in repairs] == expected_at
    assert all(data[at : at + 2] == b"\\x" for at in expected_at)
    assert data[data.index(b"\\x42") - 2 : data.index(b"\\x42")] == b"\\\\"  # its own backslash is real
    assert {r[1] for r in repairs} == {"invalid_escape"}
    assert repairs[0][2] == "\\x01 read as \\u0001"


@pytest.mark.parametrize("text", [b"\\\\x41", b"\\\\\\\\x41", b"x\\\\x00y", b"\\u0041x41"])
def test_escaped_backslash_before_x_is_not_repaired(text: bytes) -> None:
    data = b'{"t": "' + text + b'"}'
    value, repairs = _read_with_repairs(data)
    assert repairs == []
    assert value == json.loads(data)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_nul_is_read_as_replacement_character(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    data = b'{"a": "x\\x00y\\u0000z\\\\u0000", "\\x00": 1}\n'
    value, repairs = _read_with_repairs(data)
    assert value == {"a": "x\ufffdy\ufffdz\\u0000", "\ufffd": 1}
    assert [(at, kind) for at, kind, _ in repairs] == [
        (data.index(b"\\x00"), "invalid_escape"),
        (data.index(b"\\u0000"), "nul_byte"),
        (data.rindex(b"\\x00"), "invalid_escape"),
    ]
    # Offsets of later errors still map back to the file through both kinds of repair.
    bad = data.replace(b'"\\x00": 1}', b'"\\x00" 1}')
    with pytest.raises(BadInput) as info:
        _read_with_repairs(bad)
    assert info.value.place == f"byte {bad.index(b' 1}') + 1}"


@pytest.mark.parametrize("chunk", CHUNKS)
def test_repairs_in_pretty_printed_messages_are_reported_once(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Messages laid out as Telegram writes them take the scanner's fast path: same repairs."""
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    data = (
        b'{\n "messages": [\n  {\n   "id": 1,\n   "text": "a\\u0000b"\n  },\n'
        b'  {\n   "id": 2,\n   "text": "c\\x01d\\x00"\n  },\n  {\n   "id": 3\n  }\n ]\n}'
    )
    repairs: list[tuple[int, str, str]] = []
    sc = JsonScanner(io.BytesIO(data), name="doc.json", on_repair=lambda *r: repairs.append(r))
    texts = []
    for key in sc.object_keys():
        assert key == "messages"
        for at in sc.array_items():
            start, length, _raw, msg = sc.read_value_raw()
            assert start == at and data[at + length - 1 : at + length] == b"}"
            texts.append(msg.get("text"))
    assert texts == ["a\ufffdb", "c\x01d\ufffd", None]
    assert [(at, kind) for at, kind, _ in repairs] == [
        (data.index(b"\\u0000"), "nul_byte"),
        (data.index(b"\\x01"), "invalid_escape"),
        (data.index(b"\\x00"), "invalid_escape"),
    ]


def test_escape_repair_keeps_raw_bytes_apart_from_the_escape() -> None:
    data = b'[{"t": "a\\x01b"}]'
    sc = JsonScanner(io.BytesIO(data), name="doc.json")
    for at in sc.array_items():
        start, length, raw, msg = sc.read_value_raw()
        assert (start, length) == (at, len(b'{"t": "a\\x01b"}'))
        assert raw == b'{"t": "a\\u0001b"}'
        assert msg == {"t": "a\x01b"}


# -- errors -------------------------------------------------------------------------------------


def _error(data: bytes, **kw: Any) -> BadInput:
    with pytest.raises(BadInput) as info:
        scan(data, **kw)
    err = info.value
    assert err.file == "doc.json"
    assert err.place is not None and err.place.startswith("byte ")
    assert str(err).startswith(f"doc.json: {err.place}: ")
    return err


def _at(err: BadInput) -> int:
    assert err.place is not None
    return int(err.place.removeprefix("byte "))


@pytest.mark.parametrize("chunk", CHUNKS)
def test_invalid_utf8_names_the_byte(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    data = b'{"a": "ok",\n "b": ["\xc3\xa9 \\x01 caf\xe9 \xff", 2]}'
    err = _error(data)
    assert "invalid UTF-8" in err.message
    assert _at(err) == data.index(b"\xe9 ")
    repairs: list[tuple[int, str, str]] = []
    sc = JsonScanner(
        io.BytesIO(data), name="doc.json", lenient_utf8=True, on_repair=lambda *r: repairs.append(r)
    )
    assert [v for _, _, v in walk(sc)][-3:] == [ARRAY, "é \x01 caf\ufffd \ufffd", 2]
    assert (data.index(b"\xe9 "), "invalid_utf8") in [(r[0], r[1]) for r in repairs]


@pytest.mark.parametrize(
    ("data", "token"),
    [
        (b'{"a": "\xc3\xa9\xc3\xa9 \\x01\\x02", "b" 1}', b"1}"),  # missing colon after multibyte text
        (b'[\n {"a": 1 "b": 2}\n]', b'"b"'),  # missing comma inside a value
        (b'[\n {"a": 1},\n {"a": 2}\n {"a": 3}\n]', b'{"a": 3}'),  # missing comma between elements
        (b'{"a": 1,\n "b": 2\n "c": 3}', b'"c"'),  # missing comma between keys
        (b'{"a": [1, 2,]}', b"]}"),  # trailing comma
        (b'{"a": tru}', b"}"),  # orjson stops where the literal should have gone on
        (b'{"a": "x\\q"}', b"\\q"),
        (b'{"a": "\\ud800"}', b"\\ud800"),  # lone surrogate escape: malformed, not an encoding error
    ],
)
@pytest.mark.parametrize("chunk", [1 << 22, 7])
def test_malformed_json_names_the_byte(
    monkeypatch: pytest.MonkeyPatch, data: bytes, token: bytes, chunk: int
) -> None:
    monkeypatch.setattr(jsonscan, "CHUNK", chunk)
    for lenient in (False, True):
        err = _error(data, lenient_utf8=lenient)
        expected = data.rindex(token) if token == b"}" else data.index(token)
        assert _at(err) == expected, (err, data[_at(err) :])


def test_every_truncation_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = DOCS["tdesktop"]
    for chunk in (1 << 22, 7):
        monkeypatch.setattr(jsonscan, "CHUNK", chunk)
        for cut in range(len(data)):
            if data[cut:].strip() == b"":
                continue
            err = _error(data[:cut])
            assert 0 <= _at(err) <= cut, (cut, err)
            assert "truncated" in err.message or "malformed" in err.message, (cut, err)


def test_truncated_inside_a_long_string_points_at_the_string(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'[\n {"a": "' + b"0123456789" * 10
    for chunk in CHUNKS:
        monkeypatch.setattr(jsonscan, "CHUNK", chunk)
        err = _error(data)
        assert _at(err) == data.index(b'"0123'), chunk
        assert "ends inside a string" in err.message


def test_layout_fast_path_gives_up_once_instead_of_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closers that are not where Telegram puts them must not make every value re-scan ahead."""
    import io

    import veilleur.jsonscan as jsonscan

    monkeypatch.setattr(jsonscan, "CHUNK", 1024)
    monkeypatch.setattr(jsonscan, "FAST_WINDOW", 4 * 1024)
    # Elements open at the start of an indented line but close on the same line as their last key.
    items = ",\n".join(f'  {{"id": {i}, "t": "{"x" * 50}"}}' for i in range(3000))
    data = ("[\n" + items + "\n]").encode()
    finds = 0
    sc = jsonscan.JsonScanner(io.BytesIO(data), name="odd.json")
    original = sc._container_end_slow

    def counted(start: int) -> tuple[int, int]:
        nonlocal finds
        finds += 1
        return original(start)

    monkeypatch.setattr(sc, "_container_end_slow", counted)
    values = []
    for _ in sc.array_items():
        values.append(sc.read_value()[1]["id"])
    assert values == list(range(3000))
    assert not sc._layout_fast
    assert finds == 3000  # every value took the general path, after a single look ahead
