"""The SSRF policy: which addresses are public, which a site's allowance adds, URL checks."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.errors import FetchError
from ingest.fetch.guard import check_url, effective_address, is_public_address, permitted

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104  (a forbidden target, not a bind address)
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "::7f00:1",  # IPv4-compatible (deprecated) 127.0.0.1
        "2001::1",  # Teredo
    ],
)
def test_non_public_addresses(address):
    """Loopback, private, link-local, multicast and every IPv6 spelling of them are refused."""
    assert not is_public_address(ipaddress.ip_address(address))
    assert not permitted(ipaddress.ip_address(address), allow=False)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses(address):
    """Global unicast addresses (and mapped/NAT64 spellings of public IPv4) are allowed."""
    assert is_public_address(ipaddress.ip_address(address))


def test_effective_address_unwraps_ipv4_spellings():
    """Mapped, NAT64 and 6to4 addresses are judged by the IPv4 address they carry."""
    unwrap = lambda text: str(effective_address(ipaddress.ip_address(text)))  # noqa: E731
    assert unwrap("::ffff:10.0.0.1") == "10.0.0.1"
    assert unwrap("64:ff9b::a00:1") == "10.0.0.1"
    assert unwrap("2002:a00:1::5") == "10.0.0.1"
    assert unwrap("2001:db8::1") == "2001:db8::1"


def test_allow_list_admits_only_its_networks():
    """allow=(127.0.0.1/32,) admits 127.0.0.1 (and its mapped spelling), not 127.0.0.2."""
    assert permitted(ipaddress.ip_address("127.0.0.1"), LOOPBACK_ONLY)
    assert permitted(ipaddress.ip_address("::ffff:127.0.0.1"), LOOPBACK_ONLY)
    assert not permitted(ipaddress.ip_address("127.0.0.2"), LOOPBACK_ONLY)
    assert permitted(ipaddress.ip_address("127.0.0.2"), allow=True)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("ftp://127.0.0.1/x", "invalid_url"),
        ("http:///nohost", "invalid_url"),
        ("http://127.0.0.1:99999/", "invalid_url"),
        ("http://127.0.0.2/", "blocked_ssrf"),
        ("http://[::ffff:127.0.0.2]/", "blocked_ssrf"),
        ("http://169.254.169.254/latest/", "blocked_ssrf"),
    ],
)
def test_check_url_refuses_without_dns(url, kind):
    """check_url refuses bad schemes and forbidden literal addresses, with no lookup."""
    with pytest.raises(FetchError) as info:
        check_url(url, allow=LOOPBACK_ONLY)
    assert info.value.kind == kind


def test_check_url_leaves_names_to_the_connect_time_check():
    """A host name passes check_url: it is resolved and checked once, when connecting."""
    check_url("http://internal.example/", allow=False)
    check_url("http://127.0.0.1:8080/", allow=LOOPBACK_ONLY)
