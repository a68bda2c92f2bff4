"""Extract many inputs at once: files, URLs, directories and lists on stdin, results in order.

The engine behind ``ingest extract`` with several targets. :func:`expand_inputs` turns what the
user typed into a flat list of targets; :func:`extract_many` extracts them concurrently (URLs
through one HTTP client, files read in a thread, parsing in a :class:`~ingest.workers.ParsePool`
when one is given) and yields ``(target, article, error)`` **in input order** as soon as each
result and all before it are ready, so output streams while later inputs are still in flight.

A target that fails (missing file, 404, parse timeout) yields its error message and the rest go
on; anything that is not an :class:`~ingest.errors.IngestError` is a bug and propagates.
Consume the iterator with ``contextlib.aclosing`` so that breaking out early cancels the
inputs still in flight and closes the client at once.
"""

from __future__ import annotations

__all__ = ["HTML_SUFFIXES", "expand_inputs", "extract_many", "is_url"]

import asyncio
import sys
from collections import deque
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import IngestError, ParseError
from ingest.fetch.client import build_client
from ingest.fetch.fetcher import fetch
from ingest.parse.html import parse_article

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence
    from typing import TextIO

    import httpx

    from ingest.config import FetchConfig
    from ingest.items import Article
    from ingest.parse.html import ContentRules
    from ingest.workers import ParsePool

HTML_SUFFIXES = frozenset({".html", ".htm"})
"""File name endings (any case) taken from a directory."""

_WINDOW_PER_TASK = 4
"""Results held for ordering, per unit of concurrency: bounds memory behind a slow input."""


def is_url(target: str) -> bool:
    """Whether a target is fetched (``http://``, ``https://``) rather than read from a file."""
    return target.startswith(("http://", "https://"))


def expand_inputs(targets: Sequence[str], *, stdin: TextIO | None = None) -> list[str]:
    """Flatten targets: a directory gives its HTML files (recursive, sorted), ``-`` the lines of
    ``stdin`` (default ``sys.stdin``; blank lines and ``#`` comments skipped, each line expanded
    in turn); URLs and other paths pass through unchanged, missing files included.
    """  # noqa: D205  (the summary needs two lines)
    expanded: list[str] = []
    for target in targets:
        if target == "-":
            lines = (line.strip() for line in (stdin if stdin is not None else sys.stdin))
            for line in lines:
                if line and not line.startswith("#"):
                    expanded.extend(_expand_one(line))
        else:
            expanded.extend(_expand_one(target))
    return expanded


def _expand_one(target: str) -> list[str]:
    if is_url(target):
        return [target]
    path = Path(target)
    if path.is_dir():
        found = (p for p in path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        return sorted(str(p) for p in found)
    return [target]


async def extract_many(
    targets: Sequence[str],
    *,
    config: FetchConfig,
    pool: ParsePool | None = None,
    concurrency: int = 8,
    rules: ContentRules | None = None,
) -> AsyncGenerator[tuple[str, Article | None, str | None], None]:
    """Extract every target; yield ``(target, article, None)`` or ``(target, None, error)``.

    At most ``concurrency`` targets are fetched or parsed at once. Results come in the order of
    ``targets``. URLs are fetched wherever they point (loopback included: the user typed them);
    without ``pool`` pages are parsed in a thread. ``rules`` (a content selector, parts to
    drop) apply to every target.
    """
    limit = asyncio.Semaphore(max(1, concurrency))
    window: deque[asyncio.Task[tuple[str, Article | None, str | None]]] = deque()
    async with AsyncExitStack() as stack:
        client = None
        if any(is_url(target) for target in targets):
            client = await stack.enter_async_context(build_client(config))

        async def one(target: str) -> tuple[str, Article | None, str | None]:
            async with limit:
                try:
                    article = await _extract(
                        target, client=client, config=config, pool=pool, rules=rules
                    )
                except IngestError as exc:
                    return target, None, str(exc)
            return target, article, None

        try:
            for target in targets:
                if len(window) >= max(1, concurrency) * _WINDOW_PER_TASK:
                    yield await window.popleft()
                window.append(asyncio.create_task(one(target)))
            while window:
                yield await window.popleft()
        finally:
            for task in window:
                task.cancel()
            await asyncio.gather(*window, return_exceptions=True)


async def _extract(
    target: str,
    *,
    client: httpx.AsyncClient | None,
    config: FetchConfig,
    pool: ParsePool | None,
    rules: ContentRules | None,
) -> Article:
    if is_url(target):
        assert client is not None
        result = await fetch(client, target, config=config, allow=True)
        content, url, charset = result.content, result.final_url, result.charset
    else:
        content, url = await asyncio.to_thread(_read_file, target)
        charset = None
    if pool is not None:
        return await pool.parse_article(content, url, charset=charset, rules=rules)
    return await asyncio.to_thread(parse_article, content, url, charset=charset, rules=rules)


def _read_file(target: str) -> tuple[bytes, str]:
    """The file's bytes and its ``file://`` URL (the article's URL)."""
    path = Path(target)
    try:
        return path.read_bytes(), path.resolve().as_uri()
    except OSError as exc:
        raise ParseError(
            target, f"cannot read file: {exc.strerror or exc}", kind="unreadable"
        ) from exc
