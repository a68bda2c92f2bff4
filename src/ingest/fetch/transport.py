"""The SSRF guard at connect time: resolve once, check every address, connect to a checked one.

httpx 0.28 has no resolver hook, so the guard sits in httpcore's network backend (the seam its
connection pool already has, see encode/httpx#3749): :class:`GuardedBackend` resolves the host
itself, refuses the connection unless *every* resolved address is permitted, then connects by
IP through httpcore's stock ``AnyIOBackend``. The URL, and so the ``Host`` header, TLS SNI and
the pool's per-origin keying, keep the name: nothing is rewritten, and no second lookup happens
between the check and the connect (no DNS-rebinding window).

What a request may reach travels with it: ``fetch`` passes ``extensions=guard_extensions(allow)``
and :class:`GuardedTransport` hands it to the backend through a context variable (httpcore
connects in the requesting task). A pooled connection is reused without connecting again, so the
transport also checks the peer address of every response against the request's allowance.

A request without the extension is treated as ``allow=False``: public addresses only.
"""

from __future__ import annotations

__all__ = [
    "ALLOW_EXTENSION",
    "GuardedBackend",
    "GuardedTransport",
    "OriginPools",
    "Resolver",
    "guard_extensions",
]

import contextvars
import ipaddress
import select
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self

import anyio
import httpcore
import httpx

from ingest.fetch.guard import Address, Allow, BlockedAddress, permitted

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

Resolver = Callable[[str, int], Awaitable[list[Address]]]
"""``async (host, port) -> addresses``: how the backend resolves names (tests inject one)."""

ALLOW_EXTENSION = "ingest.allow"
"""The request extension carrying the site's :data:`~ingest.fetch.guard.Allow`."""

_allowance: contextvars.ContextVar[Allow] = contextvars.ContextVar("ingest_allow", default=False)


def guard_extensions(allow: Allow) -> dict[str, Any]:
    """The ``extensions=`` a request passes so the guard applies the site's ``allow``."""
    return {ALLOW_EXTENSION: allow}


async def _system_resolve(host: str, port: int) -> list[Address]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses the current request may reach."""

    def __init__(
        self,
        resolve: Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolve = resolve or _system_resolve
        self._backend = backend or httpcore.AnyIOBackend()

    async def addresses(
        self,
        host: str,
        port: int,
        timeout: float | None,  # noqa: ASYNC109  (httpcore's connect timeout, passed down)
    ) -> list[Address]:
        """Resolve ``host`` once; refuse (``BlockedAddress``) unless every address is permitted."""
        allow = _allowance.get()
        try:
            literal: Address | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            found = [literal]
        else:
            try:
                with anyio.fail_after(timeout):
                    found = await self._resolve(host, port)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
            if not found:
                raise httpcore.ConnectError(f"{host} has no address")
        for address in found:
            if not permitted(address, allow):
                raise BlockedAddress(host, address)
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first checked address of ``host`` that answers."""
        error: Exception | None = None
        for address in await self.addresses(host, port, timeout):
            try:
                stream = await self._backend.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
                return _KnownPeerStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # addresses() never returns an empty list
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109, ARG002  (httpcore's backend interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never a fetch target."""
        raise BlockedAddress(path, "unix socket")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does."""
        await self._backend.sleep(seconds)


class _KnownPeerStream(httpcore.AsyncNetworkStream):
    """A connected stream that reads its socket and peer address once, at connect time.

    Before each request httpcore asks every pooled connection whether it is readable, and the
    transport asks each response for its peer; anyio answers either by building a mapping of
    all its attributes, which with a few dozen pooled connections cost more than the request.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")
        self._server_addr = stream.get_extra_info("server_addr")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """Read as the wrapped stream does."""
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Write as the wrapped stream does."""
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the wrapped stream."""
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade to TLS; the TLS stream is wrapped the same way."""
        return _KnownPeerStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:  # noqa: ANN401  (httpcore's interface)
        """``server_addr`` and ``is_readable`` from what was read at connect time; others as is."""
        if info == "server_addr":
            return self._server_addr
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether the socket has data or EOF waiting (an idle pooled connection the server closed)."""
    if sock is None:
        return False
    if sock.fileno() == -1:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class OriginPools:
    """One httpcore connection pool per origin, made on first use, all closed together.

    httpcore's pool looks at every connection it holds to place each request (and polls each
    idle one for a close by the server): with a run's dozens of hosts in one pool that costs
    more than the request. Each origin's pool holds only that host's connections; the host
    limiter already bounds how many requests a host gets at once.
    """

    def __init__(self, make: Callable[[], httpcore.AsyncConnectionPool]) -> None:
        self._make = make
        self.pools: dict[tuple[bytes, bytes, int | None], httpcore.AsyncConnectionPool] = {}

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """Send ``request`` through its origin's pool."""
        url = request.url
        origin = (url.scheme, url.host, url.port)
        pool = self.pools.get(origin)
        if pool is None:
            pool = self.pools[origin] = self._make()
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        """Close every pool (and so every connection)."""
        pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's default transport over :class:`GuardedBackend` connection pools, one per origin."""

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        resolve: Resolver | None = None,
    ) -> None:
        super().__init__(limits=limits, trust_env=False, http1=True, http2=False)
        # httpx 0.28 takes no network_backend (encode/httpx#3749): rebuild its pool with ours.
        # test_client pins that the pools are ours, so an httpx upgrade cannot drop the guard.
        ssl_context = httpx.create_ssl_context(trust_env=False)
        backend = GuardedBackend(resolve)

        def make() -> httpcore.AsyncConnectionPool:
            return httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                http1=True,
                http2=False,
                network_backend=backend,
            )

        self._pool = OriginPools(make)  # type: ignore[assignment]  # what httpx calls of a pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` under its allowance; refuse a reused connection to a forbidden peer."""
        allow: Allow = request.extensions.get(ALLOW_EXTENSION, False)
        token = _allowance.set(allow)
        try:
            response = await super().handle_async_request(request)
        finally:
            _allowance.reset(token)
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer:
            address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
            if not permitted(address, allow):
                await response.aclose()
                raise BlockedAddress(request.url.host, address)
        return response
