"""The persistent near-duplicate index of sections, boilerplate flags, dedupe settings per site.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

``section_bands`` holds the index keys of every canonical section (``ingest.dedupe.sketch``).
Sites stored before have ``sites.dedupe_settings`` NULL: their next run regroups their
sections and fills the index (``ingest dedupe --rebuild`` does it on demand).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "section_bands",
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("band", sa.BigInteger(), nullable=False),
        sa.Column("canonical_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["canonical_id"],
            ["canonical_sections.id"],
            name=op.f("fk_section_bands_canonical_id_canonical_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment", "band", "canonical_id", name=op.f("pk_section_bands")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_section_bands_canonical_id"), "section_bands", ["canonical_id"], unique=False
    )
    with op.batch_alter_table("canonical_sections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("boilerplate", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_settings", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("dedupe_settings")
    with op.batch_alter_table("canonical_sections", schema=None) as batch_op:
        batch_op.drop_column("boilerplate")
    op.drop_index(op.f("ix_section_bands_canonical_id"), table_name="section_bands")
    op.drop_table("section_bands")
