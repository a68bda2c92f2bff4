"""What each origin told us, kept across runs: its robots.txt answer and any deferral.

The pipeline reads an origin's row before asking it anything (a robots.txt answer younger than
``fetch.robots_max_age`` is reused; a ``retry_not_before`` in the future defers the origin) and
writes it when robots.txt was fetched or a long ``Retry-After`` deferred the origin::

    async with database.transaction() as session:
        await save_robots(session, "https://blog.example", RobotsAnswer(200, text, now))
"""

from __future__ import annotations

__all__ = ["HostState", "get_host", "save_retry_not_before", "save_robots"]

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from ingest.items import RobotsAnswer
from ingest.store.db import translate_errors
from ingest.store.models import HostRow
from ingest.store.upsert import upsert_by

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class HostState:
    """An origin's row: its kept robots.txt answer and when it may be asked again."""

    robots: RobotsAnswer | None
    retry_not_before: datetime | None


async def get_host(session: AsyncSession, origin: str) -> HostState | None:
    """The kept state of ``origin`` (``scheme://host[:port]``), or None if never seen."""
    statement = select(
        HostRow.robots_status,
        HostRow.robots_text,
        HostRow.robots_fetched_at,
        HostRow.retry_not_before,
    ).where(HostRow.origin == origin)
    with translate_errors("hosts", origin):
        row = (await session.execute(statement)).one_or_none()
    if row is None:
        return None
    status, text, fetched_at, retry_not_before = row
    robots = None
    if status is not None and fetched_at is not None:
        robots = RobotsAnswer(status, text, fetched_at)
    return HostState(robots, retry_not_before)


async def save_robots(session: AsyncSession, origin: str, answer: RobotsAnswer) -> None:
    """Keep ``answer`` as ``origin``'s robots.txt answer (replacing the previous one)."""
    values = {
        "origin": origin,
        "robots_status": answer.status,
        "robots_text": answer.text,
        "robots_fetched_at": answer.fetched_at,
    }
    with translate_errors("hosts", origin):
        await upsert_by(session, HostRow, values, keys=["origin"])


async def save_retry_not_before(session: AsyncSession, origin: str, until: datetime) -> None:
    """Defer ``origin`` until ``until`` for later runs (a later time already kept wins)."""
    current = await get_host(session, origin)
    if current is not None and current.retry_not_before is not None:
        until = max(until, current.retry_not_before)
    with translate_errors("hosts", origin):
        await upsert_by(
            session, HostRow, {"origin": origin, "retry_not_before": until}, keys=["origin"]
        )
