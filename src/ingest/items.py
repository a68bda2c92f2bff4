"""Values that cross stage boundaries: frozen, slotted, comparable with ``==``.

Fetch produces :class:`FetchResult`; parse turns bytes into :class:`Article` (or
:class:`NotAnArticle`) and :class:`AdsTxt`; dedupe assigns each :class:`Section` a
:class:`SectionMatch` naming its :class:`CanonicalSection`; store reads back
:class:`StoredArticle` and :class:`DuplicateGroup`. ORM objects never leave ``ingest.store``.
"""

from __future__ import annotations

__all__ = [
    "AdsTxt",
    "AdsTxtChange",
    "AdsTxtIssue",
    "AdsTxtRecord",
    "AdsTxtVariable",
    "Article",
    "CanonicalSection",
    "Caption",
    "DuplicateGroup",
    "DuplicateOccurrence",
    "FetchResult",
    "ListBlock",
    "NotAnArticle",
    "RobotsAnswer",
    "SearchHit",
    "Section",
    "SectionMatch",
    "StoredAdsTxt",
    "StoredArticle",
    "StoredSection",
]

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003  (dataclass fields are resolved at runtime by tools)
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP fetch that produced an answer worth keeping (2xx body or 304 Not Modified)."""

    url: str
    """The URL asked for."""
    final_url: str
    """The URL after redirects."""
    status: int
    content: bytes
    """The decoded body (empty for 304)."""
    content_type: str
    """The media type without parameters, lower-cased (``text/html``)."""
    charset: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime

    @property
    def is_not_modified(self) -> bool:
        """True when the server answered 304 to our conditional request."""
        return self.status == 304  # noqa: PLR2004


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A ``<ul>`` or ``<ol>`` in an article: its items in order.

    ``after`` places it among its section's paragraphs: how many of them come before it.
    """

    ordered: bool
    items: tuple[str, ...]
    after: int = 0


@dataclass(frozen=True, slots=True)
class Caption:
    """A figure's caption or photo credit, kept apart from its section's text.

    ``after`` places it among its section's paragraphs, as a list's ``after`` does (a caption
    and a list at the same place: the list comes first).
    """

    text: str
    after: int = 0


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and what follows it up to the next heading.

    ``level`` is 1-6 from the heading tag (or the outline); level 0 with an empty heading holds
    the text before the first heading. ``captions`` are the section's figure captions and photo
    credits in order, kept apart from its text: they are not part of :attr:`text` (what dedupe
    compares and search indexes) but :meth:`blocks` can place them.
    """

    heading: str
    level: int
    paragraphs: tuple[str, ...] = ()
    lists: tuple[ListBlock, ...] = ()
    captions: tuple[Caption, ...] = ()

    def blocks(self) -> Iterator[str | ListBlock]:
        """The paragraphs (``str``) and lists in the order the page gives them."""
        done = 0
        for block in self.lists:
            cut = min(max(block.after, done), len(self.paragraphs))
            yield from self.paragraphs[done:cut]
            done = cut
            yield block
        yield from self.paragraphs[done:]

    def blocks_and_captions(self) -> Iterator[str | ListBlock | Caption]:
        """:meth:`blocks` with each caption in its place."""
        captions = list(self.captions)
        seen = 0  # paragraphs so far
        for block in self.blocks():
            if isinstance(block, str):
                while captions and captions[0].after <= seen:
                    yield captions.pop(0)
                seen += 1
            yield block
        yield from captions

    def lines(self) -> Iterator[str]:
        """Each paragraph and each list item, in order."""
        for block in self.blocks():
            if isinstance(block, str):
                yield block
            else:
                yield from block.items

    @property
    def text(self) -> str:
        """The section's body as one string: paragraphs and list items in order, one per line."""
        if not self.lists:
            return "\n".join(self.paragraphs)
        return "\n".join(self.lines())


@dataclass(frozen=True, slots=True)
class Article:
    """The content of one article page, without page chrome."""

    url: str
    title: str
    description: str | None = None
    language: str | None = None
    sections: tuple[Section, ...] = ()
    authors: tuple[str, ...] = ()
    published: str | None = None
    """When the page says it was published, ISO 8601 as written there."""
    modified: str | None = None
    """When the page says it was last changed, ISO 8601 as written there."""
    canonical_url: str | None = None
    site_name: str | None = None


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """An origin's robots.txt answer worth keeping across runs (RFC 9309 §2.4: at most 24 h)."""

    status: int
    """The HTTP status: 2xx (``text`` holds the rules) or 4xx (everything allowed)."""
    text: str | None
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class NotAnArticle:
    """A page that parsed but is not an article (a listing, an index, an empty page)."""

    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdsTxtRecord:
    """A data record of an ads.txt file (IAB ads.txt 1.1, section 3.2)."""

    line: int
    domain: str
    """The advertising system's domain, lower-cased."""
    account_id: str
    relationship: str
    """``DIRECT`` or ``RESELLER``, upper-cased."""
    certification_id: str | None = None
    extension: str | None = None
    """Anything after ``;`` on the line, kept verbatim."""

    @property
    def key(self) -> tuple[str, str, str, str | None, str | None]:
        """What makes two records the same seller entry: every field but the line number."""
        return (
            self.domain,
            self.account_id,
            self.relationship,
            self.certification_id,
            self.extension,
        )


@dataclass(frozen=True, slots=True)
class AdsTxtVariable:
    """A ``NAME=value`` line; the name is upper-cased."""

    line: int
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class AdsTxtIssue:
    """A line that is neither a comment, a record nor a variable, kept with why."""

    line: int
    raw: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdsTxt:
    """A parsed ads.txt file: every non-comment line is in exactly one of the three tuples."""

    records: tuple[AdsTxtRecord, ...] = ()
    variables: tuple[AdsTxtVariable, ...] = ()
    issues: tuple[AdsTxtIssue, ...] = ()

    def unique_records(self) -> tuple[tuple[AdsTxtRecord, ...], int]:
        """The records without repeats (first occurrence kept) and how many repeats were dropped."""
        first: dict[tuple[str, str, str, str | None, str | None], AdsTxtRecord] = {}
        for record in self.records:
            first.setdefault(record.key, record)
        return tuple(first.values()), len(self.records) - len(first)


@dataclass(frozen=True, slots=True)
class StoredAdsTxt:
    """A tracked ads.txt / app-ads.txt file as read back: its current lines and its last check.

    ``status`` is ``ok``, ``absent`` (404/410), ``denied`` (401/403) or ``error``; ``is_stale``
    means the last check failed and ``adstxt`` is the last good copy.
    """

    url: str
    final_url: str | None
    status: str
    status_code: int
    is_stale: bool
    error_kind: str | None
    fetched_at: datetime
    """When the current snapshot was fetched."""
    checked_at: datetime | None
    """When the file was last checked (fetched, 304, or failed)."""
    duplicates: int
    is_placeholder: bool
    adstxt: AdsTxt


@dataclass(frozen=True, slots=True)
class AdsTxtChange:
    """A seller entry that appeared (``added``) or disappeared (``removed``) at ``at``."""

    url: str
    change: str
    at: datetime
    record: AdsTxtRecord


@dataclass(frozen=True, slots=True)
class CanonicalSection:
    """The one stored copy a group of repeated sections points to.

    ``fingerprint`` is its natural key within a site (a hash of the normalised heading and
    text of the occurrence that founded the group), so re-runs and overlapping runs converge.
    """

    fingerprint: str
    heading: str
    text: str
    id: int | None = None
    """The stored row's id; ``None`` until the section is stored."""


@dataclass(frozen=True, slots=True)
class SectionMatch:
    """Why a section points at its canonical section.

    ``rule`` is ``new`` (it founded the group), ``exact`` (same normalised text), ``near`` (near-
    identical text under any heading), ``contained`` (a cut or extended copy), ``edited`` (the
    same text edited word by word), ``heading`` (same heading and overlapping text) or
    ``always`` (an ``always_merge`` entry of config).
    """

    canonical: CanonicalSection
    similarity: float
    rule: str


@dataclass(frozen=True, slots=True)
class StoredSection:
    """A section as read back from the database, with the id of its canonical section."""

    section: Section
    canonical_id: int
    similarity: float
    rule: str
    boilerplate: bool = False
    """Its canonical section is flagged as the site's boilerplate (on most of its articles)."""


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as read back from the database."""

    site: str
    url: str
    title: str
    description: str | None
    language: str | None
    sections: tuple[StoredSection, ...]
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicateOccurrence:
    """One place a canonical section occurs: article URL and section position."""

    url: str
    position: int
    heading: str
    similarity: float
    rule: str = "new"
    """The dedupe rule that placed the section in its group (see :class:`SectionMatch`)."""


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """A canonical section that more than one section points to."""

    canonical_id: int
    site: str
    heading: str
    occurrences: tuple[DuplicateOccurrence, ...]
    fingerprint: str = ""
    """Stable across regroups: what ``never_merge`` / ``always_merge`` pairs name."""
    boilerplate: bool = False
    """On most of the site's articles (``dedupe.boilerplate_share``)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A section matching a full-text search, best first.

    ``snippet`` is the matching text with the matched words in ``[`` ``]``; ``rank`` is higher
    for better matches and comparable only within one search (bm25 on SQLite, ``ts_rank`` on
    PostgreSQL).
    """

    site: str
    url: str
    title: str
    heading: str
    position: int
    snippet: str
    rank: float
