"""Dedupe sections against the persistent index, one article or one batch of articles at a time.

A stored article's sections are matched against the canonical sections the database index
finds for them (:mod:`ingest.store.sections`), never against a site held in memory, so a run's
memory does not grow with the database. A regroup (:mod:`ingest.pipeline.regroup`) replays
every stored article through the same path.
"""

from __future__ import annotations

__all__ = ["Assigned", "SectionIndex", "scope_of"]

import asyncio
import dataclasses
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ingest.dedupe import Matcher, SectionKeys, Sketcher
from ingest.dedupe.rule import founding
from ingest.items import CanonicalSection, SectionMatch
from ingest.store import sections

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.config import DedupeConfig
    from ingest.dedupe.rule import Prepared
    from ingest.items import Section


_T = TypeVar("_T")


def scope_of(config: DedupeConfig, site_id: int) -> int:
    """The index scope of a site's sections: the site itself, or 0 for all sites together."""
    return site_id if config.scope == "site" else 0


Assigned = tuple[tuple["SectionMatch", ...], dict[str, tuple[int, ...]]]
"""One article's matches, and the index keys of the canonical sections it founded."""


class SectionIndex:
    """Matches the sections of one scope's articles against what the database holds.

    A section's candidates are the canonical sections stored under one of its keys (its exact
    text, its LSH bands, its ``always_merge`` group and, unless generic, its heading), exactly
    those: :meth:`assign_many` asks the database once for a whole batch of articles and keeps
    the batch's own new sections under their keys in memory, so a batch of one article and a
    batch of many give the same groups.
    """

    def __init__(self, config: DedupeConfig, scope: int) -> None:
        self._config = config
        self._sketcher = Sketcher(config, scope)
        self._matcher = Matcher(config)
        self._prepared: dict[tuple[int, str], Prepared] = {}
        """Stored canonical sections prepared for the rule, by id and fingerprint (a stored
        section never changes; an id SQLite gives again after a delete has another fingerprint)."""

    def keys_many(self, sections: Sequence[Section]) -> list[SectionKeys]:
        """The index keys of ``sections``, with their ``always_merge`` group's key if any."""
        return self._prepare([sections])[1]

    def _prepare(
        self, articles: Sequence[Sequence[Section]]
    ) -> tuple[list[_Features], list[SectionKeys]]:
        """The features and index keys of every section of ``articles``, in order."""
        features = [_Features.of(section) for article in articles for section in article]
        return features, self._keys(features)

    def _keys(self, features: Sequence[_Features]) -> list[SectionKeys]:
        keys = self._sketcher.keys_normalised(
            [(f.normalised_heading, f.text_key) for f in features]
        )
        overrides = self._matcher.overrides
        if not overrides:
            return keys
        for position, f in enumerate(features):
            group = overrides.always(f.canonical.fingerprint, f.canonical.heading, f.canonical.text)
            if group is not None:
                keys[position] = dataclasses.replace(
                    keys[position], group=self._sketcher.group_key(group)
                )
        return keys

    async def assign(self, session: AsyncSession, article_sections: Sequence[Section]) -> Assigned:
        """Match one article's sections; also the keys of the canonical sections they found."""
        return (await self.assign_many(session, [article_sections]))[0]

    async def assign_many(
        self, session: AsyncSession, articles: Sequence[Sequence[Section]]
    ) -> list[Assigned]:
        """Match the sections of ``articles``, in order, as if stored one article at a time.

        The event loop gets a turn after each few articles' features and keys and after each
        article's matches, so a large batch does not hold up fetching and the parse workers.
        """
        flat: list[_Features] = []
        keys: list[SectionKeys] = []
        for start in range(0, len(articles), _KEYS_CHUNK):
            chunk, chunk_keys = self._prepare(articles[start : start + _KEYS_CHUNK])
            flat.extend(chunk)
            keys.extend(chunk_keys)
            await asyncio.sleep(0)
        found = await sections.find_keys(
            session, {key for k in keys for key in k.stored}, self._config.common_band + 1
        )
        limits = _Limits(self._config, keys)
        wanted = _possible_candidates(found, keys, limits, self._config.min_bands)
        stored = {c.id: c for c in await sections.canonical_sections(session, sorted(wanted))}
        if len(self._prepared) > _PREPARED_KEPT:
            self._prepared.clear()
        batch = _Batch(self._matcher, found, stored, limits, self._prepared)
        results: list[Assigned] = []
        for assigned in _assigning(batch, articles, flat, keys):
            results.append(assigned)
            await asyncio.sleep(0)
        return results

    def assign_alone(self, articles: Sequence[Sequence[Section]]) -> list[Assigned]:
        """Match ``articles`` as :meth:`assign_many` would on an empty database (no I/O)."""
        flat, keys = self._prepare(articles)
        batch = _Batch(self._matcher, {}, {}, _Limits(self._config, keys))
        return list(_assigning(batch, articles, flat, keys))


@dataclass(frozen=True, slots=True)
class _Features:
    """What a section is matched by, computed once: its normalised heading and text."""

    canonical: CanonicalSection
    """The section as the canonical section it would found."""
    normalised_heading: str
    """The heading as ``features.normalise`` leaves it."""
    text_key: str

    @classmethod
    def of(cls, section: Section) -> _Features:
        return cls(*founding(section))


def _assigning(
    batch: _Batch,
    articles: Sequence[Sequence[Section]],
    features: Sequence[_Features],
    keys: Sequence[SectionKeys],
) -> Iterator[Assigned]:
    """Each article's matches and founders' keys, in order (one article at a time)."""
    position = 0
    for article in articles:
        matches: list[SectionMatch] = []
        founded: dict[str, tuple[int, ...]] = {}
        for _ in article:
            match, new_keys = batch.match(features[position], keys[position])
            position += 1
            matches.append(match)
            if new_keys is not None:
                founded[match.canonical.fingerprint] = new_keys
        yield tuple(matches), founded


def _possible_candidates(
    found: dict[int, list[int]], keys: Sequence[SectionKeys], limits: _Limits, enough: int
) -> set[int]:
    """The stored sections that may be a candidate of one of the sections with ``keys``.

    Those :meth:`_Batch.candidates` can pick: under a section's heading key, or scoring at
    least ``enough`` over its keys, counting every key within its limit (the batch's own new
    sections can only push a key over it, never under). A stored section sharing one band with
    a section, and nothing else, is not loaded: as the index grows most found ids are such.
    """
    wanted: set[int] = set()
    for k in keys:
        score: dict[int, int] = {}
        for key in k.stored:
            ids = found.get(key)
            if not ids or len(ids) > limits.of(key):
                continue
            if key == k.heading:
                wanted.update(ids)
                continue
            _add_scores(score, ids, _weight(key, k, enough))
        wanted.update(i for i, n in score.items() if n >= enough)
    return wanted


def _weight(key: int, keys: SectionKeys, enough: int) -> int:
    """What sharing ``key`` counts towards a candidate: a band 1, the heading 0, others all."""
    return 0 if key == keys.heading else 1 if key in keys.bands else enough


def _add_scores(score: dict[_T, int], shared: Iterable[_T], weight: int) -> None:
    """Add ``weight`` to the score of each of ``shared`` (a key's stored ids or new sections)."""
    for item in shared:
        score[item] = score.get(item, 0) + weight


_KEYS_CHUNK = 8
"""Articles whose features and keys are computed between two turns of the event loop."""

_PREPARED_KEPT = 512
"""Prepared stored sections an index keeps between batches (then it starts again)."""


class _Limits:
    """How many canonical sections a key may hold before it is too common to find candidates."""

    def __init__(self, config: DedupeConfig, keys: Sequence[SectionKeys]) -> None:
        self._band = config.common_band
        self._headings = {k.heading: config.generic_heading for k in keys if k.heading is not None}
        self._exact = {k.exact for k in keys}

    def of(self, key: int) -> int:
        """The limit of ``key``: exact keys have none, heading and band keys theirs."""
        if key in self._exact:
            return sys.maxsize
        return self._headings.get(key, self._band)


class _Batch:
    """The candidates of one batch: stored ones by key, and the batch's own new sections.

    A section is prepared for the rule (shingles, words) only when it has a candidate or becomes
    one: most sections match nothing and cost their keys alone.
    """

    def __init__(
        self,
        matcher: Matcher,
        found: dict[int, list[int]],
        stored: dict[int | None, CanonicalSection],
        limits: _Limits,
        prepared: dict[tuple[int, str], Prepared] | None = None,
    ) -> None:
        self._matcher = matcher
        self._found = found
        self._stored = stored
        self._limits = limits
        self._min_bands = matcher.config.min_bands
        self._prepared = {} if prepared is None else prepared
        self._new: dict[int, list[CanonicalSection]] = {}
        self._prepared_new: dict[str, Prepared] = {}

    def _stored_entry(self, canonical_id: int) -> Prepared:
        canonical = self._stored[canonical_id]
        key = (canonical_id, canonical.fingerprint)
        entry = self._prepared.get(key)
        if entry is None:
            entry = self._prepared[key] = self._matcher.entry(canonical)
        return entry

    def _new_entry(self, canonical: CanonicalSection) -> Prepared:
        entry = self._prepared_new.get(canonical.fingerprint)
        if entry is None:
            entry = self._prepared_new[canonical.fingerprint] = self._matcher.entry(canonical)
        return entry

    def candidates(self, keys: SectionKeys) -> tuple[list[Prepared], set[int], set[int]]:
        """A section's candidates oldest first, those only its heading found, its usable keys.

        A candidate shares the section's exact text key or ``always_merge`` group, or at least
        ``min_bands`` LSH bands (compared by text and heading), or its heading (compared by
        heading only). A key over more canonical sections than its limit (a generic heading, a
        common phrase's band) gives no candidates, and is not stored for one more.
        """
        found, new_under = self._found, self._new
        present = [key for key in keys.stored if key in found or key in new_under]
        usable = set(keys.stored)
        if not present:
            return [], set(), usable  # the usual case: nothing stored under its keys
        score: dict[int, int] = {}
        new_score: dict[str, int] = {}
        new: dict[str, CanonicalSection] = {}  # the batch's own, in the order they were founded
        by_heading: set[int] = set()
        new_by_heading: set[str] = set()
        heading, limits = keys.heading, self._limits
        for key in present:
            ids, founded = found.get(key, ()), new_under.get(key, ())
            if len(ids) + len(founded) > limits.of(key):
                usable.discard(key)  # too common: no candidates, not stored for one more
                continue
            if key == heading:
                by_heading.update(ids)
                new_by_heading.update(c.fingerprint for c in founded)
            weight = _weight(key, keys, self._min_bands)
            _add_scores(score, ids, weight)
            for canonical in founded:
                new.setdefault(canonical.fingerprint, canonical)
            _add_scores(new_score, (c.fingerprint for c in founded), weight)
        enough = self._min_bands
        ids = sorted(
            i for i, n in score.items() if (n >= enough or i in by_heading) and i in self._stored
        )
        candidates = [self._stored_entry(i) for i in ids]
        heading_only = {n for n, i in enumerate(ids) if score[i] < enough}
        for founder, canonical in new.items():
            if new_score[founder] < enough:
                if founder not in new_by_heading:
                    continue
                heading_only.add(len(candidates))
            candidates.append(self._new_entry(canonical))
        return candidates, heading_only, usable

    def match(
        self, section: _Features, keys: SectionKeys
    ) -> tuple[SectionMatch, tuple[int, ...] | None]:
        """The section's match, and its keys to store when it founds a new canonical section."""
        candidates, heading_only, usable = self.candidates(keys)
        founded = section.canonical
        if candidates:
            probe = self._matcher.entry(founded, section.text_key)
            match = self._matcher.match(probe, candidates, heading_only)
            if match is not None:
                return match, None
            self._prepared_new[founded.fingerprint] = probe
        stored = tuple(key for key in keys.stored if key in usable)
        for key in stored:
            self._new.setdefault(key, []).append(founded)
        return SectionMatch(founded, 1.0, "new"), stored
