"""Leave a stored site's boilerplate out of freshly extracted articles, reading only.

``ingest extract --no-boilerplate`` matches each extracted article's sections against the
stored sections of its site through the index and rule a run uses
(:class:`~ingest.pipeline.sections.SectionIndex`), so a reworded copy of a flagged disclosure
finds it as it would in a run. A section whose match is a stored canonical section flagged as
the site's boilerplate (``canonical_sections.boilerplate``, set after each run) is left out.
Nothing is written: the caller's session is never committed.
"""

from __future__ import annotations

__all__ = ["BoilerplateFilter", "site_at_host", "sites_of"]

import dataclasses
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.batch import is_url
from ingest.pipeline.sections import SectionIndex, scope_of
from ingest.store import queries, sections

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.config import DedupeConfig
    from ingest.items import Article


def site_at_host(sites: Sequence[tuple[int, str, str]], url: str) -> int | None:
    """The id of the site ``(id, name, url)`` whose URL has the host (and port) of ``url``.

    Of several on that host, the one whose path is the longest prefix of the URL's path wins
    (then the first given); None when no site is on that host.
    """
    target = urlsplit(url)
    host = (target.hostname, target.port)
    best: tuple[int, int] | None = None
    for site_id, _, site_url in sites:
        home = urlsplit(site_url)
        if (home.hostname, home.port) != host:
            continue
        depth = len(home.path) if target.path.startswith(home.path) else 0
        if best is None or depth > best[1]:
            best = (site_id, depth)
    return best[0] if best is not None else None


async def sites_of(
    session: AsyncSession, targets: Sequence[str], name: str | None
) -> dict[str, int | None]:
    """The stored site each target is compared with: the site called ``name`` for every target,
    else the site at the host of the target's URL (see :func:`site_at_host`); None for a target
    without one (an unknown name, a host no stored site is on, a file without a name).
    """  # noqa: D205  (the summary needs two lines)
    stored = await queries.list_sites(session)
    if name is not None:
        named = next((site_id for site_id, site, _ in stored if site == name), None)
        return dict.fromkeys(targets, named)
    return {t: site_at_host(stored, t) if is_url(t) else None for t in targets}


class BoilerplateFilter:
    """Leaves out of extracted articles the sections their stored site flags as boilerplate.

    One per command: it keeps one :class:`SectionIndex` per index scope.
    """

    def __init__(self, config: DedupeConfig) -> None:
        self._config = config
        self._indexes: dict[int, SectionIndex] = {}

    async def apply(self, session: AsyncSession, site_id: int, article: Article) -> Article:
        """``article`` without the sections that match a boilerplate section of ``site_id``."""
        scope = scope_of(self._config, site_id)
        index = self._indexes.get(scope)
        if index is None:
            index = self._indexes[scope] = SectionIndex(self._config, scope)
        matches, _ = await index.assign(session, article.sections)
        stored = [m.canonical.id for m in matches if m.canonical.id is not None]
        flagged = await sections.boilerplate_ids(session, stored)
        kept = tuple(
            section
            for section, match in zip(article.sections, matches, strict=True)
            if match.canonical.id not in flagged
        )
        return dataclasses.replace(article, sections=kept)
