"""Shared fixtures: a real HTTP server for ``fixtures/`` and real databases (SQLite file, PostgreSQL)."""

from __future__ import annotations

pytest_plugins = ["support.server", "support.database"]
