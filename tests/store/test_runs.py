"""The run log reads: newest first, one run or the last, killed runs, failure streaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.store import repository
from ingest.store.repository import PageRecord
from ingest.store.runs import failing_pages, get_run, list_runs, site_stats

if TYPE_CHECKING:
    from ingest.store.db import Database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://a.example/broken/"


def _summary(site: str, failed_urls: list[str]) -> dict[str, Any]:
    failures = [{"site": site, "url": u, "kind": "http_5xx", "message": "503"} for u in failed_urls]
    return {
        "totals": {"fetched": 3, "failed": len(failures)},
        "sites": {site: {"fetched": 3, "failed": len(failures)}},
        "failures": failures,
        "config_hash": "abc",
    }


async def _runs(database: Database, failed: list[list[str]]) -> list[int]:
    """One finished run per entry, an hour apart; entry i lists the URLs that failed in it."""
    ids = []
    async with database.transaction() as session:
        for hour, urls in enumerate(failed):
            started = T0 + timedelta(hours=hour)
            run_id = await repository.start_run(session, started_at=started)
            status = "failed" if urls else "ok"
            await repository.finish_run(
                session,
                run_id,
                status=status,
                finished_at=started + timedelta(minutes=1),
                summary=_summary("a", urls),
            )
            ids.append(run_id)
    return ids


async def test_list_and_get_runs_newest_first(database: Database):
    """list_runs is newest first and honours limit; get_run(None) is the last; unknown is None."""
    ids = await _runs(database, [[], [URL], []])
    async with database.session() as session:
        assert [r.id for r in await list_runs(session)] == ids[::-1]
        assert [r.id for r in await list_runs(session, 2)] == ids[:0:-1]
        last = await get_run(session, None)
        second = await get_run(session, ids[1])
        missing = await get_run(session, ids[-1] + 100)
    assert last is not None
    assert last.id == ids[-1]
    assert second is not None
    assert second.status == "failed"
    assert second.counts == {"fetched": 3, "failed": 1, "failed_by_kind": {"http_5xx": 1}}
    assert second.failures == [{"site": "a", "url": URL, "kind": "http_5xx", "message": "503"}]
    assert second.config_hash == "abc"
    assert missing is None


async def test_a_killed_run_reads_as_no_counts(database: Database):
    """A run that never finished has no summary: zero counts, no failures, no end time."""
    async with database.transaction() as session:
        run_id = await repository.start_run(session, started_at=T0)
    async with database.session() as session:
        run = await get_run(session, run_id)
    assert run is not None
    assert (run.status, run.finished_at, run.counts, run.failures) == (
        "running",
        None,
        {"failed_by_kind": {}},
        [],
    )


async def test_failing_since_is_the_start_of_the_unbroken_streak(database: Database):
    """Failed in runs 1, 3 and 4 but not 2: failing since run 3; the last success is run 2."""
    ids = await _runs(database, [[URL], [], [URL], [URL]])
    async with database.transaction() as session:
        site_id = await repository.upsert_site(session, "a", "https://a.example/")
        failed = PageRecord(
            URL, "failed", T0 + timedelta(hours=3), error_kind="http_5xx", error_message="503"
        )
        await repository.upsert_page(session, site_id, ids[-1], failed)
    async with database.session() as session:
        pages = await failing_pages(session)
        stats = await site_stats(session)
    assert [(p.url, p.kind, p.failing_since, p.last_tried) for p in pages] == [
        (URL, "http_5xx", T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    ]
    assert [(s.site, s.pages_failing, s.articles, s.last_success) for s in stats] == [
        ("a", 1, 0, T0 + timedelta(hours=1))
    ]
