"""Band keys of sections: what the persistent near-duplicate index stores and looks up.

Each section gets up to three kinds of 64-bit keys, all salted with the dedupe *scope* (a site's
id, or 0 when sections are deduped across all sites) so scopes never see each other's keys:

- one **exact** key: a hash of the normalised text (of the fingerprint when the text is empty),
  the fast path for copies;
- ``bands`` **LSH band** keys from a MinHash (datasketch's ``affine32`` scheme and permutations,
  ``bands * rows`` of them, computed here in bulk) of the text's word 3-shingles, shingles of
  stop words only left out: two sections share a band with probability ``J ** rows`` for a
  shingle Jaccard ``J``;
- one **heading** key, a hash of the normalised heading: the candidates of the heading rule.

Sections under ``min_words`` get only the exact key, as they merge by nothing else. The keys are
a pure function of the section and :class:`~ingest.config.DedupeConfig`'s index settings
(:func:`index_settings`), so the index can be rebuilt from the stored sections at any time.

:meth:`Sketcher.keys_many` sketches many sections at once: a word's hash is a polynomial of its
bytes (remembered per word, as a site's words repeat), and in numpy over every word of the batch
a shingle's hash mixes its three words' hashes and the permutations and minima run in a few
operations. The MinHash values are exactly datasketch's for the same shingle hashes (a test
pins it), and the keys never change between versions without a rebuild (a test pins them too).
"""

from __future__ import annotations

__all__ = ["SectionKeys", "Sketcher", "index_settings", "word_hash"]

import hashlib
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ingest.dedupe.features import HEADING_PUNCTUATION, STOP_WORDS, normalise

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from ingest.config import DedupeConfig

_SHINGLE = 3
_SEED = 1
_EXACT, _BAND, _HEADING, _GROUP = 1, 2, 3, 4
_U32 = 0xFFFFFFFF
# Odd 64-bit multipliers that mix a shingle's three word hashes (positions differ, so "a b c"
# and "c b a" differ), then fold the product to 32 bits for the MinHash.
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


@dataclass(frozen=True, slots=True)
class SectionKeys:
    """The index keys of one section."""

    exact: int
    bands: tuple[int, ...] = ()
    heading: int | None = None
    group: int | None = None
    """The key of the ``always_merge`` group the section belongs to, if any."""
    stored: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """Every key, as stored for a canonical section."""

    def __post_init__(self) -> None:
        extra = tuple(k for k in (self.heading, self.group) if k is not None)
        object.__setattr__(self, "stored", (self.exact, *self.bands, *extra))


def index_settings(config: DedupeConfig) -> str:
    """A short string that changes whenever the keys of a section would change."""
    return (
        f"minhash-affine32-words3/s{_SHINGLE}/b{config.bands}/r{config.rows}"
        f"/w{config.min_words}/h{config.generic_heading}/c{config.common_band}/{config.scope}"
    )


def _key(*parts: int | str) -> int:
    data = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def _permutations(count: int, seed: int) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """The ``affine32`` permutations ``h -> a * h + b`` (odd ``a``) datasketch draws for ``seed``.

    Drawn as datasketch draws them, so the values are its MinHash's (a test compares them),
    without importing it (and scipy with it) in every process that sketches.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, count, dtype=np.uint32)
    return a, b


def _fmix32(values: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix of its ``affine32`` scheme."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def _mix64(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finalizer: a band's values and salt become one well-spread 64-bit key."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


class Sketcher:
    """Computes :class:`SectionKeys` for one scope with one configuration."""

    def __init__(self, config: DedupeConfig, scope: int) -> None:
        self._config = config
        self._scope = scope
        self._a, self._b = _permutations(config.bands * config.rows, _SEED)
        self._salts = np.array(
            [_key(scope, _BAND, band) for band in range(config.bands)], dtype=np.int64
        ).view(np.uint64)
        stops = " ".join(sorted(STOP_WORDS)).encode()
        self._stops = np.unique(self._word_hashes([stops])[0])

    def keys(self, heading: str, text: str) -> SectionKeys:
        """The keys of a section with ``heading`` and body ``text``."""
        return self.keys_many([(heading, text)])[0]

    def keys_many(self, sections: Sequence[tuple[str, str]]) -> list[SectionKeys]:
        """The keys of many ``(heading, text)`` sections at once, in order."""
        return self.keys_normalised([(normalise(h), normalise(t)) for h, t in sections])

    def keys_normalised(self, sections: Sequence[tuple[str, str]]) -> list[SectionKeys]:
        """:meth:`keys_many` of sections whose heading and text are already normalised."""
        exact: list[int] = []
        headings: list[int | None] = []
        texts: list[bytes] = []
        scope = self._scope
        for heading, text_key in sections:
            exact.append(
                _key(scope, _EXACT, text_key) if text_key else _key(scope, _EXACT, "\x00", heading)
            )
            head = heading.strip(HEADING_PUNCTUATION)
            headings.append(_key(scope, _HEADING, head) if head else None)
            texts.append(text_key.encode())
        bands: list[tuple[int, ...]] = [()] * len(sections)
        long_enough, hashes, starts = self._shingles(texts)
        for position, keys in zip(long_enough, self._bands(hashes, starts), strict=True):
            bands[position] = keys
        return [
            SectionKeys(e, b, h if b else None)
            for e, b, h in zip(exact, bands, headings, strict=True)
        ]

    def group_key(self, name: str) -> int:
        """The key every section of one ``always_merge`` group shares."""
        return _key(self._scope, _GROUP, name)

    def minhash(self, texts: Sequence[str]) -> NDArray[np.uint32]:
        """The MinHash values of each normalised text long enough to sketch, one row each."""
        _, hashes, starts = self._shingles([t.encode() for t in texts])
        return self._minhash(hashes, starts)

    def shingle_hashes(self, text: str) -> NDArray[np.uint32]:
        """The 32-bit hashes of one normalised text's shingles (stop-word-only ones left out)."""
        return self._shingles([text.encode()])[1]

    def _minhash(self, hashes: NDArray[np.uint32], starts: NDArray[np.int64]) -> NDArray[np.uint32]:
        if not len(starts):
            return np.zeros((0, len(self._a)), dtype=np.uint32)
        permuted = _fmix32(hashes)[:, None] * self._a[None, :] + self._b[None, :]
        return np.minimum.reduceat(permuted, starts, axis=0)

    def _bands(
        self, hashes: NDArray[np.uint32], starts: NDArray[np.int64]
    ) -> list[tuple[int, ...]]:
        values = self._minhash(hashes, starts).astype(np.uint64)
        rows, bands = self._config.rows, self._config.bands
        values = values.reshape(len(starts), bands, rows)
        keys = np.broadcast_to(self._salts, (len(starts), bands))
        for row in range(rows):  # each band's rows folded in turn, every band at once
            keys = _mix64(keys ^ values[:, :, row])
        return [tuple(row) for row in keys.view(np.int64).tolist()]

    def _word_hashes(self, texts: Sequence[bytes]) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
        """The 32-bit hash of every word of ``texts``, in order, and how many words each has.

        A word is a run of ASCII letters, digits and ``_`` or of non-ASCII bytes (the texts are
        normalised UTF-8), its hash a polynomial of its bytes (:func:`word_hash`): a site's
        words repeat, so each is hashed once and remembered.
        """
        words = _WORDS
        if len(words) > _WORDS_KEPT:
            words.clear()
        hashes = array("Q")
        counts = np.empty(len(texts), dtype=np.int64)
        for position, text in enumerate(texts):
            split = text.translate(_NOT_WORD).split()
            counts[position] = len(split)
            hashes.extend(map(words.__getitem__, split))
        return np.frombuffer(hashes, dtype=np.uint64), counts

    def _shingles(
        self, texts: Sequence[bytes]
    ) -> tuple[list[int], NDArray[np.uint32], NDArray[np.int64]]:
        """The texts of ``min_words`` words or more, their shingle hashes, where each run starts.

        All in numpy over the texts' bytes laid end to end: a word is a run of ASCII letters,
        digits and ``_`` or of non-ASCII bytes (the text is already normalised), its hash a
        polynomial of its bytes; a shingle's hash mixes three consecutive words of one text.
        Shingles of stop words only are left out of a text that has others; a text of one or
        two words is one shingle.
        """
        words, count = self._word_hashes(texts)
        owner = np.repeat(np.arange(len(texts)), count)
        long_enough = np.flatnonzero(count >= self._config.min_words)
        found = np.minimum(np.searchsorted(self._stops, words), len(self._stops) - 1)
        stop = self._stops[found] == words
        # each shingle starts at a word; its second and third words, when of the same text
        pad = np.zeros(2, dtype=np.uint64)
        padded = np.concatenate((words, pad))
        owners = np.concatenate((owner, [-1, -1]))
        stops = np.concatenate((stop, [True, True]))
        second_ok = owners[1:-1] == owner
        third_ok = owners[2:] == owner
        second = padded[1:-1] * second_ok.astype(np.uint64)
        third = padded[2:] * third_ok.astype(np.uint64)
        stop_only = stop & (stops[1:-1] | ~second_ok) & (stops[2:] | ~third_ok)
        first_of_text = np.concatenate(([True], owner[1:] != owner[:-1])) if len(owner) else owner
        short = count[owner] < _SHINGLE if len(owner) else np.zeros(0, dtype=bool)
        valid = third_ok | (first_of_text & short)
        valid &= count[owner] >= self._config.min_words
        mixed = (
            words * np.uint64(_MIX[0]) + second * np.uint64(_MIX[1]) + third * np.uint64(_MIX[2])
        )
        folded = (((mixed >> np.uint64(32)) ^ mixed) & np.uint64(_U32)).astype(np.uint32)
        kept = valid & ~stop_only
        bare = np.bincount(owner[kept], minlength=len(texts)) == 0
        kept |= valid & bare[owner]
        per_text = np.bincount(owner[kept], minlength=len(texts))[long_enough]
        return long_enough.tolist(), folded[kept], np.cumsum(per_text) - per_text


_WORD_BYTES = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") | set(
    range(0x80, 0x100)
)
_NOT_WORD = bytes(b if b in _WORD_BYTES else ord(" ") for b in range(256))
"""Every byte that is not part of a word becomes a space (non-ASCII bytes are word bytes)."""
_WORDS_KEPT = 100_000
"""Distinct words whose hash is remembered (one memo for the process) before it starts afresh."""
_U64 = (1 << 64) - 1


_SHORT_WORD = 24
"""Bytes up to which a word is hashed in Python; a longer one (a CJK run) in numpy."""


def word_hash(word: bytes) -> int:
    """A word's 32-bit hash: ``sum((byte + 1) * 31 ** i)`` modulo 2**64, its halves xor-ed."""
    if len(word) > _SHORT_WORD:
        terms = (np.frombuffer(word, dtype=np.uint8).astype(np.uint64) + 1) * _powers(len(word))
        value = int(terms.sum(dtype=np.uint64))  # numpy's uint64 wraps modulo 2**64
    else:
        value, power = 0, 1
        for byte in word:
            value += (byte + 1) * power
            power = power * 31 & _U64
        value &= _U64
    return ((value >> 32) ^ value) & _U32


_POWERS = np.ones(1, dtype=np.uint64)


def _powers(count: int) -> NDArray[np.uint64]:
    """``31 ** i`` modulo 2**64 for ``i < count``."""
    global _POWERS  # noqa: PLW0603  (grown on demand, never shrunk: a cache)
    if len(_POWERS) < count:
        grown = np.full(max(count, 2 * len(_POWERS)), 31, dtype=np.uint64)
        grown[0] = 1
        _POWERS = np.cumprod(grown, dtype=np.uint64)
    return _POWERS[:count]


class _WordHashes(dict[bytes, int]):
    """Word -> :func:`word_hash`, computed on first use."""

    def __missing__(self, word: bytes) -> int:
        value = self[word] = word_hash(word)
        return value


_WORDS = _WordHashes()
