"""The one retry policy: which failures are worth another try, and how long to wait first.

The decision (:func:`is_retryable`, :func:`should_retry`) and the wait (:func:`wait_seconds`)
are plain functions tests call directly, like scrapy's ``get_retry_request``; :func:`retrying`
wires them into a ``tenacity.AsyncRetrying`` used by ``fetcher.fetch``. Only GETs are fetched,
so retrying after a read error repeats no side effect.

Retried: timeouts, connect errors, read errors and incomplete bodies, HTTP 408/429/500/502/503/504.
Never retried: other 4xx, oversize bodies, blocked targets (robots, SSRF), redirect loops, invalid
URLs. A ``Retry-After`` up to ``config.max_retry_after`` is slept; a longer one gives up at once
so the pipeline can defer the host instead of blocking a worker. A wait that would end past the
URL's deadline gives up at once too, keeping the last error (and its ``Retry-After``).
"""

from __future__ import annotations

__all__ = [
    "RETRYABLE_KINDS",
    "RETRYABLE_STATUSES",
    "retry_after_of",
    "retry_after_seconds",
    "retrying",
    "should_retry",
    "wait_seconds",
]

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import tenacity

from ingest.errors import FetchError, HTTPStatusError

if TYPE_CHECKING:
    from ingest.config import FetchConfig

log = logging.getLogger(__name__)

RETRYABLE_KINDS = frozenset({"timeout", "connect", "read"})
"""``FetchError.kind`` values that are transient."""
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses that are transient."""

_rng = random.Random()  # noqa: S311  (jitter needs no cryptographic randomness)


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is a transient fetch failure worth another try."""
    if isinstance(exc, HTTPStatusError):
        return exc.status in RETRYABLE_STATUSES
    return isinstance(exc, FetchError) and exc.kind in RETRYABLE_KINDS


def retry_after_of(exc: BaseException | None) -> float | None:
    """The ``Retry-After`` delay in seconds carried on a fetch error, if any."""
    return exc.retry_after if isinstance(exc, HTTPStatusError) else None


def should_retry(exc: BaseException, config: FetchConfig) -> bool:
    """True when ``exc`` is retryable and any ``Retry-After`` it carries is within the cap."""
    if not is_retryable(exc):
        return False
    retry_after = retry_after_of(exc)
    return retry_after is None or retry_after <= config.max_retry_after


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Parse a ``Retry-After`` header: delay-seconds or an HTTP-date, relative to ``now``.

    Returns ``None`` for a missing, negative or unparsable value; a date in the past gives 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    if text[0] in "+-" or text[0].isdigit():
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def wait_seconds(
    attempt: int,
    exc: BaseException | None,
    config: FetchConfig,
    *,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed try number ``attempt`` (1-based) before the next one.

    A ``Retry-After`` carried on ``exc`` within ``config.max_retry_after`` is obeyed exactly;
    otherwise full-jitter exponential backoff: ``uniform(0, backoff * 2 ** (attempt - 1))``.
    (A longer ``Retry-After`` is never waited for: :func:`should_retry` gives up instead.)
    """
    retry_after = retry_after_of(exc)
    if retry_after is not None and retry_after <= config.max_retry_after:
        return retry_after
    ceiling = config.backoff * 2 ** max(attempt - 1, 0)
    return (rng or _rng).uniform(0.0, ceiling)


def _url_of(exc: BaseException | None) -> str:
    return exc.url if isinstance(exc, FetchError) else "?"


def _kind_of(exc: BaseException | None) -> str:
    return exc.kind if isinstance(exc, FetchError) else type(exc).__name__


def retrying(config: FetchConfig, *, deadline: float | None = None) -> tenacity.AsyncRetrying:
    """Build the retry controller for one URL.

    Use: ``async for attempt in retrying(config):`` then ``with attempt:`` around one try.

    Stops after ``config.attempts`` tries, or when the next wait would end past ``deadline`` (an
    event-loop time), and re-raises the last error (never ``RetryError``); logs ``fetch.retry``
    before each sleep and ``fetch.giveup`` when a retryable error ends it.
    """

    def retry(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None:
            return False
        if should_retry(exc, config):
            return True
        if is_retryable(exc):  # only a too-long Retry-After gets here
            log.warning(
                "fetch.giveup url=%s kind=%s attempts=%d retry_after=%.1f reason=retry_after",
                _url_of(exc),
                _kind_of(exc),
                state.attempt_number,
                retry_after_of(exc) or 0.0,
            )
        return False

    def stop(state: tenacity.RetryCallState) -> bool:
        late = deadline is not None and (
            asyncio.get_running_loop().time() + (state.upcoming_sleep or 0.0) > deadline
        )
        if state.attempt_number < config.attempts and not late:
            return False
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "fetch.giveup url=%s kind=%s attempts=%d reason=%s",
            _url_of(exc),
            _kind_of(exc),
            state.attempt_number,
            "deadline" if late else "attempts",
        )
        return True

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        return wait_seconds(state.attempt_number, exc, config)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "fetch.retry url=%s kind=%s attempt=%d wait=%.2f",
            _url_of(exc),
            _kind_of(exc),
            state.attempt_number,
            state.upcoming_sleep,
        )

    return tenacity.AsyncRetrying(
        retry=retry,
        stop=stop,
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
