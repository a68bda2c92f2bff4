"""What one run shares between its sites and steps: resources, the report, small helpers."""

from __future__ import annotations

__all__ = ["Progress", "RunContext", "now", "record_page"]

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.errors import IngestError
from ingest.store import repository

if TYPE_CHECKING:
    import httpx

    from ingest.config import Config
    from ingest.fetch.politeness import HostLimiter, RobotsCache
    from ingest.report import ReportBuilder
    from ingest.store.db import Database
    from ingest.store.repository import PageRecord
    from ingest.workers import ParsePool

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Told ``(site, done, total)`` as pages finish (fetched, skipped or failed); the CLI draws it."""


@dataclass(frozen=True, slots=True)
class RunContext:
    """The resources one run shares between its sites."""

    config: Config
    client: httpx.AsyncClient
    database: Database
    robots: RobotsCache
    limiter: HostLimiter
    parser: ParsePool
    report: ReportBuilder
    progress: Progress | None = None
    regroup_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a site is checked against the dedupe settings: one regroup at a time."""


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


async def record_page(ctx: RunContext, site_id: int, record: PageRecord) -> None:
    """Store what happened to one page in its own short transaction (a failure is only logged)."""
    try:
        async with ctx.database.transaction() as session:
            await repository.upsert_page(session, site_id, ctx.report.run_id, record)
    except IngestError as exc:
        log.warning("store.failed url=%s kind=%s", record.url, exc.kind)
