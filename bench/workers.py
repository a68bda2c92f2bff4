"""Parse-pool overhead and throughput: in-process vs worker processes (1 and 2 workers).

Prints, for a trivial page, the cost of one round trip through a worker (sequential calls, so
pure overhead: pickling, two pipe hops, the event loop) next to parsing it in-process; then
pages/s on real pages, parsed in-process on one core, in a thread (``asyncio.to_thread``, what
the pipeline did before) and in a :class:`~ingest.workers.ParsePool` of 1 and 2 workers with 8
concurrent callers, with the parent's CPU ms per page (what is left for the event loop). Pages:
the fixture articles, and the Zyte corpus pages when ``INGEST_CORPORA`` (default
``../shared/corpora``) has them.

    .venv/bin/python bench/workers.py --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.parse.html import parse_article, parse_page
from ingest.workers import ParsePool

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("INGEST_CORPORA", REPO.parent / "shared" / "corpora"))
TRIVIAL = b"<html><head><title>t</title></head><body><p>hello</p></body></html>"
CALLERS = 8


def fixture_pages() -> list[bytes]:
    """The fixture site's article pages."""
    site = REPO / "fixtures" / "skincare" / "site"
    return [p.read_bytes() for p in sorted(site.glob("*/index.html"))]


def zyte_pages() -> list[bytes]:
    """The Zyte benchmark pages, or none when the corpus is absent."""
    folder = CORPORA / "zyte-articles" / "html"
    return [gzip.decompress(p.read_bytes()) for p in sorted(folder.glob("*.html.gz"))]


async def round_trip(calls: int) -> None:
    """Per-call cost of a trivial page: in-process vs one worker, sequential."""
    started = time.perf_counter()
    for _ in range(calls):
        parse_article(TRIVIAL, "https://example.com/")
    local = (time.perf_counter() - started) / calls
    async with ParsePool(workers=1) as pool:
        for _ in range(50):  # warm up
            await pool.parse_article(TRIVIAL, "https://example.com/")
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            await pool.parse_article(TRIVIAL, "https://example.com/")
            samples.append(time.perf_counter() - started)
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(
        f"trivial page, {calls} sequential calls: in-process {local * 1e6:.0f} µs; "
        f"via worker median {median * 1e6:.0f} µs, p95 {p95 * 1e6:.0f} µs "
        f"(overhead ≈ {(median - local) * 1e6:.0f} µs per call)"
    )


async def _drive(parse: Callable[[bytes, str], Awaitable[object]], pages: list[bytes]) -> None:
    queue = list(enumerate(pages))

    async def caller() -> None:
        while queue:
            i, page = queue.pop()
            await parse(page, f"https://example.com/{i}")

    await asyncio.gather(*(caller() for _ in range(CALLERS)))


def _line(label: str, name: str, pages: int, wall: float, cpu: float) -> None:
    print(
        f"  {name:<22} {pages / wall:8.0f} pages/s   parent CPU {cpu / pages * 1e3:6.2f} ms/page"
        f"   ({label})"
    )


async def throughput(label: str, pages: list[bytes], rounds: int) -> None:
    """Pages/s on ``pages`` (repeated ``rounds`` times), four ways."""
    work = pages * rounds
    print(f"{label}: {len(work)} pages, {sum(map(len, work)) / len(work) / 1024:.0f} KiB mean")
    for i, page in enumerate(pages):  # warm up
        parse_page(page, f"https://example.com/{i}")
    wall, cpu = time.perf_counter(), time.process_time()
    for i, page in enumerate(work):
        parse_page(page, f"https://example.com/{i}")
    _line(
        label,
        "in-process, 1 core",
        len(work),
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )

    async def threaded(page: bytes, url: str) -> object:
        return await asyncio.to_thread(parse_page, page, url)

    wall, cpu = time.perf_counter(), time.process_time()
    await _drive(threaded, work)
    _line(
        label, "asyncio.to_thread", len(work), time.perf_counter() - wall, time.process_time() - cpu
    )
    for workers in (1, 2):
        async with ParsePool(workers=workers) as pool:
            await _drive(pool.parse_page, pages)  # warm up
            wall, cpu = time.perf_counter(), time.process_time()
            await _drive(pool.parse_page, work)
            elapsed, used = time.perf_counter() - wall, time.process_time() - cpu
        _line(
            label,
            f"ParsePool({workers} worker{'s' if workers > 1 else ''})",
            len(work),
            elapsed,
            used,
        )


async def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="trivial round trips")
    parser.add_argument("--rounds", type=int, default=3, help="passes over each page set")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs")
    await round_trip(args.calls)
    await throughput("fixture articles", fixture_pages(), args.rounds * 100)
    zyte = zyte_pages()
    if zyte:
        await throughput("zyte corpus", zyte, args.rounds)
    else:
        print(f"zyte corpus: skipped, {CORPORA / 'zyte-articles'} not found")


if __name__ == "__main__":
    asyncio.run(main())
