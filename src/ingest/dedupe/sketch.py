"""Band keys of sections: what the persistent near-duplicate index stores and looks up.

Each section gets up to three kinds of 64-bit keys, all salted with the dedupe *scope* (a site's
id, or 0 when sections are deduped across all sites) so scopes never see each other's keys:

- one **exact** key: a hash of the normalised text (of the fingerprint when the text is empty),
  the fast path for copies;
- ``bands`` **LSH band** keys from a MinHash (datasketch, ``bands * rows`` permutations) of the
  text's word 3-shingles, shingles of stop words only left out: two sections share a band with
  probability ``1 - (1 - J**rows) ** bands`` for a shingle Jaccard ``J``;
- one **heading** key, a hash of the normalised heading: the candidates of the heading rule.

Sections under ``min_words`` get only the exact key, as they merge by nothing else. The keys are
a pure function of the section and :class:`~ingest.config.DedupeConfig`'s index settings
(:func:`index_settings`), so the index can be rebuilt from the stored sections at any time.
"""

from __future__ import annotations

__all__ = ["SectionKeys", "Sketcher", "index_settings"]

import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datasketch import MinHash

from ingest.dedupe.rule import STOP_WORDS, heading_key, normalise, words_of

if TYPE_CHECKING:
    from ingest.config import DedupeConfig

_SHINGLE = 3
_SEED = 1
_EXACT, _BAND, _HEADING, _GROUP = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class SectionKeys:
    """The index keys of one section."""

    exact: int
    bands: tuple[int, ...] = ()
    heading: int | None = None

    @property
    def lookup(self) -> tuple[int, ...]:
        """The keys whose every match is a candidate (the heading key is looked up apart)."""
        return (self.exact, *self.bands)

    @property
    def stored(self) -> tuple[int, ...]:
        """Every key, as stored for a canonical section."""
        return self.lookup if self.heading is None else (*self.lookup, self.heading)


def index_settings(config: DedupeConfig) -> str:
    """A short string that changes whenever the keys of a section would change."""
    return (
        f"minhash-affine32-crc32/s{_SHINGLE}/b{config.bands}/r{config.rows}"
        f"/w{config.min_words}/{config.scope}"
    )


def _key(*parts: int | str) -> int:
    data = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


class Sketcher:
    """Computes :class:`SectionKeys` for one scope with one configuration."""

    def __init__(self, config: DedupeConfig, scope: int) -> None:
        self._config = config
        self._scope = scope
        self._template = MinHash(
            num_perm=config.bands * config.rows, seed=_SEED, hashfunc=zlib.crc32
        )
        self._pack = struct.Struct(f">{config.rows}I").pack

    def keys(self, heading: str, text: str) -> SectionKeys:
        """The keys of a section with ``heading`` and body ``text``."""
        text_key = normalise(text)
        head = heading_key(heading)
        exact = (
            _key(self._scope, _EXACT, text_key)
            if text_key
            else _key(self._scope, _EXACT, "\x00", normalise(heading))
        )
        words = words_of(text_key)
        if len(words) < self._config.min_words:
            return SectionKeys(exact)
        return SectionKeys(
            exact,
            self._bands(words),
            _key(self._scope, _HEADING, head) if head else None,
        )

    def group_key(self, name: str) -> int:
        """The key every section of one ``always_merge`` group shares."""
        return _key(self._scope, _GROUP, name)

    def _bands(self, words: list[str]) -> tuple[int, ...]:
        last = len(words) - _SHINGLE + 1
        shingles = {
            " ".join(words[i : i + _SHINGLE]).encode()
            for i in range(max(last, 1))
            if not all(w in STOP_WORDS for w in words[i : i + _SHINGLE])
        }
        if not shingles:  # only function words: fall back to every shingle
            shingles = {" ".join(words[i : i + _SHINGLE]).encode() for i in range(max(last, 1))}
        minhash = self._template.copy()
        minhash.update_batch(list(shingles))
        values = [int(v) for v in minhash.hashvalues]
        rows = self._config.rows
        return tuple(
            _key(
                self._scope, _BAND, band, self._pack(*values[band * rows : (band + 1) * rows]).hex()
            )
            for band in range(self._config.bands)
        )
