"""Lists of links in an article: the site's own pages (chrome) or links the article gives.

A ``<ul>``/``<ol>`` made of links is chrome when it lists the site's own pages ("More
stories", "Related", a menu left inside the content) or is a row of short links (profiles,
buttons). It is the article's when an item says more than its link ("Gijs fixed some flicker
when …"), when its links are in-page anchors (the article's table of contents), or when its
items are titled links to other sites (the bugs fixed, the sources read, the tools named).
"""

from __future__ import annotations

__all__ = ["is_link_list_chrome", "site_hosts"]

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.parse.tree import text_len

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# An item is "one link" when its longest link holds at least this share of its text.
_LINK_ITEM_SHARE = 0.8
# Links to other sites shorter than this many words on average are buttons, not titles.
_MIN_TITLE_WORDS = 3


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
