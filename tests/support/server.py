"""Pytest plugin: the fixture site over real HTTP on 127.0.0.1 (``ingest.demo.FixtureServer``).

Fixtures: ``fixture_root`` (the skincare site in the repo), ``site_server`` (one server for the
session), ``site`` (that server with switches and request log cleared for this test) and
``make_server`` (a factory for servers over a test's own files, stopped after the test), and
``hostile`` (a raw asyncio server that misbehaves below HTTP, see ``support.hostile``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.demo import FixtureServer
from support.hostile import HostileServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fixture_root() -> Path:
    """The served directory of the skincare fixture site."""
    return REPO / "fixtures" / "skincare" / "site"


@pytest.fixture(scope="session")
def site_server(fixture_root: Path) -> Iterator[FixtureServer]:
    """One fixture server over the skincare site for the whole session."""
    with FixtureServer(fixture_root) as server:
        yield server


@pytest.fixture
def site(site_server: FixtureServer) -> FixtureServer:
    """The session's fixture server with no switches and an empty request log."""
    site_server.clear()
    return site_server


@pytest.fixture
def make_server() -> Iterator[Callable[[Path], FixtureServer]]:
    """Start a fixture server over a given directory; every one is stopped after the test."""
    started: list[FixtureServer] = []

    def make(root: Path) -> FixtureServer:
        server = FixtureServer(root)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    """A raw asyncio server on 127.0.0.1 that misbehaves per path (``support.hostile``)."""
    server = HostileServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
