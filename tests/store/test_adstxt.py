"""Tests for ``ingest.store.adstxt`` on SQLite and PostgreSQL: snapshots, history, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ingest.items import AdsTxt, AdsTxtChange, AdsTxtIssue, AdsTxtRecord, AdsTxtVariable
from ingest.store import queries, repository
from ingest.store.adstxt import (
    get_adstxt_state,
    get_adstxt_variables,
    mark_adstxt_failed,
    store_adstxt_absent,
    store_adstxt_snapshot,
    touch_adstxt,
)
from ingest.store.adstxt_queries import list_adstxt_changes, list_site_adstxt

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=7)
T2 = T0 + timedelta(days=14)
SITE_URL = "https://skincare.example/"
URL = SITE_URL + "ads.txt"

GOOGLE = AdsTxtRecord(1, "google.com", "pub-1", "DIRECT", "f08c47fec0942fa0")
APPNEXUS = AdsTxtRecord(2, "appnexus.com", "42", "RESELLER", None, "extra")
OPENX = AdsTxtRecord(1, "openx.com", "7", "DIRECT")
GOOGLE_MOVED = AdsTxtRecord(2, "google.com", "pub-1", "DIRECT", "f08c47fec0942fa0")
V1 = AdsTxt(
    records=(
        GOOGLE,
        APPNEXUS,
        AdsTxtRecord(3, "google.com", "pub-1", "DIRECT", "f08c47fec0942fa0"),
    ),
    variables=(AdsTxtVariable(4, "CONTACT", "ads@skincare.example"),),
    issues=(AdsTxtIssue(5, "garbage line", "too_few_fields"),),
)
V2 = AdsTxt(records=(OPENX, GOOGLE_MOVED))


async def _site(database) -> int:
    async with database.transaction() as session:
        return await repository.upsert_site(session, "skincare", SITE_URL)


async def _store(database, site_id: int, adstxt: AdsTxt, at: datetime, digest: str) -> int:
    async with database.transaction() as session:
        return await store_adstxt_snapshot(
            session, site_id, URL, adstxt, final_url=URL, status_code=200, etag=f'"{digest}"',
            last_modified=None, content_hash=digest, fetched_at=at,
        )  # fmt: skip


async def _count(database, sql: str) -> int:
    async with database.session() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def test_snapshot_stores_duplicates_once_and_counts_them(database):
    """A repeated record is stored once (first line) and counted in duplicate_count."""
    site_id = await _site(database)
    await _store(database, site_id, V1, T0, "h1")
    async with database.session() as session:
        [stored] = await list_site_adstxt(session, "skincare")
    assert stored.adstxt == AdsTxt((GOOGLE, APPNEXUS), V1.variables, V1.issues)
    assert (stored.duplicates, stored.status, stored.is_stale) == (1, "ok", False)
    assert stored.fetched_at == T0
    assert await _count(database, "SELECT COUNT(*) FROM adstxt_snapshots") == 1


async def test_history_answers_added_and_removed_since(database):
    """A change inserts new sellers, closes gone ones, moves kept ones; since-X is one query."""
    site_id = await _site(database)
    await _store(database, site_id, V1, T0, "h1")
    await _store(database, site_id, V2, T1, "h2")
    async with database.session() as session:
        [stored] = await list_site_adstxt(session, "skincare")
        since = await list_adstxt_changes(session, "skincare", T1)
        everything = await list_adstxt_changes(session, "skincare")
    assert stored.adstxt == AdsTxt((OPENX, GOOGLE_MOVED))
    assert since == [
        AdsTxtChange(URL, "added", T1, OPENX),
        AdsTxtChange(URL, "removed", T1, APPNEXUS),
    ]
    assert [(c.change, c.record.domain) for c in everything] == [
        ("added", "appnexus.com"), ("added", "google.com"), ("added", "openx.com"),
        ("removed", "appnexus.com"),
    ]  # fmt: skip
    # google kept its row: 3 seller rows in all, 2 snapshots
    assert await _count(database, "SELECT COUNT(*) FROM adstxt_records") == 3
    assert await _count(database, "SELECT COUNT(*) FROM adstxt_snapshots") == 2
    # the documented SQL gives the same answer
    sql = (
        "SELECT COUNT(*) FROM adstxt_records r JOIN adstxt_files f ON f.id = r.file_id "
        "WHERE f.url = :url AND (r.added_at >= :x OR r.removed_at >= :x)"
    )
    async with database.session() as session:
        found = (await session.execute(text(sql), {"url": URL, "x": T1})).scalar_one()
    assert found == 2


async def test_failure_keeps_the_snapshot_and_marks_it_stale(database):
    """A 5xx keeps the last good copy current, stale with the error kind; a 304 clears it."""
    site_id = await _site(database)
    await _store(database, site_id, V1, T0, "h1")
    async with database.transaction() as session:
        await mark_adstxt_failed(
            session, site_id, URL, status="error", status_code=503, error_kind="http_5xx",
            checked_at=T1,
        )  # fmt: skip
    async with database.session() as session:
        [stale] = await list_site_adstxt(session, "skincare")
        state = await get_adstxt_state(session, site_id, URL)
    assert (stale.status, stale.is_stale, stale.error_kind) == ("error", True, "http_5xx")
    assert stale.adstxt.records == (GOOGLE, APPNEXUS)
    assert (stale.fetched_at, stale.checked_at) == (T0, T1)
    assert state is not None
    assert (state.etag, state.content_hash) == ('"h1"', "h1")
    async with database.transaction() as session:
        await touch_adstxt(session, site_id, URL, etag='"h1"', last_modified=None, checked_at=T2)
    async with database.session() as session:
        [fresh] = await list_site_adstxt(session, "skincare")
    assert (fresh.status, fresh.is_stale, fresh.checked_at) == ("ok", False, T2)
    assert await _count(database, "SELECT COUNT(*) FROM adstxt_snapshots") == 1


async def test_denied_without_a_file_is_recorded(database):
    """A 401/403 on a file never seen is recorded as denied, not stale, with no lines."""
    site_id = await _site(database)
    async with database.transaction() as session:
        await mark_adstxt_failed(
            session, site_id, URL, status="denied", status_code=403, error_kind="http_403",
            checked_at=T0,
        )  # fmt: skip
    async with database.session() as session:
        [denied] = await list_site_adstxt(session, "skincare")
    assert (denied.status, denied.status_code, denied.is_stale) == ("denied", 403, False)
    assert denied.adstxt == AdsTxt()


async def test_absent_closes_every_seller_once(database):
    """A 404 after a file: an absent snapshot removing all sellers; a second 404 adds nothing."""
    site_id = await _site(database)
    await _store(database, site_id, V1, T0, "h1")
    for at in (T1, T2):
        async with database.transaction() as session:
            await store_adstxt_absent(session, site_id, URL, status_code=404, checked_at=at)
    async with database.session() as session:
        [absent] = await list_site_adstxt(session, "skincare")
        changes = await list_adstxt_changes(session, "skincare", T1)
        variables = await get_adstxt_variables(session, site_id, URL)
        old_view = await queries.get_adstxt(session, "skincare")
    assert (absent.status, absent.checked_at, absent.adstxt) == ("absent", T2, AdsTxt())
    assert {(c.change, c.record.domain) for c in changes} == {
        ("removed", "google.com"), ("removed", "appnexus.com"),
    }  # fmt: skip
    assert variables == ()
    assert old_view is not None
    assert old_view[2].records == ()
    assert await _count(database, "SELECT COUNT(*) FROM adstxt_snapshots") == 2


async def test_empty_file_is_an_empty_snapshot_not_absent(database):
    """An empty file is stored as an ok snapshot with no lines (not as 'no ads.txt')."""
    site_id = await _site(database)
    await _store(database, site_id, AdsTxt(), T0, "empty")
    async with database.session() as session:
        [empty] = await list_site_adstxt(session, "skincare")
    assert (empty.status, empty.adstxt, empty.is_placeholder) == ("ok", AdsTxt(), False)
