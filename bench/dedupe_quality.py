"""Quality of section dedupe on the labelled pairs: precision, recall, the misjudged pairs.

Runs the shipped rule (``ingest.dedupe.Deduper``, default ``DedupeConfig``) on every pair of
``tests/dedupe_pairs.json`` as the pipeline does: *a* is stored, and *b* is compared with it only
when the index keys (exact, LSH bands, heading) find it; the pair is merged when *b* lands on
*a*'s canonical section. Prints precision, recall and F1 overall and per
category, lists every pair the rule gets wrong with its similarity scores, sweeps the two
thresholds (``near_threshold`` 0.5-0.9, ``heading_threshold`` 0.15-0.5) with the real deduper, and
finally measures a few *what-if* rule variants, computed pairwise from the same scores, so the
lead can see whether a better setting or a better rule exists. The what-ifs are not the shipped
rule: they only say how the labelled set would score.

    .venv/bin/python bench/dedupe_quality.py
    .venv/bin/python bench/dedupe_quality.py --all      # the scores of every pair, not only errors
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.config import DedupeConfig
from ingest.dedupe import (
    containment,
    content_words,
    facts,
    normalise,
    shingles,
    similarity,
)
from ingest.items import Section
from ingest.pipeline.sections import SectionIndex

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

REPO = Path(__file__).resolve().parents[1]
PAIRS = REPO / "tests" / "dedupe_pairs.json"
NEAR_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
HEADING_GRID = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled pair, what the rule decided, and the scores that explain it."""

    pair: dict[str, Any]
    merged: bool
    rule: str
    shingle_jaccard: float
    word_jaccard: float
    shingle_containment: float
    size_ratio: float
    fact_containment: float | None
    same_heading: bool

    @property
    def right(self) -> bool:
        """Whether the rule agreed with the person who labelled the pair."""
        return self.merged is self.pair["merge"]


def section(side: dict[str, str]) -> Section:
    """The section as the tests build it: one paragraph per line of text."""
    return Section(side["heading"], 2, tuple(p for p in side["text"].split("\n") if p))


def decide(pair: dict[str, Any], config: DedupeConfig) -> tuple[bool, str]:
    """Decide b against a as the pipeline does: through the index's keys, candidates and rule.

    ``SectionIndex.assign_alone`` runs the path a run takes on an empty database: a is stored,
    then b is compared with it only if the keys find it (the exact text, ``min_bands`` shared
    LSH bands, or the heading for the heading rule: ``ingest.pipeline.sections``).
    """
    a, b = section(pair["a"]), section(pair["b"])
    (first, _), (second, _) = SectionIndex(config, scope=1).assign_alone([[a], [b]])
    return second[0].canonical == first[0].canonical, second[0].rule


def score(pair: dict[str, Any], config: DedupeConfig) -> Scored:
    """Decide one pair with the shipped rule and compute its diagnostic scores."""
    merged, rule = decide(pair, config)
    a, b = pair["a"], pair["b"]
    fa, fb = facts(a["text"]), facts(b["text"])
    fact = containment(fa, fb) if min(len(fa), len(fb)) >= 2 else None
    heading_a = normalise(a["heading"]).strip(" ?!.:;")
    sa, sb = shingles(a["text"]), shingles(b["text"])
    return Scored(
        pair=pair,
        merged=merged,
        rule=rule,
        shingle_jaccard=similarity(sa, sb),
        word_jaccard=similarity(content_words(a["text"]), content_words(b["text"])),
        shingle_containment=containment(sa, sb),
        size_ratio=min(len(sa), len(sb)) / max(len(sa), len(sb), 1),
        fact_containment=fact,
        same_heading=bool(heading_a) and heading_a == normalise(b["heading"]).strip(" ?!.:;"),
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """Confusion counts of a set of decisions against the labels."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, merged: bool, label: bool) -> Counts:
        """These counts with one more decision."""
        return Counts(
            self.tp + (merged and label),
            self.fp + (merged and not label),
            self.fn + (not merged and label),
            self.tn + (not merged and not label),
        )

    @property
    def precision(self) -> float | None:
        """Share of merges that were right (None when nothing merged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Share of labelled merges found (None when the set has none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall (None when either is undefined or 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None


def tally(decisions: Iterable[tuple[bool, bool]]) -> Counts:
    """Counts of (merged, label) decisions."""
    counts = Counts()
    for merged, label in decisions:
        counts = counts.add(merged, label)
    return counts


def fmt(value: float | None) -> str:
    """A ratio with two decimals, or a dash when undefined."""
    return "   -" if value is None else f"{value:4.2f}"


def print_summary(rows: list[Scored]) -> None:
    """Overall and per-category precision, recall and F1 of the shipped rule."""
    by_category: defaultdict[str, list[Scored]] = defaultdict(list)
    for row in rows:
        by_category[row.pair.get("category", "?")].append(row)
    head = f"{'category':24} {'n':>3} {'merge':>5} {'tp':>3} {'fp':>3} {'fn':>3} {'tn':>3}"
    print(f"{head}   P    R    F1")
    groups = [*sorted(by_category.items()), ("ALL", rows)]
    for name, group in groups:
        c = tally((r.merged, r.pair["merge"]) for r in group)
        n_merge = sum(r.pair["merge"] for r in group)
        print(
            f"{name:24} {len(group):3} {n_merge:5} {c.tp:3} {c.fp:3} {c.fn:3} {c.tn:3}"
            f"  {fmt(c.precision)} {fmt(c.recall)} {fmt(c.f1)}"
        )


def print_pairs(rows: list[Scored], title: str) -> None:
    """One line per pair: label, decision, rule and the scores behind it."""
    print(f"\n{title} ({len(rows)})")
    print(
        "  sj = word 3-shingle Jaccard, cj = content-word Jaccard, sc = shingle containment,"
        " fc = fact containment (- under two facts), H = same heading"
    )
    for r in rows:
        label = "merge" if r.pair["merge"] else "apart"
        got = "merged" if r.merged else "apart"
        print(
            f"  {r.pair['id']:38} {r.pair.get('category', '?'):22} want {label:5} got {got:6}"
            f" ({r.rule:7}) sj={r.shingle_jaccard:.2f} cj={r.word_jaccard:.2f}"
            f" sc={r.shingle_containment:.2f} fc={fmt(r.fact_containment).strip()}"
            f" {'H' if r.same_heading else ' '}"
        )


def print_grid(pairs: list[dict[str, Any]]) -> None:
    """Precision/recall of the real deduper over a grid of the two thresholds."""
    print("\nthreshold grid, precision/recall (rows near_threshold, columns heading_threshold)")
    print("near \\ heading " + " ".join(f"{h:>9.2f}" for h in HEADING_GRID))
    best: tuple[float, float, float, float] | None = None
    for near in NEAR_GRID:
        cells = []
        for heading in HEADING_GRID:
            config = DedupeConfig(near_threshold=near, heading_threshold=heading)
            c = tally((decide(p, config)[0], p["merge"]) for p in pairs)
            cells.append(f"{fmt(c.precision)}/{fmt(c.recall)}")
            f1 = c.f1 or 0.0
            if best is None or f1 > best[0]:
                best = (f1, near, heading, c.precision or 0.0)
        print(f"{near:14.2f} " + " ".join(f"{cell:>9}" for cell in cells))
    if best is not None:
        print(
            f"best F1 {best[0]:.3f} at near={best[1]:.2f} heading={best[2]:.2f} (P={best[3]:.2f})"
        )


FACTS_AGREE = 0.7
CONTAINED = 0.8
MIN_SIZE_RATIO = 0.4


def _facts_agree(r: Scored) -> bool:
    return r.fact_containment is None or r.fact_containment >= FACTS_AGREE


def _vetoed(r: Scored) -> bool:
    return r.merged and (r.rule != "heading" or _facts_agree(r))


def _contained(r: Scored) -> bool:
    return r.shingle_containment >= CONTAINED and r.size_ratio >= MIN_SIZE_RATIO


VARIANTS: dict[str, Callable[[Scored], bool]] = {
    "shipped rule": lambda r: r.merged,
    f"A: heading rule vetoed when fact containment < {FACTS_AGREE}": _vetoed,
    f"B: A + any heading when shingle containment >= {CONTAINED}": lambda r: (
        _vetoed(r) or _contained(r)
    ),
}


def print_variants(rows: list[Scored]) -> None:
    """How a few candidate rules, computed from the same scores, would do on the set."""
    print("\nwhat-if rule variants (pairwise, from the scores above; not the shipped rule)")
    for name, rule in VARIANTS.items():
        c = tally((rule(r), r.pair["merge"]) for r in rows)
        wrong = [r.pair["id"] for r in rows if rule(r) is not r.pair["merge"]]
        print(
            f"  {name:60} P={fmt(c.precision)} R={fmt(c.recall)} F1={fmt(c.f1)} wrong={len(wrong)}"
        )
        print(f"    {', '.join(wrong) or '-'}")


def main() -> None:
    """Score the labelled set and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="labelled pairs (JSON)")
    parser.add_argument("--all", action="store_true", help="list the scores of every pair")
    args = parser.parse_args()
    pairs: list[dict[str, Any]] = json.loads(args.pairs.read_text(encoding="utf-8"))
    config = DedupeConfig()
    rows = [score(p, config) for p in pairs]
    print(f"{len(pairs)} labelled pairs, {sum(p['merge'] for p in pairs)} to merge; {config!r}\n")
    print_summary(rows)
    print_pairs([r for r in rows if not r.right], "misjudged pairs")
    if args.all:
        print_pairs(rows, "all pairs")
    print_grid(pairs)
    print_variants(rows)


if __name__ == "__main__":
    main()
