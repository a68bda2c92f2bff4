from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from ingest.errors import StoreError
from ingest.items import AdsTxt
from ingest.store import queries, repository
from ingest.store.adstxt import store_adstxt_snapshot
from ingest.store.adstxt_models import AdsTxtRecordRow
from ingest.store.analyze import Statistics
from ingest.store.db import SQLITE_BUSY_TIMEOUT_MS, Database, async_url, insert_many
from ingest.store.models import Base, CanonicalSectionRow, SiteRow, table_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///ingest.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///./ingest.db", "sqlite+aiosqlite"),
        ("postgresql://u@127.0.0.1/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@127.0.0.1/db", "postgresql+psycopg"),
        ("postgres://u@127.0.0.1/db", "postgresql+psycopg"),
    ],
)
def test_async_url_maps_user_urls_to_async_drivers(url, driver):
    """The URLs people write are served by the async drivers (aiosqlite, psycopg)."""
    mapped = async_url(url)
    assert mapped.drivername == driver
    assert mapped.database == make_url(url).database


@pytest.mark.parametrize(
    "url", ["mysql://u@127.0.0.1/db", "sqlite://", "sqlite:///:memory:", "not a url"]
)
def test_unsupported_urls_raise_store_error(url):
    """Unsupported schemes, :memory: SQLite and garbage are refused with a StoreError."""
    with pytest.raises(StoreError) as caught:
        Database.from_url(url)
    assert caught.value.table == "database"


async def test_url_masks_the_password():
    """`Database.url` and repr never show the password."""
    database = Database.from_url("postgresql://ingest:s3cret@127.0.0.1:5432/db")
    try:
        assert "s3cret" not in database.url
        assert "s3cret" not in repr(database)
        assert database.url.startswith("postgresql://ingest:***@127.0.0.1:5432/db")
    finally:
        await database.dispose()


async def test_upgrade_builds_a_new_database_and_is_idempotent(database_url):
    """upgrade() creates every table on an empty database, and a second upgrade changes nothing."""
    database = Database.from_url(database_url)
    try:
        assert await database.current_revision() is None
        await database.upgrade()
        assert await database.current_revision() == "0008"
        async with database.session() as session, session.begin():
            await repository.upsert_site(session, "blog", "https://blog.example/")
        await database.upgrade()
        assert await database.current_revision() == "0008"
        async with database.session() as session:
            counts = await queries.table_counts(session)
        assert set(counts) == set(Base.metadata.tables)
        assert counts["sites"] == 1
    finally:
        await database.dispose()


async def test_is_created_only_after_an_upgrade_and_creates_no_sqlite_file(database_url):
    """is_created() is False before the first upgrade (a missing SQLite file stays missing)."""
    database = Database.from_url(database_url)
    file = make_url(database_url).database if database_url.startswith("sqlite") else None
    try:
        assert not await database.is_created()
        if file is not None:
            assert not await asyncio.to_thread(Path(file).exists)
        await database.upgrade()
        assert await database.is_created()
    finally:
        await database.dispose()


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path):
    """Every SQLite connection runs in WAL mode with foreign keys on and a busy timeout."""
    database = Database.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with database.engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
        assert (mode, keys, busy) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS)
    finally:
        await database.dispose()


async def test_transaction_commits_on_success_and_rolls_back_on_error(database):
    """Database.transaction() commits a clean block and rolls back one that raises."""
    async with database.transaction() as session:
        await repository.upsert_site(session, "kept", "https://kept.example/")

    async def write_then_fail() -> None:
        async with database.transaction() as session:
            await repository.upsert_site(session, "lost", "https://lost.example/")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await write_then_fail()
    async with database.session() as session:
        assert (await queries.table_counts(session))["sites"] == 1


async def test_upgrade_failure_is_a_store_error(tmp_path: Path):
    """A file that is not a database makes upgrade() raise StoreError, not SQLAlchemy's error."""
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not a SQLite database " * 100)
    database = Database.from_url(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreError) as caught:
            await database.upgrade()
        assert caught.value.table == "alembic_version"
    finally:
        await database.dispose()


def test_sqlite_file_in_a_missing_folder_is_refused(tmp_path: Path):
    """SQLite does not create folders: a path in a missing one fails early, naming the folder."""
    with pytest.raises(StoreError, match="does not exist"):
        Database.from_url(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")


async def test_insert_many_stores_what_a_plain_insert_stores(database):
    """Rows from insert_many read back exactly as rows from SQLAlchemy's insert (types included)."""
    at = datetime(2026, 1, 8, 12, 30, 15, 250000, tzinfo=UTC)
    async with database.transaction() as session:
        site_id = await repository.upsert_site(session, "s", "https://s.example/")
        file_id = await store_adstxt_snapshot(
            session, site_id, "https://s.example/ads.txt", AdsTxt(), final_url="https://s.example/ads.txt",
            status_code=200, etag=None, last_modified=None, content_hash="0", fetched_at=at,
        )  # fmt: skip
        row = {"file_id": file_id, "domain": "a.com", "account_id": "1", "relationship": "DIRECT"}
        plain = {**row, "line": 1, "certification_id": None, "extension": "x", "added_at": at}
        await session.execute(insert(table_of(AdsTxtRecordRow)), [plain])
        many = [{**row, "line": 2, "certification_id": "c", "extension": None}]
        await insert_many(session, table_of(AdsTxtRecordRow), many, added_at=at)
        await insert_many(session, table_of(AdsTxtRecordRow), [], added_at=at)
    async with database.transaction() as session:
        columns = (AdsTxtRecordRow.line, AdsTxtRecordRow.added_at, AdsTxtRecordRow.certification_id)
        found = (await session.execute(select(*columns).order_by(AdsTxtRecordRow.line))).all()
        same_time = select(AdsTxtRecordRow.line).where(AdsTxtRecordRow.added_at == at)
        matched = (await session.execute(same_time.order_by(AdsTxtRecordRow.line))).scalars()
        assert [tuple(r) for r in found] == [(1, at, None), (2, at, "c")]
        assert list(matched) == [1, 2]


_AT = datetime(2026, 1, 8, tzinfo=UTC)


async def _fill_sites(database: Database, count: int) -> None:
    rows = [
        {"name": f"site{n}", "url": f"https://s{n}.example/", "created_at": _AT}
        for n in range(count)
    ]
    async with database.transaction() as session:
        await session.execute(insert(table_of(SiteRow)), rows)


async def _until_analysed(check: Callable[[], Awaitable[list[str]]], table: str) -> list[str]:
    """Call ``check`` until it analyses ``table``: the server publishes its change counters late."""
    analysed: list[str] = []
    for _ in range(150):
        analysed += await check()
        if table in analysed:
            break
        await asyncio.sleep(0.1)
    return analysed


async def _analyses(database: Database, table: str) -> int:
    """How often ``table`` was analysed, by anyone."""
    query = text(
        "SELECT analyze_count FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema() AND relname = :table"
    )
    async with database.session() as session:
        return int((await session.execute(query, {"table": table})).scalar_one())


@pytest.mark.postgres
async def test_postgresql_tables_that_outgrow_their_statistics_are_analysed(postgres_schema_url):
    """Canonical sections filled past their statistics are analysed after a commit.

    Never analysed, PostgreSQL plans a lookup of a batch's fingerprints as a read of the whole
    site's sections; analysed, both columns go to the index. Autovacuum is off for the table,
    so only ingest can have analysed it.
    """
    database = Database.from_url(postgres_schema_url)
    await database.upgrade()
    database.statistics = Statistics(database.engine, every=0.0)
    rows = [
        {"site_id": 1, "fingerprint": f"{n:032x}", "heading": "", "text": "t" * 200}
        for n in range(20_000)
    ]
    lookup = text(
        "EXPLAIN SELECT id FROM canonical_sections WHERE site_id = 1 AND fingerprint = ANY(:f)"
    )
    wanted = {"f": [f"{n:032x}" for n in range(0, 20_000, 400)]}
    try:
        async with database.transaction() as session:
            await session.execute(
                text("ALTER TABLE canonical_sections SET (autovacuum_enabled = false)")
            )
            await repository.upsert_site(session, "s", "https://s.example/")
            await session.execute(insert(table_of(CanonicalSectionRow)), rows)
        # The commit's own check analyses the table when the server has published the
        # insert's change counters by then; otherwise a later check does.
        for _ in range(150):
            if await _analyses(database, "canonical_sections"):
                break
            await database.statistics.after_commit()
            await asyncio.sleep(0.1)
        assert await _analyses(database, "canonical_sections") == 1
        async with database.transaction() as session:
            plan = "\n".join((await session.execute(lookup, wanted)).scalars())
        index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
        assert any("fingerprint" in line for line in index_conditions), plan
        assert await database.statistics.refresh() == []  # nothing is analysed twice
    finally:
        await database.dispose()


async def test_statistics_are_left_alone_on_sqlite_and_between_checks(database, caplog):
    """SQLite plans without ANALYZE statistics; on PostgreSQL a check waits out its interval.

    On SQLite nothing is asked at all: PostgreSQL's catalog query would fail there and be
    logged as a failed refresh.
    """
    checks = Statistics(database.engine, every=3600.0)
    if database.dialect == "sqlite":
        with caplog.at_level("INFO", logger="ingest.store.analyze"):
            assert await checks.after_commit() == []
        assert caplog.records == []
        return
    await checks.after_commit()
    await _fill_sites(database, 3000)
    assert await checks.after_commit() == []  # not due for an hour
    assert "sites" in await _until_analysed(checks.refresh, "sites")
