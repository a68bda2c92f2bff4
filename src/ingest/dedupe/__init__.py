"""Section dedupe: the rule that merges repeated sections, and the keys of its persistent index.

:mod:`ingest.dedupe.rule` decides whether two sections are the same section;
:mod:`ingest.dedupe.sketch` computes the band keys the database indexes so that a section is
compared only with the stored sections that can match it. Both are pure: no I/O.
"""

from ingest.dedupe.rule import (
    Deduper,
    Matcher,
    Overrides,
    Prepared,
    containment,
    content_words,
    facts,
    fingerprint,
    normalise,
    shingles,
    similarity,
)
from ingest.dedupe.sketch import SectionKeys, Sketcher, index_settings

__all__ = [
    "Deduper",
    "Matcher",
    "Overrides",
    "Prepared",
    "SectionKeys",
    "Sketcher",
    "containment",
    "content_words",
    "facts",
    "fingerprint",
    "index_settings",
    "normalise",
    "shingles",
    "similarity",
]
