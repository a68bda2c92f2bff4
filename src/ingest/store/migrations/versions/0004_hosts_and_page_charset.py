"""Per-origin state kept across runs (robots.txt answer, Retry-After deferral); page charsets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

* ``hosts``: one row per origin: its last robots.txt answer that counts (status, text, when),
  reused for at most ``fetch.robots_max_age``, and ``retry_not_before`` when a long
  ``Retry-After`` deferred it.
* ``pages.charset``: the encoding a page's body was read with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("robots_status", sa.Integer(), nullable=True),
        sa.Column("robots_text", sa.Text(), nullable=True),
        sa.Column("robots_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retry_not_before", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
        sa.UniqueConstraint("origin", name=op.f("uq_hosts_origin")),
    )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("charset", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("charset")
    op.drop_table("hosts")
