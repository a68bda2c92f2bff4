from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.items import Article, Section
from ingest.store.db import Database
from ingest.store.search import RANKED_MATCHES
from support.articles import store

ARTICLES = (
    Article(
        "https://skincare.example/serum",
        "Vitamin C serum",
        sections=(Section("Why", 2, ("Vitamin C brightens the skin.",)),),
    ),
    Article(
        "https://kitchen.example/citrus",
        "Citrus",
        sections=(Section("Juice", 2, ("Oranges are rich in vitamin C and fibre.",)),),
    ),
)


async def _fill(url: str) -> None:
    database = Database.from_url(url)
    try:
        await database.upgrade()
        async with database.session() as session, session.begin():
            for article in ARTICLES:
                await store(session, article, site=article.url.split("//")[1].split(".")[0])
    finally:
        await database.dispose()


@pytest.fixture
def filled(database_url: str) -> str:
    """A database (SQLite file or PostgreSQL schema) holding two sites' articles."""
    asyncio.run(_fill(database_url))
    return database_url


def test_search_json_lists_ranked_hits_with_snippets(filled):
    """--format json prints every hit with site, url, title, heading, position, snippet, rank."""
    result = CliRunner().invoke(cli, ["search", '"vitamin c"', "--db", filled, "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [hit["url"] for hit in hits] == [
        "https://skincare.example/serum",
        "https://kitchen.example/citrus",
    ]
    assert set(hits[0]) == {"site", "url", "title", "heading", "position", "snippet", "rank"}
    snippet = hits[1]["snippet"].lower().rstrip(".")  # FTS5 marks the phrase, PostgreSQL words
    assert snippet in {
        "oranges are rich in [vitamin c] and fibre",
        "oranges are rich in [vitamin] [c] and fibre",
    }
    assert hits[0]["rank"] > hits[1]["rank"]


def test_search_site_and_limit_options(filled):
    """--site keeps one site; --limit caps the hits."""
    runner = CliRunner()
    options = ["--db", filled, "--format", "json"]
    only = runner.invoke(cli, ["search", "vitamin", "--site", "kitchen", *options])
    assert [hit["site"] for hit in json.loads(only.stdout)] == ["kitchen"]
    one = runner.invoke(cli, ["search", "vitamin", "--limit", "1", *options])
    assert len(json.loads(one.stdout)) == 1


def test_search_table_shows_the_hits(filled):
    """The default table names each hit's title and shows the snippet."""
    result = CliRunner().invoke(cli, ["search", "oranges", "--db", filled])
    assert result.exit_code == 0, result.output
    assert "Citrus" in result.stdout
    assert "Oranges" in result.stdout
    assert "Vitamin C serum" not in result.stdout


def test_search_without_hits_exits_0_and_says_so(filled):
    """No match is not an error: exit 0, an empty JSON list, or 'no matches' on stderr."""
    runner = CliRunner()
    as_json = runner.invoke(cli, ["search", "zebra", "--db", filled, "--format", "json"])
    assert (as_json.exit_code, json.loads(as_json.stdout)) == (0, [])
    as_table = runner.invoke(cli, ["search", 'zebra "(', "--db", filled])
    assert (as_table.exit_code, as_table.stdout, as_table.stderr) == (0, "", "no matches\n")


def test_search_bad_limit_is_a_usage_error(tmp_path):
    """--limit 0 is refused by click with exit code 2."""
    database = f"sqlite:///{tmp_path}/x.db"
    result = CliRunner().invoke(cli, ["search", "x", "--limit", "0", "--db", database])
    assert result.exit_code == 2
    assert "--limit" in result.output


def test_help_states_the_ranking_cap():
    """--help tells people where ranking stops, with the number the code uses."""
    result = CliRunner().invoke(cli, ["search", "--help"])
    assert f"more than {RANKED_MATCHES:,} sections" in " ".join(result.output.split())
