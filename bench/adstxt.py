"""ads.txt speed and corpus counts: parse and store a 100,000-line file; count every corpus file.

Builds a synthetic file of N lines (distinct sellers, some comments, variables and bad lines, CRLF
mixed in), times :func:`ingest.parse.adstxt.parse_adstxt` on it (best of 5), then times storing
it as a first snapshot into a fresh SQLite file (one transaction, as the pipeline does) and a
second snapshot in which 1% of the sellers changed. Then prints, for every file in the corpus
(``INGEST_CORPORA``, default ``../shared/corpora``), records/variables/errors/duplicates under the
strict and the lenient reading.

    .venv/bin/python bench/adstxt.py --lines 100000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.parse.adstxt import is_placeholder, parse_adstxt
from ingest.store import repository
from ingest.store.adstxt import store_adstxt_snapshot
from ingest.store.db import Database

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("INGEST_CORPORA", REPO.parent / "shared" / "corpora")) / "adstxt"
SYSTEMS = ("google.com", "appnexus.com", "rubiconproject.com", "pubmatic.com", "openx.com")


def synthetic(lines: int, *, shift: int = 0) -> bytes:
    """A file of ``lines`` lines: mostly distinct records, some comments, variables, bad lines."""
    out = ["# synthetic ads.txt", "CONTACT=adops@example.com", "OWNERDOMAIN=example.com"]
    for n in range(len(out), lines):
        if n % 97 == 0:
            out.append(f"# partner block {n}")
        elif n % 1009 == 0:
            out.append(f"broken line {n} without commas")
        else:
            seller = n + shift if n % 100 == 0 else n  # 1% of sellers differ when shifted
            system = SYSTEMS[n % len(SYSTEMS)]
            cert = ", f08c47fec0942fa0" if n % 3 == 0 else ""
            relation = "DIRECT" if n % 2 else "reseller"
            out.append(f"{system}, pub-{seller}, {relation}{cert} # seller {n}")
    return ("\r\n".join(out[: lines // 2]) + "\n" + "\n".join(out[lines // 2 :]) + "\n").encode()


def time_parse(content: bytes) -> float:
    """Best of five parse times, in seconds."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        parse_adstxt(content)
        best = min(best, time.perf_counter() - started)
    return best


async def time_store(first: bytes, second: bytes) -> tuple[float, float]:
    """Seconds to store ``first`` as a new snapshot, then ``second`` as a changed one (SQLite)."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database.from_url(f"sqlite:///{Path(folder) / 'bench.db'}")
        await database.upgrade()
        try:
            async with database.transaction() as session:
                site_id = await repository.upsert_site(session, "bench", "https://example.com/")
            timings = []
            at = datetime(2026, 1, 1, tzinfo=UTC)
            for content in (first, second):
                adstxt = parse_adstxt(content)
                started = time.perf_counter()
                async with database.transaction() as session:
                    await store_adstxt_snapshot(
                        session, site_id, "https://example.com/ads.txt", adstxt,
                        final_url="https://example.com/ads.txt", status_code=200, etag=None,
                        last_modified=None, content_hash=hashlib.sha256(content).hexdigest(),
                        fetched_at=at, is_placeholder=is_placeholder(adstxt),
                    )  # fmt: skip
                timings.append(time.perf_counter() - started)
                at += timedelta(days=1)
        finally:
            await database.dispose()
    return timings[0], timings[1]


def corpus_counts() -> None:
    """Print records/variables/errors/duplicates per corpus file, strict and lenient."""
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: skipped")
        return
    header = f"{'file':72} {'strict r/v/e/d':>18} {'lenient r/v/e/d':>18}"
    print(header)
    for path in sorted(CORPUS.glob("*.txt")):
        cells = []
        for lenient in (False, True):
            parsed = parse_adstxt(path.read_bytes(), lenient=lenient)
            _, dups = parsed.unique_records()
            counts = (len(parsed.records), len(parsed.variables), len(parsed.issues), dups)
            cells.append("/".join(map(str, counts)))
        print(f"{path.name:72} {cells[0]:>18} {cells[1]:>18}")


def main() -> None:
    """Print the parse and store figures, then the corpus counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    first = synthetic(args.lines)
    second = synthetic(args.lines, shift=10_000_000)
    parsed = parse_adstxt(first)
    print(
        f"synthetic file: {args.lines} lines, {len(first) / 1e6:.1f} MB, "
        f"{len(parsed.records)} records, {len(parsed.issues)} errors"
    )
    print(f"parse: {time_parse(first):.3f} s (best of 5; target < 0.5 s)")
    new, changed = asyncio.run(time_store(first, second))
    print(f"store on SQLite, first snapshot: {new:.3f} s (target < 1.5 s)")
    print(f"store on SQLite, 1% of sellers changed: {changed:.3f} s")
    corpus_counts()


if __name__ == "__main__":
    main()
