"""Full-text search over article titles, section headings and section text.

The index is the ``section_search`` table that migration 0003 creates: one row per section
occurrence holding the article title, the occurrence heading and its canonical section's text.
The writer adds the rows of the occurrences it inserts (:func:`index_occurrences`, one
statement per write); triggers follow updates and deletes of occurrences, article titles and
canonical text. SQLite answers with FTS5 (bm25, ``snippet()``), PostgreSQL with a
``tsvector`` under a GIN index (``websearch_to_tsquery``, ``ts_rank``, ``ts_headline``).

Both take the same query language, parsed here so user input never reaches either engine's
syntax: words (all must match, in any order and column) and ``"quoted phrases"`` (the words in
that order); an unclosed quote runs to the end. Everything but letters and digits separates
words, so operators (``OR``, ``-``, ``*``, ``NEAR``, ``:``) are plain words or nothing::

    async with database.session() as session:
        hits = await search(session, 'microneedling "at home"', site="skincare", limit=5)
"""

from __future__ import annotations

__all__ = [
    "RANKED_MATCHES",
    "SNIPPET_END",
    "SNIPPET_START",
    "index_occurrences",
    "parse_query",
    "search",
]

import re
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text

from ingest.errors import StoreError
from ingest.items import SearchHit
from ingest.store.db import translate_errors

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SNIPPET_START = "["
"""Put before each matched word in a snippet."""
SNIPPET_END = "]"
"""Put after each matched word in a snippet."""

_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORD = re.compile(r"[^\W_]+")

_SQLITE = f"""
WITH site AS (SELECT id FROM sites WHERE name = :site),
floor AS (  -- the rowid of the RANKED_MATCHES-th newest match, when there are more
    SELECT rowid AS id FROM section_search
    WHERE section_search MATCH :query AND (:site IS NULL OR site_id = (SELECT id FROM site))
    ORDER BY rowid DESC LIMIT 1 OFFSET :ranked - 1
)
SELECT s.name AS site, a.url, a.title, o.heading, o.position, hit.snippet, hit.score
FROM (
    SELECT rowid AS occurrence_id, -rank AS score,
           snippet(section_search, -1, '{SNIPPET_START}', '{SNIPPET_END}', '…', 24) AS snippet
    FROM section_search
    WHERE section_search MATCH :query
      AND rowid >= coalesce((SELECT id FROM floor), 0)
      AND (:site IS NULL OR site_id = (SELECT id FROM site))
    ORDER BY section_search.rank  -- FTS5's own column: sorted inside FTS5, snippets only for LIMIT
    LIMIT :limit
) AS hit
JOIN section_occurrences AS o ON o.id = hit.occurrence_id
JOIN articles AS a ON a.id = o.article_id
JOIN sites AS s ON s.id = a.site_id
ORDER BY hit.score DESC, a.url, o.position
"""  # noqa: S608  (the markers are constants; input goes in bound parameters)

_POSTGRES = """
WITH q AS (SELECT websearch_to_tsquery('simple', :query) AS query),
recent AS (  -- the newest RANKED_MATCHES matches, ranked in the same pass
    SELECT ss.occurrence_id,
           ts_rank(ss.document, websearch_to_tsquery('simple', :query)) AS rank
    FROM section_search AS ss
    WHERE ss.document @@ websearch_to_tsquery('simple', :query)  -- inline: the planner sees it
      AND (CAST(:site AS text) IS NULL
           OR ss.site_id = (SELECT id FROM sites WHERE name = CAST(:site AS text)))
    ORDER BY ss.occurrence_id DESC
    LIMIT :ranked
),
hit AS (
    SELECT top.occurrence_id, top.rank, ss.title, ss.heading, ss.body
    FROM (SELECT * FROM recent ORDER BY rank DESC, occurrence_id LIMIT :limit) AS top
    JOIN section_search AS ss USING (occurrence_id)
)
SELECT s.name AS site, a.url, a.title, o.heading, o.position,
       ts_headline('simple',
           CASE WHEN to_tsvector('simple', hit.body) @@ q.query THEN hit.body
                WHEN to_tsvector('simple', hit.heading) @@ q.query THEN hit.heading
                ELSE hit.title END,
           q.query, :options) AS snippet,
       hit.rank
FROM hit CROSS JOIN q
JOIN section_occurrences AS o ON o.id = hit.occurrence_id
JOIN articles AS a ON a.id = o.article_id
JOIN sites AS s ON s.id = a.site_id
ORDER BY hit.rank DESC, a.url, o.position
"""

RANKED_MATCHES = 5_000
"""At most this many matches are ranked: a query matching more ranks the newest ones.

Ranking costs time per match (bm25 and ``ts_rank`` read every match's positions), so a query
made only of words found in most sections (``the``, a site's name) would otherwise take time
growing with the database; with the cap every query stays within tens of milliseconds on
100,000 sections.
"""

# For the search query only (see search()). Plan for the query's own words: a plan cached for
# any words (psycopg prepares a statement run five times) walks the newest sections even for a
# rare word. And no sequential scan: matching a tsquery against every row costs far more than
# the planner assumes, so for a word in a tenth of the sections it beats the GIN index only on
# paper.
_POSTGRES_PLANNING = "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL enable_seqscan = off"

_HEADLINE_OPTIONS = (
    f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=24, MinWords=8, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def parse_query(query: str) -> tuple[tuple[str, ...], ...]:
    """The query's terms: each a word or a quoted phrase, as a tuple of words; no empty terms.

    >>> parse_query('serum "at home" -oil')
    (('serum',), ('at', 'home'), ('oil',))
    """
    terms: list[tuple[str, ...]] = []
    for match in _TERM.finditer(query):
        words = tuple(_WORD.findall(match.group(1) or match.group(2) or ""))
        if words:
            terms.append(words)
    return tuple(terms)


def _engine_query(dialect: str, terms: tuple[tuple[str, ...], ...]) -> str:
    """The terms in the engine's syntax: every term a double-quoted phrase, ANDed.

    Words hold only letters and digits, so the quotes need no escaping and no word can be read
    as an operator by FTS5 or ``websearch_to_tsquery``.
    """
    del dialect  # both engines read '"a b" "c"' as: phrase "a b" and word c
    return " ".join('"' + " ".join(words) + '"' for words in terms)


async def search(
    session: AsyncSession, query: str, *, site: str | None = None, limit: int = 20
) -> list[SearchHit]:
    """The sections matching ``query`` (words and "phrases"), best first, at most ``limit``.

    ``site`` keeps only that site's sections. A query without any word finds nothing. When more
    than :data:`RANKED_MATCHES` sections match, the best of the newest that many are returned.

    Raises:
        ValueError: ``limit`` is below 1.
        StoreError: the search failed (for instance the schema predates migration 0003).
    """
    if limit < 1:
        msg = f"limit must be at least 1, not {limit}"
        raise ValueError(msg)
    terms = parse_query(query)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    params: dict[str, object] = {
        "query": _engine_query(dialect, terms),
        "site": site,
        "limit": limit,
        "ranked": RANKED_MATCHES,
    }
    if dialect == "postgresql":
        statement, params["options"] = text(_POSTGRES), _HEADLINE_OPTIONS
    elif dialect == "sqlite":
        statement = text(_SQLITE)
    else:
        raise StoreError("section_search", query, f"unsupported dialect {dialect}")
    with translate_errors("section_search", query):
        if dialect == "postgresql":
            # In a savepoint rolled back after the query: the planner settings end with it.
            savepoint = await session.begin_nested()
            await session.execute(text(_POSTGRES_PLANNING))
            rows = (await session.execute(statement, params)).all()
            await savepoint.rollback()
        else:
            rows = (await session.execute(statement, params)).all()
    return [
        SearchHit(site, url, title, heading, int(position), snippet, float(rank))
        for site, url, title, heading, position, snippet, rank in rows
    ]


_INDEX_COLUMNS = {
    "sqlite": "rowid, title, heading, body, site_id, article_id",
    "postgresql": "occurrence_id, title, heading, body, site_id, article_id",
}
_INDEX = """
INSERT INTO section_search ({columns})
SELECT o.id, a.title, o.heading, c.text, a.site_id, a.id
FROM section_occurrences AS o
JOIN articles AS a ON a.id = o.article_id
JOIN canonical_sections AS c ON c.id = o.canonical_id
WHERE o.article_id IN :article_ids
"""


async def index_occurrences(session: AsyncSession, article_ids: Sequence[int]) -> None:
    """Add the section occurrences of ``article_ids``, just inserted, to the search index.

    One ``INSERT … SELECT`` for them all: SQLite's FTS5 takes rows a statement at a time at
    four times the cost (what the row trigger before migration 0007 paid).
    """
    if not article_ids:
        return
    dialect = session.get_bind().dialect.name
    columns = _INDEX_COLUMNS.get(dialect)
    if columns is None:
        raise StoreError("section_search", "index", f"unsupported dialect {dialect}")
    statement = text(_INDEX.format(columns=columns)).bindparams(
        bindparam("article_ids", expanding=True)
    )
    await session.execute(statement, {"article_ids": list(article_ids)})
