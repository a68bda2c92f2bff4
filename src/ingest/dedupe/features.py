"""What the dedupe rule compares: normalised text, words, stems, shingles, facts, fingerprints.

Pure functions of a section's text, shared by the rule (:mod:`ingest.dedupe.rule`) and the
index keys (:mod:`ingest.dedupe.sketch`). *Normalised* means Unicode NFKC, case-folded,
typographic quotes and dashes unified, whitespace collapsed; ASCII text takes a fast path
that gives the same result.
"""

from __future__ import annotations

__all__ = [
    "HEADING_PUNCTUATION",
    "STOP_WORDS",
    "containment",
    "content_words",
    "content_words_of",
    "facts",
    "facts_agree",
    "fingerprint",
    "fingerprint_of",
    "heading_key",
    "normalise",
    "shingles",
    "shingles_of",
    "similarity",
    "words_of",
]

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable

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
    for quote, plain in _QUOTES:  # str.translate with a table is ~50x slower on non-ASCII text
        if quote in text:
            text = text.replace(quote, plain)
    return " ".join(text.split())


_QUOTES = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u2013", "-"),
    ("\u2014", "-"),
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


HEADING_PUNCTUATION = " ?!.:;"
"""Stripped from both ends of a normalised heading to compare it (:func:`heading_key`)."""


def heading_key(heading: str) -> str:
    """The comparison form of a heading: normalised, without trailing punctuation."""
    return normalise(heading).strip(HEADING_PUNCTUATION)


def _stem(word: str) -> str:
    if len(word) <= _MIN_STEM:
        return word
    for suffix in _SUFFIXES_BY_LAST.get(word[-1], ()):  # in _SUFFIXES' order: first match wins
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that carry meaning: no stop words, none under three letters."""
    return content_words_of(_words(text))


def content_words_of(words: Iterable[str], stems: dict[str, str] | None = None) -> frozenset[str]:
    """Content words of already split ``words``; ``stems`` memoises the stemming if given."""
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
    return shingles_of(_words(text), size)


def shingles_of(words: list[str], size: int = _SHINGLE) -> frozenset[tuple[str, ...]]:
    """Word ``size``-shingles of already split ``words``."""
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


def facts_agree(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Whether two texts' facts agree (see :func:`facts`).

    They do when one side has none, when the text with one fact shares it, or when at least
    ``threshold`` of the smaller set is in the other.
    """
    if not a or not b:
        return True  # no facts to tell: the text decides
    if min(len(a), len(b)) < _MIN_FACTS:
        return not a.isdisjoint(
            b
        )  # one fact each side ("20 minutes" / "25 minutes"): it must be shared
    return containment(a, b) >= threshold


def fingerprint(heading: str, text: str) -> str:
    """The natural key of a canonical section: a hash of its normalised heading and text."""
    return fingerprint_of(normalise(heading), normalise(text))


def fingerprint_of(heading_key: str, text_key: str) -> str:
    """:func:`fingerprint` of an already normalised heading and text."""
    return hashlib.sha256(f"{heading_key}\n{text_key}".encode()).hexdigest()[:32]
