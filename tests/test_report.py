"""The run report: counts per site, failures as data, text and JSON."""

from __future__ import annotations

import pytest

from ingest.errors import HTTPStatusError
from ingest.report import COUNTERS, ReportBuilder


def test_counts_and_failures():
    """Counters add up per site and failures carry site, url, kind and message."""
    builder = ReportBuilder(database="sqlite:///x.db")
    builder.site("quiet")
    builder.add("a", "fetched", 3)
    builder.add("a", "articles", 2)
    builder.fail("a", "http://a/x", HTTPStatusError("http://a/x", 404))
    report = builder.build()
    assert report.total("fetched") == 3
    assert report.total("failed") == 1
    assert [s.site for s in report.sites] == ["quiet", "a"]
    (failure,) = report.failures
    assert (failure.site, failure.url, failure.kind) == ("a", "http://a/x", "http_404")
    assert not report.ok


def test_unknown_counter_is_a_bug():
    """A misspelt counter raises instead of being silently created."""
    with pytest.raises(ValueError, match="unknown counter"):
        ReportBuilder(database="d").add("a", "fetchd")


def test_json_and_text():
    """to_dict has every counter and the failures; to_text lists failures and notices."""
    builder = ReportBuilder(database="sqlite:///x.db", run_id=7)
    builder.fail("a", "http://a/", "connect", "refused")
    builder.notice("a", "http://a/ads.txt:3", "too_few_fields", "x y z")
    report = builder.build()
    data = report.to_dict()
    assert data["run_id"] == 7
    assert data["status"] == "failed"
    assert set(COUNTERS) <= set(data["totals"])
    assert data["failures"] == [
        {"site": "a", "url": "http://a/", "kind": "connect", "message": "refused"}
    ]
    text = report.to_text()
    assert "[connect] a http://a/: refused" in text
    assert "[too_few_fields] a http://a/ads.txt:3: x y z" in text


def test_ok_when_nothing_failed():
    """A run with notices but no failures is ok."""
    builder = ReportBuilder(database="d")
    builder.notice("a", "u:1", "bad_domain", "x")
    report = builder.build()
    assert report.ok
    assert "failures: none" in report.to_text()
