"""Runs over real HTTP: summary counts and config hash, --max-pages, the dry run, stats, export."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.collector import GC_THRESHOLD
from ingest.config import Config, SiteConfig
from ingest.pipeline import run
from ingest.pipeline.runner import config_hash, plan
from ingest.store import queries
from ingest.store.export import stream_articles
from ingest.store.runs import failing_pages, get_run, list_runs, site_stats

if TYPE_CHECKING:
    from collections.abc import Callable

    from ingest.demo import FixtureServer
    from ingest.store.db import Database

SITE = Path(__file__).resolve().parents[2] / "fixtures" / "skincare" / "site"
ARTICLE = "/what-does-microneedling-actually-do/"


def _config(server: FixtureServer, **site: Any) -> Config:
    return Config(
        sites=(
            SiteConfig(
                name="skincare", url=server.origin + "/", allow_private_networks=True, **site
            ),
        )
    )


async def test_summary_counts_new_changed_and_config_hash(
    make_server: Callable[[Path], FixtureServer], tmp_path: Path, database: Database
):
    """Run 1 writes 3 new articles; after one page changes, run 2 writes 1 changed article.

    Both runs are rows with the config hash and their counts, newest first.
    """
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    server = make_server(root)
    config = _config(server)
    first = await run(config, database=database)
    page = root / ARTICLE.strip("/") / "index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("</h1>", " (updated)</h1>", 1), encoding="utf-8"
    )
    second = await run(config, database=database)

    assert (first.total("articles_new"), first.total("articles_changed")) == (3, 0)
    assert (second.total("articles_new"), second.total("articles_changed")) == (0, 1)
    assert first.to_dict()["config_hash"] == config_hash(config)
    assert len(config_hash(config)) == 64
    async with database.session() as session:
        runs = await list_runs(session)
    assert [r.id for r in runs] == [second.run_id, first.run_id]
    assert runs[0].config_hash == config_hash(config)
    assert runs[0].counts["articles_changed"] == 1
    assert runs[1].counts["articles_new"] == 3


def test_config_hash_ignores_the_database_but_not_the_sites():
    """The hash names the sites file's content: same sites, other database, same hash."""
    site = SiteConfig(name="a", url="https://a.example/")
    base = Config(sites=(site,))
    assert config_hash(base) == config_hash(base.model_copy(update={"database": "sqlite:///x"}))
    other = Config(sites=(site.model_copy(update={"delay": 9.0}),))
    assert config_hash(base) != config_hash(other)


async def test_max_pages_caps_every_site(site: FixtureServer, database: Database):
    """max_pages=2 beats the sites file: two URLs discovered and fetched, no more."""
    report = await run(_config(site), database=database, max_pages=2)
    assert report.total("discovered") == 2
    fetched = [p for p in site.paths() if p.endswith("/") and "sitemap" not in p]
    assert len(fetched) == 2


async def test_dry_run_fetches_no_page(
    make_server: Callable[[Path], FixtureServer], tmp_path: Path
):
    """plan() lists each discovered URL with robots.txt's verdict and fetches no page."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    robots = root / "robots.txt"
    robots.write_text(
        robots.read_text(encoding="utf-8").replace(
            "Disallow: /wp-admin/", "Disallow: /wp-admin/\nDisallow: /why-is"
        ),
        encoding="utf-8",
    )
    server = make_server(root)
    [planned] = await plan(_config(server))
    assert planned.failure is None
    assert [(url.removeprefix(server.origin), ok) for url, ok in planned.pages] == [
        ("/", True),
        ("/can-i-use-vitamin-a-serum-after-microneedling/", True),
        ("/what-does-microneedling-actually-do/", True),
        ("/why-is-my-skin-darker-after-microneedling/", False),
    ]
    assert all(p == "/robots.txt" or "sitemap" in p for p in server.paths())


async def test_stats_and_failing_pages_after_a_404(site: FixtureServer, database: Database):
    """A 404: stats count 2 articles, 1 failing page, no last success; failing since this run."""
    site.set_status(ARTICLE, 404)
    report = await run(_config(site), database=database)
    async with database.session() as session:
        [stats] = await site_stats(session)
        [failing] = await failing_pages(session)
        last = await get_run(session, None)
    assert last is not None
    assert (stats.site, stats.articles, stats.pages_failing, stats.last_success) == (
        "skincare",
        2,
        1,
        None,
    )
    assert stats.sections > 0
    assert stats.canonical_sections <= stats.sections
    assert (failing.url, failing.kind) == (site.origin + ARTICLE, "http_404")
    assert failing.failing_since == last.started_at
    assert last.counts["failed_by_kind"] == {"http_404": 1}
    assert report.to_dict()["failed_by_kind"] == {"http_404": 1}
    assert report.run_id == last.id


async def test_stats_last_success_is_the_newest_clean_run(site: FixtureServer, database: Database):
    """After a clean run, the site's last success is that run's start; duplicate groups count."""
    report = await run(_config(site), database=database)
    async with database.session() as session:
        [stats] = await site_stats(session)
        last = await get_run(session, report.run_id)
    assert last is not None
    assert stats.last_success == last.started_at
    assert stats.duplicate_groups == report.duplicate_groups == 1


async def test_export_stream_matches_the_stored_articles(site: FixtureServer, database: Database):
    """stream_articles in batches of 2 yields each stored article once, in id order, whole."""
    await run(_config(site), database=database)
    async with database.session() as session:
        streamed = [a async for a in stream_articles(session, batch=2)]
        other_site = [a async for a in stream_articles(session, "nope", batch=2)]
        stored = [await queries.get_article(session, a.url) for a in streamed]
    assert len(streamed) == 3
    assert streamed == stored
    assert other_site == []


async def test_a_run_collects_garbage_less_and_leaves_the_collector_as_it_was(
    site: FixtureServer, database: Database
):
    """A run raises the young threshold and freezes its starting heap, then undoes both."""
    before = gc.get_threshold()
    during: list[tuple[tuple[int, int, int], int]] = []

    def progress(site_name: str, done: int, total: int) -> None:  # noqa: ARG001
        during.append((gc.get_threshold(), gc.get_freeze_count()))

    report = await run(_config(site), database=database, progress=progress)

    assert report.total("articles") == 3
    assert during
    assert all(threshold[0] >= GC_THRESHOLD and frozen > 0 for threshold, frozen in during)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
