"""Storage: the database, its tables and migrations, and the repository of upserts and reads.

``db`` builds the engine and upgrades the schema, ``models`` declares the tables, and
``repository`` holds every read and write (each takes the caller's session). Import from the
defining module; this package only re-exports.
"""

from __future__ import annotations

__all__ = ["Database", "PageRecord", "PageState"]

import ingest.store.adstxt_models  # noqa: F401  (registers the ads.txt tables on Base.metadata)
from ingest.store.db import Database
from ingest.store.repository import PageRecord, PageState
