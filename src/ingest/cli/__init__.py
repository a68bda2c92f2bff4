"""The ``ingest`` command line: a thin shell over the library (see ``app`` for exit codes)."""

from __future__ import annotations

__all__ = ["ExitCode", "cli", "main"]

# importing the command modules registers their commands on the group
from ingest.cli import adstxt, dedupe, export, extract, read, run, runs, search  # noqa: F401
from ingest.cli.app import ExitCode, cli, main
