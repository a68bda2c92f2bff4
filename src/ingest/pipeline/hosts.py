"""Per-origin state the pipeline keeps in the database between runs (``ingest.store.hosts``).

:class:`DatabaseRobots` is the :class:`~ingest.fetch.politeness.RobotsMemory` of a run: robots.txt
answers read from and written to the ``hosts`` table. :func:`restore_deferral` and
:func:`keep_deferral` carry a long ``Retry-After`` over to later runs. A database error here
never stops a run: it is logged and the run behaves as if nothing was kept.
"""

from __future__ import annotations

__all__ = ["DatabaseRobots", "keep_deferral", "restore_deferral"]

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.errors import StoreError
from ingest.fetch.politeness import origin_of
from ingest.store import hosts

if TYPE_CHECKING:
    from ingest.fetch.politeness import HostLimiter
    from ingest.items import RobotsAnswer
    from ingest.store.db import Database

log = logging.getLogger(__name__)


class DatabaseRobots:
    """robots.txt answers kept in the database's ``hosts`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def recall(self, origin: str) -> RobotsAnswer | None:
        """The answer kept for ``origin``, if any."""
        try:
            async with self._database.session() as session:
                state = await hosts.get_host(session, origin)
        except StoreError as exc:
            log.warning("store.failed origin=%s kind=%s", origin, exc.kind)
            return None
        return state.robots if state is not None else None

    async def remember(self, origin: str, answer: RobotsAnswer) -> None:
        """Keep ``answer`` for ``origin``."""
        try:
            async with self._database.transaction() as session:
                await hosts.save_robots(session, origin, answer)
        except StoreError as exc:
            log.warning("store.failed origin=%s kind=%s", origin, exc.kind)


async def restore_deferral(database: Database, limiter: HostLimiter, url: str) -> None:
    """Defer ``url``'s origin again if an earlier run was asked to come back later than now."""
    try:
        async with database.session() as session:
            state = await hosts.get_host(session, origin_of(url))
    except StoreError as exc:
        log.warning("store.failed origin=%s kind=%s", origin_of(url), exc.kind)
        return
    until = state.retry_not_before if state is not None else None
    if until is not None and until > datetime.now(UTC):
        limiter.defer(url, until)


async def keep_deferral(database: Database, limiter: HostLimiter, url: str) -> None:
    """Keep ``url``'s origin deferral, if it has one, for later runs."""
    until = limiter.deferred_until(url)
    if until is None:
        return
    try:
        async with database.transaction() as session:
            await hosts.save_retry_not_before(session, origin_of(url), until)
    except StoreError as exc:
        log.warning("store.failed origin=%s kind=%s", origin_of(url), exc.kind)
