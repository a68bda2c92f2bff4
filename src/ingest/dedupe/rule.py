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
config override the rules (:mod:`ingest.dedupe.overrides`). The deduper is given the canonical
sections that can match (the pipeline asks the database index for one article's candidates,
:mod:`ingest.dedupe.sketch`) and, within them, compares only sections that share a shingle or
a heading. It is deterministic: ties go to the oldest canonical section.
"""

from __future__ import annotations

__all__ = [
    "STOP_WORDS",
    "Deduper",
    "Overrides",
    "containment",
    "content_words",
    "facts",
    "fingerprint",
    "heading_key",
    "normalise",
    "shingles",
    "similarity",
    "words_of",
]

import hashlib
import re
import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING, TypeVar

from ingest.dedupe.overrides import Overrides
from ingest.items import CanonicalSection, Section, SectionMatch

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ingest.config import DedupeConfig

_T = TypeVar("_T")

_WORD = re.compile(r"\w+")
_SHINGLE = 3

# Function words of English: they carry no topic, so two "Conclusion" paragraphs that share
# only "you", "can", "the" do not look alike. Other languages fall back to the 3-shingle rules.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just may me might more most must my myself no nor not now of off on once only or
    other our ours ourselves out over own same shall she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up upon us
    very was we were what when where which while who whom why will with within without would you
    your yours yourself yourselves""".split(),  # noqa: SIM905  (a word list reads better as prose)
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")
_MIN_STEM = 4


def normalise(text: str) -> str:
    """Case-fold, unify quotes and dashes (NFKC) and collapse whitespace: the comparison form."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_QUOTES)
    return " ".join(text.split())


_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"},
)


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def words_of(text_key: str) -> list[str]:
    """The words of an already normalised text."""
    return _WORD.findall(text_key)


def heading_key(heading: str) -> str:
    """The comparison form of a heading: normalised, without trailing punctuation."""
    return normalise(heading).strip(" ?!.:;")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that carry meaning: no stop words, none under three letters."""
    return frozenset(_stem(w) for w in _words(text) if w not in STOP_WORDS and len(w) > 2)  # noqa: PLR2004


def shingles(text: str, size: int = _SHINGLE) -> frozenset[tuple[str, ...]]:
    """Word ``size``-shingles of ``text``; a text shorter than ``size`` words is one shingle."""
    return _shingles_of(_words(text), size)


def _shingles_of(words: list[str], size: int = _SHINGLE) -> frozenset[tuple[str, ...]]:
    if len(words) <= size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def similarity(a: frozenset[_T], b: frozenset[_T]) -> float:
    """Jaccard similarity of two sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[_T], b: frozenset[_T]) -> float:
    """Share of the smaller set found in the larger (0.0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
_STRIP = ".,;:!?()[]\"'«»„\u201c\u201d\u2018\u2019"


def facts(text: str) -> frozenset[str]:
    """Numbers and mid-sentence capitalised words: what a template fills in.

    A rewording keeps them ("€12 million", "Northgate Ventures"); one template used for different
    items changes them ("Riverside … 12 May" / "Salt Marsh … 3 June").
    """
    text = unicodedata.normalize("NFKC", text)
    found: set[str] = set()
    for match in _TOKEN.finditer(text):
        word = match.group().strip(_STRIP)
        if not word:
            continue
        numbers = _NUMBER.findall(word)
        if numbers:
            found.update(n.replace(",", "") for n in numbers)
            continue
        starts_sentence = match.start() == 0 or bool(_SENTENCE_END.search(text[: match.start()]))
        if word[0].isupper() and not starts_sentence:
            found.add(word.casefold())
    return frozenset(found)


_MIN_FACTS = 2


def _facts_agree(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    if not a or not b:
        return True  # no facts to tell: the text decides
    if min(len(a), len(b)) < _MIN_FACTS:
        return not a.isdisjoint(
            b
        )  # one fact each side ("20 minutes" / "25 minutes"): it must be shared
    return containment(a, b) >= threshold


def fingerprint(heading: str, text: str) -> str:
    """The natural key of a canonical section: a hash of its normalised heading and text."""
    return _fingerprint(normalise(heading), normalise(text))


def _fingerprint(heading_key: str, text_key: str) -> str:
    return hashlib.sha256(f"{heading_key}\n{text_key}".encode()).hexdigest()[:32]


class _Entry:
    """A canonical section with what matching needs; the heading rule's features are lazy."""

    __slots__ = (
        "_facts",
        "_words",
        "always",
        "canonical",
        "fuzzy",
        "heading_key",
        "shingles",
        "text_key",
        "word_count",
    )

    def __init__(
        self, canonical: CanonicalSection, overrides: Overrides, text_key: str | None = None
    ) -> None:
        self.canonical = canonical
        self.text_key = normalise(canonical.text) if text_key is None else text_key
        self.heading_key = heading_key(canonical.heading)
        words = _WORD.findall(self.text_key)
        self.word_count = len(words)
        self.shingles = _shingles_of(words)
        self._words: frozenset[str] | None = None
        self._facts: frozenset[str] | None = None
        self.fuzzy = True
        self.always: str | None = None
        if overrides:
            self.fuzzy = overrides.fuzzy(canonical.heading, canonical.text)
            self.always = overrides.always(canonical.fingerprint, canonical.heading, canonical.text)

    @property
    def words(self) -> frozenset[str]:
        """Content words, computed when a rule first needs them."""
        if self._words is None:
            self._words = content_words(self.canonical.text)
        return self._words

    @property
    def facts(self) -> frozenset[str]:
        """Facts, computed when a rule first needs them."""
        if self._facts is None:
            self._facts = facts(self.canonical.text)
        return self._facts


_Best = tuple[float, int, str]


class Deduper:
    """Assigns sections to canonical sections; remembers what it has seen.

    ``known`` are the stored canonical sections that may match (all of a site, or the candidates
    the database index found for one article), oldest first: ties go to the oldest. Not
    thread-safe and not meant to be: fed in a deterministic order.
    """

    def __init__(
        self,
        config: DedupeConfig,
        known: Iterable[CanonicalSection] = (),
        overrides: Overrides | None = None,
    ) -> None:
        self._config = config
        self._overrides = Overrides(config) if overrides is None else overrides
        self._entries: list[_Entry] = []
        self._by_fingerprint: dict[str, int] = {}
        self._by_text: dict[str, int] = {}
        self._by_always: dict[str, int] = {}
        self._by_heading: defaultdict[str, list[int]] = defaultdict(list)
        self._by_shingle: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for canonical in known:
            self._add(_Entry(canonical, self._overrides))

    def __len__(self) -> int:
        return len(self._entries)

    def assign(self, sections: Sequence[Section]) -> tuple[SectionMatch, ...]:
        """Match each section of one article; sections that match nothing found new groups."""
        return tuple(self.match(section) for section in sections)

    def match(self, section: Section) -> SectionMatch:
        """Return the canonical section ``section`` belongs to, adding a new one if none fits."""
        text = section.text
        text_key = normalise(text)
        key = _fingerprint(normalise(section.heading), text_key)
        found = self._by_fingerprint.get(key)
        if found is None and text_key:
            found = self._by_text.get(text_key)
        if found is not None and not self._apart(key, found):
            return SectionMatch(self._entries[found].canonical, 1.0, "exact")
        probe = _Entry(CanonicalSection(key, section.heading, text), self._overrides, text_key)
        best = self._always(probe) or self._best_candidate(probe)
        if best is not None:
            return best
        self._add(probe)
        return SectionMatch(probe.canonical, 1.0, "new")

    def _apart(self, fingerprint: str, index: int) -> bool:
        other = self._entries[index].canonical.fingerprint
        return bool(self._overrides) and self._overrides.apart(fingerprint, other)

    def _always(self, probe: _Entry) -> SectionMatch | None:
        if probe.always is None or probe.always not in self._by_always:
            return None
        entry = self._entries[self._by_always[probe.always]]
        score = similarity(probe.shingles, entry.shingles)
        return SectionMatch(entry.canonical, round(score, 4), "always")

    def _best_candidate(self, probe: _Entry) -> SectionMatch | None:
        if probe.word_count < self._config.min_words or not probe.fuzzy:
            return None
        best = self._best_near(probe) or self._best_same_heading(probe)
        if best is None:
            return None
        score, index, rule = best
        return SectionMatch(self._entries[index].canonical, round(score, 4), rule)

    def _usable(self, probe: _Entry, index: int) -> bool:
        entry = self._entries[index]
        return entry.fuzzy and not self._apart(probe.canonical.fingerprint, index)

    def _best_near(self, probe: _Entry) -> _Best | None:
        """The best ``near`` candidate, else ``contained``, else ``edited`` (shared shingles only).

        Counting, per entry, the probe's shingles found in its posting lists gives the size of
        each intersection, so Jaccard and containment need no set operations. Ties go to the
        oldest entry: the result does not depend on set iteration order.
        """
        shared: dict[int, int] = {}
        for shingle in probe.shingles:
            for index in self._by_shingle.get(shingle, ()):
                shared[index] = shared.get(index, 0) + 1
        config = self._config
        size = len(probe.shingles)
        found: dict[str, _Best] = {}
        for index, common in shared.items():
            if not self._usable(probe, index):
                continue
            entry = self._entries[index]
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
                if words >= config.edited_threshold and _facts_agree(
                    probe.facts, entry.facts, config.fact_agreement
                ):
                    _keep(found, (words, index, "edited"))
        return found.get("near") or found.get("contained") or found.get("edited")

    def _best_same_heading(self, probe: _Entry) -> _Best | None:
        if not probe.heading_key:
            return None
        best: _Best | None = None
        for index in self._by_heading.get(probe.heading_key, ()):
            entry = self._entries[index]
            if entry.word_count < self._config.min_words or not self._usable(probe, index):
                continue
            score = similarity(probe.words, entry.words)
            if score < self._config.heading_threshold or (best is not None and score <= best[0]):
                continue
            if _facts_agree(probe.facts, entry.facts, self._config.fact_agreement):
                best = (score, index, "heading")
        return best

    def _add(self, entry: _Entry) -> None:
        canonical = entry.canonical
        index = len(self._entries)
        self._entries.append(entry)
        self._by_fingerprint.setdefault(canonical.fingerprint, index)
        if entry.text_key:
            self._by_text.setdefault(entry.text_key, index)
        if entry.always is not None:
            self._by_always.setdefault(entry.always, index)
        if entry.heading_key:
            self._by_heading[entry.heading_key].append(index)
        if entry.word_count >= self._config.min_words:
            for shingle in entry.shingles:
                self._by_shingle[shingle].append(index)


def _keep(found: dict[str, _Best], candidate: _Best) -> None:
    """Keep the best candidate per rule: the higher score, then the older entry."""
    score, index, rule = candidate
    best = found.get(rule)
    if best is None or (score, -index) > (best[0], -best[1]):
        found[rule] = candidate
