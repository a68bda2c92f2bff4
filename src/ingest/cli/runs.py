"""``ingest runs`` (the run log, one run in detail) and ``ingest stats`` (what each site holds)."""

from __future__ import annotations

__all__ = [
    "run_to_dict",
    "runs_command",
    "runs_list_command",
    "runs_show_command",
    "stats_command",
]

import json
from typing import TYPE_CHECKING, Any

import click

from ingest.cli.app import DB_OPTION, FORMAT_TABLE, DefaultGroup, ExitCode, cli, fail, read_database
from ingest.store import runs as store_runs

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from ingest.store.runs import FailingPage, RunInfo, SiteStats


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def run_to_dict(run: RunInfo) -> dict[str, Any]:
    """The documented JSON of ``ingest runs show``."""
    return {
        "id": run.id,
        "status": run.status,
        "started_at": _when(run.started_at),
        "finished_at": _when(run.finished_at),
        "counts": run.counts,
        "failures": run.failures,
    }


@cli.group("runs", cls=DefaultGroup, default="list", no_args_is_help=False)
def runs_command() -> None:
    """List the runs (newest first) or show one in detail.

    \b
    Examples:
      ingest runs --limit 5
      ingest runs show last --format json
    """  # noqa: D301


@runs_command.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@DB_OPTION
@FORMAT_TABLE
def runs_list_command(limit: int, database: str, fmt: str) -> None:
    """List the newest runs: id, status, start, end, pages fetched, articles, failures.

    \b
    Example:
      ingest runs list --limit 10 --format json
    """  # noqa: D301
    found = read_database(database, lambda s: store_runs.list_runs(s, limit))
    if fmt == "json":
        shown = [run_to_dict(run) | {"config_hash": run.config_hash} for run in found]
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no runs yet: ingest run --source config/sites.yaml")
        return
    click.echo(
        f"{'id':>5}  {'status':<8} {'started (UTC)':<19}  {'secs':>7} {'fetched':>7} ", nl=False
    )
    click.echo(f"{'articles':>8} {'failed':>6}")
    for run in found:
        counts = run.counts
        seconds = (
            f"{(run.finished_at - run.started_at).total_seconds():7.1f}"
            if run.finished_at
            else f"{'-':>7}"
        )
        click.echo(
            f"{run.id:>5}  {run.status:<8} {run.started_at:%Y-%m-%d %H:%M:%S}  {seconds} "
            f"{counts.get('fetched', 0):>7} {counts.get('articles', 0):>8} "
            f"{counts.get('failed', 0):>6}"
        )


@runs_command.command("show")
@click.argument("run", metavar="ID|last", default="last")
@DB_OPTION
@FORMAT_TABLE
def runs_show_command(run: str, database: str, fmt: str) -> None:
    """Show one run: status, times, every count and every failure with its kind.

    \b
    Example:
      ingest runs show last --format json
    """  # noqa: D301
    if run != "last" and not run.isdigit():
        fail(f"run must be a number or 'last', not {run!r}", ExitCode.USAGE)
    run_id = None if run == "last" else int(run)
    found = read_database(database, lambda s: store_runs.get_run(s, run_id))
    if found is None:
        fail(f"no run {run}", ExitCode.FAILURES)
    if fmt == "json":
        click.echo(json.dumps(run_to_dict(found), indent=2, ensure_ascii=False))
        return
    click.echo(f"run {found.id}: {found.status}")
    click.echo(f"started:  {_when(found.started_at)}")
    click.echo(f"finished: {_when(found.finished_at) or '-'}")
    click.echo(f"config:   {found.config_hash or '-'}")
    counts = found.counts
    kinds = counts.pop("failed_by_kind")
    for name, value in counts.items():
        click.echo(f"  {name:<18} {value}")
    for kind, value in kinds.items():
        click.echo(f"  failed {kind:<11} {value}")
    click.echo(f"failures: {len(found.failures) or 'none'}")
    for failure in found.failures:
        click.echo(
            f"  [{failure['kind']}] {failure['site']} {failure['url']}: {failure['message']}"
        )


@cli.command("stats")
@click.option(
    "--failing",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many of the pages failing the longest to list.",
)
@DB_OPTION
@FORMAT_TABLE
def stats_command(failing: int, database: str, fmt: str) -> None:
    """Per site: articles, sections, duplicate groups, failing pages, last success.

    Also lists the pages failing the longest (the oldest unbroken failure first).

    \b
    Example:
      ingest stats --format json
    """  # noqa: D301

    async def read(session: AsyncSession) -> tuple[list[SiteStats], list[FailingPage]]:
        return await store_runs.site_stats(session), await store_runs.failing_pages(
            session, failing
        )

    sites, pages = read_database(database, read)
    if fmt == "json":
        shown = {
            "sites": [
                {
                    "site": s.site,
                    "articles": s.articles,
                    "sections": s.sections,
                    "canonical_sections": s.canonical_sections,
                    "duplicate_groups": s.duplicate_groups,
                    "pages_failing": s.pages_failing,
                    "last_success": _when(s.last_success),
                }
                for s in sites
            ],
            "failing_longest": [
                {
                    "site": p.site,
                    "url": p.url,
                    "kind": p.kind,
                    "message": p.message,
                    "failing_since": _when(p.failing_since),
                    "last_tried": _when(p.last_tried),
                }
                for p in pages
            ],
        }
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{'site':<20} {'articles':>8} {'sections':>8} {'canonical':>9} {'groups':>6} "
        f"{'failing':>7}  last success (UTC)"
    )
    for s in sites:
        last = f"{s.last_success:%Y-%m-%d %H:%M:%S}" if s.last_success else "never"
        click.echo(
            f"{s.site:<20} {s.articles:>8} {s.sections:>8} {s.canonical_sections:>9} "
            f"{s.duplicate_groups:>6} {s.pages_failing:>7}  {last}"
        )
    if pages:
        click.echo("\nfailing the longest:")
        for p in pages:
            click.echo(f"  since {p.failing_since:%Y-%m-%d %H:%M} [{p.kind}] {p.site} {p.url}")
