"""fetch(): real HTTP on 127.0.0.1 for results, validators, size cap, retries and the SSRF guard.

``httpx.MockTransport`` serves only the narrow error-mapping tests at the bottom.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ingest.config import FetchConfig
from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch, parse_content_type

CONFIG = FetchConfig(backoff=0.0, read_timeout=2.0, connect_timeout=2.0)
CAPPED = CONFIG.model_copy(update={"max_bytes": 4096})
ARTICLE = "/what-does-microneedling-actually-do/"


@pytest.fixture
async def client():
    """The run's HTTP client for one test."""
    async with build_client(CONFIG) as http:
        yield http


async def test_ok_result_fields(site, client):
    """A 200 gives the body, lower-cased media type, charset, validators and final URL."""
    result = await fetch(client, site.origin + "/robots.txt", config=CONFIG, allow=True)
    assert result.status == 200
    assert result.content.startswith(b"User-agent: *")
    assert (result.content_type, result.charset) == ("text/plain", "utf-8")
    assert result.etag is not None
    assert result.last_modified is not None
    assert result.final_url == site.origin + "/robots.txt"
    assert site.requests[0].headers["user-agent"] == CONFIG.user_agent


async def test_redirect_is_followed(site, client):
    """A redirect is followed and final_url says where we ended up."""
    result = await fetch(client, site.origin + ARTICLE.rstrip("/"), config=CONFIG, allow=True)
    assert result.final_url == site.origin + ARTICLE
    assert result.url == site.origin + ARTICLE.rstrip("/")


async def test_conditional_get_by_etag_is_304_with_empty_body(site, client):
    """Sending the ETag back gives status 304, an empty body and the validators kept."""
    first = await fetch(client, site.origin + "/ads.txt", config=CONFIG, allow=True)
    again = await fetch(
        client, site.origin + "/ads.txt", config=CONFIG, allow=True, etag=first.etag
    )
    assert again.is_not_modified
    assert again.content == b""
    assert again.etag == first.etag
    assert site.requests[-1].headers["if-none-match"] == first.etag


async def test_unread_bodies_keep_the_connection_alive(site, client):
    """304s, redirects and error pages are drained: a re-run does not reconnect per page."""
    first = await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True)
    for _ in range(3):
        again = await fetch(
            client, site.origin + ARTICLE, config=CONFIG, allow=True, etag=first.etag
        )
        assert again.is_not_modified
    await fetch(client, site.origin + ARTICLE.rstrip("/"), config=CONFIG, allow=True)
    with pytest.raises(HTTPStatusError):
        await fetch(client, site.origin + "/no-such-page/", config=CONFIG, allow=True)
    await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True, etag=first.etag)
    assert len(site.requests) == 8
    assert {entry.peer for entry in site.requests} == {site.requests[0].peer}


async def test_conditional_get_by_last_modified(site, client):
    """Sending Last-Modified back as If-Modified-Since gives 304."""
    first = await fetch(client, site.origin + "/ads.txt", config=CONFIG, allow=True)
    again = await fetch(
        client,
        site.origin + "/ads.txt",
        config=CONFIG,
        allow=True,
        last_modified=first.last_modified,
    )
    assert again.status == 304
    assert site.requests[-1].headers["if-modified-since"] == first.last_modified


@pytest.fixture
def big_site(tmp_path, make_server):
    """A server with a 10 kB and a 100 B file."""
    (tmp_path / "big.txt").write_bytes(b"x" * 10_000)
    (tmp_path / "small.txt").write_bytes(b"y" * 100)
    return make_server(tmp_path)


async def test_too_large_by_content_length(big_site, client):
    """A Content-Length over max_bytes fails as too_large without retrying."""
    with pytest.raises(ResponseTooLarge) as info:
        await fetch(client, big_site.origin + "/big.txt", config=CAPPED, allow=True)
    assert (info.value.kind, info.value.limit) == ("too_large", 4096)
    assert len(big_site.requests) == 1


async def test_too_large_by_content_length_reads_no_body():
    """A Content-Length over the cap fails before a single body byte is read."""

    class Untouchable(httpx.AsyncByteStream):
        async def __aiter__(self):
            raise AssertionError("body was read")
            yield b""  # pragma: no cover

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, stream=Untouchable())

    async with build_client(CAPPED, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ResponseTooLarge):
            await fetch(client, "http://127.0.0.1:9/big", config=CAPPED, allow=True)


async def test_too_large_when_streamed_without_length(big_site, client):
    """A chunked body is cut off as soon as it passes max_bytes."""
    big_site.set_chunked("/big.txt")
    big_site.set_chunked("/small.txt")
    with pytest.raises(ResponseTooLarge):
        await fetch(client, big_site.origin + "/big.txt", config=CAPPED, allow=True)
    small = await fetch(client, big_site.origin + "/small.txt", config=CAPPED, allow=True)
    assert small.content == b"y" * 100


async def test_503_is_retried_then_succeeds(site, client):
    """A 503 followed by a 200 makes two requests and returns the 200."""
    site.set_status(ARTICLE, 503, times=1)
    result = await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True)
    assert result.status == 200
    assert [(e.path, e.status) for e in site.requests] == [(ARTICLE, 503), (ARTICLE, 200)]


async def test_5xx_gives_up_after_attempts(site, client):
    """A persistent 500 is tried `attempts` times, then raised as http_5xx."""
    site.set_status(ARTICLE, 500)
    with pytest.raises(HTTPStatusError) as info:
        await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True)
    assert (info.value.status, info.value.kind) == (500, "http_5xx")
    assert len(site.requests) == CONFIG.attempts


async def test_404_is_not_retried(site, client):
    """A 404 raises HTTPStatusError after exactly one request."""
    with pytest.raises(HTTPStatusError) as info:
        await fetch(client, site.origin + "/missing/", config=CONFIG, allow=True, site="skin")
    assert (info.value.status, info.value.kind, info.value.site) == (404, "http_404", "skin")
    assert len(site.requests) == 1


@pytest.mark.parametrize("when", ["0", "date"])
async def test_429_with_retry_after_is_honoured(site, client, when):
    """A 429 with Retry-After (seconds or HTTP-date) within the cap is waited out, then retried."""
    value = when
    if when == "date":
        value = format_datetime(datetime.now(UTC) - timedelta(seconds=5), usegmt=True)
    site.set_status(ARTICLE, 429, {"Retry-After": value}, times=1)
    result = await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True)
    assert result.status == 200
    assert [e.status for e in site.requests] == [429, 200]


async def test_429_with_long_retry_after_gives_up_at_once(site, client):
    """A Retry-After beyond max_retry_after is not slept: one request, error carries the delay."""
    site.set_status(ARTICLE, 429, {"Retry-After": "3600"})
    with pytest.raises(HTTPStatusError) as info:
        await fetch(client, site.origin + ARTICLE, config=CONFIG, allow=True)
    assert info.value.retry_after == 3600.0
    assert len(site.requests) == 1


async def test_read_timeout(site):
    """A server slower than read_timeout fails as kind timeout."""
    config = FetchConfig(read_timeout=0.1, attempts=1)
    site.set_delay("/ads.txt", 0.5)
    async with build_client(config) as client:
        with pytest.raises(FetchError) as info:
            await fetch(client, site.origin + "/ads.txt", config=config, allow=True)
    assert info.value.kind == "timeout"


async def test_connect_error(client):
    """Nothing listening on the port fails as kind connect (after the retries)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError) as info:
        await fetch(client, f"http://127.0.0.1:{port}/", config=CONFIG, allow=True)
    assert info.value.kind == "connect"
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_redirect_loop(site, client):
    """A redirect to itself fails as redirect_loop after the client's max hops, no retry."""
    site.set_status("/loop", 302, {"Location": "/loop"})
    with pytest.raises(FetchError) as info:
        await fetch(client, site.origin + "/loop", config=CONFIG, allow=True)
    assert info.value.kind == "redirect_loop"
    assert len(site.requests) == 6  # the first request and five followed hops


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///nohost", "http://127.0.0.1:99999/"])
async def test_invalid_url(client, url):
    """A URL that is not http(s) with a valid host and port fails as invalid_url."""
    with pytest.raises(FetchError) as info:
        await fetch(client, url, config=CONFIG, allow=True)
    assert info.value.kind == "invalid_url"


async def test_ssrf_guard_refuses_loopback_by_default(site, client):
    """Without allow, 127.0.0.1 and localhost are refused as blocked_ssrf before connecting."""
    for host in ("127.0.0.1", "localhost"):
        url = site.origin.replace("127.0.0.1", host) + "/"
        with pytest.raises(FetchError) as info:
            await fetch(client, url, config=CONFIG)
        assert info.value.kind == "blocked_ssrf"
    assert site.requests == []


async def test_ssrf_guard_allows_listed_networks(site, client):
    """A network list containing the address allows it; one that does not still refuses."""
    loopback = (ipaddress.ip_network("127.0.0.0/8"),)
    result = await fetch(client, site.origin + "/ads.txt", config=CONFIG, allow=loopback)
    assert result.status == 200
    with pytest.raises(FetchError) as info:
        await fetch(
            client,
            site.origin + "/ads.txt",
            config=CONFIG,
            allow=(ipaddress.ip_network("10.0.0.0/8"),),
        )
    assert info.value.kind == "blocked_ssrf"
    assert len(site.requests) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('text/HTML; Charset="ISO-8859-1"', ("text/html", "iso-8859-1")),
        ("application/xml", ("application/xml", None)),
        (None, ("application/octet-stream", None)),
    ],
)
def test_parse_content_type(header, expected):
    """Content-Type splits into a lower-cased media type and charset."""
    assert parse_content_type(header) == expected


# -- narrow error-mapping tests (MockTransport) ---------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "tries"),
    [
        (httpx.RemoteProtocolError("peer closed connection without complete body"), "read", 3),
        (httpx.ReadError("connection reset"), "read", 3),
        (httpx.ConnectTimeout("slow connect"), "timeout", 3),
        (httpx.DecodingError("bad gzip"), "bad_encoding", 1),
    ],
)
async def test_httpx_errors_map_to_fetch_error_kinds(error, kind, tries):
    """Each httpx failure becomes a FetchError of one kind (cause kept); transient ones retry."""
    calls = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise error

    async with build_client(CONFIG, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(FetchError) as info:
            await fetch(client, "http://127.0.0.1:9/x", config=CONFIG, allow=True)
    assert info.value.kind == kind
    assert info.value.__cause__ is error
    assert calls == tries
