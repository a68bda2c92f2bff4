from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from ingest.config import ExtractConfig
from ingest.errors import ParseError
from ingest.items import Article
from ingest.parse.html import parse_article, parse_page
from ingest.workers import ParsePool

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "skincare" / "site"
PAGES = sorted(SITE.rglob("*.html"))
# lexbor is quadratic on nesting: this takes ~10 s to parse, far beyond the limits used here
DEPTH = 50_000
DEEP = b"<html><body>" + b"<div>" * DEPTH + b"x" + b"</div>" * DEPTH + b"</body></html>"
SHORT = b"<html><body><p>hello</p></body></html>"


def _gone(pid: int) -> bool:
    """True when ``pid`` is neither running nor a zombie child of ours."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_DEAD
    except psutil.NoSuchProcess:
        return True


def _killed(pid: int) -> bool:
    """True when ``pid`` has exited (reaped or not)."""
    try:
        return psutil.Process(pid).status() in {psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD}
    except psutil.NoSuchProcess:
        return True


def _wait_dead(pid: int) -> None:
    """Block until ``pid`` has exited, without reaping it (asyncio's child watcher does)."""
    with contextlib.suppress(ChildProcessError):  # already reaped by the watcher
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)


async def _until_busy(pid: int) -> None:
    """Wait until the worker has spent CPU on a page (it parses, so it has the request)."""
    proc = psutil.Process(pid)
    start = sum(proc.cpu_times()[:2])
    async with asyncio.timeout(5):
        while sum(proc.cpu_times()[:2]) - start < 0.1:  # noqa: ASYNC110  (polls a condition)
            await asyncio.sleep(0.01)


async def test_results_equal_in_process_parsing_on_the_fixture_pages():
    """Each fixture page parses in a worker exactly as in-process (page and article)."""
    assert PAGES
    async with ParsePool(workers=2) as pool:
        for path in PAGES:
            content, url = path.read_bytes(), f"https://example.com/{path.parent.name}/"
            assert await pool.parse_page(content, url) == parse_page(content, url)
            got = await pool.parse_article(content, url, charset="utf-8")
            assert got == parse_article(content, url, charset="utf-8")


async def test_a_sites_selectors_reach_the_worker():
    """Content and drop selectors parse in a worker as in-process, and change the result."""
    rules = ExtractConfig(content="article", drop=("h2, h3, h4, h5, h6", "ul, ol"))
    async with ParsePool(workers=1) as pool:
        for path in PAGES:
            content, url = path.read_bytes(), f"https://example.com/{path.parent.name}/"
            got = await pool.parse_page(content, url, rules=rules)
            assert got == parse_page(content, url, rules=rules)
            if isinstance(got, Article):
                assert got != parse_page(content, url)
                assert all(s.level == 0 and not s.lists for s in got.sections)
            article = await pool.parse_article(content, url, charset="utf-8", rules=rules)
            assert article == parse_article(content, url, charset="utf-8", rules=rules)


async def test_a_pathological_page_is_killed_at_the_limit_and_the_next_call_works():
    """A page past the time limit raises parse_timeout; its worker is replaced."""
    async with ParsePool(workers=1, timeout=0.5) as pool:
        (before,) = pool.pids
        with pytest.raises(ParseError) as caught:
            await pool.parse_page(DEEP, "https://example.com/deep")
        assert caught.value.reason == "parse_timeout"
        assert caught.value.url == "https://example.com/deep"
        assert await pool.parse_article(SHORT, "https://example.com/") == parse_article(
            SHORT, "https://example.com/"
        )
        (after,) = pool.pids
        assert after != before
        # the replacement took ~0.1 s to start: a killed worker is dead by now, not parsing on
        assert _killed(before)


async def test_a_worker_killed_while_idle_is_replaced_without_an_error():
    """A worker that died between pages is replaced and the page is parsed anyway."""
    async with ParsePool(workers=2) as pool:
        victim = pool.pids[0]
        os.kill(victim, signal.SIGKILL)
        _wait_dead(victim)
        results = await asyncio.gather(
            *(pool.parse_article(SHORT, f"https://example.com/{i}") for i in range(4))
        )
        assert [r.url for r in results] == [f"https://example.com/{i}" for i in range(4)]
        assert victim not in pool.pids


async def test_a_worker_killed_mid_page_fails_that_page_and_the_pool_goes_on():
    """Killing the worker while it parses gives worker_crashed; the next page works."""
    async with ParsePool(workers=1, timeout=30) as pool:
        (victim,) = pool.pids
        call = asyncio.create_task(pool.parse_page(DEEP, "https://example.com/deep"))
        await _until_busy(victim)
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(ParseError) as caught:
            await call
        assert caught.value.reason == f"worker_crashed: exit code {-signal.SIGKILL}"
        got = await pool.parse_article(SHORT, "https://example.com/")
        assert got == parse_article(SHORT, "https://example.com/")
        assert victim not in pool.pids


async def test_a_cancelled_caller_kills_its_worker_so_no_stale_answer_is_read():
    """Cancelling a call mid-page kills that worker; the next call gets its own answer."""
    async with ParsePool(workers=1, timeout=30) as pool:
        (victim,) = pool.pids
        call = asyncio.create_task(pool.parse_page(DEEP, "https://example.com/deep"))
        await _until_busy(victim)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        page = (SITE / "what-does-microneedling-actually-do" / "index.html").read_bytes()
        got = await pool.parse_page(page, "https://example.com/a")
        assert got == parse_page(page, "https://example.com/a")
        assert victim not in pool.pids
        assert _killed(victim)  # not left parsing on (its replacement took ~0.1 s to start)


async def test_many_concurrent_calls_on_two_workers_all_complete():
    """Thirty callers share two workers (they queue); each gets its own page's result."""
    pages = [p.read_bytes() for p in PAGES]
    async with ParsePool(workers=2) as pool:
        pids = pool.pids
        urls = [f"https://example.com/{i}" for i in range(30)]
        results = await asyncio.gather(
            *(pool.parse_page(pages[i % len(pages)], url) for i, url in enumerate(urls))
        )
        expected = [parse_page(pages[i % len(pages)], url) for i, url in enumerate(urls)]
        assert results == expected
        assert pool.pids == pids
        assert len(pids) == 2


async def test_a_worker_is_replaced_after_max_pages():
    """After max_pages pages a worker retires and a fresh one takes the next page."""
    async with ParsePool(workers=1, max_pages=3) as pool:
        (first,) = pool.pids
        for _ in range(3):
            await pool.parse_article(SHORT, "https://example.com/")
        await pool.parse_article(SHORT, "https://example.com/")
        (second,) = pool.pids
        assert second != first


async def test_no_worker_process_outlives_the_pool():
    """Every process the pool started (killed, idle or busy at exit) is gone, reaped, after exit."""
    seen: set[int] = set()
    async with ParsePool(workers=2, timeout=0.3) as pool:
        seen.update(pool.pids)
        with pytest.raises(ParseError):
            await pool.parse_page(DEEP, "https://example.com/deep")
        await pool.parse_article(SHORT, "https://example.com/")  # meanwhile a replacement starts
        seen.update(child.pid for child in psutil.Process().children())
        busy = asyncio.create_task(pool.parse_page(DEEP, "https://example.com/deep"))
        await asyncio.sleep(0)  # let it take a worker: one is busy at exit, the other idle
    with pytest.raises(ParseError):
        await busy
    assert len(seen) >= 3  # the killed one, the other, the replacement (more: stray children)
    children = {child.pid for child in psutil.Process().children(recursive=True)}
    assert not seen & children
    assert all(_gone(pid) for pid in seen)


async def test_a_closed_pool_refuses_work():
    """Calling a pool outside its ``async with`` is an error, not a hang."""
    pool = ParsePool(workers=1)
    with pytest.raises(RuntimeError, match="not open"):
        await pool.parse_article(SHORT, "https://example.com/")
    async with pool:
        pass
    with pytest.raises(RuntimeError, match="not open"):
        await pool.parse_article(SHORT, "https://example.com/")


async def test_an_exception_in_the_parser_is_raised_in_the_caller_and_the_worker_lives():
    """A parser bug surfaces as its own exception with the worker's traceback; no restart."""
    async with ParsePool(workers=1) as pool:
        (pid,) = pool.pids
        not_bytes: Any = 123  # makes the parser itself raise
        with pytest.raises(AttributeError) as caught:
            await pool.parse_page(not_bytes, "https://example.com/")
        assert "Traceback" in "".join(getattr(caught.value, "__notes__", []))
        assert await pool.parse_article(SHORT, "https://example.com/") == parse_article(
            SHORT, "https://example.com/"
        )
        assert pool.pids == (pid,)


def test_a_worker_loads_the_parser_and_not_the_rest_of_ingest():
    """A parse worker starts in a fraction of a second: no config models, ORM or HTTP client."""
    probe = (
        "import sys; from ingest.workers import _serve; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "selectolax" in loaded
    assert not {"pydantic", "yaml", "sqlalchemy", "httpx", "numpy"} & set(loaded)
