"""The run's one ``httpx.AsyncClient``: timeouts, limits, User-Agent, no proxies from env.

One client per run is the connection pool (encode/httpx#131); the pipeline builds it here and
closes it on every exit path. The client follows no redirects (``fetch`` does, hop by hop) and
decodes nothing (``fetch`` reads raw bytes and decodes them in bounded steps). Its transport is
:class:`~ingest.fetch.transport.GuardedTransport`, the SSRF guard at connect time. Tests pass
``transport=`` (an ``httpx.MockTransport``) for narrow error-mapping tests, or ``resolve=`` to
play DNS; everything else speaks real HTTP to 127.0.0.1.
"""

from __future__ import annotations

__all__ = ["MAX_REDIRECTS", "build_client"]

from typing import TYPE_CHECKING

import httpx

from ingest.fetch.decode import ACCEPT_ENCODING
from ingest.fetch.redirects import MAX_REDIRECTS
from ingest.fetch.transport import GuardedTransport

if TYPE_CHECKING:
    from ingest.config import FetchConfig
    from ingest.fetch.transport import Resolver

_MIN_CONNECTIONS = 64


def build_client(
    config: FetchConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolve: Resolver | None = None,
    connections: int = 0,
) -> httpx.AsyncClient:
    """Return the run's HTTP client, configured from ``config``; the caller closes it.

    ``connections`` is how many requests the run may have in flight (the sum of its sites'
    ``concurrency``): the pool holds at least that many, all kept alive between requests, so
    no request waits for a connection or opens a new one per page.
    """
    timeout = httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.read_timeout,
        pool=config.connect_timeout,
    )
    size = max(_MIN_CONNECTIONS, connections)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncClient(
        headers={"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=timeout,
        trust_env=False,
        follow_redirects=False,
        max_redirects=MAX_REDIRECTS,
        transport=transport or GuardedTransport(limits=limits, resolve=resolve),
    )
