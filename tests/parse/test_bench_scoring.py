"""The extraction benchmark's scoring: how ``expected.html`` reads and how matches add up."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from support.bench import load_bench

BENCH = load_bench("extraction")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<h2>Examples<span>[<a>edit</a>]</span></h2>", "Examples[edit]"),
        ("<h2>W<b>or</b>d <em>and</em> more</h2>", "Word and more"),
        ("<h2>One<br>Two</h2>", "One Two"),
        ("<h2><div>One</div><div>Two</div></h2>", "One Two"),
    ],
)
def test_expected_text_is_read_as_laid_out(html: str, text: str) -> None:
    """Inline elements join their neighbours; block edges and <br> are spaces."""
    node = LexborHTMLParser(html).css_first("h2")
    assert node is not None
    assert BENCH._own_text(node, frozenset()) == text


def test_an_items_own_text_leaves_its_nested_list_out() -> None:
    """An item reads without its sub-list, which has items of its own."""
    node = LexborHTMLParser("<ul><li>In <b>progress</b>:<ul><li>Bug 1</li></ul></li></ul>")
    item = node.css_first("li")
    assert item is not None
    assert BENCH._own_text(item, frozenset({"ul", "ol"})) == "In progress:"


def test_pooled_scores_weigh_pages_by_their_strings() -> None:
    """Pooled P/R sum matches over pages; the per-page mean gives each page one vote."""
    pages = [(["a", "b", "c", "d"], ["a", "b", "c", "d"]), (["x"], ["y"])]
    counts = [BENCH.match_counts(true, pred) for true, pred in pages]
    assert counts == [(4, 4, 4), (0, 1, 1)]
    assert BENCH._pooled(counts) == (0.8, 0.8, pytest.approx(0.8))
    per_page = [BENCH.match_scores(true, pred) for true, pred in pages]
    assert BENCH._prf(per_page)[:2] == (0.5, 0.5)


def test_both_sides_empty_is_a_perfect_page_but_adds_nothing_pooled() -> None:
    """A page with no headings expected and none given scores 1.0 alone, 0 strings pooled."""
    assert BENCH.match_scores([], []) == (1.0, 1.0)
    assert BENCH.match_counts([], []) == (0, 0, 0)
