"""``ingest dedupe``: regroup the stored sections after a change of the dedupe settings."""

from __future__ import annotations

__all__ = ["dedupe_command"]

import json
import os
from typing import TYPE_CHECKING

import click

from ingest.cli.app import CONFIG_DB_OPTION, SOURCE_OPTION, ExitCode, cli, fail, guarded
from ingest.config import load_config
from ingest.pipeline.regroup import RegroupSummary, regroup
from ingest.store import sections
from ingest.store.db import Database
from ingest.store.lock import run_lock
from ingest.tables import progress_display

if TYPE_CHECKING:
    from pathlib import Path


@cli.command("dedupe")
@click.option("--rebuild", is_flag=True, help="Recompute every duplicate group (required).")
@SOURCE_OPTION
@CONFIG_DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary as text or JSON.",
)
def dedupe_command(rebuild: bool, source: Path, database: str | None, fmt: str) -> None:
    """Regroup every stored section with the 'dedupe:' settings of the sites file.

    Replays the stored articles in the order they were stored through the index and the rule,
    as runs do: same data and settings, same groups. Use it after changing thresholds,
    'never_merge' / 'always_merge' or the scope. Memory stays flat (articles are read in
    batches); it runs in one transaction, so an interrupted rebuild changes nothing, and it
    holds the run lock, so it never overlaps a run. A bar on stderr (when it is a terminal)
    counts the articles replayed. A run whose index settings (bands, rows, min_words,
    generic_heading, common_band, scope) changed regroups on its own.

    \b
    Example:
      ingest dedupe --rebuild --source config/sites.yaml
      ingest dedupe --rebuild --db postgresql+psycopg://postgres@127.0.0.1/ingest --format json
    """  # noqa: D301
    if not rebuild:
        fail("say --rebuild to recompute every duplicate group", ExitCode.USAGE)

    async def go() -> RegroupSummary:
        config = load_config(source, database=database)
        db = Database.from_url(config.database)
        try:
            async with run_lock(db, holder=f"dedupe --rebuild (pid {os.getpid()})"):
                await db.upgrade()
                async with db.session() as session:
                    site_ids = await sections.all_site_ids(session)
                with progress_display() as progress:
                    return await regroup(db, config.dedupe, site_ids, progress=progress)
        finally:
            await db.dispose()

    summary = guarded(go())
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    click.echo(
        f"regrouped {summary.sections} sections of {summary.articles} articles "
        f"({summary.sites} sites) in {summary.seconds:.1f} s: {summary.merged} merged into "
        f"existing groups, {summary.removed} unused canonical sections removed, "
        f"{summary.boilerplate} flagged as boilerplate"
    )
