"""Articles: store one or many with their sections, replacing what a page had; delete one.

The writes of ``ingest.store.repository`` that concern an article's content: the article row,
its section occurrences (each pointing at a canonical section, ``ingest.store.sections``), their
paragraphs, lists, list items and captions, and the previous version kept when the content changed
(``ingest.store.history``). Like the repository, no function here opens, commits or rolls back
a session; child rows are inserted in bulk on the driver's path and their ids read back by
their natural keys.
"""

from __future__ import annotations

__all__ = ["ArticleWrite", "delete_article", "replace_article", "replace_articles"]

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from ingest.items import Caption
from ingest.store.db import ids_by, translate_errors
from ingest.store.history import keep_previous_version
from ingest.store.models import (
    ArticleRow,
    CaptionRow,
    ListItemRow,
    ListRow,
    ParagraphRow,
    SectionOccurrenceRow,
    table_of,
)
from ingest.store.search import index_occurrences
from ingest.store.sections import delete_unused, store_canonicals
from ingest.store.upsert import insert_rows, upsert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article, SectionMatch

_ARTICLES = table_of(ArticleRow).c

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
        existing = await ids_by(session, _ARTICLES.id, _ARTICLES.page_id, sorted(page_ids))
    for write in writes:
        if write.page_id in existing:  # history before the rows change
            await keep_previous_version(session, write.page_id, write.article)
    now = datetime.now(UTC)
    values = [_article_values(site_id, write.page_id, write.article, now) for write in writes]
    statement = upsert(session, ArticleRow, keys=["page_id"], update=_ARTICLE_UPDATE)
    left: set[int] = set()
    with translate_errors("articles", label):
        await session.execute(statement, values)
        new = sorted(page_id for page_id in page_ids if page_id not in existing)
        by_page = existing | await ids_by(session, _ARTICLES.id, _ARTICLES.page_id, new)
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
    """Bulk-insert occurrences (and index them for search), then their paragraphs and lists.

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
    await index_occurrences(session, article_ids)
    placed = await ids_by(
        session, occurrences.id, occurrences.article_id, article_ids, occurrences.position
    )
    paragraph_rows: list[tuple[int, int, str]] = []
    caption_rows: list[tuple[int, int, str]] = []
    list_rows: list[tuple[int, int, bool]] = []
    list_items: dict[tuple[int, int], tuple[str, ...]] = {}
    for article_id, write in zip(article_ids, writes, strict=True):
        for index, section in enumerate(write.article.sections):
            occurrence_id = placed[article_id, index]
            for position, block in enumerate(section.blocks_and_captions()):
                if isinstance(block, str):
                    paragraph_rows.append((occurrence_id, position, block))
                elif isinstance(block, Caption):
                    caption_rows.append((occurrence_id, position, block.text))
                else:
                    list_rows.append((occurrence_id, position, block.ordered))
                    list_items[occurrence_id, position] = block.items
    await insert_rows(session, ParagraphRow, ["occurrence_id", "position", "text"], paragraph_rows)
    await insert_rows(session, CaptionRow, ["occurrence_id", "position", "text"], caption_rows)
    if not list_rows:
        return
    await insert_rows(session, ListRow, ["occurrence_id", "position", "ordered"], list_rows)
    lists = table_of(ListRow).c
    owners = sorted({occurrence_id for occurrence_id, _, _ in list_rows})
    list_ids = await ids_by(session, lists.id, lists.occurrence_id, owners, lists.position)
    item_rows = [
        (list_ids[owner], position, text)
        for owner, items in list_items.items()
        for position, text in enumerate(items)
    ]
    await insert_rows(session, ListItemRow, ["list_id", "position", "text"], item_rows)


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
