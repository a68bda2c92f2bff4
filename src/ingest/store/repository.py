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
    "ArticleWrite",
    "PageRecord",
    "PageState",
    "abort_stale_runs",
    "delete_article",
    "finish_run",
    "get_page_state",
    "load_page_states",
    "replace_article",
    "replace_articles",
    "start_run",
    "upsert_page",
    "upsert_pages",
    "upsert_site",
]

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from ingest.errors import StoreError
from ingest.store.db import IN_CHUNK, translate_errors
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
from ingest.store.upsert import insert_rows, upsert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article, SectionMatch


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
_ARTICLES = table_of(ArticleRow).c

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
        ids = await _ids_by(session, _PAGES.url, _PAGES.id, urls)
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


async def _ids_by(
    session: AsyncSession,
    key: ColumnElement[Any],
    column: ColumnElement[Any],
    wanted: Sequence[Any],
) -> dict[Any, int]:
    """``key value → column value`` of the rows whose ``key`` is in ``wanted``."""
    found: dict[Any, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        statement = select(key, column).where(key.in_(wanted[start : start + IN_CHUNK]))
        found.update((k, int(v)) for k, v in await session.execute(statement))
    return found


@dataclass(frozen=True, slots=True)
class ArticleWrite:
    """One article to store: its page, its sections' dedupe decisions and its founders' keys."""

    page_id: int
    article: Article
    matches: Sequence[SectionMatch]
    """``matches[i]`` is the dedupe decision for ``article.sections[i]``."""
    keys: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """The index keys of each new canonical section, by fingerprint."""


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
    write = ArticleWrite(page_id, article, matches, keys or {})
    return (await replace_articles(session, site_id, [write]))[0]


async def replace_articles(
    session: AsyncSession, site_id: int, writes: Sequence[ArticleWrite]
) -> list[int]:
    """:func:`replace_article` for many articles of one site, in bulk; their ids, in order.

    A dozen statements whatever the number of articles (one more per article that changed, to
    keep its previous version). The articles are stored in order: a new canonical section that
    two of them share is inserted once, with the first one's heading and text.
    """
    for write in writes:
        if len(write.matches) != len(write.article.sections):
            sections, matches = len(write.article.sections), len(write.matches)
            msg = f"{sections} sections but {matches} matches for {write.article.url}"
            raise ValueError(msg)
    if not writes:
        return []
    label = writes[0].article.url if len(writes) == 1 else f"{len(writes)} articles"
    page_ids = [write.page_id for write in writes]
    with translate_errors("articles", label):
        existing = await _ids_by(session, _ARTICLES.page_id, _ARTICLES.id, sorted(page_ids))
    for write in writes:
        if write.page_id in existing:  # history before the rows change
            await keep_previous_version(session, write.page_id, write.article)
    now = datetime.now(UTC)
    values = [_article_values(site_id, write.page_id, write.article, now) for write in writes]
    statement = upsert(session, ArticleRow, keys=["page_id"], update=_ARTICLE_UPDATE)
    left: set[int] = set()
    with translate_errors("articles", label):
        await session.execute(statement, values)
        by_page = await _ids_by(session, _ARTICLES.page_id, _ARTICLES.id, sorted(page_ids))
        if existing:
            removed = delete(SectionOccurrenceRow).where(
                SectionOccurrenceRow.article_id.in_(sorted(existing.values()))
            )
            left.update(await session.scalars(removed.returning(SectionOccurrenceRow.canonical_id)))
    article_ids = [by_page[page_id] for page_id in page_ids]
    founded: dict[str, Sequence[int]] = {}
    for write in writes:
        for fingerprint, new_keys in write.keys.items():
            founded.setdefault(fingerprint, new_keys)
    canonicals = [match.canonical for write in writes for match in write.matches]
    canonical_ids = await store_canonicals(session, site_id, canonicals, founded)
    with translate_errors("section_occurrences", label):
        await _insert_sections(session, article_ids, writes, canonical_ids)
        await delete_unused(session, ids=left - set(canonical_ids.values()))
    return article_ids


def _article_values(site_id: int, page_id: int, article: Article, now: datetime) -> dict[str, Any]:
    return {
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
        "updated_at": now,
    }


async def _insert_sections(
    session: AsyncSession,
    article_ids: Sequence[int],
    writes: Sequence[ArticleWrite],
    canonical_ids: Mapping[str, int],
) -> None:
    """Bulk-insert occurrences, then their paragraphs and lists (one position sequence).

    The driver's bulk path (``insert_rows``), past SQLAlchemy's per-row processing; the ids of
    new rows are read back by their natural keys in one query each (RETURNING in the order of
    the parameters runs one statement per row on SQLite).
    """
    occurrence_rows = [
        (
            article_id,
            position,
            section.heading,
            section.level,
            canonical_ids[match.canonical.fingerprint],
            float(match.similarity),
            match.rule,
        )
        for article_id, write in zip(article_ids, writes, strict=True)
        for position, (section, match) in enumerate(
            zip(write.article.sections, write.matches, strict=True)
        )
    ]
    if not occurrence_rows:
        return
    occurrences = table_of(SectionOccurrenceRow).c
    await insert_rows(
        session,
        SectionOccurrenceRow,
        ["article_id", "position", "heading", "level", "canonical_id", "similarity", "rule"],
        occurrence_rows,
    )
    placed = await _ids_by_pair(
        session, occurrences.article_id, occurrences.position, occurrences.id, article_ids
    )
    paragraph_rows: list[tuple[int, int, str]] = []
    list_rows: list[tuple[int, int, bool]] = []
    list_items: dict[tuple[int, int], tuple[str, ...]] = {}
    for article_id, write in zip(article_ids, writes, strict=True):
        for index, section in enumerate(write.article.sections):
            occurrence_id = placed[article_id, index]
            paragraph_rows.extend(
                (occurrence_id, position, text) for position, text in enumerate(section.paragraphs)
            )
            for offset, block in enumerate(section.lists):
                position = len(section.paragraphs) + offset
                list_rows.append((occurrence_id, position, block.ordered))
                list_items[occurrence_id, position] = block.items
    await insert_rows(session, ParagraphRow, ["occurrence_id", "position", "text"], paragraph_rows)
    if not list_rows:
        return
    await insert_rows(session, ListRow, ["occurrence_id", "position", "ordered"], list_rows)
    lists = table_of(ListRow).c
    owners = sorted({occurrence_id for occurrence_id, _, _ in list_rows})
    list_ids = await _ids_by_pair(session, lists.occurrence_id, lists.position, lists.id, owners)
    item_rows = [
        (list_ids[owner], position, text)
        for owner, items in list_items.items()
        for position, text in enumerate(items)
    ]
    await insert_rows(session, ListItemRow, ["list_id", "position", "text"], item_rows)


async def _ids_by_pair(
    session: AsyncSession,
    parent: ColumnElement[Any],
    position: ColumnElement[Any],
    column: ColumnElement[Any],
    parents: Sequence[int],
) -> dict[tuple[int, int], int]:
    """``(parent, position) → id`` of the rows under ``parents``."""
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(parents), IN_CHUNK):
        statement = select(parent, position, column).where(
            parent.in_(parents[start : start + IN_CHUNK])
        )
        found.update(((int(p), int(n)), int(i)) for p, n, i in await session.execute(statement))
    return found


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
