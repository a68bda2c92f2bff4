"""Wire the stages into a run: config → fetch → parse → dedupe → store → report.

:func:`run` owns every resource of a run (HTTP client, robots cache, host limiter, database)
in one ``AsyncExitStack``, decides concurrency, owns the transactions and turns per-item
failures into the :class:`~ingest.report.RunReport`. Each site is a unit (:func:`ingest_site`)
that takes everything it needs as arguments, so it can later run as a job on a worker.

Within a site, pages are fetched and parsed concurrently (bounded per host), then deduped and
stored **in URL order**, one short transaction per article, never held across network I/O.
The fixed order makes the duplicate groups the same on every run.
"""

from __future__ import annotations

__all__ = ["Progress", "RunContext", "extract_one", "ingest_pages", "ingest_site", "run"]

import asyncio
import hashlib
import logging
import os
from collections import deque
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ingest.dedupe import Deduper
from ingest.errors import FetchError, HTTPStatusError, IngestError, ParseError
from ingest.fetch.adstxt import fetch_adstxt, root_domain
from ingest.fetch.client import build_client
from ingest.fetch.discovery import discover
from ingest.fetch.fetcher import DEFAULT_ACCEPT, fetch
from ingest.fetch.politeness import HostLimiter, RobotsCache
from ingest.items import AdsTxt, Article, NotAnArticle
from ingest.parse.adstxt import declared_subdomains, is_placeholder, parse_adstxt
from ingest.parse.html import parse_article, parse_page
from ingest.parse.links import extract_links
from ingest.report import ReportBuilder, RunReport
from ingest.store import adstxt as store_adstxt
from ingest.store import queries, repository
from ingest.store.db import Database
from ingest.store.lock import run_lock
from ingest.store.repository import PageRecord, PageState

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from ingest.config import Config, FetchConfig, SiteConfig
    from ingest.items import AdsTxtVariable, FetchResult

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
WINDOW_PER_SLOT = 4
"""Pages in flight or awaiting storage per allowed concurrent request to a host."""


Progress = Callable[[str, int, int], None]
"""Told ``(site, done, total)`` as pages finish (fetched, skipped or failed); the CLI draws it."""


@dataclass(frozen=True, slots=True)
class RunContext:
    """The resources one run shares between its sites."""

    config: Config
    client: httpx.AsyncClient
    database: Database
    robots: RobotsCache
    limiter: HostLimiter
    report: ReportBuilder
    progress: Progress | None = None


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A fetched page whose article is ready to be deduped and stored."""

    record: PageRecord
    article: Article


def _now() -> datetime:
    return datetime.now(UTC)


async def run(
    config: Config,
    *,
    client: httpx.AsyncClient | None = None,
    database: Database | None = None,
    progress: Progress | None = None,
    sites: Sequence[str] | None = None,
) -> RunReport:
    """Ingest every site of ``config`` (or only those named in ``sites``) and report.

    A per-item failure (a page, an ads.txt file, a whole site that is down) is recorded in the
    report and the run goes on; anything that is not an :class:`IngestError` is a bug and
    propagates. Pass ``client`` or ``database`` to reuse your own (tests do); otherwise the run
    opens and closes them.
    """
    chosen = [site for site in config.sites if sites is None or site.name in sites]
    async with AsyncExitStack() as stack:
        if database is None:
            database = Database.from_url(config.database)
            stack.push_async_callback(database.dispose)
        holder = f"pid {os.getpid()} (started {_now():%Y-%m-%d %H:%M:%S} UTC)"
        await stack.enter_async_context(run_lock(database, holder=holder))
        await database.upgrade()
        if client is None:
            client = build_client(config.fetch)
            stack.push_async_callback(client.aclose)
        report = ReportBuilder(database=database.url)
        ctx = RunContext(
            config=config,
            client=client,
            database=database,
            robots=RobotsCache(client, config.fetch, sites=chosen),
            limiter=HostLimiter(),
            report=report,
            progress=progress,
        )
        async with database.transaction() as session:
            # we hold the lock, so a run still marked running was killed: say so
            aborted = await repository.abort_stale_runs(session, finished_at=_now())
            report.run_id = await repository.start_run(session, started_at=_now())
        if aborted:
            log.warning("run.aborted_found runs=%s", ",".join(map(str, aborted)))
        status = "aborted"
        try:
            await asyncio.gather(*(ingest_site(ctx, site) for site in chosen))
            async with database.session() as session:
                groups = await queries.list_duplicate_groups(session)
            report.duplicate_groups = len(groups)
            result = report.build()
            status = "ok" if result.ok else "failed"
        finally:
            summary = report.build().to_dict()
            async with database.transaction() as session:
                await repository.finish_run(
                    session, report.run_id, status=status, finished_at=_now(), summary=summary
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


async def ingest_site(ctx: RunContext, site: SiteConfig) -> None:
    """Discover, fetch, parse, dedupe and store one site; failures go to the report."""
    report = ctx.report
    report.site(site.name)
    async with ctx.database.transaction() as session:
        site_id = await repository.upsert_site(session, site.name, site.url)
    delay = max(site.delay, await ctx.robots.crawl_delay(site.url) or 0.0)
    ctx.limiter.configure(site.url, concurrency=site.concurrency, delay=delay)
    async with asyncio.TaskGroup() as tasks:
        if site.adstxt:
            tasks.create_task(_ingest_adstxt(ctx, site, site_id))
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
            report.fail(site.name, exc.url or site.url, exc)
            log.warning("site.failed site=%s kind=%s url=%s", site.name, exc.kind, exc.url)
            urls = []
        report.add(site.name, "discovered", len(urls))
        await ingest_pages(ctx, site, site_id, urls)


async def ingest_pages(
    ctx: RunContext, site: SiteConfig, site_id: int, urls: Sequence[str]
) -> None:
    """Fetch and parse ``urls`` concurrently; dedupe and store them in the given order.

    A sliding window keeps at most ``WINDOW_PER_SLOT * site.concurrency`` pages in flight or
    waiting, so memory stays flat however large the site; results are stored strictly in
    ``urls`` order (one transaction each), which keeps the duplicate groups deterministic.
    """
    async with ctx.database.session() as session:
        states = await repository.load_page_states(session, site_id)
        known = await repository.load_canonical_sections(session, site_id)
    deduper = Deduper(ctx.config.dedupe, known)
    window = WINDOW_PER_SLOT * site.concurrency
    pending: deque[asyncio.Task[_Parsed | None]] = deque()
    done = 0

    async def one(url: str) -> _Parsed | None:
        nonlocal done
        try:
            return await _fetch_and_parse(ctx, site, site_id, url, states.get(url))
        finally:
            done += 1
            if ctx.progress is not None:
                ctx.progress(site.name, done, len(urls))

    async def store_next() -> None:
        item = await pending.popleft()
        if item is not None:
            await _store_article(ctx, site, site_id, deduper, item)

    try:
        for url in urls:
            pending.append(asyncio.create_task(one(url)))
            while len(pending) >= window or (pending and pending[0].done()):
                await store_next()
        while pending:
            await store_next()
    finally:
        for task in pending:
            task.cancel()


async def _fetch_and_parse(
    ctx: RunContext, site: SiteConfig, site_id: int, url: str, state: PageState | None
) -> _Parsed | None:
    report = ctx.report
    if not await ctx.robots.allowed(url):
        report.add(site.name, "skipped")
        await _record(ctx, site_id, PageRecord(url, "skipped", _now(), error_kind="blocked_robots"))
        log.debug("fetch.skipped site=%s url=%s kind=blocked_robots", site.name, url)
        return None
    try:
        result = await _conditional_fetch(ctx, site, url, state)
    except FetchError as exc:
        report.fail(site.name, url, exc)
        status = exc.status if isinstance(exc, HTTPStatusError) else None
        failed = PageRecord(
            url, "failed", _now(), status_code=status, error_kind=exc.kind, error_message=str(exc)
        )
        await _record(ctx, site_id, failed)
        log.warning("fetch.failed site=%s url=%s kind=%s", site.name, url, exc.kind)
        return None
    if result.is_not_modified:
        report.add(site.name, "not_modified")
        return None
    report.add(site.name, "fetched")
    return await _parse_fetched(ctx, site, site_id, state, result)


async def _parse_fetched(
    ctx: RunContext, site: SiteConfig, site_id: int, state: PageState | None, result: FetchResult
) -> _Parsed | None:
    """Skip what is unchanged or not an article; return the article to store otherwise."""
    report = ctx.report
    digest = hashlib.sha256(result.content).hexdigest()
    record = _page_record(result, digest)
    if state is not None and state.content_hash == digest:
        report.add(site.name, "unchanged")
        if (state.etag, state.last_modified) != (result.etag, result.last_modified):
            await _record(ctx, site_id, record)
        return None
    if result.content_type not in HTML_TYPES:
        report.add(site.name, "skipped")
        await _record(ctx, site_id, replace(record, outcome="skipped", error_kind="not_html"))
        return None
    page = await asyncio.to_thread(
        parse_page, result.content, result.final_url, charset=result.charset
    )
    if isinstance(page, NotAnArticle):
        report.add(site.name, "skipped")
        await _record(ctx, site_id, replace(record, outcome="not_article", error_kind=page.reason))
        log.debug("parse.not_article site=%s url=%s reason=%s", site.name, result.url, page.reason)
        return None
    # the article is filed under the URL we asked for, the page's natural key
    article = Article(result.url, page.title, page.description, page.language, page.sections)
    return _Parsed(record, article)


async def _conditional_fetch(
    ctx: RunContext,
    site: SiteConfig,
    url: str,
    state: PageState | None,
    accept: str = DEFAULT_ACCEPT,
) -> FetchResult:
    """Fetch ``url`` within the host's limits, sending the validators of the last good fetch."""
    async with ctx.limiter.slot(url):
        return await fetch(
            ctx.client,
            url,
            config=ctx.config.fetch,
            site=site.name,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            accept=accept,
            allow=site.allow_private_networks,
        )


async def _store_article(
    ctx: RunContext, site: SiteConfig, site_id: int, deduper: Deduper, item: _Parsed
) -> None:
    matches = deduper.assign(item.article.sections)
    try:
        async with ctx.database.transaction() as session:
            page_id = await repository.upsert_page(session, site_id, ctx.report.run_id, item.record)
            await repository.replace_article(session, site_id, page_id, item.article, matches)
    except IngestError as exc:
        ctx.report.fail(site.name, item.record.url, exc)
        log.warning("store.failed site=%s url=%s kind=%s", site.name, item.record.url, exc.kind)
        return
    merged = sum(1 for match in matches if match.rule != "new")
    ctx.report.add(site.name, "articles")
    ctx.report.add(site.name, "sections", len(matches))
    ctx.report.add(site.name, "merged", merged)
    log.debug(
        "store.article site=%s url=%s sections=%d merged=%d",
        site.name,
        item.record.url,
        len(matches),
        merged,
    )


async def _ingest_adstxt(ctx: RunContext, site: SiteConfig, site_id: int) -> None:
    """Track the site's ads.txt (and app-ads.txt for app developers) on its root domain.

    The root ads.txt's ``SUBDOMAIN=`` hosts are followed one level, each stored as its own file.
    The file lives on the root domain (public suffix + 1) of the site's host, same scheme/port.
    """
    parts = urlsplit(site.url)
    host = root_domain(parts.hostname or "")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    names = ("ads.txt", "app-ads.txt") if site.app_adstxt else ("ads.txt",)
    for name in names:
        url = urlunsplit((parts.scheme, netloc, "/" + name, "", ""))
        variables = await _fetch_adstxt(ctx, site, site_id, url)
        if name != "ads.txt":
            continue
        for sub in declared_subdomains(AdsTxt(variables=variables), host):
            sub_netloc = sub if parts.port is None else f"{sub}:{parts.port}"
            sub_url = urlunsplit((parts.scheme, sub_netloc, "/ads.txt", "", ""))
            await _fetch_adstxt(ctx, site, site_id, sub_url)


async def _fetch_adstxt(
    ctx: RunContext, site: SiteConfig, site_id: int, url: str
) -> tuple[AdsTxtVariable, ...]:
    """Fetch one file by the ads.txt rules and record what happened; return its current variables.

    New content → a snapshot; 304 or the same bytes → no writes (unless it was stale); 404/410 →
    ``absent``; 401/403 → ``denied``; anything else → ``error``, the last good copy kept and stale.
    """
    async with ctx.database.session() as session:
        state = await store_adstxt.get_adstxt_state(session, site_id, url)
    now = _now()
    status: str | None = None
    try:
        async with ctx.limiter.slot(url):
            result = await fetch_adstxt(
                ctx.client,
                url,
                config=ctx.config.fetch,
                site=site.name,
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
                allow=site.allow_private_networks,
            )
    except FetchError as exc:
        code = exc.status if isinstance(exc, HTTPStatusError) else None
        status = "absent" if code in {404, 410} else "denied" if code in {401, 403} else "error"
        try:
            async with ctx.database.transaction() as session:
                if status == "absent":
                    await store_adstxt.store_adstxt_absent(
                        session, site_id, url, status_code=code or 404, checked_at=now
                    )
                else:
                    await store_adstxt.mark_adstxt_failed(
                        session,
                        site_id,
                        url,
                        status=status,
                        status_code=code,
                        error_kind=exc.kind,
                        checked_at=now,
                    )
        except IngestError as store_exc:
            ctx.report.fail(site.name, url, store_exc)
            return ()
        if status == "absent":
            log.info("adstxt.absent site=%s url=%s status=%s", site.name, url, code)
        else:
            ctx.report.fail(site.name, url, exc)
            log.warning("adstxt.failed site=%s url=%s kind=%s", site.name, url, exc.kind)
        return ()
    digest = None if result.is_not_modified else hashlib.sha256(result.content).hexdigest()
    if state is not None and (result.is_not_modified or state.content_hash == digest):
        validators = (result.etag, result.last_modified)
        if (
            state.is_stale
            or state.status != "ok"
            or validators != (state.etag, state.last_modified)
        ):
            async with ctx.database.transaction() as session:
                await store_adstxt.touch_adstxt(
                    session,
                    site_id,
                    url,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    checked_at=now,
                )
        async with ctx.database.session() as session:
            return await store_adstxt.get_adstxt_variables(session, site_id, url)
    if result.is_not_modified:  # a 304 to a request without validators: nothing to store
        return ()
    adstxt = await asyncio.to_thread(parse_adstxt, result.content)
    try:
        async with ctx.database.transaction() as session:
            await store_adstxt.store_adstxt_snapshot(
                session,
                site_id,
                url,
                adstxt,
                final_url=result.final_url,
                status_code=result.status,
                etag=result.etag,
                last_modified=result.last_modified,
                content_hash=digest or "",
                fetched_at=result.fetched_at,
                is_placeholder=is_placeholder(adstxt),
            )
    except IngestError as exc:
        ctx.report.fail(site.name, url, exc)
        return ()
    ctx.report.add(site.name, "adstxt_records", len(adstxt.records))
    ctx.report.add(site.name, "adstxt_issues", len(adstxt.issues))
    for issue in adstxt.issues:
        ctx.report.notice(site.name, f"{url}:{issue.line}", issue.reason, issue.raw)
    return adstxt.variables


def _page_record(result: FetchResult, digest: str) -> PageRecord:
    return PageRecord(
        url=result.url,
        outcome="stored",
        fetched_at=result.fetched_at,
        status_code=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        content_hash=digest,
        content_type=result.content_type,
    )


async def _record(ctx: RunContext, site_id: int, record: PageRecord) -> None:
    try:
        async with ctx.database.transaction() as session:
            await repository.upsert_page(session, site_id, ctx.report.run_id, record)
    except IngestError as exc:
        log.warning("store.failed url=%s kind=%s", record.url, exc.kind)


async def extract_one(target: str, config: FetchConfig) -> Article:
    """Parse one page given as an ``http(s)://`` URL or a file path, without a database.

    Raises :class:`FetchError` when the URL cannot be fetched and :class:`ParseError` when the
    file cannot be read.
    """
    if target.startswith(("http://", "https://")):
        async with build_client(config) as client:
            # a URL the user typed is fetched wherever it points, loopback included
            result = await fetch(client, target, config=config, allow=True)
        return await asyncio.to_thread(
            parse_article, result.content, result.final_url, charset=result.charset
        )
    return await asyncio.to_thread(_extract_file, Path(target))


def _extract_file(path: Path) -> Article:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ParseError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    return parse_article(content, path.resolve().as_uri())
