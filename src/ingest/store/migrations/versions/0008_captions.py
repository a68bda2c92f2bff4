"""Figure captions and photo credits, kept apart from the text of their section occurrence.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``captions`` rows share the block ``position`` sequence of ``paragraphs`` and ``lists``, which
places each caption among its section's blocks. Articles stored before have no captions until
their page is parsed again (a changed page, or ``ingest run`` after ``ingest db upgrade`` on
pages that changed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "captions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["section_occurrences.id"],
            name=op.f("fk_captions_occurrence_id_section_occurrences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captions")),
        sa.UniqueConstraint(
            "occurrence_id", "position", name=op.f("uq_captions_occurrence_id_position")
        ),
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_table("captions")
