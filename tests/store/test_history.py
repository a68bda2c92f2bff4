from __future__ import annotations

from sqlalchemy import func, select, text

from ingest.items import Article, ListBlock, Section
from ingest.render import section_to_dict
from ingest.store.history import list_versions
from ingest.store.models import ArticleVersionRow
from support.articles import store

URL = "https://skincare.example/routine"
V1 = Article(
    URL,
    "A routine",
    "Three steps.",
    "en",
    (Section("Steps", 2, ("Cleanse.",), (ListBlock(ordered=True, items=("a", "b")),)),),
)
V2 = Article(URL, "A routine", "Three steps.", "en", (Section("Steps", 2, ("Cleanse twice.",)),))
V3 = Article(URL, "A new routine", "Three steps.", "en", V2.sections)


async def _store(database, article: Article) -> None:
    async with database.session() as session, session.begin():
        await store(session, article)


async def _count(database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count(ArticleVersionRow.id)))).scalar_one())


async def test_a_changed_article_keeps_its_previous_version(database):
    """Store, change, store: one version row holding the old title and sections."""
    await _store(database, V1)
    await _store(database, V2)
    async with database.session() as session:
        versions = await list_versions(session, URL)
    assert len(versions) == 1
    (old,) = versions
    assert (old.version, old.title, old.description, old.language) == (
        1,
        "A routine",
        "Three steps.",
        "en",
    )
    assert old.content == tuple(section_to_dict(s) for s in V1.sections)


async def test_storing_the_same_content_again_keeps_no_version(database):
    """A first store and an unchanged re-store write no history."""
    await _store(database, V1)
    await _store(database, V1)
    assert await _count(database) == 0


async def test_versions_are_numbered_per_article_and_a_title_change_counts(database):
    """Each change adds the replaced version with the next number; metadata changes count."""
    await _store(database, V1)
    await _store(database, V2)
    await _store(database, V3)
    async with database.session() as session:
        versions = await list_versions(session, URL)
    assert [(v.version, v.title) for v in versions] == [(1, "A routine"), (2, "A routine")]
    assert versions[1].content == tuple(section_to_dict(s) for s in V2.sections)


async def test_the_documented_what_changed_query_runs(database):
    """The history query of docs/schema.md lists versions next to the current title."""
    await _store(database, V1)
    await _store(database, V3)
    sql = (
        "SELECT v.version, v.title, a.title AS current_title, v.replaced_at"
        " FROM article_versions AS v JOIN articles AS a ON a.id = v.article_id"
        " WHERE a.url = :url ORDER BY v.version"
    )
    async with database.session() as session:
        rows = (await session.execute(text(sql), {"url": URL})).all()
    assert [(r.version, r.title, r.current_title) for r in rows] == [
        (1, "A routine", "A new routine")
    ]
