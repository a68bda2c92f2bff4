"""Tests for ``ingest.fetch.adstxt``: the redirect decision, root domains, and real HTTP rules."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from ingest.config import FetchConfig
from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge
from ingest.fetch.adstxt import adstxt_urls, fetch_adstxt, redirect_error, root_domain
from ingest.fetch.client import build_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    import httpx

    from ingest.demo import FixtureServer

CONFIG = FetchConfig(attempts=1, backoff=0.0)
BODY = b"google.com, pub-1, DIRECT, f08c47fec0942fa0\nCONTACT=ads@example.com\n"


@pytest.mark.parametrize(
    ("host", "root"),
    [
        ("www.example.co.uk", "example.co.uk"),
        ("a.b.example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("ads.bild.de", "bild.de"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
        ("a.example.test", "a.example.test"),
    ],
)
def test_root_domain(host, root):
    """The root is public suffix + 1 from the bundled PSL; a host with no suffix is its own root."""
    assert root_domain(host) == root


@pytest.mark.parametrize(
    ("hops", "allowed"),
    [
        ([], True),
        (["https://www.example.com/ads.txt", "https://cdn.example.com/x/ads.txt"], True),
        (["https://example.com/ads.txt"] * 3, True),
        (["https://adstxt.host.net/example.com"], True),
        (["https://www.example.com/ads.txt", "https://adstxt.host.net/x"], True),
        (["https://adstxt.host.net/x", "https://adstxt.host.net/y"], False),
        (["https://adstxt.host.net/x", "https://example.com/ads.txt"], False),
        (["https://other.co.uk/", "https://third.org/"], False),
    ],
)
def test_redirect_decision(hops, allowed):
    """Any hops inside the root domain, one hop off it, and no redirect after leaving it."""
    error = redirect_error("https://example.com/ads.txt", hops)
    assert (error is None) is allowed, error


def test_adstxt_urls_keep_port_and_try_https_first():
    """The file is looked up with https, then http, on the same host and port."""
    assert adstxt_urls("http://127.0.0.1:8080/blog/", "app-ads.txt") == (
        "https://127.0.0.1:8080/app-ads.txt",
        "http://127.0.0.1:8080/app-ads.txt",
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The run's HTTP client as the pipeline builds it."""
    async with build_client(CONFIG) as built:
        yield built


@pytest.fixture
def ads_site(tmp_path: Path, make_server: Callable[[Path], FixtureServer]) -> FixtureServer:
    """A server whose root holds an ads.txt (text/plain) and a big.txt."""
    (tmp_path / "ads.txt").write_bytes(BODY)
    (tmp_path / "big.txt").write_bytes(b"a.com, 1, DIRECT\n" * 10_000)
    return make_server(tmp_path)


async def test_fetches_plain_text_over_http_after_https_fails(client, ads_site):
    """The https URL is tried first (no TLS here), then http; Accept is text/plain."""
    result = await fetch_adstxt(client, f"{ads_site.origin}/ads.txt", config=CONFIG, allow=True)
    assert result.content == BODY
    assert result.url == f"{ads_site.origin}/ads.txt"
    assert result.content_type == "text/plain"
    assert ads_site.paths() == ["/ads.txt"]
    assert ads_site.requests[0].headers["accept"] == "text/plain"


async def test_html_at_adstxt_is_an_error(client, ads_site):
    """An HTML page served at /ads.txt (a soft 404) fails as content_type; content ignored."""
    ads_site.set_status("/ads.txt", 200, {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(FetchError) as caught:
        await fetch_adstxt(client, f"{ads_site.origin}/ads.txt", config=CONFIG, allow=True)
    assert caught.value.kind == "content_type"


@pytest.mark.parametrize("status", [404, 410, 401, 403, 500])
async def test_error_statuses_raise_with_the_status(client, ads_site, status):
    """Non-2xx answers reach the pipeline as HTTPStatusError carrying the status."""
    ads_site.set_status("/ads.txt", status)
    with pytest.raises(HTTPStatusError) as caught:
        await fetch_adstxt(client, f"{ads_site.origin}/ads.txt", config=CONFIG, allow=True)
    assert caught.value.status == status


async def test_conditional_refetch_is_a_304(client, ads_site):
    """With the stored validators the server answers 304: an empty result, not an error."""
    url = f"{ads_site.origin}/ads.txt"
    first = await fetch_adstxt(client, url, config=CONFIG, allow=True)
    again = await fetch_adstxt(
        client, url, config=CONFIG, allow=True, etag=first.etag, last_modified=first.last_modified
    )
    assert again.is_not_modified
    assert again.content == b""
    assert ads_site.requests[-1].headers["if-none-match"] == first.etag


async def test_huge_file_is_capped(client, ads_site):
    """A body larger than the cap fails as too_large."""
    ads_site.set_chunked("/big.txt")
    with pytest.raises(ResponseTooLarge):
        await fetch_adstxt(
            client, f"{ads_site.origin}/big.txt", config=CONFIG, allow=True, max_bytes=50_000
        )


async def test_redirect_chain_inside_the_root_domain_is_followed(client, ads_site):
    """Two hops on the same host (its own root) are followed; final_url is the last hop."""
    ads_site.set_status("/ads.txt", 301, {"Location": "/a/ads.txt"})
    ads_site.set_status("/a/ads.txt", 302, {"Location": f"{ads_site.origin}/big.txt"})
    result = await fetch_adstxt(client, f"{ads_site.origin}/ads.txt", config=CONFIG, allow=True)
    assert result.final_url == f"{ads_site.origin}/big.txt"
    assert ads_site.paths() == ["/ads.txt", "/a/ads.txt", "/big.txt"]


def _by_port(domains: dict[int, str]) -> Callable[[str], str]:
    """A root-domain rule for loopback: each port stands for one domain."""
    return lambda url: domains[urlsplit(url).port or 0]


async def test_second_off_domain_hop_is_an_error(client, ads_site, tmp_path, make_server):
    """One hop to another domain is allowed; a redirect from there fails as redirect_offsite."""
    other = make_server(tmp_path)
    roots = _by_port({ads_site.port: "example.com", other.port: "host.net"})
    other.set_status("/ads.txt", 302, {"Location": "/next.txt"})
    ads_site.set_status("/ads.txt", 302, {"Location": f"{other.origin}/ads.txt"})
    url = f"{ads_site.origin}/ads.txt"
    with pytest.raises(FetchError) as caught:
        await fetch_adstxt(client, url, config=CONFIG, allow=True, root_of=roots)
    assert caught.value.kind == "redirect_offsite"
    assert other.paths() == ["/ads.txt"]  # the second hop was never requested

    other.clear()
    ads_site.set_status("/ads.txt", 302, {"Location": f"{other.origin}/ads.txt"})
    result = await fetch_adstxt(client, url, config=CONFIG, allow=True, root_of=roots)
    assert result.content == BODY
