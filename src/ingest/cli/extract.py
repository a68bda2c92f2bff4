"""``ingest extract``: parse pages without a database, one or many, in parallel.

With ``--no-boilerplate`` the database is read (never written) to leave out the sections a
stored site flags as boilerplate (:mod:`ingest.pipeline.boilerplate`).
"""

from __future__ import annotations

__all__ = ["extract_command"]

import json
import os
import sys
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

from ingest.batch import expand_inputs, extract_many, is_url
from ingest.cli.app import CONFIG_DB_OPTION, ExitCode, cli, fail, guarded
from ingest.config import DEFAULT_DATABASE, DedupeConfig, ExtractConfig, FetchConfig, load_config
from ingest.errors import ConfigError
from ingest.pipeline.boilerplate import BoilerplateFilter, sites_of
from ingest.render import article_to_dict, article_to_markdown, article_to_text
from ingest.store.db import Database
from ingest.workers import ParsePool

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ingest.items import Article


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
@click.option(
    "--no-boilerplate",
    "no_boilerplate",
    is_flag=True,
    help="Leave out the sections that match a stored site's boilerplate (reads --db, never "
    "writes it).",
)
@click.option(
    "--content",
    "content_selector",
    default=None,
    metavar="SELECTOR",
    help="CSS selector of the content root (its first match), as a site's 'extract: content:'.",
)
@click.option(
    "--drop",
    "drop_selectors",
    multiple=True,
    metavar="SELECTOR",
    help="CSS selector of parts to remove first (repeatable), as a site's 'extract: drop:'.",
)
@CONFIG_DB_OPTION
@click.option(
    "--site",
    default=None,
    help="The site (of --source) whose 'extract:' selectors apply; with --no-boilerplate, the "
    "stored site to compare with.  [default: the stored site on the URL's host]",
)
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The sites file of --site; with --no-boilerplate, whose 'dedupe:' settings and "
    "'database:' apply.  [default: the default settings]",
)
def extract_command(  # noqa: PLR0917  (one parameter per option)
    targets: tuple[str, ...],
    fmt: str,
    workers: int | None,
    timeout: float,
    no_boilerplate: bool,
    content_selector: str | None,
    drop_selectors: tuple[str, ...],
    database: str | None,
    site: str | None,
    source: Path | None,
) -> None:
    """Extract pages (URLs, HTML files, directories, or - for a list on stdin) without a database.

    Inputs are fetched and parsed in parallel, in worker processes, each page under a time
    limit; results come out in input order. Exits 1 when any input failed.

    --content and --drop set the content root and remove parts by CSS selectors, for a site
    the general rules get wrong; once right, put them in the site's 'extract:' block of the
    sites file (docs/config.md), which --source FILE --site NAME applies here too.

    --no-boilerplate compares each page's sections with the stored sections of its site (--site,
    else the stored site on the URL's host) as a run would, and leaves out those matching one
    flagged as the site's boilerplate, reworded copies included; the database is only read.

    \b
    Examples:
      ingest extract https://example.com/blog/post/
      ingest extract page.html --format markdown
      ingest extract saved-pages/ --format jsonl > articles.jsonl
      cat urls.txt | ingest extract - --format jsonl
      ingest extract page.html --no-boilerplate --site skincare --db sqlite:///ingest.db
      ingest extract page.html --content "div.post-body" --drop ".share-bar" --drop ".promo"
      ingest extract page.html --source config/sites.yaml --site skincare
    """  # noqa: D301
    inputs = expand_inputs(targets)
    if not inputs:
        fail("no inputs: the directories given hold no .html files", ExitCode.USAGE)
    rules = _rules(content_selector, drop_selectors, site, source, database)
    if not no_boilerplate:
        if (site is None) != (source is None):
            fail("--site and --source go together (or with --no-boilerplate)", ExitCode.USAGE)
        failed = guarded(_extract(inputs, fmt, workers, timeout, rules=rules))
    else:
        files = [target for target in inputs if not is_url(target)]
        if site is None and files:
            fail(
                f"--no-boilerplate on a file needs --site NAME, the stored site to compare "
                f"it with: {files[0]}",
                ExitCode.USAGE,
            )
        failed = guarded(
            _without_boilerplate(inputs, fmt, workers, timeout, database, site, source, rules)
        )
    if failed:
        sys.exit(ExitCode.FAILURES)


def _rules(
    content: str | None,
    drop: tuple[str, ...],
    site: str | None,
    source: Path | None,
    database: str | None,
) -> ExtractConfig | None:
    """The selectors given as options, else those of ``site`` in ``source``, else None."""
    if content is not None or drop:
        try:
            return ExtractConfig(content=content, drop=drop)
        except ValidationError as exc:
            problems = "; ".join(
                str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
            )
            fail(f"--content/--drop: {problems}", ExitCode.USAGE)
    if site is None or source is None:
        return None
    try:
        config = load_config(source, database=database)
    except ConfigError as exc:
        fail(f"config error:\n{exc}", ExitCode.USAGE)
    named = next((entry for entry in config.sites if entry.name == site), None)
    if named is None:
        fail(f"{source}: no site named {site}", ExitCode.USAGE)
    return named.extract


async def _without_boilerplate(  # noqa: PLR0917  (the command's options)
    inputs: list[str],
    fmt: str,
    workers: int | None,
    page_seconds: float,
    database: str | None,
    site: str | None,
    source: Path | None,
    rules: ExtractConfig | None,
) -> int:
    if source is not None:
        config = load_config(source, database=database)
        dedupe, url = config.dedupe, config.database
    else:
        dedupe, url = DedupeConfig(), database or DEFAULT_DATABASE
    db = Database.from_url(url)
    try:
        if not await db.is_created():
            fail(f"no ingest database at {db.url}: store a site first (ingest run)", ExitCode.USAGE)
        async with db.session() as session:
            site_ids = await sites_of(session, inputs, site)
        missing = [target for target, site_id in site_ids.items() if site_id is None]
        if site is not None and missing:
            fail(f"no site named {site} in {db.url}", ExitCode.USAGE)
        if missing:
            fail(
                f"no stored site is on the host of {missing[0]}; name one with --site",
                ExitCode.USAGE,
            )
        leave_out = BoilerplateFilter(dedupe)

        async def keep(target: str, article: Article) -> Article:
            site_id = site_ids[target]
            assert site_id is not None
            async with db.session() as session:  # read only: never committed
                return await leave_out.apply(session, site_id, article)

        return await _extract(inputs, fmt, workers, page_seconds, keep, rules=rules)
    finally:
        await db.dispose()


async def _extract(
    inputs: list[str],
    fmt: str,
    workers: int | None,
    page_seconds: float,
    keep: Callable[[str, Article], Awaitable[Article]] | None = None,
    *,
    rules: ExtractConfig | None = None,
) -> int:
    failed = 0
    many = len(inputs) > 1
    count = min(workers or os.cpu_count() or 1, len(inputs))
    async with (
        ParsePool(workers=count, timeout=page_seconds) as pool,
        aclosing(extract_many(inputs, config=FetchConfig(), pool=pool, rules=rules)) as results,
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
            _print(article if keep is None else await keep(target, article), fmt, first, many)
            first = False
        if fmt == "json" and many:
            click.echo("[]" if first else "]")
    return failed


def _print(article: Article, fmt: str, first: bool, many: bool) -> None:
    if fmt == "jsonl":
        click.echo(json.dumps(article_to_dict(article), ensure_ascii=False))
    elif fmt == "json":
        text = json.dumps(article_to_dict(article), indent=2, ensure_ascii=False)
        click.echo(text if not many else ("[" if first else ",") + text, nl=not many)
    else:
        render = article_to_markdown if fmt == "markdown" else article_to_text
        click.echo(("" if first else "\n---\n\n") + render(article), nl=False)
