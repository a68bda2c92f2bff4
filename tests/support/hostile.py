"""A raw asyncio HTTP/1.1 server on 127.0.0.1 that misbehaves below HTTP, path by path.

Each path gets a :data:`Handler` (``async (conn) -> None``) that writes whatever bytes it likes:
the factories below cover the hostile cases (reset mid-body, close short of Content-Length, drip,
endless headers, compression bombs, redirects, 429 with Retry-After, odd robots.txt). Unknown
paths get a 404. Every request is logged as a :class:`Hit` (path, headers, arrival time, bytes
of body sent, whether the handler finished) so tests assert on what the server saw.

The server runs in the test's own event loop (fixture ``hostile`` in ``support.server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import socket
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import brotli  # type: ignore[import-untyped]  # ships no stubs or py.typed

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_REASONS = {200: "OK", 301: "Moved", 302: "Found", 404: "Not Found", 429: "Too Many", 500: "Err"}
_MAX_REQUEST_HEAD = 64 * 1024


@dataclass(slots=True)
class Hit:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    started: float
    """``time.monotonic()`` when the request head was read."""
    sent: int = 0
    """Body bytes the handler managed to write."""
    finished: bool = False
    """The handler ran to its end (False when the client went away first)."""


@dataclass(slots=True)
class Conn:
    """The connection a handler answers on."""

    hit: Hit
    writer: asyncio.StreamWriter

    async def head(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        """Write a status line and headers."""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()

    async def body(self, data: bytes) -> None:
        """Write body bytes and count them."""
        self.writer.write(data)
        await self.writer.drain()
        self.hit.sent += len(data)

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0)."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


Handler = Callable[[Conn], Awaitable[None]]
"""What answers one path: writes a response (or misbehaves) on the connection."""


class HostileServer:
    """Serve :data:`Handler` s per path on 127.0.0.1:PORT; ``origin`` once started."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: list[Hit] = []
        self.origin = ""
        self.port = 0
        self.max_in_flight = 0
        self._in_flight = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop listening and cancel handlers still running."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def route(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with ``handler``."""
        self.routes[path] = handler

    def paths(self) -> list[str]:
        """Paths requested, in arrival order."""
        return [hit.path for hit in self.hits]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                hit = _parse_head(head)
                self.hits.append(hit)
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
                try:
                    handler = self.routes.get(hit.path, _not_found)
                    await handler(Conn(hit, writer))
                    hit.finished = True
                except (ConnectionError, OSError):
                    return
                finally:
                    self._in_flight -= 1
                if writer.is_closing():
                    return
        finally:
            self._tasks.discard(task)
            writer.close()


def _parse_head(head: bytes) -> Hit:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return Hit(path=parts[1] if len(parts) > 1 else "/", headers=headers, started=time.monotonic())


async def _not_found(conn: Conn) -> None:
    await conn.head(404, {"Content-Length": "0"})


# -- handler factories ---------------------------------------------------------------------


def respond(
    status: int = 200,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    content_type: str = "text/html; charset=utf-8",
) -> Handler:
    """A well-formed response with Content-Length."""

    async def handler(conn: Conn) -> None:
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        all_headers.update(headers or {})
        await conn.head(status, all_headers)
        await conn.body(body)

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    """A redirect to ``location`` (absolute or relative)."""
    return respond(status, b"", {"Location": location})


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler; the last one repeats."""
    count = 0

    async def handler(conn: Conn) -> None:
        nonlocal count
        chosen = handlers[min(count, len(handlers) - 1)]
        count += 1
        await chosen(conn)

    return handler


def reset_mid_body(body: bytes) -> Handler:
    """Announce ``body``, send half of it, then reset the connection."""

    async def handler(conn: Conn) -> None:
        await conn.head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
        await conn.body(body[: len(body) // 2])
        conn.reset()

    return handler


def short_body(body: bytes, missing: int = 100) -> Handler:
    """Announce ``missing`` more bytes than ``body`` holds, send it, close cleanly."""

    async def handler(conn: Conn) -> None:
        length = str(len(body) + missing)
        await conn.head(200, {"Content-Type": "text/html", "Content-Length": length})
        await conn.body(body)
        conn.writer.close()

    return handler


def drip(body: bytes, interval: float) -> Handler:
    """Send the headers at once, then ``body`` one byte every ``interval`` seconds."""

    async def handler(conn: Conn) -> None:
        await conn.head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
        for index in range(len(body)):
            await conn.body(body[index : index + 1])
            await asyncio.sleep(interval)

    return handler


def endless_headers() -> Handler:
    """A status line, then header lines that never end."""

    async def handler(conn: Conn) -> None:
        conn.writer.write(b"HTTP/1.1 200 OK\r\n")
        index = 0
        while not conn.writer.is_closing():
            conn.writer.write(f"X-Pad-{index}: {'a' * 1000}\r\n".encode())
            await conn.writer.drain()
            conn.hit.sent += 1000
            index += 1

    return handler


def encoded(body: bytes, encoding: str, *, content_type: str = "text/html") -> Handler:
    """``body`` already encoded, sent with ``Content-Encoding: encoding``."""
    return respond(200, body, {"Content-Encoding": encoding}, content_type=content_type)


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*parts, compressor.flush()])


@functools.cache
def brotli_bomb(size: int) -> bytes:
    """``size`` zero bytes, brotli-compressed (a few hundred bytes)."""
    compressor = brotli.Compressor(quality=5)
    chunk = bytes(1 << 20)
    parts = [compressor.process(chunk) for _ in range(size >> 20)]
    return b"".join([*parts, compressor.finish()])


def gzipped(data: bytes) -> bytes:
    """``data`` gzip-compressed (mtime 0, deterministic)."""
    return gzip.compress(data, mtime=0)


def robots(text: str | bytes, status: int = 200) -> Handler:
    """A robots.txt answer."""
    data = text.encode() if isinstance(text, str) else text
    return respond(status, data, content_type="text/plain")


def statuses(entries: Sequence[tuple[int, Mapping[str, str]]], body: bytes = b"ok") -> Handler:
    """Answer with each (status, headers) in turn, then 200 with ``body`` for good."""
    handlers = [respond(status, b"", headers) for status, headers in entries]
    return sequence(*handlers, respond(200, body))
