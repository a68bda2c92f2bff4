"""The run's one ``httpx.AsyncClient``: timeouts, limits, User-Agent, no proxies from env.

One client per run is the connection pool (encode/httpx#131); the pipeline builds it here and
closes it on every exit path. Tests pass ``transport=`` (an ``httpx.MockTransport``) for narrow
error-mapping tests; everything else speaks real HTTP to 127.0.0.1.
"""

from __future__ import annotations

__all__ = ["MAX_REDIRECTS", "build_client"]

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ingest.config import FetchConfig

MAX_REDIRECTS = 5
"""Redirect hops followed before a URL fails as ``redirect_loop``."""

_MAX_CONNECTIONS = 64
_MAX_KEEPALIVE = 16


def build_client(
    config: FetchConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """Return the run's HTTP client, configured from ``config``; the caller closes it.

    TODO(hostile servers issue): re-check each redirect hop against the SSRF guard.
    """
    timeout = httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.read_timeout,
        pool=config.connect_timeout,
    )
    limits = httpx.Limits(
        max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_KEEPALIVE
    )
    return httpx.AsyncClient(
        headers={"User-Agent": config.user_agent},
        timeout=timeout,
        limits=limits,
        trust_env=False,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        http1=True,
        http2=False,
        transport=transport,
    )
