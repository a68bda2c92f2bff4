"""Article history: the previous version of an article, kept when its content changes.

:func:`keep_previous_version` runs inside ``ingest.store.articles.replace_article`` (same
session, same transaction) before the article's rows are replaced. When the page already had an
article and its title, description, language or sections differ from the new one, the stored
version is copied to ``article_versions`` (sections in the JSON shape of ``ingest extract``),
numbered from 1 per article. :func:`list_versions` reads them back; ``docs/schema.md`` shows the
SQL for "what changed in this article".
"""

from __future__ import annotations

__all__ = ["ArticleVersion", "keep_previous_version", "list_versions"]

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from ingest.render import section_to_dict
from ingest.store.db import translate_errors
from ingest.store.models import ArticleRow, ArticleVersionRow
from ingest.store.queries import load_sections

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """A kept previous version of an article (``content``: sections in the extract shape)."""

    version: int
    title: str
    description: str | None
    language: str | None
    content: tuple[dict[str, Any], ...]
    replaced_at: datetime


async def keep_previous_version(session: AsyncSession, page_id: int, article: Article) -> bool:
    """Copy the stored article of ``page_id`` to ``article_versions`` if ``article`` differs.

    Returns True when a version was written (the page had an article and its content changed).
    """
    current = select(
        ArticleRow.id, ArticleRow.title, ArticleRow.description, ArticleRow.language
    ).where(ArticleRow.page_id == page_id)
    with translate_errors("article_versions", f"page {page_id}"):
        row = (await session.execute(current)).one_or_none()
        if row is None:
            return False
        article_id, title, description, language = row
        loaded = (await load_sections(session, [article_id])).get(article_id, [])
        stored = [section_to_dict(s.section) for s in loaded]
        new = [section_to_dict(section) for section in article.sections]
        if (title, description, language, stored) == (
            article.title,
            article.description,
            article.language,
            new,
        ):
            return False
        latest = select(func.coalesce(func.max(ArticleVersionRow.version), 0)).where(
            ArticleVersionRow.article_id == article_id
        )
        version = int((await session.execute(latest)).scalar_one()) + 1
        await session.execute(
            insert(ArticleVersionRow).values(
                article_id=article_id,
                version=version,
                title=title,
                description=description,
                language=language,
                content=stored,
                replaced_at=datetime.now(UTC),
            )
        )
    return True


async def list_versions(session: AsyncSession, url: str) -> list[ArticleVersion]:
    """The kept versions of the article at ``url``, oldest first (empty if none or unknown)."""
    statement = (
        select(
            ArticleVersionRow.version,
            ArticleVersionRow.title,
            ArticleVersionRow.description,
            ArticleVersionRow.language,
            ArticleVersionRow.content,
            ArticleVersionRow.replaced_at,
        )
        .join(ArticleRow, ArticleRow.id == ArticleVersionRow.article_id)
        .where(ArticleRow.url == url)
        .order_by(ArticleVersionRow.version)
    )
    with translate_errors("article_versions", url):
        rows = (await session.execute(statement)).all()
    return [
        ArticleVersion(version, title, description, language, tuple(content), replaced_at)
        for version, title, description, language, content, replaced_at in rows
    ]
