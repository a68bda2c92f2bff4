"""ads.txt storage: one snapshot per change, sellers kept as intervals, and the reads over them.

A file (``adstxt_files``, natural key ``(site_id, url)``) is written only through these
functions, each taking the caller's session (the pipeline owns the one transaction):

* :func:`store_adstxt_snapshot`: a complete, valid fetch with new content. Records are diffed
  against the current ones by :attr:`~ingest.items.AdsTxtRecord.key`: new sellers are inserted
  with ``added_at``, vanished ones get ``removed_at``, kept ones keep their row (their ``line`` is
  updated when it moved). Variables and issues are replaced whole. Duplicates are stored once.
* :func:`store_adstxt_absent`: a 404/410, "no ads.txt": a snapshot with status ``absent`` that
  removes every current seller.
* :func:`mark_adstxt_failed`: 401/403 (``denied``) or anything else (``error``): nothing of the
  content changes; the current snapshot stays and is marked stale.
* :func:`touch_adstxt`: the same content again (new validators, or a 304 after a failure).

So "which sellers were added or removed since X" is ``added_at >= X OR removed_at >= X``
(:func:`ingest.store.adstxt_queries.list_adstxt_changes`, and the SQL in ``docs/schema.md``).
"""

from __future__ import annotations

__all__ = [
    "AdsTxtFileState",
    "get_adstxt_state",
    "get_adstxt_variables",
    "mark_adstxt_failed",
    "store_adstxt_absent",
    "store_adstxt_snapshot",
    "touch_adstxt",
]

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from ingest.items import (
    AdsTxt,
    AdsTxtIssue,
    AdsTxtRecord,
    AdsTxtVariable,
)
from ingest.store.adstxt_models import (
    AdsTxtFileRow,
    AdsTxtIssueRow,
    AdsTxtRecordRow,
    AdsTxtSnapshotRow,
    AdsTxtVariableRow,
)
from ingest.store.db import IN_CHUNK, insert_many, translate_errors
from ingest.store.models import table_of

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class AdsTxtFileState:
    """What the last check of a file left for the next conditional request."""

    etag: str | None
    last_modified: str | None
    content_hash: str | None
    status: str
    is_stale: bool


async def get_adstxt_state(session: AsyncSession, site_id: int, url: str) -> AdsTxtFileState | None:
    """The validators, content hash and status of a tracked file, or None when never seen."""
    statement = select(
        AdsTxtFileRow.etag,
        AdsTxtFileRow.last_modified,
        AdsTxtFileRow.content_hash,
        AdsTxtFileRow.status,
        AdsTxtFileRow.is_stale,
    ).where(AdsTxtFileRow.site_id == site_id, AdsTxtFileRow.url == url)
    with translate_errors("adstxt_files", url):
        row = (await session.execute(statement)).one_or_none()
    return None if row is None else AdsTxtFileState(*row)


async def get_adstxt_variables(
    session: AsyncSession, site_id: int, url: str
) -> tuple[AdsTxtVariable, ...]:
    """The current variables of a tracked file, in line order (none when never stored)."""
    statement = (
        select(AdsTxtVariableRow.line, AdsTxtVariableRow.name, AdsTxtVariableRow.value)
        .join(AdsTxtFileRow, AdsTxtFileRow.id == AdsTxtVariableRow.file_id)
        .where(AdsTxtFileRow.site_id == site_id, AdsTxtFileRow.url == url)
        .order_by(AdsTxtVariableRow.line)
    )
    with translate_errors("adstxt_variables", url):
        return tuple(AdsTxtVariable(*row) for row in await session.execute(statement))


async def _file_id(session: AsyncSession, site_id: int, url: str) -> int | None:
    statement = select(AdsTxtFileRow.id).where(
        AdsTxtFileRow.site_id == site_id, AdsTxtFileRow.url == url
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _save_file(session: AsyncSession, site_id: int, url: str, values: dict[str, Any]) -> int:
    """Insert or update the file row (its natural key is unique, so no duplicate can appear)."""
    file_id = await _file_id(session, site_id, url)
    if file_id is None:
        statement = insert(AdsTxtFileRow).values(site_id=site_id, url=url, **values)
        return int((await session.execute(statement.returning(AdsTxtFileRow.id))).scalar_one())
    await session.execute(update(AdsTxtFileRow).where(AdsTxtFileRow.id == file_id).values(values))
    return file_id


async def store_adstxt_snapshot(
    session: AsyncSession,
    site_id: int,
    url: str,
    adstxt: AdsTxt,
    *,
    final_url: str,
    status_code: int,
    etag: str | None,
    last_modified: str | None,
    content_hash: str,
    fetched_at: datetime,
    is_placeholder: bool = False,
) -> int:
    """Store a new version of a file: snapshot row, seller diff, variables, issues; its id.

    Repeated records are stored once (the first line); ``duplicate_count`` says how many were
    dropped. ``is_placeholder`` is the parser's verdict on the file (no seller authorised).
    """
    records, duplicates = adstxt.unique_records()
    placeholder = is_placeholder
    counts = {
        "record_count": len(records),
        "variable_count": len(adstxt.variables),
        "issue_count": len(adstxt.issues),
        "duplicate_count": duplicates,
        "is_placeholder": placeholder,
    }
    values = {
        "final_url": final_url,
        "status_code": status_code,
        "etag": etag,
        "last_modified": last_modified,
        "content_hash": content_hash,
        "fetched_at": fetched_at,
        "checked_at": fetched_at,
        "status": "ok",
        "is_stale": False,
        "error_kind": None,
        **counts,
    }
    with translate_errors("adstxt_files", url):
        file_id = await _save_file(session, site_id, url, values)
        snapshot = {"file_id": file_id, "fetched_at": fetched_at, "status": "ok"}
        snapshot |= {"status_code": status_code, "content_hash": content_hash, **counts}
        await session.execute(insert(AdsTxtSnapshotRow), [snapshot])
        await _diff_records(session, file_id, records, fetched_at)
        for model, lines in (
            (AdsTxtVariableRow, adstxt.variables),
            (AdsTxtIssueRow, adstxt.issues),
        ):
            await session.execute(delete(model).where(model.file_id == file_id))
            await insert_many(session, table_of(model), [_row(file_id, line) for line in lines])
    return file_id


async def _diff_records(
    session: AsyncSession, file_id: int, records: tuple[AdsTxtRecord, ...], at: datetime
) -> None:
    """Insert new sellers, close vanished ones, move kept ones to their new line."""
    current = select(
        AdsTxtRecordRow.id,
        AdsTxtRecordRow.line,
        AdsTxtRecordRow.domain,
        AdsTxtRecordRow.account_id,
        AdsTxtRecordRow.relationship,
        AdsTxtRecordRow.certification_id,
        AdsTxtRecordRow.extension,
    ).where(AdsTxtRecordRow.file_id == file_id, AdsTxtRecordRow.removed_at.is_(None))
    known: dict[tuple[Any, ...], tuple[int, int]] = {
        tuple(row[2:]): (row[0], row[1]) for row in await session.execute(current)
    }
    added: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for record in records:
        found = known.pop(record.key, None)
        if found is None:
            added.append(_row(file_id, record))
        elif found[1] != record.line:
            moved.append({"id": found[0], "line": record.line})
    gone = [row_id for row_id, _ in known.values()]
    for start in range(0, len(gone), IN_CHUNK):
        chunk = gone[start : start + IN_CHUNK]
        closing = update(AdsTxtRecordRow).where(AdsTxtRecordRow.id.in_(chunk))
        await session.execute(closing.values(removed_at=at))
    if moved:
        await session.execute(update(AdsTxtRecordRow), moved)
    await insert_many(session, table_of(AdsTxtRecordRow), added, added_at=at)


async def store_adstxt_absent(
    session: AsyncSession, site_id: int, url: str, *, status_code: int, checked_at: datetime
) -> int:
    """Record that the file is gone (404/410): an ``absent`` snapshot closing every seller.

    Repeated 404s only move ``checked_at``; the snapshot is written on the change.
    """
    with translate_errors("adstxt_files", url):
        state = await get_adstxt_state(session, site_id, url)
        if state is not None and state.status == "absent":
            return await _save_file(session, site_id, url, {"checked_at": checked_at})
        counts = {
            "record_count": 0,
            "variable_count": 0,
            "issue_count": 0,
            "duplicate_count": 0,
            "is_placeholder": False,
        }
        values = {
            "final_url": None,
            "status_code": status_code,
            "etag": None,
            "last_modified": None,
            "content_hash": None,
            "fetched_at": checked_at,
            "checked_at": checked_at,
            "status": "absent",
            "is_stale": False,
            "error_kind": None,
            **counts,
        }
        file_id = await _save_file(session, site_id, url, values)
        snapshot = {"file_id": file_id, "fetched_at": checked_at, "status": "absent"}
        snapshot |= {"status_code": status_code, "content_hash": None, **counts}
        await session.execute(insert(AdsTxtSnapshotRow), [snapshot])
        await _diff_records(session, file_id, (), checked_at)
        for model in (AdsTxtVariableRow, AdsTxtIssueRow):
            await session.execute(delete(model).where(model.file_id == file_id))
    return file_id


async def mark_adstxt_failed(
    session: AsyncSession,
    site_id: int,
    url: str,
    *,
    status: str,
    status_code: int | None,
    error_kind: str,
    checked_at: datetime,
) -> int:
    """Record a failed check (``denied`` or ``error``); the current snapshot stays, now stale."""
    with translate_errors("adstxt_files", url):
        file_id = await _file_id(session, site_id, url)
        values: dict[str, Any] = {
            "status": status,
            "error_kind": error_kind,
            "checked_at": checked_at,
            "is_stale": True,
        }
        if file_id is None:  # never had a file: nothing is stale, but the failure is recorded
            values |= {
                "is_stale": False,
                "status_code": status_code or 0,
                "fetched_at": checked_at,
                "record_count": 0,
                "variable_count": 0,
                "issue_count": 0,
            }
        return await _save_file(session, site_id, url, values)


async def touch_adstxt(
    session: AsyncSession,
    site_id: int,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    checked_at: datetime,
) -> None:
    """The stored content was confirmed: new validators, fresh again, no snapshot."""
    values = {
        "etag": etag,
        "last_modified": last_modified,
        "checked_at": checked_at,
        "status": "ok",
        "is_stale": False,
        "error_kind": None,
    }
    with translate_errors("adstxt_files", url):
        await _save_file(session, site_id, url, values)


def _row(file_id: int, line: AdsTxtRecord | AdsTxtVariable | AdsTxtIssue) -> dict[str, Any]:
    """One ads.txt line as a row of its table."""
    row: dict[str, Any] = {name: getattr(line, name) for name in line.__slots__}
    row["file_id"] = file_id
    return row
