from __future__ import annotations

import io
from contextlib import aclosing
from typing import TYPE_CHECKING

from ingest.batch import expand_inputs, extract_many
from ingest.config import FetchConfig
from ingest.demo import FIXTURE_ORIGIN
from ingest.parse.html import parse_article
from ingest.workers import ParsePool

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.demo import FixtureServer

ARTICLE = "what-does-microneedling-actually-do"
OTHER = "why-is-my-skin-darker-after-microneedling"
FAST = FetchConfig(attempts=1, backoff=0.0)


def _touch(path: Path, text: str = "<p>x</p>") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_a_directory_gives_its_html_files_recursively_in_sorted_order(tmp_path):
    """A directory expands to its .html/.htm files (any case, any depth), sorted; others skipped."""
    b = _touch(tmp_path / "b.html")
    a = _touch(tmp_path / "sub" / "a.HTM")
    z = _touch(tmp_path / "a" / "z.htm")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / "image.png")
    assert expand_inputs([str(tmp_path)]) == sorted([b, a, z])


def test_urls_files_and_missing_paths_pass_through_in_order(tmp_path):
    """Targets that are not directories are kept as given, in the order given."""
    missing = str(tmp_path / "missing.html")
    targets = ["https://example.com/a", missing, "http://example.com/b"]
    assert expand_inputs(targets) == targets


def test_dash_reads_targets_from_stdin_and_expands_them(tmp_path):
    """``-`` stands for stdin's lines: blanks and # comments skipped, directories expanded."""
    page = _touch(tmp_path / "dir" / "p.html")
    stdin = io.StringIO(f"https://example.com/a\n\n# a comment\n  {tmp_path / 'dir'}  \nx.html\n")
    got = expand_inputs(["first.html", "-", "last.html"], stdin=stdin)
    assert got == ["first.html", "https://example.com/a", page, "x.html", "last.html"]


async def _collect(targets, **kwargs):
    async with aclosing(extract_many(targets, config=FAST, **kwargs)) as results:
        return [item async for item in results]


async def test_results_keep_input_order_and_failures_do_not_stop_the_rest(
    site: FixtureServer, fixture_root: Path, tmp_path: Path
):
    """A missing file and a 404 give error messages in place; the other inputs still extract."""
    site.set_delay(f"/{ARTICLE}/", 0.3)  # the first input finishes last
    file_page = fixture_root / OTHER / "index.html"
    targets = [
        f"{site.origin}/{ARTICLE}/",
        str(tmp_path / "missing.html"),
        f"{site.origin}/no-such-page/",
        str(file_page),
    ]
    got = await _collect(targets, concurrency=4)
    assert [target for target, _, _ in got] == targets
    first, missing, not_found, from_file = got
    on_disk = (fixture_root / ARTICLE / "index.html").read_bytes()
    served = on_disk.replace(FIXTURE_ORIGIN.encode(), site.origin.encode())  # as the server does
    assert first[1] == parse_article(served, f"{site.origin}/{ARTICLE}/")
    assert first[2] is None
    assert missing[1] is None
    assert "cannot read file: No such file or directory" in (missing[2] or "")
    assert not_found[1] is None
    assert "http_404" in (not_found[2] or "")
    assert from_file[1] == parse_article(file_page.read_bytes(), file_page.resolve().as_uri())
    assert from_file[2] is None


async def test_a_parse_pool_gives_the_same_articles_as_parsing_in_a_thread(fixture_root: Path):
    """With a ParsePool the articles equal the in-thread ones, in input order."""
    targets = expand_inputs([str(fixture_root)])
    assert len(targets) == 4
    in_thread = await _collect(targets)
    async with ParsePool(workers=2) as pool:
        in_workers = await _collect(targets, pool=pool, concurrency=3)
    assert in_workers == in_thread
    assert all(article is not None and error is None for _, article, error in in_workers)


async def test_a_parse_timeout_is_reported_for_that_input_only(tmp_path: Path):
    """A page that exceeds the pool's limit gets a parse_timeout error; the next input works."""
    depth = 50_000
    deep = _touch(tmp_path / "deep.html", "<div>" * depth + "x" + "</div>" * depth)
    fine = _touch(tmp_path / "fine.html", "<h1>Title</h1><p>Body text.</p>")
    async with ParsePool(workers=1, timeout=0.3) as pool:
        got = await _collect([deep, fine], pool=pool)
    assert got[0][1] is None
    assert (got[0][2] or "").endswith("parse_timeout")
    assert got[1][1] is not None
    assert got[1][1].title == "Title"
