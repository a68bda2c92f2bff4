"""A site's extraction overrides: CSS selectors for the content root and for parts to drop."""

from __future__ import annotations

from ingest.config import ExtractConfig
from ingest.items import Article, NotAnArticle
from ingest.parse.html import parse_article, parse_page

URL = "https://www.example.com/2024/05/tide-pools/"
STORY = (
    "The anemones close at low tide and hold a pocket of sea water until the evening tide. "
    "Shore crabs walk down to the lower pools, where the water stays a degree warmer."
)
SIDEBAR = "Our sponsor's long message about kayaks, wetsuits and weekend shore walks. " * 8
PAGE = (
    "<html><head><title>Tide pools</title></head><body><div class='wrap'>"
    "<div class='story-x'><h1>Tide pools</h1>"
    f"<p>{STORY}</p><div class='q7'>Aquarium tickets at half price this week only</div>"
    "<h2>Crabs</h2><p>They bury themselves in sand through the coldest weeks.</p></div>"
    f"<div class='side-x'><p>{SIDEBAR}</p></div></div></body></html>"
)


def _text(article: Article) -> str:
    return "\n".join(f"{s.heading}\n{s.text}" for s in article.sections)


def test_without_overrides_the_general_rules_pick_the_biggest_block() -> None:
    """The page is built so that the rules alone take the sponsor's block (the case to fix)."""
    assert "kayaks" in _text(parse_article(PAGE, URL))


def test_the_content_selector_sets_the_content_root() -> None:
    """Its first match is the content; the rules still remove chrome inside it."""
    article = parse_article(PAGE, URL, rules=ExtractConfig(content="div.story-x"))
    text = _text(article)
    assert STORY in text
    assert "kayaks" not in text
    assert [s.heading for s in article.sections] == ["", "Crabs"]
    assert article.title == "Tide pools"


def test_drop_selectors_remove_every_match_first() -> None:
    """A promo line the rules keep goes when a drop selector names it."""
    keep = _text(parse_article(PAGE, URL, rules=ExtractConfig(content="div.story-x")))
    assert "Aquarium tickets" in keep
    rules = ExtractConfig(content="div.story-x", drop=(".q7", "h2"))
    text = _text(parse_article(PAGE, URL, rules=rules))
    assert "Aquarium tickets" not in text
    assert "Crabs" not in text
    assert "They bury themselves" in text


def test_a_content_selector_that_matches_nothing_falls_back_to_the_rules() -> None:
    """A page of the site without that block (a redesign) is read by the general rules."""
    rules = ExtractConfig(content="main.never-there", drop=(".side-x",))
    article = parse_page(PAGE, URL, rules=rules)
    assert isinstance(article, Article)
    assert STORY in _text(article)


def test_a_listing_stays_a_listing_under_a_content_selector() -> None:
    """The content selector does not make a page of cards an article."""
    cards = "".join(
        f"<article><h2><a href='/2024/0{i}/story/'>Story {i}</a></h2><p>{STORY}</p></article>"
        for i in range(1, 5)
    )
    page = f"<html><body><main class='list'>{cards}</main></body></html>"
    verdict = parse_page(page, URL, rules=ExtractConfig(content="main.list"))
    assert isinstance(verdict, NotAnArticle)
    assert verdict.reason.startswith("listing page")


def test_dropping_everything_leaves_an_empty_article_not_an_error() -> None:
    """Selectors that match the whole body (or the html element) never raise."""
    for selector in ("body", "html", "div"):
        article = parse_article(PAGE, URL, rules=ExtractConfig(drop=(selector,)))
        assert isinstance(article, Article)
