"""A site's ads.txt (and app-ads.txt): fetched by the ads.txt rules, stored as snapshots.

The file lives on the root domain (public suffix + 1) of the site's host. New content makes a
snapshot; a 304 or the same bytes write nothing; 404/410 is ``absent``, 401/403 ``denied``,
anything else ``error`` with the last good copy kept and marked stale. ``SUBDOMAIN=`` hosts
declared by the root file are followed one level.
"""

from __future__ import annotations

__all__ = ["ingest_adstxt"]

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ingest.errors import FetchError, HTTPStatusError, IngestError
from ingest.fetch.adstxt import fetch_adstxt, root_domain
from ingest.items import AdsTxt
from ingest.parse.adstxt import declared_subdomains, is_placeholder, parse_adstxt
from ingest.pipeline.context import now
from ingest.store import adstxt as store_adstxt

if TYPE_CHECKING:
    from ingest.config import SiteConfig
    from ingest.items import AdsTxtVariable
    from ingest.pipeline.context import RunContext

log = logging.getLogger(__name__)


async def ingest_adstxt(ctx: RunContext, site: SiteConfig, site_id: int) -> None:
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
    checked_at = now()
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
                        session, site_id, url, status_code=code or 404, checked_at=checked_at
                    )
                else:
                    await store_adstxt.mark_adstxt_failed(
                        session,
                        site_id,
                        url,
                        status=status,
                        status_code=code,
                        error_kind=exc.kind,
                        checked_at=checked_at,
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
                    checked_at=checked_at,
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
