"""Redirect decisions: where a response points, and which hops are refused."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.errors import FetchError
from ingest.fetch.redirects import MAX_REDIRECTS, check_hop, next_hop

BASE = "http://127.0.0.1:8000/a/b"


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (301, "/c", "http://127.0.0.1:8000/c"),
        (302, "c#frag", "http://127.0.0.1:8000/a/c"),
        (307, " https://example.org/x ", "https://example.org/x"),
        (308, "//other.example/y", "http://other.example/y"),
        (303, "", None),
        (302, None, None),
        (200, "/c", None),
        (300, "/c", None),
    ],
)
def test_next_hop(status, location, expected):
    """Only 301/302/303/307/308 with a Location redirect; targets are absolute, no fragment."""
    assert next_hop(BASE, status, location) == expected


def test_check_hop_counts_hops():
    """Hop five passes; hop six is a redirect_loop naming the first URL."""
    check_hop(BASE, "http://127.0.0.1:8000/x", MAX_REDIRECTS, allow=True)
    with pytest.raises(FetchError) as info:
        check_hop(BASE, "http://127.0.0.1:8000/x", MAX_REDIRECTS + 1, allow=True)
    assert (info.value.kind, info.value.url) == ("redirect_loop", BASE)


@pytest.mark.parametrize(
    "hop", ["file:///etc/passwd", "ftp://127.0.0.1/", "javascript:alert(1)", "http://127.0.0.2/"]
)
def test_check_hop_blocks_schemes_and_addresses(hop):
    """Non-http(s) schemes and addresses outside the allowance are blocked_ssrf."""
    with pytest.raises(FetchError) as info:
        check_hop(BASE, hop, 1, allow=(ipaddress.ip_network("127.0.0.1/32"),))
    assert info.value.kind == "blocked_ssrf"
