"""Upserts on natural keys for both dialects: ``INSERT … ON CONFLICT``, built once per shape.

Every write of ``ingest.store`` that may meet an existing row goes through :func:`upsert`, so
re-runs and overlapping runs converge on the same rows::

    statement = upsert(session, SiteRow, keys=["name"], update=["url"], returning="id")
    site_id = (await session.execute(statement, {"name": "blog", "url": url})).scalar_one()
"""

from __future__ import annotations

__all__ = ["insert_rows", "upsert", "upsert_by"]

import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite

from ingest.errors import StoreError
from ingest.store.models import table_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.store.models import Base


def upsert(
    session: AsyncSession,
    model: type[Base],
    *,
    keys: Sequence[str],
    update: Sequence[str] = (),
    keep_when_null: Sequence[str] = (),
    returning: str | None = None,
) -> Any:  # noqa: ANN401  (an Insert of either dialect; both have the same upsert API)
    """An INSERT … ON CONFLICT (keys) for the session's dialect; the rows go to ``execute``.

    Columns in ``update`` take the new value; columns in ``keep_when_null`` take it only when it
    is not NULL. With neither, a conflict does nothing (the first row wins). ``returning`` names
    a column to return. Built once per shape and dialect: SQLAlchemy rebuilds the ``excluded``
    alias of every column each time a statement is constructed.
    """
    name = session.get_bind().dialect.name
    return _statement(
        name,
        model,
        keys=tuple(keys),
        update=tuple(update),
        keep_when_null=tuple(keep_when_null),
        returning=returning,
    )


@functools.cache
def _statement(
    name: str,
    model: type[Base],
    *,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    keep_when_null: tuple[str, ...],
    returning: str | None,
) -> Any:  # noqa: ANN401  (see upsert)
    table = table_of(model)
    statement: postgresql.Insert | sqlite.Insert
    if name == "postgresql":
        statement = postgresql.insert(table)
    elif name == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise StoreError(model.__tablename__, ",".join(keys), f"unsupported dialect {name}")
    if not update and not keep_when_null:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    else:
        changes: dict[str, Any] = {column: statement.excluded[column] for column in update}
        for column in keep_when_null:
            changes[column] = func.coalesce(statement.excluded[column], table.c[column])
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    return statement if returning is None else statement.returning(table.c[returning])


async def upsert_by(
    session: AsyncSession, model: type[Base], values: Mapping[str, Any], *, keys: Sequence[str]
) -> None:
    """Insert ``values`` as a row of ``model``, or update the row with the same ``keys``.

    On update only the columns in ``values`` change (to the new values); the others keep theirs.
    """
    statement = upsert(session, model, keys=keys, update=[k for k in values if k not in keys])
    await session.execute(statement, dict(values))


async def insert_rows(
    session: AsyncSession,
    model: type[Base],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_existing: bool = False,
) -> None:
    """Insert many plain rows in bulk, past SQLAlchemy's per-row parameter processing.

    For the bulk rows of the dedupe index (keys, canonical sections, occurrences), where that
    processing costs several times what the database takes to store a row: SQLite gets the
    driver's ``executemany``; PostgreSQL one ``INSERT … SELECT FROM unnest(arrays)``, a column
    an array, so the rows cost one statement instead of a round trip each. The values must
    already be what the driver takes (ints, strings, floats). ``ignore_existing``: rows whose
    key is taken are skipped (the first one wins), as with :func:`upsert`.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        sql = _unnest_sql(model, tuple(columns), ignore_existing)
        await connection.exec_driver_sql(
            sql, tuple(list(column) for column in zip(*rows, strict=True))
        )
        return
    sql = _insert_sql(dialect.paramstyle, model, tuple(columns), ignore_existing)
    await connection.exec_driver_sql(sql, list(rows))


@functools.cache
def _unnest_sql(model: type[Base], columns: tuple[str, ...], ignore: bool) -> str:
    table = table_of(model)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # an untyped class
    names = ", ".join(table.c[column].name for column in columns)  # KeyError: not a column
    arrays = ", ".join(
        f"CAST(%s AS {table.c[column].type.compile(dialect=dialect)}[])" for column in columns
    )
    conflict = " ON CONFLICT DO NOTHING" if ignore else ""
    return f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}){conflict}"  # noqa: S608  (names and types from the schema, values bound)


@functools.cache
def _insert_sql(paramstyle: str, model: type[Base], columns: tuple[str, ...], ignore: bool) -> str:
    table = table_of(model)
    names = ", ".join(table.c[column].name for column in columns)  # KeyError: not a column
    placeholder = "?" if paramstyle == "qmark" else "%s"
    values = ", ".join([placeholder] * len(columns))
    conflict = " ON CONFLICT DO NOTHING" if ignore else ""
    return f"INSERT INTO {table.name} ({names}) VALUES ({values}){conflict}"  # noqa: S608  (names from the schema, values bound)
