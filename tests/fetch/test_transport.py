"""The connect-time SSRF guard: resolve once, check every address, connect to a checked one.

DNS is played by a resolver injected into ``build_client(resolve=…)``; the "forbidden" target is
127.0.0.2 (loopback too, so nothing leaves the machine, and pytest-socket would refuse it anyway:
the guard must refuse first).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import pytest

from ingest.config import FetchConfig
from ingest.errors import FetchError
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch
from ingest.fetch.guard import BlockedAddress
from support.hostile import redirect, respond

if TYPE_CHECKING:
    from ingest.fetch.guard import Address

CONFIG = FetchConfig(backoff=0.0, read_timeout=2.0, connect_timeout=2.0, attempts=1)
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


class FakeDNS:
    """Answers names from a table; each name's answers are used in turn (rebinding)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, _port: int) -> list[Address]:
        """The next answer for ``host``."""
        self.calls.append(host)
        answers = self.table[host]
        chosen = answers[min(self.calls.count(host) - 1, len(answers) - 1)]
        return [ipaddress.ip_address(text) for text in chosen]


async def test_name_is_connected_by_checked_address_with_host_kept(hostile):
    """A name resolving to 127.0.0.1 is reached at that address; the Host header keeps the name."""
    dns = FakeDNS({"site.test": [["127.0.0.1"]]})
    hostile.route("/p", respond(200, b"ok"))
    async with build_client(CONFIG, resolve=dns) as client:
        result = await fetch(
            client, f"http://site.test:{hostile.port}/p", config=CONFIG, allow=LOOPBACK_ONLY
        )
    assert result.content == b"ok"
    assert hostile.hits[0].headers["host"] == f"site.test:{hostile.port}"
    assert dns.calls == ["site.test"]


async def test_name_resolving_to_a_forbidden_address_is_refused_before_connecting(hostile):
    """A name resolving to 127.0.0.2 when only 127.0.0.1/32 is allowed fails as blocked_ssrf."""
    dns = FakeDNS({"evil.test": [["127.0.0.2"]]})
    async with build_client(CONFIG, resolve=dns) as client:
        with pytest.raises(FetchError) as info:
            await fetch(
                client, f"http://evil.test:{hostile.port}/", config=CONFIG, allow=LOOPBACK_ONLY
            )
    assert info.value.kind == "blocked_ssrf"
    assert "127.0.0.2" in info.value.detail
    assert hostile.hits == []


async def test_every_resolved_address_must_be_permitted(hostile):
    """A name resolving to an allowed and a forbidden address is refused as a whole."""
    dns = FakeDNS({"mixed.test": [["127.0.0.1", "127.0.0.2"]]})
    async with build_client(CONFIG, resolve=dns) as client:
        with pytest.raises(FetchError) as info:
            await fetch(
                client, f"http://mixed.test:{hostile.port}/", config=CONFIG, allow=LOOPBACK_ONLY
            )
    assert info.value.kind == "blocked_ssrf"
    assert hostile.hits == []


async def test_dns_rebinding_gets_no_second_lookup(hostile):
    """The address checked is the address connected to: one lookup per connection.

    A name that rebinds to 127.0.0.2 afterwards is refused on the next connection, never reached.
    """
    dns = FakeDNS({"rebind.test": [["127.0.0.1"], ["127.0.0.2"]]})
    hostile.route("/p", respond(200, b"ok"))
    url = f"http://rebind.test:{hostile.port}/p"
    async with build_client(CONFIG, resolve=dns) as client:
        assert (await fetch(client, url, config=CONFIG, allow=LOOPBACK_ONLY)).content == b"ok"
        assert dns.calls == ["rebind.test"]
    async with build_client(CONFIG, resolve=dns) as fresh:  # a new pool: connects again
        with pytest.raises(FetchError) as info:
            await fetch(fresh, url, config=CONFIG, allow=LOOPBACK_ONLY)
    assert info.value.kind == "blocked_ssrf"
    assert dns.calls == ["rebind.test", "rebind.test"]
    assert len(hostile.hits) == 1


async def test_redirect_to_a_name_on_a_forbidden_address_is_refused(hostile):
    """A redirect to a name resolving to 127.0.0.2 is blocked at connect time on that hop.

    The allowance (127.0.0.1/32) is checked on every hop, not only the first.
    """
    dns = FakeDNS({"inside.test": [["127.0.0.2"]]})
    hostile.route("/go", redirect(f"http://inside.test:{hostile.port}/secret"))
    async with build_client(CONFIG, resolve=dns) as client:
        with pytest.raises(FetchError) as info:
            await fetch(client, hostile.origin + "/go", config=CONFIG, allow=LOOPBACK_ONLY)
    assert info.value.kind == "blocked_ssrf"
    assert hostile.paths() == ["/go"]


async def test_pooled_connection_is_checked_against_each_request(hostile):
    """A pooled connection is not reused by a request that may not reach its address.

    No new lookup happens, so the transport checks the pooled connection's peer address.
    """
    dns = FakeDNS({"site.test": [["127.0.0.1"]]})
    hostile.route("/p", respond(200, b"ok"))
    url = f"http://site.test:{hostile.port}/p"
    async with build_client(CONFIG, resolve=dns) as client:
        await fetch(client, url, config=CONFIG, allow=True)
        with pytest.raises(FetchError) as info:
            await fetch(client, url, config=CONFIG, allow=(ipaddress.ip_network("10.0.0.0/8"),))
    assert info.value.kind == "blocked_ssrf"
    assert dns.calls == ["site.test"]  # the second request reused the pooled connection


async def test_a_request_without_the_allowance_gets_public_addresses_only(hostile):
    """A request sent without guard_extensions is held to allow=False: loopback is refused."""
    hostile.route("/plain", respond(200, b"ok"))
    async with build_client(CONFIG) as client:
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1 is a non-public address"):
            await client.get(f"{hostile.origin}/plain")
    assert hostile.paths() == []


async def test_connected_stream_knows_its_peer_and_sees_the_server_close():
    """The backend's streams answer server_addr and is_readable (what the pool asks) correctly."""
    import asyncio  # noqa: PLC0415

    from ingest.fetch import transport  # noqa: PLC0415

    closed = asyncio.Event()

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await closed.wait()
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    token = transport._allowance.set(True)
    try:
        stream = await transport.GuardedBackend().connect_tcp("127.0.0.1", port, timeout=2.0)
    finally:
        transport._allowance.reset(token)
    try:
        assert stream.get_extra_info("server_addr")[:2] == ("127.0.0.1", port)
        assert stream.get_extra_info("is_readable") is False
        closed.set()
        for _ in range(100):
            if stream.get_extra_info("is_readable"):
                break
            await asyncio.sleep(0.01)
        assert stream.get_extra_info("is_readable") is True
        assert stream.get_extra_info("socket") is not None
    finally:
        await stream.aclose()
        server.close()
        await server.wait_closed()
