"""Merge repeated sections of a site into canonical sections.

The rule (explained with its reasons in ``docs/dedupe.md``), tried in this order:

1. **exact**: the normalised body text is identical (whatever the headings), or heading and
   text are both identical (the fingerprint matches).
2. **near**: word 3-shingle Jaccard of the two bodies >= ``near_threshold`` (default 0.7): the
   same text with small edits, under any heading.
3. **heading**: the normalised headings are equal and not empty, and the content-word Jaccard
   of the bodies (stop words dropped, light stemming) >= ``heading_threshold`` (default 0.25):
   the same section rewritten. Equal headings alone never merge: "Conclusion" sections of
   different articles share generic words, not content words.

Sections with fewer than ``min_words`` words merge only by rule 1. A section that matches
nothing founds a new canonical section (rule ``new``). Candidates come from an inverted index
(shingle → canonical, heading → canonical), so a site's sections are compared only with those
that share something. The deduper is run-scoped and deterministic: the pipeline seeds it with
the site's stored canonical sections and feeds articles in URL order.
"""

from __future__ import annotations

__all__ = [
    "Deduper",
    "content_words",
    "fingerprint",
    "normalise",
    "shingles",
    "similarity",
]

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

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
    words = _words(text)
    if len(words) <= size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def similarity(a: frozenset[_T], b: frozenset[_T]) -> float:
    """Jaccard similarity of two sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def fingerprint(heading: str, text: str) -> str:
    """The natural key of a canonical section: a hash of its normalised heading and text."""
    digest = hashlib.sha256(f"{normalise(heading)}\n{normalise(text)}".encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Entry:
    canonical: CanonicalSection
    text_key: str
    heading_key: str
    shingles: frozenset[tuple[str, ...]]
    words: frozenset[str]
    word_count: int


def _entry(canonical: CanonicalSection) -> _Entry:
    text = canonical.text
    return _Entry(
        canonical=canonical,
        text_key=normalise(text),
        heading_key=normalise(canonical.heading).strip(" ?!.:;"),
        shingles=shingles(text),
        words=content_words(text),
        word_count=len(_words(text)),
    )


class Deduper:
    """Assigns sections to canonical sections of one site; remembers what it has seen.

    Not thread-safe and not meant to be: one per site per run, fed in a deterministic order.
    """

    def __init__(self, config: DedupeConfig, known: Iterable[CanonicalSection] = ()) -> None:
        self._config = config
        self._entries: list[_Entry] = []
        self._by_fingerprint: dict[str, int] = {}
        self._by_text: dict[str, int] = {}
        self._by_heading: defaultdict[str, list[int]] = defaultdict(list)
        self._by_shingle: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for canonical in known:
            self._add(canonical)

    def __len__(self) -> int:
        return len(self._entries)

    def assign(self, sections: Sequence[Section]) -> tuple[SectionMatch, ...]:
        """Match each section of one article; sections that match nothing found new groups."""
        return tuple(self.match(section) for section in sections)

    def match(self, section: Section) -> SectionMatch:
        """Return the canonical section ``section`` belongs to, adding a new one if none fits."""
        text = section.text
        key = fingerprint(section.heading, text)
        found = self._by_fingerprint.get(key)
        if found is None and (text_key := normalise(text)):
            found = self._by_text.get(text_key)
        if found is not None:
            return SectionMatch(self._entries[found].canonical, 1.0, "exact")
        probe = _entry(CanonicalSection(key, section.heading, text))
        best = self._best_candidate(probe)
        if best is not None:
            return best
        canonical = probe.canonical
        self._add(canonical, probe)
        return SectionMatch(canonical, 1.0, "new")

    def _best_candidate(self, probe: _Entry) -> SectionMatch | None:
        if probe.word_count < self._config.min_words:
            return None
        best = self._best_near(probe) or self._best_same_heading(probe)
        if best is None:
            return None
        score, index, rule = best
        return SectionMatch(self._entries[index].canonical, round(score, 4), rule)

    def _best_near(self, probe: _Entry) -> tuple[float, int, str] | None:
        candidates: dict[int, None] = {}  # insertion-ordered: deterministic for a fixed input order
        for shingle in sorted(probe.shingles):
            for index in self._by_shingle.get(shingle, ()):
                candidates[index] = None
        best: tuple[float, int, str] | None = None
        for index in candidates:
            score = similarity(probe.shingles, self._entries[index].shingles)
            if score >= self._config.near_threshold and (best is None or score > best[0]):
                best = (score, index, "near")
        return best

    def _best_same_heading(self, probe: _Entry) -> tuple[float, int, str] | None:
        if not probe.heading_key:
            return None
        best: tuple[float, int, str] | None = None
        for index in self._by_heading.get(probe.heading_key, ()):
            entry = self._entries[index]
            if entry.word_count < self._config.min_words:
                continue
            score = similarity(probe.words, entry.words)
            if score >= self._config.heading_threshold and (best is None or score > best[0]):
                best = (score, index, "heading")
        return best

    def _add(self, canonical: CanonicalSection, entry: _Entry | None = None) -> None:
        entry = entry or _entry(canonical)
        index = len(self._entries)
        self._entries.append(entry)
        self._by_fingerprint.setdefault(canonical.fingerprint, index)
        if entry.text_key:
            self._by_text.setdefault(entry.text_key, index)
        if entry.heading_key:
            self._by_heading[entry.heading_key].append(index)
        if entry.word_count >= self._config.min_words:
            for shingle in entry.shingles:
                self._by_shingle[shingle].append(index)
