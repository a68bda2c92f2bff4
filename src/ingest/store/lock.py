"""One run per database at a time: ``flock`` beside a SQLite file, an advisory lock on PostgreSQL.

Both locks belong to the process holding them, so a run killed with SIGKILL frees its lock at
once: the kernel drops the ``flock`` when the file descriptor dies, and PostgreSQL drops a
session-level advisory lock when the connection closes. A second run that finds the lock taken
raises :class:`~ingest.errors.RunLocked` naming the holder, before touching anything.

::

    async with run_lock(database, holder="run 12 (pid 4242)"):
        ...  # the run
"""

from __future__ import annotations

__all__ = ["LOCK_KEY", "run_lock"]

import contextlib
import fcntl
import hashlib
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import RunLocked, StoreError
from ingest.store.db import error_reason

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncConnection

    from ingest.store.db import Database

LOCK_KEY = int.from_bytes(hashlib.sha256(b"ingest.run").digest()[:4], "big", signed=True)
"""The first half of the PostgreSQL advisory lock key; the second is the schema's hash, so
deployments in different schemas of one database do not block each other."""


_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))")


@asynccontextmanager
async def run_lock(database: Database, *, holder: str) -> AsyncIterator[None]:
    """Hold the database's run lock for the block; raise RunLocked if another run has it.

    ``holder`` describes this run for the message a blocked run prints (SQLite keeps it in the
    lock file; on PostgreSQL the blocked run reads the running run from the ``runs`` table).
    """
    if database.dialect == "sqlite":
        async with _file_lock(database, holder):
            yield
    else:
        async with _advisory_lock(database):
            yield


def _lock_path(database: Database) -> Path:
    path = database.engine.url.database
    if not path:
        raise StoreError("database", database.url, "a SQLite run lock needs a database file")
    return Path(path).with_name(Path(path).name + ".lock")


@asynccontextmanager
async def _file_lock(database: Database, holder: str) -> AsyncIterator[None]:
    path = _lock_path(database)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            raise RunLocked(current or f"unknown run (lock file {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@asynccontextmanager
async def _advisory_lock(database: Database) -> AsyncIterator[None]:
    try:
        connection = await database.engine.connect()
    except SQLAlchemyError as exc:
        raise StoreError("database", database.url, error_reason(exc)) from exc
    try:
        got = await connection.scalar(_TRY_LOCK, {"key": LOCK_KEY})
        await connection.commit()
        if not got:
            raise RunLocked(await _running_run(connection))
        try:
            yield
        finally:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection frees it anyway
                await connection.execute(_UNLOCK, {"key": LOCK_KEY})
                await connection.commit()
    finally:
        await connection.close()


async def _running_run(connection: AsyncConnection) -> str:
    """Describe the newest run still marked running (the lock holder), for the message."""
    try:
        row = (
            await connection.execute(
                text(
                    "SELECT id, started_at FROM runs WHERE status = 'running' "
                    "ORDER BY id DESC LIMIT 1"
                )
            )
        ).first()
    except SQLAlchemyError:
        return "another run (its details are not readable)"
    if row is None:
        return "another run"
    return f"run {row[0]} (started {row[1]:%Y-%m-%d %H:%M:%S} UTC)"
