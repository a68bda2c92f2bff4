"""build_client(): one configured client per run."""

from __future__ import annotations

import httpx

from ingest.config import FetchConfig
from ingest.fetch.client import MAX_REDIRECTS, build_client


async def test_client_takes_its_settings_from_config():
    """User-Agent, timeouts, redirects and no proxy/env settings come from FetchConfig."""
    config = FetchConfig(user_agent="probe/1.0", connect_timeout=3.0, read_timeout=7.0)
    async with build_client(config) as client:
        assert client.headers["user-agent"] == "probe/1.0"
        assert client.timeout == httpx.Timeout(connect=3.0, read=7.0, write=7.0, pool=3.0)
        assert client.follow_redirects is True
        assert client.max_redirects == MAX_REDIRECTS == 5
        assert client.trust_env is False


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
