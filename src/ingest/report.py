"""What a run did: counts per site, failures with site, URL and kind, and timings.

The pipeline fills a :class:`ReportBuilder` as items finish and freezes it into a
:class:`RunReport` at the end; the CLI prints :meth:`RunReport.to_text` or
:meth:`RunReport.to_dict` as JSON. Failures are data (``kind`` is the error class, e.g.
``timeout``, ``http_404``, ``blocked_robots``), so reports can be counted without parsing strings.
"""

from __future__ import annotations

__all__ = ["COUNTERS", "Failure", "PlannedSite", "ReportBuilder", "RunReport", "SiteCounts"]

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ingest.errors import IngestError

COUNTERS = (
    "discovered",  # article URLs found by robots.txt, sitemaps or links
    "fetched",  # pages downloaded with a 2xx
    "not_modified",  # pages the server answered 304 (conditional GET)
    "unchanged",  # pages downloaded whose content hash had not changed
    "skipped",  # pages not fetched or not stored: robots.txt, not an article, not HTML
    "failed",  # pages (and ads.txt files) that could not be done
    "articles",  # articles written (new or changed)
    "articles_new",  # articles written for a page that had no stored content before
    "articles_changed",  # articles rewritten because their page's content changed
    "sections",  # section occurrences written
    "merged",  # sections that joined an existing canonical section
    "adstxt_records",  # ads.txt records written
    "adstxt_issues",  # ads.txt lines kept as issues
)


@dataclass(frozen=True, slots=True)
class Failure:
    """One item that could not be done."""

    site: str
    url: str
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class SiteCounts:
    """The counters of one site, in :data:`COUNTERS` order."""

    site: str
    counts: tuple[tuple[str, int], ...]

    def __getitem__(self, name: str) -> int:
        return dict(self.counts)[name]


@dataclass(frozen=True, slots=True)
class RunReport:
    """The outcome of one run."""

    run_id: int | None
    database: str
    sites: tuple[SiteCounts, ...]
    failures: tuple[Failure, ...]
    seconds: float
    duplicate_groups: int = 0
    notices: tuple[Failure, ...] = ()
    """Bad input that was kept as data and did not fail the run (malformed ads.txt lines)."""
    config_hash: str | None = None
    """sha256 of the run's config as canonical JSON: which runs used the same sites file."""

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def total(self, name: str) -> int:
        """The sum of one counter over all sites."""
        return sum(site[name] for site in self.sites)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: totals, per-site counts, failures."""
        return {
            "run_id": self.run_id,
            "status": "ok" if self.ok else "failed",
            "database": self.database,
            "seconds": round(self.seconds, 3),
            "config_hash": self.config_hash,
            "totals": {name: self.total(name) for name in COUNTERS}
            | {"sites": len(self.sites), "duplicate_groups": self.duplicate_groups},
            "failed_by_kind": dict(sorted(Counter(f.kind for f in self.failures).items())),
            "sites": {site.site: dict(site.counts) for site in self.sites},
            "failures": [_as_dict(f) for f in self.failures],
            "notices": [_as_dict(n) for n in self.notices],
        }

    def to_text(self) -> str:
        """A summary for people, a few lines long."""
        t = self.total
        lines = [
            f"{len(self.sites)} site(s) in {self.seconds:.1f}s → {self.database}",
            (
                f"pages:    {t('discovered')} discovered, {t('fetched')} fetched, "
                f"{t('not_modified')} not modified, {t('unchanged')} unchanged, "
                f"{t('skipped')} skipped, {t('failed')} failed"
            ),
            (
                f"articles: {t('articles')} stored ({t('articles_new')} new, "
                f"{t('articles_changed')} changed), {t('sections')} sections, "
                f"{t('merged')} merged into existing sections "
                f"({self.duplicate_groups} duplicate group(s) in the database)"
            ),
            f"ads.txt:  {t('adstxt_records')} records, {t('adstxt_issues')} malformed line(s)",
        ]
        if self.failures:
            lines.append(f"failures: {len(self.failures)}")
            lines.extend(f"  [{f.kind}] {f.site} {f.url}: {f.message}" for f in self.failures)
        else:
            lines.append("failures: none")
        if self.notices:
            lines.append(f"notices:  {len(self.notices)} (kept as data, not failures)")
            lines.extend(f"  [{n.kind}] {n.site} {n.url}: {n.message}" for n in self.notices)
        return "\n".join(lines)


def _as_dict(failure: Failure) -> dict[str, str]:
    return {
        "site": failure.site,
        "url": failure.url,
        "kind": failure.kind,
        "message": failure.message,
    }


@dataclass(slots=True)
class ReportBuilder:
    """Collects counts and failures during a run (single event loop, so no locking)."""

    database: str
    run_id: int | None = None
    _counts: dict[str, Counter[str]] = field(default_factory=dict)
    _failures: list[Failure] = field(default_factory=list)
    _notices: list[Failure] = field(default_factory=list)
    _started: float = field(default_factory=time.perf_counter)
    duplicate_groups: int = 0
    config_hash: str | None = None

    def site(self, name: str) -> None:
        """Register a site so it appears in the report even if it does nothing."""
        self._counts.setdefault(name, Counter())

    def add(self, site: str, counter: str, amount: int = 1) -> None:
        """Add ``amount`` to one of :data:`COUNTERS` for ``site``."""
        if counter not in COUNTERS:
            msg = f"unknown counter {counter!r}"
            raise ValueError(msg)
        self._counts.setdefault(site, Counter())[counter] += amount

    def fail(self, site: str, url: str, error: IngestError | str, message: str = "") -> None:
        """Record a failed item: an :class:`IngestError` or a ``kind`` with a message."""
        if isinstance(error, IngestError):
            kind, message = error.kind, str(error)
        else:
            kind = error
        self._failures.append(Failure(site, url, kind, message))
        self.add(site, "failed")

    def notice(self, site: str, where: str, kind: str, message: str) -> None:
        """Record bad input kept as data (``where`` is a URL or ``URL:line``); not a failure."""
        self._notices.append(Failure(site, where, kind, message))

    def build(self) -> RunReport:
        """Freeze what was collected."""
        sites = tuple(
            SiteCounts(name, tuple((c, counts[c]) for c in COUNTERS))
            for name, counts in self._counts.items()
        )
        failures = tuple(sorted(self._failures, key=lambda f: (f.site, f.url, f.kind)))
        return RunReport(
            run_id=self.run_id,
            database=self.database,
            sites=sites,
            failures=failures,
            seconds=time.perf_counter() - self._started,
            duplicate_groups=self.duplicate_groups,
            notices=tuple(self._notices),
            config_hash=self.config_hash,
        )


@dataclass(frozen=True, slots=True)
class PlannedSite:
    """What ``run(..., dry_run=True)`` found for one site: the pages a run would fetch."""

    site: str
    pages: tuple[tuple[str, bool], ...]
    """``(url, allowed by robots.txt)`` for every discovered URL, in fetch order."""
    failure: Failure | None = None
    """Why discovery failed (the home page could not be fetched), if it did."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the site, its pages with their robots.txt verdict, the failure."""
        return {
            "site": self.site,
            "pages": [{"url": url, "allowed": allowed} for url, allowed in self.pages],
            "failure": None if self.failure is None else _as_dict(self.failure),
        }
