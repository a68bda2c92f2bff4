"""build_client(): one configured client per run."""

from __future__ import annotations

import httpx

from ingest.config import FetchConfig
from ingest.fetch.client import MAX_REDIRECTS, build_client
from ingest.fetch.transport import GuardedBackend, GuardedTransport


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
        # httpx 0.28 has no network_backend option: pin that our pool (and guard) is in place
        assert isinstance(transport._pool._network_backend, GuardedBackend)


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
