"""Fetch an ads.txt / app-ads.txt file by the IAB ads.txt 1.1 rules (§3.1, §3.6).

* ``https://`` first, one try without retries; ``http://`` (with the retry policy) only when
  https cannot be reached at all (connect, TLS, timeout or read failures), never after an
  HTTP answer.
* ``Accept: text/plain``; only a ``text/plain`` body is a file. Anything else (an HTML soft 404
  at ``/ads.txt``) fails as kind ``content_type`` and its content is ignored.
* A size cap (``max_bytes``, default the run's ``fetch.max_bytes``): larger fails as ``too_large``.
* Redirects are followed here, hop by hop, so each one is judged: any number inside the
  origin's root domain (public suffix + 1), one hop off it, and nothing after that: a further
  redirect fails as ``redirect_offsite``. :func:`redirect_error` is the pure decision.
* Conditional GET with the stored ETag / Last-Modified: a 304 is a result, not an error.
* Every other non-2xx status is an :class:`~ingest.errors.HTTPStatusError`; the pipeline decides
  what 404/410 (no file), 401/403 (denied) and 5xx (keep the last good copy, stale) mean.

The root domain comes from the Public Suffix List through ``tldextract``'s bundled snapshot,
with no network access ever (``suffix_list_urls=()``). A host without a public suffix (an IP
address, ``localhost``, ``*.test``) is its own root, so on loopback the same host on two ports is
"inside" and tests can inject ``root_of`` to model other domains.

Each hop is checked like ``fetcher.fetch`` checks it (``check_hop``, the connect-time guard),
and httpx exceptions are translated here, at the boundary. TODO(lead): once ``fetcher.fetch``
takes a per-hop redirect policy, call it with :func:`redirect_error` and drop the loop here.
"""

from __future__ import annotations

__all__ = [
    "ADSTXT_ACCEPT",
    "RootOf",
    "adstxt_urls",
    "fetch_adstxt",
    "redirect_error",
    "root_domain",
]

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
import tldextract

from ingest.config import FetchConfig  # noqa: TC001  (a dataclass field type)
from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge
from ingest.fetch.decode import BodyDecoder, DecodeError, parse_content_encoding
from ingest.fetch.fetcher import parse_content_type
from ingest.fetch.guard import Allow, BlockedAddress, check_url
from ingest.fetch.redirects import check_hop, next_hop
from ingest.fetch.retry import retry_after_seconds, retrying
from ingest.fetch.transport import guard_extensions
from ingest.items import FetchResult

if TYPE_CHECKING:
    from collections.abc import Sequence


log = logging.getLogger(__name__)

ADSTXT_ACCEPT = "text/plain"
"""The ``Accept`` header sent for ads.txt files."""

RootOf = Callable[[str], str]
"""Maps a URL to its root domain; :func:`root_domain` of the URL's host by default."""

_NOT_MODIFIED = 304
_FALLBACK_KINDS = frozenset({"connect", "timeout", "read"})
_TRANSLATIONS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.TimeoutException, "timeout"),
    (httpx.ConnectError, "connect"),
    (httpx.InvalidURL, "invalid_url"),
    (httpx.UnsupportedProtocol, "invalid_url"),
    (httpx.DecodingError, "bad_encoding"),
    (httpx.NetworkError, "read"),
    (httpx.ProtocolError, "read"),
)


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    """The PSL from tldextract's bundled snapshot: built once, immutable, never fetched."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def root_domain(host: str) -> str:
    """The registrable domain of ``host`` (public suffix + 1), or the host when it has none."""
    host = host.lower().rstrip(".")
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return host
    return f"{parts.domain}.{parts.suffix}"


def _host_root(url: str) -> str:
    return root_domain(urlsplit(url).hostname or "")


def redirect_error(origin: str, hops: Sequence[str], *, root_of: RootOf = _host_root) -> str | None:
    """Why a redirect chain from ``origin`` through ``hops`` is not allowed, or None when it is.

    Any number of hops inside the origin's root domain; one hop to another root domain; no
    redirect at all after leaving it (even inside the new domain).
    """
    home = root_of(origin)
    left: str | None = None
    for hop in hops:
        if left is not None:
            return f"redirected again after leaving {home} for {left}: {hop}"
        if root_of(hop) != home:
            left = hop
    return None


def adstxt_urls(url: str, name: str = "ads.txt") -> tuple[str, str]:
    """The https and http URLs of the file ``name`` at the root of ``url``'s host (and port)."""
    netloc = urlsplit(url).netloc
    return (
        urlunsplit(("https", netloc, "/" + name, "", "")),
        urlunsplit(("http", netloc, "/" + name, "", "")),
    )


async def fetch_adstxt(
    client: httpx.AsyncClient,
    url: str,
    *,
    config: FetchConfig,
    site: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    allow: Allow = False,
    max_bytes: int | None = None,
    root_of: RootOf = _host_root,
) -> FetchResult:
    """Fetch the ads.txt file at ``url`` (any scheme; https is tried first, then http).

    Returns a 2xx ``text/plain`` result or a 304; ``result.url`` is the URL that answered.
    Raises ``FetchError``: ``content_type``, ``too_large``, ``redirect_offsite``,
    ``redirect_loop``, an ``HTTPStatusError`` for other statuses, or a transport kind.
    """
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "ads.txt"
    secure, plain = adstxt_urls(url, name)
    headers = {"Accept": ADSTXT_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limit = max_bytes if max_bytes is not None else config.max_bytes
    options = _Options(config, site, allow, limit, root_of)
    try:
        return await _follow(client, secure, headers, options, probe=True)
    except FetchError as exc:
        if exc.kind not in _FALLBACK_KINDS:
            raise
        log.debug("fetch.adstxt_http site=%s url=%s kind=%s", site, secure, exc.kind)
    return await _follow(client, plain, headers, options)


@dataclass(frozen=True, slots=True)
class _Options:
    """The settings one :func:`fetch_adstxt` call passes to every hop."""

    config: FetchConfig
    site: str | None
    allow: Allow
    limit: int
    root_of: RootOf


async def _follow(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    options: _Options,
    *,
    probe: bool = False,
) -> FetchResult:
    """GET ``url``, following allowed redirects one hop at a time; check the content type.

    A ``probe`` (the https try) makes one attempt per hop without retries.
    """
    check_url(url, allow=options.allow, site=options.site)
    hops: list[str] = []
    current = url
    while True:
        answer: FetchResult | str | None = None
        if probe:  # https that may not exist: one try, quietly, http comes next
            answer = await _get_once(client, current, headers, options)
        else:
            async for attempt in retrying(options.config):
                with attempt:
                    answer = await _get_once(client, current, headers, options)
        assert answer is not None
        if isinstance(answer, FetchResult):
            break
        hops.append(answer)
        check_hop(url, answer, len(hops), allow=options.allow, site=options.site)
        reason = redirect_error(url, hops, root_of=options.root_of)
        if reason is not None:
            raise FetchError(url, "redirect_offsite", reason, site=options.site)
        current = answer
    if not answer.is_not_modified and answer.content_type != "text/plain":
        message = f"served as {answer.content_type!r}, not text/plain; content ignored"
        raise FetchError(url, "content_type", message, site=options.site)
    return replace(answer, url=url, final_url=current)


async def _get_once(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], options: _Options
) -> FetchResult | str:
    """One GET without following redirects: a result, or the target of a redirect."""
    site = options.site
    try:
        async with client.stream(
            "GET",
            url,
            headers=headers,
            follow_redirects=False,
            extensions=guard_extensions(options.allow),
        ) as response:
            status = response.status_code
            hop = next_hop(url, status, response.headers.get("location"))
            if hop is not None:
                return hop
            if status == _NOT_MODIFIED:
                content = b""
            elif 200 <= status < 300:  # noqa: PLR2004
                content = await _read_capped(response, url, options.limit, site)
            else:
                raise _status_error(response, url, site)
    except BlockedAddress as exc:
        raise FetchError(url, "blocked_ssrf", str(exc), site=site) from exc
    except DecodeError as exc:
        raise FetchError(url, "bad_encoding", str(exc), site=site) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        kind = next((k for t, k in _TRANSLATIONS if isinstance(exc, t)), "transport")
        raise FetchError(url, kind, f"{type(exc).__name__}: {exc}", site=site) from exc
    content_type, charset = parse_content_type(response.headers.get("content-type"))
    return FetchResult(
        url=url,
        final_url=url,
        status=status,
        content=content,
        content_type=content_type,
        charset=charset,
        etag=response.headers.get("etag") or _sent(status, headers, "If-None-Match"),
        last_modified=response.headers.get("last-modified")
        or _sent(status, headers, "If-Modified-Since"),
        fetched_at=datetime.now(UTC),
    )


def _sent(status: int, headers: dict[str, str], name: str) -> str | None:
    """A 304 may omit validators: the ones we sent still hold."""
    return headers.get(name) if status == _NOT_MODIFIED else None


async def _read_capped(response: httpx.Response, url: str, limit: int, site: str | None) -> bytes:
    """Read and decode (bounded, like ``fetcher``) the body; fail past ``limit`` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise ResponseTooLarge(url, limit, site=site)
    decoder = BodyDecoder(parse_content_encoding(response.headers.get("content-encoding")))
    body = bytearray()
    raw = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        for piece in decoder.feed(chunk):
            body += piece
            if len(body) > limit:
                raise ResponseTooLarge(url, limit, site=site)
        if raw > limit:
            raise ResponseTooLarge(url, limit, site=site)
    return bytes(body)


def _status_error(response: httpx.Response, url: str, site: str | None) -> HTTPStatusError:
    seconds = None
    if response.status_code in {429, 503}:
        seconds = retry_after_seconds(response.headers.get("retry-after"), now=datetime.now(UTC))
    return HTTPStatusError(url, response.status_code, site=site, retry_after=seconds)
