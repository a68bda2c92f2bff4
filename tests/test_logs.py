"""Logging set up by the CLI: plain lines or one JSON object per line, on stderr."""

from __future__ import annotations

import json
import logging

import pytest

from ingest.logs import configure_logging


@pytest.fixture(autouse=True)
def _restore():
    logger = logging.getLogger("ingest")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_json_lines_carry_the_event_name(capsys):
    """--log-format json writes one JSON object per record, with the dotted event name."""
    configure_logging("info", "json")
    logging.getLogger("ingest.fetch.retry").info("fetch.retry url=%s attempt=%d", "http://a/", 2)
    record = json.loads(capsys.readouterr().err)
    assert record["event"] == "fetch.retry"
    assert record["message"] == "fetch.retry url=http://a/ attempt=2"
    assert (record["level"], record["logger"]) == ("info", "ingest.fetch.retry")


def test_level_filters_and_text_goes_to_stderr(capsys):
    """Below the level nothing is written; text lines go to stderr, never stdout."""
    configure_logging("warning", "text")
    log = logging.getLogger("ingest.pipeline")
    log.info("run.summary quiet")
    log.warning("fetch.failed url=%s kind=%s", "http://a/", "timeout")
    out, err = capsys.readouterr()
    assert out == ""
    assert "run.summary" not in err
    assert "WARNING ingest.pipeline fetch.failed url=http://a/ kind=timeout" in err
