"""Fetch one URL: SSRF guard, conditional GET, streamed size cap, retries; httpx → FetchError.

This is the only place httpx exceptions are caught: each becomes the most specific
:class:`ingest.errors.FetchError` (``raise … from exc``), so nothing above ``ingest.fetch`` sees
``httpx.*``. A 304 is a :class:`FetchResult` with an empty body, not an error; any other non-2xx
status is an :class:`HTTPStatusError`, carrying ``retry_after`` (seconds) for 429 and 503.
"""

from __future__ import annotations

__all__ = ["DEFAULT_ACCEPT", "fetch", "parse_content_type"]

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge
from ingest.fetch.guard import Allow, check_target
from ingest.fetch.retry import retry_after_seconds, retrying
from ingest.items import FetchResult

if TYPE_CHECKING:
    from ingest.config import FetchConfig

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
"""The ``Accept`` header sent for pages."""

_NOT_MODIFIED = 304
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """Split a ``Content-Type`` header into (media type lower-cased, charset or None).

    A missing or empty header gives ``application/octet-stream`` (RFC 9110 §8.3).
    """
    if not value or not value.strip():
        return "application/octet-stream", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip('"').strip("'").lower() or None
    return media.strip().lower() or "application/octet-stream", charset


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    config: FetchConfig,
    site: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = DEFAULT_ACCEPT,
    allow: Allow = False,
) -> FetchResult:
    """GET ``url`` (conditionally when ``etag``/``last_modified`` are given), with retries.

    ``allow`` is the site's ``allow_private_networks``: without it a loopback, private or
    link-local host fails as ``blocked_ssrf`` before any connection. Raises ``FetchError`` (or a
    subclass) for every failure; see the module docstring.
    """
    # TODO(hostile servers issue): check every redirect hop and the connected address too.
    await check_target(url, allow=allow, site=site)
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async for attempt in retrying(config):
        with attempt:
            return await _fetch_once(client, url, headers, config=config, site=site)
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


async def _fetch_once(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    config: FetchConfig,
    site: str | None,
) -> FetchResult:
    started = time.perf_counter()
    try:
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == _NOT_MODIFIED:
                content = b""
            elif 200 <= status < 300:  # noqa: PLR2004
                content = await _read_capped(response, url, config=config, site=site)
            else:
                raise _status_error(response, url, site=site)
    except httpx.TimeoutException as exc:
        raise FetchError(url, "timeout", _describe(exc), site=site) from exc
    except httpx.ConnectError as exc:
        raise FetchError(url, "connect", _describe(exc), site=site) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, "redirect_loop", _describe(exc), site=site) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(url, "invalid_url", _describe(exc), site=site) from exc
    except httpx.DecodingError as exc:
        raise FetchError(url, "decode", _describe(exc), site=site) from exc
    except (httpx.NetworkError, httpx.ProtocolError) as exc:
        raise FetchError(url, "read", _describe(exc), site=site) from exc
    except httpx.HTTPError as exc:
        raise FetchError(url, "transport", _describe(exc), site=site) from exc
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    log.debug("fetch.page site=%s url=%s status=%d ms=%d", site, url, status, elapsed_ms)
    content_type, charset = parse_content_type(response.headers.get("content-type"))
    return FetchResult(
        url=url,
        final_url=str(response.url),
        status=status,
        content=content,
        content_type=content_type,
        charset=charset,
        etag=response.headers.get("etag") or _if_304(status, headers.get("If-None-Match")),
        last_modified=response.headers.get("last-modified")
        or _if_304(status, headers.get("If-Modified-Since")),
        fetched_at=datetime.now(UTC),
    )


def _if_304(status: int, value: str | None) -> str | None:
    """A 304 may omit validators: the ones we sent still hold."""
    return value if status == _NOT_MODIFIED else None


async def _read_capped(
    response: httpx.Response, url: str, *, config: FetchConfig, site: str | None
) -> bytes:
    """Read the decoded body, failing as soon as it (or the declared length) passes the cap."""
    limit = config.max_bytes
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise ResponseTooLarge(url, limit, site=site)
    body = bytearray()
    # TODO(hostile servers issue): bound decompression per chunk (a gzip bomb decodes a whole
    # raw chunk at once before this check sees it).
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise ResponseTooLarge(url, limit, site=site)
    return bytes(body)


def _status_error(response: httpx.Response, url: str, *, site: str | None) -> HTTPStatusError:
    seconds = None
    if response.status_code in _RETRY_AFTER_STATUSES:
        seconds = retry_after_seconds(response.headers.get("retry-after"), now=datetime.now(UTC))
    return HTTPStatusError(url, response.status_code, site=site, retry_after=seconds)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
