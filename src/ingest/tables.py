"""Draw stored data as rich tables on stdout, and run progress on stderr (only on a terminal)."""

from __future__ import annotations

__all__ = [
    "adstxt_check_table",
    "adstxt_table",
    "article_table",
    "groups_table",
    "progress_display",
]

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ingest.items import AdsTxt, AdsTxtChange, DuplicateGroup, StoredAdsTxt, StoredArticle


def _console() -> Console:
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def article_table(stored: StoredArticle) -> None:
    """An article's metadata, then one row per section."""
    console = _console()
    console.print(f"[bold]{stored.title}[/]  ({stored.site}, {stored.language or 'no language'})")
    console.print(stored.url)
    if stored.description:
        console.print(f"[italic]{stored.description}[/]")
    facts = [
        ("by", ", ".join(stored.authors)),
        ("published", stored.published or ""),
        ("modified", stored.modified or ""),
        ("site name", stored.site_name or ""),
        ("canonical", stored.canonical_url or ""),
    ]
    for label, value in facts:
        if value:
            console.print(f"{label}: {value}", markup=False, highlight=False)
    table = Table(
        "#", "level", "heading", "paragraphs", "list items", "captions", "canonical", "rule"
    )
    for position, s in enumerate(stored.sections):
        items = sum(len(block.items) for block in s.section.lists)
        table.add_row(
            str(position),
            str(s.section.level),
            ("  " * max(s.section.level - 2, 0)) + (s.section.heading or "(before first heading)"),
            str(len(s.section.paragraphs)),
            str(items),
            str(len(s.section.captions)),
            str(s.canonical_id),
            s.rule if s.rule != "new" else "",
        )
    console.print(table)


def groups_table(groups: list[DuplicateGroup]) -> None:
    """One row per occurrence, grouped by canonical section."""
    console = _console()
    if not groups:
        console.print("no duplicate sections")
        return
    table = Table(
        "canonical", "site", "heading", "url", "#", "similarity", "rule", title="Duplicate sections"
    )
    for group in groups:
        for n, o in enumerate(group.occurrences):
            first = n == 0
            table.add_row(
                (f"{group.canonical_id}" + (" (boilerplate)" if group.boilerplate else ""))
                if first
                else (group.fingerprint if n == 1 else ""),
                group.site if first else "",
                o.heading,
                o.url,
                str(o.position),
                f"{o.similarity:.2f}",
                o.rule,
                end_section=n == len(group.occurrences) - 1,
            )
    console.print(table)


def adstxt_table(
    files: Sequence[StoredAdsTxt], changes: Sequence[AdsTxtChange] | None = None
) -> None:
    """Each tracked file: its state line, then records, variables and errors; then the changes."""
    console = _console()
    for f in files:
        stale = ", STALE: " + (f.error_kind or "") if f.is_stale else ""
        checked = f"{f.checked_at:%Y-%m-%d %H:%M}" if f.checked_at else "never"
        console.print(
            f"{f.url}  {f.status} (HTTP {f.status_code}{stale}); fetched "
            f"{f.fetched_at:%Y-%m-%d %H:%M} UTC, checked {checked} UTC"
            + ("; placeholder: no seller authorised" if f.is_placeholder else "")
        )
        adstxt_check_table(f.adstxt, f.duplicates)
    if changes is not None:
        table = Table("at (UTC)", "change", "domain", "account id", "relationship", "file")
        for c in changes:
            r = c.record
            table.add_row(
                f"{c.at:%Y-%m-%d %H:%M}", c.change, r.domain, r.account_id, r.relationship, c.url
            )
        table.title = "Changes"
        console.print(table)


def adstxt_check_table(adstxt: AdsTxt, duplicates: int) -> None:
    """Records, then variables and errors with their line numbers, then the duplicate count."""
    console = _console()
    records = Table("line", "domain", "account id", "relationship", "cert id", title="Records")
    for r in adstxt.records:
        records.add_row(
            str(r.line), r.domain, r.account_id, r.relationship, r.certification_id or ""
        )
    console.print(records)
    if adstxt.variables:
        variables = Table("line", "name", "value", title="Variables")
        for v in adstxt.variables:
            variables.add_row(str(v.line), v.name, v.value)
        console.print(variables)
    if adstxt.issues:
        issues = Table("line", "reason", "text", title="Errors")
        for i in adstxt.issues:
            issues.add_row(str(i.line), i.reason, i.raw)
        console.print(issues)
    console.print(f"{len(adstxt.issues)} error(s), {duplicates} duplicate record(s)")


@contextmanager
def progress_display() -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress callback drawing a bar per site on stderr; None when stderr is no terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(site: str, done: int, total: int) -> None:
        if site not in tasks:
            tasks[site] = bars.add_task(site, total=total)
        bars.update(tasks[site], completed=done, total=total)

    with bars:
        yield update
