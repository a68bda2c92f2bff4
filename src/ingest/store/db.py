"""The run's database: an async engine and session factory built from a URL, and upgrades.

:class:`Database` accepts the URLs people write (``sqlite:///ingest.db``,
``postgresql://user@host/db``) and maps them to the async drivers (aiosqlite, psycopg).
SQLite connections get WAL, foreign keys and a busy timeout. The schema is built and upgraded
only through the Alembic migrations in ``ingest/store/migrations`` (:meth:`Database.upgrade`),
which run on the engine's own connection, so they work from inside a running event loop.

SQLAlchemy errors raised here become :class:`ingest.errors.StoreError`; the caller owns sessions
and transactions::

    async with database.transaction() as session:
        await repository.upsert_site(session, "blog", "https://blog.example/")
"""

from __future__ import annotations

__all__ = [
    "MIGRATIONS_DIR",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "async_url",
    "error_reason",
    "ids_by",
    "insert_many",
    "translate_errors",
]

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, insert, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ingest.errors import StoreError
from ingest.store.analyze import Statistics

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence

    from sqlalchemy import ColumnElement, Table
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""Alembic's ``script_location``: the migration environment shipped inside the package."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another writer before giving up."""

IN_CHUNK = 500
"""Values per ``IN (...)`` list: far below SQLite's and PostgreSQL's parameter limits."""

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg_async",
}


def _mask(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def async_url(url: str) -> URL:
    """Map a user's database URL to the async driver SQLAlchemy should use.

    Raises:
        StoreError: the URL cannot be parsed, names a database ingest does not support, or
            puts a SQLite file in a folder that does not exist (SQLite would not create it).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError("database", _mask(url), "not a database URL") from exc
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        supported = "sqlite:///PATH or postgresql://USER@HOST/DB"
        raise StoreError("database", _mask(url), f"unsupported URL scheme (use {supported})")
    if driver.startswith("sqlite"):
        if parsed.database in {None, "", ":memory:"}:
            raise StoreError("database", _mask(url), "SQLite needs a file path, not :memory:")
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise StoreError("database", _mask(url), f"folder {folder} does not exist")
    return parsed.set(drivername=driver)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: object) -> None:  # noqa: ANN401  (a DBAPI connection has no common type)
    """Turn on WAL, foreign keys and the busy timeout on every new SQLite connection."""
    del connection_record
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(
            "PRAGMA synchronous=NORMAL"
        )  # with WAL: safe on a crash, no fsync per commit
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    finally:
        cursor.close()


def _alembic_config() -> Config:
    """An Alembic configuration built in code, pointing at the package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade_head(connection: Connection) -> None:
    """Run ``alembic upgrade head`` on an open (sync-facing) connection."""
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has never been upgraded."""
    return MigrationContext.configure(connection).get_current_revision()


class Database:
    """An async engine and its session factory; one per run, disposed when the run ends."""

    def __init__(self, engine: AsyncEngine, *, url: str) -> None:
        self._engine = engine
        self._url = url
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._writers: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.statistics = Statistics(engine)
        """The PostgreSQL planner statistics, refreshed after commits as tables grow."""

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Build a database from ``sqlite:///path``, ``postgresql://…`` or their async forms.

        Raises:
            StoreError: the URL is not one ingest supports.
        """
        target = async_url(url)
        engine = create_async_engine(target)
        if target.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return cls(engine, url=url)

    @property
    def url(self) -> str:
        """The URL as the user gave it, with the password masked (safe to print)."""
        return _mask(self._url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine, for the few places that need a raw connection (the run lock)."""
        return self._engine

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    def session(self) -> AsyncSession:
        """A new session; the caller begins, commits and closes it (``async with``)."""
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success and rolled back on error.

        SQLAlchemy errors raised by the commit itself (a busy database, a lost connection) come
        out as :class:`StoreError`, like those of the repository functions.

        On SQLite the transactions of this process take turns: SQLite has one writer at a time,
        and a transaction that finds it busy sleeps in SQLite's busy handler (up to 100 ms a
        try) long after the lock is free; waiting on an asyncio lock instead hands it over at
        once. Do not open a transaction while holding another one on the same database.
        On PostgreSQL a commit may be followed by an ``ANALYZE`` of the tables that outgrew
        their statistics (:mod:`ingest.store.analyze`).
        """
        try:
            async with self._writer(), self._sessions() as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError("transaction", self.url, error_reason(exc)) from exc
        await self.statistics.after_commit()

    def _writer(self) -> AbstractAsyncContextManager[object]:
        """The in-process write turn on SQLite (one lock per event loop); nothing elsewhere."""
        if self.dialect != "sqlite":
            return nullcontext()
        loop = asyncio.get_running_loop()
        lock = self._writers.get(loop)
        if lock is None:
            self._writers = {
                loop: lock for loop, lock in self._writers.items() if not loop.is_closed()
            }
            lock = self._writers[loop] = asyncio.Lock()
        return lock

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (creates it on a new database).

        Raises:
            StoreError: a migration failed; the database is left at the last good revision.
        """
        try:
            async with self._engine.begin() as connection:
                await connection.run_sync(_upgrade_head)
        except SQLAlchemyError as exc:
            raise StoreError("alembic_version", "head", error_reason(exc)) from exc
        log.info("store.upgraded url=%s", self.url)

    async def current_revision(self) -> str | None:
        """The migration the database is at, or None before the first upgrade."""
        try:
            async with self._engine.connect() as connection:
                return await connection.run_sync(_current_revision)
        except SQLAlchemyError as exc:
            raise StoreError("alembic_version", "current", error_reason(exc)) from exc

    async def is_created(self) -> bool:
        """Whether the schema exists (an upgrade ran); a missing SQLite file is not created."""
        path = self._engine.url.database
        file = Path(path) if self.dialect == "sqlite" and path and path != ":memory:" else None
        if file is not None and not await asyncio.to_thread(file.exists):
            return False
        return await self.current_revision() is not None

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()


async def insert_many(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    **constants: Any,  # noqa: ANN401  (column values of any type)
) -> None:
    """INSERT ``rows`` (mappings with the same keys) in one executemany; ``constants`` go in each.

    For large batches (an ads.txt file of 100,000 sellers): the statement is compiled once for
    the session's dialect and handed to the driver's ``executemany`` with every value already
    converted by its column type's bind processor, a constant converted once. SQLAlchemy's
    per-row parameter handling otherwise costs more than SQLite's own insert.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=[*keys, *constants])

    def processor(name: str) -> Callable[[Any], Any] | None:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    fixed = {}
    for name, value in constants.items():
        convert = processor(name)
        fixed[name] = convert(value) if convert else value
    converters = [(name, processor(name)) for name in keys]
    converted = [
        {name: convert(row[name]) if convert else row[name] for name, convert in converters} | fixed
        for row in rows
    ]
    if dialect.positional:
        order = compiled.positiontup or []
        params: Sequence[Any] = [tuple(row[name] for name in order) for row in converted]
    else:
        params = converted
    await connection.exec_driver_sql(str(compiled), params)


async def ids_by(
    session: AsyncSession,
    id_column: ColumnElement[Any],
    where: ColumnElement[Any],
    wanted: Sequence[Any],
    *also: ColumnElement[Any],
) -> dict[Any, int]:
    """``id_column`` of the rows whose ``where`` is one of ``wanted``, by ``where``'s value.

    With ``also`` columns, by the tuple ``(where, *also)``: the ids of bulk-inserted child rows
    by their natural key (``(article_id, position)``). ``IN_CHUNK`` values per query.
    """
    found: dict[Any, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        statement = select(where, *also, id_column).where(where.in_(chunk))
        for *key, value in await session.execute(statement):
            found[tuple(key) if also else key[0]] = int(value)
    return found


def error_reason(exc: SQLAlchemyError) -> str:
    """The driver's message for a SQLAlchemy error, without SQLAlchemy's long suffix."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


@contextmanager
def translate_errors(table: str, key: object) -> Iterator[None]:
    """Turn a SQLAlchemy error inside the block into a StoreError naming table and natural key."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(table, str(key), error_reason(exc)) from exc
