from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, func, select, text

from ingest.items import AdsTxt, AdsTxtRecord, Article, Section
from ingest.store import queries
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
TABLES_AT_0002 = sorted(
    t
    for t in Base.metadata.tables
    if t not in {"article_versions", "captions", "hosts", "section_bands"}
)


async def _store_at_0002(session) -> int:
    """Store ARTICLE with the columns revision 0002 has, in plain SQL; the site id.

    The repository writes the newest schema's columns, so it cannot fill an old database.
    """
    at = bindparam("at", type_=PageRow.__table__.c.fetched_at.type)

    async def insert(sql: str, **values: object) -> int:
        statement = (
            text(f"{sql} RETURNING id").bindparams(at)
            if ":at" in sql
            else text(f"{sql} RETURNING id")
        )
        return int((await session.execute(statement, {**values, "at": T0})).scalar_one())

    site_id = await insert(
        "INSERT INTO sites (name, url, created_at) VALUES ('skincare', :url, :at)",
        url="https://skincare.example/",
    )
    page_id = await insert(
        "INSERT INTO pages (site_id, url, status_code, outcome, content_hash, fetched_at) "
        "VALUES (:site_id, :url, 200, 'stored', 'h', :at)",
        site_id=site_id,
        url=ARTICLE.url,
    )
    article_id = await insert(
        "INSERT INTO articles (page_id, site_id, url, title, description, language, updated_at) "
        "VALUES (:page_id, :site_id, :url, :title, :description, :language, :at)",
        page_id=page_id,
        site_id=site_id,
        url=ARTICLE.url,
        title=ARTICLE.title,
        description=ARTICLE.description,
        language=ARTICLE.language,
    )
    for position, section in enumerate(ARTICLE.sections):
        found = canonical(section)
        canonical_id = await insert(
            "INSERT INTO canonical_sections (site_id, fingerprint, heading, text) "
            "VALUES (:site_id, :fingerprint, :heading, :text)",
            site_id=site_id,
            fingerprint=found.fingerprint,
            heading=found.heading,
            text=found.text,
        )
        occurrence_id = await insert(
            "INSERT INTO section_occurrences "
            "(article_id, position, heading, level, canonical_id, similarity, rule) "
            "VALUES (:article_id, :position, :heading, :level, :canonical_id, 1.0, 'new')",
            article_id=article_id,
            position=position,
            heading=section.heading,
            level=section.level,
            canonical_id=canonical_id,
        )
        for offset, paragraph in enumerate(section.paragraphs):
            await insert(
                "INSERT INTO paragraphs (occurrence_id, position, text) "
                "VALUES (:occurrence_id, :position, :text)",
                occurrence_id=occurrence_id,
                position=offset,
                text=paragraph,
            )
    return site_id


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _migrate(move, revision: str):
    """A ``run_sync`` callable: ``move`` (upgrade or downgrade) the database to ``revision``."""

    def go(connection):
        config = _config()
        config.attributes["connection"] = connection
        move(config, revision)

    return go


def _upgrade_to(revision: str):
    return _migrate(command.upgrade, revision)


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

        await database.upgrade()

        assert (
            await database.current_revision()
            == ScriptDirectory.from_config(_config()).get_current_head()
        )
        assert await _counts(database) == before
        assert all(before[t] > 0 for t in ("articles", "section_occurrences", "adstxt_records"))
        async with database.session() as session:
            stored = await queries.get_article(session, ARTICLE.url)
            assert stored is not None
            assert (stored.title, stored.description, stored.language) == (
                ARTICLE.title,
                ARTICLE.description,
                ARTICLE.language,
            )
            assert tuple(s.section for s in stored.sections) == ARTICLE.sections
            assert (stored.authors, stored.published) == ((), None)  # columns added empty
            hits = await search(session, "hyaluronic")
            sellers = (await session.execute(text("SELECT domain FROM current_sellers_v"))).all()
        assert [(h.url, h.position, h.title) for h in hits] == [
            (ARTICLE.url, 0, "Stored before search existed")
        ]
        assert [tuple(row) for row in sellers] == [("google.com",)]
    finally:
        await database.dispose()


async def _bare_occurrence_is_indexed(database: Database, position: int) -> bool:
    """Insert a copy of the stored occurrence in plain SQL; True if search then finds it."""
    async with database.session() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO section_occurrences "
                "(article_id, position, heading, level, canonical_id, similarity, rule) "
                "SELECT article_id, :position, 'Copy', level, canonical_id, 1.0, 'new' "
                "FROM section_occurrences WHERE position = 0"
            ),
            {"position": position},
        )
    async with database.session() as session:
        hits = await search(session, "hyaluronic")
    return any(hit.position == position for hit in hits)


async def test_0007_hands_the_indexing_of_inserted_occurrences_to_the_writer_and_back(
    database_url,
):
    """At 0007 a bare INSERT is not indexed (the writer indexes); at 0006 the trigger is back."""
    database = Database.from_url(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0002"))
        async with database.session() as session, session.begin():
            await _store_at_0002(session)
        await database.upgrade()
        assert not await _bare_occurrence_is_indexed(database, 10)
        async with database.engine.begin() as connection:
            await connection.run_sync(_migrate(command.downgrade, "0006"))
        assert await _bare_occurrence_is_indexed(database, 11)
        await database.upgrade()
        assert not await _bare_occurrence_is_indexed(database, 12)
    finally:
        await database.dispose()
