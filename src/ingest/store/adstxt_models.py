"""The ads.txt tables: files, snapshots, seller records (as intervals), variables, line issues.

Declared on :class:`ingest.store.models.Base` like the other tables; importing ``ingest.store``
registers them.
"""

from __future__ import annotations

__all__ = [
    "ADSTXT_SNAPSHOT_STATUSES",
    "ADSTXT_STATUSES",
    "AdsTxtFileRow",
    "AdsTxtIssueRow",
    "AdsTxtRecordRow",
    "AdsTxtSnapshotRow",
    "AdsTxtVariableRow",
]

from datetime import datetime  # noqa: TC003  (SQLAlchemy resolves Mapped[...] at runtime)

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ingest.store.models import Base, one_of

ADSTXT_STATUSES = ("ok", "absent", "denied", "error")
"""The values ``adstxt_files.status`` may take: what the last check of the file found."""

ADSTXT_SNAPSHOT_STATUSES = ("ok", "absent")
"""The values ``adstxt_snapshots.status`` may take: a file, or no file (404/410)."""


class AdsTxtFileRow(Base):
    """A tracked ads.txt or app-ads.txt of a site (root or subdomain); key ``(site_id, url)``.

    ``url`` is the URL asked for; the columns from ``status_code`` to ``issue_count`` describe the
    current snapshot, ``status``/``is_stale``/``error_kind``/``checked_at`` the last check.
    """

    __tablename__ = "adstxt_files"
    __table_args__ = (
        UniqueConstraint("site_id", "url"),
        CheckConstraint(one_of("status", ADSTXT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str]
    status_code: Mapped[int]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    content_hash: Mapped[str | None]
    fetched_at: Mapped[datetime]
    record_count: Mapped[int]
    variable_count: Mapped[int]
    issue_count: Mapped[int]
    final_url: Mapped[str | None]
    status: Mapped[str] = mapped_column(String(16), server_default="ok")
    is_stale: Mapped[bool] = mapped_column(server_default=false())
    error_kind: Mapped[str | None]
    checked_at: Mapped[datetime | None]
    duplicate_count: Mapped[int] = mapped_column(server_default="0")
    is_placeholder: Mapped[bool] = mapped_column(server_default=false())


class AdsTxtSnapshotRow(Base):
    """One version of a file: written once per change (new content, or the file went away)."""

    __tablename__ = "adstxt_snapshots"
    __table_args__ = (
        UniqueConstraint("file_id", "fetched_at"),
        CheckConstraint(one_of("status", ADSTXT_SNAPSHOT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("adstxt_files.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int]
    content_hash: Mapped[str | None]
    record_count: Mapped[int]
    variable_count: Mapped[int]
    issue_count: Mapped[int]
    duplicate_count: Mapped[int]
    is_placeholder: Mapped[bool]


class AdsTxtRecordRow(Base):
    """A seller entry of a file, with when it appeared and (once gone) when it disappeared.

    Current records have ``removed_at`` NULL; ``line`` is the record's line in the newest file.
    """

    __tablename__ = "adstxt_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("adstxt_files.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int]
    domain: Mapped[str]
    account_id: Mapped[str]
    relationship: Mapped[str] = mapped_column(String(16))
    certification_id: Mapped[str | None]
    extension: Mapped[str | None]
    added_at: Mapped[datetime] = mapped_column(index=True)
    removed_at: Mapped[datetime | None] = mapped_column(index=True)


class AdsTxtVariableRow(Base):
    """A ``NAME=value`` line of an ads.txt file."""

    __tablename__ = "adstxt_variables"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("adstxt_files.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int]
    name: Mapped[str]
    value: Mapped[str]


class AdsTxtIssueRow(Base):
    """A line of an ads.txt file that could not be understood, with the reason."""

    __tablename__ = "adstxt_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("adstxt_files.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int]
    raw: Mapped[str]
    reason: Mapped[str]
