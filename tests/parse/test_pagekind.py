from __future__ import annotations

import pytest

from ingest.items import Article, NotAnArticle
from ingest.parse.html import parse_page
from ingest.parse.pagekind import MAX_NOTICE_CHARS, notice_reason

SHORT = "Nothing to see here, try the search box."


@pytest.mark.parametrize(
    ("title", "heading", "text", "password", "kind"),
    [
        ("Page not found - Site", "", SHORT, False, "soft 404"),
        ("Site", "Oops! That page can\u2019t be found.", SHORT, False, "soft 404"),
        ("Error 404", "", SHORT, False, "soft 404"),
        ("Seite nicht gefunden", "", SHORT, False, "soft 404"),
        ("Log in | Members", "", SHORT, True, "login page"),
        ("Site", "Sign in to your account", SHORT, True, "login page"),
        ("Just a moment...", "", SHORT, False, "blocked page"),
        ("Site", "", "Please enable JavaScript and cookies to continue.", False, "blocked page"),
        ("Site", "", "Subscribe to continue reading this story.", False, "blocked page"),
    ],
)
def test_notices_are_recognised(
    title: str, heading: str, text: str, password: bool, kind: str
) -> None:
    """Soft-404, login and block pages are named by a phrase in their title, heading or text."""
    reason = notice_reason(title, heading, text, has_password=password)
    assert reason is not None
    assert reason.startswith(kind)


def test_long_pages_are_never_notices() -> None:
    """An article about 404 errors or logins (a long body) is not a notice."""
    text = "x" * (MAX_NOTICE_CHARS + 1)
    assert notice_reason("Fixing 404 errors", "", text, has_password=False) is None
    assert notice_reason("Log in safely", "", text, has_password=True) is None


def test_password_box_alone_is_not_a_login_page() -> None:
    """A site-wide login box on a short news item does not make it a login page."""
    assert notice_reason("Road reopens", "Road reopens", SHORT, has_password=True) is None


def test_ordinary_short_page_is_not_a_notice() -> None:
    """A short page without telling phrases gets no verdict here."""
    assert notice_reason("Opening hours", "Opening hours", SHORT, has_password=False) is None


URL = "https://news.example/2024/05/the-story/"
FILLER = "The harbour board approved the new ferry route after a long public consultation. "


def _page(body: str) -> str:
    return f"<html><head><title>The story</title></head><body>{body}</body></html>"


def _teasers(count: int, summary: str = "A short summary of another story.") -> str:
    return "".join(
        f'<article><h3><a href="/2024/04/story-{i}/">Another story {i}</a></h3><p>{summary}</p>'
        "</article>"
        for i in range(count)
    )


def test_an_article_among_many_article_teasers_is_an_article() -> None:
    """The page's own <article> dwarfs the related-story <article> cards: not a listing."""
    body = (
        f"<main><article><h1>The story</h1><p>{FILLER * 5}</p><p>{FILLER * 5}</p></article>"
        f"<section>{_teasers(20, FILLER)}</section></main>"
    )
    page = parse_page(_page(body), URL)
    assert isinstance(page, Article), page


def test_a_featured_card_among_cards_is_still_a_listing() -> None:
    """A lead card two or three times the others is a teaser too: the page is a listing."""
    lead = f'<article><h2><a href="/2024/05/lead/">The lead</a></h2><p>{FILLER * 3}</p></article>'
    page = parse_page(_page(f"<main>{lead}{_teasers(6, FILLER)}</main>"), URL)
    assert isinstance(page, NotAnArticle)
    assert page.reason.startswith("listing page"), page.reason


def _latest_page_reason(cards: str) -> str:
    """Why a "Latest" page holding ``cards`` is no article (it must be none)."""
    page = parse_page(_page(f"<main><h1>Latest</h1>{cards}</main>"), URL)
    assert isinstance(page, NotAnArticle)
    return page.reason


def test_cards_linked_whole_make_a_listing() -> None:
    """Headings inside links to the site's other pages (cards linked whole) are teasers."""
    cards = "".join(
        f'<div><a href="/2024/04/story-{i}/"><h3>Another story {i}</h3><p>{FILLER}</p></a></div>'
        for i in range(5)
    )
    assert _latest_page_reason(cards).startswith("listing page: 5 headings")


def test_teasers_to_the_sites_other_hosts_count() -> None:
    """Headline links to ``www.`` or a subdomain of the page's host are the site's pages too."""
    cards = "".join(
        f'<div><h3><a href="https://{host}/2024/04/story-{i}/">Another story {i}</a></h3>'
        f"<p>{FILLER}</p></div>"
        for i, host in enumerate(["www.news.example", "sport.news.example"] * 2)
    )
    assert _latest_page_reason(cards).startswith("listing page: 4 headings")
