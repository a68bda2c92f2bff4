"""The ``ingest adstxt`` group: ``check`` (no database) and the default ``show`` with history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ingest.cli import ExitCode, cli

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ingest.demo import FixtureServer

GOOD = "google.com, pub-1, DIRECT, f08c47fec0942fa0 # main\nCONTACT=ads@example.com\n"
BAD = GOOD + "appnexus.com 12345 RESELLER\ngoogle.com, pub-1, direct, f08c47fec0942fa0\n"


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


def test_check_prints_the_documented_json_and_exits_1_on_errors(runner, tmp_path):
    """Check FILE --format json prints records, variables, errors, duplicates; errors exit 1."""
    path = tmp_path / "ads.txt"
    path.write_text(BAD)
    result = runner.invoke(cli, ["adstxt", "check", str(path), "--format", "json"])
    assert result.exit_code == ExitCode.FAILURES
    assert json.loads(result.stdout) == {
        "records": [
            {"line": 1, "domain": "google.com", "account_id": "pub-1", "relationship": "DIRECT",
             "cert_id": "f08c47fec0942fa0", "extension": None},
        ],
        "variables": [{"line": 2, "name": "CONTACT", "value": "ads@example.com"}],
        "errors": [{"line": 3, "reason": "too_few_fields", "text": "appnexus.com 12345 RESELLER"}],
        "duplicates": 1,
    }  # fmt: skip


def test_check_clean_file_exits_0_and_lenient_is_an_option(runner, tmp_path):
    """A clean file exits 0 (table output); --lenient accepts an empty trailing field."""
    path = tmp_path / "ads.txt"
    path.write_text(GOOD + "b.com, 1, DIRECT, cert,\n")
    strict = runner.invoke(cli, ["adstxt", "check", str(path)])
    lenient = runner.invoke(cli, ["adstxt", "check", str(path), "--lenient"])
    assert strict.exit_code == ExitCode.FAILURES
    assert "empty_trailing_field" in strict.stdout
    assert lenient.exit_code == ExitCode.OK, lenient.output
    assert "0 error(s)" in lenient.stdout


def test_check_unreadable_file_is_a_usage_error(runner, tmp_path):
    """A path that cannot be read exits 2."""
    result = runner.invoke(cli, ["adstxt", "check", str(tmp_path / "missing.txt")])
    assert result.exit_code == ExitCode.USAGE


def test_check_url_fetches_by_the_adstxt_rules(
    runner, tmp_path, make_server: Callable[[Path], FixtureServer]
):
    """Check URL fetches the file (text/plain only) and validates it."""
    (tmp_path / "ads.txt").write_text(GOOD)
    server = make_server(tmp_path)
    ok = runner.invoke(cli, ["adstxt", "check", f"{server.origin}/ads.txt", "--format", "json"])
    assert ok.exit_code == ExitCode.OK, ok.output
    assert json.loads(ok.stdout)["records"][0]["domain"] == "google.com"
    server.set_status("/ads.txt", 200, {"Content-Type": "text/html"})
    html = runner.invoke(cli, ["adstxt", "check", f"{server.origin}/ads.txt"])
    assert html.exit_code == ExitCode.FAILURES
    assert "content_type" in html.output


def test_show_is_the_default_subcommand_and_lists_history(runner, tmp_path, site):
    """`adstxt SITE` and `adstxt show SITE` are the same; --history adds the changes."""
    sites = tmp_path / "sites.yaml"
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    sites.write_text(
        f"database: {db}\nsites:\n  - name: skincare\n    url: {site.origin}/\n"
        "    allow_private_networks: true\n"
    )
    assert runner.invoke(cli, ["run", "--source", str(sites)]).exit_code == 0
    short = runner.invoke(cli, ["adstxt", "skincare", "--db", db, "--format", "json"])
    long = runner.invoke(
        cli, ["adstxt", "show", "skincare", "--db", db, "--format", "json", "--history"]
    )
    assert short.exit_code == long.exit_code == 0, short.output
    shown, history = json.loads(short.stdout), json.loads(long.stdout)
    assert "changes" not in shown
    assert shown["files"] == history["files"]
    [file] = shown["files"]
    assert (file["status"], file["is_stale"], len(file["records"])) == ("ok", False, 4)
    assert [e["reason"] for e in file["errors"]] == ["too_few_fields"]
    assert {c["change"] for c in history["changes"]} == {"added"}
    assert len(history["changes"]) == 4
    table = runner.invoke(cli, ["adstxt", "skincare", "--db", db, "--history"])
    assert table.exit_code == 0
    assert "Changes" in table.stdout


def test_show_unknown_site_exits_1(runner, tmp_path):
    """A site with no stored ads.txt says so and exits 1."""
    result = runner.invoke(cli, ["adstxt", "nope", "--db", f"sqlite:///{tmp_path / 'e.db'}"])
    assert result.exit_code == ExitCode.FAILURES
    assert "no ads.txt stored" in result.output
