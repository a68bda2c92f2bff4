from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import delete, inspect, select

from ingest.errors import StoreError
from ingest.items import Article, CanonicalSection, ListBlock, Section, SectionMatch
from ingest.store import queries, repository
from ingest.store.articles import replace_article
from ingest.store.db import MIGRATIONS_DIR
from ingest.store.models import ArticleRow, Base, RunRow
from ingest.store.repository import PageRecord

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _check(connection):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.check(config)


async def test_migrations_match_the_models(database):
    """After upgrade, autogenerate finds no difference between the migrations and the models."""
    async with database.engine.connect() as connection:
        await connection.run_sync(_check)


async def test_constraints_are_named_by_the_convention(database):
    """Unique and foreign-key constraints carry the naming convention's names in the database."""

    def names(connection):
        inspector = inspect(connection)
        unique = {c["name"] for c in inspector.get_unique_constraints("canonical_sections")}
        foreign = {c["name"] for c in inspector.get_foreign_keys("section_occurrences")}
        return unique, foreign

    async with database.engine.connect() as connection:
        unique, foreign = await connection.run_sync(names)
    assert unique == {"uq_canonical_sections_site_id_fingerprint"}
    assert foreign == {
        "fk_section_occurrences_article_id_articles",
        "fk_section_occurrences_canonical_id_canonical_sections",
    }


async def test_datetimes_are_stored_as_utc_and_read_back_aware(database):
    """A time given in any zone comes back as the same instant, tagged UTC, on both backends."""
    paris = datetime(2025, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    async with database.session() as session, session.begin():
        run_id = await repository.start_run(session, started_at=paris)
    async with database.session() as session:
        started = (await session.execute(select(RunRow.started_at))).scalar_one()
    assert run_id > 0
    assert started == paris
    assert started.tzinfo is UTC
    assert started.hour == 12


async def test_naive_datetimes_are_refused(database):
    """A naive datetime is ambiguous: writing one fails with a StoreError naming the table."""
    async with database.session() as session, session.begin():
        with pytest.raises(StoreError) as caught:
            await repository.start_run(session, started_at=datetime(2025, 1, 1))  # noqa: DTZ001
    assert caught.value.table == "runs"


async def test_deleting_an_article_cascades_to_its_sections_and_blocks(database):
    """ON DELETE CASCADE (with SQLite's foreign keys on) removes sections, paragraphs and lists."""
    canonical = CanonicalSection("f1", "Intro", "a\nb")
    article = Article(
        url="https://blog.example/a",
        title="A",
        sections=(Section("Intro", 2, ("a",), (ListBlock(ordered=False, items=("b",)),)),),
    )
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "blog", "https://blog.example/")
        page_id = await repository.upsert_page(
            session, site_id, None, PageRecord(article.url, "stored", T0)
        )
        await replace_article(
            session, site_id, page_id, article, [SectionMatch(canonical, 1.0, "new")]
        )
    async with database.session() as session, session.begin():
        await session.execute(delete(ArticleRow))
    async with database.session() as session:
        counts = await queries.table_counts(session)
    children = ("section_occurrences", "paragraphs", "lists", "list_items")
    assert {name: counts[name] for name in children} == dict.fromkeys(children, 0)
    assert counts["canonical_sections"] == 1
    assert set(counts) == set(Base.metadata.tables)
