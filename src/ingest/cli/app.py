"""The ``ingest`` command group, its exit codes and what every command shares.

Commands live beside this module (``run``, ``extract``, ``read``, ``adstxt``) and register on
:data:`cli`. Results go to stdout, logs and progress to stderr. Exit codes (:class:`ExitCode`):
0 all good; 1 the run finished with failures (a crash also exits 1, with a traceback);
2 usage or config error, nothing fetched; 75 another run holds the lock (cron retries later).
"""

from __future__ import annotations

__all__ = [
    "DB_OPTION",
    "EXIT_CODES_HELP",
    "FORMAT_TABLE",
    "DefaultGroup",
    "ExitCode",
    "cli",
    "fail",
    "guarded",
    "main",
    "print_report",
    "read_database",
]

import asyncio
import json
import os
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ingest.config import DEFAULT_DATABASE
from ingest.errors import ConfigError, IngestError, RunLocked
from ingest.logs import configure_logging
from ingest.store.db import Database

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

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
SOURCE_OPTION = click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("config/sites.yaml"),
    show_default=True,
    help="The sites file (YAML).",
)
CONFIG_DB_OPTION = click.option(
    "--db",
    "database",
    envvar="INGEST_DATABASE_URL",
    show_envvar=True,
    default=None,
    help=f"Database URL; beats the file's 'database:' key.  [default: {DEFAULT_DATABASE}]",
)
"""``--db`` for commands that read a sites file: unset, the file's ``database:`` applies."""
FORMAT_TABLE = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for programs.",
)


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to ``default``.

    So ``ingest adstxt SITE`` means ``ingest adstxt show SITE`` while ``ingest adstxt check F``
    still reaches ``check`` (a site named ``check`` is shown with ``ingest adstxt show check``).
    Without arguments the default runs too, unless the group has ``no_args_is_help``.
    """

    def __init__(self, *args: Any, default: str = "show", **kwargs: Any) -> None:  # noqa: ANN401  (click's own signature)
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Put the default subcommand in front of arguments that do not start with one."""
        if not args:
            if not self.no_args_is_help:
                args = [self.default]
        elif args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(f"ingest: {message}", err=True)
    sys.exit(code)


def guarded(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; turn the errors a user can act on into a message and an exit code."""
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        fail(f"config error:\n{exc}", ExitCode.USAGE)
    except RunLocked as exc:
        fail(str(exc), ExitCode.LOCKED)
    except IngestError as exc:
        fail(str(exc), ExitCode.FAILURES)
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


def print_report(report: RunReport, fmt: str) -> None:
    """The run summary as text or JSON on stdout."""
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text())


def read_database(database: str, query: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``query`` on a session of ``database`` (created or migrated first)."""

    async def go() -> T:
        db = Database.from_url(database)
        try:
            await db.upgrade()
            async with db.session() as session:
                return await query(session)
        finally:
            await db.dispose()

    return guarded(go())


def main() -> None:
    """Entry point of the ``ingest`` script."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli()
