"""build_client(): one configured client per run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from ingest.config import FetchConfig
from ingest.fetch.client import MAX_REDIRECTS, build_client
from ingest.fetch.transport import GuardedBackend, GuardedTransport, OriginPools, guard_extensions

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ingest.demo import FixtureServer


async def test_client_takes_its_settings_from_config():
    """User-Agent, timeouts from FetchConfig; no redirects, no proxy/env; guarded transport."""
    config = FetchConfig(user_agent="probe/1.0", connect_timeout=3.0, read_timeout=7.0)
    async with build_client(config) as client:
        assert client.headers["user-agent"] == "probe/1.0"
        assert client.headers["accept-encoding"] == "gzip, deflate, br"
        assert client.timeout == httpx.Timeout(connect=3.0, read=7.0, write=7.0, pool=3.0)
        assert client.follow_redirects is False  # fetch follows them, hop by hop
        assert MAX_REDIRECTS == 5
        assert client.trust_env is False
        transport = client._transport
        assert isinstance(transport, GuardedTransport)
        # httpx 0.28 has no network_backend option: pin that our pools (and guard) are in place
        pools = transport._pool
        assert isinstance(pools, OriginPools)
        assert isinstance(pools._make()._network_backend, GuardedBackend)


async def test_each_origin_has_its_own_pool(
    site: FixtureServer, make_server: Callable[[Path], FixtureServer], fixture_root: Path
):
    """Requests to one origin share its pool and connection; another origin gets its own."""
    other = make_server(fixture_root)
    async with build_client(FetchConfig()) as client:
        allow = guard_extensions(allow=True)
        for origin in (site.origin, site.origin, other.origin, site.origin):
            response = await client.get(origin + "/robots.txt", extensions=allow)
            assert response.status_code == 200
        transport = client._transport
        assert isinstance(transport, GuardedTransport)
        pools = transport._pool
        assert isinstance(pools, OriginPools)
        assert sorted(pools.pools) == sorted(
            (b"http", b"127.0.0.1", server.port) for server in (site, other)
        )
        assert [len(pool.connections) for pool in pools.pools.values()] == [1, 1]
    assert len({entry.peer for entry in site.requests}) == 1


async def test_client_uses_the_given_transport():
    """A transport passed in (the test seam) receives the requests, with our User-Agent."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200)

    config = FetchConfig(user_agent="probe/1.0")
    async with build_client(config, transport=httpx.MockTransport(handler)) as client:
        await client.get("http://127.0.0.1:9/")
    assert seen == ["probe/1.0"]
