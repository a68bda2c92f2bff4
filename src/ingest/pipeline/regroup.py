"""Regroup stored sections: ``ingest dedupe --rebuild``, or a run whose dedupe settings changed.

A regroup replays every stored article of the sites in storage order through
:class:`~ingest.pipeline.sections.SectionIndex`, the path a run takes: same data, same
settings, same groups.
"""

from __future__ import annotations

__all__ = ["RegroupSummary", "ensure_grouped", "regroup"]

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.dedupe import index_settings
from ingest.pipeline.sections import SectionIndex, scope_of
from ingest.store import queries, sections

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ingest.config import DedupeConfig
    from ingest.pipeline.context import Progress
    from ingest.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RegroupSummary:
    """What a regroup did."""

    sites: int
    articles: int
    sections: int
    merged: int
    removed: int
    """Canonical sections no occurrence points to any more, deleted."""
    boilerplate: int
    seconds: float

    def to_dict(self) -> dict[str, int | float]:
        """The summary as JSON-ready values."""
        return dataclasses.asdict(self)


async def regroup(
    database: Database,
    config: DedupeConfig,
    site_ids: Sequence[int],
    *,
    batch: int = 200,
    progress: Progress | None = None,
) -> RegroupSummary:
    """Recompute every duplicate group of ``site_ids`` with ``config``, in one transaction.

    Articles are replayed in storage order, ``batch`` at a time, so memory stays flat however
    many there are; a kill rolls everything back, leaving the previous groups intact.
    ``progress("regroup", articles done, articles in all)`` is called after each batch.
    """
    started = time.perf_counter()
    ids = sorted(site_ids)
    indexes: dict[int, SectionIndex] = {}
    articles = total = merged = flagged = 0
    async with database.transaction() as session:
        count = await sections.count_articles(session, ids) if progress is not None else 0
        await sections.clear_keys(session, ids)
        async for chunk in sections.article_batches(session, ids, batch=batch):
            loaded = await queries.load_sections(session, [article_id for article_id, _ in chunk])
            by_scope: dict[int, list[tuple[int, int]]] = {}
            for article_id, site_id in chunk:
                by_scope.setdefault(scope_of(config, site_id), []).append((article_id, site_id))
            for scope, members in by_scope.items():
                if scope not in indexes:
                    indexes[scope] = SectionIndex(config, scope)
                assigned = await indexes[scope].assign_many(
                    session,
                    [[s.section for s in loaded.get(article_id, [])] for article_id, _ in members],
                )
                new = [
                    (site_id, match.canonical, founded[match.canonical.fingerprint])
                    for (_, site_id), (matches, founded) in zip(members, assigned, strict=True)
                    for match in matches
                    if match.rule == "new"
                ]
                canonical_ids = await sections.insert_canonicals(session, new)
                rows = [
                    (
                        article_id,
                        position,
                        m.canonical.id
                        if m.canonical.id is not None
                        else canonical_ids[m.canonical.fingerprint],
                        m.similarity,
                        m.rule,
                    )
                    for (article_id, _), (matches, _) in zip(members, assigned, strict=True)
                    for position, m in enumerate(matches)
                ]
                await sections.regroup_occurrences(session, rows)
                articles += len(members)
                total += len(rows)
                merged += sum(1 for row in rows if row[4] != "new")
            if progress is not None:
                progress("regroup", articles, count)
        removed = await sections.delete_unused(session, site_ids=ids)
        for site_id in ids:
            flagged += await sections.flag_boilerplate(
                session, site_id, config.boilerplate_share, config.boilerplate_min_articles
            )
        await sections.set_dedupe_settings(session, ids, index_settings(config))
    summary = RegroupSummary(
        len(ids), articles, total, merged, removed, flagged, time.perf_counter() - started
    )
    log.info("dedupe.regrouped %s", " ".join(f"{k}={v}" for k, v in summary.to_dict().items()))
    return summary


async def ensure_grouped(
    database: Database, config: DedupeConfig, site_id: int
) -> RegroupSummary | None:
    """Regroup the site (all sites with scope ``all``) if it was grouped with other settings."""
    async with database.session() as session:
        if await sections.dedupe_settings(session, site_id) == index_settings(config):
            return None
        site_ids = [site_id] if config.scope == "site" else await sections.all_site_ids(session)
        stored = await sections.has_articles(session, site_ids)
    if not stored:  # nothing grouped yet: nothing to regroup
        async with database.transaction() as session:
            await sections.set_dedupe_settings(session, site_ids, index_settings(config))
        return None
    log.warning("dedupe.settings_changed site_id=%d: regrouping %d site(s)", site_id, len(site_ids))
    return await regroup(database, config, site_ids)
