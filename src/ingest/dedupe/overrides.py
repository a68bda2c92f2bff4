"""What a person decided about merging: the ``never_merge`` and ``always_merge`` lists of config.

Each entry is a pattern (regular expressions searched, case-insensitively, in the heading and/or
the text; both must match when both are given) or a pair of fingerprints as ``ingest duplicates``
prints them.

- ``never_merge`` pattern: a section it matches merges only with an identical copy (rule
  ``exact``), never by similarity. Pair: the groups founded by the two fingerprints never merge.
- ``always_merge`` pattern: every section it matches joins one group (rule ``always``), however
  different (a call to action whose dates change). Pair: the two fingerprints join one group.
"""

from __future__ import annotations

__all__ = ["Overrides"]

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ingest.config import DedupeConfig, MergeRule

_Compiled = tuple[re.Pattern[str] | None, re.Pattern[str] | None]


def _compile(rules: Sequence[MergeRule]) -> tuple[list[tuple[int, _Compiled]], list[set[str]]]:
    patterns: list[tuple[int, _Compiled]] = []
    pairs: list[set[str]] = []
    for index, rule in enumerate(rules):
        if rule.pair is not None:
            pairs.append(set(rule.pair))
            continue
        heading = re.compile(rule.heading, re.IGNORECASE) if rule.heading else None
        text = re.compile(rule.text, re.IGNORECASE) if rule.text else None
        patterns.append((index, (heading, text)))
    return patterns, pairs


def _matches(compiled: _Compiled, heading: str, text: str) -> bool:
    head, body = compiled
    return (head is None or head.search(heading) is not None) and (
        body is None or body.search(text) is not None
    )


class Overrides:
    """The compiled override lists of one :class:`~ingest.config.DedupeConfig`."""

    def __init__(self, config: DedupeConfig) -> None:
        self._never, self._never_pairs = _compile(config.never_merge)
        self._always, always_pairs = _compile(config.always_merge)
        self._always_pair: dict[str, str] = {}
        for pair in always_pairs:
            name = "pair:" + min(pair)
            for fingerprint in pair:
                self._always_pair[fingerprint] = name

    def __bool__(self) -> bool:
        return bool(self._never or self._never_pairs or self._always or self._always_pair)

    def fuzzy(self, heading: str, text: str) -> bool:
        """Whether the section may merge by similarity (no ``never_merge`` pattern matches it)."""
        return not any(_matches(compiled, heading, text) for _, compiled in self._never)

    def apart(self, fingerprint: str, other: str) -> bool:
        """Whether a ``never_merge`` pair keeps these two fingerprints apart."""
        return any(fingerprint in pair and other in pair for pair in self._never_pairs)

    def always(self, fingerprint: str, heading: str, text: str) -> str | None:
        """The ``always_merge`` group the section belongs to, if any (first entry wins)."""
        for index, compiled in self._always:
            if _matches(compiled, heading, text):
                return f"pattern:{index}"
        return self._always_pair.get(fingerprint)
