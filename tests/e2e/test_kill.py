"""A run killed with SIGKILL leaves every stored article whole; the next run finishes the work."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING

from sqlalchemy import text

from ingest.store.db import Database

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.demo import FixtureServer

SLOW = "/why-is-my-skin-darker-after-microneedling/"


async def _ingest(sites: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ingest", "run", "--source", str(sites),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=os.environ.copy(),
    )  # fmt: skip


FAST = ("/what-does-microneedling-actually-do/", "/can-i-use-vitamin-a-serum-after-microneedling/")


async def _answered(site: FixtureServer, paths: tuple[str, ...]) -> None:
    """Poll the server's log until every path has been answered (the log is filled by a thread)."""
    while not set(paths) <= set(site.paths()):  # noqa: ASYNC110  (a thread fills the log; no event)
        await asyncio.sleep(0.02)


async def test_sigkill_mid_run_then_rerun(site: FixtureServer, tmp_path: Path):
    """Kill -9 while a page hangs: no half article, the run is marked aborted, a rerun completes."""
    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        f"database: {db_url}\nsites:\n  - name: skincare\n    url: {site.origin}/\n"
        "    allow_private_networks: true\n",
        encoding="utf-8",
    )
    site.set_delay(SLOW, 30)
    child = await _ingest(sites)
    try:
        await asyncio.wait_for(_answered(site, FAST), timeout=20)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    site.clear()

    rerun = await _ingest(sites)
    output, _ = await asyncio.wait_for(rerun.communicate(), timeout=60)
    assert rerun.returncode == 0, output.decode()

    database = Database.from_url(db_url)
    try:
        async with database.session() as session:
            runs = (await session.execute(text("SELECT status FROM runs ORDER BY id"))).scalars()
            assert list(runs) == ["aborted", "ok"]
            per_article = (
                await session.execute(
                    text(
                        "SELECT a.url, count(o.id), count(DISTINCT o.position) FROM articles a "
                        "JOIN section_occurrences o ON o.article_id = a.id GROUP BY a.url"
                    )
                )
            ).all()
            articles = (await session.execute(text("SELECT count(*) FROM articles"))).scalar()
    finally:
        await database.dispose()
    assert articles == 3
    assert len(per_article) == 3
    assert all(total == distinct > 0 for _, total, distinct in per_article)
