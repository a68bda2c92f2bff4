from __future__ import annotations

import pytest
from sqlalchemy import text

from ingest.items import Article, ListBlock, SearchHit, Section, SectionMatch
from ingest.store import repository
from ingest.store import search as search_module
from ingest.store.articles import ArticleWrite, delete_article, replace_articles
from ingest.store.repository import PageRecord
from ingest.store.search import parse_query, search
from support.articles import T0, canonical, store

NEEDLING = Article(
    url="https://skincare.example/microneedling",
    title="Microneedling explained",
    sections=(
        Section("What it does", 2, ("Tiny needles prompt collagen production in the skin.",)),
        Section(
            "Aftercare",
            2,
            ("Skip retinol for three days.",),
            (ListBlock(ordered=False, items=("Apply a gentle serum", "Wear sunscreen")),),
        ),
    ),
)
SERUMS = Article(
    url="https://skincare.example/serums",
    title="Choosing a serum",
    sections=(
        Section("At home", 2, ("Use vitamin C in the morning and retinol at night.",)),
        Section("Home at last", 2, ("Collagen creams rarely reach the dermis.",)),
    ),
)
KNIVES = Article(
    url="https://kitchen.example/knives",
    title="Knife care",
    sections=(Section("Sharpening", 2, ("A whetstone keeps collagen-free steel sharp.",)),),
)


async def _store_all(database, *articles: Article) -> None:
    async with database.session() as session, session.begin():
        for article in articles:
            site = article.url.split("//")[1].split(".")[0]
            await store(session, article, site=site)


async def _search(database, query: str, **options) -> list[SearchHit]:
    async with database.session() as session:
        return await search(session, query, **options)


def _places(hits: list[SearchHit]) -> list[tuple[str, int]]:
    return [(hit.url, hit.position) for hit in hits]


async def test_a_word_finds_every_section_holding_it_with_a_marked_snippet(database):
    """A word matches section text on any site; each hit names its article and section."""
    await _store_all(database, NEEDLING, SERUMS, KNIVES)
    hits = await _search(database, "collagen")
    assert sorted(_places(hits)) == [
        ("https://kitchen.example/knives", 0),
        ("https://skincare.example/microneedling", 0),
        ("https://skincare.example/serums", 1),
    ]
    needling = next(hit for hit in hits if hit.url == NEEDLING.url)
    assert (needling.site, needling.title, needling.heading) == (
        "skincare",
        "Microneedling explained",
        "What it does",
    )
    assert "[collagen]" in needling.snippet.lower()
    assert all(hit.rank > 0 for hit in hits)
    assert [hit.rank for hit in hits] == sorted((hit.rank for hit in hits), reverse=True)


async def test_title_and_heading_matches_rank_above_body_matches(database):
    """A word in the title outranks the same word in section text only."""
    await _store_all(database, NEEDLING, SERUMS)
    hits = await _search(database, "serum")
    assert hits[0].url == SERUMS.url
    assert hits[-1].url == NEEDLING.url
    assert _places(hits)[-1] == (NEEDLING.url, 1)  # "Apply a gentle serum", a list item


async def test_all_words_must_match_and_quoted_phrases_keep_word_order(database):
    """Words are ANDed across title, heading and text; "a b" needs the words adjacent."""
    await _store_all(database, NEEDLING, SERUMS)
    assert _places(await _search(database, "retinol morning")) == [(SERUMS.url, 0)]
    assert sorted(_places(await _search(database, "home"))) == [(SERUMS.url, 0), (SERUMS.url, 1)]
    assert _places(await _search(database, '"at home"')) == [(SERUMS.url, 0)]
    assert _places(await _search(database, '"home at"')) == [(SERUMS.url, 1)]


AFTERCARE = (NEEDLING.url, 1)
AT_HOME = (SERUMS.url, 0)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('retinol "three', {AFTERCARE}),
        ("retinol)", {AFTERCARE, AT_HOME}),
        ("retinol*", {AFTERCARE, AT_HOME}),
        ("retinol -days", {AFTERCARE}),
        ("'retinol' & !three", {AFTERCARE}),
        ('retinol "" three', {AFTERCARE}),
        ("retinol OR night", set()),  # OR is a word to match (absent), not an operator
        ("NEAR(retinol three)", set()),  # NEAR is a word too
        ("title:retinol", set()),  # no column filters
    ],
)
async def test_query_syntax_of_either_engine_is_read_as_plain_words(database, query, expected):
    """Operators and stray quotes never raise: they are words to match or separators."""
    await _store_all(database, NEEDLING, SERUMS)
    assert set(_places(await _search(database, query))) == expected


@pytest.mark.parametrize("query", ["", "   ", '""', "-- * () :"])
async def test_a_query_without_words_finds_nothing(database, query):
    """Nothing to search for returns no hits rather than every section or an error."""
    await _store_all(database, NEEDLING)
    assert await _search(database, query) == []


async def test_site_and_limit_narrow_the_hits(database):
    """--site keeps one site's sections; limit keeps the best N."""
    await _store_all(database, NEEDLING, SERUMS, KNIVES)
    assert {hit.site for hit in await _search(database, "collagen", site="kitchen")} == {"kitchen"}
    assert await _search(database, "collagen", site="nowhere") == []
    assert len(await _search(database, "collagen", limit=2)) == 2
    with pytest.raises(ValueError, match="limit"):
        await _search(database, "collagen", limit=0)


async def test_replacing_an_article_reindexes_it_without_stale_or_duplicate_hits(database):
    """The index follows replace_article: old text gone, new text found once, new title too."""
    await _store_all(database, NEEDLING)
    changed = Article(
        url=NEEDLING.url,
        title="Dermarolling explained",
        sections=(Section("What it does", 2, ("Tiny needles trigger elastin repair.",)),),
    )
    await _store_all(database, changed)
    await _store_all(database, changed)
    assert await _search(database, "collagen") == []
    assert await _search(database, "retinol") == []
    assert _places(await _search(database, "elastin")) == [(NEEDLING.url, 0)]
    assert _places(await _search(database, "dermarolling")) == [(NEEDLING.url, 0)]
    assert await _search(database, "microneedling") == []


async def test_a_title_update_alone_reaches_the_index(database):
    """Changing only the title (same sections) makes the new title searchable."""
    await _store_all(database, NEEDLING)
    await _store_all(database, Article(NEEDLING.url, "Derma pens", sections=NEEDLING.sections))
    assert sorted(_places(await _search(database, "pens"))) == [
        (NEEDLING.url, 0),
        (NEEDLING.url, 1),
    ]


async def test_deleting_an_article_removes_its_hits(database):
    """An article that stopped being one (delete_article) is no longer found."""
    await _store_all(database, NEEDLING, SERUMS)
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "skincare", "https://skincare.example/")
        page_id = await repository.upsert_page(
            session,
            site_id,
            None,
            repository.PageRecord(NEEDLING.url, "not_article", T0),
        )
        assert await delete_article(session, site_id, page_id)
    assert _places(await _search(database, "collagen")) == [(SERUMS.url, 1)]


def test_parse_query_splits_words_and_phrases():
    """Words and quoted phrases become terms; punctuation separates; empty terms vanish."""
    assert parse_query('serum "at home" -oil') == (("serum",), ("at", "home"), ("oil",))
    assert parse_query('"unclosed phrase') == (("unclosed", "phrase"),)
    assert parse_query('a"b c"') == (("a",), ("b", "c"))
    assert parse_query("collagen-free x_y") == (("collagen", "free"), ("x", "y"))
    assert parse_query('"" () *') == ()
    assert parse_query("Crème brûlée") == (("Crème",), ("brûlée",))


async def test_a_query_matching_more_than_the_cap_ranks_the_newest_matches(database, monkeypatch):
    """Past RANKED_MATCHES matches only the newest are ranked: common words stay fast."""
    monkeypatch.setattr(search_module, "RANKED_MATCHES", 3)
    articles = [
        Article(
            url=f"https://skincare.example/{n}",
            title="Collagen, collagen, collagen" if n == 0 else f"Article {n}",
            sections=(Section("Body", 2, (f"Collagen note number {n}.",)),),
        )
        for n in range(5)
    ]
    await _store_all(database, *articles, KNIVES)
    everywhere = await _search(database, "collagen")
    assert sorted(hit.url for hit in everywhere) == [
        "https://kitchen.example/knives",
        "https://skincare.example/3",
        "https://skincare.example/4",
    ]
    on_the_site = await _search(database, "collagen", site="skincare")
    assert sorted(hit.url for hit in on_the_site) == [
        "https://skincare.example/2",
        "https://skincare.example/3",
        "https://skincare.example/4",
    ]
    monkeypatch.setattr(search_module, "RANKED_MATCHES", 10)
    assert (await _search(database, "collagen"))[0].url == "https://skincare.example/0"


async def test_search_leaves_the_callers_transaction_settings_alone(database):
    """PostgreSQL planner settings for the search end with it; the session goes on as before."""
    if database.dialect != "postgresql":
        pytest.skip("planner settings exist on PostgreSQL only")
    await _store_all(database, NEEDLING)
    async with database.session() as session:
        assert await search(session, "collagen")
        shown = await session.execute(text("SHOW enable_seqscan"))
        assert shown.scalar_one() == "on"


async def test_articles_stored_together_are_each_found_once(database):
    """One bulk write of several articles indexes every occurrence of each, once."""
    async with database.session() as session, session.begin():
        site_id = await repository.upsert_site(session, "skincare", "https://skincare.example/")
        writes = []
        for article in (NEEDLING, SERUMS):
            page = PageRecord(article.url, "stored", T0, status_code=200, content_hash="h")
            page_id = await repository.upsert_page(session, site_id, None, page)
            matches = [SectionMatch(canonical(s), 1.0, "new") for s in article.sections]
            writes.append(ArticleWrite(page_id, article, matches))
        await replace_articles(session, site_id, writes)
    assert sorted(_places(await _search(database, "collagen"))) == [
        (NEEDLING.url, 0),
        (SERUMS.url, 1),
    ]
    assert _places(await _search(database, "retinol", limit=10)) != []
    async with database.session() as session:
        rows = (await session.execute(text("SELECT count(*) FROM section_search"))).scalar_one()
    assert rows == len(NEEDLING.sections) + len(SERUMS.sections)


async def test_occurrences_inserted_past_the_writer_are_indexed_by_index_occurrences(database):
    """No trigger indexes a bare INSERT (migration 0007); index_occurrences does, once."""
    _, article_id = await _store_one(database, KNIVES)
    async with database.session() as session, session.begin():
        await session.execute(text("DELETE FROM section_search"))
        await session.execute(
            text(
                "INSERT INTO section_occurrences "
                "(article_id, position, heading, level, canonical_id, similarity, rule) "
                "SELECT article_id, position + 1, 'Honing', level, canonical_id, 1.0, 'new' "
                "FROM section_occurrences WHERE article_id = :id"
            ),
            {"id": article_id},
        )
    assert await _search(database, "whetstone") == []
    async with database.session() as session, session.begin():
        await search_module.index_occurrences(session, [article_id])
    assert sorted(hit.heading for hit in await _search(database, "whetstone")) == [
        "Honing",
        "Sharpening",
    ]


async def _store_one(database, article: Article) -> tuple[int, int]:
    async with database.session() as session, session.begin():
        return await store(session, article, site="kitchen")
