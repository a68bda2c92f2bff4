"""A whole run: open the run's resources, ingest each site, close everything, report.

:func:`run` owns every resource of a run (the run lock, HTTP client, robots cache, host limiter,
parser processes, database) in one ``AsyncExitStack`` and closes them on every exit path. Each
site is a unit (:func:`ingest_site`) that takes everything it needs as arguments, so it can
later run as a job on a worker. :func:`plan` is the dry run: discovery and robots.txt only, no
page fetched and no database opened.
"""

from __future__ import annotations

__all__ = ["config_hash", "ingest_site", "plan", "run"]

import asyncio
import hashlib
import json
import logging
import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from ingest.collector import collecting_less
from ingest.errors import FetchError
from ingest.fetch.client import build_client
from ingest.fetch.discovery import discover
from ingest.fetch.politeness import HostLimiter, RobotsCache
from ingest.parse.links import extract_links
from ingest.pipeline.adstxt import ingest_adstxt
from ingest.pipeline.context import Progress, RunContext, now
from ingest.pipeline.hosts import DatabaseRobots, keep_deferral, restore_deferral
from ingest.pipeline.pages import ingest_pages
from ingest.pipeline.regroup import ensure_grouped
from ingest.report import Failure, PlannedSite, ReportBuilder, RunReport
from ingest.store import queries, repository, sections
from ingest.store.db import Database
from ingest.store.lock import run_lock
from ingest.workers import ParsePool

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from ingest.config import Config, SiteConfig

log = logging.getLogger(__name__)


async def run(
    config: Config,
    *,
    client: httpx.AsyncClient | None = None,
    database: Database | None = None,
    progress: Progress | None = None,
    sites: Sequence[str] | None = None,
    max_pages: int | None = None,
) -> RunReport:
    """Ingest every site of ``config`` (or only those named in ``sites``) and report.

    A per-item failure (a page, an ads.txt file, a whole site that is down) is recorded in the
    report and the run goes on; anything that is not an :class:`IngestError` is a bug and
    propagates. Pass ``client`` or ``database`` to reuse your own (tests do); otherwise the run
    opens and closes them. ``max_pages`` caps the pages of every site (beats ``max_pages`` of
    the sites file).
    """
    chosen = _chosen(config, sites, max_pages)
    async with AsyncExitStack() as stack:
        stack.enter_context(collecting_less())
        if database is None:
            database = Database.from_url(config.database)
            stack.push_async_callback(database.dispose)
        holder = f"pid {os.getpid()} (started {now():%Y-%m-%d %H:%M:%S} UTC)"
        await stack.enter_async_context(run_lock(database, holder=holder))
        await database.upgrade()
        if client is None:
            client = build_client(config.fetch, connections=_connections(chosen))
            stack.push_async_callback(client.aclose)
        parse = config.parse
        parser = await stack.enter_async_context(
            ParsePool(workers=parse.workers, timeout=parse.timeout, max_pages=parse.max_pages)
        )
        report = ReportBuilder(database=database.url, config_hash=config_hash(config))
        ctx = RunContext(
            config=config,
            client=client,
            database=database,
            robots=RobotsCache(client, config.fetch, sites=chosen, memory=DatabaseRobots(database)),
            limiter=HostLimiter(max_delay=config.fetch.max_delay),
            parser=parser,
            report=report,
            progress=progress,
        )
        async with database.transaction() as session:
            # we hold the lock, so a run still marked running was killed: say so
            aborted = await repository.abort_stale_runs(session, finished_at=now())
            report.run_id = await repository.start_run(session, started_at=now())
        if aborted:
            log.warning("run.aborted_found runs=%s", ",".join(map(str, aborted)))
        status = "aborted"
        try:
            await asyncio.gather(*(ingest_site(ctx, site) for site in chosen))
            async with database.session() as session:
                report.duplicate_groups = await queries.count_duplicate_groups(session)
            result = report.build()
            status = "ok" if result.ok else "failed"
        finally:
            summary = report.build().to_dict()
            async with database.transaction() as session:
                await repository.finish_run(
                    session, report.run_id, status=status, finished_at=now(), summary=summary
                )
    log.info(
        "run.summary run=%s status=%s articles=%d failed=%d seconds=%.2f",
        result.run_id,
        status,
        result.total("articles"),
        result.total("failed"),
        result.seconds,
    )
    return result


def config_hash(config: Config) -> str:
    """sha256 of ``config`` as canonical JSON (sorted keys), without the database URL.

    Two runs with the same hash read the same sites file (defaults filled in), whichever
    database they wrote to.
    """
    shown = config.model_dump(mode="json", exclude={"database"})
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chosen(config: Config, sites: Sequence[str] | None, max_pages: int | None) -> list[SiteConfig]:
    chosen = [site for site in config.sites if sites is None or site.name in sites]
    if max_pages is not None:
        chosen = [site.model_copy(update={"max_pages": max_pages}) for site in chosen]
    return chosen


def _connections(sites: Sequence[SiteConfig]) -> int:
    """Requests the run may have in flight: each site's pages, and its ads.txt beside them."""
    return sum(site.concurrency + 1 for site in sites)


async def plan(
    config: Config,
    *,
    client: httpx.AsyncClient | None = None,
    sites: Sequence[str] | None = None,
    max_pages: int | None = None,
) -> list[PlannedSite]:
    """The dry run: what :func:`run` would fetch, per site, without fetching a page.

    Reads robots.txt, sitemaps (or the home page when there is none), exactly as a run does,
    and says for each discovered URL whether robots.txt allows it. Opens no database, takes
    no lock and writes nothing, so it is safe beside a running run.
    """
    chosen = _chosen(config, sites, max_pages)
    async with AsyncExitStack() as stack:
        if client is None:
            client = build_client(config.fetch, connections=_connections(chosen))
            stack.push_async_callback(client.aclose)
        robots = RobotsCache(client, config.fetch, sites=chosen)
        limiter = HostLimiter(max_delay=config.fetch.max_delay)

        async def one(site: SiteConfig) -> PlannedSite:
            delay = max(site.delay, await robots.crawl_delay(site.url) or 0.0)
            limiter.configure(site.url, concurrency=site.concurrency, delay=delay)
            try:
                urls = await discover(
                    client,
                    site,
                    config=config.fetch,
                    robots=robots,
                    limiter=limiter,
                    extract_links=extract_links,
                )
            except FetchError as exc:
                failure = Failure(site.name, exc.url or site.url, exc.kind, str(exc))
                return PlannedSite(site.name, (), failure)
            pages = tuple([(url, await robots.allowed(url)) for url in urls])
            return PlannedSite(site.name, pages)

        return list(await asyncio.gather(*(one(site) for site in chosen)))


async def ingest_site(ctx: RunContext, site: SiteConfig) -> None:
    """Discover, fetch, parse, dedupe and store one site; failures go to the report."""
    report = ctx.report
    report.site(site.name)
    async with ctx.database.transaction() as session:
        site_id = await repository.upsert_site(session, site.name, site.url)
    async with ctx.regroup_lock:  # with scope "all" one regroup covers every site
        regrouped = await ensure_grouped(ctx.database, ctx.config.dedupe, site_id)
    if regrouped is not None and regrouped.articles:
        message = f"dedupe settings changed: regrouped {regrouped.sections} stored sections"
        report.notice(site.name, site.url, "regrouped", message)
    await restore_deferral(ctx.database, ctx.limiter, site.url)
    try:
        await _ingest_site(ctx, site, site_id)
    finally:
        await keep_deferral(ctx.database, ctx.limiter, site.url)
    dedupe = ctx.config.dedupe
    async with ctx.database.transaction() as session:
        flagged = await sections.flag_boilerplate(
            session, site_id, dedupe.boilerplate_share, dedupe.boilerplate_min_articles
        )
    log.info("dedupe.boilerplate site=%s sections=%d", site.name, flagged)


async def _ingest_site(ctx: RunContext, site: SiteConfig, site_id: int) -> None:
    report = ctx.report
    until = ctx.limiter.deferred_until(site.url)
    if until is not None:  # an earlier run was told to come back later: not a failure
        message = f"{site.url} asked us to come back after {until.isoformat()}"
        report.notice(site.name, site.url, "deferred", message)
        log.warning("site.deferred site=%s until=%s", site.name, until.isoformat())
        return
    delay = max(site.delay, await ctx.robots.crawl_delay(site.url) or 0.0)
    ctx.limiter.configure(site.url, concurrency=site.concurrency, delay=delay)
    async with asyncio.TaskGroup() as tasks:
        if site.adstxt:
            tasks.create_task(ingest_adstxt(ctx, site, site_id))
        try:
            urls = await discover(
                ctx.client,
                site,
                config=ctx.config.fetch,
                robots=ctx.robots,
                limiter=ctx.limiter,
                extract_links=extract_links,
            )
        except FetchError as exc:
            if exc.kind == "deferred":
                report.notice(site.name, exc.url or site.url, exc.kind, exc.detail)
            else:
                report.fail(site.name, exc.url or site.url, exc)
            log.warning("site.failed site=%s kind=%s url=%s", site.name, exc.kind, exc.url)
            urls = []
        report.add(site.name, "discovered", len(urls))
        await ingest_pages(ctx, site, site_id, urls)
