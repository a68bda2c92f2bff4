from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ingest.items import AdsTxt, AdsTxtRecord, Article, ListBlock, Section, SectionMatch
from ingest.store import repository
from ingest.store.adstxt import store_adstxt_snapshot
from ingest.store.repository import PageRecord
from support.articles import T0, canonical, store

SHARED = Section("Book a consultation", 2, ("Call us on weekdays.",))
ROUTINE = Section(
    "Routine",
    2,
    ("Cleanse first.", "Then tone."),
    (
        ListBlock(ordered=True, items=("Cleanse", "Tone"), after=1),
        ListBlock(ordered=False, items=("SPF",), after=2),
    ),
)
FIRST = Article("https://skincare.example/a", "First", sections=(ROUTINE, SHARED))
SECOND = Article("https://skincare.example/b", "Second", sections=(SHARED,))


async def _rows(database, sql: str, **params) -> list[tuple[object, ...]]:
    async with database.session() as session:
        return [tuple(row) for row in await session.execute(text(sql), params)]


async def test_article_sections_v_lists_sections_in_order_with_their_own_text(database):
    """One row per section, by position, with the text of Section.text (blocks in order)."""
    async with database.session() as session, session.begin():
        await store(session, FIRST)
    rows = await _rows(
        database,
        "SELECT site, url, title, position, heading, level, text FROM article_sections_v"
        " WHERE url = :url ORDER BY position",
        url=FIRST.url,
    )
    assert rows == [
        ("skincare", FIRST.url, "First", 0, "Routine", 2, ROUTINE.text),
        ("skincare", FIRST.url, "First", 1, "Book a consultation", 2, SHARED.text),
    ]
    assert ROUTINE.text == "Cleanse first.\nCleanse\nTone\nThen tone.\nSPF"


async def test_duplicate_groups_v_shows_each_group_with_every_occurrence(database):
    """A canonical section with two occurrences appears once per occurrence; singletons not."""
    async with database.session() as session, session.begin():
        await store(session, FIRST)
        shared = [SectionMatch(canonical(SHARED), 1.0, "exact")]
        await store(session, SECOND, matches=shared)
    rows = await _rows(
        database,
        "SELECT site, canonical_heading, group_size, url, position, rule FROM duplicate_groups_v"
        " ORDER BY url, position",
    )
    assert rows == [
        ("skincare", "Book a consultation", 2, FIRST.url, 1, "new"),
        ("skincare", "Book a consultation", 2, SECOND.url, 0, "exact"),
    ]


async def test_current_sellers_v_lists_only_sellers_still_in_the_file(database):
    """A seller dropped by a newer version of the file leaves the view; a kept one stays."""
    kept = AdsTxtRecord(1, "google.com", "pub-1", "DIRECT", "f08c47fec0942fa0")
    dropped = AdsTxtRecord(2, "appnexus.com", "42", "RESELLER")
    url = "https://skincare.example/ads.txt"
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "skincare", "https://skincare.example/")
        for when, records, digest in (
            (T0, (kept, dropped), "a"),
            (T0 + timedelta(1), (kept,), "b"),
        ):
            await store_adstxt_snapshot(
                session, site_id, url, AdsTxt(records), final_url=url, status_code=200,
                etag=None, last_modified=None, content_hash=digest, fetched_at=when,
            )  # fmt: skip
    rows = await _rows(
        database,
        "SELECT site, file_url, domain, account_id, relationship, certification_id"
        " FROM current_sellers_v ORDER BY domain",
    )
    assert rows == [("skincare", url, "google.com", "pub-1", "DIRECT", "f08c47fec0942fa0")]


async def test_last_run_v_gives_each_site_the_newest_run_that_fetched_its_pages(database):
    """Per site: the latest run among its pages' runs, with that run's page and failure counts."""
    async with database.session() as session, session.begin():
        old = await repository.start_run(session, started_at=T0)
        new = await repository.start_run(session, started_at=T0 + timedelta(hours=1))
        blog = await repository.upsert_site(session, "blog", "https://blog.example/")
        shop = await repository.upsert_site(session, "shop", "https://shop.example/")
        pages = [
            (blog, old, "https://blog.example/1", "stored"),
            (shop, new, "https://shop.example/1", "stored"),
            (shop, new, "https://shop.example/2", "failed"),
            (shop, old, "https://shop.example/3", "stored"),
        ]
        for site_id, run_id, url, outcome in pages:
            await repository.upsert_page(session, site_id, run_id, PageRecord(url, outcome, T0))
        await repository.finish_run(
            session, old, status="ok", finished_at=T0 + timedelta(minutes=5), summary={}
        )
    rows = await _rows(
        database, "SELECT site, run_id, status, pages, failed_pages FROM last_run_v ORDER BY site"
    )
    assert rows == [("blog", old, "ok", 1, 0), ("shop", new, "running", 2, 1)]
