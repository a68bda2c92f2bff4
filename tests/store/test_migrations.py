from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, func, select, text

from ingest.items import AdsTxt, AdsTxtRecord, Article, Section, SectionMatch
from ingest.store import queries, repository
from ingest.store.adstxt import store_adstxt_snapshot
from ingest.store.db import MIGRATIONS_DIR, Database
from ingest.store.models import Base, PageRow
from ingest.store.search import search
from support.articles import T0, canonical

ARTICLE = Article(
    "https://skincare.example/old",
    "Stored before search existed",
    "Old.",
    "en",
    (Section("Intro", 2, ("Hyaluronic acid holds water.",)), Section("More", 3, ("Zinc.",))),
)
TABLES_AT_0002 = sorted(t for t in Base.metadata.tables if t not in {"article_versions", "hosts"})


async def _store_at_0002(session) -> int:
    """Store ARTICLE with the page columns revision 0002 has (no ``charset``); the site id."""
    site_id = await repository.upsert_site(session, "skincare", "https://skincare.example/")
    page = text(
        "INSERT INTO pages (site_id, url, status_code, outcome, content_hash, fetched_at) "
        "VALUES (:site_id, :url, 200, 'stored', 'h', :fetched_at) RETURNING id"
    ).bindparams(bindparam("fetched_at", type_=PageRow.__table__.c.fetched_at.type))
    values = {"site_id": site_id, "url": ARTICLE.url, "fetched_at": T0}
    page_id = (await session.execute(page, values)).scalar_one()
    matches = [SectionMatch(canonical(s), 1.0, "new") for s in ARTICLE.sections]
    await repository.replace_article(session, site_id, page_id, ARTICLE, matches)
    return site_id


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade_to(revision: str):
    def go(connection):
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return go


async def _counts(database: Database) -> dict[str, int]:
    async with database.session() as session:
        return {
            table: int(
                (await session.execute(select(func.count()).select_from(text(table)))).scalar_one()
            )
            for table in TABLES_AT_0002
        }


async def test_upgrading_an_old_database_with_data_loses_nothing_and_indexes_it(database_url):
    """A database filled at revision 0002 keeps every row at head; its sections are searchable."""
    database = Database.from_url(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0002"))
        url = "https://skincare.example/ads.txt"
        async with database.session() as session, session.begin():
            site_id = await _store_at_0002(session)
            records = (AdsTxtRecord(1, "google.com", "pub-1", "DIRECT"),)
            await store_adstxt_snapshot(
                session, site_id, url, AdsTxt(records), final_url=url, status_code=200,
                etag=None, last_modified=None, content_hash="a", fetched_at=T0,
            )  # fmt: skip
        before = await _counts(database)
        async with database.session() as session:
            article_before = await queries.get_article(session, ARTICLE.url)

        await database.upgrade()

        assert (
            await database.current_revision()
            == ScriptDirectory.from_config(_config()).get_current_head()
        )
        assert await _counts(database) == before
        assert all(before[t] > 0 for t in ("articles", "section_occurrences", "adstxt_records"))
        async with database.session() as session:
            assert await queries.get_article(session, ARTICLE.url) == article_before
            hits = await search(session, "hyaluronic")
            sellers = (await session.execute(text("SELECT domain FROM current_sellers_v"))).all()
        assert [(h.url, h.position, h.title) for h in hits] == [
            (ARTICLE.url, 0, "Stored before search existed")
        ]
        assert [tuple(row) for row in sellers] == [("google.com",)]
    finally:
        await database.dispose()
