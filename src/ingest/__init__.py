"""ingest: a polite async scraper that extracts article structure and ads.txt into SQL.

The public API is small: load a config, run the pipeline, read the report::

    import asyncio
    from ingest import load_config, run

    report = asyncio.run(run(load_config("config/sites.yaml")))
    print(report.to_text())

``run`` and ``RunReport`` are imported on first use, so ``import ingest.config`` stays light.
"""

from __future__ import annotations

__all__ = ["Config", "RunReport", "load_config", "run"]

import importlib
from typing import TYPE_CHECKING, Any

from ingest.config import Config, load_config

if TYPE_CHECKING:
    from ingest.pipeline import run
    from ingest.report import RunReport

_LAZY = {"run": "ingest.pipeline", "RunReport": "ingest.report"}


def __getattr__(name: str) -> Any:  # noqa: ANN401  (module attributes of any type)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'ingest' has no attribute {name!r}"
    raise AttributeError(msg)
