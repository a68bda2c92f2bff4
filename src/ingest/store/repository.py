"""Idempotent writes and plain-value reads; every function takes the caller's session.

Sites, runs and pages here; an article's content in :mod:`ingest.store.articles`, ads.txt
snapshots in :mod:`ingest.store.adstxt`. No function opens, commits or rolls back a session:
the pipeline owns short transactions, one per batch of articles. Writes are dialect upserts on
each table's natural key (:mod:`ingest.store.upsert`), so re-runs and overlapping runs
converge. Reads return ``ingest.items`` values, never ORM objects. SQLAlchemy errors leave as
:class:`ingest.errors.StoreError` naming the table and natural key.
"""

from __future__ import annotations

__all__ = [
    "PageRecord",
    "PageState",
    "abort_stale_runs",
    "finish_run",
    "get_page_state",
    "load_page_states",
    "start_run",
    "upsert_page",
    "upsert_pages",
    "upsert_site",
]

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from ingest.errors import StoreError
from ingest.store.db import ids_by, translate_errors
from ingest.store.models import (
    PageRow,
    RunRow,
    SiteRow,
    table_of,
)
from ingest.store.upsert import upsert

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class PageState:
    """What the last fetch of a URL left for the next conditional request."""

    etag: str | None
    last_modified: str | None
    content_hash: str | None


@dataclass(frozen=True, slots=True)
class PageRecord:
    """The outcome of one fetch of a page, as the pipeline records it."""

    url: str
    outcome: str
    """One of ``ingest.store.models.PAGE_OUTCOMES``."""
    fetched_at: datetime
    status_code: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    content_type: str | None = None
    charset: str | None = None
    """The encoding the body was read with."""
    error_kind: str | None = None
    error_message: str | None = None


_PAGES = table_of(PageRow).c

_PAGE_ALWAYS = (
    "site_id",
    "run_id",
    "outcome",
    "fetched_at",
    "status_code",
    "error_kind",
    "error_message",
)
"""Page columns every fetch overwrites (the validators are kept when the new value is NULL)."""


async def upsert_site(session: AsyncSession, name: str, url: str) -> int:
    """Insert or update the site named ``name``; return its id."""
    values = {"name": name, "url": url, "created_at": datetime.now(UTC)}
    statement = upsert(session, SiteRow, keys=["name"], update=["url"], returning="id")
    with translate_errors("sites", name):
        return int((await session.execute(statement, values)).scalar_one())


async def start_run(session: AsyncSession, *, started_at: datetime) -> int:
    """Record a new run as ``running``; return its id."""
    statement = insert(RunRow).values(started_at=started_at, status="running")
    with translate_errors("runs", "new"):
        return int((await session.execute(statement.returning(RunRow.id))).scalar_one())


async def abort_stale_runs(session: AsyncSession, *, finished_at: datetime) -> list[int]:
    """Mark runs still ``running`` as ``aborted`` (call only while holding the run lock)."""
    statement = (
        update(RunRow)
        .where(RunRow.status == "running")
        .values(status="aborted", finished_at=finished_at)
        .returning(RunRow.id)
    )
    with translate_errors("runs", "status=running"):
        return sorted(int(i) for i in (await session.execute(statement)).scalars())


async def finish_run(
    session: AsyncSession,
    run_id: int,
    *,
    status: str,
    finished_at: datetime,
    summary: dict[str, Any],
) -> None:
    """Record how run ``run_id`` ended (``ok``, ``failed`` or ``aborted``) and its summary."""
    statement = (
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(status=status, finished_at=finished_at, summary=summary)
        .returning(RunRow.id)
    )
    with translate_errors("runs", run_id):
        found = (await session.execute(statement)).scalar_one_or_none()
    if found is None:
        raise StoreError("runs", str(run_id), "no such run")


async def get_page_state(session: AsyncSession, url: str) -> PageState | None:
    """The validators and content hash of the last fetch of ``url``, or None if never seen."""
    statement = select(PageRow.etag, PageRow.last_modified, PageRow.content_hash).where(
        PageRow.url == url
    )
    with translate_errors("pages", url):
        row = (await session.execute(statement)).one_or_none()
    return None if row is None else PageState(*row)


async def load_page_states(session: AsyncSession, site_id: int) -> dict[str, PageState]:
    """The validators and content hash of every page of a site, by URL: one query per site."""
    statement = select(
        PageRow.url, PageRow.etag, PageRow.last_modified, PageRow.content_hash
    ).where(PageRow.site_id == site_id)
    with translate_errors("pages", f"site_id={site_id}"):
        rows = (await session.execute(statement)).all()
    return {url: PageState(etag, modified, digest) for url, etag, modified, digest in rows}


async def upsert_page(
    session: AsyncSession, site_id: int, run_id: int | None, page: PageRecord
) -> int:
    """Record the latest fetch of ``page.url``; return the page id.

    Status, outcome, error and times always take the new values; ``etag``, ``last_modified``,
    ``content_hash``, ``content_type`` and ``charset`` only when the new record has them, so a
    failed fetch keeps the validators of the last good one.
    """
    statement = _page_upsert(session, returning="id")
    with translate_errors("pages", page.url):
        return int(
            (await session.execute(statement, _page_values(site_id, run_id, page))).scalar_one()
        )


async def upsert_pages(
    session: AsyncSession, site_id: int, run_id: int | None, pages: Sequence[PageRecord]
) -> list[int]:
    """:func:`upsert_page` for many pages in two statements; their ids, in order."""
    if not pages:
        return []
    values = [_page_values(site_id, run_id, page) for page in pages]
    urls = sorted({page.url for page in pages})
    with translate_errors("pages", pages[0].url if len(pages) == 1 else f"{len(pages)} pages"):
        await session.execute(_page_upsert(session), values)
        ids = await ids_by(session, _PAGES.id, _PAGES.url, urls)
    return [ids[page.url] for page in pages]


def _page_upsert(session: AsyncSession, returning: str | None = None) -> Any:  # noqa: ANN401  (an Insert of either dialect)
    return upsert(
        session,
        PageRow,
        keys=["url"],
        update=_PAGE_ALWAYS,
        keep_when_null=["etag", "last_modified", "content_hash", "content_type", "charset"],
        returning=returning,
    )


def _page_values(site_id: int, run_id: int | None, page: PageRecord) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "run_id": run_id,
        "url": page.url,
        "outcome": page.outcome,
        "fetched_at": page.fetched_at,
        "status_code": page.status_code,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "content_hash": page.content_hash,
        "content_type": page.content_type,
        "charset": page.charset,
        "error_kind": page.error_kind,
        "error_message": page.error_message,
    }
