"""The ``ingest`` command: parse arguments, call the library, print, pick the exit code.

Results go to stdout, logs and progress to stderr. Exit codes (:class:`ExitCode`):
0 all good; 1 the run finished with failures (a crash also exits 1, with a traceback);
2 usage or config error, nothing fetched; 75 another run holds the lock (cron retries later).
"""

from __future__ import annotations

__all__ = ["ExitCode", "main"]

import asyncio
import json
import os
import sys
from contextlib import ExitStack
from datetime import UTC
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ingest.config import DEFAULT_DATABASE, FetchConfig, load_config
from ingest.errors import ConfigError, IngestError, RunLocked
from ingest.fetch.adstxt import fetch_adstxt
from ingest.fetch.client import build_client
from ingest.items import AdsTxt
from ingest.logs import configure_logging
from ingest.parse.adstxt import parse_adstxt, unique_records
from ingest.pipeline import extract_one, run
from ingest.render import (
    adstxt_check_to_dict,
    adstxt_files_to_dict,
    article_to_dict,
    article_to_markdown,
    article_to_text,
    group_to_dict,
    stored_article_to_dict,
)
from ingest.store import adstxt as store_adstxt
from ingest.store import queries
from ingest.store.db import Database
from ingest.tables import (
    adstxt_check_table,
    adstxt_table,
    article_table,
    groups_table,
    progress_display,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import AdsTxtChange, StoredAdsTxt
    from ingest.report import RunReport


T = TypeVar("T")


class ExitCode(IntEnum):
    """What ``ingest`` exits with; cron and scripts read it."""

    OK = 0
    """Everything worked."""
    FAILURES = 1
    """The run finished, but some pages, files or sites failed (see the summary)."""
    USAGE = 2
    """Bad usage or config; nothing was fetched."""
    LOCKED = 75
    """Another run holds the database's lock (EX_TEMPFAIL); nothing was touched."""


EXIT_CODES_HELP = (
    "Exit codes: 0 all good; 1 finished with failures; 2 bad usage or config; "
    "75 another run holds the lock."
)
DB_OPTION = click.option(
    "--db",
    "database",
    envvar="INGEST_DATABASE_URL",
    show_envvar=True,
    default=DEFAULT_DATABASE,
    show_default=True,
    help="Database URL (sqlite:///FILE or postgresql+psycopg://USER@HOST/DB).",
)
FORMAT_TABLE = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for programs.",
)


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"ingest: {message}", err=True)
    sys.exit(code)


def _guarded(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]  # an Awaitable from our own async defs is a coroutine
    except ConfigError as exc:
        _fail(f"config error:\n{exc}", ExitCode.USAGE)
    except RunLocked as exc:
        _fail(str(exc), ExitCode.LOCKED)
    except IngestError as exc:
        _fail(str(exc), ExitCode.FAILURES)
    raise AssertionError  # pragma: no cover  (_fail exits)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ingest")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="warning",
    show_default=True,
    help="Log detail on stderr; debug logs one line per page.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json writes one object per line, for log shippers.",
)
def cli(log_level: str, log_format: str) -> None:
    """Fetch sites politely, extract their articles and ads.txt, store them in SQL.

    \b
    Quick start (serves the bundled fixture site on 127.0.0.1 and ingests it into ingest.db):
      ingest demo
    The job cron runs:
      ingest run --source config/sites.yaml
    """  # noqa: D301  (\b is click's no-rewrap marker)
    configure_logging(log_level, log_format)


def _print_report(report: RunReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text())


@cli.command("run", epilog=EXIT_CODES_HELP)
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("config/sites.yaml"),
    show_default=True,
    help="The sites file (YAML).",
)
@click.option(
    "--db",
    "database",
    envvar="INGEST_DATABASE_URL",
    show_envvar=True,
    default=None,
    help=f"Database URL; beats the file's 'database:' key.  [default: {DEFAULT_DATABASE}]",
)
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary as text or JSON.",
)
def run_command(source: Path, database: str | None, sites: tuple[str, ...], fmt: str) -> None:
    """Ingest every site in the sites file, incrementally; print a summary.

    Discovers article pages (robots.txt sitemaps, else home page links), fetches them with
    conditional GET, parses, merges repeated sections, and upserts everything, so running it
    twice stores nothing twice. A new database is created and migrated on the way.

    \b
    Examples:
      ingest run --source config/sites.yaml
      ingest run --source config/sites.yaml --db postgresql+psycopg://postgres@127.0.0.1/ingest
      ingest run --site skincare --format json
    """  # noqa: D301
    report = _run_pipeline(source, database, sites or None)
    _print_report(report, fmt)
    sys.exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


def _run_pipeline(source: Path, database: str | None, sites: tuple[str, ...] | None) -> RunReport:
    async def go() -> RunReport:
        config = load_config(source, database=database)
        unknown = sorted(set(sites or ()) - {site.name for site in config.sites})
        if unknown:
            _fail(f"{source}: no site named {', '.join(unknown)}", ExitCode.USAGE)
        with progress_display() as progress:
            return await run(config, progress=progress, sites=sites)

    return _guarded(go())


@cli.command("demo", epilog=EXIT_CODES_HELP)
@click.option(
    "--fixtures",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("fixtures"),
    show_default=True,
    help="Folder with one sub-folder per site name, each holding site/.",
)
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("config/sites.yaml"),
    show_default=True,
    help="The sites file (YAML).",
)
@click.option(
    "--db",
    "database",
    envvar="INGEST_DATABASE_URL",
    show_envvar=True,
    default=None,
    help=f"Database URL.  [default: {DEFAULT_DATABASE}]",
)
def demo_command(fixtures: Path, source: Path, database: str | None) -> None:
    """Serve the fixture sites on 127.0.0.1 and run the same pipeline as `ingest run` on them.

    Each site of the sites file whose URL is on 127.0.0.1 is served from FIXTURES/NAME/site/
    on that URL's port; then the run is exactly `ingest run --source SOURCE`.

    \b
    Example:
      ingest demo && ingest duplicates
    """  # noqa: D301
    from ingest.demo import serve_fixtures  # noqa: PLC0415  (starts servers: only when asked)

    try:
        config = load_config(source, database=database)
    except ConfigError as exc:
        _fail(f"config error:\n{exc}", ExitCode.USAGE)
    with ExitStack() as stack:
        try:
            served = stack.enter_context(serve_fixtures(config, fixtures))
        except OSError as exc:
            where = ", ".join(site.url for site in config.sites)
            _fail(
                f"cannot serve the fixture sites at {where}: {exc.strerror or exc}", ExitCode.USAGE
            )
        for name, origin in served:
            click.echo(f"serving {fixtures}/{name}/site at {origin}", err=True)
        report = _run_pipeline(source, database, None)
    _print_report(report, "text")
    url = config.database
    groups = _read(url, lambda s: queries.list_duplicate_groups(s, None))
    if groups:
        click.echo("")
        groups_table(groups)
    example = groups[0].occurrences[0].url if groups else config.sites[0].url
    db = f" --db {database}" if database else ""
    click.echo(
        "\nTry:\n"
        f"  ingest duplicates{db}\n"
        f"  ingest show{db} {example}\n"
        f"  ingest adstxt{db} {config.sites[0].name}\n"
        f"  ingest show{db} {example} --format json\n"
        "SQL on the tables and example queries: docs/schema.md"
    )
    sys.exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


@cli.command("extract")
@click.argument("target")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "text"]),
    default="json",
    show_default=True,
    help="Output format.",
)
def extract_command(target: str, fmt: str) -> None:
    """Extract one page (a URL or an HTML file) without a database.

    \b
    Examples:
      ingest extract https://example.com/blog/post/
      ingest extract page.html --format markdown
    """  # noqa: D301
    article = _guarded(extract_one(target, FetchConfig()))
    if fmt == "json":
        click.echo(json.dumps(article_to_dict(article), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(article_to_markdown(article), nl=False)
    else:
        click.echo(article_to_text(article), nl=False)


def _read(database: str, query: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        db = Database.from_url(database)
        try:
            await db.upgrade()
            async with db.session() as session:
                return await query(session)
        finally:
            await db.dispose()

    return _guarded(go())


@cli.command("show")
@click.argument("url")
@DB_OPTION
@FORMAT_TABLE
def show_command(url: str, database: str, fmt: str) -> None:
    """Show one stored article: title, sections in order, and each section's canonical id.

    \b
    Example:
      ingest show http://127.0.0.1:8765/what-does-microneedling-actually-do/ --format json
    """  # noqa: D301
    stored = _read(database, lambda s: queries.get_article(s, url))
    if stored is None:
        _fail(f"no article stored for {url}", ExitCode.FAILURES)
    assert stored is not None
    if fmt == "json":
        click.echo(json.dumps(stored_article_to_dict(stored), indent=2, ensure_ascii=False))
    else:
        article_table(stored)


@cli.command("duplicates")
@click.option("--site", default=None, help="Only this site's groups.")
@DB_OPTION
@FORMAT_TABLE
def duplicates_command(site: str | None, database: str, fmt: str) -> None:
    """List sections that occur in more than one place, largest groups first.

    \b
    Example:
      ingest duplicates --site skincare --format json
    """  # noqa: D301
    groups = _read(database, lambda s: queries.list_duplicate_groups(s, site))
    if fmt == "json":
        click.echo(json.dumps([group_to_dict(g) for g in groups], indent=2, ensure_ascii=False))
    else:
        groups_table(groups)


class _DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to ``show``.

    So ``ingest adstxt SITE`` means ``ingest adstxt show SITE`` while ``ingest adstxt check F``
    still reaches ``check`` (a site named ``check`` is shown with ``ingest adstxt show check``).
    """

    default = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Put the default subcommand in front of arguments that do not start with one."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@cli.group("adstxt", cls=_DefaultGroup, no_args_is_help=True)
def adstxt_command() -> None:
    """Show a site's stored ads.txt files, or check any ads.txt file or URL.

    \b
    Examples:
      ingest adstxt skincare --history
      ingest adstxt check ./ads.txt --format json
    """  # noqa: D301


@adstxt_command.command("show")
@click.argument("site")
@click.option("--history", is_flag=True, help="Also list sellers added and removed.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="With --history: only changes at or after this UTC date.",
)
@DB_OPTION
@FORMAT_TABLE
def adstxt_show_command(
    site: str, history: bool, since: datetime | None, database: str, fmt: str
) -> None:
    """Show a site's ads.txt files: current records, variables, errors, status and changes.

    Each file (ads.txt, app-ads.txt, SUBDOMAIN= files) says whether it is current, stale
    (the last check failed; the last good copy is shown), absent (404/410) or denied.

    \b
    Example:
      ingest adstxt show skincare --history --since 2026-01-01 --format json
    """  # noqa: D301
    when = since.replace(tzinfo=UTC) if since is not None else None

    async def read(session: AsyncSession) -> tuple[list[StoredAdsTxt], list[AdsTxtChange] | None]:
        files = await store_adstxt.list_site_adstxt(session, site)
        changes = await store_adstxt.list_adstxt_changes(session, site, when) if history else None
        return files, changes

    files, changes = _read(database, read)
    if not files:
        _fail(f"no ads.txt stored for site {site!r}", ExitCode.FAILURES)
    if fmt == "json":
        shown = adstxt_files_to_dict(site, files, changes)
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        adstxt_table(files, changes)


@adstxt_command.command("check")
@click.argument("target", metavar="FILE_OR_URL")
@click.option("--lenient", is_flag=True, help="Accept common deviations (see the docs).")
@FORMAT_TABLE
def adstxt_check_command(target: str, lenient: bool, fmt: str) -> None:
    """Validate an ads.txt or app-ads.txt file or URL, without a database; exit 1 on errors.

    A URL is fetched by the ads.txt rules (https first, text/plain only, redirects checked).

    \b
    Example:
      ingest adstxt check https://example.com/ads.txt --lenient --format json
    """  # noqa: D301
    if target.startswith(("http://", "https://")):
        content = _guarded(_fetch_for_check(target))
    else:
        try:
            content = Path(target).read_bytes()
        except OSError as exc:
            _fail(f"cannot read {target}: {exc.strerror or exc}", ExitCode.USAGE)
    parsed = parse_adstxt(content, lenient=lenient)
    records, duplicates = unique_records(parsed.records)
    shown = AdsTxt(records, parsed.variables, parsed.issues)
    if fmt == "json":
        click.echo(
            json.dumps(adstxt_check_to_dict(shown, duplicates), indent=2, ensure_ascii=False)
        )
    else:
        adstxt_check_table(shown, duplicates)
    if parsed.issues:
        sys.exit(ExitCode.FAILURES)


async def _fetch_for_check(url: str) -> bytes:
    """Fetch a URL the user typed (loopback allowed) by the ads.txt rules."""
    config = FetchConfig()
    async with build_client(config) as client:
        result = await fetch_adstxt(client, url, config=config, allow=True)
    return result.content


@cli.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@DB_OPTION
def db_upgrade_command(database: str) -> None:
    """Create or migrate the database to the latest schema (Alembic).

    \b
    Example:
      ingest db upgrade --db postgresql+psycopg://postgres@127.0.0.1/ingest
    """  # noqa: D301

    async def go() -> None:
        db = Database.from_url(database)
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    _guarded(go())
    click.echo(f"database at {Database.from_url(database).url} is up to date")


def main() -> None:
    """Entry point of the ``ingest`` script."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli()
