"""Same-site page links of an HTML page, for discovery when a site has no sitemap.

Every ``<a href>`` is resolved against the page's ``<base href>`` (itself resolved against the
page URL) or the page URL, its fragment dropped, and kept only when it is an ``http``/``https``
URL on the same origin (scheme, host and port) as the page, is not ``rel="nofollow"``, does not
point back at the page itself and does not name an obvious non-page file (an image, a PDF, an
archive, a stylesheet, a script, …; see :data:`NON_PAGE_EXTENSIONS`). The result is
de-duplicated and in document order. Arbitrary bytes never raise: a URL that cannot be parsed
is skipped.
"""

from __future__ import annotations

__all__ = ["NON_PAGE_EXTENSIONS", "extract_links"]

from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

if TYPE_CHECKING:
    from collections.abc import Iterator

NON_PAGE_EXTENSIONS = frozenset(
    {
        # images
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif",
        ".tiff", ".heic",
        # documents and data
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".csv",
        ".txt", ".json", ".xml", ".rss", ".atom", ".epub",
        # archives and binaries
        ".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".exe", ".dmg", ".apk",
        ".msi", ".iso", ".bin",
        # page assets
        ".css", ".js", ".mjs", ".map", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        # audio and video
        ".mp3", ".mp4", ".m4a", ".m4v", ".wav", ".ogg", ".oga", ".ogv", ".webm", ".avi",
        ".mov", ".mkv", ".flac", ".aac",
    }
)  # fmt: skip
"""Lower-case extensions of the last path segment that mark a link as not an HTML page."""

_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_Origin = tuple[str, str, int]


def extract_links(content: bytes | str, base_url: str) -> list[str]:
    """Return the page's same-origin links to other pages, de-duplicated, in document order.

    Args:
        content: the HTML; bytes are decoded by the HTML Standard's rules (BOM, then
            ``<meta charset>``, else UTF-8), undecodable bytes become U+FFFD.
        base_url: the URL the page was fetched from (after redirects).

    Returns:
        Absolute ``http``/``https`` URLs without fragments. Empty when ``base_url`` itself is
        not an ``http``/``https`` URL.
    """
    page = _parse_url(base_url)
    if page is None:
        return []
    origin = _origin(page)
    if origin is None:
        return []
    page_url = urldefrag(page.geturl()).url

    if isinstance(content, bytes):
        tree = LexborHTMLParser(content, encoding=True)
    else:
        tree = LexborHTMLParser(content)
    resolve_from = _document_base(tree, page_url)

    links: list[str] = []
    seen = {page_url}
    for href in _followable_hrefs(tree):
        url = _resolve(resolve_from, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        parts = _parse_url(url)
        if parts is None or _origin(parts) != origin or _is_non_page(parts.path):
            continue
        links.append(url)
    return links


def _followable_hrefs(tree: LexborHTMLParser) -> Iterator[str]:
    """Yield the trimmed ``href`` of each ``<a>`` not marked nofollow, skipping in-page links."""
    for node in tree.css("a[href]"):
        attributes = node.attributes
        rel = attributes.get("rel")
        if rel and "nofollow" in rel.lower().split():
            continue
        href = (attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        yield href


def _document_base(tree: LexborHTMLParser, page_url: str) -> str:
    """The URL links resolve against: the first usable ``<base href>``, else the page URL."""
    node = tree.css_first("base[href]")
    if node is None:
        return page_url
    href = (node.attributes.get("href") or "").strip()
    base = _resolve(page_url, href) if href else None
    if base is None:
        return page_url
    parts = _parse_url(base)
    if parts is None or parts.scheme not in _SCHEMES:
        return page_url
    return base


def _resolve(base: str, href: str) -> str | None:
    """Resolve ``href`` against ``base`` without its fragment; None when it cannot be parsed."""
    try:
        return urldefrag(urljoin(base, href)).url
    except ValueError:  # e.g. "http://[::1" (bad IPv6) or a port out of range
        return None


def _parse_url(url: str) -> SplitResult | None:
    """Split a URL, or None when it cannot be parsed."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def _origin(parts: SplitResult) -> _Origin | None:
    """Scheme, lower-cased host and port (the scheme's default when absent); None if not web."""
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _SCHEMES or not host:
        return None
    return scheme, host, parts.port or _DEFAULT_PORTS[scheme]


def _is_non_page(path: str) -> bool:
    """Tell whether the last path segment ends in an extension of a non-page file."""
    segment = path.rpartition("/")[2]
    dot = segment.rfind(".")
    return dot > 0 and segment[dot:].lower() in NON_PAGE_EXTENSIONS
