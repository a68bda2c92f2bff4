"""Alembic's migration environment for ingest (see env.py)."""
