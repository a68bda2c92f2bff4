"""The ``search`` command: full-text search over stored article titles and section text."""

from __future__ import annotations

__all__ = ["hit_to_dict", "search_command"]

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ingest.cli.app import DB_OPTION, FORMAT_TABLE, cli, read_database
from ingest.store.search import search

if TYPE_CHECKING:
    from ingest.items import SearchHit


def hit_to_dict(hit: SearchHit) -> dict[str, Any]:
    """A hit in the documented JSON shape (rank rounded to 6 decimals)."""
    return asdict(hit) | {"rank": round(hit.rank, 6)}


def _hits_table(hits: list[SearchHit]) -> None:
    """One row per hit, best first, the matched words in bold."""
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    table = Table("rank", "site", "title", "#", "heading", "snippet")
    for hit in hits:
        snippet = Text(hit.snippet.replace("\n", " "))
        snippet.highlight_regex(r"\[[^\[\]]*\]", "bold")
        table.add_row(
            f"{hit.rank:.3f}",
            hit.site,
            Text(f"{hit.title}\n{hit.url}"),
            str(hit.position),
            Text(hit.heading or "(before first heading)"),
            snippet,
        )
    console.print(table)


@cli.command("search")
@click.argument("query")
@click.option("--site", default=None, help="Only this site's articles.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many hits.",
)
@DB_OPTION
@FORMAT_TABLE
def search_command(query: str, site: str | None, limit: int, database: str, fmt: str) -> None:
    """Search stored articles: titles, headings and section text, best matches first.

    QUERY is words (all must match, in any order) and "quoted phrases" (words in that order);
    other punctuation is ignored. Each hit is a section, with a snippet marking the matched
    words in [brackets]. A query matching more than 5,000 sections (only very common words)
    ranks the newest 5,000, so every search answers in milliseconds. Exit code 0, with or
    without hits.

    \b
    Examples:
      ingest search microneedling
      ingest search '"vitamin c" serum' --site skincare --limit 5 --format json
    """  # noqa: D301  (\b is click's no-rewrap marker)
    hits = read_database(database, lambda s: search(s, query, site=site, limit=limit))
    if fmt == "json":
        click.echo(json.dumps([hit_to_dict(h) for h in hits], indent=2, ensure_ascii=False))
    elif hits:
        _hits_table(hits)
    else:
        click.echo("no matches", err=True)
