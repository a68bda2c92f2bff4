"""Reads over stored ads.txt files for people: the current files of a site and seller changes.

Like :mod:`ingest.store.queries`, each function takes the caller's session and returns
``ingest.items`` values. Writes live in :mod:`ingest.store.adstxt`.
"""

from __future__ import annotations

__all__ = ["list_adstxt_changes", "list_site_adstxt"]

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from ingest.items import (
    AdsTxt,
    AdsTxtChange,
    AdsTxtIssue,
    AdsTxtRecord,
    AdsTxtVariable,
    StoredAdsTxt,
)
from ingest.store.adstxt_models import (
    AdsTxtFileRow,
    AdsTxtIssueRow,
    AdsTxtRecordRow,
    AdsTxtVariableRow,
)
from ingest.store.db import translate_errors
from ingest.store.models import SiteRow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def list_site_adstxt(session: AsyncSession, site: str) -> list[StoredAdsTxt]:
    """Every tracked file of a site (ads.txt, app-ads.txt, subdomains), by URL, with its lines."""
    files = (
        select(AdsTxtFileRow)
        .join(SiteRow, SiteRow.id == AdsTxtFileRow.site_id)
        .where(SiteRow.name == site)
        .order_by(AdsTxtFileRow.url)
    )
    found: list[StoredAdsTxt] = []
    with translate_errors("adstxt_files", site):
        for file in (await session.execute(files)).scalars():
            found.append(  # noqa: PERF401  (an await inside: no comprehension)
                StoredAdsTxt(
                    url=file.url,
                    final_url=file.final_url,
                    status=file.status,
                    status_code=file.status_code,
                    is_stale=file.is_stale,
                    error_kind=file.error_kind,
                    fetched_at=file.fetched_at,
                    checked_at=file.checked_at,
                    duplicates=file.duplicate_count,
                    is_placeholder=file.is_placeholder,
                    adstxt=await _current(session, file.id),
                )
            )
    return found


async def _current(session: AsyncSession, file_id: int) -> AdsTxt:
    records = select(
        AdsTxtRecordRow.line,
        AdsTxtRecordRow.domain,
        AdsTxtRecordRow.account_id,
        AdsTxtRecordRow.relationship,
        AdsTxtRecordRow.certification_id,
        AdsTxtRecordRow.extension,
    ).where(AdsTxtRecordRow.file_id == file_id, AdsTxtRecordRow.removed_at.is_(None))
    variables = select(AdsTxtVariableRow.line, AdsTxtVariableRow.name, AdsTxtVariableRow.value)
    issues = select(AdsTxtIssueRow.line, AdsTxtIssueRow.raw, AdsTxtIssueRow.reason)
    return AdsTxt(
        records=tuple(
            AdsTxtRecord(*row)
            for row in await session.execute(records.order_by(AdsTxtRecordRow.line))
        ),
        variables=tuple(
            AdsTxtVariable(*row)
            for row in await session.execute(
                variables.where(AdsTxtVariableRow.file_id == file_id).order_by(
                    AdsTxtVariableRow.line
                )
            )
        ),
        issues=tuple(
            AdsTxtIssue(*row)
            for row in await session.execute(
                issues.where(AdsTxtIssueRow.file_id == file_id).order_by(AdsTxtIssueRow.line)
            )
        ),
    )


async def list_adstxt_changes(
    session: AsyncSession, site: str, since: datetime | None = None
) -> list[AdsTxtChange]:
    """Sellers added or removed (since ``since``, else ever), oldest change first."""
    statement = (
        select(
            AdsTxtFileRow.url,
            AdsTxtRecordRow.added_at,
            AdsTxtRecordRow.removed_at,
            AdsTxtRecordRow.line,
            AdsTxtRecordRow.domain,
            AdsTxtRecordRow.account_id,
            AdsTxtRecordRow.relationship,
            AdsTxtRecordRow.certification_id,
            AdsTxtRecordRow.extension,
        )
        .join(AdsTxtFileRow, AdsTxtFileRow.id == AdsTxtRecordRow.file_id)
        .join(SiteRow, SiteRow.id == AdsTxtFileRow.site_id)
        .where(SiteRow.name == site)
    )
    if since is not None:
        statement = statement.where(
            or_(AdsTxtRecordRow.added_at >= since, AdsTxtRecordRow.removed_at >= since)
        )
    changes: list[AdsTxtChange] = []
    with translate_errors("adstxt_records", site):
        for row in await session.execute(statement):
            url, added_at, removed_at = row[0], row[1], row[2]
            record = AdsTxtRecord(*row[3:])
            if since is None or added_at >= since:
                changes.append(AdsTxtChange(url, "added", added_at, record))
            if removed_at is not None and (since is None or removed_at >= since):
                changes.append(AdsTxtChange(url, "removed", removed_at, record))
    changes.sort(key=lambda c: (c.at, c.url, c.change, c.record.domain, c.record.account_id))
    return changes
