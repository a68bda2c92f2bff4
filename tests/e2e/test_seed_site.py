"""The whole pipeline on the fixture blog, over real HTTP, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from ingest.config import Config, ExtractConfig, SiteConfig
from ingest.errors import StoreError
from ingest.pipeline import run
from ingest.render import section_to_dict
from ingest.store import articles, queries, repository
from ingest.store.models import ArticleRow, Base

if TYPE_CHECKING:
    import pytest

    from ingest.demo import FixtureServer
    from ingest.store.db import Database

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "skincare" / "expected"
GOLDENS = {
    p.stem: json.loads(p.read_text(encoding="utf-8"))
    for p in sorted(EXPECTED.glob("*.json"))
    if p.name != "ads.txt.json"
}
ARTICLES = {slug: g for slug, g in GOLDENS.items() if g["is_article"]}
ORIGIN_IN_FIXTURES = "http://127.0.0.1:8765"


def _config(server: FixtureServer, **site: Any) -> Config:
    return Config(
        sites=(
            SiteConfig(
                name="skincare", url=server.origin + "/", allow_private_networks=True, **site
            ),
        )
    )


def _url(server: FixtureServer, golden: dict[str, Any]) -> str:
    return str(golden["url"]).replace(ORIGIN_IN_FIXTURES, server.origin)


async def _snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the run log, which grows by one per run."""
    rows = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "runs":
                continue
            columns = [c for c in table.columns if c.name != "run_id"]
            result = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(r) for r in result]
    return rows


async def test_seed_site_end_to_end(site: FixtureServer, database: Database):
    """Three articles stored exactly as the goldens say, one merge group, ads.txt, no chrome."""
    report = await run(_config(site), database=database)

    assert report.failures == ()
    assert report.total("articles") == 3
    assert report.total("skipped") == 1  # the home page is a listing, not an article
    assert report.total("adstxt_records") == 4
    assert [n.url.rsplit(":", 1)[1] for n in report.notices] == ["13"]  # the malformed ads.txt line

    async with database.session() as session:
        for golden in ARTICLES.values():
            stored = await queries.get_article(session, _url(site, golden))
            assert stored is not None, golden["url"]
            got = {
                "title": stored.title,
                "description": stored.description,
                "language": stored.language,
                "sections": [section_to_dict(s.section) for s in stored.sections],
            }
            want = {
                k: golden["extract"][k] for k in ("title", "description", "language", "sections")
            }
            assert got == want, golden["url"]

        groups = await queries.list_duplicate_groups(session)
        assert len(groups) == 1
        (group,) = groups
        assert group.heading == "Understanding Microneedling"
        assert sorted(o.url.rsplit("/", 2)[1] for o in group.occurrences) == [
            "can-i-use-vitamin-a-serum-after-microneedling",
            "what-does-microneedling-actually-do",
        ]

        conclusions = await session.execute(
            text("SELECT canonical_id FROM section_occurrences WHERE heading = 'Conclusion'")
        )
        assert len({row[0] for row in conclusions}) == 3

        found = await queries.get_adstxt(session, "skincare")
        assert found is not None
        records = found[2].records
        assert ("google.com", "pub-2032008856654686", "DIRECT", "f08c47fec0942fa0") in {
            (r.domain, r.account_id, r.relationship, r.certification_id) for r in records
        }
        assert [i.line for i in found[2].issues] == [13]

        for golden in ARTICLES.values():
            url = _url(site, golden)
            rows = await session.execute(
                text(
                    "SELECT o.heading, c.heading, c.text, p.text, i.text "
                    "FROM articles a JOIN section_occurrences o ON o.article_id = a.id "
                    "JOIN canonical_sections c ON c.id = o.canonical_id "
                    "LEFT JOIN paragraphs p ON p.occurrence_id = o.id "
                    "LEFT JOIN lists l ON l.occurrence_id = o.id "
                    "LEFT JOIN list_items i ON i.list_id = l.id WHERE a.url = :url"
                ),
                {"url": url},
            )
            stored_text = "\n".join(str(value) for row in rows for value in row if value)
            for chrome in golden["must_not_contain"]:
                assert chrome.casefold() not in stored_text.casefold(), (url, chrome)
            for content in golden["must_contain"]:
                assert content in stored_text, (url, content)


async def test_second_run_changes_no_row(site: FixtureServer, database: Database):
    """A re-run of an unchanged site sends conditional requests and writes nothing."""
    config = _config(site)
    await run(config, database=database)
    before = await _snapshot(database)
    site.clear()

    report = await run(config, database=database)

    assert report.ok
    assert report.total("articles") == 0
    assert report.total("not_modified") == len(GOLDENS)
    assert await _snapshot(database) == before
    conditional = [r for r in site.requests if r.path.endswith("/") and r.method == "GET"]
    assert conditional
    assert all("if-none-match" in {k.lower() for k in r.headers} for r in conditional)


async def test_404_article_is_reported_and_the_rest_stored(site: FixtureServer, database: Database):
    """A missing article is a failure naming its URL; the other articles are stored."""
    site.set_status("/why-is-my-skin-darker-after-microneedling/", 404)

    report = await run(_config(site), database=database)

    assert not report.ok
    (failure,) = report.failures
    assert (failure.site, failure.kind) == ("skincare", "http_404")
    assert failure.url.endswith("/why-is-my-skin-darker-after-microneedling/")
    assert report.total("articles") == 2


async def test_failed_refetch_keeps_what_was_stored(site: FixtureServer, database: Database):
    """A later failure leaves the article stored by an earlier run whole."""
    config = _config(site)
    await run(config, database=database)
    golden = ARTICLES["what-does-microneedling-actually-do"]
    async with database.session() as session:
        before = await queries.get_article(session, _url(site, golden))
    site.set_status("/what-does-microneedling-actually-do/", 500, times=None)

    report = await run(config, database=database)

    assert [f.kind for f in report.failures] == ["http_5xx"]
    async with database.session() as session:
        after = await queries.get_article(session, _url(site, golden))
    assert after == before


async def test_site_that_is_down_does_not_stop_the_others(site: FixtureServer, database: Database):
    """A site nobody answers for is one failure naming it; the next site is ingested."""
    down = SiteConfig(name="down", url="http://127.0.0.1:9/", allow_private_networks=True)
    config = Config(sites=(down, *_config(site).sites))

    report = await run(config, database=database)

    assert {f.site for f in report.failures} == {"down"}
    assert all(f.kind in {"connect", "blocked_robots"} for f in report.failures)
    assert report.total("articles") == 3


async def test_a_run_left_running_is_marked_aborted(site: FixtureServer, database: Database):
    """A run killed mid-way (still marked running) is marked aborted by the next run."""
    async with database.transaction() as session:
        killed = await repository.start_run(session, started_at=datetime(2026, 1, 1, tzinfo=UTC))

    report = await run(_config(site), database=database)

    async with database.session() as session:
        rows = (await session.execute(text("SELECT id, status FROM runs"))).all()
        statuses: dict[int, str] = {row[0]: row[1] for row in rows}
    assert statuses == {killed: "aborted", report.run_id: "ok"}


async def test_an_article_that_cannot_be_stored_fails_alone(
    site: FixtureServer, database: Database, monkeypatch: pytest.MonkeyPatch
):
    """A batch with an article that cannot be stored is rolled back and stored one by one.

    Articles ready together are stored in one transaction; the failure names its URL and the
    others land.
    """
    bad = "/why-is-my-skin-darker-after-microneedling/"
    site.set_delay("/can-i-use-vitamin-a-serum-after-microneedling/", 1.0)  # the others wait
    real = articles.replace_articles
    batches: list[int] = []

    async def refuse_one(session, site_id, writes):
        batches.append(len(writes))
        if any(write.article.url.endswith(bad) for write in writes):
            raise StoreError("articles", bad, "refused by the test")
        return await real(session, site_id, writes)

    monkeypatch.setattr(articles, "replace_articles", refuse_one)

    report = await run(_config(site), database=database)

    assert batches[0] == 3  # stored together first, then one at a time
    assert sorted(batches[1:]) == [1, 1, 1]
    assert [(f.kind, f.url.endswith(bad)) for f in report.failures] == [("store", True)]
    assert report.total("articles") == 2
    async with database.session() as session:
        urls = set(await session.scalars(select(ArticleRow.url)))
    assert len(urls) == 2
    assert not any(url.endswith(bad) for url in urls)


async def test_a_sites_extract_selectors_shape_what_a_run_stores(
    site: FixtureServer, database: Database
):
    """sites.yaml's extract: block reaches the parse workers: dropped parts are not stored."""
    config = _config(site, extract=ExtractConfig(content="article", drop=("h2", "ul")))
    report = await run(config, database=database)
    assert report.ok
    assert report.total("articles") == len(ARTICLES)
    async with database.session() as session:
        for golden in ARTICLES.values():
            stored = await queries.get_article(session, _url(site, golden))
            assert stored is not None, golden["url"]
            assert stored.title == golden["extract"]["title"]
            assert all(s.section.level != 2 for s in stored.sections), golden["url"]
            assert not any(s.section.lists for s in stored.sections), golden["url"]
