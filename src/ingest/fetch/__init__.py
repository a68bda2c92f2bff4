"""Fetching: the run's HTTP client, one-URL fetches with retries, politeness, URL discovery."""

from __future__ import annotations

__all__ = [
    "Allow",
    "HostLimiter",
    "RobotsCache",
    "build_client",
    "check_target",
    "discover",
    "fetch",
    "is_retryable",
    "retry_after_seconds",
    "retrying",
    "wait_seconds",
]

from ingest.fetch.client import build_client
from ingest.fetch.discovery import discover
from ingest.fetch.fetcher import fetch
from ingest.fetch.guard import Allow, check_target
from ingest.fetch.politeness import HostLimiter, RobotsCache
from ingest.fetch.retry import is_retryable, retry_after_seconds, retrying, wait_seconds
