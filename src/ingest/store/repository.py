"""Idempotent writes and plain-value reads; every function takes the caller's session.

No function here opens, commits or rolls back a session: the pipeline owns one short
transaction per article (ads.txt snapshots live in :mod:`ingest.store.adstxt`). Writes are
dialect upserts on each table's natural key (:mod:`ingest.store.upsert`), so re-runs and
overlapping runs converge. Child rows (an article's sections) are replaced whole with bulk
inserts. Reads return ``ingest.items`` values, never ORM objects. SQLAlchemy errors leave as
:class:`ingest.errors.StoreError` naming the table and natural key.
"""

from __future__ import annotations

__all__ = [
    "PageRecord",
    "PageState",
    "abort_stale_runs",
    "delete_article",
    "finish_run",
    "get_page_state",
    "load_page_states",
    "replace_article",
    "start_run",
    "upsert_page",
    "upsert_site",
]

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from ingest.errors import StoreError
from ingest.store.db import translate_errors
from ingest.store.history import keep_previous_version
from ingest.store.models import (
    ArticleRow,
    ListItemRow,
    ListRow,
    PageRow,
    ParagraphRow,
    RunRow,
    SectionOccurrenceRow,
    SiteRow,
    table_of,
)
from ingest.store.sections import delete_unused, store_canonicals
from ingest.store.upsert import upsert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article, Section, SectionMatch


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


"""Ids per ``IN (…)`` list: well under every database's limit on bound parameters."""

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

_ARTICLE_UPDATE = (
    "site_id",
    "url",
    "title",
    "description",
    "language",
    "authors",
    "published",
    "modified",
    "canonical_url",
    "site_name",
    "updated_at",
)
"""Article columns a new version overwrites (all but the key, ``page_id``)."""


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
    values = {
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
    statement = upsert(
        session,
        PageRow,
        keys=["url"],
        update=_PAGE_ALWAYS,
        keep_when_null=["etag", "last_modified", "content_hash", "content_type", "charset"],
        returning="id",
    )
    with translate_errors("pages", page.url):
        return int((await session.execute(statement, values)).scalar_one())


async def replace_article(
    session: AsyncSession,
    site_id: int,
    page_id: int,
    article: Article,
    matches: Sequence[SectionMatch],
    *,
    keys: Mapping[str, Sequence[int]] | None = None,
) -> int:
    """Store ``article`` as the article of page ``page_id``, replacing what was there.

    ``matches[i]`` is the dedupe decision for ``article.sections[i]``: a stored canonical
    section (it has an id) or a new one, upserted on ``(site_id, fingerprint)`` (the first
    heading and text win) and indexed with ``keys[fingerprint]`` (``ingest.store.sections``).
    Canonical sections that nothing points to any more are deleted, with their index keys.
    When the page had an article whose content differs, it is kept first in
    ``article_versions`` (``ingest.store.history``).
    Returns the article id.
    """
    if len(matches) != len(article.sections):
        msg = f"{len(article.sections)} sections but {len(matches)} matches for {article.url}"
        raise ValueError(msg)
    await keep_previous_version(session, page_id, article)  # history before the rows change
    values = {
        "page_id": page_id,
        "site_id": site_id,
        "url": article.url,
        "title": article.title,
        "description": article.description,
        "language": article.language,
        "authors": list(article.authors) or None,
        "published": article.published,
        "modified": article.modified,
        "canonical_url": article.canonical_url,
        "site_name": article.site_name,
        "updated_at": datetime.now(UTC),
    }
    statement = upsert(
        session, ArticleRow, keys=["page_id"], update=_ARTICLE_UPDATE, returning="id"
    )
    with translate_errors("articles", article.url):
        article_id = int((await session.execute(statement, values)).scalar_one())
        removed = delete(SectionOccurrenceRow).where(SectionOccurrenceRow.article_id == article_id)
        previous = await session.scalars(removed.returning(SectionOccurrenceRow.canonical_id))
        left = set(previous)
    canonical_ids = await store_canonicals(
        session, site_id, [m.canonical for m in matches], keys or {}
    )
    with translate_errors("section_occurrences", article.url):
        await _insert_sections(session, article_id, article.sections, matches, canonical_ids)
        await delete_unused(session, ids=left - set(canonical_ids.values()))
    return article_id


async def _insert_sections(
    session: AsyncSession,
    article_id: int,
    sections: Sequence[Section],
    matches: Sequence[SectionMatch],
    canonical_ids: Mapping[str, int],
) -> None:
    """Bulk-insert occurrences, then their paragraphs and lists (one position sequence)."""
    if not sections:
        return
    occurrence_rows = [
        {
            "article_id": article_id,
            "position": position,
            "heading": section.heading,
            "level": section.level,
            "canonical_id": canonical_ids[match.canonical.fingerprint],
            "similarity": match.similarity,
            "rule": match.rule,
        }
        for position, (section, match) in enumerate(zip(sections, matches, strict=True))
    ]
    # Core inserts on the tables (not the ORM classes): executemany without ORM bookkeeping,
    # an order of magnitude faster for bulk rows. The ids are read back by position in one
    # query: RETURNING with the parameters' order runs one statement per row on SQLite.
    occurrences = table_of(SectionOccurrenceRow)
    await session.execute(insert(occurrences), occurrence_rows)
    placed = select(occurrences.c.position, occurrences.c.id).where(
        occurrences.c.article_id == article_id
    )
    by_position: dict[int, int] = dict((await session.execute(placed)).all())
    occurrence_ids = [by_position[position] for position in range(len(occurrence_rows))]
    paragraph_rows: list[dict[str, Any]] = []
    list_rows: list[dict[str, Any]] = []
    list_items: list[tuple[str, ...]] = []
    for occurrence_id, section in zip(occurrence_ids, sections, strict=True):
        paragraph_rows.extend(
            {"occurrence_id": occurrence_id, "position": position, "text": text}
            for position, text in enumerate(section.paragraphs)
        )
        for offset, block in enumerate(section.lists):
            position = len(section.paragraphs) + offset
            list_rows.append(
                {"occurrence_id": occurrence_id, "position": position, "ordered": block.ordered}
            )
            list_items.append(block.items)
    if paragraph_rows:
        await session.execute(insert(table_of(ParagraphRow)), paragraph_rows)
    if not list_rows:
        return
    lists = table_of(ListRow)
    returning = insert(lists).returning(lists.c.id, sort_by_parameter_order=True)
    list_ids = list(await session.scalars(returning, list_rows))
    item_rows = [
        {"list_id": list_id, "position": position, "text": text}
        for list_id, items in zip(list_ids, list_items, strict=True)
        for position, text in enumerate(items)
    ]
    if item_rows:
        await session.execute(insert(table_of(ListItemRow)), item_rows)


async def delete_article(session: AsyncSession, site_id: int, page_id: int) -> bool:
    """Delete the article of page ``page_id`` (its page stopped being one); True if there was one.

    Canonical sections of the site left without occurrences are deleted too.
    """
    statement = delete(ArticleRow).where(ArticleRow.page_id == page_id).returning(ArticleRow.id)
    pointed = (
        select(SectionOccurrenceRow.canonical_id)
        .join(ArticleRow, ArticleRow.id == SectionOccurrenceRow.article_id)
        .where(ArticleRow.page_id == page_id, ArticleRow.site_id == site_id)
    )
    with translate_errors("articles", f"page {page_id}"):
        left = set(await session.scalars(pointed))
        deleted = (await session.execute(statement)).scalar_one_or_none()
        await delete_unused(session, ids=left)
    return deleted is not None
