"""The peers ``bench/crawl.py`` runs on the same synthetic web, one per process.

- ``bare``: an httpx + selectolax + sqlite3 loop that extracts nothing: each host's robots.txt,
  its sitemap, then every page (2 in flight per host), its ``<title>`` and body text into one
  table, a commit every 100 pages. The floor of any pipeline on these libraries.
- ``scrapy``: Scrapy's ``SitemapSpider`` (robots.txt obeyed, 2 requests per host, no delay)
  with trafilatura's ``extract`` (JSON with metadata) on every page and a sqlite3 item
  pipeline: what a user assembles from the usual tools.

Each prints one JSON line: pages stored, seconds and CPU seconds counted from after its imports
(as ``bench/crawl.py`` counts ingest's), and its peak RSS in MiB::

    .venv/bin/python bench/crawl_peers.py bare --db /tmp/bare.db http://127.0.0.2:8000 …
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import re
import resource
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

PER_HOST = 2
TABLE = "CREATE TABLE pages (url TEXT PRIMARY KEY, title TEXT, text TEXT)"
INSERT = "INSERT OR REPLACE INTO pages (url, title, text) VALUES (?, ?, ?)"


async def bare_loop(origins: list[str], db: Path) -> int:
    """Fetch every host's pages with httpx, read title and text with selectolax, store them."""
    import httpx  # noqa: PLC0415  (each peer imports only its own libraries)
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415

    connection = sqlite3.connect(db)
    connection.execute(TABLE)
    stored = 0

    async def host(client: httpx.AsyncClient, origin: str) -> None:
        nonlocal stored
        robots = (await client.get(f"{origin}/robots.txt")).text
        urls: list[str] = []
        for sitemap in re.findall(r"(?im)^sitemap:\s*(\S+)", robots):
            body = (await client.get(sitemap)).content
            xml = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
            urls += re.findall(r"<loc>([^<]+)</loc>", xml.decode())
        todo = iter(urls)

        async def worker() -> None:
            nonlocal stored
            for url in todo:
                response = await client.get(url)
                tree = LexborHTMLParser(response.content)
                title = tree.css_first("title")
                text = tree.body.text(separator="\n") if tree.body else ""
                connection.execute(INSERT, (url, title.text() if title else "", text))
                stored += 1
                if stored % 100 == 0:
                    connection.commit()

        await asyncio.gather(*(worker() for _ in range(PER_HOST)))

    limits = httpx.Limits(max_connections=PER_HOST * len(origins))
    async with httpx.AsyncClient(trust_env=False, timeout=30, limits=limits) as client:
        await asyncio.gather(*(host(client, origin) for origin in origins))
    connection.commit()
    connection.close()
    return stored


def scrapy_trafilatura(origins: list[str], db: Path) -> int:
    """Crawl every host's sitemap with Scrapy, extract each page with trafilatura, store it."""
    import trafilatura  # noqa: PLC0415  (bench-only dependencies)
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415
    from scrapy.spiders import SitemapSpider  # noqa: PLC0415

    stored = 0

    class Articles(SitemapSpider):
        name = "articles"
        sitemap_urls = tuple(f"{origin}/robots.txt" for origin in origins)

        def parse(self, response: Any) -> Iterator[dict[str, str]]:  # noqa: ANN401
            found = trafilatura.extract(
                response.text, url=response.url, output_format="json", with_metadata=True
            )
            doc = json.loads(found) if found else {}
            yield {
                "url": response.url,
                "title": doc.get("title") or "",
                "text": doc.get("text") or "",
            }

    class Store:
        def open_spider(self, spider: object) -> None:
            del spider
            self.connection = sqlite3.connect(db)
            self.connection.execute(TABLE)

        def process_item(self, item: dict[str, str], spider: object) -> dict[str, str]:
            del spider
            nonlocal stored
            self.connection.execute(INSERT, (item["url"], item["title"], item["text"]))
            stored += 1
            if stored % 100 == 0:
                self.connection.commit()
            return item

        def close_spider(self, spider: object) -> None:
            del spider
            self.connection.commit()
            self.connection.close()

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": PER_HOST * len(origins),
            "CONCURRENT_REQUESTS_PER_DOMAIN": PER_HOST,
            "DOWNLOAD_DELAY": 0,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "ITEM_PIPELINES": {Store: 300},
            "USER_AGENT": "ingest-bench-peer (+https://example.invalid/bench)",
        }
    )
    process.crawl(Articles)
    process.start()
    return stored


def _peak_rss_mib() -> float:
    """This process's peak RSS since its exec (``ru_maxrss`` would count the parent's at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run one peer on the given origins and print its figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("peer", choices=["bare", "scrapy"])
    parser.add_argument("--db", type=Path, required=True, help="a new SQLite file")
    parser.add_argument("origins", nargs="+", help="the hosts' origins, http://127.0.0.2:PORT …")
    args = parser.parse_args()
    if args.peer == "scrapy":
        import scrapy.crawler  # noqa: F401, PLC0415  (imports before the figures start)
        import trafilatura  # noqa: F401, PLC0415
    else:
        import httpx  # noqa: F401, PLC0415
        import selectolax.lexbor  # noqa: F401, PLC0415
    cpu, started = time.process_time(), time.perf_counter()
    if args.peer == "scrapy":
        pages = scrapy_trafilatura(args.origins, args.db)
    else:
        pages = asyncio.run(bare_loop(args.origins, args.db))
    figures = {
        "pages": pages,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rss": _peak_rss_mib(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
