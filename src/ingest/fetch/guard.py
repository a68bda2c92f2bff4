"""Which addresses a request may go to: the SSRF guard.

A site's URLs may point (or resolve) to loopback, private, link-local or otherwise special
addresses; fetching those would let a hostile ``sites.yaml`` entry, sitemap or redirect reach
services behind our firewall. :func:`check_target` refuses such a host before we connect, unless
the site's ``allow_private_networks`` allows it (``True``, or the address is in a listed network).

TODO(hostile servers issue): check every redirect hop and the address actually connected to (a
custom transport), not only the first URL's host, so DNS rebinding cannot slip past the check.
"""

from __future__ import annotations

__all__ = ["Allow", "check_target", "is_public_address"]

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from ingest.errors import FetchError

Allow = bool | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
"""What a site allows beyond public addresses: nothing, everything, or the listed networks."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when ``address`` is a globally routable unicast address (not loopback, private, …)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _permitted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: Allow) -> bool:
    if is_public_address(address) or allow is True:
        return True
    if allow is False:
        return False
    return any(address in network for network in allow)


async def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_target(url: str, *, allow: Allow = False, site: str | None = None) -> None:
    """Refuse ``url`` unless its host is (and resolves only to) addresses the site may reach.

    Raises ``FetchError`` with kind ``invalid_url`` for a URL without an http(s) scheme or host,
    ``blocked_ssrf`` for a forbidden address and ``connect`` when the name does not resolve.
    """
    parts = urlsplit(url)
    try:
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        raise FetchError(url, "invalid_url", str(exc), site=site) from exc
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise FetchError(url, "invalid_url", "not an http(s) URL with a host", site=site)
    if allow is True:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = await _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(url, "connect", f"cannot resolve {host}: {exc}", site=site) from exc
    for address in addresses:
        if not _permitted(address, allow):
            raise FetchError(
                url, "blocked_ssrf", f"{host} is a non-public address ({address})", site=site
            )
