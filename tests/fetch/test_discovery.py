"""discover(): robots Sitemap → index → gzip sitemap, fallbacks, host and glob filters."""

from __future__ import annotations

import gzip
import re

import pytest

from ingest.config import FetchConfig, SiteConfig
from ingest.demo import FIXTURE_ORIGIN
from ingest.fetch.client import build_client
from ingest.fetch.discovery import SitemapError, discover, parse_sitemap
from ingest.fetch.politeness import HostLimiter, RobotsCache

CONFIG = FetchConfig(backoff=0.0, read_timeout=2.0, connect_timeout=2.0)
ARTICLES = [
    "/can-i-use-vitamin-a-serum-after-microneedling/",
    "/what-does-microneedling-actually-do/",
    "/why-is-my-skin-darker-after-microneedling/",
]
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def hrefs(content: bytes, base: str) -> list[str]:
    """A stand-in for ingest.parse.links.extract_links: absolute hrefs only."""
    del base
    return re.findall(r'href="(http[^"]+)"', content.decode())


def urlset(*paths: str, origin: str = FIXTURE_ORIGIN) -> str:
    """A urlset sitemap listing ``paths`` on ``origin``."""
    locs = "".join(f"<url><loc>{origin}{path}</loc></url>" for path in paths)
    return f'<?xml version="1.0"?><urlset {NS}>{locs}</urlset>'


def index(*paths: str) -> str:
    """A sitemap index listing child sitemaps at ``paths``."""
    locs = "".join(f"<sitemap><loc>{FIXTURE_ORIGIN}{path}</loc></sitemap>" for path in paths)
    return f'<?xml version="1.0"?><sitemapindex {NS}>{locs}</sitemapindex>'


@pytest.fixture
async def client():
    """The run's HTTP client for one test."""
    async with build_client(CONFIG) as http:
        yield http


async def run(client, server, config=CONFIG, **site_fields):
    """Discover the site served by ``server`` with fresh run-scoped robots and limiter."""
    site = SiteConfig(name="t", url=server.origin + "/", allow_private_networks=True, **site_fields)
    robots = RobotsCache(client, config)
    return await discover(
        client, site, config=config, robots=robots, limiter=HostLimiter(), extract_links=hrefs
    )


async def test_robots_sitemap_index_and_gzip(site, client):
    """The skincare site: robots Sitemap → index → post (gzip) and page sitemaps, sorted."""
    urls = await run(client, site)
    assert urls == sorted([site.origin + "/", *(site.origin + path for path in ARTICLES)])
    assert site.paths() == [
        "/robots.txt",
        "/sitemap_index.xml",
        "/post-sitemap.xml.gz",
        "/page-sitemap.xml",
    ]


async def test_include_exclude_and_max_pages(site, client):
    """Include/exclude globs match the path; max_pages applies after sorting."""
    urls = await run(client, site, include=("/*microneedling*",), exclude=("/why-*",))
    assert urls == [site.origin + ARTICLES[0], site.origin + ARTICLES[1]]
    assert await run(client, site, max_pages=1) == [site.origin + "/"]


async def test_default_sitemap_locations_without_robots(tmp_path, make_server, client):
    """Without a robots Sitemap line, /sitemap.xml and /sitemap_index.xml are tried."""
    (tmp_path / "sitemap_index.xml").write_text(index("/a.xml"))
    (tmp_path / "a.xml").write_text(urlset("/x/", "/y/"))
    server = make_server(tmp_path)
    urls = await run(client, server)
    assert urls == [server.origin + "/x/", server.origin + "/y/"]
    assert server.paths() == ["/robots.txt", "/sitemap.xml", "/sitemap_index.xml", "/a.xml"]


async def test_only_same_host_urls(tmp_path, make_server, client):
    """Sitemap entries and child sitemaps on other hosts are dropped."""
    other = "<url><loc>http://other.example/theirs/</loc></url></urlset>"
    (tmp_path / "sitemap.xml").write_text(urlset("/mine/").replace("</urlset>", other))
    server = make_server(tmp_path)
    assert await run(client, server) == [server.origin + "/mine/"]


async def test_gzip_content_without_gz_suffix_and_size_cap(tmp_path, make_server, client):
    """Gzip is recognised by its magic bytes; one inflating past max_bytes is skipped."""
    (tmp_path / "sitemap_index.xml").write_text(index("/bomb.xml.gz"))
    padding = " " * 5000
    bomb = urlset("/bomb/").replace("<url>", padding + "<url>")
    (tmp_path / "bomb.xml.gz").write_bytes(gzip.compress(bomb.encode()))
    server = make_server(tmp_path)
    # the server rewrites the origin in .xml text only, so write the real one into the gzip bytes
    zipped = urlset("/zipped/", origin=server.origin)
    (tmp_path / "sitemap.xml").write_bytes(gzip.compress(zipped.encode()))
    capped = CONFIG.model_copy(update={"max_bytes": 4096})
    assert await run(client, server, config=capped) == [server.origin + "/zipped/"]
    assert "/bomb.xml.gz" in server.paths()


async def test_index_depth_is_bounded(tmp_path, make_server, client):
    """Nested index files are followed at most three levels below the first."""
    for level in range(6):
        (tmp_path / f"i{level}.xml").write_text(
            index(f"/i{level + 1}.xml").replace("</sitemapindex>", "")
            + f"<sitemap><loc>{FIXTURE_ORIGIN}/u{level}.xml</loc></sitemap></sitemapindex>"
        )
        (tmp_path / f"u{level}.xml").write_text(urlset(f"/p{level}/"))
    (tmp_path / "robots.txt").write_text(f"Sitemap: {FIXTURE_ORIGIN}/i0.xml\n")
    server = make_server(tmp_path)
    urls = await run(client, server)
    assert urls == [f"{server.origin}/p{level}/" for level in range(3)]
    assert "/i4.xml" not in server.paths()


async def test_falls_back_to_home_page_links(tmp_path, make_server, client):
    """With no sitemap, same-site links of the home page are the candidates (no fragments)."""
    (tmp_path / "index.html").write_text(
        f'<a href="{FIXTURE_ORIGIN}/b/">b</a> <a href="{FIXTURE_ORIGIN}/a/#comments">a</a>'
        f' <a href="{FIXTURE_ORIGIN}/">home</a> <a href="https://elsewhere.example/c/">c</a>'
    )
    server = make_server(tmp_path)
    assert await run(client, server) == [server.origin + "/a/", server.origin + "/b/"]


async def test_robots_disallowed_sitemap_is_not_fetched(tmp_path, make_server, client):
    """A sitemap robots.txt disallows for us is skipped."""
    (tmp_path / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /s\nSitemap: {FIXTURE_ORIGIN}/s.xml\n"
    )
    (tmp_path / "s.xml").write_text(urlset("/x/"))
    (tmp_path / "index.html").write_text("no links")
    server = make_server(tmp_path)
    assert await run(client, server) == []
    assert "/s.xml" not in server.paths()


def test_parse_sitemap_rejects_doctype():
    """A DOCTYPE (entity tricks) makes the document unreadable rather than expanded."""
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b"<urlset><url><loc>&a;</loc></url></urlset>"
    )
    with pytest.raises(SitemapError):
        parse_sitemap(doc, "http://h.example/s.xml")


def test_parse_sitemap_namespace_agnostic_and_text():
    """Loc under url or sitemap counts with any namespace; image:loc does not; text works too."""
    doc = (
        b'<urlset xmlns="x" xmlns:image="i"><url><loc> /rel/ </loc>'
        b"<image:image><image:loc>http://h.example/pic.jpg</image:loc></image:image></url></urlset>"
    )
    assert parse_sitemap(doc, "http://h.example/s.xml") == (["http://h.example/rel/"], [])
    text = b"\xef\xbb\xbfhttp://h.example/a\n\nnot a url\nhttps://h.example/b\n"
    assert parse_sitemap(text, "http://h.example/s.txt") == (
        ["http://h.example/a", "https://h.example/b"],
        [],
    )
    with pytest.raises(SitemapError):
        parse_sitemap(b"<urlset><url>", "http://h.example/s.xml")
