"""Lists of links inside an article: the site's own pages go, the links the article gives stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from selectolax.lexbor import LexborHTMLParser

from ingest.parse.html import parse_article
from ingest.parse.linklists import is_link_list_chrome, site_hosts

if TYPE_CHECKING:
    from ingest.items import Article

URL = "https://www.example.com/2024/05/the-story/"
FILLER = "The new survey counted far more nesting pairs on the cliffs than last spring. " * 4


def _article(body: str, *, url: str = URL, head: str = "<title>The story</title>") -> Article:
    """``body`` in an article between two paragraphs of text, parsed at ``url``."""
    page = (
        f"<!doctype html><html><head>{head}</head><body><article>"
        f"<h1>The story</h1><p>{FILLER}</p>{body}<p>{FILLER}</p></article></body></html>"
    )
    return parse_article(page, url)


def _items(html: str, *, url: str = URL, head: str = "<title>The story</title>") -> list[str]:
    article = _article(f"<h2>More</h2>{html}", url=url, head=head)
    return [item for s in article.sections for block in s.lists for item in block.items]


def _paragraphs(html: str) -> list[str]:
    return [p for s in _article(html).sections for p in s.paragraphs if p != FILLER.strip()]


def _list(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def test_a_list_of_the_sites_own_pages_is_dropped() -> None:
    """A "More stories" list without a class: titled links to the same site, any spelling."""
    html = _list(
        '<a href="/2024/04/puffins/">Puffins return to the northern cliffs early</a>',
        '<a href="https://example.com/2024/03/gulls/">Why the gulls left the harbour</a>',
        '<a href="https://news.example.com/terns/">Terns nest on the new island at last</a>',
    )
    assert _items(html) == []


def test_titled_links_to_other_sites_are_the_articles() -> None:
    """The bugs fixed, the sources read: each item a title linking out."""
    items = (
        "Bug 1677080 \u2013 Fullscreen window is affected by switching video source",
        "Bug 1677107 \u2013 Add telemetry for tracking multiple windows",
        "Bug 1681796 \u2013 Prevent superfluous actors from being created",
    )
    html = _list(*(f'<a href="https://bugs.example.org/{n}">{t}</a>' for n, t in enumerate(items)))
    assert _items(html) == list(items)


def test_items_that_say_more_than_their_link_are_the_articles() -> None:
    """Same-site links inside sentences: the list is the article's, not a menu."""
    html = _list(
        'Gijs fixed <a href="/a/">some flicker</a> that occurred when launching the browser',
        'Mike <a href="/b/">re-enabled the talos tests</a> on every platform we build',
        'Dana wrote up <a href="/c/">the results</a> of the survey for everyone to read',
    )
    assert _items(html) == [
        "Gijs fixed some flicker that occurred when launching the browser",
        "Mike re-enabled the talos tests on every platform we build",
        "Dana wrote up the results of the survey for everyone to read",
    ]


def test_an_in_page_table_of_contents_is_the_articles() -> None:
    """Anchors into the page (a contents list without a class) are kept."""
    html = _list(
        '<a href="#themes">Themes</a>', '<a href="#add-ons">Add-ons</a>', '<a href="#bar">Bar</a>'
    )
    assert _items(html) == ["Themes", "Add-ons", "Bar"]


@pytest.mark.parametrize(
    "box",
    [
        (
            '<details class="toc-container" open><summary>Table of Contents</summary>'
            '<div class="toc">{}</div></details>'
        ),
        '<div id="ez-toc-container"><p class="ez-toc-title">Contents</p>{}</div>',
    ],
)
def test_a_table_of_contents_in_a_box_is_the_articles(box: str) -> None:
    """A box around a nested list of anchors into the page keeps each entry as an item."""
    nested = _list('<a href="#z-score">Understanding Z-Score</a>', '<a href="#tune">Tuning</a>')
    html = box.format(
        _list(f'<a href="#detect">Detecting Anomalies</a>{nested}', '<a href="#log">Logs</a>')
    )
    assert _items(html) == ["Detecting Anomalies", "Understanding Z-Score", "Tuning", "Logs"]


def test_a_box_of_in_page_links_without_a_list_is_chrome() -> None:
    """Jump links ("Top | Comments | Share") in a box are not a table of contents."""
    html = (
        '<div><a href="#top">Top</a> | <a href="#comments">Comments</a> | '
        '<a href="#share">Share</a></div>'
    )
    assert "Comments" not in " ".join(_paragraphs(html))


def test_a_row_of_short_links_out_is_dropped() -> None:
    """Profiles and buttons: one or two words a link, to other sites."""
    html = _list(
        '<a href="https://twitter.com/example">Twitter</a>',
        '<a href="https://facebook.com/example">Facebook</a>',
        '<a href="https://instagram.com/example">Instagram</a>',
    )
    assert _items(html) == []


def test_the_canonical_host_is_the_site_too() -> None:
    """A page read from a mirror: links to its canonical host are the site's own pages."""
    head = '<link rel="canonical" href="https://www.example.com/2024/05/the-story/">'
    html = _list(
        '<a href="https://www.example.com/a/">Puffins return to the northern cliffs</a>',
        '<a href="https://www.example.com/b/">Why the gulls left the harbour</a>',
        '<a href="https://www.example.com/c/">Terns nest on the new island at last</a>',
    )
    assert _items(html, url="http://mirror.test/page.html", head=head) == []


@pytest.mark.parametrize(
    ("urls", "hosts"),
    [
        (("https://www.Example.com/x", None), {"example.com"}),
        (("http://a.test:8080/", "https://b.test/"), {"a.test", "b.test"}),
        (("", "not a url", "http://[bad"), set()),
    ],
)
def test_site_hosts(urls: tuple[str | None, ...], hosts: set[str]) -> None:
    """Hosts lose ``www.`` and case; what is not a URL names no host."""
    assert site_hosts(*urls) == hosts


def test_an_empty_list_is_not_chrome() -> None:
    """A list without text says nothing about links."""
    node = LexborHTMLParser("<ul><li> </li></ul>").css_first("ul")
    assert node is not None
    assert not is_link_list_chrome(node, frozenset({"example.com"}))


@pytest.mark.parametrize(
    "teaser",
    [
        '<p><strong>READ MORE:\xa0<a href="/news/1">China plague outbreak</a></strong></p>',
        '<p>Related: <a href="https://example.com/b">The 15 weirdest galaxies</a></p>',
        '<p>Lire aussi\xa0: <a href="/c">Les critiques de la CNIL contre le projet</a></p>',
        '<p>Also: <a href="https://other.test/d">See Black Friday coverage at CNET</a></p>',
    ],
)
def test_a_label_and_a_link_to_another_story_is_a_teaser(teaser: str) -> None:
    """A "Read more:", "Related:" or "Lire aussi :" label and a link: a promo of another page."""
    assert _paragraphs(teaser) == []


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            '<p>Read more: the study <a href="/s">found</a> that the colony had doubled.</p>',
            "Read more: the study found that the colony had doubled.",
        ),
        ("<p>Related: the gulls left the harbour when the fish did.</p>", None),
        ('<p>Further <a href="/x">reading</a> on the subject</p>', None),
    ],
)
def test_a_label_with_text_of_its_own_stays(html: str, text: str | None) -> None:
    """A label whose sentence says more than its link, or that has no link, is text."""
    expected = text or LexborHTMLParser(html).text(deep=True)
    assert _paragraphs(html) == [expected]


def test_previous_and_next_post_links_are_dropped() -> None:
    """Two links to the site's own posts: the post navigation, not the article's list."""
    html = _list(
        '<a href="/2024/04/puffins/">Puffins return to the northern cliffs early</a>',
        '<a href="/2024/06/gulls/">Why the gulls left the harbour</a>',
    )
    assert _items(html) == []
    two_out = _list(
        '<a href="https://bugs.example.org/1">Bug 1 \u2013 Crash when the window is closed</a>',
        '<a href="https://bugs.example.org/2">Bug 2 \u2013 Flicker when the browser starts</a>',
    )
    assert len(_items(two_out)) == 2


def _card(headline: str, summary: str, *, href: str, wrapped: bool = False) -> str:
    """A story card: a kicker, a headline linking to ``href``, a summary."""
    if wrapped:  # the whole card is the link
        return f'<a href="{href}"><h4>Kicker</h4><h3>{headline}</h3><p>{summary}</p></a>'
    headline = f'<a href="{href}">{headline}</a>'
    return f"<article><h4>Kicker</h4><h3>{headline}</h3><p>{summary}</p></article>"


CARDS = (
    ("Puffins return to the northern cliffs", "The colony is larger than in any year on record."),
    ("Why the gulls left the harbour", "Fishermen say the waste they fed on is gone."),
    ("Terns nest on the new island at last", "Wardens counted forty nests in the first week."),
)


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_grid_of_story_cards_is_dropped(wrapped: bool) -> None:
    """Each item a headline linking to another of the site's pages over a summary."""
    html = _list(
        *(_card(h, s, href=f"/2024/{i}/", wrapped=wrapped) for i, (h, s) in enumerate(CARDS))
    )
    article = _article(html)
    text = " ".join(f"{s.heading} {s.text}" for s in article.sections)
    assert "gulls" not in text
    assert "Fishermen" not in text
    assert FILLER.strip() in text


def test_cards_linking_to_other_sites_or_too_few_are_kept() -> None:
    """Headlines linking out (sources) or two cards only are not the site's story grid."""
    out = _list(*(_card(h, s, href=f"https://other.org/{i}") for i, (h, s) in enumerate(CARDS)))
    two = _list(*(_card(h, s, href=f"/2024/{i}/") for i, (h, s) in enumerate(CARDS[:2])))
    for html in (out, two):
        headings = [s.heading for s in _article(html).sections]
        assert "Why the gulls left the harbour" in headings


def test_cards_that_say_a_lot_are_the_articles() -> None:
    """Items under linked headings averaging over 500 characters are picks, not teasers."""
    long = "The reviewer walked the whole coast path twice before choosing this one. " * 8
    html = _list(*(_card(h, long, href=f"/2024/{i}/") for i, (h, _) in enumerate(CARDS)))
    article = _article(f"<div><p>{FILLER * 6}</p></div>{html}")
    assert [s.heading for s in article.sections if s.level == 3] == [h for h, _ in CARDS]


def test_a_round_up_made_of_cards_is_the_article() -> None:
    """Cards holding most of the content are the article itself (a list of reviews)."""
    summary = "The reviewer walked the whole coast path twice before choosing this one. " * 5
    html = _list(*(_card(h, summary, href=f"/2024/{i}/") for i, (h, _) in enumerate(CARDS)))
    article = parse_article(
        f"<html><body><article><h1>Best walks</h1><p>Intro.</p>{html}</article></body></html>", URL
    )
    assert [s.heading for s in article.sections if s.level == 3] == [h for h, _ in CARDS]


def test_a_list_whose_items_have_headings_is_sections() -> None:
    """A grid of features (heading, text, a link on) gives a section per item, no list."""
    features = (
        ("WebIDE", "Develop, deploy and debug apps directly in your browser."),
        ("Valence", "Debug your apps across browsers and devices with one extension."),
    )
    html = _list(
        *(
            f"<h3>{name}</h3><p>{text}</p><a href='/docs/{name}'>Learn more</a>"
            for name, text in features
        )
    )
    article = _article(html)
    got = [(s.heading, s.paragraphs[0]) for s in article.sections if s.level == 3]
    assert got == list(features)
    assert not [block for s in article.sections for block in s.lists]
