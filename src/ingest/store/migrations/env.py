"""Alembic's migration environment for ingest (the async template, adapted).

Two ways in:

* ``Database.upgrade()`` passes its own open connection in ``config.attributes["connection"]``
  (from ``AsyncConnection.run_sync``), so migrations run inside the caller's event loop.
* The ``alembic`` command line (``alembic upgrade head``, ``alembic check`` from the repository
  root) connects to ``INGEST_DATABASE_URL``, else ``sqlalchemy.url`` from ``alembic.ini``, else
  ``sqlite:///ingest.db``, through the same async drivers as the application.

Tables the migrations create outside the ORM (the full-text index ``section_search`` and, on
SQLite, its FTS5 shadow tables ``section_search_*``) are left out of the comparison by
:func:`include_name`, so ``alembic check`` compares only what the models declare.

``render_as_batch`` lets migrations alter tables on SQLite; ``compare_type`` makes autogenerate
and ``alembic check`` notice changed column types.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from ingest.store.db import async_url
from ingest.store.models import Base  # importing ingest.store registers every table

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType
    from sqlalchemy.engine import Connection

DEFAULT_URL = "sqlite:///ingest.db"

config = context.config
target_metadata = Base.metadata


UNMANAGED_TABLE_PREFIX = "section_search"
"""Tables made by raw SQL in the migrations (full-text index, FTS5 shadow tables)."""


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Compare every reflected object except the tables the ORM does not declare."""
    del parent_names
    return not (type_ == "table" and name is not None and name.startswith(UNMANAGED_TABLE_PREFIX))


def _url() -> str:
    """The database URL for the command line: env, then alembic.ini, then the default."""
    return (
        os.environ.get("INGEST_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or DEFAULT_URL
    )


def run_migrations_offline() -> None:
    """Emit the migrations as SQL (``alembic upgrade head --sql``) without connecting."""
    context.configure(
        url=async_url(_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a sync-facing connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Connect with the async driver and run the migrations through ``run_sync``."""
    engine = create_async_engine(async_url(_url()), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Use the caller's connection when there is one, else open our own."""
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
