"""A fixture site served over real HTTP on 127.0.0.1: for ``ingest demo``, tests and benchmarks.

:class:`FixtureServer` runs a small starlette app under uvicorn in a background thread. It serves
a directory (``/slug/`` → ``slug/index.html``) with ETag, Last-Modified and 304 answers to
conditional requests, and rewrites the literal origin ``http://127.0.0.1:8765`` in text files (and
inside ``.gz`` files) to its real origin, so fixture files can hold absolute URLs. Tests switch
misbehaviour per path (a status with headers, possibly only N times; a delay; a chunked body
without Content-Length) and read the request log, including the most requests seen in flight.

Validators are computed from the served (rewritten) bytes, which is why this is not starlette's
``StaticFiles``: that one derives Content-Length and ETag from the file on disk.
"""

from __future__ import annotations

__all__ = ["FIXTURE_ORIGIN", "FixtureServer", "RequestLogEntry", "serve_fixtures"]

import asyncio
import contextlib
import gzip
import hashlib
import mimetypes
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping
    from pathlib import Path
    from types import TracebackType

    from starlette.requests import Request

    from ingest.config import Config

FIXTURE_ORIGIN = "http://127.0.0.1:8765"
"""The origin written in fixture files; replaced by the server's real origin when served."""

_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_START_TIMEOUT = 10.0
_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request the server answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    """Request headers, names lower-cased."""
    status: int
    started: float
    """``time.monotonic()`` when the request arrived."""
    peer: str = ""
    """The client's ``host:port``: requests on one kept-alive connection share it."""


@dataclass(slots=True)
class _Switch:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    delay: float = 0.0
    chunked: bool = False


class FixtureServer:
    """Serve ``root`` over HTTP on ``host:port`` (port 0 picks a free one) in a thread."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self.host = host
        self.port = port
        self.origin = ""
        self.requests: list[RequestLogEntry] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._switches: dict[str, _Switch] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Bind, start uvicorn in a thread and return once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FixtureServer already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.origin = f"http://{self.host}:{self.port}"
        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["GET", "HEAD"])])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="error",  # not "Invalid HTTP request" for each https:// ads.txt probe
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fixture-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fixture server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Ask uvicorn to exit, join its thread and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- misbehaviour switches -------------------------------------------------------------

    def set_status(
        self,
        path: str,
        status: int,
        headers: Mapping[str, str] | None = None,
        *,
        times: int | None = None,
    ) -> None:
        """Answer ``path`` with ``status`` (and ``headers``), the next ``times`` times or always."""
        with self._lock:
            switch = self._switches.setdefault(path, _Switch())
            switch.status, switch.headers, switch.times = status, dict(headers or {}), times

    def set_delay(self, path: str, seconds: float) -> None:
        """Wait ``seconds`` before answering ``path``."""
        with self._lock:
            self._switches.setdefault(path, _Switch()).delay = seconds

    def set_chunked(self, path: str, chunked: bool = True) -> None:
        """Stream ``path``'s body in chunks without a Content-Length."""
        with self._lock:
            self._switches.setdefault(path, _Switch()).chunked = chunked

    def clear(self, *, settle: float = 5.0) -> None:
        """Drop every switch and the request log, once requests still being answered are done.

        A request a client gave up on (a timeout test) is still answered, and logged, by the
        server; waiting up to ``settle`` seconds for it keeps it out of the next log.
        """
        until = time.monotonic() + settle
        while self._in_flight and time.monotonic() < until:
            time.sleep(0.01)
        with self._lock:
            self._switches.clear()
            self.requests.clear()
            self.max_in_flight = 0

    def paths(self, method: str = "GET") -> list[str]:
        """The paths requested with ``method``, in the order they were answered."""
        with self._lock:
            return [entry.path for entry in self.requests if entry.method == method]

    # -- serving ---------------------------------------------------------------------------

    def _take_switch(self, path: str) -> _Switch:
        with self._lock:
            switch = self._switches.get(path)
            if switch is None:
                return _Switch()
            taken = _Switch(switch.status, dict(switch.headers), None, switch.delay, switch.chunked)
            if switch.times is not None:
                switch.times -= 1
                if switch.times <= 0:
                    switch.status, switch.headers, switch.times = None, {}, None
            return taken

    async def _endpoint(self, request: Request) -> Response:
        started = time.monotonic()
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        entry = None
        try:
            switch = self._take_switch(request.url.path)
            if switch.delay:
                await asyncio.sleep(switch.delay)
            response = self._respond(request, switch)
            entry = RequestLogEntry(
                method=request.method,
                path=request.url.path,
                headers={key.lower(): value for key, value in request.headers.items()},
                status=response.status_code,
                started=started,
                peer=f"{request.client.host}:{request.client.port}" if request.client else "",
            )
        finally:
            with self._lock:
                self._in_flight -= 1
                if entry is not None:
                    self.requests.append(entry)
        return response

    def _respond(self, request: Request, switch: _Switch) -> Response:
        if switch.status is not None:
            body = b"" if request.method == "HEAD" else f"status {switch.status}\n".encode()
            return Response(body, status_code=switch.status, headers=switch.headers)
        path = request.url.path
        file = self._file_for(path)
        if file is None:
            return self._missing(path)
        body = self._body_of(file)
        mtime = int(file.stat().st_mtime)
        headers = {
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            "Last-Modified": formatdate(mtime, usegmt=True),
        }
        if _not_modified(request, headers["ETag"], mtime):
            return Response(status_code=304, headers=headers)
        headers["Content-Type"] = _media_type(file)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers)
        if switch.chunked:
            return StreamingResponse(_chunks(body), headers=headers)
        return Response(body, headers=headers)

    def _missing(self, path: str) -> Response:
        if (self.root / path.lstrip("/")).is_dir() and not path.endswith("/"):
            return RedirectResponse(path + "/", status_code=301)
        return Response(b"not found\n", status_code=404, media_type="text/plain")

    def _file_for(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir() and (path.endswith("/") or path == ""):
            candidate /= "index.html"
        return candidate if candidate.is_file() else None

    def _body_of(self, file: Path) -> bytes:
        data = file.read_bytes()
        origin = self.origin.encode()
        old = FIXTURE_ORIGIN.encode()
        if file.suffix == ".gz":
            inner = gzip.decompress(data)
            return gzip.compress(inner.replace(old, origin), mtime=0) if old in inner else data
        if file.suffix.lower() in _TEXT_TYPES:
            return data.replace(old, origin)
        return data


def _media_type(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in _TEXT_TYPES:
        return _TEXT_TYPES[suffix]
    if suffix == ".gz":
        return "application/gzip"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


def _not_modified(request: Request, etag: str, mtime: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError):
            return False
        return mtime <= since
    return False


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), _CHUNK):
        yield body[start : start + _CHUNK]
        await asyncio.sleep(0)


@contextlib.contextmanager
def serve_fixtures(config: Config, fixtures: Path) -> Iterator[list[tuple[str, str]]]:
    """Serve ``fixtures/NAME/site/`` for each site of ``config`` whose URL is on 127.0.0.1.

    Each server listens on its site's URL port, so the config's URLs work unchanged. Sites on
    other hosts, or without a fixture folder, are left alone. Yields ``(name, origin)`` pairs
    and stops every server on exit.
    """
    with contextlib.ExitStack() as stack:
        served: list[tuple[str, str]] = []
        for site in config.sites:
            parts = urlsplit(site.url)
            root = fixtures / site.name / "site"
            if parts.hostname != "127.0.0.1" or not root.is_dir():
                continue
            server = stack.enter_context(FixtureServer(root, port=parts.port or 80))
            served.append((site.name, server.origin))
        yield served
