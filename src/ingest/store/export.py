"""Every stored article, streamed in id order with flat memory, for ``ingest export``.

Articles are read ``batch`` at a time by keyset pagination on ``articles.id`` (never OFFSET,
never all at once); each batch loads its sections, paragraphs, lists and items in four
queries, so memory holds one batch whatever the size of the database.
"""

from __future__ import annotations

__all__ = ["EXPORT_BATCH", "stream_articles"]

from typing import TYPE_CHECKING

from sqlalchemy import select

from ingest.items import ListBlock, Section, StoredArticle, StoredSection
from ingest.store.db import translate_errors
from ingest.store.models import (
    ArticleRow,
    ListItemRow,
    ListRow,
    ParagraphRow,
    SectionOccurrenceRow,
    SiteRow,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

EXPORT_BATCH = 200
"""Articles read per round trip."""


async def stream_articles(
    session: AsyncSession, site: str | None = None, *, batch: int = EXPORT_BATCH
) -> AsyncIterator[StoredArticle]:
    """Yield every stored article (of ``site``, if given) in id order, sections in order."""
    after = 0
    while True:
        statement = (
            select(
                ArticleRow.id,
                SiteRow.name,
                ArticleRow.url,
                ArticleRow.title,
                ArticleRow.description,
                ArticleRow.language,
            )
            .join(SiteRow, SiteRow.id == ArticleRow.site_id)
            .where(ArticleRow.id > after)
            .order_by(ArticleRow.id)
            .limit(batch)
        )
        if site is not None:
            statement = statement.where(SiteRow.name == site)
        with translate_errors("articles", f"export after id {after}"):
            rows = (await session.execute(statement)).all()
            sections = await _sections_of(session, [row.id for row in rows])
        for row in rows:
            yield StoredArticle(
                row.name,
                row.url,
                row.title,
                row.description,
                row.language,
                tuple(sections.get(row.id, ())),
            )
        if len(rows) < batch:
            return
        after = rows[-1].id


async def _sections_of(
    session: AsyncSession, article_ids: Sequence[int]
) -> dict[int, list[StoredSection]]:
    """The sections of ``article_ids`` with their blocks, by article id, in position order."""
    if not article_ids:
        return {}
    occurrences = (
        await session.execute(
            select(
                SectionOccurrenceRow.id,
                SectionOccurrenceRow.article_id,
                SectionOccurrenceRow.heading,
                SectionOccurrenceRow.level,
                SectionOccurrenceRow.canonical_id,
                SectionOccurrenceRow.similarity,
                SectionOccurrenceRow.rule,
            )
            .where(SectionOccurrenceRow.article_id.in_(article_ids))
            .order_by(SectionOccurrenceRow.article_id, SectionOccurrenceRow.position)
        )
    ).all()
    ids = [row.id for row in occurrences]
    paragraphs: dict[int, list[str]] = {id_: [] for id_ in ids}
    lists: dict[int, list[tuple[bool, list[str]]]] = {id_: [] for id_ in ids}
    items_of: dict[int, list[str]] = {}
    if ids:
        statement = (
            select(ParagraphRow.occurrence_id, ParagraphRow.text)
            .where(ParagraphRow.occurrence_id.in_(ids))
            .order_by(ParagraphRow.occurrence_id, ParagraphRow.position)
        )
        for occurrence_id, text in await session.execute(statement):
            paragraphs[occurrence_id].append(text)
        statement_lists = (
            select(ListRow.occurrence_id, ListRow.id, ListRow.ordered)
            .where(ListRow.occurrence_id.in_(ids))
            .order_by(ListRow.occurrence_id, ListRow.position)
        )
        for occurrence_id, list_id, ordered in await session.execute(statement_lists):
            items_of[list_id] = []
            lists[occurrence_id].append((ordered, items_of[list_id]))
    if items_of:
        statement_items = (
            select(ListItemRow.list_id, ListItemRow.text)
            .where(ListItemRow.list_id.in_(list(items_of)))
            .order_by(ListItemRow.list_id, ListItemRow.position)
        )
        for list_id, text in await session.execute(statement_items):
            items_of[list_id].append(text)
    found: dict[int, list[StoredSection]] = {}
    for row in occurrences:
        section = Section(
            heading=row.heading,
            level=row.level,
            paragraphs=tuple(paragraphs[row.id]),
            lists=tuple(ListBlock(ordered, tuple(items)) for ordered, items in lists[row.id]),
        )
        found.setdefault(row.article_id, []).append(
            StoredSection(section, row.canonical_id, row.similarity, row.rule)
        )
    return found
