"""Find a site's article candidates: sitemaps first, the home page's links as a fallback.

Sitemaps come from the ``Sitemap:`` lines of the origin's robots.txt, else ``/sitemap.xml`` and
``/sitemap_index.xml``. Index files are followed to depth :data:`MAX_DEPTH`; gzip sitemaps (``.gz``
or gzip magic) are decompressed up to ``config.max_bytes``. XML is read with the stdlib's
``iterparse`` on namespace-agnostic ``loc`` elements (``url/loc`` pages, ``sitemap/loc`` children);
a document with a DOCTYPE or ENTITY declaration is rejected. Plain-text sitemaps (one URL a line)
are accepted too. Only URLs on the site's host survive, filtered by its include/exclude globs.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "MAX_SITEMAPS", "MAX_URLS", "discover", "parse_sitemap"]

import fnmatch
import io
import logging
import zlib
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree.ElementTree import ParseError as XMLParseError
from xml.etree.ElementTree import iterparse

from ingest.errors import FetchError, HTTPStatusError
from ingest.fetch.fetcher import fetch
from ingest.fetch.politeness import HostLimiter, RobotsCache, origin_of

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from ingest.config import FetchConfig, SiteConfig

log = logging.getLogger(__name__)

MAX_DEPTH = 3
"""Sitemap index nesting followed below the first level."""
MAX_SITEMAPS = 200
"""Sitemap files fetched per site."""
MAX_URLS = 50_000
"""Page URLs collected from a site's sitemaps (the sitemaps.org per-file limit)."""

_SITEMAP_ACCEPT = "application/xml,text/xml;q=0.9,*/*;q=0.5"
_GZIP_MAGIC = b"\x1f\x8b"
_NOT_FOUND = 404


class SitemapError(ValueError):
    """A sitemap document that cannot be read (bad XML, DOCTYPE, oversize after gunzip)."""


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise SitemapError(f"bad gzip: {exc}") from exc
    if len(out) > limit:
        raise SitemapError(f"more than {limit} bytes after decompression")
    return out


def parse_sitemap(data: bytes, base_url: str) -> tuple[list[str], list[str]]:
    """Return (page URLs, child sitemap URLs) of one decompressed sitemap document.

    Raises :class:`SitemapError` for XML that does not parse or declares a DOCTYPE or ENTITY.
    """
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        text = stripped.decode("utf-8", errors="replace")
        lines = (line.strip() for line in text.splitlines())
        return [line for line in lines if line.startswith(("http://", "https://"))], []
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SitemapError("DOCTYPE or ENTITY declarations are not allowed in a sitemap")
    pages: list[str] = []
    children: list[str] = []
    stack: list[str] = []
    try:
        events = iterparse(io.BytesIO(data), events=("start", "end"))  # noqa: S314  (DOCTYPE and ENTITY rejected above; expat caps entity expansion)
        for event, element in events:
            name = element.tag.rpartition("}")[2].lower() if isinstance(element.tag, str) else ""
            if event == "start":
                stack.append(name)
                continue
            stack.pop()
            if name == "loc" and stack and element.text and element.text.strip():
                target = (
                    pages if stack[-1] == "url" else children if stack[-1] == "sitemap" else None
                )
                if target is not None:
                    target.append(urljoin(base_url, element.text.strip()))
            if name in {"url", "sitemap"}:
                element.clear()
    except XMLParseError as exc:
        raise SitemapError(f"not well-formed XML: {exc}") from exc
    return pages, children


def _same_host(url: str, site_url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and origin_of(url) == origin_of(site_url)


def _wanted(url: str, site: SiteConfig) -> bool:
    path = urlsplit(url).path or "/"
    if site.include and not any(fnmatch.fnmatchcase(path, pat) for pat in site.include):
        return False
    return not any(fnmatch.fnmatchcase(path, pat) for pat in site.exclude)


async def _sitemap_urls(
    client: httpx.AsyncClient,
    site: SiteConfig,
    start: list[str],
    *,
    config: FetchConfig,
    robots: RobotsCache,
    limiter: HostLimiter,
) -> list[str]:
    """Walk sitemaps breadth-first from ``start``; return the page URLs found (capped)."""
    queue = [(url, 0) for url in start]
    seen: set[str] = set()
    pages: list[str] = []
    while queue and len(seen) < MAX_SITEMAPS and len(pages) < MAX_URLS:
        url, depth = queue.pop(0)
        if url in seen or not _same_host(url, site.url) or not await robots.allowed(url):
            continue
        seen.add(url)
        try:
            async with limiter.slot(url):
                result = await fetch(
                    client,
                    url,
                    config=config,
                    site=site.name,
                    accept=_SITEMAP_ACCEPT,
                    allow=site.allow_private_networks,
                    limiter=limiter,
                )
            data = result.content
            if urlsplit(url).path.endswith(".gz") or data.startswith(_GZIP_MAGIC):
                data = _gunzip(data, config.max_bytes)
            found, children = parse_sitemap(data, result.final_url)
        except HTTPStatusError as exc:
            level = logging.DEBUG if exc.status == _NOT_FOUND else logging.WARNING
            log.log(level, "fetch.sitemap site=%s url=%s kind=%s", site.name, url, exc.kind)
            continue
        except (FetchError, SitemapError) as exc:
            kind = exc.kind if isinstance(exc, FetchError) else "bad_sitemap"
            log.warning("fetch.sitemap site=%s url=%s kind=%s", site.name, url, kind)
            continue
        log.debug(
            "fetch.sitemap site=%s url=%s pages=%d children=%d",
            site.name,
            url,
            len(found),
            len(children),
        )
        pages.extend(found[: MAX_URLS - len(pages)])
        if depth < MAX_DEPTH:
            queue.extend((child, depth + 1) for child in children)
    return pages


async def discover(
    client: httpx.AsyncClient,
    site: SiteConfig,
    *,
    config: FetchConfig,
    robots: RobotsCache,
    limiter: HostLimiter,
    extract_links: Callable[[bytes, str], list[str]],
) -> list[str]:
    """Article candidate URLs of ``site``: same-host, filtered, sorted, unique, at most max_pages.

    Raises ``FetchError`` only when the fallback home page cannot be fetched.
    """
    robots.configure(site.url, allow=site.allow_private_networks, site=site.name)
    origin = urlsplit(site.url)
    root = f"{origin.scheme}://{origin.netloc}"
    start = await robots.sitemaps(site.url) or [f"{root}/sitemap.xml", f"{root}/sitemap_index.xml"]
    found = await _sitemap_urls(client, site, start, config=config, robots=robots, limiter=limiter)
    candidates = {urldefrag(url).url for url in found if _same_host(url, site.url)}
    source = "sitemap"
    if not candidates:
        source = "home"
        candidates = await _home_links(
            client, site, config=config, robots=robots, limiter=limiter, extract_links=extract_links
        )
    urls = sorted(url for url in candidates if _wanted(url, site))
    if site.max_pages is not None:
        urls = urls[: site.max_pages]
    log.info("fetch.discovered site=%s source=%s urls=%d", site.name, source, len(urls))
    return urls


async def _home_links(
    client: httpx.AsyncClient,
    site: SiteConfig,
    *,
    config: FetchConfig,
    robots: RobotsCache,
    limiter: HostLimiter,
    extract_links: Callable[[bytes, str], list[str]],
) -> set[str]:
    if not await robots.allowed(site.url):
        return set()
    async with limiter.slot(site.url):
        result = await fetch(
            client, site.url, config=config, site=site.name, allow=site.allow_private_networks
        )
    home = {urldefrag(site.url).url, urldefrag(result.final_url).url}
    links = (urldefrag(link).url for link in extract_links(result.content, result.final_url))
    return {link for link in links if _same_host(link, site.url) and link not in home}
