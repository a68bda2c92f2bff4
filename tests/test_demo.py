"""The fixture site server: files, content types, validators, origin rewriting, switches."""

from __future__ import annotations

import gzip
import socket
import threading

import httpx
import pytest

from ingest.config import Config, SiteConfig
from ingest.demo import FIXTURE_ORIGIN, FixtureServer, serve_fixtures


@pytest.fixture
def files(tmp_path):
    """A small site: an article dir, home, robots.txt, a gzip sitemap and an XML file."""
    (tmp_path / "post").mkdir()
    (tmp_path / "post" / "index.html").write_text(
        f'<a href="{FIXTURE_ORIGIN}/post/">self</a>', encoding="utf-8"
    )
    (tmp_path / "index.html").write_text("home", encoding="utf-8")
    (tmp_path / "robots.txt").write_text(f"Sitemap: {FIXTURE_ORIGIN}/s.xml.gz\n")
    (tmp_path / "s.xml.gz").write_bytes(gzip.compress(f"<loc>{FIXTURE_ORIGIN}/a</loc>".encode()))
    (tmp_path / "data.xml").write_text("<urlset/>")
    return tmp_path


def test_serves_directory_index_for_slash_urls(files, make_server):
    """``/post/`` serves ``post/index.html`` and ``/`` serves ``index.html``."""
    server = make_server(files)
    with httpx.Client(base_url=server.origin) as client:
        assert client.get("/").text == "home"
        response = client.get("/post/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_directory_without_slash_redirects(files, make_server):
    """``/post`` redirects to ``/post/`` like a real web server."""
    server = make_server(files)
    with httpx.Client(base_url=server.origin) as client:
        response = client.get("/post")
    assert response.status_code == 301
    assert response.headers["location"] == "/post/"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/data.xml", "application/xml"),
        ("/s.xml.gz", "application/gzip"),
    ],
)
def test_content_types(files, make_server, path, content_type):
    """Text, XML and gzip files get the content type real servers send."""
    server = make_server(files)
    with httpx.Client(base_url=server.origin) as client:
        assert client.get(path).headers["content-type"] == content_type


def test_rewrites_fixture_origin_in_text_and_gzip(files, make_server):
    """The literal fixture origin becomes the server's origin, also inside .gz files."""
    server = make_server(files)
    assert server.origin != FIXTURE_ORIGIN
    with httpx.Client(base_url=server.origin) as client:
        html = client.get("/post/").text
        robots = client.get("/robots.txt").text
        sitemap = gzip.decompress(client.get("/s.xml.gz").content).decode()
    assert f'href="{server.origin}/post/"' in html
    assert robots == f"Sitemap: {server.origin}/s.xml.gz\n"
    assert sitemap == f"<loc>{server.origin}/a</loc>"


def test_conditional_requests_get_304(files, make_server):
    """If-None-Match with the ETag, or If-Modified-Since at Last-Modified, answers 304."""
    server = make_server(files)
    with httpx.Client(base_url=server.origin) as client:
        first = client.get("/post/")
        by_etag = client.get("/post/", headers={"If-None-Match": first.headers["etag"]})
        by_date = client.get(
            "/post/", headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        other = client.get("/post/", headers={"If-None-Match": '"nope"'})
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")
    assert other.status_code == 200


def test_set_status_times_then_normal(files, make_server):
    """A status switch with ``times`` applies that often, then the file is served again."""
    server = make_server(files)
    server.set_status("/robots.txt", 503, {"Retry-After": "7"}, times=1)
    with httpx.Client(base_url=server.origin) as client:
        first = client.get("/robots.txt")
        second = client.get("/robots.txt")
    assert (first.status_code, first.headers["retry-after"]) == (503, "7")
    assert second.status_code == 200
    assert [(e.path, e.status) for e in server.requests] == [
        ("/robots.txt", 503),
        ("/robots.txt", 200),
    ]


def test_clear_drops_switches_and_log(files, make_server):
    """``clear()`` forgets switches and the request log."""
    server = make_server(files)
    server.set_status("/", 500)
    with httpx.Client(base_url=server.origin) as client:
        client.get("/")
        server.clear()
        assert server.requests == []
        assert client.get("/").status_code == 200


def test_path_traversal_is_not_served(files, make_server):
    """Paths escaping the root answer 404."""
    secret = files.parent / "secret.txt"
    secret.write_text("secret")
    server = make_server(files)
    with httpx.Client(base_url=server.origin) as client:
        response = client.get("/post/%2e%2e/%2e%2e/secret.txt")
    assert server.requests[0].path == "/post/../../secret.txt"
    assert response.status_code == 404


def test_stop_leaves_no_thread(files):
    """Stopping the server joins its thread and frees the port."""
    with FixtureServer(files) as server:
        origin = server.origin
        thread = server._thread
        assert thread is not None
        assert thread in threading.enumerate()
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(origin + "/")


def test_skincare_site_is_served(site):
    """The session server serves the skincare fixture's robots.txt with its own origin."""
    with httpx.Client(base_url=site.origin) as client:
        robots = client.get("/robots.txt").text
    assert f"Sitemap: {site.origin}/sitemap_index.xml" in robots


def test_serve_fixtures_serves_local_sites_on_their_port(tmp_path):
    """Sites on 127.0.0.1 with a fixture folder are served on their URL's port; others skipped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "local" / "site").mkdir(parents=True)
    (tmp_path / "local" / "site" / "index.html").write_text("local home")
    config = Config(
        sites=(
            SiteConfig(name="local", url=f"http://127.0.0.1:{port}/"),
            SiteConfig(name="nofolder", url="http://127.0.0.1:1/"),
            SiteConfig(name="remote", url="https://example.com/"),
        )
    )
    with serve_fixtures(config, tmp_path) as served:
        assert served == [("local", f"http://127.0.0.1:{port}")]
        with httpx.Client() as client:
            assert client.get(f"http://127.0.0.1:{port}/").text == "local home"
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(f"http://127.0.0.1:{port}/")
