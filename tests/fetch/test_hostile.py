"""fetch() against a raw server that misbehaves below HTTP: resets, drips, bombs, redirects.

Every case asserts on the hostile server's request log: how many requests it saw, how far it got.
"""

from __future__ import annotations

import ipaddress
import tracemalloc
import zlib

import brotli  # type: ignore[import-untyped]  # ships no stubs or py.typed
import pytest

from ingest.config import FetchConfig
from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge, RobotsDisallowed
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch
from ingest.fetch.politeness import RobotsCache
from support.hostile import (
    brotli_bomb,
    drip,
    encoded,
    endless_headers,
    gzip_bomb,
    gzipped,
    redirect,
    reset_mid_body,
    respond,
    robots,
    short_body,
)

CONFIG = FetchConfig(backoff=0.0, read_timeout=2.0, connect_timeout=2.0)
PAGE = b"<html><body><p>" + b"hello world " * 200 + b"</p></body></html>"
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
MIB = 1 << 20


@pytest.fixture
async def client():
    """The run's HTTP client for one test."""
    async with build_client(CONFIG) as http:
        yield http


async def _fetch(client, server, path, config=CONFIG, **kwargs):
    kwargs.setdefault("allow", LOOPBACK_ONLY)
    return await fetch(client, server.origin + path, config=config, **kwargs)


# -- below HTTP ----------------------------------------------------------------------------


async def test_reset_mid_body_is_a_read_error_retried(hostile, client):
    """A connection reset halfway through the body fails as read, after every attempt."""
    hostile.route("/p", reset_mid_body(PAGE))
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/p")
    assert info.value.kind == "read"
    assert hostile.paths() == ["/p"] * CONFIG.attempts
    assert all(0 < hit.sent < len(PAGE) for hit in hostile.hits)


async def test_close_short_of_content_length_is_a_read_error(hostile, client):
    """A body that ends before its Content-Length is incomplete: kind read, retried."""
    hostile.route("/p", short_body(PAGE))
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/p")
    assert info.value.kind == "read"
    assert len(hostile.hits) == CONFIG.attempts


async def test_dripping_body_is_cut_at_the_deadline(hostile):
    """One byte per 50 ms never trips the 2 s read timeout, but the 0.3 s deadline cuts it once."""
    config = CONFIG.model_copy(update={"deadline": 0.3})
    hostile.route("/p", drip(PAGE, 0.05))
    async with build_client(config) as client:
        with pytest.raises(FetchError) as info:
            await _fetch(client, hostile, "/p", config=config)
    assert info.value.kind == "timeout"
    assert "deadline" in info.value.detail
    assert len(hostile.hits) == 1  # a deadline is not retried
    assert hostile.hits[0].sent < 20  # about 0.3 s worth of drips, of 2,400 bytes


async def test_endless_headers_fail_without_reading_forever(hostile, client):
    """Header lines that never end are refused by the parser's buffer limit: kind read."""
    hostile.route("/p", endless_headers())
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/p")
    assert info.value.kind == "read"
    assert len(hostile.hits) == CONFIG.attempts
    assert all(hit.sent < 10 * MIB for hit in hostile.hits)


# -- bodies and encodings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzipped),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw deflate
        ("br", brotli.compress),
        ("gzip, br", lambda data: brotli.compress(gzipped(data))),
        ("identity", lambda data: data),
    ],
)
async def test_each_accepted_encoding_decodes(hostile, client, encoding, encode):
    """gzip, deflate (wrapped or raw), br, two stacked, and identity decode to the page."""
    hostile.route("/p", encoded(encode(PAGE), encoding))
    result = await _fetch(client, hostile, "/p")
    assert result.content == PAGE
    assert hostile.hits[0].headers["accept-encoding"] == "gzip, deflate, br"


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("compress", PAGE),
        ("zstd", PAGE),
        ("gzip, gzip, gzip", gzipped(gzipped(gzipped(PAGE)))),
        ("gzip", b"\x1f\x8b\x08\x00not really gzip"),
    ],
)
async def test_refused_encodings_are_bad_encoding_not_retried(hostile, client, encoding, body):
    """Unknown, stacked past two, or corrupt Content-Encoding fails as bad_encoding, once."""
    hostile.route("/p", encoded(body, encoding))
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/p")
    assert info.value.kind == "bad_encoding"
    assert len(hostile.hits) == 1


@pytest.mark.parametrize(("encoding", "bomb"), [("gzip", gzip_bomb), ("br", brotli_bomb)])
async def test_compression_bomb_stops_at_the_cap_with_memory_near_it(
    hostile, client, encoding, bomb
):
    """A 256 MiB bomb fails too_large at 1 MiB, with peak memory within a few MiB of the cap.

    The bomb is a few hundred bytes (brotli) to 256 kB (gzip) on the wire; tracemalloc sees
    every Python allocation, zlib's included.
    """
    config = CONFIG.model_copy(update={"max_bytes": MIB})
    payload = bomb(256 * MIB)
    assert len(payload) < MIB
    hostile.route("/p", encoded(payload, encoding))
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            await _fetch(client, hostile, "/p", config=config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert len(hostile.hits) == 1


async def test_truncate_keeps_the_first_bytes_of_a_bomb(hostile, client):
    """With truncate, a bomb gives exactly max_bytes of decoded body instead of failing."""
    hostile.route("/p", encoded(gzip_bomb(64 * MIB), "gzip"))
    result = await _fetch(client, hostile, "/p", max_bytes=4096, truncate=True)
    assert result.content == bytes(4096)


async def test_expect_refuses_other_content_types(hostile, client):
    """expect={html}: a PDF fails as content_type, once; an HTML page passes."""
    hostile.route("/doc", respond(200, b"%PDF-1.7", content_type="application/pdf"))
    hostile.route("/page", respond(200, PAGE, content_type="text/html; charset=utf-8"))
    html = frozenset({"text/html", "application/xhtml+xml"})
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/doc", expect=html)
    assert info.value.kind == "content_type"
    assert (await _fetch(client, hostile, "/page", expect=html)).content == PAGE
    assert hostile.paths() == ["/doc", "/page"]


# -- redirects -----------------------------------------------------------------------------


async def test_redirect_chain_of_five_hops_is_followed(hostile, client):
    """Five hops are allowed; final_url is the last one, url the first."""
    for n in range(5):
        hostile.route(f"/r{n}", redirect(f"/r{n + 1}", status=(301, 302, 303, 307, 308)[n]))
    hostile.route("/r5", respond(200, PAGE))
    result = await _fetch(client, hostile, "/r0")
    assert (result.url, result.final_url) == (hostile.origin + "/r0", hostile.origin + "/r5")
    assert hostile.paths() == [f"/r{n}" for n in range(6)]


async def test_redirect_loop_stops_after_five_hops(hostile, client):
    """A redirect to itself fails as redirect_loop after the first request and five hops."""
    hostile.route("/loop", redirect("/loop"))
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/loop")
    assert info.value.kind == "redirect_loop"
    assert hostile.paths() == ["/loop"] * 6


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/",
    ],
)
async def test_redirect_to_a_forbidden_target_is_blocked(hostile, client, target):
    """A redirect to another private address or another scheme is blocked_ssrf.

    Only 127.0.0.1/32 is allowed; nothing is requested after the first hop.
    """
    hostile.route("/go", redirect(target.format(port=hostile.port)))
    with pytest.raises(FetchError) as info:
        await _fetch(client, hostile, "/go")
    assert info.value.kind == "blocked_ssrf"
    assert info.value.url == hostile.origin + "/go"
    assert hostile.paths() == ["/go"]


async def test_redirect_into_robots_disallowed_path_is_blocked(hostile, client):
    """With a RobotsCache, each hop is asked: a hop into a disallowed path is not fetched."""
    hostile.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    hostile.route("/go", redirect("/private/x"))
    cache = RobotsCache(client, CONFIG)
    cache.configure(hostile.origin, allow=LOOPBACK_ONLY)
    with pytest.raises(RobotsDisallowed):
        await _fetch(client, hostile, "/go", robots=cache)
    assert hostile.paths() == ["/go", "/robots.txt"]


# -- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["soon", "-5", "1.5e3", ""])
async def test_garbage_retry_after_is_ignored(hostile, client, value):
    """A garbage or negative Retry-After is ignored: backoff retries, error carries None."""
    hostile.route("/p", respond(429, b"", {"Retry-After": value}))
    with pytest.raises(HTTPStatusError) as info:
        await _fetch(client, hostile, "/p")
    assert info.value.retry_after is None
    assert len(hostile.hits) == CONFIG.attempts
