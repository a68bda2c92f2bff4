"""Commands that read the database for people: ``show``, ``duplicates``, ``db upgrade``."""

from __future__ import annotations

__all__ = ["db_group", "db_upgrade_command", "duplicates_command", "show_command"]

import json

import click

from ingest.cli.app import DB_OPTION, FORMAT_TABLE, ExitCode, cli, fail, guarded, read_database
from ingest.render import group_to_dict, stored_article_to_dict
from ingest.store import queries
from ingest.store.db import Database
from ingest.tables import article_table, groups_table


@cli.command("show")
@click.argument("url")
@click.option(
    "--no-boilerplate",
    "no_boilerplate",
    is_flag=True,
    help="Leave out the sections flagged as the site's boilerplate (see 'ingest duplicates').",
)
@DB_OPTION
@FORMAT_TABLE
def show_command(url: str, no_boilerplate: bool, database: str, fmt: str) -> None:
    """Show one stored article: title, sections in order, and each section's canonical id.

    The JSON says of each section whether it is site boilerplate (a disclosure or a call to
    action found on most of the site's articles); --no-boilerplate leaves those out.

    \b
    Examples:
      ingest show http://127.0.0.1:8765/what-does-microneedling-actually-do/ --format json
      ingest show http://127.0.0.1:8765/what-does-microneedling-actually-do/ --no-boilerplate
    """  # noqa: D301
    keep = not no_boilerplate
    stored = read_database(database, lambda s: queries.get_article(s, url, keep_boilerplate=keep))
    if stored is None:
        fail(f"no article stored for {url}", ExitCode.FAILURES)
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
    groups = read_database(database, lambda s: queries.list_duplicate_groups(s, site))
    if fmt == "json":
        click.echo(json.dumps([group_to_dict(g) for g in groups], indent=2, ensure_ascii=False))
    else:
        groups_table(groups)


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

    guarded(go())
    click.echo(f"database at {Database.from_url(database).url} is up to date")
