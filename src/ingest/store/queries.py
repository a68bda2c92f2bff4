"""Reads for people and the CLI: stored articles, duplicate groups, ads.txt files, row counts.

Like the repository, every function takes the caller's session and returns ``ingest.items``
values, never ORM objects.
"""

from __future__ import annotations

__all__ = [
    "count_duplicate_groups",
    "get_adstxt",
    "get_article",
    "list_duplicate_groups",
    "list_sites",
    "load_sections",
    "select_articles",
    "stored_article",
    "table_counts",
]

import bisect
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select

from ingest.items import (
    AdsTxt,
    AdsTxtIssue,
    AdsTxtRecord,
    AdsTxtVariable,
    Caption,
    DuplicateGroup,
    DuplicateOccurrence,
    ListBlock,
    Section,
    StoredArticle,
    StoredSection,
)
from ingest.store.adstxt_models import (
    AdsTxtFileRow,
    AdsTxtIssueRow,
    AdsTxtRecordRow,
    AdsTxtVariableRow,
)
from ingest.store.db import translate_errors
from ingest.store.models import (
    ArticleRow,
    Base,
    CanonicalSectionRow,
    CaptionRow,
    ListItemRow,
    ListRow,
    PageRow,
    ParagraphRow,
    SectionOccurrenceRow,
    SiteRow,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import ColumnElement, Row, Select
    from sqlalchemy.ext.asyncio import AsyncSession


def select_articles() -> Select[*tuple[Any, ...]]:
    """The article columns :func:`stored_article` reads, joined to the site's name."""
    return select(
        ArticleRow.id,
        SiteRow.name,
        ArticleRow.url,
        ArticleRow.title,
        ArticleRow.description,
        ArticleRow.language,
        ArticleRow.authors,
        ArticleRow.published,
        ArticleRow.modified,
        ArticleRow.canonical_url,
        ArticleRow.site_name,
    ).join(SiteRow, SiteRow.id == ArticleRow.site_id)


def stored_article(row: Row[*tuple[Any, ...]], sections: Sequence[StoredSection]) -> StoredArticle:
    """A row of :func:`select_articles` and its sections as a :class:`StoredArticle`."""
    _, site, url, title, description, language, authors, published, modified, canonical, name = row
    return StoredArticle(
        site,
        url,
        title,
        description,
        language,
        tuple(sections),
        authors=tuple(authors or ()),
        published=published,
        modified=modified,
        canonical_url=canonical,
        site_name=name,
    )


async def get_article(
    session: AsyncSession, url: str, *, keep_boilerplate: bool = True
) -> StoredArticle | None:
    """The stored article of ``url`` (article or page URL), sections and blocks in order.

    Without ``keep_boilerplate`` the sections whose canonical section is flagged as the site's
    boilerplate are left out (the others keep their order).
    """
    base = select_articles()
    newest = (ArticleRow.updated_at.desc(), ArticleRow.id.desc())
    with translate_errors("articles", url):
        row = (
            await session.execute(base.where(ArticleRow.url == url).order_by(*newest).limit(1))
        ).one_or_none()
        if row is None:
            by_page = base.join(PageRow, PageRow.id == ArticleRow.page_id).where(PageRow.url == url)
            row = (await session.execute(by_page)).one_or_none()
        if row is None:
            return None
        loaded = await load_sections(session, [row.id], keep_boilerplate=keep_boilerplate)
        sections = loaded.get(row.id, [])
    return stored_article(row, sections)


async def load_sections(
    session: AsyncSession, article_ids: Sequence[int], *, keep_boilerplate: bool = True
) -> dict[int, list[StoredSection]]:
    """The sections of ``article_ids`` with their blocks, by article id, in position order.

    Each says whether its canonical section is site boilerplate; without ``keep_boilerplate``
    those are left out (their blocks are not read).
    """
    if not article_ids:
        return {}
    of_articles = (
        select(
            SectionOccurrenceRow.id,
            SectionOccurrenceRow.article_id,
            SectionOccurrenceRow.heading,
            SectionOccurrenceRow.level,
            SectionOccurrenceRow.canonical_id,
            SectionOccurrenceRow.similarity,
            SectionOccurrenceRow.rule,
            CanonicalSectionRow.boilerplate,
        )
        .join(CanonicalSectionRow, CanonicalSectionRow.id == SectionOccurrenceRow.canonical_id)
        .where(SectionOccurrenceRow.article_id.in_(article_ids))
        .order_by(SectionOccurrenceRow.article_id, SectionOccurrenceRow.position)
    )
    if not keep_boilerplate:
        of_articles = of_articles.where(CanonicalSectionRow.boilerplate.is_(False))
    occurrences = (await session.execute(of_articles)).all()
    ids = [row.id for row in occurrences]
    paragraphs: dict[int, list[str]] = {id_: [] for id_ in ids}
    # Paragraphs, lists and captions share one position sequence: a list's or a caption's place
    # is the paragraphs before it.
    paragraph_positions: dict[int, list[int]] = {id_: [] for id_ in ids}
    lists: dict[int, list[tuple[bool, list[str], int]]] = {id_: [] for id_ in ids}
    captions: dict[int, list[Caption]] = {id_: [] for id_ in ids}
    items_of: dict[int, list[str]] = {}
    if ids:
        statement = (
            select(ParagraphRow.occurrence_id, ParagraphRow.position, ParagraphRow.text)
            .where(ParagraphRow.occurrence_id.in_(ids))
            .order_by(ParagraphRow.occurrence_id, ParagraphRow.position)
        )
        for occurrence_id, position, text in await session.execute(statement):
            paragraphs[occurrence_id].append(text)
            paragraph_positions[occurrence_id].append(position)
        statement_lists = (
            select(ListRow.occurrence_id, ListRow.id, ListRow.ordered, ListRow.position)
            .where(ListRow.occurrence_id.in_(ids))
            .order_by(ListRow.occurrence_id, ListRow.position)
        )
        for occurrence_id, list_id, ordered, position in await session.execute(statement_lists):
            items_of[list_id] = []
            after = bisect.bisect_left(paragraph_positions[occurrence_id], position)
            lists[occurrence_id].append((ordered, items_of[list_id], after))
        statement_captions = (
            select(CaptionRow.occurrence_id, CaptionRow.position, CaptionRow.text)
            .where(CaptionRow.occurrence_id.in_(ids))
            .order_by(CaptionRow.occurrence_id, CaptionRow.position)
        )
        for occurrence_id, position, text in await session.execute(statement_captions):
            after = bisect.bisect_left(paragraph_positions[occurrence_id], position)
            captions[occurrence_id].append(Caption(text, after))
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
            lists=tuple(
                ListBlock(ordered, tuple(items), after) for ordered, items, after in lists[row.id]
            ),
            captions=tuple(captions[row.id]),
        )
        found.setdefault(row.article_id, []).append(
            StoredSection(
                section, row.canonical_id, row.similarity, row.rule, bool(row.boilerplate)
            )
        )
    return found


async def count_duplicate_groups(session: AsyncSession) -> int:
    """How many canonical sections have two or more occurrences (one aggregate query)."""
    sizes = (
        select(SectionOccurrenceRow.canonical_id)
        .group_by(SectionOccurrenceRow.canonical_id)
        .having(func.count() >= 2)  # noqa: PLR2004  (a group is two or more)
        .subquery()
    )
    with translate_errors("section_occurrences", "*"):
        return int((await session.execute(select(func.count()).select_from(sizes))).scalar_one())


async def list_duplicate_groups(
    session: AsyncSession, site: str | None = None
) -> list[DuplicateGroup]:
    """Canonical sections with two or more occurrences, largest first, then by canonical id.

    Each group's occurrences are ordered by article URL, then section position.
    """
    size = func.count(SectionOccurrenceRow.id).label("size")
    groups = (
        select(
            CanonicalSectionRow.id,
            SiteRow.name,
            CanonicalSectionRow.heading,
            CanonicalSectionRow.fingerprint,
            CanonicalSectionRow.boilerplate,
            size,
        )
        .join(SiteRow, SiteRow.id == CanonicalSectionRow.site_id)
        .join(SectionOccurrenceRow, SectionOccurrenceRow.canonical_id == CanonicalSectionRow.id)
        .group_by(
            CanonicalSectionRow.id,
            SiteRow.name,
            CanonicalSectionRow.heading,
            CanonicalSectionRow.fingerprint,
            CanonicalSectionRow.boilerplate,
        )
        .having(size >= 2)  # noqa: PLR2004  (a group is two or more)
    )
    if site is not None:
        groups = groups.where(SiteRow.name == site)
    group_ids = groups.with_only_columns(CanonicalSectionRow.id)
    places = (
        select(
            SectionOccurrenceRow.canonical_id,
            ArticleRow.url,
            SectionOccurrenceRow.position,
            SectionOccurrenceRow.heading,
            SectionOccurrenceRow.similarity,
            SectionOccurrenceRow.rule,
        )
        .join(ArticleRow, ArticleRow.id == SectionOccurrenceRow.article_id)
        .where(SectionOccurrenceRow.canonical_id.in_(group_ids))
        .order_by(ArticleRow.url, SectionOccurrenceRow.position, SectionOccurrenceRow.id)
    )
    with translate_errors("canonical_sections", site or "*"):
        found = (await session.execute(groups.order_by(size.desc(), CanonicalSectionRow.id))).all()
        occurrences: dict[int, list[DuplicateOccurrence]] = {row.id: [] for row in found}
        for canonical_id, url, position, heading, similarity, rule in await session.execute(places):
            occurrences[canonical_id].append(
                DuplicateOccurrence(url, position, heading, similarity, rule)
            )
    return [
        DuplicateGroup(
            row.id,
            row.name,
            row.heading,
            tuple(occurrences[row.id]),
            row.fingerprint,
            bool(row.boilerplate),
        )
        for row in found
    ]


async def list_sites(session: AsyncSession) -> list[tuple[int, str, str]]:
    """Every stored site as ``(id, name, home page URL)``, by name."""
    statement = select(SiteRow.id, SiteRow.name, SiteRow.url).order_by(SiteRow.name)
    with translate_errors("sites", "*"):
        return [(int(id_), name, url) for id_, name, url in await session.execute(statement)]


async def get_adstxt(session: AsyncSession, site: str) -> tuple[str, datetime, AdsTxt] | None:
    """The URL, fetch time and content of the site's most recently fetched ads.txt."""
    newest = (
        select(AdsTxtFileRow.id, AdsTxtFileRow.url, AdsTxtFileRow.fetched_at)
        .join(SiteRow, SiteRow.id == AdsTxtFileRow.site_id)
        .where(SiteRow.name == site)
        .order_by(AdsTxtFileRow.fetched_at.desc(), AdsTxtFileRow.id.desc())
        .limit(1)
    )
    with translate_errors("adstxt_files", site):
        row = (await session.execute(newest)).one_or_none()
        if row is None:
            return None
        file_id, url, fetched_at = row
        records = await _lines(
            session, AdsTxtRecordRow, file_id, AdsTxtRecord, AdsTxtRecordRow.removed_at.is_(None)
        )
        variables = await _lines(session, AdsTxtVariableRow, file_id, AdsTxtVariable)
        issues = await _lines(session, AdsTxtIssueRow, file_id, AdsTxtIssue)
    return url, fetched_at, AdsTxt(records, variables, issues)


_Line = TypeVar("_Line", AdsTxtRecord, AdsTxtVariable, AdsTxtIssue)


async def _lines(
    session: AsyncSession,
    model: type[Base],
    file_id: int,
    item: type[_Line],
    *where: ColumnElement[bool],
) -> tuple[_Line, ...]:
    """One ads.txt file's (current) rows of one table, in line order, as item values."""
    table = model.__table__
    columns = [table.c[name] for name in item.__slots__]
    statement = (
        select(*columns)
        .where(table.c.file_id == file_id, *where)
        .order_by(table.c.line, table.c.id)
    )
    return tuple(item(*row) for row in await session.execute(statement))


async def table_counts(session: AsyncSession) -> dict[str, int]:
    """The number of rows in every table, by table name (sorted)."""
    counts: dict[str, int] = {}
    with translate_errors("*", "count"):
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
            statement = select(func.count()).select_from(table)
            counts[table.name] = int((await session.execute(statement)).scalar_one())
    return counts
