"""The persistent near-duplicate index: candidate lookup, keys of new sections, boilerplate flags.

The keys themselves are computed by :mod:`ingest.dedupe.sketch` (pure); this module stores and
finds them. A lookup is two indexed queries whatever the size of the index (per 500 keys): the
canonical ids under the keys of a batch of sections (at most ``heading_limit + 1`` under a heading
key are stored: a heading over more sections is generic and gives no candidates), then the rows
of the candidates.
"""

from __future__ import annotations

__all__ = [
    "add_keys",
    "all_site_ids",
    "article_batches",
    "boilerplate_ids",
    "canonical_sections",
    "clear_keys",
    "count_articles",
    "dedupe_settings",
    "delete_unused",
    "find_keys",
    "flag_boilerplate",
    "has_articles",
    "insert_canonicals",
    "regroup_occurrences",
    "set_dedupe_settings",
    "store_canonicals",
]

import json
import math
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, exists, func, select, text, update

from ingest.items import CanonicalSection
from ingest.store.db import IN_CHUNK, translate_errors
from ingest.store.models import (
    SEGMENT_BITS,
    ArticleRow,
    CanonicalSectionRow,
    SectionBandRow,
    SectionOccurrenceRow,
    SiteRow,
    table_of,
)
from ingest.store.upsert import insert_rows

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession


async def store_canonicals(
    session: AsyncSession,
    site_id: int,
    canonicals: Sequence[CanonicalSection],
    keys: Mapping[str, Sequence[int]],
) -> dict[str, int]:
    """Insert and index the canonical sections without an id (first one wins); fingerprint → id."""
    known = {c.fingerprint: c.id for c in canonicals if c.id is not None}
    new = [(site_id, c, keys.get(c.fingerprint, ())) for c in canonicals if c.id is None]
    return known | await insert_canonicals(session, new)


async def insert_canonicals(
    session: AsyncSession, new: Sequence[tuple[int, CanonicalSection, Sequence[int]]]
) -> dict[str, int]:
    """Insert ``(site_id, canonical, keys)`` rows and their index keys; fingerprint → id.

    Upserts on ``(site_id, fingerprint)``: the first heading and text win, and a section stored
    before gets its id back (and the keys given). Within one call a fingerprint is inserted once.
    """
    first: dict[tuple[int, str], tuple[CanonicalSection, Sequence[int]]] = {}
    for site_id, canonical, keys in new:
        first.setdefault((site_id, canonical.fingerprint), (canonical, keys))
    if not first:
        return {}
    rows = [(site, c.fingerprint, c.heading, c.text) for (site, _), (c, _) in first.items()]
    table = table_of(CanonicalSectionRow).c
    lookup = select(table.site_id, table.fingerprint, table.id).where(
        table.site_id.in_(bindparam("sites", expanding=True)),
        table.fingerprint.in_(bindparam("fingerprints", expanding=True)),
    )
    ids: dict[tuple[int, str], int] = {}
    wanted = sorted(first)
    with translate_errors("canonical_sections", f"{len(first)} new"):
        await insert_rows(
            session,
            CanonicalSectionRow,
            ["site_id", "fingerprint", "heading", "text"],
            rows,
            ignore_existing=True,
        )
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            params = {"sites": sorted({s for s, _ in chunk}), "fingerprints": [f for _, f in chunk]}
            for site, fingerprint, id_ in await session.execute(lookup, params):
                if (site, fingerprint) in first:
                    ids[int(site), fingerprint] = int(id_)
    await add_keys(session, ((ids[k], keys) for k, (_, keys) in first.items() if keys))
    return {fingerprint: id_ for (_, fingerprint), id_ in ids.items()}


# Every segment of the index (``canonical_id >> SEGMENT_BITS`` up to the newest), then the keys;
# one bound parameter for the whole list of keys, so no statement is rebuilt per list length.
# Both compute the segments in the statement (no round trip; the plans use the primary key).
_FIND_KEYS = {
    "sqlite": (
        "WITH RECURSIVE segments(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM segments "
        "WHERE n < (SELECT coalesce(max(id), 0) FROM canonical_sections) >> :bits) "
        "SELECT band, canonical_id FROM section_bands WHERE segment IN (SELECT n FROM segments) "
        "AND band IN (SELECT value FROM json_each(:keys))"
    ),
    # PostgreSQL looks up each (segment, key) on the primary key, whatever its statistics say
    # (on a table not yet analysed it would scan whole segments and filter the keys): the LIMIT
    # keeps the lateral lookup a lookup. The segments are computed in the statement (a round
    # trip less) as an array, whose unnest the planner counts as 10 rows: a generate_series it
    # counts as 1,000, which prices the statement high enough to JIT-compile (100 ms).
    "postgresql": (
        "SELECT k.band, b.canonical_id FROM unnest(CAST(:keys AS bigint[])) AS k(band) "
        "CROSS JOIN unnest(ARRAY(SELECT generate_series(0, "
        "(SELECT coalesce(max(id), 0) FROM canonical_sections) >> :bits))) AS s(segment) "
        "CROSS JOIN LATERAL (SELECT canonical_id FROM section_bands "
        "WHERE segment = s.segment AND band = k.band ORDER BY canonical_id LIMIT :limit) AS b"
    ),
}
_KEYS_PER_QUERY = 5000


async def find_keys(session: AsyncSession, keys: Iterable[int], limit: int) -> dict[int, list[int]]:
    """The canonical ids stored under each key, oldest first (keys without any are left out).

    At most ``limit`` ids per key: a caller that allows fewer than ``limit`` learns that a key
    holds more than it allows, whatever the exact count.
    """
    found: dict[int, list[int]] = {}
    wanted = sorted(set(keys))
    dialect = session.get_bind().dialect.name
    statement = text(_FIND_KEYS[dialect])
    with translate_errors("section_bands", "lookup"):
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            params: dict[str, object] = (
                {"bits": SEGMENT_BITS, "keys": json.dumps(chunk)}
                if dialect == "sqlite"
                else {"bits": SEGMENT_BITS, "keys": chunk, "limit": limit}
            )
            for band, canonical_id in await session.execute(statement, params):
                found.setdefault(int(band), []).append(int(canonical_id))
    for ids in found.values():
        ids.sort()
        del ids[limit:]
    return found


async def canonical_sections(session: AsyncSession, ids: Sequence[int]) -> list[CanonicalSection]:
    """The canonical sections with ``ids``, oldest first."""
    rows = table_of(CanonicalSectionRow).c
    result: list[CanonicalSection] = []
    with translate_errors("canonical_sections", "lookup"):
        for start in range(0, len(ids), IN_CHUNK):
            statement = (
                select(rows.fingerprint, rows.heading, rows.text, rows.id)
                .where(rows.id.in_(ids[start : start + IN_CHUNK]))
                .order_by(rows.id)
            )
            result.extend(CanonicalSection(*row) for row in await session.execute(statement))
    return result


async def add_keys(session: AsyncSession, keys: Iterable[tuple[int, Iterable[int]]]) -> None:
    """Index canonical sections: ``(canonical_id, its keys)`` pairs."""
    rows = [
        (canonical_id >> SEGMENT_BITS, band, canonical_id)
        for canonical_id, bands in keys
        for band in sorted(set(bands))
    ]
    with translate_errors("section_bands", "insert"):
        await insert_rows(session, SectionBandRow, ["segment", "band", "canonical_id"], rows)


async def clear_keys(session: AsyncSession, site_ids: Sequence[int]) -> None:
    """Drop the index keys of the canonical sections of ``site_ids`` (before a regroup)."""
    owned = select(CanonicalSectionRow.id).where(CanonicalSectionRow.site_id.in_(site_ids))
    with translate_errors("section_bands", "clear"):
        await session.execute(delete(SectionBandRow).where(SectionBandRow.canonical_id.in_(owned)))


async def delete_unused(
    session: AsyncSession, *, ids: Iterable[int] = (), site_ids: Sequence[int] = ()
) -> int:
    """Delete the canonical sections no occurrence points to, among ``ids`` or of ``site_ids``.

    After an article changes, only the canonical sections it pointed to can have become unused,
    so passing those ``ids`` costs what the article costs, not what the site holds. Their index
    keys go with them (``ON DELETE CASCADE``). Returns how many were deleted.
    """
    unused = ~exists().where(SectionOccurrenceRow.canonical_id == CanonicalSectionRow.id)
    scopes = [CanonicalSectionRow.site_id.in_(site_ids)] if site_ids else []
    wanted = sorted(ids)
    scopes += [
        CanonicalSectionRow.id.in_(wanted[start : start + IN_CHUNK])
        for start in range(0, len(wanted), IN_CHUNK)
    ]
    deleted = 0
    with translate_errors("canonical_sections", "delete unused"):
        for scope in scopes:
            result = await session.execute(delete(CanonicalSectionRow).where(scope, unused))
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


async def flag_boilerplate(
    session: AsyncSession, site_id: int, share: float, min_articles: int
) -> int:
    """Flag the site's sections found on at least ``share`` of its articles; how many are."""
    total = (
        await session.execute(
            select(func.count()).select_from(ArticleRow).where(ArticleRow.site_id == site_id)
        )
    ).scalar_one()
    needed = max(min_articles, math.ceil(share * total))
    on_many = (
        select(SectionOccurrenceRow.canonical_id)
        .join(ArticleRow, ArticleRow.id == SectionOccurrenceRow.article_id)
        .where(ArticleRow.site_id == site_id)
        .group_by(SectionOccurrenceRow.canonical_id)
        .having(func.count(func.distinct(SectionOccurrenceRow.article_id)) >= needed)
    )
    flagged = set() if total < min_articles else set(await session.scalars(on_many))
    rows = CanonicalSectionRow
    with translate_errors("canonical_sections", f"site {site_id} boilerplate"):
        await session.execute(
            update(rows)
            .where(rows.site_id == site_id, rows.boilerplate.is_(True))
            .values(boilerplate=False)
        )
        ids = sorted(flagged)
        for start in range(0, len(ids), IN_CHUNK):
            await session.execute(
                update(rows)
                .where(rows.id.in_(ids[start : start + IN_CHUNK]))
                .values(boilerplate=True)
            )
    return len(flagged)


async def boilerplate_ids(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    """Those of the canonical sections ``ids`` that are flagged as their site's boilerplate."""
    wanted = sorted(set(ids))
    rows = CanonicalSectionRow
    found: set[int] = set()
    with translate_errors("canonical_sections", "boilerplate lookup"):
        for start in range(0, len(wanted), IN_CHUNK):
            statement = select(rows.id).where(
                rows.id.in_(wanted[start : start + IN_CHUNK]), rows.boilerplate.is_(True)
            )
            found.update(await session.scalars(statement))
    return found


async def dedupe_settings(session: AsyncSession, site_id: int) -> str | None:
    """The index settings the site's sections were last grouped with."""
    statement = select(SiteRow.dedupe_settings).where(SiteRow.id == site_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def set_dedupe_settings(session: AsyncSession, site_ids: Sequence[int], value: str) -> None:
    """Record that the sections of ``site_ids`` are grouped with ``value``."""
    await session.execute(
        update(SiteRow).where(SiteRow.id.in_(site_ids)).values(dedupe_settings=value)
    )


async def regroup_occurrences(
    session: AsyncSession, rows: Sequence[tuple[int, int, int, float, str]]
) -> None:
    """Point occurrences ``(article_id, position)`` at ``(canonical_id, similarity, rule)``."""
    if not rows:
        return
    occurrences = table_of(SectionOccurrenceRow)
    statement = (
        update(occurrences)
        .where(occurrences.c.article_id == bindparam("a"), occurrences.c.position == bindparam("p"))
        .values(canonical_id=bindparam("c"), similarity=bindparam("s"), rule=bindparam("r"))
    )
    values = [{"a": a, "p": p, "c": c, "s": s, "r": r} for a, p, c, s, r in rows]
    with translate_errors("section_occurrences", "regroup"):
        await session.execute(statement, values)


async def article_batches(
    session: AsyncSession, site_ids: Sequence[int], batch: int = 200
) -> AsyncIterator[list[tuple[int, int]]]:
    """``(article id, site id)`` of ``site_ids`` in storage order, ``batch`` at a time."""
    after = 0
    while True:
        statement = (
            select(ArticleRow.id, ArticleRow.site_id)
            .where(ArticleRow.site_id.in_(site_ids), ArticleRow.id > after)
            .order_by(ArticleRow.id)
            .limit(batch)
        )
        rows = [(int(a), int(s)) for a, s in await session.execute(statement)]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


async def count_articles(session: AsyncSession, site_ids: Sequence[int]) -> int:
    """How many articles ``site_ids`` have."""
    statement = select(func.count()).select_from(ArticleRow).where(ArticleRow.site_id.in_(site_ids))
    return int((await session.execute(statement)).scalar_one())


async def has_articles(session: AsyncSession, site_ids: Sequence[int]) -> bool:
    """Whether any of ``site_ids`` has a stored article."""
    statement = select(ArticleRow.id).where(ArticleRow.site_id.in_(site_ids)).limit(1)
    return (await session.execute(statement)).first() is not None


async def all_site_ids(session: AsyncSession) -> list[int]:
    """Every stored site's id."""
    return sorted(await session.scalars(select(SiteRow.id)))
