"""Article metadata: authors, published and modified dates, canonical URL, site name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Columns on ``articles``, all nullable: rows stored before keep NULL until their page changes.
Dates are text, ISO 8601 as the page wrote them (with or without a time or zone).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = ("authors", "published", "modified", "canonical_url", "site_name")


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authors", sa.JSON(), nullable=True))
        for name in _COLUMNS[1:]:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
