"""Tests for ``ingest.parse.links``: which ``<a href>`` a page offers for discovery."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.parse.links import extract_links

PAGE = "https://blog.example.com/articles/first-post"


def _page(*anchors: str, head: str = "") -> str:
    """An HTML page with the given ``<a>`` (or other) elements in its body."""
    return f"<html><head>{head}</head><body>{''.join(anchors)}</body></html>"


def test_relative_links_resolve_against_the_page_url() -> None:
    """Relative, root-relative and absolute same-site links come back absolute, in order."""
    html = _page(
        '<a href="second-post">2</a>',
        '<a href="/about">about</a>',
        '<a href="https://blog.example.com/c?x=1">c</a>',
        '<a href="../tags/spf">tag</a>',
    )
    assert extract_links(html, PAGE) == [
        "https://blog.example.com/articles/second-post",
        "https://blog.example.com/about",
        "https://blog.example.com/c?x=1",
        "https://blog.example.com/tags/spf",
    ]


def test_base_href_wins_over_the_page_url() -> None:
    """A ``<base href>`` (itself relative to the page) is what relative links resolve against."""
    html = _page('<a href="post">p</a>', head='<base href="/archive/2024/">')
    assert extract_links(html, PAGE) == ["https://blog.example.com/archive/2024/post"]


def test_non_web_base_href_is_ignored() -> None:
    """A ``<base href>`` that is not http(s) falls back to the page URL."""
    html = _page('<a href="post">p</a>', head='<base href="javascript:void(0)">')
    assert extract_links(html, PAGE) == ["https://blog.example.com/articles/post"]


def test_fragments_are_removed_and_duplicates_dropped() -> None:
    """``a#x`` and ``a#y`` are one link; the first occurrence fixes its position."""
    html = _page(
        '<a href="/a#x">1</a>',
        '<a href="/b">2</a>',
        '<a href="/a#y">3</a>',
        '<a href="/b">4</a>',
    )
    assert extract_links(html, PAGE) == [
        "https://blog.example.com/a",
        "https://blog.example.com/b",
    ]


def test_links_to_the_page_itself_are_skipped() -> None:
    """In-page anchors, an empty href and the page's own URL are not new pages."""
    html = _page('<a href="#top">t</a>', '<a href="">e</a>', f'<a href="{PAGE}#c">c</a>')
    assert extract_links(html, PAGE + "#frag") == []


@pytest.mark.parametrize(
    "href",
    [
        "https://other.example.com/x",
        "https://example.com/x",
        "http://blog.example.com/x",
        "https://blog.example.com:8443/x",
        "//cdn.example.net/x",
        "ftp://blog.example.com/x",
        "mailto:editor@example.com",
        "javascript:void(0)",
        "tel:+123",
        "data:text/html,hi",
    ],
)
def test_other_origins_and_schemes_are_skipped(href: str) -> None:
    """Only http/https links on the page's scheme, host and port are kept."""
    assert extract_links(_page(f'<a href="{href}">x</a>'), PAGE) == []


def test_default_port_and_host_case_are_the_same_origin() -> None:
    """``:443`` on https and an upper-case host name are the page's own origin."""
    html = _page(
        '<a href="https://blog.example.com:443/x">1</a>',
        '<a href="https://BLOG.example.com/y">2</a>',
    )
    assert extract_links(html, PAGE) == [
        "https://blog.example.com:443/x",
        "https://BLOG.example.com/y",
    ]


@pytest.mark.parametrize("rel", ["nofollow", "NoFollow", "noopener nofollow", "ugc\tnofollow"])
def test_nofollow_links_are_skipped(rel: str) -> None:
    """A ``rel`` containing the ``nofollow`` token (any case) is not followed."""
    html = _page(f'<a rel="{rel}" href="/skip">s</a>', '<a rel="noopener" href="/keep">k</a>')
    assert extract_links(html, PAGE) == ["https://blog.example.com/keep"]


@pytest.mark.parametrize(
    "href",
    ["/img/a.jpg", "/b.PNG", "/doc.pdf?dl=1", "/x.zip", "/s.css", "/app.js", "/f.woff2", "/v.mp4"],
)
def test_non_page_files_are_skipped(href: str) -> None:
    """Links to images, documents, archives and page assets are not pages."""
    assert extract_links(_page(f'<a href="{href}">f</a>'), PAGE) == []


def test_dots_elsewhere_do_not_make_a_file() -> None:
    """Only the last path segment's extension counts; ``.html`` and dotted dirs are pages."""
    html = _page(
        '<a href="/v1.2/guide">g</a>', '<a href="/post.html">p</a>', '<a href="/a.jpg/">d</a>'
    )
    assert extract_links(html, PAGE) == [
        "https://blog.example.com/v1.2/guide",
        "https://blog.example.com/post.html",
        "https://blog.example.com/a.jpg/",
    ]


def test_anchors_without_href_and_other_elements_are_ignored() -> None:
    """Only ``<a href>`` counts: not ``<a name>``, ``<link>`` or ``<area>``."""
    html = _page('<a name="x">n</a>', '<link href="/l">', '<area href="/m">', '<a href="/ok">o</a>')
    assert extract_links(html, PAGE) == ["https://blog.example.com/ok"]


def test_bytes_honour_the_declared_charset() -> None:
    """Bytes are decoded by their ``<meta charset>``, so non-ASCII paths survive."""
    html = _page('<a href="/привет">p</a>', head='<meta charset="windows-1251">')
    assert extract_links(html.encode("windows-1251"), PAGE) == ["https://blog.example.com/привет"]


@pytest.mark.parametrize("base_url", ["", "not a url", "mailto:x@example.com", "http://[::1"])
def test_unusable_page_url_gives_no_links(base_url: str) -> None:
    """Without an http(s) page URL there is no origin to stay on, so nothing is returned."""
    assert extract_links(_page('<a href="https://example.com/x">x</a>'), base_url) == []


def test_unparseable_hrefs_are_skipped() -> None:
    """An href Python cannot split (bad IPv6, bad port) is dropped, not raised."""
    html = _page(
        '<a href="http://[::1/x">1</a>',
        '<a href="https://blog.example.com:99999/x">2</a>',
        '<a href="/fine">3</a>',
    )
    assert extract_links(html, PAGE) == ["https://blog.example.com/fine"]


_HREF = st.lists(
    st.sampled_from([*"/.#?:%[]@ \t", "http", "https://", "blog.example.com", "a", "é", "jpg"]),
    max_size=12,
).map("".join)


@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(content: bytes) -> None:
    """Any bytes give a list of same-origin http(s) URLs without fragments."""
    for url in extract_links(content, PAGE):
        assert urlsplit(url).netloc == "blog.example.com"
        assert "#" not in url


@given(hrefs=st.lists(_HREF | st.text(max_size=20), max_size=8), base=_HREF)
def test_arbitrary_hrefs_never_raise(hrefs: list[str], base: str) -> None:
    """Arbitrary href and base text gives unique, fragment-free, same-origin URLs."""
    anchors = [f"<a href='{href.replace(chr(39), '')}'>x</a>" for href in hrefs]
    links = extract_links(_page(*anchors, head=f"<base href='{base.replace(chr(39), '')}'>"), PAGE)
    assert len(links) == len(set(links))
    for url in links:
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port or 443) == (
            "https",
            "blog.example.com",
            443,
        )
        assert not parts.fragment
