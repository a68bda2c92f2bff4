"""``ingest export`` memory and speed: the peak Python heap stays flat as the database grows.

Fills fresh SQLite files with N synthetic articles (5 sections of 3 paragraphs and a 3-item list
each) through Core bulk inserts, then exports each as jsonl and csv to a file while
``tracemalloc`` watches the heap. Flat memory means the peak is about the same for every N.

    .venv/bin/python bench/export.py --sizes 2000 20000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from ingest.cli.export import write_export
from ingest.store.db import Database
from ingest.store.models import (
    ArticleRow,
    CanonicalSectionRow,
    ListItemRow,
    ListRow,
    PageRow,
    ParagraphRow,
    SectionOccurrenceRow,
    SiteRow,
    table_of,
)

SECTIONS = 5
WORDS = ("serum", "skin", "needle", "collagen", "retinol", "barrier", "healing", "sunscreen")


def _text(n: int) -> str:
    return " ".join(WORDS[(n + i) % len(WORDS)] for i in range(40))


async def fill(url: str, articles: int) -> None:
    """Insert ``articles`` articles of one site, 1,000 per transaction."""
    db = Database.from_url(url)
    await db.upgrade()
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await session.execute(
            insert(table_of(SiteRow)),
            [{"id": 1, "name": "bench", "url": "https://b/", "created_at": now}],
        )
        await session.execute(
            insert(table_of(CanonicalSectionRow)),
            [
                {"id": c, "site_id": 1, "fingerprint": f"f{c}", "heading": f"H{c}", "text": "t"}
                for c in range(1, SECTIONS + 1)
            ],
        )
    for start in range(1, articles + 1, 1000):
        ids = range(start, min(start + 1000, articles + 1))
        occ = [(a, s, (a - 1) * SECTIONS + s) for a in ids for s in range(1, SECTIONS + 1)]
        async with db.transaction() as session:
            await session.execute(
                insert(table_of(PageRow)),
                [
                    {
                        "id": a,
                        "site_id": 1,
                        "url": f"https://b/{a}",
                        "outcome": "stored",
                        "fetched_at": now,
                    }
                    for a in ids
                ],
            )
            await session.execute(
                insert(table_of(ArticleRow)),
                [
                    {
                        "id": a,
                        "page_id": a,
                        "site_id": 1,
                        "url": f"https://b/{a}",
                        "title": f"T{a}",
                        "updated_at": now,
                    }
                    for a in ids
                ],
            )
            await session.execute(
                insert(table_of(SectionOccurrenceRow)),
                [
                    {
                        "id": o,
                        "article_id": a,
                        "position": s,
                        "heading": f"H{s}",
                        "level": 2,
                        "canonical_id": s,
                        "similarity": 1.0,
                        "rule": "new",
                    }
                    for a, s, o in occ
                ],
            )
            await session.execute(
                insert(table_of(ParagraphRow)),
                [
                    {"occurrence_id": o, "position": p, "text": _text(o + p)}
                    for _, _, o in occ
                    for p in range(3)
                ],
            )
            await session.execute(
                insert(table_of(ListRow)),
                [{"id": o, "occurrence_id": o, "position": 3, "ordered": False} for _, _, o in occ],
            )
            await session.execute(
                insert(table_of(ListItemRow)),
                [
                    {"list_id": o, "position": i, "text": f"item {i}"}
                    for _, _, o in occ
                    for i in range(3)
                ],
            )
    await db.dispose()


def main() -> None:
    """Fill, export, print peak heap and rate per size and format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            url = f"sqlite:///{Path(tmp) / f'export{size}.db'}"
            asyncio.run(fill(url, size))
            for fmt in ("jsonl", "csv"):
                out = Path(tmp) / f"out.{fmt}"
                tracemalloc.start()
                started = time.perf_counter()
                with out.open("w", encoding="utf-8", newline="") as stream:
                    count = asyncio.run(write_export(url, fmt, None, stream))
                seconds = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                print(
                    f"{size:>7} articles {fmt:<5}: {count / seconds:8.0f} articles/s, "
                    f"peak heap {peak / 2**20:6.1f} MiB, "
                    f"output {out.stat().st_size / 2**20:7.1f} MiB"
                )


if __name__ == "__main__":
    main()
