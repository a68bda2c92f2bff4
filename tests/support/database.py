"""Real databases for storage tests: a SQLite file and a clean PostgreSQL schema per test.

``database_url`` is parametrized over both backends. The PostgreSQL server is
``INGEST_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each
test gets a fresh schema, selected through ``options=-csearch_path=...`` in the URL and dropped
afterwards. When the server is unreachable the test skips with the URL in the reason, unless
``INGEST_REQUIRE_POSTGRES=1`` (``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from ingest.store.db import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    """The PostgreSQL server the tests use."""
    return os.environ.get("INGEST_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain autocommit psycopg connection to the server behind a SQLAlchemy URL."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        autocommit=True,
        connect_timeout=3,
    )


def _unreachable(url: str, exc: Exception) -> NoReturn:
    """Skip (or fail, when PostgreSQL is required) because the server cannot be reached."""
    masked = make_url(url).render_as_string(hide_password=True)
    reason = f"PostgreSQL not reachable at {masked}: {exc}"
    if os.environ.get("INGEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (INGEST_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema, dropped after the test."""
    server = postgres_server_url()
    try:
        admin = _connect(server)
    except psycopg.OperationalError as exc:
        _unreachable(server, exc)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ingest.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A Database on ``database_url``, upgraded through the migrations, disposed afterwards."""
    database = Database.from_url(database_url)
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()
