"""Links in an article: link blocks, lists of the site's own pages, "Read more:" teasers.

A block (``div``, ``section``, ``table``, …) of three links or more whose text is mostly link
text is chrome (a menu, a link box), unless it holds a list and every link points into the
page (the article's table of contents in its box). A ``<ul>``/``<ol>`` made of links is chrome
when it lists the site's own pages ("More stories", "Related", a menu left inside the content)
or is a row of short links (profiles, buttons). It is the article's when an item says more
than its link ("Gijs fixed some flicker when …"), when its links are in-page anchors (the
article's table of contents), or when its items are titled links to other sites (the bugs
fixed, the sources read, the tools named).

A list of story cards, each item under a heading that links to another page of the site (the
headline of a "More stories" grid), is chrome too, however long the summaries under them.

A teaser is a short paragraph, item or heading that is a label and a colon followed by a link
to another story ("READ MORE: China plague outbreak confirmed", "Related: …", "Lire aussi : …").
"""

from __future__ import annotations

__all__ = [
    "TEASER_LABELS",
    "headline_link",
    "is_card_list",
    "is_link_heavy",
    "is_link_list_chrome",
    "is_teaser",
    "links_to_site",
    "site_hosts",
]

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.parse.text import text_length
from ingest.parse.tree import HEADING_TAGS, link_density, text_len

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# Blocks whose text is mostly link text (menus, link lists) are chrome when they hold this many
# links and at least this share of their text is inside links.
_LINK_HEAVY_MIN_LINKS = 3
# A list of two of the site's own pages is already chrome ("previous post", "next post").
_LINK_LIST_MIN_LINKS = 2
_LINK_HEAVY_DENSITY = 0.6
_LINK_HEAVY_TAGS = frozenset({"div", "section", "ul", "ol", "table", "dl", "span"})
# An item is "one link" when its longest link holds at least this share of its text.
_LINK_ITEM_SHARE = 0.8
# Links to other sites shorter than this many words on average are buttons, not titles.
_MIN_TITLE_WORDS = 3

# A list of this many story cards or more is a grid of other stories, when its items hold at
# most this many characters on average.
_MIN_CARDS = 3
_MAX_CARD_CHARS = 500

# What a teaser's label says, lower-cased, in the languages of the sites seen most.
TEASER_LABELS = (
    "read more", "read next", "read also", "also read", "also", "more", "see also", "related",
    "related article", "related articles", "related story", "related stories",
    "related coverage", "recommended", "don't miss", "dont miss", "must read", "watch",
    "top stories", "trending", "sign up", "more on this", "more on this story",
    "lire aussi", "à lire aussi", "voir aussi", "lesen sie auch", "mehr zum thema",
    "leia também", "leia mais", "veja também", "lee también", "te puede interesar",
    "leggi anche", "czytaj też", "czytaj także", "читайте также", "lees ook",
)  # fmt: skip
_TEASER = re.compile(
    r"\s*(?:" + "|".join(re.escape(label) for label in TEASER_LABELS) + r")\s*[:\uff1a]\s*",
    re.IGNORECASE,
)
_TEASER_TAGS = frozenset({"p", "li", "h2", "h3", "h4", "h5", "h6"})
# A teaser is short, and its link is most of what follows the label.
_MAX_TEASER_CHARS = 250
_TEASER_LINK_SHARE = 0.8


def site_hosts(*urls: str | None) -> frozenset[str]:
    """The hosts of ``urls`` without ``www.``, lower-cased: the names the page's site goes by."""
    hosts = set()
    for url in urls:
        try:
            host = urlsplit((url or "").strip()).hostname or ""
        except ValueError:
            continue
        if host:
            hosts.add(host.removeprefix("www."))
    return frozenset(hosts)


def _same_site(host: str, sites: frozenset[str]) -> bool:
    host = host.removeprefix("www.")
    return host in sites or any(
        host.endswith("." + site) or site.endswith("." + host) for site in sites
    )


def links_to_site(link: LexborNode, sites: frozenset[str]) -> bool:
    """True when ``link`` points to another page of the site (``sites`` as :func:`site_hosts`)."""
    return _target(link, sites) == "site"


def _target(link: LexborNode, sites: frozenset[str]) -> str:
    """Where a link points: "anchor" (same page), "site" (the site's pages) or "out"."""
    href = (link.attributes.get("href") or "").strip()
    if not href or href.startswith("#"):
        return "anchor"
    try:
        parts = urlsplit(href)
        host = parts.hostname or ""
    except ValueError:
        return "out"
    if parts.scheme and parts.scheme.lower() not in {"http", "https"}:
        return "out"
    if not parts.netloc or _same_site(host, sites):
        return "site"
    return "out"


def is_link_list_chrome(node: LexborNode, sites: frozenset[str]) -> bool:
    """True when the list ``node`` is made of links to the site's pages or of short buttons.

    ``sites`` are the page's hosts (:func:`site_hosts`); relative links are the site's. A list
    with an item that is more than one link, or with an in-page anchor, is the article's.
    """
    targets: set[str] = set()
    words = links = 0
    for item in node.css("li"):
        size = text_len(item)
        if not size:
            continue
        anchors = item.css("a")
        if not anchors:
            return False
        link = max(anchors, key=text_len)
        if text_len(link) < _LINK_ITEM_SHARE * size:
            return False
        targets.add(_target(link, sites))
        words += len(link.text(deep=True).split())
        links += 1
    if not links or "anchor" in targets:
        return False
    return targets == {"site"} or words / links < _MIN_TITLE_WORDS


def is_teaser(node: LexborNode) -> bool:
    """True for a short paragraph, item or heading that is a label, a colon and a link."""
    if (node.tag or "") not in _TEASER_TAGS or node.css_first("a[href]") is None:
        return False
    text = node.text(deep=True)  # what text_len measures
    if len(text) > _MAX_TEASER_CHARS or (label := _TEASER.match(text)) is None:
        return False
    rest = text_length(text) - len("".join(label.group(0).split()))
    linked = sum(text_len(link) for link in node.css("a[href]"))
    return rest > 0 and linked >= _TEASER_LINK_SHARE * rest


def is_link_heavy(node: LexborNode, sites: frozenset[str]) -> bool:
    """A block of mostly links: chrome, unless it is a list the article itself gives.

    A list of links is chrome when it names the site's own pages ("More stories", a menu) or is
    a row of short links (profiles, buttons); a list whose items say more than their link, or
    whose items are in-page anchors (a table of contents) or titled links to other sites (the
    bugs fixed, the sources read), is the article's (see :func:`is_link_list_chrome`; ``sites``
    as :func:`site_hosts` gives them).
    """
    tag = node.tag or ""
    if tag not in _LINK_HEAVY_TAGS:
        return False
    is_list = tag in {"ul", "ol"}
    least = _LINK_LIST_MIN_LINKS if is_list else _LINK_HEAVY_MIN_LINKS
    anchors = node.css("a")
    if len(anchors) < least or link_density(node) < _LINK_HEAVY_DENSITY:
        return False
    if is_list:
        return is_link_list_chrome(node, sites)
    return not _is_contents(node, anchors)


def _is_contents(node: LexborNode, anchors: list[LexborNode]) -> bool:
    """True for a block around a list whose links all point into the page (its contents)."""
    return node.css_first("ul, ol") is not None and all(
        (a.attributes.get("href") or "").strip().startswith("#") for a in anchors
    )


def headline_link(
    heading: LexborNode, within: LexborNode, sites: frozenset[str]
) -> LexborNode | None:
    """The link that makes ``heading`` a headline of another page of the site, else None.

    That is a link around the heading below ``within`` (a whole card linked), or the one
    link to the site inside it holding all its text.
    """
    parent = heading.parent
    while parent is not None and parent.mem_id != within.mem_id:
        if parent.tag == "a":
            return parent if links_to_site(parent, sites) else None
        parent = parent.parent
    links = [a for a in heading.css("a[href]") if links_to_site(a, sites)]
    if len(links) == 1 and text_len(links[0]) == text_len(heading):
        return links[0]
    return None


def is_card_list(node: LexborNode, sites: frozenset[str]) -> bool:
    """True for a list of story cards: each item has a heading linking to a page of the site.

    Cards are short (a headline, a line or two, a byline); items that say more on average are
    the article's own (the picks of a round-up, each linking to its review).
    """
    if (node.tag or "") not in {"ul", "ol"}:
        return False
    cards = size = 0
    for item in node.iter():
        if item.tag != "li" or not (item_size := text_len(item)):
            continue
        if not any(headline_link(h, item, sites) for h in item.css(HEADING_TAGS)):
            return False
        cards, size = cards + 1, size + item_size
    return cards >= _MIN_CARDS and size <= _MAX_CARD_CHARS * cards
