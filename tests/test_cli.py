"""The ``ingest`` command: exit codes, output formats and the read commands, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ingest.cli import ExitCode, cli

if TYPE_CHECKING:
    from ingest.demo import FixtureServer

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "/what-does-microneedling-actually-do/"


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


@pytest.fixture
def sites_file(tmp_path: Path, site: FixtureServer) -> Path:
    """A sites file naming the fixture site, with its own SQLite database."""
    path = tmp_path / "sites.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'cli.db'}\n"
        f"sites:\n  - name: skincare\n    url: {site.origin}/\n    allow_private_networks: true\n",
        encoding="utf-8",
    )
    return path


def test_exit_codes_are_pinned():
    """The documented exit codes never change meaning."""
    assert {c.name: c.value for c in ExitCode} == {"OK": 0, "FAILURES": 1, "USAGE": 2, "LOCKED": 75}


def test_run_prints_summary_and_exits_0(runner, sites_file):
    """A clean run exits 0 and prints what it did."""
    result = runner.invoke(cli, ["run", "--source", str(sites_file)])
    assert result.exit_code == 0, result.output
    assert "3 stored" in result.output
    assert "failures: none" in result.output


def test_run_json_summary(runner, sites_file):
    """--format json prints the report as one JSON object."""
    result = runner.invoke(cli, ["run", "--source", str(sites_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "ok"
    assert report["totals"]["articles"] == 3
    assert report["totals"]["duplicate_groups"] == 1


def test_run_with_a_failure_exits_1_and_names_the_url(runner, sites_file, site):
    """A page that fails makes the exit code 1 and the summary names its URL and kind."""
    site.set_status(ARTICLE, 404)
    result = runner.invoke(cli, ["run", "--source", str(sites_file)])
    assert result.exit_code == ExitCode.FAILURES
    assert f"[http_404] skincare {site.origin}{ARTICLE}" in result.output


def test_config_typo_exits_2_with_file_and_line(runner, tmp_path):
    """A typo'd key exits 2, naming the file, line and key, and fetches nothing."""
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n  - name: a\n    url: http://127.0.0.1:9/\n    concurency: 3\n")
    result = runner.invoke(cli, ["run", "--source", str(path)])
    assert result.exit_code == ExitCode.USAGE
    assert (
        f'{path}:4: sites[0].concurency: unknown key (did you mean "concurrency"?)' in result.output
    )


def test_unknown_site_exits_2(runner, sites_file):
    """--site with a name the file does not have is a usage error."""
    result = runner.invoke(cli, ["run", "--source", str(sites_file), "--site", "nope"])
    assert result.exit_code == ExitCode.USAGE
    assert "no site named nope" in result.output


def test_read_commands_after_a_run(runner, sites_file, site, tmp_path):
    """Commands show, duplicates and adstxt print what a run stored, in the documented shapes."""
    assert runner.invoke(cli, ["run", "--source", str(sites_file)]).exit_code == 0
    db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]

    shown = runner.invoke(cli, ["show", f"{site.origin}{ARTICLE}", *db, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    article = json.loads(shown.output)
    assert article["title"] == "What Does Microneedling Actually Do?"
    assert list(article["sections"][0]) == [
        "heading",
        "level",
        "paragraphs",
        "lists",
        "captions",
        "canonical_id",
        "boilerplate",
    ]
    assert {s["boilerplate"] for s in article["sections"]} == {False}  # 3 articles: too few

    dups = runner.invoke(cli, ["duplicates", *db, "--format", "json"])
    groups = json.loads(dups.output)
    assert len(groups) == 1
    assert list(groups[0]) == [
        "canonical_id",
        "fingerprint",
        "heading",
        "boilerplate",
        "occurrences",
    ]
    assert set(groups[0]["occurrences"][0]) == {"url", "position", "heading", "similarity", "rule"}
    ids = {s["canonical_id"] for s in article["sections"] if s["heading"] == groups[0]["heading"]}
    assert ids == {groups[0]["canonical_id"]}

    ads = runner.invoke(cli, ["adstxt", "skincare", *db, "--format", "json"])
    assert json.loads(ads.output)["files"][0]["records"][0]["domain"] == "google.com"

    for command in (["show", f"{site.origin}{ARTICLE}"], ["duplicates"], ["adstxt", "skincare"]):
        table = runner.invoke(cli, [*command, *db])
        assert table.exit_code == 0, table.output
        assert table.output.strip()
    shown_table = runner.invoke(cli, ["show", f"{site.origin}{ARTICLE}", *db])
    assert "captions" in shown_table.output  # a count per section, beside paragraphs and items


def test_show_unknown_url_exits_1(runner, tmp_path):
    """The show for a URL that is not stored says so and exits 1."""
    result = runner.invoke(
        cli, ["show", "http://nowhere.example/", "--db", f"sqlite:///{tmp_path / 'e.db'}"]
    )
    assert result.exit_code == ExitCode.FAILURES
    assert "no article stored for http://nowhere.example/" in result.output


def test_extract_file_json_shape(runner):
    """The extract on a file prints exactly the documented JSON keys."""
    page = REPO / "fixtures" / "skincare" / "site" / ARTICLE.strip("/") / "index.html"
    result = runner.invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["url", "title", "description", "language", "sections"]
    assert list(data["sections"][0]) == ["heading", "level", "paragraphs", "lists", "captions"]
    assert data["title"] == "What Does Microneedling Actually Do?"


def test_extract_markdown_and_text(runner):
    """The extract --format markdown and text render headings, paragraphs and list items."""
    page = REPO / "fixtures" / "skincare" / "site" / ARTICLE.strip("/") / "index.html"
    markdown = runner.invoke(cli, ["extract", str(page), "--format", "markdown"]).output
    assert markdown.startswith("# What Does Microneedling Actually Do?\n")
    assert "\n### Understanding Microneedling\n" in markdown
    assert "\n- Shrinking enlarged pores\n" in markdown
    plain = runner.invoke(cli, ["extract", str(page), "--format", "text"]).output
    assert "\nShrinking enlarged pores\n" in plain
    assert "#" not in plain


def test_extract_url(runner, site):
    """The extract fetches a URL when given one."""
    result = runner.invoke(cli, ["extract", f"{site.origin}{ARTICLE}"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["url"] == f"{site.origin}{ARTICLE}"


def test_extract_missing_file(runner, tmp_path):
    """The extract on a missing file names it and exits 1."""
    result = runner.invoke(cli, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == ExitCode.FAILURES
    assert "nope.html" in result.output


def test_db_upgrade(runner, tmp_path):
    """The db upgrade creates a new database and is idempotent."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    for _ in range(2):
        result = runner.invoke(cli, ["db", "upgrade", "--db", url])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def _demo_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'demo.db'}\nsites:\n  - name: skincare\n"
        f"    url: http://127.0.0.1:{port}/\n    allow_private_networks: [127.0.0.1/32]\n",
        encoding="utf-8",
    )
    return path


def test_demo_serves_the_fixtures_and_runs(runner, tmp_path):
    """The demo serves fixtures/NAME/site on the configured port and ingests it like `run`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = _demo_config(tmp_path, port)
    result = runner.invoke(
        cli, ["demo", "--fixtures", str(REPO / "fixtures"), "--source", str(source)]
    )
    assert result.exit_code == 0, result.output
    assert "3 stored" in result.output
    assert "Understanding Microneedling" in result.output  # the duplicate group table
    assert "ingest show" in result.output


def test_demo_port_in_use_exits_2(runner, tmp_path):
    """When the fixture port is taken, the demo says so and exits 2."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        source = _demo_config(tmp_path, busy.getsockname()[1])
        result = runner.invoke(
            cli, ["demo", "--fixtures", str(REPO / "fixtures"), "--source", str(source)]
        )
    assert result.exit_code == ExitCode.USAGE
    assert "cannot serve the fixture sites" in result.output


def test_run_while_locked_exits_75_naming_the_holder(runner, sites_file, tmp_path, site):
    """A run on a locked database exits 75 at once, names the running run, fetches nothing."""
    from ingest.store.db import Database  # noqa: PLC0415
    from ingest.store.lock import run_lock  # noqa: PLC0415

    async def hold_and_run() -> object:
        database = Database.from_url(f"sqlite:///{tmp_path / 'cli.db'}")
        try:
            async with run_lock(database, holder="pid 999 (started 2026-01-01 00:00:00 UTC)"):
                return await asyncio.to_thread(
                    runner.invoke, cli, ["run", "--source", str(sites_file)]
                )
        finally:
            await database.dispose()

    result = asyncio.run(hold_and_run())
    assert result.exit_code == ExitCode.LOCKED  # type: ignore[attr-defined]
    assert "another ingest run holds the lock: pid 999" in result.output  # type: ignore[attr-defined]
    assert site.requests == []


def test_extract_many_as_jsonl_keeps_order_and_reports_errors(runner, tmp_path):
    """Many inputs stream one JSON line each, in input order; a failed input has 'error', exit 1."""
    site_root = REPO / "fixtures" / "skincare" / "site"
    pages = [
        site_root / slug / "index.html"
        for slug in ("why-is-my-skin-darker-after-microneedling", ARTICLE.strip("/"))
    ]
    missing = tmp_path / "missing.html"
    result = runner.invoke(
        cli,
        [
            "extract",
            str(pages[0]),
            str(missing),
            str(pages[1]),
            "--format",
            "jsonl",
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == ExitCode.FAILURES
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["title"] for line in lines] == [
        "Why Is My Skin Darker After Microneedling?",
        None,
        "What Does Microneedling Actually Do?",
    ]
    assert "missing.html" in lines[1]["error"]
    assert "error" not in lines[0]


def test_extract_a_directory_as_a_json_array(runner):
    """A directory expands to its HTML files; json with many inputs is one array."""
    result = runner.invoke(cli, ["extract", str(REPO / "fixtures" / "skincare" / "site")])
    assert result.exit_code == 0, result.output
    titles = [article["title"] for article in json.loads(result.output)]
    assert len(titles) == 4
    assert "Can I Use Vitamin A Serum After Microneedling?" in titles


def test_extract_with_content_and_drop_selectors(runner):
    """--content picks the content root, --drop removes parts; a bad selector is a usage error."""
    page = REPO / "fixtures" / "skincare" / "site" / ARTICLE.strip("/") / "index.html"
    plain = json.loads(runner.invoke(cli, ["extract", str(page)]).output)
    assert any(s["heading"] == "Understanding Microneedling" for s in plain["sections"])
    result = runner.invoke(cli, ["extract", str(page), "--content", "article", "--drop", "h2"])
    assert result.exit_code == 0, result.output
    headings = [s["heading"] for s in json.loads(result.output)["sections"]]
    assert "Understanding Microneedling" not in headings
    bad = runner.invoke(cli, ["extract", str(page), "--drop", "div["])
    assert bad.exit_code == ExitCode.USAGE
    assert "--content/--drop: not a CSS selector: 'div['" in bad.output


def test_extract_uses_a_sites_selectors_from_the_sites_file(runner, tmp_path):
    """--source FILE --site NAME applies that site's extract: block; the two go together."""
    page = REPO / "fixtures" / "skincare" / "site" / ARTICLE.strip("/") / "index.html"
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n  - name: skincare\n    url: http://127.0.0.1:8765/\n    extract: {drop: [h2]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        cli, ["extract", str(page), "--source", str(sites), "--site", "skincare"]
    )
    assert result.exit_code == 0, result.output
    headings = [s["heading"] for s in json.loads(result.output)["sections"]]
    assert "Understanding Microneedling" not in headings
    alone = runner.invoke(cli, ["extract", str(page), "--site", "skincare"])
    assert alone.exit_code == ExitCode.USAGE
    missing = runner.invoke(cli, ["extract", str(page), "--source", str(sites), "--site", "nope"])
    assert missing.exit_code == ExitCode.USAGE
    assert "no site named nope" in missing.output
