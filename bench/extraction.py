r"""Extraction quality and speed on third-party pages, ingest and trafilatura side by side.

Corpora (``$INGEST_CORPORA``, else ``<repo>/../shared/corpora``; scoring rules in its README):

- ``zyte-articles``: body precision / recall / F1 with the benchmark's own metric: ``\w+``
  tokens, 4-token shingles as multisets, per-page P and R (1.0 when both sides are empty), the
  mean P and mean R over pages, F1 from the two means. Our body is every section's heading,
  paragraphs and list items (headings inside the body count; the title does not).
- ``readability-pages``: title exact-match rate (whitespace-normalised) against
  ``expected-metadata.json``, and the same against that title without last parts that are the
  page's own ``siteName`` or ``byline`` there ("How to Build a Terrarium | eHow" with siteName
  "eHow"): Readability's titles keep them, a title here drops them (a site's name is no part of
  an article's title; the author has a field of its own); heading P/R/F1 against
  ``expected.html``'s ``h2``-``h6`` texts and list-item P/R/F1 against its ``li`` texts (a
  multiset match per page, mean P and mean R over pages, F1 from the means, 1.0 when both sides
  are empty), and the same pooled: matches, expected and predicted strings summed over all pages
  before dividing, so a page with many headings weighs more; body F1 over all text with the Zyte
  metric: ours is the body and the figure captions ingest keeps apart (Readability keeps them in
  the text; the Zyte bodies leave them out, so there ours is the body alone), and the same
  without captions is printed too. ``expected.html`` is read as laid out: block edges and
  ``<br>`` are spaces, inline elements join their neighbours. An item's text is its own text
  without its nested lists (ingest flattens nested lists; trafilatura's and Readability's items
  are read the same way).

trafilatura runs in the same process on the same bytes. For the Zyte body it gets its plain
``extract(html)`` (text output, default settings: how the published table ran it); for the
readability pages it gets ``extract(html, output_format="xml", with_metadata=True)``, whose
``<head>`` and ``<item>`` elements carry the headings and list items plain text loses, and
whose ``<doc title>`` is its title. Timings are per call, one core, the input already in
memory; pages/s is pages over the summed call times.

The scores come from ``parse_article`` (extract whatever the page holds); last, the pages a
run would not store because ``parse_page`` calls them no article (a listing, a notice) are
listed with the reason: on these corpora of article pages, each is a page a run would lose.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/extraction.py             # both systems, side by side
    .venv/bin/python bench/extraction.py --ingest-only --worst 10
    .venv/bin/python bench/extraction.py --ingest-only --write-floors   # tests/parse floors
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from selectolax.lexbor import LexborHTMLParser

from ingest.items import ListBlock, NotAnArticle
from ingest.parse.html import parse_article, parse_page
from ingest.parse.text import normalize_whitespace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from selectolax.lexbor import LexborNode

    from ingest.items import Article

__all__ = [
    "Page",
    "corpora_root",
    "ingest_output",
    "load_readability",
    "load_zyte",
    "match_scores",
    "shingle_scores",
]

REPO = Path(__file__).resolve().parents[1]
FLOORS = REPO / "tests" / "parse" / "corpus_floors.json"
READABILITY_URL = "http://fakehost/test/page.html"
# A per-page floor sits this far under what the page scores when the floors are written.
FLOOR_MARGIN = 0.05
_WORD = re.compile(r"\w+")
# HTML's phrasing elements that lay out inline (no line break at their edges; not <br>).
_PHRASING = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "label",
        "mark",
        "nobr",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
    ]
)


@dataclass(frozen=True, slots=True)
class Page:
    """One corpus page with what it should give."""

    corpus: str
    name: str
    url: str
    html: bytes
    body: str
    title: str = ""
    title_without_site: str = ""
    """``title`` without last parts that are the page's own site name or byline, if any."""
    headings: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Output:
    """What one system extracted from one page, in the shape the scores need."""

    title: str
    body: str
    headings: tuple[str, ...]
    items: tuple[str, ...]
    with_captions: str = ""
    """``body`` with each section's figure captions (kept apart by ingest) in their places."""


@dataclass(slots=True)
class Tally:
    """Per-page scores and timings of one system on one corpus."""

    ms: list[float] = field(default_factory=list)
    body: list[tuple[float, float]] = field(default_factory=list)
    body_without_captions: list[tuple[float, float]] = field(default_factory=list)
    titles: list[bool] = field(default_factory=list)
    titles_without_site: list[bool] = field(default_factory=list)
    headings: list[tuple[float, float]] = field(default_factory=list)
    items: list[tuple[float, float]] = field(default_factory=list)
    heading_counts: list[tuple[int, int, int]] = field(default_factory=list)
    item_counts: list[tuple[int, int, int]] = field(default_factory=list)


def corpora_root() -> Path:
    """``$INGEST_CORPORA``, else the repository's sibling ``shared/corpora``."""
    return Path(os.environ.get("INGEST_CORPORA") or REPO.parent / "shared" / "corpora")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    r"""The multiset of ``size``-token shingles of ``\w+`` tokens (no lower-casing)."""
    tokens = _WORD.findall(text)
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def shingle_scores(true: str, pred: str) -> tuple[float, float]:
    """The Zyte benchmark's per-page (precision, recall); 1.0 for both when both are empty."""
    expected, got = shingles(true), shingles(pred)
    hits = sum((expected & got).values())
    n_true, n_pred = sum(expected.values()), sum(got.values())
    if n_true == 0 and n_pred == 0:
        return 1.0, 1.0
    return (hits / n_pred if n_pred else 0.0), (hits / n_true if n_true else 0.0)


def match_counts(true: Iterable[str], pred: Iterable[str]) -> tuple[int, int, int]:
    """(matched, expected, predicted) of a multiset match of strings on one page."""
    expected, got = Counter(true), Counter(pred)
    return sum((expected & got).values()), sum(expected.values()), sum(got.values())


def match_scores(true: Iterable[str], pred: Iterable[str]) -> tuple[float, float]:
    """Per-page (precision, recall) of a multiset match of strings; 1.0 when both are empty."""
    hits, n_true, n_pred = match_counts(true, pred)
    if n_true == 0 and n_pred == 0:
        return 1.0, 1.0
    return (hits / n_pred if n_pred else 0.0), (hits / n_true if n_true else 0.0)


def _pooled(counts: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the matches summed over all pages."""
    hits = sum(c[0] for c in counts)
    n_true, n_pred = sum(c[1] for c in counts), sum(c[2] for c in counts)
    p = hits / n_pred if n_pred else 0.0
    r = hits / n_true if n_true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _prf(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Mean precision, mean recall, and F1 from the two means."""
    if not pairs:
        return 0.0, 0.0, 0.0
    p = statistics.fmean(pair[0] for pair in pairs)
    r = statistics.fmean(pair[1] for pair in pairs)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _own_text(node: LexborNode, nested: frozenset[str]) -> str:
    """Text of ``node`` without its descendants tagged ``nested``, as a browser lays it out.

    The edges of block elements and ``<br>`` are spaces; inline (phrasing) elements join their
    neighbours, so ``Examples<span>[<a>edit</a>]</span>`` reads ``Examples[edit]``.
    """
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_text_node:
            parts.append(current.text_content or "")
        elif current.is_element_node and (current is node or current.tag not in nested):
            if current.tag not in _PHRASING:
                parts.append(" ")
            stack.extend(reversed(list(current.iter(include_text=True))))
    return normalize_whitespace("".join(parts))


def load_zyte(root: Path) -> list[Page]:
    """The Zyte pages with their ground-truth bodies (empty when the corpus is absent)."""
    folder = root / "zyte-articles"
    if not (folder / "ground-truth.json").is_file():
        return []
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            "zyte",
            key,
            value["url"],
            gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()),
            value["articleBody"],
        )
        for key, value in sorted(truth.items())
    ]


_SITE_SEPARATORS = (" | ", " - ", " \u2013 ", " \u2014 ", " \u00b7 ", " :: ")


def without_site_name(title: str, *names: str) -> str:
    """``title`` without last separated parts that are one of ``names`` (case aside).

    Written apart from ingest's own title rules, so the truth is not cut by the code it scores.
    """
    folded = {normalize_whitespace(name).casefold() for name in names} - {""}
    cut = True
    while cut:
        cut = False
        for sep in _SITE_SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if found and head.strip() and normalize_whitespace(tail).casefold() in folded:
                title, cut = head.strip(), True
                break
    return title


def load_readability(root: Path) -> list[Page]:
    """The readability pages with title, headings, list items and body text expected."""
    folder = root / "readability-pages"
    pages = []
    for path in sorted(folder.glob("*/source.html")) if folder.is_dir() else []:
        meta = json.loads((path.parent / "expected-metadata.json").read_text(encoding="utf-8"))
        title = normalize_whitespace(meta.get("title") or "")
        tree = LexborHTMLParser((path.parent / "expected.html").read_text(encoding="utf-8"))
        root_node = tree.body or tree.root
        assert root_node is not None
        pages.append(
            Page(
                "readability",
                path.parent.name,
                READABILITY_URL,
                path.read_bytes(),
                _own_text(root_node, frozenset()),
                title=title,
                title_without_site=without_site_name(
                    title, meta.get("siteName") or "", meta.get("byline") or ""
                ),
                headings=tuple(
                    text
                    for node in root_node.css("h2, h3, h4, h5, h6")
                    if (text := _own_text(node, frozenset()))
                ),
                items=tuple(
                    text
                    for node in root_node.css("li")
                    if (text := _own_text(node, frozenset({"ul", "ol"})))
                ),
            )
        )
    return pages


def article_body(article: Article, *, captions: bool = False) -> str:
    """Every section's heading, paragraphs and list items, one per line (no title).

    With ``captions``, each section's captions in their places among its paragraphs and lists.
    """
    lines: list[str] = []
    for section in article.sections:
        if section.heading:
            lines.append(section.heading)
        for block in section.blocks_and_captions() if captions else section.blocks():
            if isinstance(block, ListBlock):
                lines.extend(block.items)
            else:
                lines.append(block if isinstance(block, str) else block.text)
    return "\n".join(lines)


def ingest_output(page: Page) -> Output:
    """Run ingest on one page."""
    article = parse_article(page.html, page.url)
    return Output(
        article.title,
        article_body(article),
        tuple(s.heading for s in article.sections if s.heading),
        tuple(item for s in article.sections for block in s.lists for item in block.items),
        article_body(article, captions=True),
    )


def _xml_text(node: ET.Element, nested: str = "") -> str:
    """An XML element's text, without its ``nested``-tagged descendants."""
    parts = [node.text or ""]
    for child in node:
        if child.tag != nested:
            parts.append(" " + _xml_text(child, nested) + " ")
        parts.append(child.tail or "")
    return normalize_whitespace("".join(parts))


def _trafilatura_xml(page: Page) -> Output:
    import trafilatura  # noqa: PLC0415  (bench-only dependency)

    xml = trafilatura.extract(page.html, output_format="xml", with_metadata=True, url=page.url)
    if not xml:
        return Output("", "", (), ())
    doc = ET.fromstring(xml)  # noqa: S314  (trafilatura's own output, not the page)
    main = doc.find("main")
    if main is None:
        main = doc
    return Output(
        normalize_whitespace(doc.get("title") or ""),
        _xml_text(main),
        tuple(text for node in main.iter("head") if (text := _xml_text(node))),
        tuple(text for node in main.iter("item") if (text := _xml_text(node, "list"))),
    )


def _trafilatura_plain(page: Page) -> Output:
    import trafilatura  # noqa: PLC0415  (bench-only dependency)

    return Output("", trafilatura.extract(page.html, url=page.url) or "", (), ())


def scored_body(page: Page, out: Output) -> str:
    """The text scored against the page's body: with captions on the readability pages."""
    return (out.with_captions or out.body) if page.corpus == "readability" else out.body


def run(system: Callable[[Page], Output], pages: list[Page]) -> tuple[Tally, list[Output]]:
    """Run ``system`` on every page, scoring and timing each call."""
    tally, outputs = Tally(), []
    for page in pages:
        start = time.perf_counter()
        out = system(page)
        tally.ms.append((time.perf_counter() - start) * 1000)
        outputs.append(out)
        tally.body.append(shingle_scores(page.body, scored_body(page, out)))
        if page.corpus == "readability":
            tally.body_without_captions.append(shingle_scores(page.body, out.body))
            tally.titles.append(out.title == page.title)
            tally.titles_without_site.append(out.title == page.title_without_site)
            tally.headings.append(match_scores(page.headings, out.headings))
            tally.items.append(match_scores(page.items, out.items))
            tally.heading_counts.append(match_counts(page.headings, out.headings))
            tally.item_counts.append(match_counts(page.items, out.items))
    return tally, outputs


def _speed(ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, 1000 * len(ordered) / sum(ordered)


def _row(label: str, ours: float, theirs: float | None, fmt: str = ".3f") -> str:
    if theirs is None:
        return f"  {label:<28}{ours:>10{fmt}}"
    ratio = f"{ours / theirs:8.2f}x" if theirs else "       -"
    return f"  {label:<28}{ours:>10{fmt}}{theirs:>14{fmt}}{ratio}"


def _metric(attr: str, index: int, tally: Tally) -> float:
    pairs: list[tuple[float, float]] = getattr(tally, attr)
    return _prf(pairs)[index]


def _pooled_metric(attr: str, index: int, tally: Tally) -> float:
    counts: list[tuple[int, int, int]] = getattr(tally, attr)
    return _pooled(counts)[index]


def _metrics(ours: Tally) -> list[tuple[str, Callable[[Tally], float]]]:
    """The figures a corpus has (labels and how to compute each from a tally)."""
    metrics: list[tuple[str, Callable[[Tally], float]]] = []
    if ours.body_without_captions:
        metrics.append(("body F1, captions left out", partial(_metric, "body_without_captions", 2)))
    for label, attr in (("body", "body"), ("heading", "headings"), ("list item", "items")):
        if getattr(ours, attr):
            for i, part in enumerate(("P", "R", "F1")):
                metrics.append((f"{label} {part}", partial(_metric, attr, i)))
    for label, attr in (("heading", "heading_counts"), ("list item", "item_counts")):
        if getattr(ours, attr):
            for i, part in enumerate(("P", "R", "F1")):
                metrics.append((f"{label} {part}, pooled", partial(_pooled_metric, attr, i)))
    if ours.titles:
        metrics.append(("title exact", lambda t: statistics.fmean(t.titles)))
        metrics.append(
            ("title exact, site/byline off", lambda t: statistics.fmean(t.titles_without_site))
        )
    return metrics


def report(name: str, ours: Tally, theirs: Tally | None) -> None:
    """Print one corpus's figures, ingest beside trafilatura with ratios."""
    print(f"\n{name}: {len(ours.ms)} pages" + ("" if theirs else " (ingest only)"))
    print(f"  {'':<28}{'ingest':>10}" + ("" if theirs is None else f"{'trafilatura':>14}   ratio"))
    for label, metric in _metrics(ours):
        print(_row(label, metric(ours), metric(theirs) if theirs else None))
    for i, label in enumerate(("median ms/page", "p95 ms/page", "pages/s (one core)")):
        mine = _speed(ours.ms)[i]
        other = _speed(theirs.ms)[i] if theirs else None
        print(_row(label, mine, other, ".1f"))


def worst(pages: list[Page], tally: Tally, outputs: list[Output], count: int) -> None:
    """Print the ``count`` pages with the lowest body F1 (and title misses) for inspection."""

    def f1(pair: tuple[float, float]) -> float:
        return 2 * pair[0] * pair[1] / (pair[0] + pair[1]) if sum(pair) else 0.0

    ranked = sorted(range(len(pages)), key=lambda i: f1(tally.body[i]))[:count]
    for i in ranked:
        p, r = tally.body[i]
        extra = ""
        if pages[i].corpus == "readability":
            h, it = tally.headings[i], tally.items[i]
            extra = f" head P{h[0]:.2f} R{h[1]:.2f} li P{it[0]:.2f} R{it[1]:.2f}"
            if not tally.titles[i]:
                extra += f" title {outputs[i].title!r} != {pages[i].title!r}"
        print(f"  {pages[i].corpus:<11} {pages[i].name[:24]:<24} P{p:.3f} R{r:.3f}{extra}")


def write_floors(pages: list[Page], tally: Tally) -> None:
    """Store each page's body recall minus the margin as the floor tests/parse checks."""
    floors: dict[str, dict[str, float]] = {}
    for page, (_, recall) in zip(pages, tally.body, strict=True):
        floor = max(0.0, int((recall - FLOOR_MARGIN) * 100) / 100)
        floors.setdefault(page.corpus, {})[page.name] = floor
    FLOORS.write_text(json.dumps(floors, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwrote {sum(len(v) for v in floors.values())} per-page recall floors to {FLOORS}")


def _check_trafilatura() -> bool:
    try:
        import trafilatura  # noqa: F401, PLC0415  (bench-only dependency)
    except ImportError:
        print("trafilatura is not installed: pip install -e '.[bench]' (or --ingest-only)")
        return False
    return True


def _print_speed(ours: list[float], theirs: list[float]) -> None:
    print("\nboth corpora, speed")
    for i, label in enumerate(("median ms/page", "p95 ms/page", "pages/s (one core)")):
        other = _speed(theirs)[i] if theirs else None
        print(_row(label, _speed(ours)[i], other, ".1f"))


def _print_not_stored(pages: list[Page]) -> None:
    """The pages a run would not store as articles (``parse_page``), with its reasons.

    The scores above come from ``parse_article``, which extracts whatever a page holds; a run
    first asks whether the page is an article at all, and these pages would be lost to it.
    """
    rejected = [
        (page, verdict)
        for page in pages
        if isinstance(verdict := parse_page(page.html, page.url), NotAnArticle)
    ]
    print(f"\nnot stored by a run (parse_page): {len(rejected)} of {len(pages)} pages")
    for page, verdict in rejected:
        print(f"  {page.corpus:<11} {page.name[:24]:<24} {verdict.reason}")


def main() -> int:
    """Score both corpora and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--ingest-only", action="store_true", help="skip trafilatura")
    parser.add_argument("--worst", type=int, default=0, help="list the N lowest-scoring pages")
    parser.add_argument("--write-floors", action="store_true", help=f"write {FLOORS.name}")
    args = parser.parse_args()
    root = corpora_root()
    zyte, readability = load_zyte(root), load_readability(root)
    if not zyte and not readability:
        print(f"no corpora under {root} (set INGEST_CORPORA)")
        return 2
    if not args.ingest_only and not _check_trafilatura():
        return 2
    for page in (zyte + readability)[:5]:  # warm-up: imports, caches
        ingest_output(page)
        if not args.ingest_only:
            _trafilatura_xml(page)
    all_ours, all_theirs = Tally(), Tally()
    for name, pages, theirs_fn in (
        ("zyte-articles", zyte, _trafilatura_plain),
        ("readability-pages", readability, _trafilatura_xml),
    ):
        if not pages:
            continue
        ours, outputs = run(ingest_output, pages)
        theirs = None if args.ingest_only else run(theirs_fn, pages)[0]
        report(name, ours, theirs)
        all_ours.ms += ours.ms
        all_ours.body += ours.body
        all_theirs.ms += theirs.ms if theirs else []
        if args.worst:
            worst(pages, ours, outputs, args.worst)
    _print_speed(all_ours.ms, all_theirs.ms)
    _print_not_stored(zyte + readability)
    if args.write_floors:
        write_floors(zyte + readability, all_ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
