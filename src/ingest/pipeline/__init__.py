"""Wire the stages into a run: config → fetch → parse → dedupe → store → report.

:func:`run` (``runner``) owns a run's resources and turns per-item failures into the
:class:`~ingest.report.RunReport`; ``pages`` and ``adstxt`` are the two things a site is made
of; ``context`` holds what they share.
"""

from __future__ import annotations

__all__ = ["Progress", "RunContext", "ingest_pages", "ingest_site", "run"]

from ingest.pipeline.context import Progress, RunContext
from ingest.pipeline.pages import ingest_pages
from ingest.pipeline.runner import ingest_site, run
