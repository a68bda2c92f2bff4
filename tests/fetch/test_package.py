"""The ``ingest.fetch`` package surface: what the pipeline may import from it."""

from __future__ import annotations

import ingest.fetch


def test_fetch_package_surface():
    """The package re-exports exactly these names, each defined in one of its modules."""
    assert sorted(ingest.fetch.__all__) == [
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
    for name in ingest.fetch.__all__:
        assert hasattr(ingest.fetch, name)
