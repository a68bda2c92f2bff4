"""``ingest adstxt``: a site's stored ads.txt files, and a validator for any file or URL."""

from __future__ import annotations

__all__ = ["adstxt_check_command", "adstxt_command", "adstxt_show_command"]

import json
import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.app import (
    DB_OPTION,
    FORMAT_TABLE,
    DefaultGroup,
    ExitCode,
    cli,
    fail,
    guarded,
    read_database,
)
from ingest.config import FetchConfig
from ingest.fetch.adstxt import fetch_adstxt
from ingest.fetch.client import build_client
from ingest.items import AdsTxt
from ingest.parse.adstxt import parse_adstxt
from ingest.render import adstxt_check_to_dict, adstxt_files_to_dict
from ingest.store import adstxt_queries
from ingest.tables import adstxt_check_table, adstxt_table

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.items import AdsTxtChange, StoredAdsTxt


@cli.group("adstxt", cls=DefaultGroup, no_args_is_help=True)
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
        files = await adstxt_queries.list_site_adstxt(session, site)
        changes = await adstxt_queries.list_adstxt_changes(session, site, when) if history else None
        return files, changes

    files, changes = read_database(database, read)
    if not files:
        fail(f"no ads.txt stored for site {site!r}", ExitCode.FAILURES)
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
        content = guarded(_fetch_for_check(target))
    else:
        try:
            content = Path(target).read_bytes()
        except OSError as exc:
            fail(f"cannot read {target}: {exc.strerror or exc}", ExitCode.USAGE)
    parsed = parse_adstxt(content, lenient=lenient)
    records, duplicates = parsed.unique_records()
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
