"""Every error ingest raises, as one tree.

```
IngestError
├── ConfigError          file, line, key path                               → exit 2
├── FetchError           site, url, kind (timeout, connect, http_4xx, …)
│   ├── HTTPStatusError  + status, retry_after
│   ├── ResponseTooLarge + limit
│   └── RobotsDisallowed
├── ParseError           site, url, reason, kind (parse, parse_timeout, worker_crashed, …)
├── StoreError           table, natural key
└── RunLocked            the run holding the lock (id, started at)          → exit 75
```

Errors are translated once, at the boundary that sees the foreign exception (httpx in
``ingest.fetch``, SQLAlchemy in ``ingest.store``, YAML and pydantic in ``ingest.config``), with
``raise ... from exc``. Each class builds its own message from structured fields, so the run
report can count failures by ``kind`` without parsing strings.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "FetchError",
    "HTTPStatusError",
    "IngestError",
    "ParseError",
    "ResponseTooLarge",
    "RobotsDisallowed",
    "RunLocked",
    "StoreError",
]

from dataclasses import dataclass


class IngestError(Exception):
    """Base class of every error ingest raises on purpose."""

    kind: str = "error"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: where it is and what is wrong."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class ConfigError(IngestError):
    """The config file is missing, is not YAML, or does not match the schema.

    Carries every problem found at once, each with file, line and key path.
    """

    kind = "config"

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FetchError(IngestError):
    """A URL could not be fetched; ``kind`` says why (timeout, connect, http_5xx, too_large, …)."""

    def __init__(self, url: str, kind: str, message: str, *, site: str | None = None) -> None:
        self.url = url
        self.kind = kind
        self.site = site
        self.detail = message
        super().__init__(f"{url}: {kind}: {message}")


class HTTPStatusError(FetchError):
    """The server answered with a status that is not a success (and not 304)."""

    def __init__(
        self, url: str, status: int, *, site: str | None = None, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``Retry-After`` on 429/503), when it said."""
        kind = f"http_{status // 100}xx" if status >= 500 else f"http_{status}"  # noqa: PLR2004
        super().__init__(url, kind, f"HTTP {status}", site=site)


class ResponseTooLarge(FetchError):
    """The body is larger than the configured limit; reading stopped at the limit."""

    def __init__(self, url: str, limit: int, *, site: str | None = None) -> None:
        self.limit = limit
        super().__init__(url, "too_large", f"body exceeds {limit} bytes", site=site)


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL for our user agent, so it was not fetched."""

    def __init__(self, url: str, *, site: str | None = None) -> None:
        super().__init__(url, "blocked_robots", "disallowed by robots.txt", site=site)


class ParseError(IngestError):
    """A fetched document could not be turned into an article or an ads.txt file.

    ``kind`` is ``parse`` unless said otherwise: ``parse_timeout``, ``worker_crashed``,
    ``unreadable``.
    """

    def __init__(
        self, url: str, reason: str, *, site: str | None = None, kind: str = "parse"
    ) -> None:
        self.url = url
        self.reason = reason
        self.site = site
        self.kind = kind
        super().__init__(f"{url}: cannot parse: {reason}")


class StoreError(IngestError):
    """A write or read against the database failed for one item (table and natural key)."""

    kind = "store"

    def __init__(self, table: str, key: str, message: str) -> None:
        self.table = table
        self.key = key
        super().__init__(f"{table}[{key}]: {message}")


class RunLocked(IngestError):
    """Another run holds the database's run lock; nothing was touched."""

    kind = "locked"

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"another ingest run holds the lock: {holder}")
