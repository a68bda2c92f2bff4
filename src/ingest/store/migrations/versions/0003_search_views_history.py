"""Readers' schema: full-text search over sections, documented views, article history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Written by hand (autogenerate sees none of it but ``article_versions``):

* ``article_versions``: the previous versions of an article (an ORM model, so ``alembic check``
  compares it).
* ``section_search``: one row per section occurrence (``rowid``/``occurrence_id`` = the
  occurrence's id) with the article title, the occurrence heading and its canonical section's
  text, kept current by triggers on ``section_occurrences`` (insert, update, delete: the
  repository deletes and re-inserts an article's sections), ``articles`` (title) and
  ``canonical_sections`` (heading, text). On SQLite it is an FTS5 table (``unicode61``,
  diacritics folded; bm25 weights title 10, heading 4, body 1); on PostgreSQL a table with a
  generated ``tsvector`` (``simple`` configuration; weights A, B, D) under a GIN index, deleted
  with its occurrence by a cascading foreign key. Existing sections are indexed on upgrade.
* Views ``article_sections_v``, ``duplicate_groups_v``, ``current_sellers_v``, ``last_run_v``,
  documented in ``docs/schema.md``.

``section_search`` (and SQLite's FTS5 shadow tables) and the views are not in the ORM metadata;
``env.py`` keeps ``alembic check`` from reporting them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

VIEWS = ("article_sections_v", "duplicate_groups_v", "current_sellers_v", "last_run_v")

_SQLITE_SEARCH = (
    """
    CREATE VIRTUAL TABLE section_search USING fts5(
        title, heading, body, site_id UNINDEXED, article_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    "INSERT INTO section_search(section_search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')",
    """
    CREATE TRIGGER section_search_insert AFTER INSERT ON section_occurrences BEGIN
        INSERT INTO section_search(rowid, title, heading, body, site_id, article_id)
        SELECT new.id, a.title, new.heading, c.text, a.site_id, a.id
        FROM articles AS a JOIN canonical_sections AS c ON c.id = new.canonical_id
        WHERE a.id = new.article_id;
    END
    """,
    """
    CREATE TRIGGER section_search_delete AFTER DELETE ON section_occurrences BEGIN
        DELETE FROM section_search WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER section_search_update AFTER UPDATE ON section_occurrences BEGIN
        DELETE FROM section_search WHERE rowid = old.id;
        INSERT INTO section_search(rowid, title, heading, body, site_id, article_id)
        SELECT new.id, a.title, new.heading, c.text, a.site_id, a.id
        FROM articles AS a JOIN canonical_sections AS c ON c.id = new.canonical_id
        WHERE a.id = new.article_id;
    END
    """,
    """
    CREATE TRIGGER section_search_title AFTER UPDATE OF title ON articles
    WHEN new.title IS NOT old.title BEGIN
        UPDATE section_search SET title = new.title
        WHERE rowid IN (SELECT id FROM section_occurrences WHERE article_id = new.id);
    END
    """,
    """
    CREATE TRIGGER section_search_canonical AFTER UPDATE OF text ON canonical_sections
    WHEN new.text IS NOT old.text BEGIN
        UPDATE section_search SET body = new.text
        WHERE rowid IN (SELECT id FROM section_occurrences WHERE canonical_id = new.id);
    END
    """,
    """
    INSERT INTO section_search(rowid, title, heading, body, site_id, article_id)
    SELECT o.id, a.title, o.heading, c.text, a.site_id, a.id
    FROM section_occurrences AS o
    JOIN articles AS a ON a.id = o.article_id
    JOIN canonical_sections AS c ON c.id = o.canonical_id
    """,
)

_POSTGRES_SEARCH = (
    """
    CREATE TABLE section_search (
        occurrence_id integer PRIMARY KEY
            REFERENCES section_occurrences (id) ON DELETE CASCADE,
        article_id integer NOT NULL,
        site_id integer NOT NULL,
        title text NOT NULL,
        heading text NOT NULL,
        body text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A')
            || setweight(to_tsvector('simple', heading), 'B')
            || setweight(to_tsvector('simple', body), 'D')
        ) STORED
    )
    """,
    "CREATE INDEX ix_section_search_document ON section_search USING gin (document)",
    "CREATE INDEX ix_section_search_article_id ON section_search (article_id)",
    "CREATE INDEX ix_section_search_site_id ON section_search (site_id)",
    """
    CREATE FUNCTION section_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM section_search WHERE occurrence_id = OLD.id;
        END IF;
        INSERT INTO section_search (occurrence_id, article_id, site_id, title, heading, body)
        SELECT NEW.id, a.id, a.site_id, a.title, NEW.heading, c.text
        FROM articles AS a JOIN canonical_sections AS c ON c.id = NEW.canonical_id
        WHERE a.id = NEW.article_id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER section_search_index AFTER INSERT OR UPDATE ON section_occurrences
    FOR EACH ROW EXECUTE FUNCTION section_search_index()
    """,
    """
    CREATE FUNCTION section_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE section_search SET title = NEW.title WHERE article_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER section_search_title AFTER UPDATE OF title ON articles
    FOR EACH ROW WHEN (NEW.title IS DISTINCT FROM OLD.title)
    EXECUTE FUNCTION section_search_title()
    """,
    """
    CREATE FUNCTION section_search_canonical() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE section_search AS s SET body = NEW.text
        FROM section_occurrences AS o
        WHERE o.id = s.occurrence_id AND o.canonical_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER section_search_canonical AFTER UPDATE OF text ON canonical_sections
    FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text)
    EXECUTE FUNCTION section_search_canonical()
    """,
    """
    INSERT INTO section_search (occurrence_id, article_id, site_id, title, heading, body)
    SELECT o.id, a.id, a.site_id, a.title, o.heading, c.text
    FROM section_occurrences AS o
    JOIN articles AS a ON a.id = o.article_id
    JOIN canonical_sections AS c ON c.id = o.canonical_id
    """,
)

_SECTION_TEXT = {
    # The section's own text, as ``Section.text``: its blocks by position, one line each.
    "sqlite": """(
        SELECT group_concat(block.text, char(10)) FROM (
            SELECT p.position AS place, 0 AS item, p.text FROM paragraphs AS p
            WHERE p.occurrence_id = o.id
            UNION ALL
            SELECT l.position, i.position, i.text
            FROM lists AS l JOIN list_items AS i ON i.list_id = l.id
            WHERE l.occurrence_id = o.id
            ORDER BY 1, 2
        ) AS block
    )""",
    "postgresql": """(
        SELECT string_agg(block.text, E'\\n' ORDER BY block.place, block.item) FROM (
            SELECT p.position AS place, 0 AS item, p.text FROM paragraphs AS p
            WHERE p.occurrence_id = o.id
            UNION ALL
            SELECT l.position, i.position, i.text
            FROM lists AS l JOIN list_items AS i ON i.list_id = l.id
            WHERE l.occurrence_id = o.id
        ) AS block
    )""",
}


def _views(dialect: str) -> tuple[str, ...]:
    """The CREATE VIEW statements; only the section-text aggregate differs by dialect."""
    return (
        f"""
        CREATE VIEW article_sections_v AS
        SELECT s.name AS site, a.id AS article_id, a.url, a.title, a.description, a.language,
               a.updated_at, o.position, o.heading, o.level, o.canonical_id, o.rule,
               o.similarity, COALESCE({_SECTION_TEXT[dialect]}, '') AS text
        FROM articles AS a
        JOIN sites AS s ON s.id = a.site_id
        JOIN section_occurrences AS o ON o.article_id = a.id
        """,  # noqa: S608  (constant SQL of this module, no input)
        """
        CREATE VIEW duplicate_groups_v AS
        SELECT s.name AS site, c.id AS canonical_id, c.fingerprint,
               c.heading AS canonical_heading, g.size AS group_size,
               a.url, o.position, o.heading, o.similarity, o.rule
        FROM canonical_sections AS c
        JOIN sites AS s ON s.id = c.site_id
        JOIN (
            SELECT canonical_id, COUNT(*) AS size FROM section_occurrences
            GROUP BY canonical_id HAVING COUNT(*) >= 2
        ) AS g ON g.canonical_id = c.id
        JOIN section_occurrences AS o ON o.canonical_id = c.id
        JOIN articles AS a ON a.id = o.article_id
        """,
        """
        CREATE VIEW current_sellers_v AS
        SELECT s.name AS site, f.url AS file_url, r.domain, r.account_id, r.relationship,
               r.certification_id, r.extension, r.line, r.added_at
        FROM adstxt_records AS r
        JOIN adstxt_files AS f ON f.id = r.file_id
        JOIN sites AS s ON s.id = f.site_id
        WHERE r.removed_at IS NULL
        """,
        """
        CREATE VIEW last_run_v AS
        SELECT s.name AS site, r.id AS run_id, r.status, r.started_at, r.finished_at,
               COUNT(p.id) AS pages,
               SUM(CASE WHEN p.outcome = 'failed' THEN 1 ELSE 0 END) AS failed_pages
        FROM sites AS s
        JOIN (
            SELECT site_id, MAX(run_id) AS run_id FROM pages
            WHERE run_id IS NOT NULL GROUP BY site_id
        ) AS t ON t.site_id = s.id
        JOIN runs AS r ON r.id = t.run_id
        JOIN pages AS p ON p.site_id = s.id AND p.run_id = r.id
        GROUP BY s.name, r.id, r.status, r.started_at, r.finished_at
        """,
    )


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_article_versions_article_id_version")
        ),
    )
    dialect = op.get_bind().dialect.name
    search = _POSTGRES_SEARCH if dialect == "postgresql" else _SQLITE_SEARCH
    for statement in (*search, *_views(dialect)):
        op.execute(statement)


def downgrade() -> None:
    """Downgrade the schema."""
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS section_search_index ON section_occurrences")
        op.execute("DROP TRIGGER IF EXISTS section_search_title ON articles")
        op.execute("DROP TRIGGER IF EXISTS section_search_canonical ON canonical_sections")
        op.execute("DROP TABLE IF EXISTS section_search")
        for function in (
            "section_search_index",
            "section_search_title",
            "section_search_canonical",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in ("insert", "delete", "update", "title", "canonical"):
            op.execute(f"DROP TRIGGER IF EXISTS section_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS section_search")
    op.drop_table("article_versions")
