"""Which addresses a request may go to: the SSRF guard's policy.

A site's URLs may point (or resolve) to loopback, private, link-local or otherwise special
addresses; fetching those would let a hostile ``sites.yaml`` entry, sitemap or redirect reach
services behind our firewall. Only global unicast addresses are reachable by default. IPv6
spellings of IPv4 addresses are judged by the IPv4 address they carry: IPv4-mapped
(``::ffff:0:0/96``), NAT64 (``64:ff9b::/96``) and 6to4 (``2002::/16``), so ``::ffff:127.0.0.1`` is
loopback. A site's ``allow_private_networks`` widens this: ``True`` (any address) or a tuple of
networks.

Where the policy is enforced: :func:`check_url` (scheme, and a literal IP host) before each hop,
without DNS; :mod:`ingest.fetch.transport` at connect time, on the addresses it resolved itself
and then connects to, so DNS rebinding has no window. :func:`check_target` is the older
whole-URL check (it resolves the name too) for callers outside :func:`ingest.fetch.fetcher.fetch`.
"""

from __future__ import annotations

__all__ = [
    "Address",
    "Allow",
    "BlockedAddress",
    "check_target",
    "check_url",
    "effective_address",
    "is_public_address",
    "permitted",
]

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from ingest.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
"""An IP address of either family."""

Allow = bool | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
"""What a site allows beyond public addresses: nothing, everything, or the listed networks."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_NEVER_PUBLIC = (
    ipaddress.IPv6Network("::/8"),  # unspecified, loopback, IPv4-compatible (deprecated)
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("2001::/32"),  # Teredo: tunnels to an address we cannot judge
    ipaddress.IPv6Network("100::/64"),  # discard-only
)


class BlockedAddress(Exception):
    """The SSRF guard refused to connect: ``host`` resolved to the forbidden ``address``.

    Raised below httpx (by the transport) and turned into ``FetchError`` kind ``blocked_ssrf``
    by :func:`ingest.fetch.fetcher.fetch`.
    """

    def __init__(self, host: str, address: Address | str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} is a non-public address ({address})")


def effective_address(address: Address) -> Address:
    """The address traffic really goes to: the IPv4 inside a mapped, NAT64 or 6to4 spelling."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address in _SIX_TO_FOUR and address.sixtofour is not None:
            return address.sixtofour
    return address


def is_public_address(address: Address) -> bool:
    """True when ``address`` is global unicast (not loopback, private, link-local, multicast…)."""
    target = effective_address(address)
    if isinstance(target, ipaddress.IPv6Address) and any(target in n for n in _NEVER_PUBLIC):
        return False
    return target.is_global and not target.is_multicast


def permitted(address: Address, allow: Allow) -> bool:
    """True when a site with ``allow`` may connect to ``address``."""
    if allow is True or is_public_address(address):
        return True
    if allow is False:
        return False
    target = effective_address(address)
    return any(target in network for network in allow)


def _host_and_port(url: str, site: str | None) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        raise FetchError(url, "invalid_url", str(exc), site=site) from exc
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise FetchError(url, "invalid_url", "not an http(s) URL with a host", site=site)
    return host, port


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, *, allow: Allow = False, site: str | None = None) -> None:
    """Refuse ``url`` without DNS: not http(s) with a host (``invalid_url``) or a forbidden IP.

    A host name is left to the connect-time check, which resolves it once and connects to the
    very addresses it checked.
    """
    host, _ = _host_and_port(url, site)
    address = _literal(host)
    if address is not None and not permitted(address, allow):
        raise FetchError(url, "blocked_ssrf", str(BlockedAddress(host, address)), site=site)


async def _resolve(host: str, port: int) -> list[Address]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_target(url: str, *, allow: Allow = False, site: str | None = None) -> None:
    """Refuse ``url`` unless its host is (and resolves only to) addresses the site may reach.

    Raises ``FetchError`` with kind ``invalid_url`` for a URL without an http(s) scheme or host,
    ``blocked_ssrf`` for a forbidden address and ``connect`` when the name does not resolve.
    The client's transport checks again at connect time; this early check only saves a request.
    """
    host, port = _host_and_port(url, site)
    if allow is True:
        return
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = await _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(url, "connect", f"cannot resolve {host}: {exc}", site=site) from exc
    for address in addresses:
        if not permitted(address, allow):
            raise FetchError(url, "blocked_ssrf", str(BlockedAddress(host, address)), site=site)
