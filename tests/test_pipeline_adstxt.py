"""The pipeline's ads.txt rules over real HTTP: snapshot, 304, stale on 5xx, absent, app-ads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from ingest.config import Config, FetchConfig, SiteConfig
from ingest.pipeline import run
from ingest.store.adstxt_queries import list_site_adstxt

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ingest.demo import FixtureServer
    from ingest.store.db import Database

ADS = b"google.com, pub-1, DIRECT\nappnexus.com, 42, RESELLER\nCONTACT=x@example.com\n"


@pytest.fixture
def ads_server(tmp_path: Path, make_server: Callable[[Path], FixtureServer]) -> FixtureServer:
    """A one-page site with an ads.txt and an app-ads.txt."""
    (tmp_path / "index.html").write_text("<html><body><p>home</p></body></html>")
    (tmp_path / "ads.txt").write_bytes(ADS)
    (tmp_path / "app-ads.txt").write_bytes(b"unity.com, 9, DIRECT\n")
    return make_server(tmp_path)


def _config(server: FixtureServer, *, app: bool = False) -> Config:
    site = SiteConfig(
        name="ads", url=f"{server.origin}/", allow_private_networks=True, app_adstxt=app
    )
    return Config(fetch=FetchConfig(attempts=1, backoff=0.0), sites=(site,))


async def _files(database: Database) -> dict[str, tuple[str, bool, int]]:
    async with database.session() as session:
        files = await list_site_adstxt(session, "ads")
    return {f.url.rsplit("/", 1)[1]: (f.status, f.is_stale, len(f.adstxt.records)) for f in files}


async def _snapshots(database: Database) -> int:
    async with database.session() as session:
        return int(
            (await session.execute(text("SELECT COUNT(*) FROM adstxt_snapshots"))).scalar_one()
        )


async def test_rerun_is_a_304_without_writes(database, ads_server):
    """The second run sends the validators, gets a 304 and writes no new snapshot."""
    config = _config(ads_server)
    await run(config, database=database)
    assert await _files(database) == {"ads.txt": ("ok", False, 2)}
    ads_server.clear()
    await run(config, database=database)
    ads_requests = [r for r in ads_server.requests if r.path == "/ads.txt"]
    assert [r.status for r in ads_requests] == [304]
    assert "if-none-match" in ads_requests[0].headers
    assert await _snapshots(database) == 1


async def test_server_error_after_a_good_snapshot_marks_it_stale(database, ads_server):
    """A 500 keeps the last good records current and marks the file stale; the run fails it."""
    config = _config(ads_server)
    await run(config, database=database)
    ads_server.set_status("/ads.txt", 500)
    report = await run(config, database=database)
    assert await _files(database) == {"ads.txt": ("error", True, 2)}
    assert [f.kind for f in report.failures] == ["http_5xx"]


async def test_not_found_records_no_adstxt(database, ads_server):
    """A 404 after a good snapshot records 'absent' and no current records; not a failure."""
    config = _config(ads_server)
    await run(config, database=database)
    ads_server.set_status("/ads.txt", 404)
    report = await run(config, database=database)
    assert await _files(database) == {"ads.txt": ("absent", False, 0)}
    assert report.failures == ()


async def test_html_soft_404_is_ignored(database, ads_server):
    """An HTML page at /ads.txt is a content_type failure and stores no records."""
    ads_server.set_status("/ads.txt", 200, {"Content-Type": "text/html"})
    report = await run(_config(ads_server), database=database)
    assert [f.kind for f in report.failures] == ["content_type"]
    assert await _files(database) == {"ads.txt": ("error", False, 0)}


async def test_app_developer_sites_also_get_app_adstxt(database, ads_server):
    """With app_adstxt the site's /app-ads.txt is tracked as its own file."""
    await run(_config(ads_server, app=True), database=database)
    assert await _files(database) == {"ads.txt": ("ok", False, 2), "app-ads.txt": ("ok", False, 1)}
