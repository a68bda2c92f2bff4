"""The database tables, as SQLAlchemy 2 typed declarative models.

Every table has a surrogate integer ``id`` and a natural key (a unique constraint) that the
repository upserts on, so re-runs and overlapping runs converge instead of duplicating rows.
Constraint names come from :data:`NAMING_CONVENTION`, so Alembic can alter them later. Times are
stored through :class:`UTCDateTime`: UTC in the database, aware UTC in Python, on SQLite and
PostgreSQL alike. These classes never leave ``ingest.store``; reads return ``ingest.items`` values.
The ads.txt tables are declared in :mod:`ingest.store.adstxt_models` on the same ``Base``.
"""

from __future__ import annotations

__all__ = [
    "NAMING_CONVENTION",
    "PAGE_OUTCOMES",
    "RUN_STATUSES",
    "ArticleRow",
    "ArticleVersionRow",
    "Base",
    "CanonicalSectionRow",
    "CaptionRow",
    "ListItemRow",
    "ListRow",
    "PageRow",
    "ParagraphRow",
    "RunRow",
    "SectionOccurrenceRow",
    "SiteRow",
    "UTCDateTime",
    "one_of",
    "table_of",
]

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations can find and alter constraints by name."""

RUN_STATUSES = ("running", "ok", "failed", "aborted")
"""The values ``runs.status`` may take."""

PAGE_OUTCOMES = ("stored", "not_modified", "unchanged", "not_article", "failed", "skipped")
"""The values ``pages.outcome`` may take: what the last fetch of the page led to."""


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting ``column`` to fixed literals (constants, never user input)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back as an aware UTC ``datetime``.

    Naive datetimes are refused on the way in: their meaning is ambiguous. SQLite keeps no zone,
    so the value is stored as naive UTC there and re-tagged as UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            msg = f"naive datetime {value.isoformat()} refused: pass an aware datetime"
            raise ValueError(msg)
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        del dialect
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base; its metadata is Alembic's ``target_metadata``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012  (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime(),
        str: Text(),
        float: Double(),
        dict[str, Any]: JSON(),
    }


class SiteRow(Base):
    """A configured site; natural key ``name``."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    url: Mapped[str]
    created_at: Mapped[datetime]
    dedupe_settings: Mapped[str | None]
    """The index settings the site's sections were grouped with; a change regroups them."""


class RunRow(Base):
    """One run of the pipeline: when, how it ended, and its summary counts."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(one_of("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any] | None]


class PageRow(Base):
    """The last fetch of a URL, with the validators for the next conditional request."""

    __tablename__ = "pages"
    __table_args__ = (CheckConstraint(one_of("outcome", PAGE_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(unique=True)
    status_code: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16))
    error_kind: Mapped[str | None]
    error_message: Mapped[str | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    content_hash: Mapped[str | None]
    content_type: Mapped[str | None]
    charset: Mapped[str | None] = mapped_column(String(40))
    """The encoding the body was read with (``ingest.parse.text.detect_encoding``)."""
    fetched_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)


class HostRow(Base):
    """What an origin (``scheme://host[:port]``) told us, kept across runs; key ``origin``.

    ``robots_*``: its last robots.txt answer that counts (a 2xx, kept as text, or a 4xx, which
    allows everything), reused for at most ``fetch.robots_max_age``. ``retry_not_before``: a
    ``Retry-After`` longer than ``fetch.max_retry_after`` defers the origin until then, in later
    runs too.
    """

    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(unique=True)
    robots_status: Mapped[int | None]
    robots_text: Mapped[str | None] = mapped_column(Text())
    robots_fetched_at: Mapped[datetime | None]
    retry_not_before: Mapped[datetime | None]


class ArticleRow(Base):
    """The article extracted from a page; natural key ``page_id``."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(index=True)
    title: Mapped[str]
    description: Mapped[str | None]
    language: Mapped[str | None]
    authors: Mapped[list[str] | None] = mapped_column(JSON())
    published: Mapped[str | None] = mapped_column(Text())
    """When the page says it was published (ISO 8601 as written there)."""
    modified: Mapped[str | None] = mapped_column(Text())
    canonical_url: Mapped[str | None] = mapped_column(Text())
    site_name: Mapped[str | None] = mapped_column(Text())
    updated_at: Mapped[datetime]


class ArticleVersionRow(Base):
    """A previous version of an article, kept when ``replace_article`` changes its content.

    ``version`` counts from 1 per article; ``content`` holds the sections in the JSON shape of
    ``ingest extract`` (``[{"heading", "level", "paragraphs", "lists"}]``); ``replaced_at`` is
    when this version stopped being the current one.
    """

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str]
    description: Mapped[str | None]
    language: Mapped[str | None]
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSON())
    replaced_at: Mapped[datetime]


class CanonicalSectionRow(Base):
    """The one stored copy of a repeated section; natural key ``(site_id, fingerprint)``."""

    __tablename__ = "canonical_sections"
    __table_args__ = (UniqueConstraint("site_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    fingerprint: Mapped[str] = mapped_column(String(128))
    heading: Mapped[str]
    text: Mapped[str]
    boilerplate: Mapped[bool] = mapped_column(default=False, server_default="0")
    """On most of the site's articles (a disclosure, a call to action): readers can leave it out."""


SEGMENT_BITS = 17
"""Canonical sections per segment of the band index: ``2 ** SEGMENT_BITS``."""


class SectionBandRow(Base):
    """A key of the near-duplicate index: an exact, LSH band or heading hash of a canonical section.

    The primary key leads with ``segment`` (``canonical_id >> SEGMENT_BITS``): new keys land in the
    newest segment, a small part of the index, instead of on pages all over it (random 64-bit
    keys would otherwise rewrite most of a large index on every commit). A lookup asks every
    segment: a handful per million sections.
    """

    __tablename__ = "section_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)

    segment: Mapped[int] = mapped_column(primary_key=True)
    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    canonical_id: Mapped[int] = mapped_column(
        ForeignKey("canonical_sections.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SectionOccurrenceRow(Base):
    """A section of an article, in order, pointing at its canonical section."""

    __tablename__ = "section_occurrences"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int]
    heading: Mapped[str]
    level: Mapped[int]
    canonical_id: Mapped[int] = mapped_column(ForeignKey("canonical_sections.id"), index=True)
    similarity: Mapped[float]
    rule: Mapped[str] = mapped_column(String(16))


class ParagraphRow(Base):
    """A paragraph of a section occurrence; shares the block ``position`` sequence with lists."""

    __tablename__ = "paragraphs"
    __table_args__ = (UniqueConstraint("occurrence_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("section_occurrences.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    text: Mapped[str]


class CaptionRow(Base):
    """A figure caption or photo credit of a section occurrence, kept apart from its text.

    Shares the block ``position`` sequence with paragraphs and lists, which places it.
    """

    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("occurrence_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("section_occurrences.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    text: Mapped[str]


class ListRow(Base):
    """A ``<ul>``/``<ol>`` of a section occurrence; shares the block ``position`` sequence."""

    __tablename__ = "lists"
    __table_args__ = (UniqueConstraint("occurrence_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("section_occurrences.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    ordered: Mapped[bool]


class ListItemRow(Base):
    """One item of a list, in order."""

    __tablename__ = "list_items"
    __table_args__ = (UniqueConstraint("list_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str]


def table_of(model: type[Base]) -> Table:
    """The Core table of a model: bulk inserts through it skip the ORM (10x faster on SQLite)."""
    return Base.metadata.tables[model.__tablename__]
