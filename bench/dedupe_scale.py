"""Section dedupe at scale: index a synthetic corpus into SQLite and PostgreSQL, print the figures.

The corpus: ``--sections`` sections (default 1,000,000) of 40-160 words drawn from a Zipf-like
vocabulary, five per article; 5% are near-duplicates of an earlier section (a word replaced,
a sentence cut or added, the heading changed), each with its known original. Articles go
through the shipped path, ``SectionIndex.assign`` (keys, one index lookup, the rule) then
``sections.store_canonicals`` (canonical rows and their keys) and the occurrence rows, in
transactions of ``--batch`` articles. Printed per database:

- indexing rate (sections/s over the whole load);
- lookup: median and p95 ms of ``assign`` for one article against the full index (read only);
- recall of the known near-duplicates (the copy landed in its original's group);
- peak RSS of this process.

    .venv/bin/python bench/dedupe_scale.py                       # 1M sections, both databases
    .venv/bin/python bench/dedupe_scale.py --sections 200000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
from sqlalchemy import insert, text

from ingest.config import DedupeConfig
from ingest.items import Section
from ingest.pipeline.sections import SectionIndex
from ingest.store import sections
from ingest.store.db import Database
from ingest.store.models import ArticleRow, PageRow, SectionOccurrenceRow, SiteRow, table_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.ext.asyncio import AsyncSession

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PER_ARTICLE = 5


def _vocabulary(rng: random.Random, size: int = 20000) -> tuple[list[str], list[float]]:
    """Words and their cumulative Zipf weights (a few very common words, a long tail)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(size)]
    total, cumulative = 0.0, []
    for rank in range(size):
        total += 1.0 / (rank + 1) ** 1.05
        cumulative.append(total)
    return words, cumulative


def corpus(n: int, seed: int = 7) -> Iterator[tuple[Section, int | None]]:
    """Yield (section, original index or None) for n sections; 5% near-duplicates."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    recent: list[tuple[str, list[str], int]] = []
    for i in range(n):
        if recent and rng.random() < 0.05:
            origin = rng.randrange(len(recent))
            heading, body, original = recent[origin]
            copy = list(body)
            edit = rng.choice(("word", "cut", "add", "heading"))
            if edit == "word":
                for _ in range(max(1, len(copy) // 30)):
                    copy[rng.randrange(len(copy))] = rng.choice(words)
            elif edit == "cut":
                copy = copy[: int(len(copy) * rng.uniform(0.6, 0.9))]
            elif edit == "add":
                copy += rng.choices(words, cum_weights=weights, k=rng.randint(5, 15))
            else:
                heading = "Also: " + heading
            yield Section(heading, 2, (" ".join(copy) + ".",)), original
            continue
        body = rng.choices(words, cum_weights=weights, k=rng.randint(40, 160))
        heading = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(1, 4)))
        recent.append((heading.capitalize(), body, i))
        if len(recent) > 2000:
            recent.pop(0)
        yield Section(heading, 2, (" ".join(body) + ".",)), None


async def load(database: Database, n: int, batch: int) -> dict[str, float]:
    """Index n sections into ``database``; the figures."""
    config = DedupeConfig()
    await database.upgrade()
    async with database.transaction() as session:
        site_id = (
            await session.execute(
                insert(table_of(SiteRow)).returning(table_of(SiteRow).c.id),
                {"name": "bench", "url": "https://bench.example/", "created_at": _now()},
            )
        ).scalar_one()
    index = SectionIndex(config, site_id)
    group_of: dict[int, int] = {}  # section index -> canonical id
    copies: list[tuple[int, int]] = []
    stream = corpus(n)
    done = 0
    started = time.perf_counter()
    article = 0
    while done < n:
        async with database.transaction() as session:
            for _ in range(batch):
                if done >= n:
                    break
                chunk = []
                for _ in range(min(PER_ARTICLE, n - done)):
                    chunk.append(next(stream))
                    done += 1
                found = [s for s, _ in chunk]
                matches, keys = await index.assign(session, found)
                ids = await sections.store_canonicals(
                    session, site_id, [m.canonical for m in matches], keys
                )
                article_id = await _article(session, site_id, article)
                article += 1
                await session.execute(
                    insert(table_of(SectionOccurrenceRow)),
                    [
                        {
                            "article_id": article_id,
                            "position": p,
                            "heading": s.heading,
                            "level": 2,
                            "canonical_id": ids[m.canonical.fingerprint],
                            "similarity": m.similarity,
                            "rule": m.rule,
                        }
                        for p, (s, m) in enumerate(zip(found, matches, strict=True))
                    ],
                )
                base = done - len(chunk)
                for offset, ((_, origin), m) in enumerate(zip(chunk, matches, strict=True)):
                    group_of[base + offset] = ids[m.canonical.fingerprint]
                    if origin is not None:
                        copies.append((base + offset, origin))
    elapsed = time.perf_counter() - started
    found_copies = sum(1 for copy, origin in copies if group_of[copy] == group_of[origin])
    lookups = []
    probe = corpus(2000, seed=99)
    async with database.session() as session:
        for _ in range(200):
            article_sections = [next(probe)[0] for _ in range(PER_ARTICLE)]
            t = time.perf_counter()
            await index.assign(session, article_sections)
            lookups.append((time.perf_counter() - t) * 1000)
    lookups.sort()
    return {
        "rate": n / elapsed,
        "seconds": elapsed,
        "median": statistics.median(lookups),
        "p95": lookups[int(len(lookups) * 0.95)],
        "recall": found_copies / max(len(copies), 1),
        "copies": len(copies),
        "rss": psutil.Process().memory_info().rss / 2**20,
    }


def _now() -> datetime:
    return datetime.now(UTC)


async def _article(session: AsyncSession, site_id: int, n: int) -> int:
    url = f"https://bench.example/{n}/"
    pages, articles = table_of(PageRow), table_of(ArticleRow)
    page = {"site_id": site_id, "url": url, "outcome": "stored", "fetched_at": _now()}
    page_id = (await session.execute(insert(pages).returning(pages.c.id), page)).scalar_one()
    row = {"page_id": page_id, "site_id": site_id, "url": url, "title": url, "updated_at": _now()}
    return int((await session.execute(insert(articles).returning(articles.c.id), row)).scalar_one())


async def _pg_database() -> tuple[Database, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = Database.from_url(PG)
    async with admin.engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    return Database.from_url(f"{PG}?options=-csearch_path%3D{schema}"), schema


async def main() -> None:
    """Parse the arguments, load each database, print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=200, help="articles per transaction")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in {"sqlite", "both"}:
            database = Database.from_url(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            try:
                results["SQLite"] = await load(database, args.sections, args.batch)
            finally:
                await database.dispose()
        if args.db in {"postgresql", "both"}:
            database, schema = await _pg_database()
            try:
                results["PostgreSQL"] = await load(database, args.sections, args.batch)
            finally:
                await database.dispose()
                admin = Database.from_url(PG)
                async with admin.engine.begin() as connection:
                    await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                await admin.dispose()
    print(f"{args.sections:,} sections, {PER_ARTICLE} per article, 5% near-duplicates")
    print(f"{'':28}" + "".join(f"{name:>14}" for name in results))
    rows = (
        ("index sections/s (all)", "rate", "{:,.0f}"),
        ("load seconds", "seconds", "{:,.1f}"),
        ("lookup ms/article median", "median", "{:.2f}"),
        ("lookup ms/article p95", "p95", "{:.2f}"),
        ("recall of known copies", "recall", "{:.3f}"),
        ("known copies", "copies", "{:,.0f}"),
        ("peak RSS MiB (process)", "rss", "{:.0f}"),
    )
    for label, key, fmt in rows:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>14}" for r in results.values()))
    print("targets (SQLite): >= 10,000 sections/s, lookup median < 5 ms, RSS < 500 MiB")


if __name__ == "__main__":
    asyncio.run(main())
