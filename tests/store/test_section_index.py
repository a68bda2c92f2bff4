"""The persistent near-duplicate index, on a real SQLite file and on PostgreSQL.

Articles go through the pipeline's own path (``SectionIndex.assign`` then
``ingest.store.articles.replace_article``, one transaction each); assertions read the stored rows.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from ingest.config import DedupeConfig, MergeRule
from ingest.items import Article, Section
from ingest.pipeline import sections as pipeline_sections
from ingest.pipeline.regroup import ensure_grouped, regroup
from ingest.pipeline.sections import SectionIndex, scope_of
from ingest.store import queries, repository, sections
from ingest.store.articles import replace_article
from ingest.store.db import Database
from ingest.store.models import (
    SEGMENT_BITS,
    CanonicalSectionRow,
    SectionBandRow,
    SectionOccurrenceRow,
)
from ingest.store.repository import PageRecord

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PAIRS = json.loads((Path(__file__).parents[1] / "dedupe_pairs.json").read_text(encoding="utf-8"))
SEED = next(p for p in PAIRS if p["id"] == "seed-understanding-microneedling")
TEMPLATE = next(p for p in PAIRS if p["category"] == "boilerplate_template")
DISCLOSURE = Section(
    "", 0, ("We may earn a commission when you buy through links on this page, at no cost to you.",)
)


def _section(side: dict[str, str]) -> Section:
    return Section(side["heading"], 2, tuple(p for p in side["text"].split("\n") if p))


def _article(url: str, *sections: Section) -> Article:
    return Article(url=url, title=url.rsplit("/", 2)[-2], sections=tuple(sections))


def _corpus() -> list[tuple[str, Article]]:
    """(site, article): every labelled pair as two articles of one site, a disclosure on most."""
    articles = []
    for n, pair in enumerate(PAIRS[:60]):
        site = "blog" if n % 2 else "news"
        for side in ("a", "b"):
            extra = (DISCLOSURE,) if n % 3 else ()
            url = f"https://{site}.example/{pair['id']}-{side}/"
            articles.append((site, _article(url, _section(pair[side]), *extra)))
    return articles


async def _store(database, config: DedupeConfig, site: str, article: Article) -> int:
    async with database.transaction() as session:
        site_id = await repository.upsert_site(session, site, f"https://{site}.example/")
        index = SectionIndex(config, scope_of(config, site_id))
        matches, keys = await index.assign(session, article.sections)
        record = PageRecord(article.url, "stored", T0, status_code=200, content_hash=article.url)
        page_id = await repository.upsert_page(session, site_id, None, record)
        await replace_article(session, site_id, page_id, article, matches, keys=keys)
    return site_id


async def _groups(database) -> list[tuple[str, str, int, str, str]]:
    """Every grouped occurrence as (canonical fingerprint, url, position, rule, similarity)."""
    async with database.session() as session:
        return [
            (g.fingerprint, o.url, o.position, o.rule, f"{o.similarity:.4f}")
            for g in await queries.list_duplicate_groups(session)
            for o in g.occurrences
        ]


async def _count(database, table) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_the_index_merges_the_seed_pair_and_keeps_templates_apart(database):
    """The reworded seed section merges (heading rule); a template with other facts does not."""
    config = DedupeConfig()
    for side in ("a", "b"):
        await _store(
            database, config, "s", _article(f"https://s.example/seed-{side}/", _section(SEED[side]))
        )
        await _store(
            database,
            config,
            "s",
            _article(f"https://s.example/t-{side}/", _section(TEMPLATE[side])),
        )
    groups = await _groups(database)
    assert [(url.rsplit("/", 2)[-2], rule) for _, url, _, rule, _ in groups] == [
        ("seed-a", "new"),
        ("seed-b", "heading"),
    ]
    assert await _count(database, CanonicalSectionRow) == 3


async def test_two_runs_and_a_regroup_give_identical_groups(database_url, tmp_path):
    """Same data, same order: the same rows on a second database and after a rebuild."""
    config = DedupeConfig()
    results = []
    calls: list[tuple[str, int, int]] = []

    def record(step: str, done: int, total: int) -> None:
        calls.append((step, done, total))

    for name in ("one", "two"):
        url = database_url if name == "one" else f"sqlite+aiosqlite:///{tmp_path / 'two.db'}"
        database = Database.from_url(url)
        await database.upgrade()
        try:
            for site, article in _corpus():
                await _store(database, config, site, article)
            results.append(await _groups(database))
            if name == "one":
                async with database.session() as session:
                    site_ids = await sections.all_site_ids(session)
                bands = await _count(database, SectionBandRow)
                summary = await regroup(database, config, site_ids, batch=7, progress=record)
                assert summary.articles == len(_corpus())
                done = [d for _, d, _ in calls]  # progress after each batch, up to every article
                assert done == sorted(done)
                assert len(done) == -(-len(_corpus()) // 7)
                assert calls[-1] == ("regroup", len(_corpus()), len(_corpus()))
                assert await _groups(database) == results[0]
                assert await _count(database, SectionBandRow) == bands
        finally:
            await database.dispose()
    assert results[0] == results[1]
    assert len({g[0] for g in results[0]}) >= 40  # groups formed: the test means something
    assert {g[3] for g in results[0]} >= {"new", "exact", "near", "contained", "heading"}


async def test_changing_an_article_removes_its_sections_from_the_index(database):
    """A canonical section nothing points to is deleted with its keys; later copies found none."""
    config = DedupeConfig()
    first = _article("https://s.example/a/", _section(SEED["a"]))
    await _store(database, config, "s", first)
    bands = await _count(database, SectionBandRow)
    assert bands > 2
    other = Section(
        "Something else", 2, ("A completely different paragraph about sunscreen and SPF.",)
    )
    await _store(database, config, "s", _article("https://s.example/a/", other))
    async with database.session() as session:
        left = list(await session.scalars(select(CanonicalSectionRow.heading)))
        orphans = await session.execute(
            select(func.count())
            .select_from(SectionBandRow)
            .where(SectionBandRow.canonical_id.not_in(select(CanonicalSectionRow.id)))
        )
    assert left == ["Something else"]
    assert orphans.scalar_one() == 0
    await _store(database, config, "s", _article("https://s.example/b/", _section(SEED["b"])))
    async with database.session() as session:
        rules = list(await session.scalars(select(SectionOccurrenceRow.rule)))
    assert sorted(rules) == ["new", "new"]


async def test_overrides_never_and_always_merge(database):
    """never_merge keeps a near copy apart; always_merge joins different texts."""
    near = next(p for p in PAIRS if p["category"] == "typography")
    other = next(p for p in PAIRS if p["category"] == "unrelated")
    never = MergeRule(text=near["a"]["text"].split()[0])
    always = MergeRule(heading=f"^{other['a']['heading']}$|^{other['b']['heading']}$")
    config = DedupeConfig(never_merge=(never,), always_merge=(always,))
    for side in ("a", "b"):
        await _store(
            database, config, "s", _article(f"https://s.example/n-{side}/", _section(near[side]))
        )
        await _store(
            database, config, "s", _article(f"https://s.example/u-{side}/", _section(other[side]))
        )
    groups = await _groups(database)
    assert [(url.rsplit("/", 2)[-2], rule) for _, url, _, rule, _ in groups] == [
        ("u-a", "new"),
        ("u-b", "always"),
    ]


async def test_scope_all_merges_across_sites_and_site_scope_does_not(database):
    """The same section on two sites: one group with scope all, two with scope site."""
    for config, expected in ((DedupeConfig(), 0), (DedupeConfig(scope="all"), 1)):
        async with database.transaction() as session:
            await session.execute(delete(SectionOccurrenceRow))
            await session.execute(delete(CanonicalSectionRow))
        await _store(
            database,
            config,
            "one",
            _article(f"https://one.example/{config.scope}/", _section(SEED["a"])),
        )
        await _store(
            database,
            config,
            "two",
            _article(f"https://two.example/{config.scope}/", _section(SEED["b"])),
        )
        assert len(await _groups(database)) == 2 * expected


async def test_boilerplate_is_flagged_not_deleted(database):
    """A section on most articles of a site is flagged as its boilerplate; its rows stay."""
    config = DedupeConfig()
    for n, pair in enumerate(PAIRS[:8]):
        extra = (DISCLOSURE,) if n < 6 else ()
        site_id = await _store(
            database, config, "s", _article(f"https://s.example/{n}/", _section(pair["a"]), *extra)
        )
    async with database.transaction() as session:
        assert await sections.flag_boilerplate(session, site_id, 0.5, 5) == 1
    async with database.session() as session:
        groups = await queries.list_duplicate_groups(session)
    flagged = [(g.heading, len(g.occurrences)) for g in groups if g.boilerplate]
    assert flagged == [("", 6)]
    assert all(len(g.occurrences) < 5 for g in groups if not g.boilerplate)
    async with database.transaction() as session:  # fewer articles than the minimum: none
        assert await sections.flag_boilerplate(session, site_id, 0.5, 50) == 0


async def test_changed_settings_regroup_the_site(database):
    """A site grouped with other settings (or before the index existed) is regrouped once."""
    config = DedupeConfig()
    site_id = 0
    for side in ("a", "b"):
        site_id = await _store(
            database,
            DedupeConfig(heading_threshold=0.9),
            "s",
            _article(f"https://s.example/{side}/", _section(SEED[side])),
        )
    assert await _groups(database) == []  # the strict setting kept the seed pair apart
    summary = await ensure_grouped(database, config, site_id)
    assert summary is not None
    assert summary.merged == 1
    assert [g[3] for g in await _groups(database)] == ["new", "heading"]
    assert await ensure_grouped(database, config, site_id) is None  # now current


async def test_lookup_asks_every_segment_up_to_the_newest(database):
    """Keys of sections with ids past the first segment (``id >> 17``) are found by a lookup."""
    async with database.transaction() as session:
        site_id = await repository.upsert_site(session, "s", "https://s.example/")
        for canonical_id in (3, (1 << SEGMENT_BITS) + 5, (2 << SEGMENT_BITS) + 1):
            await session.execute(
                insert(CanonicalSectionRow).values(
                    id=canonical_id,
                    site_id=site_id,
                    fingerprint=f"f{canonical_id}",
                    heading="",
                    text=str(canonical_id),
                )
            )
            await sections.add_keys(session, [(canonical_id, [canonical_id * 10, 7])])
    async with database.session() as session:
        found = await sections.find_keys(session, [30, 7, ((2 << SEGMENT_BITS) + 1) * 10], 10)
        oldest_two = await sections.find_keys(session, [7], 2)
    newest = (2 << SEGMENT_BITS) + 1
    assert found == {30: [3], 7: [3, (1 << SEGMENT_BITS) + 5, newest], newest * 10: [newest]}
    assert oldest_two == {7: [3, (1 << SEGMENT_BITS) + 5]}  # the limit holds across segments


async def test_a_batch_gives_the_event_loop_a_turn_between_articles(database, monkeypatch):
    """assign_many does not hold the loop for a whole batch: other tasks run between articles."""
    ticks = 0
    seen: list[tuple[str, int]] = []  # (first section's heading, ticks) at each article's start

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    real_match = pipeline_sections._Batch.match

    def match(self, section, keys):
        if section.canonical.heading.endswith(" 0"):
            seen.append((section.canonical.heading, ticks))
        return real_match(self, section, keys)

    monkeypatch.setattr(pipeline_sections._Batch, "match", match)
    articles = [
        [
            Section(f"Part {n} {k}", 2, (f"Article {n} says {k} things about tides.",))
            for k in range(3)
        ]
        for n in range(12)
    ]
    task = asyncio.create_task(ticker())
    try:
        async with database.transaction() as session:
            site_id = await repository.upsert_site(session, "s", "https://s.example/")
            await SectionIndex(DedupeConfig(), site_id).assign_many(session, articles)
    finally:
        task.cancel()
    assert len(seen) == len(articles)
    assert all(later[1] > earlier[1] for earlier, later in itertools.pairwise(seen))
