"""``ingest export``: every stored article as JSON lines or CSV, streamed with flat memory."""

from __future__ import annotations

__all__ = ["CSV_COLUMNS", "export_command", "section_text", "write_export"]

import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from ingest.cli.app import DB_OPTION, cli, guarded
from ingest.render import stored_article_to_dict
from ingest.store.db import Database
from ingest.store.export import stream_articles

if TYPE_CHECKING:
    from ingest.items import Section

CSV_COLUMNS = ("site", "url", "title", "position", "heading", "level", "text", "canonical_id")
"""One CSV row per section occurrence."""


def section_text(section: Section) -> str:
    """A section's paragraphs and lists (items as ``- item`` lines) in order, blank-line apart."""
    return "\n\n".join(
        block if isinstance(block, str) else "\n".join(f"- {item}" for item in block.items)
        for block in section.blocks()
    )


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one article per line, nested; csv: one row per section.",
)
@click.option("--site", default=None, help="Only this site.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
@DB_OPTION
def export_command(fmt: str, site: str | None, output: Path | None, database: str) -> None:
    """Export the stored articles, streamed in id order with flat memory.

    jsonl lines are the `ingest show --format json` shape (the `ingest extract` shape plus
    each section's canonical_id) with "site"; csv has the columns site, url, title, position,
    heading, level, text, canonical_id.

    \b
    Examples:
      ingest export --format jsonl --output articles.jsonl
      ingest export --format csv --site skincare > sections.csv
    """  # noqa: D301
    if output is None:
        count = guarded(write_export(database, fmt, site, sys.stdout))
    else:
        with output.open("w", encoding="utf-8", newline="") as stream:
            count = guarded(write_export(database, fmt, site, stream))
    click.echo(f"exported {count} article(s)", err=True)


async def write_export(database: str, fmt: str, site: str | None, out: TextIO) -> int:
    """Write the articles of ``database`` (of ``site``) to ``out`` as ``fmt``; return how many."""
    db = Database.from_url(database)
    count = 0
    try:
        await db.upgrade()
        writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        if writer is not None:
            writer.writerow(CSV_COLUMNS)
        async with db.session() as session:
            async for article in stream_articles(session, site):
                count += 1
                if writer is None:
                    shown = {"site": article.site} | stored_article_to_dict(article)
                    out.write(json.dumps(shown, ensure_ascii=False) + "\n")
                    continue
                for position, stored in enumerate(article.sections):
                    section = stored.section
                    writer.writerow(
                        (
                            article.site,
                            article.url,
                            article.title,
                            position,
                            section.heading,
                            section.level,
                            section_text(section),
                            stored.canonical_id,
                        )
                    )
    finally:
        await db.dispose()
    return count
