"""New section occurrences reach the search index in one statement per write, not a trigger each.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The row trigger that copied every inserted ``section_occurrences`` row into ``section_search``
cost four times what one ``INSERT … SELECT`` over the same rows costs (SQLite's FTS5 takes a
row at a time badly). The writer now indexes the occurrences it inserts
(``ingest.store.search.index_occurrences``, called by ``ingest.store.articles``); updates and
deletes of occurrences, title and canonical text changes are still followed by triggers.
Nothing is re-indexed: the rows already in ``section_search`` stay as they are.
"""

from __future__ import annotations

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_SQLITE_INSERT_TRIGGER = """
CREATE TRIGGER section_search_insert AFTER INSERT ON section_occurrences BEGIN
    INSERT INTO section_search(rowid, title, heading, body, site_id, article_id)
    SELECT new.id, a.title, new.heading, c.text, a.site_id, a.id
    FROM articles AS a JOIN canonical_sections AS c ON c.id = new.canonical_id
    WHERE a.id = new.article_id;
END
"""


def _postgres_trigger(events: str) -> tuple[str, str]:
    return (
        "DROP TRIGGER IF EXISTS section_search_index ON section_occurrences",
        (
            f"CREATE TRIGGER section_search_index AFTER {events} ON section_occurrences "
            "FOR EACH ROW EXECUTE FUNCTION section_search_index()"
        ),
    )


def upgrade() -> None:
    """Upgrade the schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgres_trigger("UPDATE"):  # the function still handles an update
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER IF EXISTS section_search_insert")


def downgrade() -> None:
    """Downgrade the schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgres_trigger("INSERT OR UPDATE"):
            op.execute(statement)
    else:
        op.execute(_SQLITE_INSERT_TRIGGER)
