"""What a run keeps: robots.txt (24 h at most) and Retry-After per origin; charsets; metadata."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ingest.config import Config, FetchConfig, SiteConfig
from ingest.fetch.politeness import origin_of
from ingest.pipeline import run
from ingest.store import hosts, queries
from ingest.store.models import PageRow

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ingest.demo import FixtureServer
    from ingest.store.db import Database

ARTICLE = "/what-does-microneedling-actually-do/"


def _config(server: FixtureServer, **fetch: Any) -> Config:
    site = SiteConfig(name="skincare", url=server.origin + "/", allow_private_networks=True)
    return Config(sites=(site,), fetch=FetchConfig(backoff=0.0, **fetch))


async def test_robots_txt_is_kept_and_reused_by_the_next_run(
    site: FixtureServer, database: Database
):
    """Run 1 fetches robots.txt and keeps it; run 2 asks the server for it no more."""
    await run(_config(site), database=database)
    assert site.paths().count("/robots.txt") == 1
    site.clear()
    second = await run(_config(site), database=database)
    assert "/robots.txt" not in site.paths()
    assert second.total("not_modified") == 4  # the kept rules still let every page through
    async with database.session() as session:
        kept = await hosts.get_host(session, origin_of(site.origin))
    assert kept is not None
    assert kept.robots is not None
    assert kept.robots.status == 200
    assert kept.robots.text is not None
    assert kept.robots.text.startswith("User-agent: *")


async def test_robots_txt_older_than_the_max_age_is_fetched_again(
    site: FixtureServer, database: Database
):
    """A kept answer past fetch.robots_max_age is not trusted: robots.txt is fetched again."""
    await run(_config(site), database=database)
    async with database.transaction() as session:
        kept = await hosts.get_host(session, origin_of(site.origin))
        assert kept is not None
        assert kept.robots is not None
        stale = replace(kept.robots, fetched_at=kept.robots.fetched_at - timedelta(hours=25))
        await hosts.save_robots(session, origin_of(site.origin), stale)
    site.clear()
    await run(_config(site), database=database)
    assert site.paths().count("/robots.txt") == 1


async def test_a_robots_txt_failure_is_not_kept(site: FixtureServer, database: Database):
    """A 5xx robots.txt disallows the host for this run only; the next run asks again."""
    site.set_status("/robots.txt", 503)
    first = await run(_config(site, attempts=1), database=database)
    assert first.total("articles") == 0
    async with database.session() as session:
        kept = await hosts.get_host(session, origin_of(site.origin))
    assert kept is None or kept.robots is None
    site.clear()
    second = await run(_config(site), database=database)
    assert "/robots.txt" in site.paths()
    assert second.total("articles") == 3


async def test_a_long_retry_after_defers_the_host_in_later_runs(
    site: FixtureServer, database: Database
):
    """A 429 with a Retry-After past max_retry_after defers the host; the next run skips it."""
    site.set_status(ARTICLE, 429, {"Retry-After": "3600"})
    first = await run(_config(site, max_retry_after=1.0), database=database)
    assert [(f.url, f.kind) for f in first.failures] == [(site.origin + ARTICLE, "http_429")]
    async with database.session() as session:
        kept = await hosts.get_host(session, origin_of(site.origin))
    assert kept is not None
    assert kept.retry_not_before is not None
    assert kept.retry_not_before > datetime.now(UTC) + timedelta(minutes=50)
    site.clear()
    second = await run(_config(site), database=database)
    assert site.paths() == []
    assert second.ok
    assert [n.kind for n in second.notices] == ["deferred"]


async def test_the_encoding_each_page_was_read_with_is_stored(
    site: FixtureServer, database: Database
):
    """pages.charset holds the encoding the body was decoded with."""
    await run(_config(site), database=database)
    async with database.session() as session:
        charsets = (await session.execute(select(PageRow.url, PageRow.charset))).all()
    stored = {url.removeprefix(site.origin): charset for url, charset in charsets}
    assert stored[ARTICLE] == "utf-8"


async def test_article_metadata_is_stored_and_shown(site: FixtureServer, database: Database):
    """Authors, dates, canonical URL and site name of the fixture articles reach the database."""
    await run(_config(site), database=database)
    async with database.session() as session:
        stored = await queries.get_article(session, site.origin + ARTICLE)
    assert stored is not None
    assert stored.authors == ("Chloe Bennett",)
    assert (stored.published, stored.modified) == (
        "2024-02-12T09:14:03+00:00",
        "2024-02-19T16:40:22+00:00",
    )
    assert stored.canonical_url == site.origin + ARTICLE
    assert stored.site_name == "Glow Theory"


async def test_many_sites_keep_their_connections_alive(
    make_server: Callable[[Path], FixtureServer],
    fixture_root: Path,
    tmp_path: Path,
    database: Database,
):
    """With more connections in flight than a fixed pool keeps, none is closed and reopened.

    30 sites of 10 pages, with 2 requests in flight each and a pause between requests (while
    it lasts, the connections sit idle in the pool): every site's requests (robots.txt,
    sitemap, pages, ads.txt) go over its 2 page connections and at most one beside them.
    """
    article = (fixture_root / ARTICLE.strip("/") / "index.html").read_bytes()
    names = [f"page-{n}" for n in range(10)]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_bytes(
            article.replace(b"<p>", f"<p>{name} ".encode())
        )
    locs = "".join(f"<url><loc>http://127.0.0.1:8765/{name}/</loc></url>" for name in names)
    (tmp_path / "sitemap.xml").write_text(f"<urlset>{locs}</urlset>")
    (tmp_path / "robots.txt").write_text(
        "User-agent: *\nSitemap: http://127.0.0.1:8765/sitemap.xml\n"
    )
    servers = [make_server(tmp_path) for _ in range(30)]
    sites = tuple(
        SiteConfig(
            name=f"s{n}", url=s.origin + "/", allow_private_networks=True, concurrency=2, delay=0.1
        )
        for n, s in enumerate(servers)
    )

    report = await run(Config(sites=sites), database=database)

    assert report.total("articles") == len(names) * len(servers)
    opened = [len({entry.peer for entry in server.requests}) for server in servers]
    assert max(opened) <= 3, opened
