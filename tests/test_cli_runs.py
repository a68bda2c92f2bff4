"""``ingest runs``, ``ingest stats``, ``ingest export`` and ``ingest run --dry-run/--max-pages``."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ingest.cli import ExitCode, cli

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.demo import FixtureServer

ARTICLE = "/what-does-microneedling-actually-do/"


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


@pytest.fixture
def sites_file(tmp_path: Path, site: FixtureServer, database_url: str) -> Path:
    """A sites file naming the fixture site, on SQLite or PostgreSQL."""
    path = tmp_path / "sites.yaml"
    path.write_text(
        f"database: '{database_url}'\n"
        f"sites:\n  - name: skincare\n    url: {site.origin}/\n    allow_private_networks: true\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def ingested(runner: CliRunner, sites_file: Path, site: FixtureServer, database_url: str) -> str:
    """Two runs of the fixture site (the second with one 404); returns the database URL."""
    assert runner.invoke(cli, ["run", "--source", str(sites_file)]).exit_code == ExitCode.OK
    site.set_status(ARTICLE, 404)
    result = runner.invoke(cli, ["run", "--source", str(sites_file)])
    assert result.exit_code == ExitCode.FAILURES
    return database_url


def test_runs_lists_newest_first(runner, ingested):
    """`ingest runs` (no subcommand) lists runs newest first; --limit caps; json has the hash."""
    table = runner.invoke(cli, ["runs", "--db", ingested])
    assert table.exit_code == ExitCode.OK, table.output
    lines = table.output.splitlines()
    assert lines[1].split()[:2] == ["2", "failed"]
    assert lines[2].split()[:2] == ["1", "ok"]
    shown = json.loads(
        runner.invoke(
            cli, ["runs", "list", "--limit", "1", "--db", ingested, "--format", "json"]
        ).output
    )
    assert [r["id"] for r in shown] == [2]
    assert len(shown[0]["config_hash"]) == 64
    bare = runner.invoke(cli, ["runs"], env={"INGEST_DATABASE_URL": ingested})
    assert bare.output == table.output


def test_runs_show_last_json_has_the_documented_shape(runner, ingested, site):
    """`ingest runs show last --format json` has exactly the documented keys and the failure."""
    result = runner.invoke(cli, ["runs", "show", "last", "--db", ingested, "--format", "json"])
    assert result.exit_code == ExitCode.OK, result.output
    shown = json.loads(result.output)
    assert set(shown) == {"id", "status", "started_at", "finished_at", "counts", "failures"}
    assert (shown["id"], shown["status"]) == (2, "failed")
    assert shown["counts"]["failed_by_kind"] == {"http_404": 1}
    assert shown["counts"]["not_modified"] + shown["counts"]["unchanged"] == 3
    assert shown["failures"] == [
        {
            "site": "skincare",
            "url": site.origin + ARTICLE,
            "kind": "http_404",
            "message": shown["failures"][0]["message"],
        }
    ]
    first = runner.invoke(cli, ["runs", "show", "1", "--db", ingested])
    assert first.exit_code == ExitCode.OK
    assert "run 1: ok" in first.output
    assert "articles_new" in first.output


def test_runs_show_bad_ids(runner, ingested):
    """An unknown run exits 1; a run id that is not a number exits 2."""
    assert runner.invoke(cli, ["runs", "show", "99", "--db", ingested]).exit_code == 1
    assert runner.invoke(cli, ["runs", "show", "first", "--db", ingested]).exit_code == 2


def test_stats_counts_and_failing_pages(runner, ingested, site):
    """`ingest stats` shows per-site counts, the last success and the failing page."""
    result = runner.invoke(cli, ["stats", "--db", ingested, "--format", "json"])
    assert result.exit_code == ExitCode.OK, result.output
    shown = json.loads(result.output)
    [stats] = shown["sites"]
    assert (stats["site"], stats["articles"], stats["pages_failing"]) == ("skincare", 3, 1)
    assert stats["last_success"] is not None
    assert [p["url"] for p in shown["failing_longest"]] == [site.origin + ARTICLE]
    table = runner.invoke(cli, ["stats", "--db", ingested])
    assert "failing the longest" in table.output


def test_export_jsonl_and_csv(runner, ingested, tmp_path):
    """jsonl: one article per line with site and nested sections; csv: one row per section."""
    out = tmp_path / "articles.jsonl"
    result = runner.invoke(cli, ["export", "--db", ingested, "--output", str(out)])
    assert result.exit_code == ExitCode.OK, result.output
    articles = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(articles) == 3
    assert {a["site"] for a in articles} == {"skincare"}
    assert all(a["sections"] and "paragraphs" in a["sections"][0] for a in articles)
    result = runner.invoke(
        cli, ["export", "--format", "csv", "--site", "skincare", "--db", ingested]
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == sum(len(a["sections"]) for a in articles)
    first = articles[0]["sections"][0]
    assert rows[0]["heading"] == first["heading"]
    assert rows[0]["text"].startswith(first["paragraphs"][0])
    assert rows[0]["canonical_id"] == str(first["canonical_id"])
    none = runner.invoke(cli, ["export", "--site", "nope", "--db", ingested])
    assert none.stdout == ""


def test_dry_run_writes_nothing(runner, tmp_path, site):
    """--dry-run lists the pages it would fetch and creates no database."""
    path = tmp_path / "sites.yaml"
    db = tmp_path / "never.db"
    path.write_text(
        f"database: sqlite:///{db}\n"
        f"sites:\n  - name: skincare\n    url: {site.origin}/\n    allow_private_networks: true\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        cli, ["run", "--source", str(path), "--dry-run", "--max-pages", "2", "--format", "json"]
    )
    assert result.exit_code == ExitCode.OK, result.output
    shown = json.loads(result.stdout)
    assert shown["dry_run"] is True
    assert [p["url"] for p in shown["sites"][0]["pages"]] == [
        site.origin + "/",
        site.origin + "/can-i-use-vitamin-a-serum-after-microneedling/",
    ]
    assert not db.exists()
    text = runner.invoke(cli, ["run", "--source", str(path), "--dry-run"])
    assert "4 page(s) to fetch, 0 blocked" in text.output
