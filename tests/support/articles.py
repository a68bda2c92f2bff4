"""Store articles the way the pipeline does, for tests of what readers query (search, views)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.config import DedupeConfig
from ingest.items import CanonicalSection, SectionMatch
from ingest.pipeline.sections import SectionIndex, scope_of
from ingest.store import repository, sections
from ingest.store.articles import replace_article
from ingest.store.repository import PageRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article, Section
    from ingest.store.db import Database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def canonical(section: Section) -> CanonicalSection:
    """The canonical section a section founds (fingerprint of heading and text)."""
    digest = hashlib.sha256(f"{section.heading}\n{section.text}".encode()).hexdigest()
    return CanonicalSection(digest, section.heading, section.text)


async def store(
    session: AsyncSession,
    article: Article,
    *,
    site: str = "skincare",
    matches: Sequence[SectionMatch] | None = None,
    run_id: int | None = None,
) -> tuple[int, int]:
    """Store a page and its article in the open transaction; return (site_id, article_id).

    Without ``matches`` each section is matched to its own canonical section by fingerprint,
    so identical sections share one (as the deduper's ``exact`` rule would).
    """
    site_id = await repository.upsert_site(session, site, f"https://{site}.example/")
    page = PageRecord(article.url, "stored", T0, status_code=200, content_hash="h")
    page_id = await repository.upsert_page(session, site_id, run_id, page)
    if matches is None:
        matches = [SectionMatch(canonical(s), 1.0, "new") for s in article.sections]
    article_id = await replace_article(session, site_id, page_id, article, matches)
    return site_id, article_id


async def store_deduped(
    database: Database,
    articles: Sequence[Article],
    *,
    site: str = "skincare",
    url: str | None = None,
    config: DedupeConfig | None = None,
) -> int:
    """Store ``articles`` as a run does, then flag the site's boilerplate; return the site id.

    One transaction per article: its sections are matched through the persistent index
    (``SectionIndex.assign``) and stored with the index keys of the groups they found; after
    the last one, ``flag_boilerplate`` runs with the config's share and minimum. The site's
    home page is ``url`` (default ``https://SITE.example/``).
    """
    config = config or DedupeConfig()
    site_id = 0
    for article in articles:
        async with database.transaction() as session:
            site_id = await repository.upsert_site(session, site, url or f"https://{site}.example/")
            index = SectionIndex(config, scope_of(config, site_id))
            matches, keys = await index.assign(session, article.sections)
            page = PageRecord(article.url, "stored", T0, status_code=200, content_hash=article.url)
            page_id = await repository.upsert_page(session, site_id, None, page)
            await replace_article(session, site_id, page_id, article, matches, keys=keys)
    async with database.transaction() as session:
        await sections.flag_boilerplate(
            session, site_id, config.boilerplate_share, config.boilerplate_min_articles
        )
    return site_id
