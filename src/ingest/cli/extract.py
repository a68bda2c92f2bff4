"""``ingest extract``: parse pages without a database, one or many, in parallel."""

from __future__ import annotations

__all__ = ["extract_command"]

import json
import os
import sys
from contextlib import aclosing

import click

from ingest.batch import expand_inputs, extract_many
from ingest.cli.app import ExitCode, cli, fail, guarded
from ingest.config import FetchConfig
from ingest.render import article_to_dict, article_to_markdown, article_to_text
from ingest.workers import ParsePool


@cli.command("extract")
@click.argument("targets", nargs=-1, required=True, metavar="URL_OR_FILE...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jsonl", "markdown", "text"]),
    default="json",
    show_default=True,
    help="jsonl streams one object per input, with an 'error' key for inputs that failed.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Parser processes.  [default: all cores]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a page may take to parse.",
)
def extract_command(
    targets: tuple[str, ...], fmt: str, workers: int | None, timeout: float
) -> None:
    """Extract pages (URLs, HTML files, directories, or - for a list on stdin) without a database.

    Inputs are fetched and parsed in parallel, in worker processes, each page under a time
    limit; results come out in input order. Exits 1 when any input failed.

    \b
    Examples:
      ingest extract https://example.com/blog/post/
      ingest extract page.html --format markdown
      ingest extract saved-pages/ --format jsonl > articles.jsonl
      cat urls.txt | ingest extract - --format jsonl
    """  # noqa: D301
    inputs = expand_inputs(targets)
    if not inputs:
        fail("no inputs: the directories given hold no .html files", ExitCode.USAGE)
    failed = guarded(_extract(inputs, fmt, workers, timeout))
    if failed:
        sys.exit(ExitCode.FAILURES)


async def _extract(inputs: list[str], fmt: str, workers: int | None, page_seconds: float) -> int:
    failed = 0
    many = len(inputs) > 1
    count = min(workers or os.cpu_count() or 1, len(inputs))
    async with (
        ParsePool(workers=count, timeout=page_seconds) as pool,
        aclosing(extract_many(inputs, config=FetchConfig(), pool=pool)) as results,
    ):
        first = True
        async for target, article, error in results:
            if article is None:
                failed += 1
                if fmt == "jsonl":
                    empty = {"url": target, "title": None, "description": None, "language": None}
                    click.echo(json.dumps(empty | {"sections": [], "error": error}))
                else:
                    click.echo(f"ingest: {error}", err=True)
                continue
            if fmt == "jsonl":
                click.echo(json.dumps(article_to_dict(article), ensure_ascii=False))
            elif fmt == "json":
                text = json.dumps(article_to_dict(article), indent=2, ensure_ascii=False)
                click.echo(text if not many else ("[" if first else ",") + text, nl=not many)
            else:
                render = article_to_markdown if fmt == "markdown" else article_to_text
                click.echo(("" if first else "\n---\n\n") + render(article), nl=False)
            first = False
        if fmt == "json" and many:
            click.echo("[]" if first else "]")
    return failed
