"""HostLimiter (concurrency and spacing per origin) and RobotsCache (one robots.txt per origin)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest

from ingest.config import FetchConfig, SiteConfig
from ingest.errors import FetchError, HTTPStatusError
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch
from ingest.fetch.politeness import (
    ROBOTS_MAX_BYTES,
    SLOWDOWN_FLOOR,
    HostLimiter,
    RobotsCache,
    origin_of,
    robots_token,
)
from support.hostile import redirect, reset_mid_body, respond, robots, statuses

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


# -- adaptive politeness and deferral ------------------------------------------------------


def test_throttled_doubles_the_delay_up_to_max_delay():
    """Each 429/503 doubles the host's delay (from a 1 s floor), never past max_delay."""
    limiter = HostLimiter(max_delay=5.0)
    limiter.configure("http://h.example/", concurrency=2, delay=0.0)
    delays = []
    for _ in range(5):
        limiter.throttled("http://h.example/x")
        delays.append(limiter.delay_of("http://h.example/"))
    assert delays == [SLOWDOWN_FLOOR, 2.0, 4.0, 5.0, 5.0]


def test_successes_bring_the_delay_back_gradually():
    """After a slow-down, successes shrink it step by step down to the configured delay."""
    limiter = HostLimiter()
    limiter.configure("http://h.example/", concurrency=2, delay=0.5)
    limiter.throttled("http://h.example/")
    assert limiter.delay_of("http://h.example/") == 1.0
    limiter.succeeded("http://h.example/")
    after_one = limiter.delay_of("http://h.example/")
    assert 0.5 < after_one < 1.0
    for _ in range(30):
        limiter.succeeded("http://h.example/")
    assert limiter.delay_of("http://h.example/") == 0.5


def test_configured_delay_is_clamped_with_a_warning(caplog):
    """A delay (e.g. a Crawl-delay of 3600) above max_delay is clamped and logged."""
    limiter = HostLimiter(max_delay=30.0)
    with caplog.at_level(logging.WARNING, logger="ingest.fetch.politeness"):
        limiter.configure("http://h.example/", concurrency=2, delay=3600.0)
    assert limiter.delay_of("http://h.example/") == 30.0
    assert "fetch.delay_clamped origin=http://h.example:80 delay=3600.0" in caplog.text


async def test_deferred_host_refuses_slots_until_the_time():
    """defer() makes slot() fail as kind deferred, for that origin only, until the time."""
    limiter = HostLimiter()
    until = datetime.now(UTC) + timedelta(hours=1)
    limiter.defer("http://h.example/a", until)
    assert limiter.deferred_until("http://h.example/b") == until
    with pytest.raises(FetchError) as info:
        limiter.slot("http://h.example/b")
    assert info.value.kind == "deferred"
    async with limiter.slot("http://other.example/"):
        pass
    limiter.defer("http://past.example/", datetime.now(UTC) - timedelta(seconds=1))
    assert limiter.deferred_until("http://past.example/") is None


async def test_fetch_defers_the_host_on_a_long_retry_after(hostile, client):
    """A 429 asking for an hour is not slept: one request, the host deferred about an hour.

    The limiter's delay for the host is widened too.
    """
    hostile.route("/p", respond(429, b"", {"Retry-After": "3600"}))
    limiter = HostLimiter()
    url = hostile.origin + "/p"
    with pytest.raises(HTTPStatusError) as info:
        await fetch(client, url, config=CONFIG, allow=True, limiter=limiter)
    assert info.value.retry_after == 3600.0
    assert len(hostile.hits) == 1
    until = limiter.deferred_until(url)
    assert until is not None
    assert timedelta(minutes=59) < until - datetime.now(UTC) <= timedelta(hours=1)
    assert limiter.delay_of(url) == SLOWDOWN_FLOOR


async def test_fetch_tells_the_limiter_of_throttling_then_success(hostile, client):
    """A 503 (Retry-After 0) then a 200: the delay widened once, then shrank after the 200."""
    hostile.route("/p", statuses([(503, {"Retry-After": "0"})]))
    limiter = HostLimiter()
    url = hostile.origin + "/p"
    result = await fetch(client, url, config=CONFIG, allow=True, limiter=limiter)
    assert result.status == 200
    assert [hit.path for hit in hostile.hits] == ["/p", "/p"]
    assert 0 < limiter.delay_of(url) < SLOWDOWN_FLOOR
    assert limiter.deferred_until(url) is None


# -- robots.txt from a hostile server ------------------------------------------------------


async def test_robots_larger_than_500_kib_is_parsed_up_to_the_cap(hostile, client):
    """A 600 KiB robots.txt: rules in its first 500 KiB apply, rules past the cap do not."""
    padding = "# " + "x" * 1000 + "\n"
    head = "User-agent: *\nDisallow: /early/\n"
    text = head + padding * (ROBOTS_MAX_BYTES // len(padding) + 1) + "Disallow: /late/\n"
    assert text.index("/late/") > ROBOTS_MAX_BYTES
    hostile.route("/robots.txt", robots(text + padding * 100))
    cache = RobotsCache(client, CONFIG)
    cache.configure(hostile.origin, allow=True)
    assert not await cache.allowed(hostile.origin + "/early/x")
    assert await cache.allowed(hostile.origin + "/late/x")
    assert hostile.paths() == ["/robots.txt"]


async def test_robots_network_error_disallows_the_host(hostile, client):
    """A robots.txt whose connection resets (every try) disallows the whole origin."""
    hostile.route("/robots.txt", reset_mid_body(b"User-agent: *\nAllow: /\n" * 100))
    cache = RobotsCache(client, CONFIG)
    cache.configure(hostile.origin, allow=True)
    assert not await cache.allowed(hostile.origin + "/a")
    assert hostile.paths() == ["/robots.txt"] * CONFIG.attempts


async def test_robots_redirect_is_followed(hostile, client):
    """A robots.txt redirecting elsewhere on the host is followed and parsed."""
    hostile.route("/robots.txt", redirect("/real-robots.txt", status=301))
    hostile.route("/real-robots.txt", robots("User-agent: *\nDisallow: /no/\nCrawl-delay: 2\n"))
    cache = RobotsCache(client, CONFIG)
    cache.configure(hostile.origin, allow=True)
    assert not await cache.allowed(hostile.origin + "/no/x")
    assert await cache.crawl_delay(hostile.origin) == 2.0


async def test_callers_queued_before_a_deferral_are_all_refused_none_left_waiting():
    """Callers already waiting for a slot when the host is deferred are refused, every one."""
    url = "http://127.0.0.1:9/page"
    limiter = HostLimiter()
    limiter.configure(url, concurrency=1, delay=0.0)

    async def take() -> None:
        async with limiter.slot(url):
            pass

    holder = limiter.slot(url)
    await holder.__aenter__()
    waiters = [asyncio.create_task(take()) for _ in range(3)]
    await asyncio.sleep(0)  # one loop turn: the three are now queued on the slot
    limiter.defer(url, datetime.now(UTC) + timedelta(hours=1))
    await holder.__aexit__(None, None, None)

    results = await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), timeout=5)

    assert [getattr(r, "kind", r) for r in results] == ["deferred"] * 3
