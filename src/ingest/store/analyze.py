"""Fresh planner statistics on PostgreSQL while a run fills the tables.

PostgreSQL plans each lookup from the statistics ``ANALYZE`` last gathered. A table that was
never analysed, or has grown far past its statistics, is planned as if it were small: a lookup
of a batch's keys (``url IN (…)``, ``(site_id, fingerprint) IN (…)``) becomes a scan of the
whole table, so each batch costs more than the one before (at 240,000 sections a lookup of
1,000 fingerprints read every row: 120 ms instead of 3). Autovacuum re-analyses a table after
10% of it changed, but it can be switched off, and it lags behind a first bulk load.

:class:`Statistics` asks, at most every :data:`CHECK_EVERY` seconds after a commit, which of
the schema's tables changed by more rows than they held when last analysed (more than
:data:`MIN_CHANGED` for a table never analysed), and analyses those: a table growing to ``n``
rows is analysed about ``log2(n)`` times, each ``ANALYZE`` reading a fixed-size sample. A role
that may not analyse a table gets PostgreSQL's warning, not an error. SQLite plans without
such statistics: nothing is done there.
"""

from __future__ import annotations

__all__ = ["CHECK_EVERY", "MIN_CHANGED", "Statistics"]

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0
"""Seconds between two looks at the tables' change counters."""
MIN_CHANGED = 1000
"""Rows a never-analysed table must have changed by before it is analysed."""

_STALE = text(
    "SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() "
    "AND s.n_mod_since_analyze > greatest(:least, c.reltuples) ORDER BY s.relname"
)


class Statistics:
    """Keeps the planner statistics of one database's tables in step with their growth."""

    def __init__(self, engine: AsyncEngine, *, every: float = CHECK_EVERY) -> None:
        self._engine = engine
        self._every = every
        self._next = 0.0

    async def after_commit(self) -> list[str]:
        """Analyse the tables that outgrew their statistics (when due); their names."""
        if self._engine.dialect.name != "postgresql" or time.monotonic() < self._next:
            return []
        self._next = time.monotonic() + self._every
        return await self.refresh()

    async def refresh(self) -> list[str]:
        """Analyse now every table that changed by more rows than its statistics counted."""
        try:
            async with self._engine.connect() as connection:
                stale = list((await connection.execute(_STALE, {"least": MIN_CHANGED})).scalars())
                for name in stale:
                    quoted = connection.dialect.identifier_preparer.quote(name)
                    await connection.execute(text(f"ANALYZE {quoted}"))
                await connection.commit()
        except SQLAlchemyError as exc:
            # Fresh statistics only speed lookups up: a failure here must not fail the write.
            log.warning("store.analyze_failed error=%s", exc)
            return []
        if stale:
            log.info("store.analyzed tables=%s", ",".join(stale))
        return stale
