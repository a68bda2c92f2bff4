"""Being a polite client: a per-host limiter and robots.txt, both scoped to one run.

:class:`HostLimiter` caps requests in flight per origin (scheme, host, port) and spaces the starts
of two requests to the same origin by at least ``delay`` seconds. :class:`RobotsCache` fetches each
origin's robots.txt once per run (concurrent callers share the fetch), parses it with protego and
answers for our user agent's product token. Neither keeps anything beyond the run: the pipeline
creates them and drops them when the run ends.
"""

from __future__ import annotations

__all__ = [
    "ROBOTS_MAX_BYTES",
    "SLOWDOWN_FLOOR",
    "HostLimiter",
    "RobotsCache",
    "RobotsMemory",
    "origin_of",
    "robots_token",
]

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from protego import Protego

from ingest.config import FetchConfig, SiteConfig
from ingest.errors import FetchError, HTTPStatusError
from ingest.fetch.fetcher import fetch
from ingest.items import RobotsAnswer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    import httpx

    from ingest.fetch.guard import Allow

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ROBOTS_ACCEPT = "text/plain,*/*;q=0.5"
_SNAP = 0.05

ROBOTS_MAX_BYTES = 500 * 1024
"""robots.txt bytes read (RFC 9309 §2.5 asks for at least 500 KiB); the rest is ignored."""
SLOWDOWN_FLOOR = 1.0
"""Seconds of delay the first 429/503 sets on an origin configured with no delay."""


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased, with the default port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{host}:{port}"


def _base_url(url: str) -> str:
    """``scheme://netloc`` as written in ``url`` (for building the robots.txt URL)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``ingest/0.1 (+…)`` → ``ingest``."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)
    return token[0].lower() if token else "*"


@dataclass(slots=True)
class _HostState:
    concurrency: int
    delay: float
    """The configured delay (clamped to ``max_delay``)."""
    extra: float = 0.0
    """Slow-down added after 429/503 answers; shrinks again with successes."""
    deferred: datetime | None = None
    in_flight: int = 0
    next_start: float = 0.0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)


class HostLimiter:
    """Per-origin concurrency cap and delay between request starts, for one run.

    Origins never configured get ``SiteConfig``'s default concurrency and delay. Configuring an
    origin twice (two sites on one host) keeps the stricter of the two settings. A delay above
    ``max_delay`` is clamped, with a warning.

    Adaptive politeness: each 429/503 (:meth:`throttled`) doubles the origin's effective delay
    (at least :data:`SLOWDOWN_FLOOR` s, at most ``max_delay``); each success (:meth:`succeeded`)
    takes a quarter of the added delay back off. :meth:`defer` marks an origin as not to be
    asked again before a time (a ``Retry-After`` too long to sleep); while deferred, :meth:`slot`
    refuses with ``FetchError`` kind ``deferred`` instead of sending anything.
    """

    def __init__(self, *, max_delay: float | None = None) -> None:
        default = FetchConfig.model_fields["max_delay"].default
        self.max_delay = float(default if max_delay is None else max_delay)
        self._hosts: dict[str, _HostState] = {}

    def configure(self, url: str, *, concurrency: int, delay: float) -> None:
        """Set the limits for the origin of ``url``."""
        if concurrency < 1 or delay < 0:
            raise ValueError(f"bad limits: concurrency={concurrency} delay={delay}")
        key = origin_of(url)
        if delay > self.max_delay:
            log.warning(
                "fetch.delay_clamped origin=%s delay=%.1f max_delay=%.1f",
                key,
                delay,
                self.max_delay,
            )
            delay = self.max_delay
        state = self._hosts.get(key)
        if state is None:
            self._hosts[key] = _HostState(concurrency=concurrency, delay=delay)
            return
        state.concurrency = min(state.concurrency, concurrency)
        state.delay = max(state.delay, delay)

    def _state(self, url: str) -> _HostState:
        key = origin_of(url)
        state = self._hosts.get(key)
        if state is None:
            fields = SiteConfig.model_fields
            state = _HostState(
                concurrency=int(fields["concurrency"].default),
                delay=min(float(fields["delay"].default), self.max_delay),
            )
            self._hosts[key] = state
        return state

    def delay_of(self, url: str) -> float:
        """Seconds currently kept between request starts to ``url``'s origin."""
        state = self._state(url)
        return min(state.delay + state.extra, self.max_delay)

    def throttled(self, url: str) -> None:
        """The origin answered 429 or 503: double its delay (capped at ``max_delay``)."""
        state = self._state(url)
        current = state.delay + state.extra
        widened = min(max(current * 2, SLOWDOWN_FLOOR), self.max_delay)
        state.extra = max(widened - state.delay, 0.0)
        log.info("fetch.slowdown origin=%s delay=%.2f", origin_of(url), state.delay + state.extra)

    def succeeded(self, url: str) -> None:
        """The origin answered fine: take a quarter of the added delay back off."""
        state = self._state(url)
        if state.extra:
            state.extra = 0.0 if state.extra < _SNAP else state.extra * 0.75

    def defer(self, url: str, until: datetime) -> None:
        """Ask ``url``'s origin nothing more before ``until`` (aware UTC); the later time wins."""
        state = self._state(url)
        if state.deferred is None or until > state.deferred:
            state.deferred = until
            log.warning("fetch.deferred origin=%s until=%s", origin_of(url), until.isoformat())

    def deferred_until(self, url: str) -> datetime | None:
        """When ``url``'s origin may be asked again, if it is deferred past now."""
        state = self._state(url)
        if state.deferred is not None and state.deferred > datetime.now(UTC):
            return state.deferred
        return None

    def slot(self, url: str) -> contextlib.AbstractAsyncContextManager[None]:
        """``async with limiter.slot(url): …`` holds one of the origin's slots for the request.

        Raises ``FetchError`` kind ``deferred`` while the origin is deferred: before waiting, and
        again once a slot is free (the origin may have been deferred while this caller waited).
        """
        self._refuse_if_deferred(url)
        return self._slot(url, self._state(url))

    def _refuse_if_deferred(self, url: str) -> None:
        until = self.deferred_until(url)
        if until is not None:
            message = f"{origin_of(url)} asked us to come back after {until.isoformat()}"
            raise FetchError(url, "deferred", message)

    @contextlib.asynccontextmanager
    async def _slot(self, url: str, state: _HostState) -> AsyncIterator[None]:
        async with state.changed:
            await state.changed.wait_for(lambda: state.in_flight < state.concurrency)
            if self.deferred_until(url) is not None:
                state.changed.notify()  # pass the wake-up on: the next waiter is refused too
                self._refuse_if_deferred(url)
            state.in_flight += 1
        try:
            async with state.spacing:
                loop = asyncio.get_running_loop()
                wait = state.next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                state.next_start = loop.time() + min(state.delay + state.extra, self.max_delay)
            yield
        finally:
            async with state.changed:
                state.in_flight -= 1
                state.changed.notify()


@dataclass(frozen=True, slots=True)
class _Rules:
    """What one origin's robots.txt said: parsed rules, or allow/deny everything."""

    parser: Protego | None
    allow_all: bool

    def can_fetch(self, url: str, token: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(url, token)


class RobotsCache:
    """robots.txt per origin, fetched once per run and shared by concurrent callers.

    A 2xx is parsed with protego (decoded as UTF-8, BOM stripped; only the first
    :data:`ROBOTS_MAX_BYTES` read); a 4xx allows everything; a 5xx, 429, network error or blocked
    target disallows everything for this run (RFC 9309 §2.3.1). Redirects are followed (at most
    five hops, each guarded).

    With a ``memory`` (the pipeline passes one backed by the database), a 2xx or 4xx answer is
    kept and reused by later runs while younger than ``config.robots_max_age`` (RFC 9309 §2.4:
    at most 24 h), so a cron run every few minutes does not refetch every robots.txt; failures
    are never kept. robots.txt is fetched through the SSRF guard like any page, so an origin on
    a private address needs its site's ``allow_private_networks``: pass the run's ``sites=`` (or
    call :meth:`configure`) before the first question, else that origin is denied for the run.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: FetchConfig,
        *,
        sites: Iterable[SiteConfig] = (),
        memory: RobotsMemory | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._memory = memory
        self._token = robots_token(config.user_agent)
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._allow: dict[str, tuple[Allow, str | None]] = {}
        for site in sites:
            self.configure(site.url, allow=site.allow_private_networks, site=site.name)

    def configure(self, url: str, *, allow: Allow = False, site: str | None = None) -> None:
        """Record the SSRF allowance (and site name for errors and logs) of ``url``'s origin.

        An origin configured twice keeps the first allowance that is not ``False``.
        """
        key = origin_of(url)
        if self._allow.get(key, (False, None))[0] is False:
            self._allow[key] = (allow, site)

    async def allowed(self, url: str) -> bool:
        """True when robots.txt lets our user agent fetch ``url``."""
        rules = await self._get(url)
        return rules.can_fetch(url, self._token)

    async def sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` URLs in the robots.txt of ``url``'s origin, in file order."""
        rules = await self._get(url)
        return list(rules.parser.sitemaps) if rules.parser is not None else []

    async def crawl_delay(self, url: str) -> float | None:
        """The ``Crawl-delay`` for our user agent at ``url``'s origin, if any."""
        rules = await self._get(url)
        if rules.parser is None:
            return None
        delay = rules.parser.crawl_delay(self._token)
        return float(delay) if delay is not None else None

    async def _get(self, url: str) -> _Rules:
        key = origin_of(url)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._rules:
                self._rules[key] = await self._load(key, _base_url(url) + "/robots.txt")
            return self._rules[key]

    async def _load(self, key: str, robots_url: str) -> _Rules:
        allow, site = self._allow.get(key, (False, None))
        if self._memory is not None:
            kept = await self._memory.recall(key)
            if kept is not None and self._fresh(kept):
                log.debug(
                    "fetch.robots site=%s url=%s status=%d rules=kept since=%s",
                    site,
                    robots_url,
                    kept.status,
                    kept.fetched_at.isoformat(),
                )
                return _rules_of(kept)
        try:
            result = await fetch(
                self._client,
                robots_url,
                config=self._config,
                site=site,
                accept=_ROBOTS_ACCEPT,
                allow=allow,
                max_bytes=ROBOTS_MAX_BYTES,
                truncate=True,
            )
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:  # noqa: PLR2004
                await self._keep(key, RobotsAnswer(exc.status, None, datetime.now(UTC)))
                log.debug(
                    "fetch.robots site=%s url=%s status=%d rules=allow_all",
                    site,
                    robots_url,
                    exc.status,
                )
                return _Rules(parser=None, allow_all=True)
            log.warning(
                "fetch.robots site=%s url=%s kind=%s rules=deny_all", site, robots_url, exc.kind
            )
            return _Rules(parser=None, allow_all=False)
        except FetchError as exc:
            log.warning(
                "fetch.robots site=%s url=%s kind=%s rules=deny_all", site, robots_url, exc.kind
            )
            return _Rules(parser=None, allow_all=False)
        answer = RobotsAnswer(
            result.status, result.content.decode("utf-8-sig", errors="replace"), result.fetched_at
        )
        await self._keep(key, answer)
        log.debug(
            "fetch.robots site=%s url=%s status=%d rules=parsed", site, robots_url, result.status
        )
        return _rules_of(answer)

    def _fresh(self, answer: RobotsAnswer) -> bool:
        age = (datetime.now(UTC) - answer.fetched_at).total_seconds()
        return 0 <= age < self._config.robots_max_age

    async def _keep(self, key: str, answer: RobotsAnswer) -> None:
        if self._memory is not None:
            await self._memory.remember(key, answer)


class RobotsMemory(Protocol):
    """Where :class:`RobotsCache` keeps robots.txt answers between runs."""

    async def recall(self, origin: str) -> RobotsAnswer | None:
        """The answer kept for ``origin``, if any (whatever its age)."""

    async def remember(self, origin: str, answer: RobotsAnswer) -> None:
        """Keep ``answer`` for ``origin``, replacing the one kept before."""


def _rules_of(answer: RobotsAnswer) -> _Rules:
    """The rules an answer stands for: parsed 2xx text, or everything allowed (4xx)."""
    if 200 <= answer.status < 300:  # noqa: PLR2004
        return _Rules(parser=Protego.parse(answer.text or ""), allow_all=True)
    return _Rules(parser=None, allow_all=True)
