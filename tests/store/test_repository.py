from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ingest.errors import StoreError
from ingest.items import (
    AdsTxt,
    Article,
    CanonicalSection,
    Caption,
    DuplicateOccurrence,
    ListBlock,
    Section,
    SectionMatch,
    StoredArticle,
)
from ingest.store import queries, repository
from ingest.store.adstxt import store_adstxt_snapshot
from ingest.store.articles import delete_article, replace_article
from ingest.store.models import CanonicalSectionRow, PageRow
from ingest.store.repository import PageRecord, PageState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SITE_URL = "https://skincare.example/"


async def _site_canonicals(session, site_id: int) -> list[CanonicalSection]:
    """The site's canonical sections, oldest first, as the store holds them (without ids)."""
    rows = CanonicalSectionRow
    statement = (
        select(rows.fingerprint, rows.heading, rows.text)
        .where(rows.site_id == site_id)
        .order_by(rows.id)
    )
    return [CanonicalSection(*row) for row in await session.execute(statement)]


def canonical(section: Section) -> CanonicalSection:
    """The canonical section a section founds (fingerprint of heading and text)."""
    digest = hashlib.sha256(f"{section.heading}\n{section.text}".encode()).hexdigest()
    return CanonicalSection(digest, section.heading, section.text)


def new_matches(article: Article) -> list[SectionMatch]:
    """Every section founds its own group."""
    return [SectionMatch(canonical(s), 1.0, "new") for s in article.sections]


INTRO = Section("", 0, ("Before the first heading.",))
ROUTINE = Section(
    "Morning routine",
    2,
    ("Start with a gentle cleanser.", "Then apply serum."),
    (
        ListBlock(ordered=True, items=("Cleanse", "Tone", "Moisturise"), after=1),
        ListBlock(ordered=False, items=("SPF 30", "SPF 50"), after=2),
    ),
    (Caption("A cleanser", 0), Caption("Serum drops", 1), Caption("Two tubes", 2)),
)
CERT = Section("Microneedling Certification", 3, ("Get certified with our course.",))
ARTICLE = Article(
    url="https://skincare.example/routine",
    title="A simple routine",
    description="Three steps.",
    language="en",
    sections=(INTRO, ROUTINE, CERT),
)


async def store_article(session, article: Article, matches=None) -> tuple[int, int]:
    """Store a page and its article in the open transaction; return (site_id, article_id)."""
    site_id = await repository.upsert_site(session, "skincare", SITE_URL)
    page = PageRecord(article.url, "stored", T0, status_code=200, content_hash="h")
    page_id = await repository.upsert_page(session, site_id, None, page)
    matches = new_matches(article) if matches is None else matches
    return site_id, await replace_article(session, site_id, page_id, article, matches)


async def test_article_round_trip_keeps_sections_and_blocks_in_order(database):
    """get_article returns the stored sections, paragraphs, lists and captions exactly, in order.

    Captions keep their places: before the first paragraph, after a list at the same place.
    """
    async with database.session() as session, session.begin():
        await store_article(session, ARTICLE)
    async with database.session() as session:
        stored = await queries.get_article(session, ARTICLE.url)
    assert isinstance(stored, StoredArticle)
    assert (stored.site, stored.url, stored.title) == ("skincare", ARTICLE.url, ARTICLE.title)
    assert (stored.description, stored.language) == ("Three steps.", "en")
    assert tuple(s.section for s in stored.sections) == ARTICLE.sections
    assert [s.rule for s in stored.sections] == ["new", "new", "new"]
    assert len({s.canonical_id for s in stored.sections}) == 3


async def test_get_article_of_an_unknown_url_is_none(database):
    """An URL never stored reads back as None, not an error."""
    async with database.session() as session:
        assert await queries.get_article(session, "https://nowhere.example/") is None


async def test_replace_article_twice_converges_and_prunes_orphan_canonicals(database):
    """Storing an article again replaces its rows; canonicals no longer used are deleted."""
    async with database.session() as session, session.begin():
        await store_article(session, ARTICLE)
        await store_article(session, ARTICLE)
    async with database.session() as session:
        first = await queries.table_counts(session)
    assert first["articles"] == 1
    assert first["section_occurrences"] == 3
    assert first["paragraphs"] == 4
    assert first["lists"] == 2
    assert first["list_items"] == 5
    assert first["captions"] == 3
    assert first["canonical_sections"] == 3

    shorter = Article(ARTICLE.url, "Shorter", sections=(ROUTINE,))
    async with database.session() as session, session.begin():
        await store_article(session, shorter)
    async with database.session() as session:
        counts = await queries.table_counts(session)
        known = await _site_canonicals(session, 1)
        stored = await queries.get_article(session, ARTICLE.url)
    assert (counts["articles"], counts["section_occurrences"], counts["paragraphs"]) == (1, 1, 2)
    assert counts["canonical_sections"] == 1
    assert known == [canonical(ROUTINE)]
    assert stored is not None
    assert stored.title == "Shorter"
    assert tuple(s.section for s in stored.sections) == (ROUTINE,)

    without = Article(ARTICLE.url, "Shorter", sections=(INTRO,))
    async with database.session() as session, session.begin():
        await store_article(session, without)
    async with database.session() as session:
        assert (await queries.table_counts(session))["captions"] == 0  # went with their section


async def test_deleting_an_article_prunes_only_the_canonicals_left_unused(database):
    """delete_article drops the article's own canonical sections and keeps shared ones."""
    other = Article("https://skincare.example/other", "Other", sections=(CERT,))
    async with database.session() as session, session.begin():
        site_id, _ = await store_article(session, ARTICLE)
        await store_article(session, other)
        page = select(PageRow.id).where(PageRow.url == ARTICLE.url)
        page_id = (await session.execute(page)).scalar_one()
        assert await delete_article(session, site_id, page_id)
        assert not await delete_article(session, site_id, page_id)
    async with database.session() as session:
        known = await _site_canonicals(session, site_id)
        assert known == [canonical(CERT)]
        assert await queries.get_article(session, ARTICLE.url) is None


async def test_first_canonical_heading_and_text_win(database):
    """A canonical fingerprint seen again keeps the heading and text stored first."""
    first = canonical(CERT)
    renamed = CanonicalSection(first.fingerprint, "Another heading", "another text")
    other = Article("https://skincare.example/other", "Other", sections=(CERT,))
    async with database.session() as session, session.begin():
        site_id, _ = await store_article(session, ARTICLE)
        await store_article(session, other, [SectionMatch(renamed, 0.97, "near")])
        known = await _site_canonicals(session, site_id)
    assert known == [canonical(INTRO), canonical(ROUTINE), first]


async def test_two_articles_sharing_a_canonical_form_one_duplicate_group(database):
    """Two sections pointing at one canonical section are listed as one group, by URL."""
    other = Article(
        "https://skincare.example/a-other", "Other", sections=(Section("Intro", 2, ("x",)), CERT)
    )
    matches = [SectionMatch(canonical(other.sections[0]), 1.0, "new")]
    matches.append(SectionMatch(canonical(CERT), 0.95, "near"))
    async with database.session() as session, session.begin():
        await store_article(session, ARTICLE)
        await store_article(session, other, matches)
    async with database.session() as session:
        groups = await queries.list_duplicate_groups(session)
        for_site = await queries.list_duplicate_groups(session, "skincare")
        for_other = await queries.list_duplicate_groups(session, "no-such-site")
        stored = await queries.get_article(session, other.url)
    assert len(groups) == 1
    group = groups[0]
    assert (group.site, group.heading) == ("skincare", CERT.heading)
    assert group.occurrences == (
        DuplicateOccurrence(other.url, 1, CERT.heading, 0.95, "near"),
        DuplicateOccurrence(ARTICLE.url, 2, CERT.heading, 1.0),
    )
    assert stored is not None
    assert stored.sections[1].canonical_id == group.canonical_id
    assert for_site == groups
    assert for_other == []


async def test_failed_fetch_keeps_the_validators_of_the_last_good_one(database):
    """upsert_page records a failure without erasing etag, last_modified and content_hash."""
    url = "https://skincare.example/routine"
    good = PageRecord(
        url, "stored", T0, 200, '"v1"', "Sat, 01 Mar 2025 12:00:00 GMT", "hash1", "text/html"
    )
    failed = PageRecord(
        url, "failed", T0 + timedelta(days=1), 503, error_kind="http_5xx", error_message="HTTP 503"
    )
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "skincare", SITE_URL)
        first_id = await repository.upsert_page(session, site_id, None, good)
        run_id = await repository.start_run(session, started_at=T0)
        second_id = await repository.upsert_page(session, site_id, run_id, failed)
    async with database.session() as session:
        state = await repository.get_page_state(session, url)
        missing = await repository.get_page_state(session, url + "/nope")
    assert first_id == second_id
    assert state == PageState('"v1"', "Sat, 01 Mar 2025 12:00:00 GMT", "hash1")
    assert missing is None

    newer = PageRecord(url, "stored", T0 + timedelta(days=2), 200, '"v2"', None, "hash2")
    async with database.session() as session, session.begin():
        await repository.upsert_page(session, site_id, None, newer)
        state = await repository.get_page_state(session, url)
    assert state == PageState('"v2"', "Sat, 01 Mar 2025 12:00:00 GMT", "hash2")


async def test_a_failing_write_raises_store_error_naming_table_and_key(database):
    """A page pointing at a missing site violates its foreign key: StoreError(pages, url)."""
    page = PageRecord("https://skincare.example/x", "stored", T0)
    async with database.session() as session, session.begin():
        with pytest.raises(StoreError) as caught:
            await repository.upsert_page(session, 999, None, page)
    assert (caught.value.table, caught.value.key) == ("pages", page.url)
    assert isinstance(caught.value.__cause__, Exception)


async def test_an_unknown_outcome_is_refused(database):
    """pages.outcome is limited to the known outcomes by a CHECK constraint."""
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "skincare", SITE_URL)
        with pytest.raises(StoreError, match="pages"):
            await repository.upsert_page(session, site_id, None, PageRecord("u", "bogus", T0))


async def test_a_rolled_back_transaction_leaves_nothing_half_written(database):
    """An error after some writes rolls the whole article back: no page, article or section."""

    async def write_then_fail() -> None:
        async with database.session() as session, session.begin():
            await store_article(session, ARTICLE)
            raise RuntimeError("after the writes")

    with pytest.raises(RuntimeError, match="after the writes"):
        await write_then_fail()
    async with database.session() as session:
        counts = await queries.table_counts(session)
    assert counts == dict.fromkeys(counts, 0)


async def test_finish_run_records_status_and_summary(database):
    """finish_run stores the end time, status and JSON summary; an unknown run is a StoreError."""
    async with database.session() as session, session.begin():
        run_id = await repository.start_run(session, started_at=T0)
        await repository.finish_run(
            session, run_id, status="ok", finished_at=T0 + timedelta(minutes=5),
            summary={"pages": 3, "failed": 0},
        )  # fmt: skip
        with pytest.raises(StoreError) as caught:
            await repository.finish_run(
                session, run_id + 100, status="ok", finished_at=T0, summary={}
            )
    assert (caught.value.table, caught.value.key) == ("runs", str(run_id + 100))


async def test_replace_article_needs_one_match_per_section(database):
    """A matches list that does not line up with the sections is a programming error."""
    async with database.session() as session, session.begin():
        with pytest.raises(ValueError, match="3 sections but 1 matches"):
            await store_article(session, ARTICLE, new_matches(ARTICLE)[:1])


async def test_empty_article_and_empty_adstxt_are_stored(database):
    """An article without sections and an ads.txt without lines are valid, empty snapshots."""
    empty = Article("https://skincare.example/empty", "Empty")
    async with database.session() as session, session.begin():
        site_id, _ = await store_article(session, empty)
        await store_adstxt_snapshot(
            session, site_id, SITE_URL + "ads.txt", AdsTxt(), final_url=SITE_URL + "ads.txt",
            status_code=200, etag=None, last_modified=None, content_hash="e", fetched_at=T0,
        )  # fmt: skip
    async with database.session() as session:
        stored = await queries.get_article(session, empty.url)
        ads = await queries.get_adstxt(session, "skincare")
    assert stored == StoredArticle("skincare", empty.url, "Empty", None, None, ())
    assert ads == (SITE_URL + "ads.txt", T0, AdsTxt())
