"""Fetch one URL: guarded redirects, conditional GET, bounded decoding, deadline, retries.

This is the only place httpx exceptions are caught: each becomes the most specific
:class:`ingest.errors.FetchError` (``raise … from exc``), so nothing above ``ingest.fetch`` sees
``httpx.*``. A 304 is a :class:`FetchResult` with an empty body, not an error; any other non-2xx
status is an :class:`HTTPStatusError`, carrying ``retry_after`` (seconds) for 429 and 503.

One call is bounded on every side: ``config.deadline`` seconds in all (hops, retries, waits and
a body dripping in byte by byte → ``timeout``), ``config.max_bytes`` of raw and of decoded body
(→ ``too_large``, a compression bomb included, see :mod:`ingest.fetch.decode`), at most
:data:`~ingest.fetch.redirects.MAX_REDIRECTS` hops (→ ``redirect_loop``), each hop re-checked
(scheme and address → ``blocked_ssrf``; robots.txt when a cache is given → ``blocked_robots``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_ACCEPT", "fetch", "parse_content_type"]

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge, RobotsDisallowed
from ingest.fetch.decode import BodyDecoder, DecodeError, parse_content_encoding
from ingest.fetch.guard import Allow, BlockedAddress, check_url
from ingest.fetch.redirects import check_hop, next_hop
from ingest.fetch.retry import retry_after_seconds, retrying
from ingest.fetch.transport import guard_extensions
from ingest.items import FetchResult

if TYPE_CHECKING:
    from ingest.config import FetchConfig
    from ingest.fetch.politeness import HostLimiter, RobotsCache

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
"""The ``Accept`` header sent for pages."""

_NOT_MODIFIED = 304
_DRAIN_BYTES = 64 * 1024
_DRAIN_SECONDS = 1.0
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_TRANSLATIONS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.TimeoutException, "timeout"),
    (httpx.ConnectError, "connect"),
    (httpx.TooManyRedirects, "redirect_loop"),
    (httpx.InvalidURL, "invalid_url"),
    (httpx.UnsupportedProtocol, "invalid_url"),
    (httpx.DecodingError, "bad_encoding"),
    (httpx.NetworkError, "read"),
    (httpx.ProtocolError, "read"),
    (httpx.HTTPError, "transport"),
)


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


@dataclass(frozen=True, slots=True)
class _Call:
    """What one :func:`fetch` call applies to every hop and attempt."""

    url: str
    config: FetchConfig
    site: str | None
    allow: Allow
    headers: dict[str, str]
    expect: frozenset[str] | None
    limit: int
    truncate: bool
    limiter: HostLimiter | None


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
    robots: RobotsCache | None = None,
    limiter: HostLimiter | None = None,
    expect: frozenset[str] | None = None,
    max_bytes: int | None = None,
    truncate: bool = False,
) -> FetchResult:
    """GET ``url`` (conditionally when ``etag``/``last_modified`` are given), with retries.

    ``allow`` is the site's ``allow_private_networks``, applied to every hop and at connect
    time. ``robots`` re-checks each redirect target (the caller checks ``url`` itself).
    ``limiter`` is told of every 429/503 and success (adaptive delay), and defers the host when
    a ``Retry-After`` is longer than ``config.max_retry_after``. ``expect`` lists the media types
    accepted (others fail as ``content_type`` before the body is read). ``max_bytes`` overrides
    ``config.max_bytes``; with ``truncate`` a longer body is cut there instead of failing.
    Raises ``FetchError`` (or a subclass) for every failure; see the module docstring.
    """
    check_url(url, allow=allow, site=site)
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    call = _Call(
        url=url,
        config=config,
        site=site,
        allow=allow,
        headers=headers,
        expect=expect,
        limit=config.max_bytes if max_bytes is None else max_bytes,
        truncate=truncate,
        limiter=limiter,
    )
    deadline = asyncio.get_running_loop().time() + config.deadline
    try:
        async with asyncio.timeout_at(deadline):
            return await _follow(client, call, deadline, robots)
    except TimeoutError as exc:
        message = f"not done within the {config.deadline:g} s deadline"
        raise FetchError(url, "timeout", message, site=site) from exc
    except HTTPStatusError as exc:
        if limiter is not None and (exc.retry_after or 0.0) > config.max_retry_after:
            until = datetime.now(UTC) + timedelta(seconds=exc.retry_after or 0.0)
            limiter.defer(url, until)
        raise


async def _follow(
    client: httpx.AsyncClient, call: _Call, deadline: float, robots: RobotsCache | None
) -> FetchResult:
    current, hops = call.url, 0
    while True:
        answer: FetchResult | str | None = None
        async for attempt in retrying(call.config, deadline=deadline):
            with attempt:
                answer = await _get_once(client, current, call)
        if isinstance(answer, FetchResult):
            return answer
        assert answer is not None  # tenacity re-raises the last error when no try succeeded
        hops += 1
        check_hop(call.url, answer, hops, allow=call.allow, site=call.site)
        if robots is not None and not await robots.allowed(answer):
            log.debug(
                "fetch.redirect site=%s url=%s to=%s kind=blocked_robots",
                call.site,
                call.url,
                answer,
            )
            raise RobotsDisallowed(call.url, site=call.site)
        log.debug("fetch.redirect site=%s url=%s to=%s hop=%d", call.site, call.url, answer, hops)
        current = answer


async def _get_once(client: httpx.AsyncClient, current: str, call: _Call) -> FetchResult | str:
    """One GET of ``current``: a result, or the absolute target of a redirect."""
    started = time.perf_counter()
    url, site = call.url, call.site
    try:
        async with client.stream(
            "GET", current, headers=call.headers, extensions=guard_extensions(call.allow)
        ) as response:
            status = response.status_code
            _observe(call.limiter, current, status)
            hop = next_hop(current, status, response.headers.get("location"))
            if hop is not None:
                await _drain(response)
                return hop
            content_type, charset = parse_content_type(response.headers.get("content-type"))
            if status == _NOT_MODIFIED:
                await _drain(response)
                content = b""
            elif 200 <= status < 300:  # noqa: PLR2004
                if call.expect is not None and content_type not in call.expect:
                    message = f"served as {content_type!r}, expected {sorted(call.expect)}"
                    raise FetchError(url, "content_type", message, site=site)
                content = await _read_body(response, call)
            else:
                await _drain(response)
                raise _status_error(response, url, site=site)
    except BlockedAddress as exc:
        raise FetchError(url, "blocked_ssrf", f"{current}: {exc}", site=site) from exc
    except DecodeError as exc:
        raise FetchError(url, "bad_encoding", str(exc), site=site) from exc
    except httpx.HTTPError as exc:
        kind = next(k for t, k in _TRANSLATIONS if isinstance(exc, t))
        raise FetchError(url, kind, _describe(exc), site=site) from exc
    except httpx.InvalidURL as exc:
        raise FetchError(url, "invalid_url", _describe(exc), site=site) from exc
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    log.debug("fetch.page site=%s url=%s status=%d ms=%d", site, current, status, elapsed_ms)
    return FetchResult(
        url=url,
        final_url=current,
        status=status,
        content=content,
        content_type=content_type,
        charset=charset,
        etag=response.headers.get("etag") or _if_304(status, call.headers.get("If-None-Match")),
        last_modified=response.headers.get("last-modified")
        or _if_304(status, call.headers.get("If-Modified-Since")),
        fetched_at=datetime.now(UTC),
    )


async def _drain(response: httpx.Response) -> None:
    """Read a body we do not want (304, redirect, error page) so the connection is kept alive.

    httpcore closes a connection whose response was not read to the end; a re-run answered
    with 304s would otherwise open one connection per page. A body longer than
    ``_DRAIN_BYTES`` raw bytes or slower than ``_DRAIN_SECONDS``, and any error while reading,
    is left to that close instead: draining never changes how the fetch ends.
    """
    seen = 0
    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for chunk in response.aiter_raw():
                seen += len(chunk)
                if seen > _DRAIN_BYTES:
                    return
    except (httpx.HTTPError, TimeoutError):
        return


def _observe(limiter: HostLimiter | None, url: str, status: int) -> None:
    """Tell the limiter how the host answered: throttled (429/503) or fine (2xx/3xx)."""
    if limiter is None:
        return
    if status in _RETRY_AFTER_STATUSES:
        limiter.throttled(url)
    elif 200 <= status < 400:  # noqa: PLR2004
        limiter.succeeded(url)


def _if_304(status: int, value: str | None) -> str | None:
    """A 304 may omit validators: the ones we sent still hold."""
    return value if status == _NOT_MODIFIED else None


async def _read_body(response: httpx.Response, call: _Call) -> bytes:
    """Read and decode the body, failing (or, with ``truncate``, stopping) past the cap.

    The cap applies to the raw bytes and to the decoded bytes; a declared Content-Length above
    it fails before any body byte is read.
    """
    limit = call.limit
    decoder = BodyDecoder(parse_content_encoding(response.headers.get("content-encoding")))
    declared = response.headers.get("content-length", "")
    if not call.truncate and declared.strip().isdigit() and int(declared) > limit:
        raise ResponseTooLarge(call.url, limit, site=call.site)
    body = bytearray()
    raw = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        for piece in decoder.feed(chunk):
            room = limit - len(body)
            if len(piece) <= room:
                body += piece
                continue
            if not call.truncate:
                raise ResponseTooLarge(call.url, limit, site=call.site)
            body += piece[:room]
            return bytes(body)
        if raw > limit:
            if not call.truncate:
                raise ResponseTooLarge(call.url, limit, site=call.site)
            return bytes(body)
    return bytes(body)


def _status_error(response: httpx.Response, url: str, *, site: str | None) -> HTTPStatusError:
    seconds = None
    if response.status_code in _RETRY_AFTER_STATUSES:
        seconds = retry_after_seconds(response.headers.get("retry-after"), now=datetime.now(UTC))
    return HTTPStatusError(url, response.status_code, site=site, retry_after=seconds)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
