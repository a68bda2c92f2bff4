from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.parse.boilerplate import (
    chrome_reason,
    is_never_content,
    remove_chrome,
    remove_non_content,
)
from ingest.parse.pagekind import listing_reason
from ingest.parse.structure import is_label_text
from ingest.parse.tree import link_density


def _node(html: str) -> LexborNode:
    node = LexborHTMLParser(f"<body>{html}</body>").css_first("body > *")
    assert node is not None
    return node


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ('<div class="ad-slot">x</div>', "ad"),
        ('<div class="post-ad">x</div>', "ad"),
        ('<div id="adContainer">x</div>', "ad"),
        ('<div class="sponsored-links">x</div>', "sponsor"),
        ('<div class="wp-block-group promo-box">x</div>', "promo"),
        ('<div class="get-started"><div class="free-trial">Try it</div></div>', "promo"),
        ('<section class="cta-free-trial">x</section>', "promo"),
        ('<div class="sharedaddy sd-sharing-enabled">x</div>', "share"),
        ('<section class="related-posts">x</section>', "related"),
        ('<div id="comments" class="comments-area">x</div>', "comment"),
        ('<div class="mc4wp-form">x</div>', "newsletter"),
        ('<section class="widget widget_text">x</section>', "sidebar"),
        ('<div class="breadcrumbs">x</div>', "breadcrumb"),
        ('<div class="wpml-ls language-switcher">x</div>', "language"),
        ('<div class="cookie-notice">x</div>', "cookie"),
        ('<div class="author-box">x</div>', "author"),
        ('<div class="entry-meta">x</div>', "meta"),
        ('<span class="tags-links">x</span>', "tags"),
        ('<div class="pagination">x</div>', "pagination"),
        ('<span class="newsCaption">x</span>', "caption"),
        ('<p class="wp-caption-text">x</p>', "caption"),
        ('<div class="photo-credit">x</div>', "caption"),
        ('<span class="timestamp">x</span>', "date"),
        ('<div class="print-header">x</div>', "print"),
        ('<div class="printfooter">Retrieved from "https://x"</div>', "print"),
        ('<a class="mw-jump-link" href="#mw-head">Jump to navigation</a>', "skip-link"),
        ('<a href="#main">Skip to content</a>', "skip-link"),
        ('<span class="screen-reader-text">x</span>', "hidden"),
        ('<div role="navigation">x</div>', "role=navigation"),
        ('<div aria-hidden="true">x</div>', "hidden"),
        ('<div style="display: none">x</div>', "hidden"),
        ('<div style="position:absolute; top:0; left:-9999px;"><a href="/">x</a></div>', "hidden"),
        ('<span style="text-indent: -10000px">x</span>', "hidden"),
        ('<a hreflang="fr" href="/fr/">Français</a>', "language"),
        ('<a href="whatsapp://send?text=x" class="wabtn">Share this on WhatsApp</a>', "share"),
        ('<a href="https://www.facebook.com/sharer/sharer.php?u=x">Post</a>', "share"),
        ('<a href="https://twitter.com/intent/tweet?url=x">Tweet</a>', "share"),
        ('<span class="data" itemprop="datePublished">22 de janeiro de 2018</span>', "date"),
        ('<span itemprop="author" itemscope><b itemprop="name">Sarah Archer</b></span>', "author"),
        ('<a rel="author" href="/by/ann">Ann Writer</a>', "author"),
        ("<nav>x</nav>", "nav"),
        ("<header><p>site</p></header>", "header"),
    ],
)
def test_chrome_is_recognised_by_named_rule(html: str, reason: str) -> None:
    """Each family of chrome is caught by its tag, role, hidden marker or class/id rule."""
    assert chrome_reason(_node(html)) == reason


@pytest.mark.parametrize(
    "html",
    [
        '<div class="read-more-content">x</div>',
        '<div class="entry-header">x</div>',
        '<div class="shadow head">x</div>',
        '<span class="comments-count">3</span>',
        '<article class="post hentry category-skin-concerns tag-microneedling">x</article>',
        '<div class="entry-content">x</div>',
        '<div class="address">x</div>',
        "<header><h1>Title</h1></header>",
        "<p>Plain</p>",
        '<a href="https://www.facebook.com/groups/tidepools">our group</a>',
        '<a href="#fn1">Jumping spiders, see note 1</a>',
        '<a href="/skip-to-the-end">Skip to the end of the season</a>',
        (
            '<a href="https://twitter.com/intent/tweet?text=x"><span>Increasing your visibility '
            "gradually lets you grow into your role with much less stress.</span></a>"
        ),
        f'<div itemprop="author"><p>{"A long author biography. " * 6}</p></div>',
        '<p style="margin-left: -12px; left: -40px">x</p>',
    ],
)
def test_loose_matches_are_not_chrome(html: str) -> None:
    """Parts must match whole: "ad" is not in "read"/"head"/"shadow"; an article header stays."""
    assert chrome_reason(_node(html)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Advertisement", True),
        ("  ADVERTISEMENT ", True),
        ("Sponsored", True),
        ("Story continues below advertisement", True),
        ("Continue reading the main story", True),
        ("ADVERTISING", True),
        ("Advertisement revenue fell by a third last year.", False),
        ("Sponsored by nobody, this study was independent.", False),
    ],
)
def test_label_paragraphs(text: str, expected: bool) -> None:
    """Only a paragraph that is nothing but a chrome label counts as one."""
    assert is_label_text(text) is expected


def test_link_density_is_linked_share_of_text() -> None:
    """Half the characters inside links gives 0.5; an empty node gives 0."""
    assert link_density(_node("<p>abcd<a href='/'>efgh</a></p>")) == pytest.approx(0.5)
    assert link_density(_node("<p></p>")) == 0.0


def test_remove_chrome_drops_blocks_but_spares_the_bulk_of_content() -> None:
    """A promo box goes; a wrapper with a chrome-looking class holding most text stays."""
    body = "Long body text about collagen induction therapy and skin healing. " * 5
    root = _node(
        f'<div><div class="inner has-sidebar"><p>{body}</p>'
        '<div class="promo-box"><p>Enroll now</p></div>'
        '<ul><li><a href="/a">A</a></li><li><a href="/b">B</a></li><li><a href="/c">C</a></li></ul>'
        "</div></div>"
    )
    fired = remove_chrome(root)
    text = root.text()
    assert "collagen induction" in text
    assert "Enroll now" not in text
    assert "promo" in fired
    assert "link-heavy" in fired


def test_remove_chrome_drops_tag_lists_by_rel_tag() -> None:
    """An element that is mostly rel=tag links ("Tags: a, b") goes with its label."""
    body = "Long body text about collagen induction therapy and skin healing. " * 5
    root = _node(
        f'<div><p>{body}</p><p>Read the <a rel="tag" href="/t/skin">skin</a> guide first.</p>'
        '<strong>Tags<br><a href="/t/a" rel="tag">stock car 2018</a>, '
        '<a href="/t/b" rel="tag">stock car brasil</a></strong></div>'
    )
    fired = remove_chrome(root)
    text = root.text()
    assert "collagen induction" in text
    assert "skin guide" in " ".join(text.split())
    assert "Tags" not in text
    assert "stock car" not in text
    assert fired == ["tags"]


def test_a_form_goes_with_the_box_that_only_frames_it() -> None:
    """A newsletter box (heading, pitch, form, messages) goes whole; an article keeps its text."""
    body = "Long body text about collagen induction therapy and skin healing. " * 5
    tree = LexborHTMLParser(
        f'<body><div id="post"><p>{body}</p><form><input name="q"></form></div>'
        '<div class="mb4 pa4"><div><h2>Subscribe to the Morning Review</h2>'
        "<p>Top headlines in your inbox.</p></div><div><div><style>.x{color:red}</style>"
        "<form><input name='email'><button>Go</button></form></div></div>"
        "<p>You have been subscribed!</p></div></body>"
    )
    assert tree.root is not None
    remove_non_content(tree.root)
    text = tree.root.text()
    assert "collagen induction" in text
    assert "Subscribe" not in text
    assert "subscribed!" not in text
    assert tree.css_first("#post") is not None


def test_listing_needs_cards_and_little_else() -> None:
    """Three teaser cards alone make a listing; the same cards under a long article do not."""
    cards = "".join(
        f'<article><h2><a href="/p{i}/">Post {i}</a></h2><p>Excerpt {i} text.</p></article>'
        for i in range(3)
    )
    article = "<p>" + "Real article text goes on and on. " * 40 + "</p>"
    reasons = []
    for html in (cards, article + cards):
        tree = LexborHTMLParser(f"<body><main>{html}</main></body>")
        body, main = tree.body, tree.css_first("main")
        assert body is not None
        assert main is not None
        reasons.append(listing_reason(body, main, "http://h/"))
    assert reasons == ["listing page: 3 article cards", None]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<div id="comments">x</div>', True),
        ('<div id="comment-box">x</div>', True),
        ('<div class="userComments">x</div>', True),
        ('<div class="related-posts">x</div>', True),
        ('<div class="post comments-open">x</div>', False),
        ('<span class="comment-count">x</span>', False),
        ('<div class="has-sidebar">x</div>', False),
        ('<div class="entry-content">x</div>', False),
    ],
)
def test_never_content_blocks(html: str, expected: bool) -> None:
    """Comment threads, related posts and the like are never content; comment states are."""
    assert is_never_content(_node(html)) is expected
