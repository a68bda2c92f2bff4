"""The run lock: one run per database, a clear message for the second, freed by SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from ingest.errors import RunLocked
from ingest.store.db import Database
from ingest.store.lock import LOCK_KEY, run_lock

if TYPE_CHECKING:
    from ingest.store.db import Database as DatabaseType


async def test_second_holder_is_refused_with_the_holder_named(database: DatabaseType):
    """While one run holds the lock, another gets RunLocked naming the holder (SQLite)."""
    other = Database.from_url(database.url if database.dialect == "sqlite" else _raw_url(database))
    try:
        async with run_lock(database, holder="run 7 (pid 123)"):
            with pytest.raises(RunLocked) as info:
                async with run_lock(other, holder="run 8"):
                    pass
        # SQLite keeps the holder in the lock file; PostgreSQL names the newest running run
        want = "run 7 (pid 123)" if database.dialect == "sqlite" else "another run"
        assert str(info.value) == f"another ingest run holds the lock: {want}"
    finally:
        await other.dispose()


async def test_lock_is_free_again_after_release(database: DatabaseType):
    """Releasing the lock lets the next run take it."""
    async with run_lock(database, holder="first"):
        pass
    async with run_lock(database, holder="second"):
        pass


def _raw_url(database: DatabaseType) -> str:
    return database.engine.url.render_as_string(hide_password=False)


HOLD = textwrap.dedent(
    """
    import asyncio, sys, time
    from ingest.store.db import Database
    from ingest.store.lock import LOCK_KEY, run_lock

    async def main():
        db = Database.from_url(sys.argv[1])
        async with run_lock(db, holder="run 1 (pid held by child)"):
            print("locked", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def _until_the_server_drops_it(database: DatabaseType) -> None:
    """PostgreSQL frees a killed session's lock when its backend exits, a moment after the kill.

    Wait for that server-side, in a blocking lock call bounded by lock_timeout (no polling).
    """
    async with database.engine.connect() as connection:
        await connection.execute(text("SET lock_timeout = '10s'"))
        await connection.execute(
            text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))"), {"key": LOCK_KEY}
        )
        await connection.execute(
            text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"), {"key": LOCK_KEY}
        )
        await connection.commit()


async def test_sigkill_frees_the_lock(database: DatabaseType):
    """A run killed with SIGKILL leaves no lock behind: the next run gets it (SQLite at once)."""
    url = _raw_url(database)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD, url, stdout=asyncio.subprocess.PIPE, env=os.environ.copy()
    )
    try:
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"locked"
        with pytest.raises(RunLocked):
            async with run_lock(database, holder="blocked"):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    if database.dialect == "postgresql":
        await _until_the_server_drops_it(database)
    async with run_lock(database, holder="after the kill"):
        pass
