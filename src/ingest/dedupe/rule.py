"""Merge repeated sections of a site into canonical sections.

The rule (explained with its reasons in ``docs/dedupe.md``), tried in this order:

1. **exact**: the normalised body text is identical (whatever the headings), or heading and
   text are both identical (the fingerprint matches).
2. **near**: word 3-shingle Jaccard of the two bodies >= ``near_threshold`` (default 0.7): the
   same text with small edits, under any heading.
3. **contained**: at least ``containment_threshold`` (0.8) of the shorter body's 3-shingles
   are in the longer one, and the shorter has at least ``min_size_ratio`` (0.4) of the longer's
   shingles: a copy with paragraphs cut or added, under any heading.
4. **edited**: at least ``edited_containment`` (0.6) of the shorter body's 3-shingles are in the
   longer, their content words (stop words dropped, light stemming) have a Jaccard >=
   ``edited_threshold`` (0.8) and their facts agree (below): the same text edited word by
   word, under any heading.
5. **heading**: the normalised headings are equal and not empty, the content-word Jaccard of
   the bodies >= ``heading_threshold`` (default 0.25), and their facts agree (numbers and
   mid-sentence capitalised words: at least ``fact_agreement`` of the smaller set is in the
   other, when both have two or more; the one fact of a text with one must be in the other):
   the same section rewritten. Equal headings alone never
   merge ("Conclusion" sections share generic words, not content words), and a template filled
   with other facts ("Opening hours: …") stays apart.

Sections with fewer than ``min_words`` words merge only by rule 1. A section that matches
nothing founds a new canonical section (rule ``new``); ``always_merge`` and ``never_merge`` in
config override the rules (:mod:`ingest.dedupe.overrides`). :class:`Matcher` applies the rules
to one section and the candidates it is given, oldest first (the pipeline's come from the
database index, :mod:`ingest.pipeline.sections`; candidates found by the heading alone meet the
heading rule only); :class:`Deduper` holds sections in memory and gives each the ones that share
a shingle, the text or the heading. Both are deterministic: ties go to the oldest.
"""

from __future__ import annotations

__all__ = ["Deduper", "Matcher", "Prepared", "founding"]

from collections import defaultdict
from typing import TYPE_CHECKING

from ingest.dedupe.features import (
    content_words_of,
    facts,
    facts_agree,
    fingerprint_of,
    heading_key,
    normalise,
    shingles_of,
    similarity,
    words_of,
)
from ingest.dedupe.overrides import Overrides
from ingest.items import CanonicalSection, Section, SectionMatch

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from ingest.config import DedupeConfig


def founding(section: Section) -> tuple[CanonicalSection, str, str]:
    """The canonical section ``section`` would found, and its normalised heading and text."""
    text = section.text
    heading, text_key = normalise(section.heading), normalise(text)
    canonical = CanonicalSection(fingerprint_of(heading, text_key), section.heading, text)
    return canonical, heading, text_key


class Prepared:
    """A canonical section with what matching needs; the heading rule's features are lazy."""

    __slots__ = (
        "_facts",
        "_shingles",
        "_stems",
        "_tokens",
        "_words",
        "always",
        "canonical",
        "fuzzy",
        "heading_key",
        "text_key",
    )

    def __init__(
        self,
        canonical: CanonicalSection,
        overrides: Overrides,
        text_key: str | None = None,
        stems: dict[str, str] | None = None,
    ) -> None:
        self.canonical = canonical
        self._stems = stems
        self.text_key = normalise(canonical.text) if text_key is None else text_key
        self.heading_key = heading_key(canonical.heading)
        self._tokens: list[str] | None = None
        self._shingles: frozenset[tuple[str, ...]] | None = None
        self._words: frozenset[str] | None = None
        self._facts: frozenset[str] | None = None
        self.fuzzy = True
        self.always: str | None = None
        if overrides:
            self.fuzzy = overrides.fuzzy(canonical.heading, canonical.text)
            self.always = overrides.always(canonical.fingerprint, canonical.heading, canonical.text)

    @property
    def tokens(self) -> list[str]:
        """The words of the normalised text."""
        if self._tokens is None:
            self._tokens = words_of(self.text_key)
        return self._tokens

    @property
    def word_count(self) -> int:
        """How many words the text has."""
        return len(self.tokens)

    @property
    def shingles(self) -> frozenset[tuple[str, ...]]:
        """Word 3-shingles, computed when a rule first needs them."""
        if self._shingles is None:
            self._shingles = shingles_of(self.tokens)
        return self._shingles

    @property
    def words(self) -> frozenset[str]:
        """Content words, computed when a rule first needs them."""
        if self._words is None:
            self._words = content_words_of(self.tokens, self._stems)
        return self._words

    @property
    def facts(self) -> frozenset[str]:
        """Facts, computed when a rule first needs them."""
        if self._facts is None:
            self._facts = facts(self.canonical.text)
        return self._facts


_Best = tuple[float, int, str]


class Matcher:
    """The rule: which of a probe's candidates, if any, it belongs to.

    Candidates are given oldest first (ties go to the oldest); the caller finds them, from the
    database index (:class:`~ingest.pipeline.sections.SectionIndex`) or from every section seen
    (:class:`Deduper`).
    """

    def __init__(self, config: DedupeConfig, overrides: Overrides | None = None) -> None:
        self.config = config
        self.overrides = Overrides(config) if overrides is None else overrides
        self._stems: dict[str, str] = {}  # word -> stem, a memo of a pure function

    def entry(self, canonical: CanonicalSection, text_key: str | None = None) -> Prepared:
        """``canonical`` with what matching needs (``text_key``: its normalised text, if known)."""
        return Prepared(canonical, self.overrides, text_key, self._stems)

    def probe(self, section: Section) -> Prepared:
        """A section about to be matched, as a would-be canonical section."""
        canonical, _, text_key = founding(section)
        return self.entry(canonical, text_key)

    def match(
        self,
        probe: Prepared,
        candidates: Sequence[Prepared],
        heading_only: Collection[int] = (),
    ) -> SectionMatch | None:
        """The canonical section of ``candidates`` that ``probe`` belongs to, if any.

        ``heading_only``: positions of candidates found by their heading alone, which only the
        heading rule may merge (a copy shares the text's keys, so the index finds it by those).
        """
        found = self._exact(probe, candidates)
        if found is not None:
            return SectionMatch(found.canonical, 1.0, "exact")
        if probe.always is not None:
            for entry in candidates:
                if entry.always == probe.always:
                    score = similarity(probe.shingles, entry.shingles)
                    return SectionMatch(entry.canonical, round(score, 4), "always")
        if probe.word_count < self.config.min_words or not probe.fuzzy:
            return None
        best = self._best_near(probe, candidates, heading_only) or self._best_same_heading(
            probe, candidates
        )
        if best is None:
            return None
        score, index, rule = best
        return SectionMatch(candidates[index].canonical, round(score, 4), rule)

    def _exact(self, probe: Prepared, candidates: Sequence[Prepared]) -> Prepared | None:
        key = probe.canonical.fingerprint
        found = next((e for e in candidates if e.canonical.fingerprint == key), None)
        if found is None and probe.text_key:
            found = next((e for e in candidates if e.text_key == probe.text_key), None)
        if found is None or self._apart(probe, found):
            return None
        return found

    def _apart(self, probe: Prepared, entry: Prepared) -> bool:
        overrides = self.overrides
        return bool(overrides) and overrides.apart(
            probe.canonical.fingerprint, entry.canonical.fingerprint
        )

    def _usable(self, probe: Prepared, entry: Prepared) -> bool:
        return (
            entry.fuzzy
            and entry.word_count >= self.config.min_words
            and not self._apart(probe, entry)
        )

    def _best_near(
        self, probe: Prepared, candidates: Sequence[Prepared], heading_only: Collection[int]
    ) -> _Best | None:
        """The best ``near`` candidate, else ``contained``, else ``edited``.

        Only candidates sharing a shingle count. Ties go to the oldest candidate: the result
        does not depend on set iteration order.
        """
        config = self.config
        size = len(probe.shingles)
        found: dict[str, _Best] = {}
        for index, entry in enumerate(candidates):
            if heading_only and index in heading_only:
                continue
            common = len(probe.shingles & entry.shingles)
            if not common or not self._usable(probe, entry):
                continue
            other = len(entry.shingles)
            score = common / (size + other - common)
            if score >= config.near_threshold:
                _keep(found, (score, index, "near"))
                continue
            smaller, larger = (size, other) if size <= other else (other, size)
            if smaller < config.min_size_ratio * larger:
                continue
            share = common / smaller
            if share >= config.containment_threshold:
                _keep(found, (share, index, "contained"))
            elif share >= config.edited_containment and "contained" not in found:
                words = similarity(probe.words, entry.words)
                if words >= config.edited_threshold and facts_agree(
                    probe.facts, entry.facts, config.fact_agreement
                ):
                    _keep(found, (words, index, "edited"))
        return found.get("near") or found.get("contained") or found.get("edited")

    def _best_same_heading(self, probe: Prepared, candidates: Sequence[Prepared]) -> _Best | None:
        if not probe.heading_key:
            return None
        config = self.config
        best: _Best | None = None
        for index, entry in enumerate(candidates):
            if entry.heading_key != probe.heading_key or not self._usable(probe, entry):
                continue
            score = similarity(probe.words, entry.words)
            if score < config.heading_threshold or (best is not None and score <= best[0]):
                continue
            if facts_agree(probe.facts, entry.facts, config.fact_agreement):
                best = (score, index, "heading")
        return best


class Deduper:
    """Assigns sections to canonical sections; remembers what it has seen.

    ``known`` are canonical sections that may match, oldest first: ties go to the oldest. Every
    section seen is a candidate of the next (those sharing a shingle, the text or the heading):
    the rule over a set held in memory, for tests and tools; the pipeline asks the database
    index instead. Not thread-safe and not meant to be: fed in a deterministic order.
    """

    def __init__(
        self,
        config: DedupeConfig,
        known: Iterable[CanonicalSection] = (),
        overrides: Overrides | None = None,
    ) -> None:
        self._matcher = Matcher(config, overrides)
        self._entries: list[Prepared] = []
        self._by_fingerprint: defaultdict[str, list[int]] = defaultdict(list)
        self._by_text: defaultdict[str, list[int]] = defaultdict(list)
        self._by_always: defaultdict[str, list[int]] = defaultdict(list)
        self._by_heading: defaultdict[str, list[int]] = defaultdict(list)
        self._by_shingle: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for canonical in known:
            self._add(self._matcher.entry(canonical))

    def __len__(self) -> int:
        return len(self._entries)

    def assign(self, sections: Sequence[Section]) -> tuple[SectionMatch, ...]:
        """Match each section of one article; sections that match nothing found new groups."""
        return tuple(self.match(section) for section in sections)

    def match(self, section: Section) -> SectionMatch:
        """Return the canonical section ``section`` belongs to, adding a new one if none fits."""
        probe = self._matcher.probe(section)
        found: set[int] = set(self._by_text.get(probe.text_key, ()))
        if probe.always is not None:
            found.update(self._by_always.get(probe.always, ()))
        found.update(self._by_heading.get(probe.heading_key, ()))
        for shingle in probe.shingles:
            found.update(self._by_shingle.get(shingle, ()))
        found.update(self._by_fingerprint.get(probe.canonical.fingerprint, ()))
        match = self._matcher.match(probe, [self._entries[i] for i in sorted(found)])
        if match is not None:
            return match
        self._add(probe)
        return SectionMatch(probe.canonical, 1.0, "new")

    def _add(self, entry: Prepared) -> None:
        index = len(self._entries)
        self._entries.append(entry)
        self._by_fingerprint[entry.canonical.fingerprint].append(index)
        self._by_text[entry.text_key].append(index)
        if entry.always is not None:
            self._by_always[entry.always].append(index)
        if entry.heading_key:
            self._by_heading[entry.heading_key].append(index)
        for shingle in entry.shingles:
            self._by_shingle[shingle].append(index)


def _keep(found: dict[str, _Best], candidate: _Best) -> None:
    """Keep the best candidate per rule: the higher score, then the older entry."""
    score, index, rule = candidate
    best = found.get(rule)
    if best is None or (score, -index) > (best[0], -best[1]):
        found[rule] = candidate
