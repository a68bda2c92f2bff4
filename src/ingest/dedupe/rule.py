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

__all__ = [
    "STOP_WORDS",
    "Deduper",
    "Matcher",
    "Overrides",
    "Prepared",
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
    from collections.abc import Collection, Iterable, Sequence

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
_SUFFIXES_BY_LAST = {
    last: tuple(s for s in _SUFFIXES if s[-1] == last) for last in {s[-1] for s in _SUFFIXES}
}


def normalise(text: str) -> str:
    """Case-fold, unify quotes and dashes (NFKC) and collapse whitespace: the comparison form."""
    if text.isascii():  # NFKC and the quotes leave ASCII as it is, and casefold is lower
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_QUOTES)
    return " ".join(text.split())


_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"},
)


def _words(text: str) -> list[str]:
    return words_of(normalise(text))


def words_of(text_key: str) -> list[str]:
    """The words (runs of letters, digits and underscores) of an already normalised text."""
    if text_key.isascii():  # the same words, four times faster than the regular expression
        return text_key.translate(_ASCII_NOT_WORD).split()
    return _WORD.findall(text_key)


_ASCII_NOT_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)


def heading_key(heading: str) -> str:
    """The comparison form of a heading: normalised, without trailing punctuation."""
    return normalise(heading).strip(" ?!.:;")


def _stem(word: str) -> str:
    if len(word) <= _MIN_STEM:
        return word
    for suffix in _SUFFIXES_BY_LAST.get(word[-1], ()):  # in _SUFFIXES' order: first match wins
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that carry meaning: no stop words, none under three letters."""
    return _content_words(_words(text))


def _content_words(words: Iterable[str], stems: dict[str, str] | None = None) -> frozenset[str]:
    kept = [w for w in words if w not in STOP_WORDS and len(w) > 2]  # noqa: PLR2004
    if stems is None:
        return frozenset(map(_stem, kept))
    if len(stems) > _STEMS_KEPT:
        stems.clear()
    try:
        return frozenset([stems[w] for w in kept])
    except KeyError:
        for word in kept:
            if word not in stems:
                stems[word] = _stem(word)
        return frozenset([stems[w] for w in kept])


_STEMS_KEPT = 100_000
"""Words a :class:`Matcher` remembers the stem of before it starts afresh."""


def shingles(text: str, size: int = _SHINGLE) -> frozenset[tuple[str, ...]]:
    """Word ``size``-shingles of ``text``; a text shorter than ``size`` words is one shingle."""
    return _shingles_of(_words(text), size)


def _shingles_of(words: list[str], size: int = _SHINGLE) -> frozenset[tuple[str, ...]]:
    if len(words) <= size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(zip(*(words[i:] for i in range(size)), strict=False))


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
_SENTENCE_ENDS = ".!?:;"
_STRIP = ".,;:!?()[]\"'«»„\u201c\u201d\u2018\u2019"


def facts(text: str) -> frozenset[str]:
    """Numbers and mid-sentence capitalised words: what a template fills in.

    A rewording keeps them ("€12 million", "Northgate Ventures"); one template used for different
    items changes them ("Riverside … 12 May" / "Salt Marsh … 3 June").
    """
    text = unicodedata.normalize("NFKC", text)
    found: set[str] = set()
    after_end = False  # whether the token before ended a sentence
    for position, match in enumerate(_TOKEN.finditer(text)):
        token = match.group()
        starts_sentence = match.start() == 0 or (position > 0 and after_end)
        after_end = token[-1] in _SENTENCE_ENDS
        word = token.strip(_STRIP)
        if not word:
            continue
        numbers = _NUMBER.findall(word)
        if numbers:
            found.update(n.replace(",", "") for n in numbers)
            continue
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
            self._shingles = _shingles_of(self.tokens)
        return self._shingles

    @property
    def words(self) -> frozenset[str]:
        """Content words, computed when a rule first needs them."""
        if self._words is None:
            self._words = _content_words(self.tokens, self._stems)
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
        text_key = normalise(section.text)
        key = _fingerprint(normalise(section.heading), text_key)
        canonical = CanonicalSection(key, section.heading, section.text)
        return Prepared(canonical, self.overrides, text_key, self._stems)

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
                if words >= config.edited_threshold and _facts_agree(
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
            if _facts_agree(probe.facts, entry.facts, config.fact_agreement):
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
