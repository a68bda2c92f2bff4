"""``ingest run`` and ``ingest demo``: the pipeline over a sites file."""

from __future__ import annotations

__all__ = ["demo_command", "run_command"]

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.app import (
    CONFIG_DB_OPTION,
    EXIT_CODES_HELP,
    SOURCE_OPTION,
    ExitCode,
    cli,
    fail,
    guarded,
    print_report,
    read_database,
)
from ingest.config import DEFAULT_DATABASE, load_config
from ingest.errors import ConfigError
from ingest.pipeline import run
from ingest.pipeline.runner import plan
from ingest.store import queries
from ingest.tables import groups_table, progress_display

if TYPE_CHECKING:
    from ingest.report import PlannedSite, RunReport


@cli.command("run", epilog=EXIT_CODES_HELP)
@SOURCE_OPTION
@CONFIG_DB_OPTION
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary as text or JSON.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=None,
    help="At most N article pages per site (beats max_pages of the sites file).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only discover: list the pages a run would fetch and what robots.txt allows; "
    "fetches no page and opens no database.",
)
def run_command(  # noqa: PLR0917  (one parameter per option)
    source: Path,
    database: str | None,
    sites: tuple[str, ...],
    fmt: str,
    max_pages: int | None,
    dry_run: bool,
) -> None:
    """Ingest every site in the sites file, incrementally; print a summary.

    Discovers article pages (robots.txt sitemaps, else home page links), fetches them with
    conditional GET, parses, merges repeated sections, and upserts everything, so running it
    twice stores nothing twice. A new database is created and migrated on the way.

    \b
    Examples:
      ingest run --source config/sites.yaml
      ingest run --source config/sites.yaml --db postgresql+psycopg://postgres@127.0.0.1/ingest
      ingest run --site skincare --format json
      ingest run --dry-run --max-pages 20
    """  # noqa: D301
    if dry_run:
        planned = _plan(source, database, sites or None, max_pages)
        _print_plan(planned, fmt)
        sys.exit(ExitCode.FAILURES if any(p.failure for p in planned) else ExitCode.OK)
    report = _run_pipeline(source, database, sites or None, max_pages)
    print_report(report, fmt)
    sys.exit(ExitCode.OK if report.ok else ExitCode.FAILURES)


def _check_sites(source: Path, names: set[str], sites: tuple[str, ...] | None) -> None:
    unknown = sorted(set(sites or ()) - names)
    if unknown:
        fail(f"{source}: no site named {', '.join(unknown)}", ExitCode.USAGE)


def _run_pipeline(
    source: Path,
    database: str | None,
    sites: tuple[str, ...] | None,
    max_pages: int | None = None,
) -> RunReport:
    async def go() -> RunReport:
        config = load_config(source, database=database)
        _check_sites(source, {site.name for site in config.sites}, sites)
        with progress_display() as progress:
            return await run(config, progress=progress, sites=sites, max_pages=max_pages)

    return guarded(go())


def _plan(
    source: Path, database: str | None, sites: tuple[str, ...] | None, max_pages: int | None
) -> list[PlannedSite]:
    async def go() -> list[PlannedSite]:
        config = load_config(source, database=database)
        _check_sites(source, {site.name for site in config.sites}, sites)
        return await plan(config, sites=sites, max_pages=max_pages)

    return guarded(go())


def _print_plan(planned: list[PlannedSite], fmt: str) -> None:
    if fmt == "json":
        shown = {"dry_run": True, "sites": [site.to_dict() for site in planned]}
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    for site in planned:
        allowed = sum(1 for _, ok in site.pages if ok)
        click.echo(f"{site.site}: {allowed} page(s) to fetch, {len(site.pages) - allowed} blocked")
        if site.failure is not None:
            f = site.failure
            click.echo(f"  [{f.kind}] {f.url}: {f.message}")
        for url, ok in site.pages:
            click.echo(f"  {'fetch  ' if ok else 'robots '} {url}")
    click.echo("dry run: nothing fetched beyond robots.txt and sitemaps, nothing written")


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
        fail(f"config error:\n{exc}", ExitCode.USAGE)
    with ExitStack() as stack:
        try:
            served = stack.enter_context(serve_fixtures(config, fixtures))
        except OSError as exc:
            where = ", ".join(site.url for site in config.sites)
            fail(
                f"cannot serve the fixture sites at {where}: {exc.strerror or exc}", ExitCode.USAGE
            )
        for name, origin in served:
            click.echo(f"serving {fixtures}/{name}/site at {origin}", err=True)
        report = _run_pipeline(source, database, None)
    print_report(report, "text")
    url = config.database
    groups = read_database(url, lambda s: queries.list_duplicate_groups(s, None))
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
