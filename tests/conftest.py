"""Shared fixtures: a real HTTP server for ``fixtures/``, real databases (SQLite, PostgreSQL)."""

from __future__ import annotations

pytest_plugins = ["support.server", "support.database"]
