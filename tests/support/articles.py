"""Store articles the way the pipeline does, for tests of what readers query (search, views)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.items import CanonicalSection, SectionMatch
from ingest.store import repository
from ingest.store.repository import PageRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import Article, Section

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
    article_id = await repository.replace_article(session, site_id, page_id, article, matches)
    return site_id, article_id
