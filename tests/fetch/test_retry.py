"""The retry policy as plain decisions, and the tenacity controller built from it."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

import pytest

from ingest.config import FetchConfig
from ingest.errors import FetchError, HTTPStatusError, ResponseTooLarge, RobotsDisallowed
from ingest.fetch.retry import (
    is_retryable,
    retry_after_seconds,
    retrying,
    should_retry,
    wait_seconds,
)

URL = "http://127.0.0.1:1/x"
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _status(status: int, retry_after: float | None = None) -> HTTPStatusError:
    return HTTPStatusError(URL, status, retry_after=retry_after)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (FetchError(URL, "timeout", "t"), True),
        (FetchError(URL, "connect", "c"), True),
        (FetchError(URL, "read", "incomplete body"), True),
        *((_status(code), True) for code in (408, 429, 500, 502, 503, 504)),
        *((_status(code), False) for code in (400, 401, 403, 404, 410, 501)),
        (ResponseTooLarge(URL, 1024), False),
        (RobotsDisallowed(URL), False),
        (FetchError(URL, "blocked_ssrf", "private"), False),
        (FetchError(URL, "redirect_loop", "loop"), False),
        (FetchError(URL, "invalid_url", "bad"), False),
        (ValueError("a bug"), False),
    ],
)
def test_is_retryable(exc, expected):
    """Only transient failures (timeouts, connect/read errors, 408/429/5xx gateways) retry."""
    assert is_retryable(exc) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: retry now
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value, expected):
    """Retry-After is delay-seconds or an HTTP-date; garbage and negatives are ignored."""
    assert retry_after_seconds(value, now=NOW) == expected


def test_wait_is_full_jitter_exponential():
    """Without Retry-After the wait is uniform in [0, backoff * 2**(attempt-1)]."""
    config = FetchConfig(backoff=0.5)
    rng = random.Random(7)  # noqa: S311  (reproducible jitter, not cryptography)
    waits = [wait_seconds(3, FetchError(URL, "timeout", "t"), config, rng=rng) for _ in range(200)]
    assert all(0.0 <= w <= 2.0 for w in waits)
    assert max(waits) > 1.5  # the ceiling grew with the attempt, not stuck at backoff
    assert wait_seconds(1, None, FetchConfig(backoff=0.0)) == 0.0


def test_wait_honours_retry_after_within_cap():
    """A Retry-After within max_retry_after is waited exactly, instead of the backoff."""
    config = FetchConfig(backoff=0.01, max_retry_after=60)
    assert wait_seconds(1, _status(429, 42.0), config) == 42.0


def test_too_long_retry_after_gives_up():
    """A Retry-After beyond max_retry_after is not slept: the error is not retried at all."""
    config = FetchConfig(max_retry_after=60)
    assert should_retry(_status(503, 30.0), config)
    assert not should_retry(_status(503, 61.0), config)


async def _tries(config: FetchConfig, error: FetchError) -> tuple[int, BaseException | None]:
    """Run ``retrying(config)`` around a body that always raises ``error``."""
    calls = 0
    try:
        async for attempt in retrying(config):
            with attempt:
                calls += 1
                raise error
    except FetchError as exc:
        return calls, exc
    return calls, None


async def test_retrying_stops_after_attempts_and_reraises(caplog):
    """The controller tries `attempts` times, logs each retry and the give-up, re-raises."""
    error = _status(503)
    with caplog.at_level(logging.INFO, logger="ingest.fetch.retry"):
        calls, raised = await _tries(FetchConfig(attempts=3, backoff=0.0), error)
    assert (calls, raised) == (3, error)
    events = [r.getMessage().split()[0] for r in caplog.records]
    assert events == ["fetch.retry", "fetch.retry", "fetch.giveup"]


async def test_retrying_does_not_retry_permanent_errors():
    """A 404 is raised after one try."""
    error = _status(404)
    assert await _tries(FetchConfig(backoff=0.0), error) == (1, error)


async def test_retrying_gives_up_at_once_on_long_retry_after(caplog):
    """A 429 asking for more than max_retry_after ends after one try, logged as a give-up."""
    error = _status(429, 600.0)
    with caplog.at_level(logging.INFO, logger="ingest.fetch.retry"):
        result = await _tries(FetchConfig(backoff=0.0, max_retry_after=60), error)
    assert result == (1, error)
    assert [r.getMessage().split()[0] for r in caplog.records] == ["fetch.giveup"]
