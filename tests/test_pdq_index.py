"""The PDQ index is exact: every reference within the radius, nothing beyond, on any data."""

from __future__ import annotations

import numpy as np
import pytest

from veilleur.matching.pdq_index import PdqIndex, bits_to_words, hex_to_words


def flip(words: np.ndarray, n_bits: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(words.view(np.uint8).reshape(-1, 32), axis=1)
    for row in bits:
        row[rng.choice(256, n_bits, replace=False)] ^= 1
    return np.packbits(bits, axis=1).view(np.uint64).reshape(-1, 4)


def brute(refs: np.ndarray, queries: np.ndarray, radius: int = 31) -> set[tuple[int, int, int]]:
    out = set()
    for i, q in enumerate(queries):
        d = np.bitwise_count(refs ^ q).sum(axis=1)
        out |= {(i, int(j), int(d[j])) for j in np.nonzero(d <= radius)[0]}
    return out


@pytest.mark.parametrize("clustered", [False, True])
def test_search_equals_brute_force(clustered: bool) -> None:
    rng = np.random.default_rng(11)
    if clustered:
        centres = rng.integers(0, 2**64, size=(200, 4), dtype=np.uint64)
        refs = np.concatenate([flip(np.repeat(centres, 25, axis=0), k, rng) for k in (0, 6, 14, 22)])
    else:
        refs = rng.integers(0, 2**64, size=(20_000, 4), dtype=np.uint64)
    src = rng.integers(0, len(refs), size=300)
    queries = np.concatenate(
        [flip(refs[src[i : i + 1]], i % 40, rng) for i in range(300)]
        + [rng.integers(0, 2**64, size=(100, 4), dtype=np.uint64)]
    )
    index = PdqIndex(refs)
    hits = index.search(queries)
    got = set(zip(hits.query.tolist(), hits.reference.tolist(), hits.distance.tolist(), strict=True))
    assert got == brute(refs, queries)
    assert len(got) == len(hits.query)  # each pair once, however many chunks found it
    threaded = index.search(queries, threads=2)
    assert set(zip(threaded.query.tolist(), threaded.reference.tolist(), strict=True)) == {g[:2] for g in got}


def test_radius_is_inclusive_and_sharp() -> None:
    rng = np.random.default_rng(5)
    refs = rng.integers(0, 2**64, size=(1000, 4), dtype=np.uint64)
    at_31 = flip(refs[:1], 31, rng)
    at_32 = flip(refs[1:2], 32, rng)
    hits = PdqIndex(refs).search(np.concatenate([at_31, at_32]))
    assert (0, 0, 31) in set(
        zip(hits.query.tolist(), hits.reference.tolist(), hits.distance.tolist(), strict=True)
    )
    assert 1 not in hits.query.tolist()


def test_hex_and_bit_forms_agree_and_empty_inputs() -> None:
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(3, 256))
    words = bits_to_words(bits)
    hexes = [np.packbits(b.astype(np.uint8)).tobytes().hex() for b in bits]
    assert (hex_to_words(hexes) == words).all()
    with pytest.raises(ValueError):
        hex_to_words(["abc"])
    index = PdqIndex(words)
    assert len(index.search(np.zeros((0, 4), dtype=np.uint64)).query) == 0
    assert index.search(words).query.tolist() == [0, 1, 2]
