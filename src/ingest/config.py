"""Load and validate ``sites.yaml``: the only home of defaults.

Precedence, written once in :func:`load_config`: command-line flag > ``INGEST_*`` environment
variable > YAML > the defaults declared on the models below. Every problem in a file is reported
at once, each with file, line and key path::

    sites.yaml:14: sites[1].concurency: unknown key (did you mean "concurrency"?)
"""

from __future__ import annotations

__all__ = [
    "Config",
    "DedupeConfig",
    "ExtractConfig",
    "FetchConfig",
    "ParseConfig",
    "SiteConfig",
    "load_config",
]

import difflib
import ipaddress  # noqa: TC003  (pydantic resolves the annotations at runtime)
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from ingest.errors import ConfigError, ConfigProblem

DEFAULT_DATABASE = "sqlite:///ingest.db"
DEFAULT_USER_AGENT = "ingest/0.1 (+https://github.com/ingest-project/ingest)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def _css_selector(selector: str) -> str:
    """``selector`` when lexbor can parse it as CSS; a ValueError saying so otherwise."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        msg = f"not a CSS selector: {selector!r}"
        raise ValueError(msg) from None
    return selector


_Selector = Annotated[str, AfterValidator(_css_selector)]


class ExtractConfig(_Model):
    """Per-site extraction overrides, for a site the general rules get wrong (never needed)."""

    content: _Selector | None = None
    """CSS selector of the article's content root: its first match is the content (the general
    rules when nothing matches)."""
    drop: tuple[_Selector, ...] = ()
    """CSS selectors of parts to remove before extraction (every match)."""


class SiteConfig(_Model):
    """One site to ingest."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Short unique name, used in the CLI (``ingest adstxt NAME``) and the database."""
    url: str
    """The site's home page; robots.txt, sitemaps and ads.txt are found from its origin."""
    allow_private_networks: bool | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = False
    """Allow private or loopback addresses: ``true`` for any, or a list of networks."""
    concurrency: int = Field(default=2, ge=1, le=32)
    """Requests in flight to this site's host at once."""
    delay: float = Field(default=0.0, ge=0.0, le=60.0)
    """Seconds between the starts of two requests to this site's host."""
    include: tuple[str, ...] = ()
    """Only URLs whose path matches one of these globs are fetched (all when empty)."""
    exclude: tuple[str, ...] = ()
    """URLs whose path matches one of these globs are never fetched."""
    max_pages: int | None = Field(default=None, ge=1)
    """Stop after this many article URLs from discovery (all when unset)."""
    adstxt: bool = True
    """Fetch and store the site's ``/ads.txt``."""
    app_adstxt: bool = False
    """The site is an app developer's: also fetch and store its ``/app-ads.txt``."""
    extract: ExtractConfig | None = None
    """CSS selectors for the site's content root and for parts to drop (see below)."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            msg = "must be an http:// or https:// URL with a host"
            raise ValueError(msg)
        return value if parts.path else value + "/"


class FetchConfig(_Model):
    """How pages are fetched, for every site."""

    user_agent: str = DEFAULT_USER_AGENT
    """Sent with every request; says who we are and where to complain."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to establish a connection."""
    read_timeout: float = Field(default=20.0, gt=0)
    """Seconds to wait for each chunk of a response."""
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Largest body read, after decompression; larger responses fail as ``too_large``."""
    attempts: int = Field(default=3, ge=1, le=10)
    """Tries per URL on transient failures (timeouts, resets, 429, 5xx)."""
    backoff: float = Field(default=0.5, ge=0.0)
    """Base of the exponential backoff between tries, in seconds (full jitter)."""
    max_retry_after: float = Field(default=60.0, ge=0.0)
    """Longest ``Retry-After`` honoured by sleeping; a longer one defers the host until then
    (kept in the database: later runs skip it too)."""
    robots_max_age: float = Field(default=86400.0, gt=0.0, le=86400.0)
    """Seconds a robots.txt answer kept in the database is reused (RFC 9309: at most 24 h)."""
    deadline: float = Field(default=60.0, gt=0)
    """Most seconds one URL may take in all (redirects, retries, waits, a dripping body)."""
    max_delay: float = Field(default=30.0, ge=0.0)
    """Longest delay between request starts to one host (Crawl-delay and slow-down included)."""


class MergeRule(_Model):
    """An entry of ``never_merge`` / ``always_merge``: a pattern, or a pair of fingerprints."""

    heading: str | None = None
    """Regular expression searched (case-insensitively) in the section's heading."""
    text: str | None = None
    """Regular expression searched (case-insensitively) in the section's text."""
    pair: tuple[str, str] | None = None
    """Two fingerprints, as ``ingest duplicates`` prints them."""

    @model_validator(mode="after")
    def _one_kind(self) -> MergeRule:
        has_pattern = self.heading is not None or self.text is not None
        if has_pattern == (self.pair is not None):
            msg = "give a pattern (heading and/or text) or a pair, not both or neither"
            raise ValueError(msg)
        for pattern in (self.heading, self.text):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    msg = f"{pattern!r} is not a regular expression: {exc}"
                    raise ValueError(msg) from None
        return self


class DedupeConfig(_Model):
    """When two sections count as the same section, and how the index finds candidates."""

    near_threshold: float = Field(default=0.7, gt=0.0, le=1.0)
    """Word 3-shingle Jaccard at or above which two texts merge under any headings."""
    heading_threshold: float = Field(default=0.25, gt=0.0, le=1.0)
    """Content-word Jaccard at or above which two texts under the same heading merge."""
    min_words: int = Field(default=8, ge=1)
    """Sections shorter than this merge only when their heading and text are identical."""
    containment_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    """Share of the shorter text's 3-shingles found in the longer at or above which a cut or
    extended copy merges under any heading."""
    min_size_ratio: float = Field(default=0.4, gt=0.0, le=1.0)
    """The shorter text needs this share of the longer's shingle count to merge as a copy."""
    fact_agreement: float = Field(default=0.7, ge=0.0, le=1.0)
    """Share of the facts (numbers, mid-sentence names) of the text with fewer that the other must
    have for the heading and edited rules to merge: templates with different facts stay apart."""
    edited_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    """Content-word Jaccard at or above which an edited copy merges under any heading ..."""
    edited_containment: float = Field(default=0.6, gt=0.0, le=1.0)
    """... when at least this share of the shorter text's 3-shingles is in the other."""
    scope: Literal["site", "all"] = "site"
    """``site``: sections merge within a site; ``all``: across sites (syndicated copies)."""
    bands: int = Field(default=10, ge=1, le=64)
    """LSH bands of the MinHash index: more find lower similarities, at more rows per section."""
    rows: int = Field(default=1, ge=1, le=8)
    """MinHash values per band: more make a candidate rarer (and a weak pair likelier missed)."""
    generic_heading: int = Field(default=32, ge=1)
    """A heading over more canonical sections than this (``Conclusion``) is generic: the heading
    rule does not apply to it."""
    min_bands: int = Field(default=2, ge=1)
    """LSH bands a stored section must share with a new one to be compared by text (a copy
    shares most of them; two texts that merely share a frequent phrase, one)."""
    common_band: int = Field(default=64, ge=1)
    """An LSH band shared by more canonical sections than this holds a phrase common on the site,
    not a near-duplicate: it finds no candidates (copies share other bands, and exact copies
    their text's key) and is not stored for more sections."""
    boilerplate_share: float = Field(default=0.5, gt=0.0, le=1.0)
    """A section on at least this share of a site's articles is flagged as its boilerplate ..."""
    boilerplate_min_articles: int = Field(default=5, ge=2)
    """... when it is on at least this many articles."""
    never_merge: tuple[MergeRule, ...] = ()
    """Patterns or pairs that never merge by similarity (see docs/dedupe.md)."""
    always_merge: tuple[MergeRule, ...] = ()
    """Patterns or pairs that always merge into one group."""


class ParseConfig(_Model):
    """How pages are parsed: in worker processes, each page under a time limit."""

    workers: int | None = Field(default=None, ge=1, le=64)
    """Parser processes; all cores when unset."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds one page may take to parse; past it the worker is killed (``parse_timeout``)."""
    max_pages: int = Field(default=5000, ge=1)
    """Pages a worker parses before it is replaced, so memory cannot creep."""


class Config(_Model):
    """A whole ``sites.yaml``."""

    database: str = DEFAULT_DATABASE
    """SQLAlchemy URL: SQLite by default, ``postgresql+psycopg://…`` in production."""
    fetch: FetchConfig = FetchConfig()
    parse: ParseConfig = ParseConfig()
    dedupe: DedupeConfig = DedupeConfig()
    sites: tuple[SiteConfig, ...]
    """The sites to ingest."""

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        if not self.sites:
            msg = "lists no site"
            raise ValueError(msg)
        seen: set[str] = set()
        for site in self.sites:
            if site.name in seen:
                msg = f"site name {site.name!r} is used twice"
                raise ValueError(msg)
            seen.add(site.name)
        return self


def load_config(
    path: str | Path,
    *,
    database: str | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Read, validate and return the config at ``path``.

    ``database`` (a command-line flag) beats ``INGEST_DATABASE_URL``, which beats the file's
    ``database:`` key, which beats the default. Raises :class:`ConfigError` listing every problem.
    """
    file = str(path)
    env = os.environ if environ is None else environ
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(file, None, "", f"cannot read: {exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file, line, "", f"not valid YAML: {reason}")]) from exc
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, 1, "", "must be a mapping with a 'sites:' list")])
    if database is not None:
        data["database"] = database
    elif env.get("INGEST_DATABASE_URL"):
        data["database"] = env["INGEST_DATABASE_URL"]
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(file, node, error) for error in exc.errors()]
        raise ConfigError(problems) from exc


def _problem(file: str, root: yaml.Node | None, error: Any) -> ConfigProblem:  # noqa: ANN401
    loc: tuple[str | int, ...] = tuple(error["loc"])
    # pydantic adds the union member tried ("bool", "tuple[...]"); it is noise for a reader.
    loc = tuple(part for part in loc if not (isinstance(part, str) and "[" in part))
    node, found = _locate(root, loc)
    line = node.start_mark.line + 1 if node is not None else None
    path = _dotted(loc)
    if error["type"] == "extra_forbidden":
        options = _fields_at(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), options, n=1)
        hint = f' (did you mean "{guess[0]}"?)' if guess else ""
        known = f"; known keys: {', '.join(sorted(options))}" if options and not guess else ""
        return ConfigProblem(file, line, path, f"unknown key{hint}{known}")
    if error["type"] == "missing" or not found:
        return ConfigProblem(file, line, path, error["msg"].lower().removeprefix("value error, "))
    message = str(error["msg"]).removeprefix("Value error, ")
    return ConfigProblem(file, line, path, message)


def _locate(root: yaml.Node | None, loc: tuple[str | int, ...]) -> tuple[yaml.Node | None, bool]:
    """Follow ``loc`` down the composed YAML tree: the deepest node reached, and whether all was."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    # the last step points at the key's line, where a reader looks for it
                    node = key if part == loc[-1] else value
                    break
            else:
                return node, False
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node, False
    return node, True


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = (
            model.model_fields[str(part)].annotation if part in model.model_fields else None
        )
        inner = _model_in(annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:  # noqa: ANN401
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
