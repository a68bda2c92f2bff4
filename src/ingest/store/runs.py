"""Reads about runs and sites: the run log, per-site statistics, the pages failing the longest.

Every function takes the caller's session and returns plain frozen values. A run's counts and
failures live in its ``summary`` JSON (``RunReport.to_dict()``); a run killed before it finished
has none, and reads as zero counts and no failures.
"""

from __future__ import annotations

__all__ = [
    "FailingPage",
    "RunInfo",
    "SiteStats",
    "failing_pages",
    "get_run",
    "list_runs",
    "site_stats",
]

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ingest.store.db import translate_errors
from ingest.store.models import (
    ArticleRow,
    CanonicalSectionRow,
    PageRow,
    RunRow,
    SectionOccurrenceRow,
    SiteRow,
)

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

RUN_BATCH = 200
"""Runs read per query while walking the run log backwards (their summaries can be large)."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One row of the run log."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def counts(self) -> dict[str, Any]:
        """The run's totals, plus its failures counted by kind (``failed_by_kind``)."""
        summary = self.summary or {}
        totals = dict(summary.get("totals", {}))
        kinds: dict[str, int] = {}
        for failure in self.failures:
            kinds[failure["kind"]] = kinds.get(failure["kind"], 0) + 1
        return totals | {"failed_by_kind": dict(sorted(kinds.items()))}

    @property
    def failures(self) -> list[dict[str, str]]:
        """``[{"site", "url", "kind", "message"}]`` as the run recorded them."""
        return list((self.summary or {}).get("failures", []))

    @property
    def config_hash(self) -> str | None:
        """sha256 of the config the run used (runs before it was recorded have none)."""
        return (self.summary or {}).get("config_hash")

    def site_ok(self, site: str) -> bool:
        """True when the run did ``site`` and nothing of it failed."""
        counts = (self.summary or {}).get("sites", {}).get(site)
        return counts is not None and not counts.get("failed", 0)


@dataclass(frozen=True, slots=True)
class SiteStats:
    """What the database holds for one site."""

    site: str
    articles: int
    sections: int
    canonical_sections: int
    duplicate_groups: int
    pages_failing: int
    last_success: datetime | None
    """Start of the newest finished run in which nothing of this site failed."""


@dataclass(frozen=True, slots=True)
class FailingPage:
    """A page whose last fetch failed, and since when it has been failing."""

    site: str
    url: str
    kind: str
    message: str
    last_tried: datetime
    failing_since: datetime
    """Start of the oldest run of the unbroken streak of runs in which this page failed."""


def _info(row: Any) -> RunInfo:  # noqa: ANN401  (a Row of the runs columns)
    return RunInfo(row.id, row.status, row.started_at, row.finished_at, row.summary)


_RUN_COLUMNS = (RunRow.id, RunRow.status, RunRow.started_at, RunRow.finished_at, RunRow.summary)


async def list_runs(session: AsyncSession, limit: int | None = 20) -> list[RunInfo]:
    """The newest ``limit`` runs (all with None), newest first."""
    statement = select(*_RUN_COLUMNS).order_by(RunRow.id.desc()).limit(limit)
    with translate_errors("runs", "list"):
        return [_info(row) for row in await session.execute(statement)]


async def get_run(session: AsyncSession, run_id: int | None) -> RunInfo | None:
    """Run ``run_id``, or the newest run when it is None; None when there is no such run."""
    statement = select(*_RUN_COLUMNS).order_by(RunRow.id.desc()).limit(1)
    if run_id is not None:
        statement = statement.where(RunRow.id == run_id)
    with translate_errors("runs", run_id if run_id is not None else "last"):
        row = (await session.execute(statement)).one_or_none()
    return None if row is None else _info(row)


async def _runs_backwards(session: AsyncSession) -> Any:  # noqa: ANN401  (an async generator)
    """Every finished run, newest first, read ``RUN_BATCH`` at a time."""
    before: int | None = None
    while True:
        statement = (
            select(*_RUN_COLUMNS)
            .where(RunRow.finished_at.is_not(None))
            .order_by(RunRow.id.desc())
            .limit(RUN_BATCH)
        )
        if before is not None:
            statement = statement.where(RunRow.id < before)
        rows = (await session.execute(statement)).all()
        for row in rows:
            yield _info(row)
        if len(rows) < RUN_BATCH:
            return
        before = rows[-1].id


async def site_stats(session: AsyncSession) -> list[SiteStats]:
    """Counts and the last success of every site, by site name."""
    sites = {
        row.id: row.name
        for row in await session.execute(select(SiteRow.id, SiteRow.name).order_by(SiteRow.name))
    }
    with translate_errors("sites", "stats"):
        articles = await _count_by_site(session, select(ArticleRow.site_id, func.count()))
        sections = await _count_by_site(
            session,
            select(ArticleRow.site_id, func.count()).join(
                SectionOccurrenceRow, SectionOccurrenceRow.article_id == ArticleRow.id
            ),
            ArticleRow.site_id,
        )
        canonicals = await _count_by_site(
            session, select(CanonicalSectionRow.site_id, func.count()), CanonicalSectionRow.site_id
        )
        sizes = (
            select(CanonicalSectionRow.site_id.label("site_id"))
            .join(SectionOccurrenceRow, SectionOccurrenceRow.canonical_id == CanonicalSectionRow.id)
            .group_by(CanonicalSectionRow.id, CanonicalSectionRow.site_id)
            .having(func.count(SectionOccurrenceRow.id) >= 2)  # noqa: PLR2004  (a group is 2+)
            .subquery()
        )
        groups = await _count_by_site(
            session, select(sizes.c.site_id, func.count()), sizes.c.site_id
        )
        failing = await _count_by_site(
            session,
            select(PageRow.site_id, func.count()).where(PageRow.outcome == "failed"),
            PageRow.site_id,
        )
        last_success: dict[str, datetime] = {}
        async for run in _runs_backwards(session):
            for name in sites.values():
                if name not in last_success and run.site_ok(name):
                    last_success[name] = run.started_at
            if len(last_success) == len(sites):
                break
    return [
        SiteStats(
            site=name,
            articles=articles.get(site_id, 0),
            sections=sections.get(site_id, 0),
            canonical_sections=canonicals.get(site_id, 0),
            duplicate_groups=groups.get(site_id, 0),
            pages_failing=failing.get(site_id, 0),
            last_success=last_success.get(name),
        )
        for site_id, name in sites.items()
    ]


async def _count_by_site(
    session: AsyncSession,
    statement: Any,  # noqa: ANN401  (a two-column Select)
    key: Any = ArticleRow.site_id,  # noqa: ANN401  (the site id column to group by)
) -> dict[int, int]:
    return {
        int(site_id): int(count)
        for site_id, count in await session.execute(statement.group_by(key))
    }


async def failing_pages(session: AsyncSession, limit: int = 10) -> list[FailingPage]:
    """Pages whose last fetch failed, failing the longest first.

    ``pages`` keeps only the last fetch, so the start of the failure streak comes from the run
    log: walking back from the newest run, a page's streak goes on while each run that did its
    site lists the page among its failures.
    """
    statement = (
        select(
            SiteRow.name,
            PageRow.url,
            PageRow.error_kind,
            PageRow.error_message,
            PageRow.fetched_at,
        )
        .join(SiteRow, SiteRow.id == PageRow.site_id)
        .where(PageRow.outcome == "failed")
        .order_by(PageRow.fetched_at, PageRow.url)
    )
    with translate_errors("pages", "outcome=failed"):
        rows = (await session.execute(statement)).all()
        since = {row.url: row.fetched_at for row in rows}
        open_streaks = {row.url: row.name for row in rows}
        async for run in _runs_backwards(session):
            if not open_streaks:
                break
            failed_here = {failure["url"] for failure in run.failures}
            sites_done = set((run.summary or {}).get("sites", {}))
            for url, site in list(open_streaks.items()):
                if url in failed_here:
                    since[url] = min(since[url], run.started_at)
                elif site in sites_done:
                    del open_streaks[url]  # the page did not fail in this run: streak starts after
    found = [
        FailingPage(
            site=row.name,
            url=row.url,
            kind=row.error_kind or "unknown",
            message=row.error_message or "",
            last_tried=row.fetched_at,
            failing_since=since[row.url],
        )
        for row in rows
    ]
    found.sort(key=lambda page: (page.failing_since, page.url))
    return found[:limit]
