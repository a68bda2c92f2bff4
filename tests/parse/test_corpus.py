"""Corpus regression: every third-party page extracts, and no page loses its body.

The scoring (the Zyte benchmark's shingle recall) and the corpus loaders are the benchmark's
own, loaded from ``bench/extraction.py`` so that test and benchmark cannot disagree. The
per-page floors in ``corpus_floors.json`` are written deliberately by
``bench/extraction.py --ingest-only --write-floors`` (each a little under what the page scores)
and reviewed in the diff like a golden file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.items import Article, NotAnArticle
from ingest.parse.html import parse_page
from support.bench import load_bench

FLOORS = Path(__file__).with_name("corpus_floors.json")


BENCH = load_bench("extraction")
CORPORA = BENCH.corpora_root()
PAGES = BENCH.load_zyte(CORPORA) + BENCH.load_readability(CORPORA)
pytestmark = pytest.mark.skipif(
    not PAGES, reason=f"corpora folder absent ({CORPORA}); set INGEST_CORPORA"
)


def test_floors_cover_every_corpus_page() -> None:
    """Each corpus page has a stored floor, so none is left unguarded."""
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    assert {(p.corpus, p.name) for p in PAGES} <= {
        (corpus, name) for corpus, names in floors.items() for name in names
    }


def test_every_page_extracts_and_keeps_its_body() -> None:
    """Every page gives an Article whose body recall stays at or above the page's floor."""
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    below = []
    for page in PAGES:
        output = BENCH.ingest_output(page)
        _, recall = BENCH.shingle_scores(page.body, BENCH.scored_body(page, output))
        floor = floors[page.corpus][page.name]
        if recall < floor:
            below.append(f"{page.corpus}/{page.name}: recall {recall:.3f} < floor {floor:.2f}")
    assert not below, "\n".join(below)


def test_corpus_pages_give_titles() -> None:
    """Every readability page gets a non-empty title."""
    from ingest.parse.html import parse_article  # noqa: PLC0415  (same import the bench uses)

    for page in PAGES:
        if page.corpus == "readability":
            article = parse_article(page.html, page.url)
            assert isinstance(article, Article)
            assert article.title, page.name


def test_no_article_page_is_taken_for_a_listing() -> None:
    """The Zyte pages are all articles: the pipeline's page check never calls one a listing.

    (Related-story cards around the article, or teaser headings in its sidebar, once made
    four of them "listing pages", which a run would not have stored.)
    """
    listings = []
    for page in PAGES:
        if page.corpus == "zyte":
            verdict = parse_page(page.html, page.url)
            if isinstance(verdict, NotAnArticle) and verdict.reason.startswith("listing"):
                listings.append(f"{page.name}: {verdict.reason}")
    assert not listings, "\n".join(listings)
