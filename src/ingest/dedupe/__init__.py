"""Section dedupe: the rule that merges repeated sections, and the keys of its persistent index.

:mod:`ingest.dedupe.rule` decides whether two sections are the same section, comparing what
:mod:`ingest.dedupe.features` computes of their text;
:mod:`ingest.dedupe.sketch` computes the band keys the database indexes so that a section is
compared only with the stored sections that can match it. Both are pure: no I/O.
"""

from ingest.dedupe.features import (
    containment,
    content_words,
    facts,
    fingerprint,
    normalise,
    shingles,
    similarity,
)
from ingest.dedupe.overrides import Overrides
from ingest.dedupe.rule import Deduper, Matcher, Prepared
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
