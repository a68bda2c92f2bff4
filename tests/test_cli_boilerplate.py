"""``show --no-boilerplate`` and ``extract --no-boilerplate``: leaving a site's boilerplate out.

The database is built through the run's own path (``support.articles.store_deduped``: the
persistent index, then ``flag_boilerplate``): six articles of the site ``glow`` share the
fixture page's "Conclusion" word for word and a slightly reworded copy of its
"Is Microneedling Safe?", so both are flagged as the site's boilerplate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ingest.cli import ExitCode, cli
from ingest.items import Article, Section
from ingest.parse.html import parse_article
from ingest.store import queries
from ingest.store.db import Database
from support.articles import store_deduped

if TYPE_CHECKING:
    from ingest.demo import FixtureServer

REPO = Path(__file__).resolve().parents[1]
SLUG = "what-does-microneedling-actually-do"
PAGE = REPO / "fixtures" / "skincare" / "site" / SLUG / "index.html"
SAFE, CONCLUSION = "Is Microneedling Safe?", "Conclusion"
TOPICS = ("retinol", "sunscreen", "peptides", "niacinamide", "ceramides", "exfoliation")


def _fixture_sections() -> dict[str, Section]:
    article = parse_article(PAGE.read_bytes(), PAGE.resolve().as_uri())
    return {s.heading: s for s in article.sections}


def _reworded(section: Section) -> Section:
    """The section with a few words changed, as another page of the site would say it."""
    text = section.paragraphs[0].replace("safe and effective", "safe and very effective")
    text = text.replace("It is essential", "It is important")
    return dataclasses.replace(section, paragraphs=(text, *section.paragraphs[1:]))


def _articles(origin: str) -> list[Article]:
    shared = _fixture_sections()
    safe, conclusion = _reworded(shared[SAFE]), shared[CONCLUSION]
    return [
        Article(
            f"{origin}/{topic}/",
            topic,
            sections=(
                Section("", 0, (f"Everything about {topic}, in article number {n} of the site.",)),
                Section(f"How {topic} works", 2, (f"{topic} was studied in trial {n} on skin.",)),
                safe,
                conclusion,
            ),
        )
        for n, topic in enumerate(TOPICS)
    ]


async def _build(url: str, origin: str) -> None:
    database = Database.from_url(url)
    await database.upgrade()
    try:
        await store_deduped(database, _articles(origin), site="glow", url=f"{origin}/")
    finally:
        await database.dispose()


async def _counts(url: str) -> dict[str, int]:
    database = Database.from_url(url)
    try:
        async with database.session() as session:
            return await queries.table_counts(session)
    finally:
        await database.dispose()


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path, site: FixtureServer) -> list[str]:
    """``--db`` of a SQLite file holding the site ``glow`` (home page on the fixture server)."""
    url = f"sqlite:///{tmp_path / 'glow.db'}"
    asyncio.run(_build(url, site.origin))
    return ["--db", url]


def _headings(output: str) -> list[str]:
    return [section["heading"] for section in json.loads(output)["sections"]]


def test_show_says_what_is_boilerplate_and_leaves_it_out_on_request(runner, db, site):
    """The show JSON flags each section; --no-boilerplate drops the flagged ones, table and JSON."""
    url = f"{site.origin}/peptides/"
    full = runner.invoke(cli, ["show", url, *db, "--format", "json"])
    assert full.exit_code == ExitCode.OK, full.output
    flags = [(s["heading"], s["boilerplate"]) for s in json.loads(full.output)["sections"]]
    assert flags == [
        ("", False),
        ("How peptides works", False),
        (SAFE, True),
        (CONCLUSION, True),
    ]

    lean = runner.invoke(cli, ["show", url, *db, "--format", "json", "--no-boilerplate"])
    assert lean.exit_code == ExitCode.OK, lean.output
    assert _headings(lean.output) == ["", "How peptides works"]

    table = runner.invoke(cli, ["show", url, *db])
    lean_table = runner.invoke(cli, ["show", url, *db, "--no-boilerplate"])
    assert SAFE in table.output
    assert "How peptides works" in lean_table.output
    assert SAFE not in lean_table.output
    assert CONCLUSION not in lean_table.output


def test_extract_a_file_leaves_out_the_named_sites_boilerplate(runner, db):
    """A page's copy of a flagged section goes, exact or reworded; the rest stay, in order."""
    plain = runner.invoke(cli, ["extract", str(PAGE)])
    assert plain.exit_code == ExitCode.OK, plain.output
    assert SAFE in _headings(plain.output)
    before = asyncio.run(_counts(db[1]))

    lean = runner.invoke(cli, ["extract", str(PAGE), "--no-boilerplate", *db, "--site", "glow"])
    assert lean.exit_code == ExitCode.OK, lean.output
    kept = [h for h in _headings(plain.output) if h not in {SAFE, CONCLUSION}]
    assert _headings(lean.output) == kept
    assert json.loads(lean.output)["sections"] == [
        s for s in json.loads(plain.output)["sections"] if s["heading"] in kept
    ]
    assert asyncio.run(_counts(db[1])) == before  # read only: nothing stored


def test_extract_a_url_compares_with_the_stored_site_on_its_host(runner, db, site):
    """Without --site a URL is compared with the stored site whose home page is on its host."""
    url = f"{site.origin}/{SLUG}/"
    lean = runner.invoke(cli, ["extract", url, "--no-boilerplate", *db, "--format", "markdown"])
    assert lean.exit_code == ExitCode.OK, lean.output
    assert "## How Microneedling Works" in lean.output
    assert SAFE not in lean.output
    assert f"## {CONCLUSION}" not in lean.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["extract", str(PAGE), "--no-boilerplate"], "--no-boilerplate on a file needs --site"),
        (
            ["extract", str(PAGE), "--no-boilerplate", "--site", "nope"],
            "no site named nope in sqlite:///",
        ),
        (
            ["extract", "http://127.0.0.1:9/page/", "--no-boilerplate"],
            "no stored site is on the host of http://127.0.0.1:9/page/; name one with --site",
        ),
        (["extract", str(PAGE), "--site", "glow"], "--site and --source go together"),
    ],
    ids=["file-without-site", "unknown-site", "unknown-host", "site-without-flag"],
)
def test_extract_usage_errors_exit_2(runner, db, arguments, message):
    """Each way of asking for an impossible comparison is a usage error that says why."""
    result = runner.invoke(cli, [*arguments, *db])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output


def test_extract_without_a_database_exits_2_and_creates_none(runner, tmp_path):
    """--no-boilerplate on a database no run has created says so, exits 2 and leaves no file."""
    path = tmp_path / "none.db"
    arguments = ["extract", str(PAGE), "--no-boilerplate", "--site", "glow"]
    result = runner.invoke(cli, [*arguments, "--db", f"sqlite:///{path}"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "no ingest database at" in result.output
    assert not path.exists()


def test_extract_takes_database_and_dedupe_settings_from_the_sites_file(runner, db, tmp_path):
    """With --source and no --db the file's database: is read, and its never_merge applies."""
    source = tmp_path / "sites.yaml"
    source.write_text(
        f"database: {db[1]}\n"
        "dedupe:\n  never_merge:\n    - heading: safe\n"
        "sites:\n  - name: glow\n    url: http://127.0.0.1:9/\n",
        encoding="utf-8",
    )
    lean = runner.invoke(
        cli,
        ["extract", str(PAGE), "--no-boilerplate", "--site", "glow", "--source", str(source)],
        env={"INGEST_DATABASE_URL": None},
    )
    assert lean.exit_code == ExitCode.OK, lean.output
    assert CONCLUSION not in _headings(lean.output)  # the exact copy still matches
    assert SAFE in _headings(lean.output)  # the reworded one may not merge any more
