"""Dedupe sections against the persistent index: one article at a time, or a whole regroup.

A stored article's sections are matched against the canonical sections the database index
finds for them (:mod:`ingest.store.sections`), never against a site held in memory, so a run's
memory does not grow with the database. A regroup (``ingest dedupe --rebuild``, or a run whose
dedupe settings changed) replays every stored article in storage order through the same path:
same data, same settings, same groups.
"""

from __future__ import annotations

__all__ = ["RegroupSummary", "SectionIndex", "ensure_grouped", "regroup", "scope_of"]

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.dedupe import (
    Deduper,
    Overrides,
    SectionKeys,
    Sketcher,
    fingerprint,
    index_settings,
)
from ingest.store import queries, sections

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.config import DedupeConfig
    from ingest.items import Section, SectionMatch
    from ingest.store.db import Database

log = logging.getLogger(__name__)


def scope_of(config: DedupeConfig, site_id: int) -> int:
    """The index scope of a site's sections: the site itself, or 0 for all sites together."""
    return site_id if config.scope == "site" else 0


class SectionIndex:
    """Matches the sections of one scope's articles against what the database holds."""

    def __init__(self, config: DedupeConfig, scope: int) -> None:
        self._config = config
        self._sketcher = Sketcher(config, scope)
        self._overrides = Overrides(config)

    def keys(self, section: Section) -> SectionKeys:
        """The index keys of ``section``, with its ``always_merge`` group's key if it has one."""
        keys = self._sketcher.keys(section.heading, section.text)
        if self._overrides:
            group = self._overrides.always(
                fingerprint(section.heading, section.text), section.heading, section.text
            )
            if group is not None:
                extra = self._sketcher.group_key(group)
                keys = dataclasses.replace(keys, bands=(*keys.bands, extra))
        return keys

    async def assign(
        self, session: AsyncSession, article_sections: Sequence[Section]
    ) -> tuple[tuple[SectionMatch, ...], dict[str, tuple[int, ...]]]:
        """Match one article's sections; also the keys of the canonical sections they found."""
        keys = [self.keys(section) for section in article_sections]
        known = await sections.candidates(
            session,
            (key for k in keys for key in k.lookup),
            (k.heading for k in keys if k.heading is not None),
            heading_limit=self._config.generic_heading,
        )
        matches = Deduper(self._config, known, self._overrides).assign(article_sections)
        new = {
            match.canonical.fingerprint: keys[i].stored
            for i, match in enumerate(matches)
            if match.rule == "new"
        }
        return matches, new


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
    database: Database, config: DedupeConfig, site_ids: Sequence[int], *, batch: int = 200
) -> RegroupSummary:
    """Recompute every duplicate group of ``site_ids`` with ``config``, in one transaction.

    Articles are replayed in storage order, ``batch`` at a time, so memory stays flat however
    many there are; a kill rolls everything back, leaving the previous groups intact.
    """
    started = time.perf_counter()
    ids = sorted(site_ids)
    indexes: dict[int, SectionIndex] = {}
    articles = total = merged = flagged = 0
    async with database.transaction() as session:
        await sections.clear_keys(session, ids)
        async for chunk in sections.article_batches(session, ids, batch=batch):
            loaded = await queries.load_sections(session, [article_id for article_id, _ in chunk])
            for article_id, site_id in chunk:
                stored = loaded.get(article_id, [])
                scope = scope_of(config, site_id)
                if scope not in indexes:
                    indexes[scope] = SectionIndex(config, scope)
                index = indexes[scope]
                matches, keys = await index.assign(session, [s.section for s in stored])
                canonical_ids = await sections.store_canonicals(
                    session, site_id, [m.canonical for m in matches], keys
                )
                await sections.regroup_occurrences(
                    session,
                    [
                        (
                            article_id,
                            position,
                            canonical_ids[m.canonical.fingerprint],
                            m.similarity,
                            m.rule,
                        )
                        for position, m in enumerate(matches)
                    ],
                )
                articles += 1
                total += len(matches)
                merged += sum(1 for m in matches if m.rule != "new")
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
