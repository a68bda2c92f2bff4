"""Every stored article, streamed in id order with flat memory, for ``ingest export``.

Articles are read ``batch`` at a time by keyset pagination on ``articles.id`` (never OFFSET,
never all at once); each batch loads its sections, paragraphs, lists and items in four
queries, so memory holds one batch whatever the size of the database.
"""

from __future__ import annotations

__all__ = ["EXPORT_BATCH", "stream_articles"]

from typing import TYPE_CHECKING

from ingest.store.db import translate_errors
from ingest.store.models import ArticleRow, SiteRow
from ingest.store.queries import load_sections, select_articles, stored_article

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import StoredArticle

EXPORT_BATCH = 200
"""Articles read per round trip."""


async def stream_articles(
    session: AsyncSession, site: str | None = None, *, batch: int = EXPORT_BATCH
) -> AsyncIterator[StoredArticle]:
    """Yield every stored article (of ``site``, if given) in id order, sections in order."""
    after = 0
    while True:
        statement = (
            select_articles().where(ArticleRow.id > after).order_by(ArticleRow.id).limit(batch)
        )
        if site is not None:
            statement = statement.where(SiteRow.name == site)
        with translate_errors("articles", f"export after id {after}"):
            rows = (await session.execute(statement)).all()
            sections = await load_sections(session, [row.id for row in rows])
        for row in rows:
            yield stored_article(row, sections.get(row.id, ()))
        if len(rows) < batch:
            return
        after = rows[-1].id
