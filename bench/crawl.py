"""A synthetic web on loopback: many hosts, thousands of real-sized pages, the whole pipeline.

Serves HOSTS sites (distinct addresses 127.0.0.2, 127.0.0.3, …, one FixtureServer each, spread
over SERVERS processes) with PAGES article pages in all, each site with robots.txt, a gzip
sitemap and ads.txt; runs the pipeline into a fresh SQLite file with politeness on (2 requests
per host, no delay) and everything switched on (structure extraction in worker processes,
dedupe, normalised rows); prints pages/s, CPU ms per page (this process plus the parser
processes; the web servers' own CPU is printed apart) and peak RSS. Run it at two sizes to see
whether memory stays flat:

    .venv/bin/python bench/crawl.py --pages 2000
    .venv/bin/python bench/crawl.py --pages 10000

Then, on the same web in the same run, the peers of ``bench/crawl_peers.py``: a bare httpx +
selectolax + sqlite3 loop that extracts nothing (the floor) and Scrapy + trafilatura + SQLite
(what users assemble), with ingest's ratios to each (``--no-peers`` skips them; Scrapy and
trafilatura come with the ``bench`` extra). The web server's CPU per page is printed for every
system: the same work each time, so it shows how fast the machine ran during each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Self

import psutil

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

REPO = Path(__file__).resolve().parents[1]
PEERS = Path(__file__).resolve().parent / "crawl_peers.py"
SITE = REPO / "fixtures" / "skincare" / "site"
ORIGIN = "http://127.0.0.1:8765"


def build_web(root: Path, hosts: int, pages: int) -> list[Path]:
    """One folder per host, ``pages`` articles spread over them; returns the site folders."""
    articles = sorted(p.parent.name for p in SITE.glob("*/index.html"))
    bodies = {slug: (SITE / slug / "index.html").read_text(encoding="utf-8") for slug in articles}
    sites = []
    for h in range(hosts):
        site = root / f"host{h}"
        site.mkdir()
        (site / "ads.txt").write_bytes((SITE / "ads.txt").read_bytes())
        urls = []
        for n in range(h, pages, hosts):
            slug = articles[n % len(articles)]
            # each page differs: its number in every paragraph (near-duplicates, not copies)
            html = re.sub(r"<p>", f"<p>Page {n}: ", bodies[slug]).replace(
                f"/{slug}/", f"/{slug}-{n}/"
            )
            target = site / f"{slug}-{n}" / "index.html"
            target.parent.mkdir()
            target.write_text(html, encoding="utf-8")
            urls.append(f"{ORIGIN}/{slug}-{n}/")
        entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
        xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
        sitemap = f'<?xml version="1.0"?><urlset xmlns="{xmlns}">{entries}</urlset>'
        (site / "sitemap.xml.gz").write_bytes(gzip.compress(sitemap.encode()))
        (site / "robots.txt").write_text(
            f"User-agent: *\nAllow: /\nSitemap: {ORIGIN}/sitemap.xml.gz\n"
        )
        sites.append(site)
    return sites


def _serve(
    roots: dict[int, str],
    ready: Queue[dict[int, str]],
    stop: Event,
    spent: Queue[tuple[float, float]],
) -> None:
    from contextlib import ExitStack  # noqa: PLC0415  (in the child process)

    from ingest.demo import FixtureServer  # noqa: PLC0415

    with ExitStack() as stack:
        origins = {}
        for n, root in roots.items():
            server = stack.enter_context(FixtureServer(Path(root), host=f"127.0.0.{n + 2}"))
            origins[n] = server.origin
        ready.put(origins)
        stop.wait()
    # the web's own CPU (not the pipeline's) and its peak memory
    spent.put((time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


class _ChildSampler(threading.Thread):
    """Samples the RSS of this process's children (the parsers, ``skip`` aside) while it runs.

    ``RUSAGE_CHILDREN`` cannot tell: its peak is that of any child, and a child started by
    fork+exec counts the parent's pages between the two. Listing the children reads every
    process's ``/proc`` entry; that CPU (``cpu``, seconds) is this thread's, not the
    pipeline's, and is taken off the pipeline process's figure.
    """

    def __init__(self, skip: set[int]) -> None:
        super().__init__(daemon=True)
        self.skip, self.peak, self.done = skip, 0, threading.Event()
        self.cpu = 0.0

    def run(self) -> None:
        me = psutil.Process()
        while not self.done.wait(0.2):
            for child in me.children():
                if child.pid not in self.skip:
                    with contextlib.suppress(psutil.Error):
                        self.peak = max(self.peak, child.memory_info().rss)
        self.cpu = time.thread_time()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


async def _run(origins: list[str], db: Path) -> object:
    from ingest.config import Config, SiteConfig  # noqa: PLC0415
    from ingest.pipeline import run  # noqa: PLC0415

    sites = tuple(
        SiteConfig(name=f"host{n}", url=origin + "/", allow_private_networks=True, concurrency=2)
        for n, origin in enumerate(origins)
    )
    return await run(Config(database=f"sqlite:///{db}", sites=sites))


def _cpu(pids: list[int]) -> float:
    """The CPU seconds the processes ``pids`` have spent so far (the web servers)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def _peer(name: str, origins: list[str], db: Path, servers: list[int]) -> dict[str, float] | None:
    """Run one peer of ``crawl_peers.py`` on the web; its figures (None when it cannot run)."""
    web = _cpu(servers)
    done = subprocess.run(  # noqa: S603  (our own script, our own arguments)
        [sys.executable, str(PEERS), name, "--db", str(db), *origins],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"{name}: did not run ({last})")
        return None
    figures: dict[str, float] = json.loads(lines[-1])
    figures["web"] = _cpu(servers) - web
    return figures


def _print_side_by_side(systems: dict[str, dict[str, float]]) -> None:
    """The systems' figures in columns, then ingest's ratios to each peer."""
    names = list(systems)
    print()
    print(f"{'same web, same run':24}" + "".join(f"{name:>20}" for name in names))
    rows: tuple[tuple[str, Callable[[dict[str, float]], str]], ...] = (
        ("pages stored", lambda f: f"{f['pages']:,.0f}"),
        ("pages/s", lambda f: f"{f['pages'] / f['seconds']:.1f}"),
        ("CPU ms/page", lambda f: f"{f['cpu'] * 1000 / f['pages']:.2f}"),
        ("peak RSS MiB", lambda f: f"{f['rss']:.1f}"),
        ("web server CPU ms/page", lambda f: f"{f['web'] * 1000 / f['pages']:.2f}"),
    )
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(systems[name]):>20}" for name in names))
    ours = systems["ingest"]
    for name in names[1:]:
        peer = systems[name]
        speed = (ours["pages"] / ours["seconds"]) / (peer["pages"] / peer["seconds"])
        cpu = (ours["cpu"] / ours["pages"]) / (peer["cpu"] / peer["pages"])
        print(f"ingest / {name}: {speed:.2f}x the pages/s, {cpu:.2f}x the CPU per page")


def _print_ingest(ours: dict[str, float]) -> None:
    """Ingest's own figures: throughput, CPU by process, peak memory by process."""
    pages, parsers = ours["pages"], ours["cpu"] - ours["pipeline"]
    print(f"throughput:   {pages / ours['seconds']:8.1f} pages/s ({ours['seconds']:.1f} s)")
    print(
        f"CPU per page: {ours['cpu'] * 1000 / pages:8.2f} ms in all"
        " (the web server's own left out):"
    )
    print(f"              {ours['pipeline'] * 1000 / pages:8.2f} ms in the pipeline process")
    print(f"              {parsers * 1000 / pages:8.2f} ms in the parser processes")
    print(f"              ({ours['web'] * 1000 / pages:.2f} ms in the web server)")
    print(f"              ({ours['sampler'] * 1000 / pages:.2f} ms in this bench's RSS sampler)")
    print(
        f"peak RSS:     {ours['rss']:8.1f} MiB pipeline process"
        f" (after imports {ours['baseline']:.1f} MiB)"
    )
    print(f"              {ours['parser_rss']:8.1f} MiB largest parser process (sampled)")
    print(f"              {ours['web_rss']:8.1f} MiB largest web server process")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages in all")
    parser.add_argument("--hosts", type=int, default=20, help="sites, each on its own address")
    parser.add_argument(
        "--servers",
        type=int,
        default=4,
        help="processes serving the hosts between them (one holds every host's thread behind "
        "one interpreter lock, which slows the web down, not the pipeline)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip the bare loop and Scrapy + trafilatura"
    )
    return parser.parse_args()


def main() -> None:
    """Build the web, serve it, run the pipeline (and the peers) on it, print the figures."""
    args = _arguments()
    with tempfile.TemporaryDirectory() as tmp:
        sites = build_web(Path(tmp), args.hosts, args.pages)
        ready: Queue[dict[int, str]] = multiprocessing.Queue()
        stop = multiprocessing.Event()
        spent: Queue[tuple[float, float]] = multiprocessing.Queue()
        count = max(1, min(args.servers, len(sites)))
        servers = [
            multiprocessing.Process(
                target=_serve,
                args=(
                    {n: str(s) for n, s in enumerate(sites) if n % count == k},
                    ready,
                    stop,
                    spent,
                ),
            )
            for k in range(count)
        ]
        for server in servers:
            server.start()
        pids = [server.pid for server in servers if server.pid]
        server_rss = 0.0
        peers: dict[str, dict[str, float]] = {}
        try:
            found: dict[int, str] = {}
            for _ in servers:
                found.update(ready.get(timeout=60))
            origins = [found[n] for n in range(len(sites))]
            import ingest.pipeline  # noqa: F401, PLC0415  (imports before the baseline)

            baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            web_before = _cpu(pids)
            cpu_before = time.process_time()
            started = time.perf_counter()
            with _ChildSampler(set(pids)) as sampler:
                report = asyncio.run(_run(origins, Path(tmp) / "crawl.db"))
            seconds = time.perf_counter() - started
            cpu_self = time.process_time() - cpu_before - sampler.cpu
            server_cpu = _cpu(pids) - web_before
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if not args.no_peers:
                for name, label in (("bare", "bare loop"), ("scrapy", "Scrapy+trafilatura")):
                    figures = _peer(name, origins, Path(tmp) / f"{name}.db", pids)
                    if figures is not None:
                        peers[label] = figures
        finally:
            stop.set()
            for server in servers:
                _, rss = spent.get(timeout=30)
                server_rss = max(server_rss, rss)
                server.join(timeout=30)
        print(report.to_text().split("\nnotices")[0])  # type: ignore[attr-defined]
        pages = report.total("fetched")  # type: ignore[attr-defined]
        ours = {
            "pages": pages,
            "seconds": seconds,
            "cpu": cpu_self + children.ru_utime + children.ru_stime,
            "pipeline": cpu_self,
            "rss": peak,
            "baseline": baseline,
            "parser_rss": sampler.peak / 2**20,
            "web": server_cpu,
            "sampler": sampler.cpu,
            "web_rss": server_rss,
        }
        print(f"hosts:        {args.hosts}, pages: {args.pages}")
        _print_ingest(ours)
        if peers:
            _print_side_by_side({"ingest": ours, **peers})


if __name__ == "__main__":
    main()
