"""Full-text search speed: 100,000 synthetic sections, query latency median and p95.

Stores N sections (articles of 10 sections, ~40 words each drawn from a Zipf-like vocabulary,
so some words are in most sections and some in a handful) with bulk inserts (the triggers of
migration 0003 fill the index row by row, as for the pipeline), then times ``search()``
(limit 20, with snippets) for rare, common and multi-word queries and phrases. Target: p95 under
50 ms. Runs on a fresh SQLite file by default; ``--db`` takes an empty database, e.g. PostgreSQL:

    .venv/bin/python bench/search.py --sections 100000
    .venv/bin/python bench/search.py --db postgresql+psycopg://postgres@127.0.0.1/ingest_bench
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, text

from ingest.items import Article, Section
from ingest.store import repository
from ingest.store.db import Database
from ingest.store.models import (
    ArticleRow,
    Base,
    CanonicalSectionRow,
    PageRow,
    SectionOccurrenceRow,
    table_of,
)
from ingest.store.search import index_occurrences, search

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SECTIONS_PER_ARTICLE = 10
ARTICLES_PER_TRANSACTION = 200
VOCABULARY = [f"w{n}" for n in range(20_000)]
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
QUERIES = (
    "w0",  # in nearly every section
    "w5",
    "w50",
    "w500",
    "w5000",  # in a few hundred
    "w19999",  # in a handful
    "w1 w2",
    "w10 w200",
    '"w0 w1"',
    '"w3 w4" w100',
    "nothing",
)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=words)) + "."


def _article(rng: random.Random, n: int) -> Article:
    sections = tuple(
        Section(f"Heading {n}.{s} {_sentence(rng, 3)}", 2, (_sentence(rng, 20), _sentence(rng, 20)))
        for s in range(SECTIONS_PER_ARTICLE)
    )
    return Article(
        f"https://bench.example/{n}", f"Article {n} {_sentence(rng, 5)}", None, "en", sections
    )


async def fill(database: Database, sections: int) -> float:
    """Store ``sections`` sections with bulk Core inserts (the index triggers fire per row).

    ``ingest.store.articles.replace_article`` is not used: its per-article clean-up of orphaned
    canonical sections scans the whole site, which makes filling 100,000 sections take minutes.
    """
    rng = random.Random(8)
    started = time.perf_counter()
    now = datetime.now(UTC)
    async with database.transaction() as session:
        site_id = await repository.upsert_site(session, "bench", "https://bench.example/")
    articles = sections // SECTIONS_PER_ARTICLE
    for first in range(0, articles, ARTICLES_PER_TRANSACTION):
        last = min(first + ARTICLES_PER_TRANSACTION, articles)
        batch = [_article(rng, n) for n in range(first, last)]
        async with database.transaction() as session:
            pages = [
                {"site_id": site_id, "url": a.url, "outcome": "stored", "fetched_at": now}
                for a in batch
            ]
            page_ids = await _insert(session, PageRow, pages)
            rows = [
                {
                    "page_id": p,
                    "site_id": site_id,
                    "url": a.url,
                    "title": a.title,
                    "updated_at": now,
                }
                for p, a in zip(page_ids, batch, strict=True)
            ]
            article_ids = await _insert(session, ArticleRow, rows)
            placed = [
                (i, pos, s)
                for i, a in zip(article_ids, batch, strict=True)
                for pos, s in enumerate(a.sections)
            ]
            canonicals = [
                {
                    "site_id": site_id,
                    "fingerprint": f"{i}:{pos}",
                    "heading": s.heading,
                    "text": s.text,
                }
                for i, pos, s in placed
            ]
            canonical_ids = await _insert(session, CanonicalSectionRow, canonicals)
            occurrences = [
                {"article_id": i, "position": pos, "heading": s.heading, "level": s.level,
                 "canonical_id": c, "similarity": 1.0, "rule": "new"}
                for (i, pos, s), c in zip(placed, canonical_ids, strict=True)
            ]  # fmt: skip
            await session.execute(insert(table_of(SectionOccurrenceRow)), occurrences)
            await index_occurrences(session, article_ids)
    return time.perf_counter() - started


async def _insert(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Bulk-insert rows; their ids in the rows' order."""
    table = table_of(model)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(await session.scalars(statement, rows))


async def measure(database: Database, repeats: int) -> dict[str, tuple[float, float, int]]:
    """Per query: median ms, p95 ms, number of hits (limit 20)."""
    results = {}
    async with database.session() as session:
        for query in QUERIES:
            await search(session, query)  # warm the cache
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                hits = await search(session, query)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            results[query] = (statistics.median(times), p95, len(hits))
    return results


async def main() -> None:
    """Fill, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--db", default=None, help="an empty database URL (default: new SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        database = Database.from_url(url)
        try:
            await database.upgrade()
            seconds = await fill(database, args.sections)
            async with database.transaction() as session:
                await session.execute(text("ANALYZE"))  # as autovacuum would after such a load
            print(f"{database.dialect}: stored {args.sections:,} sections in {seconds:.1f} s")
            results = await measure(database, args.repeats)
        finally:
            await database.dispose()
    print(f"{'query':<16} {'median ms':>10} {'p95 ms':>8} {'hits':>5}")
    for query, (median, p95, hits) in results.items():
        print(f"{query:<16} {median:>10.1f} {p95:>8.1f} {hits:>5}")
    all_p95 = max(p95 for _, p95, _ in results.values())
    verdict = "OK" if all_p95 < 50 else "SLOW"
    print(f"worst p95 {all_p95:.1f} ms (target < 50 ms): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
