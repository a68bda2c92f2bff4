"""HostLimiter (concurrency and spacing per origin) and RobotsCache (one robots.txt per origin)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from ingest.config import FetchConfig, SiteConfig
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch
from ingest.fetch.politeness import HostLimiter, RobotsCache, origin_of, robots_token

CONFIG = FetchConfig(backoff=0.0, read_timeout=2.0, connect_timeout=2.0)

ROBOTS = """\
User-agent: *
Disallow: /private/

User-agent: ingest
Disallow: /no-ingest/
Crawl-delay: 0.25

Sitemap: http://127.0.0.1:8765/one.xml
Sitemap: http://127.0.0.1:8765/two.xml
"""


@pytest.fixture
async def client():
    """The run's HTTP client for one test."""
    async with build_client(CONFIG) as http:
        yield http


@pytest.fixture
def robots_site(tmp_path, make_server):
    """A server with ROBOTS (behind a BOM) and six small files."""
    (tmp_path / "robots.txt").write_bytes(b"\xef\xbb\xbf" + ROBOTS.encode())
    for name in ("a", "b", "c", "d", "e", "f"):
        (tmp_path / f"{name}.txt").write_text(name)
    return make_server(tmp_path)


def _robots(client, server):
    cache = RobotsCache(client, CONFIG)
    cache.configure(server.origin, allow=True, site="t")
    return cache


def test_origin_and_token():
    """Origins make the default port explicit; the robots token is the UA's product name."""
    assert origin_of("HTTP://Example.COM/a?b") == "http://example.com:80"
    assert origin_of("https://example.com:8443/") == "https://example.com:8443"
    assert robots_token("ingest/0.1 (+https://x.example)") == "ingest"


async def test_robots_rules_for_our_token(robots_site, client):
    """Our group (ingest) applies, not the * group; the BOM does not hide the first line."""
    robots = _robots(client, robots_site)
    origin = robots_site.origin
    assert await robots.allowed(origin + "/private/x")  # * group does not apply to us
    assert not await robots.allowed(origin + "/no-ingest/x")
    assert await robots.allowed(origin + "/a.txt")
    assert await robots.crawl_delay(origin + "/") == 0.25
    assert await robots.sitemaps(origin + "/") == [f"{origin}/one.xml", f"{origin}/two.xml"]


async def test_robots_fetched_once_for_concurrent_callers(robots_site, client):
    """Concurrent questions about one origin share a single robots.txt request."""
    robots = _robots(client, robots_site)
    robots_site.set_delay("/robots.txt", 0.05)
    urls = [f"{robots_site.origin}/{n}.txt" for n in "abcdef"]
    answers = await asyncio.gather(*(robots.allowed(url) for url in urls))
    assert answers == [True] * 6
    assert robots_site.paths() == ["/robots.txt"]


async def test_robots_4xx_allows_everything(robots_site, client):
    """A missing robots.txt (404) allows every URL."""
    robots_site.set_status("/robots.txt", 404)
    robots = _robots(client, robots_site)
    assert await robots.allowed(robots_site.origin + "/no-ingest/x")
    assert await robots.sitemaps(robots_site.origin) == []


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_robots_5xx_disallows_everything(robots_site, client, status):
    """A robots.txt that keeps failing (5xx, 429) disallows the origin for the run."""
    robots_site.set_status("/robots.txt", status)
    robots = _robots(client, robots_site)
    assert not await robots.allowed(robots_site.origin + "/a.txt")
    assert await robots.crawl_delay(robots_site.origin) is None
    assert robots_site.paths() == ["/robots.txt"] * CONFIG.attempts


async def test_robots_unconfigured_private_origin_disallows(robots_site, client):
    """Without configure(allow=...), a loopback origin is blocked by the SSRF guard: deny all."""
    robots = RobotsCache(client, CONFIG)
    assert not await robots.allowed(robots_site.origin + "/a.txt")
    assert robots_site.requests == []


async def test_robots_configured_from_sites(robots_site, client):
    """Passing the run's sites gives each site's origin its SSRF allowance up front."""
    site = SiteConfig(name="t", url=robots_site.origin + "/", allow_private_networks=True)
    robots = RobotsCache(client, CONFIG, sites=[site])
    assert not await robots.allowed(robots_site.origin + "/no-ingest/x")
    assert await robots.crawl_delay(robots_site.origin + "/") == 0.25
    assert robots_site.paths() == ["/robots.txt"]


async def test_limiter_caps_in_flight_per_host(robots_site, client):
    """With concurrency 2, the server never sees more than two requests at once."""
    limiter = HostLimiter()
    limiter.configure(robots_site.origin, concurrency=2, delay=0.0)
    for name in "abcdef":
        robots_site.set_delay(f"/{name}.txt", 0.05)

    async def one(name: str) -> None:
        url = f"{robots_site.origin}/{name}.txt"
        async with limiter.slot(url):
            await fetch(client, url, config=CONFIG, allow=True)

    await asyncio.gather(*(one(name) for name in "abcdef"))
    assert len(robots_site.requests) == 6
    assert robots_site.max_in_flight == 2


async def test_limiter_spaces_request_starts(robots_site, client):
    """With delay 0.1 s, the server sees request starts at least ~0.1 s apart."""
    limiter = HostLimiter()
    limiter.configure(robots_site.origin + "/", concurrency=4, delay=0.1)

    async def one(name: str) -> None:
        url = f"{robots_site.origin}/{name}.txt"
        async with limiter.slot(url):
            await fetch(client, url, config=CONFIG, allow=True)

    await asyncio.gather(*(one(name) for name in "abc"))
    starts = sorted(entry.started for entry in robots_site.requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.09


def test_limiter_keeps_the_stricter_setting():
    """Two sites on one origin: the lower concurrency and the longer delay win."""
    limiter = HostLimiter()
    limiter.configure("http://h.example/a", concurrency=4, delay=0.0)
    limiter.configure("http://h.example:80/b", concurrency=2, delay=1.5)
    state = limiter._state("http://h.example/c")
    assert (state.concurrency, state.delay) == (2, 1.5)
