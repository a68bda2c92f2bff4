"""Parse pages in worker processes, each page under a wall-clock limit that kills its worker.

Lexbor is quadratic on deep nesting (50k nested ``<div>`` take ~10 s, lexbor#340), and a
thread cannot be stopped, so parsing runs in a run-scoped pool of child processes:
:class:`ParsePool` keeps ``workers`` Python processes that speak a length-prefixed pickle
protocol over their stdin/stdout (the mechanism of ``anyio.to_process``, but owned by the
pool: started and stopped with it, recycled after ``max_pages``, and never blocking the loop).

- A caller takes an idle worker (callers queue, first come first served, when all are busy),
  writes one request and awaits one answer on the event loop: no thread per call.
- The limit runs from the moment the request is sent, so a worker's start-up never counts.
  When it passes, the worker is killed (SIGKILL), a replacement starts in the background and
  the caller gets ``ParseError(url, "parse_timeout")``. A caller that is cancelled kills its
  worker too: its answer could never be told apart from the next one.
- A worker that dies mid-page gives ``ParseError(url, "worker_crashed: exit code N")``; one
  found dead before the request reached it is replaced and the page is sent again, once.
- Workers are ``subprocess`` children (fork+exec of ``sys.executable``): no fork of a process
  running an event loop and threads, no re-import of ``__main__`` as with ``spawn``.

An exception raised by the parser itself (a bug: the parsers never raise on any input) is
re-raised in the caller, as it would be in-process.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_PAGES", "DEFAULT_TIMEOUT", "ParsePool"]

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import struct
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Self

from ingest.collector import collecting_less
from ingest.errors import ParseError
from ingest.items import Article, NotAnArticle
from ingest.parse.html import Selectors, parse_article, parse_page

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from types import TracebackType
    from typing import BinaryIO

    from ingest.parse.html import ContentRules

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
"""Seconds a worker may spend on one page before it is killed."""
DEFAULT_MAX_PAGES = 5000
"""Pages a worker parses before it is replaced, so its memory cannot grow without bound."""

_START_TIMEOUT = 30.0
_STOP_GRACE = 2.0
_HEADER = struct.Struct("!Q")
_READY = b"ready"
_SRC = str(Path(__file__).resolve().parents[1])
_CHILD = "from ingest.workers import _serve; _serve()"


class _WorkerGone(Exception):
    """The worker was dead before it got the request (safe to send it to another)."""


class _Worker:
    """One child process and its pipes; used by one caller at a time."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pages = 0

    @classmethod
    async def start(cls) -> _Worker:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, env.get("PYTHONPATH")) if p)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CHILD,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        worker = cls(proc)
        greeting = b""
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                greeting = await worker._read()
        finally:
            if greeting != _READY:  # failed, timed out, cancelled or garbled
                worker.kill()
                await worker.wait()
        if greeting != _READY:
            raise RuntimeError(f"parse worker sent {greeting[:40]!r}, not a greeting")
        return worker

    @property
    def is_dead(self) -> bool:
        return self.proc.returncode is not None

    async def call(self, request: bytes) -> tuple[str, object]:
        """Send one request and return ``(status, value)``; raise _WorkerGone if it was dead."""
        assert self.proc.stdin is not None
        stdin = self.proc.stdin
        try:
            stdin.write(_HEADER.pack(len(request)) + request)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _WorkerGone from exc
        if stdin.is_closing():
            # EPIPE: the pipe transport closes at once, but drain() only raises once the news
            # has crossed two call_soon hops, so it may return as if the write went through
            raise _WorkerGone
        self.pages += 1
        status, value = pickle.loads(await self._read())  # noqa: S301  (our own child process)
        return status, value

    async def _read(self) -> bytes:
        assert self.proc.stdout is not None
        (size,) = _HEADER.unpack(await self.proc.stdout.readexactly(_HEADER.size))
        return await self.proc.stdout.readexactly(size)

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def wait(self) -> int:
        return await self.proc.wait()

    async def stop(self) -> None:
        """Close stdin (the worker exits at EOF); kill it if it does not exit in time."""
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            async with asyncio.timeout(_STOP_GRACE):
                await self.proc.wait()
        except TimeoutError:
            self.kill()
            await self.proc.wait()


class ParsePool:
    """A run-scoped pool of parser processes; use it as ``async with ParsePool() as pool``.

    ``workers`` defaults to the number of CPUs; ``timeout`` is the per-page wall-clock limit in
    seconds; ``max_pages`` is how many pages a worker parses before it is replaced. The pool
    stays usable after a timeout or a crash; every process it started is gone after exit.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.size = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.timeout = timeout
        self.max_pages = max_pages
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        self._live: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        """Background reaping and graceful stops: awaited on exit."""
        self._starting: set[asyncio.Task[None]] = set()
        """Replacements being started: awaited on exit, then stopped."""
        self._open = False

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the live workers, sorted (for diagnostics and tests)."""
        return tuple(sorted(w.proc.pid for w in self._live if not w.is_dead))

    async def __aenter__(self) -> Self:
        results = await asyncio.gather(
            *(self._start() for _ in range(self.size)), return_exceptions=True
        )
        workers = [r for r in results if isinstance(r, _Worker)]
        failed = [r for r in results if isinstance(r, BaseException)]
        for worker in workers:
            self._idle.put_nowait(worker)
        self._open = True
        if failed:
            await self.__aexit__(None, None, None)
            raise RuntimeError("parse workers did not start") from failed[0]
        log.debug("parse.pool_started workers=%d pids=%s", self.size, self.pids)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        # a replacement half-started is let finish (under a second), then stopped: cancelling
        # create_subprocess_exec midway leaves a child that nobody waits for
        await asyncio.gather(*list(self._starting), return_exceptions=True)
        idle: list[_Worker] = []
        while not self._idle.empty():
            worker = self._idle.get_nowait()
            if worker is not None:
                idle.append(worker)
        for worker in self._live.difference(idle):
            worker.kill()  # busy with a page nobody will read now
        await asyncio.gather(*(w.stop() for w in self._live), return_exceptions=True)
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._live.clear()

    async def parse_page(
        self,
        content: bytes,
        url: str,
        *,
        charset: str | None = None,
        rules: ContentRules | None = None,
    ) -> Article | NotAnArticle:
        """:func:`ingest.parse.html.parse_page` in a worker, under the pool's time limit."""
        result = await self._run("page", content, url, charset, rules)
        assert isinstance(result, Article | NotAnArticle)
        return result

    async def parse_article(
        self,
        content: bytes,
        url: str,
        *,
        charset: str | None = None,
        rules: ContentRules | None = None,
    ) -> Article:
        """:func:`ingest.parse.html.parse_article` in a worker, under the pool's time limit."""
        result = await self._run("article", content, url, charset, rules)
        assert isinstance(result, Article)
        return result

    async def _run(
        self, kind: str, content: bytes, url: str, charset: str | None, rules: ContentRules | None
    ) -> object:
        if not self._open:
            raise RuntimeError("the parse pool is not open")
        plain = Selectors.of(rules)  # the worker never loads the config models
        request = pickle.dumps(
            (kind, content, url, charset, plain), protocol=pickle.HIGHEST_PROTOCOL
        )
        worker = await self._idle.get()
        try:
            worker, (status, value) = await self._call(worker, request, url)
        except BaseException:
            worker = None  # _call killed or dropped it; a replacement takes its place
            raise
        finally:
            self._release(worker)
        if status == "error":
            assert isinstance(value, BaseException)
            raise value
        return value

    async def _call(
        self, worker: _Worker | None, request: bytes, url: str
    ) -> tuple[_Worker, tuple[str, object]]:
        """Run ``request`` on ``worker`` (started or replaced first when needed)."""
        for attempt in range(2):
            if worker is None or worker.is_dead:
                self._retire(worker, kill=True)
                worker = await self._start_for(url)
            try:
                async with asyncio.timeout(self.timeout):
                    return worker, await worker.call(request)
            except _WorkerGone:
                self._retire(worker, kill=True)
                worker = None
                log.warning("parse.worker_gone url=%s attempt=%d", url, attempt + 1)
            except TimeoutError as exc:
                self._retire(worker, kill=True)
                log.debug("parse.timeout url=%s seconds=%s", url, self.timeout)
                raise ParseError(url, "parse_timeout", kind="parse_timeout") from exc
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_STOP_GRACE):
                        await worker.wait()  # the exit code says how it died
                code = worker.proc.returncode
                self._retire(worker, kill=True)
                log.debug("parse.worker_crashed url=%s code=%s", url, code)
                raise ParseError(
                    url, f"worker_crashed: exit code {code}", kind="worker_crashed"
                ) from exc
            except BaseException:
                self._retire(worker, kill=True)  # cancelled mid-page: its answer is unusable
                raise
        raise ParseError(
            url, "worker_crashed: workers die before taking the page", kind="worker_crashed"
        )

    async def _start_for(self, url: str) -> _Worker:
        if not self._open:  # closed while this page was in flight: start nothing new
            raise ParseError(url, "worker_crashed: the pool was closed", kind="worker_crashed")
        try:
            return await self._start()
        except (OSError, RuntimeError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise ParseError(
                url, f"worker_crashed: cannot start a worker: {exc!r}", kind="worker_crashed"
            ) from exc

    async def _start(self) -> _Worker:
        worker = await _Worker.start()
        self._live.add(worker)
        return worker

    def _release(self, worker: _Worker | None) -> None:
        """Give the caller's slot back: its worker, a replacement being started, or retire it."""
        if not self._open:
            return
        if worker is not None and worker.pages >= self.max_pages:
            self._retire(worker, kill=False)
            worker = None
        if worker is None:
            self._background(self._replace(), self._starting)
        else:
            self._idle.put_nowait(worker)

    def _retire(self, worker: _Worker | None, *, kill: bool) -> None:
        if worker is None or worker not in self._live:
            return
        self._live.discard(worker)
        if kill:
            worker.kill()
            self._background(worker.wait(), self._tasks)
        else:
            self._background(worker.stop(), self._tasks)

    async def _replace(self) -> None:
        """Start a worker for a freed slot; an empty slot (None) starts one on next use."""
        worker: _Worker | None = None
        try:
            worker = await self._start()
        except (OSError, RuntimeError, TimeoutError, asyncio.IncompleteReadError):
            log.exception("parse.worker_start_failed")
        finally:
            # also on cancellation: the slot must not be lost
            if self._open:
                self._idle.put_nowait(worker)
            elif worker is not None:
                await worker.stop()

    @staticmethod
    def _background(
        coro: Coroutine[object, object, object], tasks: set[asyncio.Task[None]]
    ) -> None:
        task = asyncio.get_running_loop().create_task(_discard_result(coro))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def _discard_result(coro: Coroutine[object, object, object]) -> None:
    await coro


def _serve() -> None:  # pragma: no cover  (runs in the child process)
    """The worker's loop: read a request, parse, write the answer, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent; it stops us
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not break the protocol

    def send(payload: bytes) -> None:
        answers.write(_HEADER.pack(len(payload)) + payload)
        answers.flush()

    with collecting_less():  # what is alive now lives as long as the worker
        _answer_requests(requests, send)


def _answer_requests(requests: BinaryIO, send: Callable[[bytes], None]) -> None:  # pragma: no cover
    """Greet, then answer each request until ``requests`` ends."""
    send(_READY)
    while True:
        header = requests.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        kind, content, url, charset, rules = pickle.loads(requests.read(size))  # noqa: S301
        parse = parse_page if kind == "page" else parse_article
        try:
            page = parse(content, url, charset=charset, rules=rules)
            answer = pickle.dumps(("ok", page), protocol=-1)
        except Exception as exc:  # noqa: BLE001  (sent back and re-raised in the caller)
            exc.add_note("".join(traceback.format_exception(exc)))
            try:
                answer = pickle.dumps(("error", exc), protocol=-1)
            except Exception:  # noqa: BLE001  (an exception that does not pickle)
                answer = pickle.dumps(("error", RuntimeError(repr(exc))), protocol=-1)
        send(answer)
