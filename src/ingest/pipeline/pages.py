"""The pages of a site: fetch and parse concurrently, dedupe and store in URL order.

A sliding window keeps at most ``WINDOW_PER_SLOT * site.concurrency`` pages in flight or waiting,
so memory stays flat however large a site is, and results are stored strictly in URL order, in
short transactions never held across network I/O: the duplicate groups come out the same on
every run. The articles that are ready together are stored together (one index lookup and one
commit for the batch); when one of them cannot be stored, the batch is rolled back and each is
stored alone, so the failure names its URL and the others land. A 304 or an unchanged body
costs no parse and no write.
"""

from __future__ import annotations

__all__ = ["HTML_TYPES", "STORE_BATCH", "WINDOW_PER_SLOT", "ingest_pages"]

import asyncio
import hashlib
import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ingest.errors import FetchError, HTTPStatusError, IngestError, ParseError
from ingest.fetch.fetcher import DEFAULT_ACCEPT, fetch
from ingest.items import Article, NotAnArticle
from ingest.parse.text import detect_encoding
from ingest.pipeline.context import now, record_page
from ingest.pipeline.sections import SectionIndex, scope_of
from ingest.store import articles, repository
from ingest.store.repository import PageRecord, PageState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.config import SiteConfig
    from ingest.items import FetchResult, SectionMatch
    from ingest.pipeline.context import RunContext
    from ingest.pipeline.sections import Assigned

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
WINDOW_PER_SLOT = 32
"""Pages in flight or awaiting storage per allowed concurrent request to a host."""
STORE_BATCH = 64
"""At most this many ready articles are stored in one transaction."""


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A fetched page whose article is ready to be deduped and stored."""

    record: PageRecord
    article: Article
    is_new: bool
    """No content of this page was stored before (else the article changed)."""


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
    index = SectionIndex(ctx.config.dedupe, scope_of(ctx.config.dedupe, site_id))
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

    async def store_ready() -> None:
        """Store the oldest page once it is ready, with every ready page right behind it."""
        ready = [await pending.popleft()]
        while pending and pending[0].done() and len(ready) < STORE_BATCH:
            ready.append(pending.popleft().result())
        items = [item for item in ready if item is not None]
        if items:
            await _store_articles(ctx, site, site_id, index, items)

    try:
        for url in urls:
            pending.append(asyncio.create_task(one(url)))
            while len(pending) >= window or (pending and pending[0].done()):
                await store_ready()
        while pending:
            await store_ready()
    finally:
        for task in pending:
            task.cancel()


async def _fetch_and_parse(
    ctx: RunContext, site: SiteConfig, site_id: int, url: str, state: PageState | None
) -> _Parsed | None:
    report = ctx.report
    if not await ctx.robots.allowed(url):
        report.add(site.name, "skipped")
        await record_page(
            ctx, site_id, PageRecord(url, "skipped", now(), error_kind="blocked_robots")
        )
        log.debug("fetch.skipped site=%s url=%s kind=blocked_robots", site.name, url)
        return None
    try:
        result = await _conditional_fetch(ctx, site, url, state)
    except FetchError as exc:
        if exc.kind == "deferred":  # the host asked us to come back later: not a failure
            report.add(site.name, "skipped")
            report.notice(site.name, url, exc.kind, exc.detail)
            return None
        report.fail(site.name, url, exc)
        status = exc.status if isinstance(exc, HTTPStatusError) else None
        failed = PageRecord(
            url, "failed", now(), status_code=status, error_kind=exc.kind, error_message=str(exc)
        )
        await record_page(ctx, site_id, failed)
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
            await record_page(ctx, site_id, record)
        return None
    if result.content_type not in HTML_TYPES:
        report.add(site.name, "skipped")
        await record_page(ctx, site_id, replace(record, outcome="skipped", error_kind="not_html"))
        return None
    encoding = detect_encoding(result.content, result.charset)
    record = replace(record, charset=encoding)
    try:
        page = await ctx.parser.parse_page(
            result.content, result.final_url, charset=encoding, rules=site.extract
        )
    except ParseError as exc:
        report.fail(site.name, result.url, exc)
        failed = replace(record, outcome="failed", error_kind=exc.kind, error_message=str(exc))
        await record_page(ctx, site_id, failed)
        log.warning("parse.failed site=%s url=%s kind=%s", site.name, result.url, exc.kind)
        return None
    if isinstance(page, NotAnArticle):
        report.add(site.name, "skipped")
        await record_page(
            ctx, site_id, replace(record, outcome="not_article", error_kind=page.reason)
        )
        log.debug("parse.not_article site=%s url=%s reason=%s", site.name, result.url, page.reason)
        return None
    # the article is filed under the URL we asked for, the page's natural key
    article = replace(page, url=result.url)
    return _Parsed(record, article, is_new=state is None or state.content_hash is None)


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
            limiter=ctx.limiter,
            robots=ctx.robots,
        )


async def _store_articles(
    ctx: RunContext, site: SiteConfig, site_id: int, index: SectionIndex, items: list[_Parsed]
) -> None:
    """Store ``items`` in one transaction; if that fails, each in its own."""
    if len(items) > 1:
        try:
            async with ctx.database.transaction() as session:
                assigned = await _write(ctx, session, site_id, index, items)
        except IngestError as exc:
            log.debug("store.batch_failed site=%s kind=%s: one at a time", site.name, exc.kind)
        else:
            for item, (matches, _) in zip(items, assigned, strict=True):
                _stored(ctx, site, item, matches)
            return
    for item in items:
        try:
            async with ctx.database.transaction() as session:
                [(matches, _)] = await _write(ctx, session, site_id, index, [item])
        except IngestError as exc:
            ctx.report.fail(site.name, item.record.url, exc)
            url = item.record.url
            log.warning("store.failed site=%s url=%s kind=%s", site.name, url, exc.kind)
            continue
        _stored(ctx, site, item, matches)


async def _write(
    ctx: RunContext,
    session: AsyncSession,
    site_id: int,
    index: SectionIndex,
    items: Sequence[_Parsed],
) -> list[Assigned]:
    """Dedupe and store ``items`` in the session's transaction; their dedupe decisions."""
    assigned = await index.assign_many(session, [item.article.sections for item in items])
    records = [item.record for item in items]
    page_ids = await repository.upsert_pages(session, site_id, ctx.report.run_id, records)
    writes = [
        articles.ArticleWrite(page_id, item.article, matches, keys)
        for page_id, item, (matches, keys) in zip(page_ids, items, assigned, strict=True)
    ]
    await articles.replace_articles(session, site_id, writes)
    return assigned


def _stored(
    ctx: RunContext, site: SiteConfig, item: _Parsed, matches: Sequence[SectionMatch]
) -> None:
    merged = sum(1 for match in matches if match.rule != "new")
    ctx.report.add(site.name, "articles")
    ctx.report.add(site.name, "articles_new" if item.is_new else "articles_changed")
    ctx.report.add(site.name, "sections", len(matches))
    ctx.report.add(site.name, "merged", merged)
    log.debug(
        "store.article site=%s url=%s sections=%d merged=%d",
        site.name,
        item.record.url,
        len(matches),
        merged,
    )


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
