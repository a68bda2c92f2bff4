"""Pages that would stall or flood a run: the run records them and goes on."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.config import Config, ParseConfig, SiteConfig
from ingest.pipeline import run

if TYPE_CHECKING:
    from collections.abc import Callable

    from ingest.demo import FixtureServer
    from ingest.store.db import Database

REPO_SITE = Path(__file__).resolve().parents[2] / "fixtures" / "skincare" / "site"
ARTICLE = "what-does-microneedling-actually-do"


def _site(root: Path, pages: dict[str, bytes]) -> None:
    """A site with the given pages under /NAME/, a robots.txt and a gzip sitemap of them."""
    for name, html in pages.items():
        (root / name).mkdir()
        (root / name / "index.html").write_bytes(html)
    urls = "".join(f"<url><loc>http://127.0.0.1:8765/{name}/</loc></url>" for name in pages)
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    (root / "sitemap.xml.gz").write_bytes(gzip.compress(sitemap.encode()))
    (root / "robots.txt").write_text(
        "User-agent: *\nSitemap: http://127.0.0.1:8765/sitemap.xml.gz\n"
    )


async def test_a_page_that_parses_too_long_is_killed_and_the_run_goes_on(
    make_server: Callable[[Path], FixtureServer], tmp_path: Path, database: Database
):
    """Deep nesting (quadratic for the parser) hits the time limit; the next page is fine."""
    deep = (
        b"<html><body>"
        + b"<div>" * 80_000
        + b"<p>deep</p>"
        + b"</div>" * 80_000
        + b"</body></html>"
    )
    _site(
        tmp_path, {"a-deep": deep, "b-article": (REPO_SITE / ARTICLE / "index.html").read_bytes()}
    )
    server = make_server(tmp_path)
    site = SiteConfig(
        name="bad", url=server.origin + "/", allow_private_networks=True, adstxt=False
    )
    config = Config(sites=(site,), parse=ParseConfig(workers=1, timeout=0.5))

    report = await run(config, database=database)

    assert [(f.url.rsplit("/", 2)[1], f.kind) for f in report.failures] == [
        ("a-deep", "parse_timeout")
    ]
    assert report.total("articles") == 1


async def test_a_long_retry_after_defers_the_host_instead_of_sleeping(
    site: FixtureServer, database: Database
):
    """A 429 asking for an hour is one failure; the host's other pages are skipped, not awaited."""
    site.set_status("/", 429, {"Retry-After": "3600"}, times=None)
    config = Config(
        sites=(
            SiteConfig(
                name="skincare", url=site.origin + "/", allow_private_networks=True, concurrency=1
            ),
        )
    )

    report = await run(config, database=database)

    assert [f.kind for f in report.failures] == ["http_429"]
    deferred = [n for n in report.notices if n.kind == "deferred"]
    assert deferred
    assert report.total("skipped") >= len(deferred)
    assert report.seconds < 30
