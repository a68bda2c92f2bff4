"""ingest: a polite async scraper that extracts article structure and ads.txt into SQL.

The public API is small: load a config, run the pipeline, read the report::

    import asyncio
    from ingest import load_config, run

    report = asyncio.run(run(load_config("config/sites.yaml")))
    print(report.to_text())

Each name is imported on first use, so importing a part of ingest (a parse worker imports
``ingest.parse`` alone) does not pay for the others (the config models, the pipeline).
"""

from __future__ import annotations

__all__ = ["Config", "RunReport", "load_config", "run"]

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.config import Config, load_config
    from ingest.pipeline import run
    from ingest.report import RunReport

_LAZY = {
    "Config": "ingest.config",
    "RunReport": "ingest.report",
    "load_config": "ingest.config",
    "run": "ingest.pipeline",
}


def __getattr__(name: str) -> Any:  # noqa: ANN401  (module attributes of any type)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'ingest' has no attribute {name!r}"
    raise AttributeError(msg)
