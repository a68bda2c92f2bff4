"""End-to-end throughput and memory: the fixture blog replicated to a few hundred pages.

Builds a site of N article pages (the three fixture articles, each copy with its own slug and a
page number woven into its text, so dedupe sees near-duplicates, not only exact copies), serves it
from a separate process on 127.0.0.1, runs the pipeline into a fresh SQLite file and prints pages/s
and peak memory. Then runs it again on the same database, as cron would: every page answers
304 Not Modified to the stored ETag/Last-Modified, so the re-run costs one request per page and no
parse or write; prints its time and how many times faster than the first run it was (target: at
least 10x at 1,000 pages). Last, on the same pages, times parsing alone against trafilatura (the
peer that does extraction), in this process, and prints the ratio.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/pipeline.py --pages 1000
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "fixtures" / "skincare" / "site"
ORIGIN = "http://127.0.0.1:8765"


def build_site(root: Path, pages: int) -> list[Path]:
    """Write a site with ``pages`` articles, robots.txt, a sitemap and ads.txt under ``root``."""
    articles = sorted(p.parent.name for p in SITE.glob("*/index.html"))
    shutil.copy(SITE / "ads.txt", root / "ads.txt")
    shutil.copy(SITE / "index.html", root / "index.html")
    files = []
    urls = []
    for n in range(pages):
        slug = articles[n % len(articles)]
        html = (SITE / slug / "index.html").read_text(encoding="utf-8")
        # vary every page a little: a number in each paragraph, so copies are near-duplicates
        html = re.sub(r"<p>", f"<p>Page {n}: ", html, count=0)
        target = root / f"{slug}-{n}" / "index.html"
        target.parent.mkdir()
        target.write_text(html.replace(f"/{slug}/", f"/{slug}-{n}/"), encoding="utf-8")
        files.append(target)
        urls.append(f"{ORIGIN}/{slug}-{n}/")
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    sitemap = f'<?xml version="1.0"?><urlset xmlns="{xmlns}">{entries}</urlset>'
    (root / "sitemap.xml.gz").write_bytes(gzip.compress(sitemap.encode()))
    (root / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {ORIGIN}/sitemap.xml.gz\n")
    return files


def _serve(root: str, ready: Queue[str], stop: Event) -> None:
    from ingest.demo import FixtureServer  # noqa: PLC0415  (import in the child process)

    with FixtureServer(Path(root)) as server:
        ready.put(server.origin)
        stop.wait()


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _run(origin: str, db: Path) -> tuple[float, object]:
    from ingest.config import Config, SiteConfig  # noqa: PLC0415
    from ingest.pipeline import run  # noqa: PLC0415

    config = Config(
        database=f"sqlite:///{db}",
        sites=(
            SiteConfig(name="bench", url=origin + "/", allow_private_networks=True, concurrency=8),
        ),
    )
    started = time.perf_counter()
    report = await run(config)
    return time.perf_counter() - started, report


def _parse_side_by_side(files: list[Path]) -> None:
    from ingest.parse.html import parse_article  # noqa: PLC0415

    pages = [f.read_bytes() for f in files]
    started = time.perf_counter()
    for page in pages:
        parse_article(page, "http://bench.example/")
    ours = time.perf_counter() - started
    ms = ours * 1000 / len(pages)
    print(f"parse only, ingest:      {len(pages) / ours:8.1f} pages/s ({ms:.2f} ms/page)")
    try:
        import trafilatura  # noqa: PLC0415
    except ImportError:
        print("parse only, trafilatura: not installed (pip install -e '.[bench]')")
        return
    texts = [p.decode("utf-8") for p in pages]
    started = time.perf_counter()
    for html in texts:
        trafilatura.extract(html, output_format="json", with_metadata=True, deduplicate=False)
    theirs = time.perf_counter() - started
    ms = theirs * 1000 / len(pages)
    print(f"parse only, trafilatura: {len(pages) / theirs:8.1f} pages/s ({ms:.2f} ms/page)")
    print(f"ingest / trafilatura speed ratio: {theirs / ours:.1f}x")


def main() -> None:
    """Build, serve, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=300, help="article pages in the site")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        files = build_site(root, args.pages)
        ready: Queue[str] = multiprocessing.Queue()
        stop = multiprocessing.Event()
        server = multiprocessing.Process(target=_serve, args=(str(root), ready, stop), daemon=True)
        server.start()
        try:
            origin = ready.get(timeout=30)
            import ingest.pipeline  # noqa: F401, PLC0415  (measure the baseline after imports)

            baseline = _rss_mib()
            seconds, report = asyncio.run(_run(origin, Path(tmp) / "bench.db"))
            peak = _rss_mib()
            again, rerun = asyncio.run(_run(origin, Path(tmp) / "bench.db"))
        finally:
            stop.set()
            server.join(timeout=10)
        print(f"pages:       {args.pages} articles (+ home page, robots.txt, sitemap, ads.txt)")
        print(report.to_text())  # type: ignore[attr-defined]
        print(f"end to end:  {args.pages / seconds:8.1f} pages/s ({seconds:.2f} s)")
        print(f"peak RSS:    {peak:8.1f} MiB (after imports: {baseline:.1f} MiB)")
        print()
        print("re-run, nothing changed:")
        print(rerun.to_text())  # type: ignore[attr-defined]
        print(f"re-run:      {again:8.2f} s, {seconds / again:.1f}x faster than the first run")
        print()
        _parse_side_by_side(files)


if __name__ == "__main__":
    main()
