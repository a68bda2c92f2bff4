"""Section dedupe at scale: index a synthetic corpus into SQLite and PostgreSQL, print the figures.

The corpus: ``--sections`` sections (default 1,000,000) of 40-160 words drawn from a Zipf-like
vocabulary, five per article; 5% are near-duplicates of an earlier section (a word replaced,
a sentence cut or added, the heading changed), each with its known original. Articles go
through the shipped bulk path, ``SectionIndex.assign_many`` (keys, one index lookup per batch,
the rule) then ``sections.insert_canonicals`` (canonical rows and their keys) and the occurrence
rows, ``--batch`` articles at a time as ``ingest dedupe --rebuild`` takes them, each batch its
own transaction (a rebuild holds one for the whole; a run commits up to 64 pages). The lookup
figure is the per-article path a run takes (``SectionIndex.assign``, one article against the
full index). Printed per database:

- indexing rate (sections/s over the whole load);
- lookup: median and p95 ms of ``assign`` for one article against the full index (read only);
- recall of the known near-duplicates (the copy landed in its original's group);
- peak RSS of this process.

    .venv/bin/python bench/dedupe_scale.py                       # 1M sections, both databases
    .venv/bin/python bench/dedupe_scale.py --sections 200000 --db sqlite --floor
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from array import array
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
from sqlalchemy import insert, select, text

from ingest.config import DedupeConfig
from ingest.items import Section
from ingest.pipeline.sections import SectionIndex
from ingest.store import sections
from ingest.store.db import Database
from ingest.store.models import (
    ArticleRow,
    PageRow,
    SectionBandRow,
    SectionOccurrenceRow,
    SiteRow,
    table_of,
)
from ingest.store.upsert import insert_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.ext.asyncio import AsyncSession

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PER_ARTICLE = 5
OCCURRENCE_COLUMNS = [
    "article_id",
    "position",
    "heading",
    "level",
    "canonical_id",
    "similarity",
    "rule",
]


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


def _batches(n: int, batch: int) -> Iterator[list[list[tuple[Section, int | None]]]]:
    """The corpus of n sections as batches of ``batch`` articles of PER_ARTICLE sections."""
    stream = corpus(n)
    done = 0
    while done < n:
        chunks: list[list[tuple[Section, int | None]]] = []
        for _ in range(batch):
            if done >= n:
                break
            size = min(PER_ARTICLE, n - done)
            chunks.append([next(stream) for _ in range(size)])
            done += size
        yield chunks


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
    group_of = array("q", bytes(8 * n))  # section index -> canonical id, 8 bytes each
    copies: list[tuple[int, int]] = []
    batches = _batches(n, batch)
    done = 0
    started = time.perf_counter()
    article = 0
    generating = 0.0
    while done < n:
        generated = time.perf_counter()
        chunks = next(batches)
        done += sum(len(c) for c in chunks)
        generating += time.perf_counter() - generated
        async with database.transaction() as session:
            assigned = await index.assign_many(session, [[s for s, _ in c] for c in chunks])
            new = [
                (site_id, m.canonical, founded[m.canonical.fingerprint])
                for matches, founded in assigned
                for m in matches
                if m.rule == "new"
            ]
            ids = await sections.insert_canonicals(session, new)
            first_article = await _articles(session, site_id, article, len(chunks))
            rows = []
            base = done - sum(len(c) for c in chunks)
            for offset, (chunk, (matches, _)) in enumerate(zip(chunks, assigned, strict=True)):
                for p, ((s, origin), m) in enumerate(zip(chunk, matches, strict=True)):
                    canonical_id = (
                        m.canonical.id
                        if m.canonical.id is not None
                        else ids[m.canonical.fingerprint]
                    )
                    rows.append(
                        (
                            first_article + offset,
                            p,
                            s.heading,
                            2,
                            canonical_id,
                            m.similarity,
                            m.rule,
                        )
                    )
                    group_of[base] = canonical_id
                    if origin is not None:
                        copies.append((base, origin))
                    base += 1
            article += len(chunks)
            await insert_rows(session, SectionOccurrenceRow, OCCURRENCE_COLUMNS, rows)
    elapsed = time.perf_counter() - started - generating
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
        "generating": generating,
        "median": statistics.median(lookups),
        "p95": lookups[int(len(lookups) * 0.95)],
        "recall": found_copies / max(len(copies), 1),
        "copies": len(copies),
        "rss": psutil.Process().memory_info().rss / 2**20,
    }


def floor(
    path: Path, n: int, batch: int, cache_mib: int = 0, *, id_index: bool = True
) -> dict[str, float]:
    """What SQLite alone takes for the rows and lookups of n sections: no Python of ingest.

    The same schema (migrated by Alembic) and pragmas (and a page cache of ``cache_mib`` MiB
    if given, else SQLite's 2 MiB), the same statements through the stdlib driver: per batch
    one json_each lookup of every section's 12 keys, then the canonical rows (700 bytes of
    text), 12 random 64-bit keys per section, the pages, articles and occurrences.
    The seconds each kind of statement took come back too (``lookup``, ``canonicals``,
    ``keys``, ``articles``, ``occurrences``, ``commit``).
    """
    connection = sqlite3.connect(path)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    if cache_mib:
        connection.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
    if not id_index:  # what the keys cost without the index that removing a section's keys uses
        for index in table_of(SectionBandRow).indexes:
            if [column.name for column in index.columns] == ["canonical_id"]:
                connection.execute(f"DROP INDEX {index.name}")
    connection.execute("INSERT INTO sites (name, url, created_at) VALUES ('f', 'u', '2026-01-01')")
    site = connection.execute("SELECT max(id) FROM sites").fetchone()[0]
    rng = random.Random(3)
    text = "lorem ipsum dolor sit amet consectetur " * 18
    lookup = (
        "SELECT band, canonical_id FROM section_bands WHERE segment IN (SELECT value FROM "
        "json_each(?)) AND band IN (SELECT value FROM json_each(?))"
    )
    spent: dict[str, float] = dict.fromkeys(FLOOR_PARTS, 0.0)
    clock = time.perf_counter

    def timed(part: str, since: float) -> float:
        now = clock()
        spent[part] += now - since
        return now

    started = clock()
    next_id = 1
    per_batch = batch * PER_ARTICLE
    for first in range(0, n, per_batch):
        count = min(per_batch, n - first)
        keys = [rng.getrandbits(63) for _ in range(12 * count)]
        segments = list(range(((next_id + count) >> 17) + 1))
        mark = clock()
        connection.execute(lookup, (json.dumps(segments), json.dumps(keys))).fetchall()
        mark = timed("lookup", mark)
        connection.executemany(
            "INSERT INTO canonical_sections (site_id, fingerprint, heading, text) VALUES (?,?,?,?)",
            [(site, f"{rng.getrandbits(128):032x}", "Heading", text) for _ in range(count)],
        )
        ids = [
            i
            for (i,) in connection.execute(
                "SELECT id FROM canonical_sections WHERE id >= ? ORDER BY id", (next_id,)
            )
        ]
        mark = timed("canonicals", mark)
        connection.executemany(
            "INSERT INTO section_bands (segment, band, canonical_id) VALUES (?,?,?)",
            [(i >> 17, keys[k * 12 + j], i) for k, i in enumerate(ids) for j in range(12)],
        )
        mark = timed("keys", mark)
        articles = []
        for a in range(count // PER_ARTICLE):
            url = f"https://f.example/{first + a}/"
            page = connection.execute(
                "INSERT INTO pages (site_id, url, outcome, fetched_at) VALUES (?,?,?,?)",
                (site, url, "stored", "2026-01-01"),
            ).lastrowid
            articles.append(
                connection.execute(
                    "INSERT INTO articles (page_id, site_id, url, title, updated_at) "
                    "VALUES (?,?,?,?,?)",
                    (page, site, url, url, "2026-01-01"),
                ).lastrowid
            )
        mark = timed("articles", mark)
        connection.executemany(
            "INSERT INTO section_occurrences (article_id, position, heading, level, canonical_id,"
            " similarity, rule) VALUES (?,?,?,?,?,?,?)",
            [
                (articles[k // PER_ARTICLE], k % PER_ARTICLE, "Heading", 2, i, 1.0, "new")
                for k, i in enumerate(ids[: len(articles) * PER_ARTICLE])
            ],
        )
        mark = timed("occurrences", mark)
        connection.commit()
        timed("commit", mark)
        next_id = ids[-1] + 1
    elapsed = clock() - started
    connection.close()
    return {"rate": n / elapsed, "seconds": elapsed, **spent}


def python_alone(n: int, batch: int) -> dict[str, float]:
    """What ingest's Python alone takes for n sections: keys, candidates and the rule, no I/O.

    ``SectionIndex.assign_alone`` on the same corpus, ``batch`` articles at a time: each batch
    is matched as on an empty database (its candidates are its own sections), so it is less
    rule work than the load does against a full index: a ceiling of the Python side's rate.
    """
    index = SectionIndex(DedupeConfig(), 1)
    spent = 0.0
    for chunks in _batches(n, batch):
        articles = [[s for s, _ in c] for c in chunks]
        started = time.process_time()
        index.assign_alone(articles)
        spent += time.process_time() - started
    return {"rate": n / spent, "seconds": spent}


FLOOR_PARTS = ("lookup", "canonicals", "keys", "articles", "occurrences", "commit")
"""The statements :func:`floor` times apart, in the order it runs them."""


def _now() -> datetime:
    return datetime.now(UTC)


async def _articles(session: AsyncSession, site_id: int, first: int, count: int) -> int:
    """Insert ``count`` pages and their articles; the first article's id (ids run on)."""
    pages, articles = table_of(PageRow), table_of(ArticleRow)
    urls = [f"https://bench.example/{n}/" for n in range(first, first + count)]
    now = _now()
    await session.execute(
        insert(pages),
        [{"site_id": site_id, "url": u, "outcome": "stored", "fetched_at": now} for u in urls],
    )
    page_ids = dict(
        (await session.execute(select(pages.c.url, pages.c.id).where(pages.c.url.in_(urls)))).all()
    )
    await session.execute(
        insert(articles),
        [
            {"page_id": page_ids[u], "site_id": site_id, "url": u, "title": u, "updated_at": now}
            for u in urls
        ],
    )
    ids = select(articles.c.id).where(articles.c.url.in_(urls)).order_by(articles.c.id)
    found = list(await session.scalars(ids))
    assert found == list(range(found[0], found[0] + count)), "article ids must run on"
    return int(found[0])


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
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time SQLite alone storing the same rows (the ceiling of any Python on top)",
    )
    parser.add_argument(
        "--floor-cache",
        type=int,
        default=0,
        metavar="MIB",
        help="page cache of the --floor connection in MiB (default: SQLite's own, 2 MiB)",
    )
    parser.add_argument(
        "--floor-without-id-index",
        action="store_true",
        help="drop the index on the keys' canonical id for the --floor run (what it costs)",
    )
    parser.add_argument(
        "--python-alone",
        action="store_true",
        help="also time ingest's keys, candidates and rule with no database (the other ceiling)",
    )
    args = parser.parse_args()
    results = {}
    alone: dict[str, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.floor:
            path = Path(tmp) / "floor.db"
            database = Database.from_url(f"sqlite+aiosqlite:///{path}")
            await database.upgrade()
            await database.dispose()
            alone = floor(
                path,
                args.sections,
                args.batch,
                args.floor_cache,
                id_index=not args.floor_without_id_index,
            )
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
        ("load seconds (indexing)", "seconds", "{:,.1f}"),
        ("corpus generation s (apart)", "generating", "{:,.1f}"),
        ("lookup ms/article median", "median", "{:.2f}"),
        ("lookup ms/article p95", "p95", "{:.2f}"),
        ("recall of known copies", "recall", "{:.3f}"),
        ("known copies", "copies", "{:,.0f}"),
        ("peak RSS MiB (process)", "rss", "{:.0f}"),
    )
    for label, key, fmt in rows:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>14}" for r in results.values()))
    if alone is not None:
        print(
            "SQLite alone, same rows and lookups through the stdlib driver"
            + (f" ({args.floor_cache} MiB page cache)" if args.floor_cache else "")
            + (" without the keys' canonical-id index" if args.floor_without_id_index else "")
            + f": {alone['rate']:,.0f}"
            f" sections/s ({alone['seconds']:.1f} s: "
            + ", ".join(f"{part} {alone[part]:.1f}" for part in FLOOR_PARTS)
            + ")"
        )
        if "SQLite" in results:
            print(
                f"ingest on SQLite / SQLite alone: {results['SQLite']['rate'] / alone['rate']:.2f}"
            )
    # after the loads: what it keeps alive must not count in their peak RSS
    python = python_alone(args.sections, args.batch) if args.python_alone else None
    if python is not None:
        print(
            "ingest's Python alone (keys, candidates within each batch, the rule; no database):"
            f" {python['rate']:,.0f} sections/s ({python['seconds']:.1f} s of CPU)"
        )
    print("targets (SQLite): >= 10,000 sections/s, lookup median < 5 ms, RSS < 500 MiB")


if __name__ == "__main__":
    asyncio.run(main())
