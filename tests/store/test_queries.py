"""Reads of stored articles, on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

from ingest.items import Article, Section
from ingest.store import queries
from support.articles import store_deduped

DISCLOSURE = Section(
    "Affiliate disclosure",
    2,
    (
        (
            "We may earn a commission when you buy through links on this page, at no extra cost "
            "to you. Our editors choose every product on its merits alone."
        ),
    ),
)
TOPICS = ("retinol", "sunscreen", "peptides", "niacinamide", "ceramides", "exfoliation")


def _article(n: int, topic: str) -> Article:
    """An article about ``topic``: an intro, the shared disclosure, then a body of its own."""
    intro = Section("", 0, (f"Everything about {topic} in article number {n}.",))
    body = Section(
        f"How {topic} works",
        2,
        (f"{topic.capitalize()} is studied in trial {n} for skin of type {n + 1}.",),
    )
    return Article(f"https://skincare.example/{topic}/", topic, sections=(intro, DISCLOSURE, body))


async def test_show_reports_boilerplate_and_can_leave_it_out(database):
    """A section on most articles is flagged; without keep_boilerplate it goes, the rest stay."""
    articles = [_article(n, topic) for n, topic in enumerate(TOPICS)]
    await store_deduped(database, articles)
    url = articles[2].url

    async with database.session() as session:
        full = await queries.get_article(session, url)
        lean = await queries.get_article(session, url, keep_boilerplate=False)

    assert full is not None
    assert lean is not None
    assert [(s.section.heading, s.boilerplate) for s in full.sections] == [
        ("", False),
        ("Affiliate disclosure", True),
        ("How peptides works", False),
    ]
    assert lean.sections == (full.sections[0], full.sections[2])
    assert lean.title == full.title


async def test_nothing_is_boilerplate_below_the_minimum_of_articles(database):
    """Only flagged sections are left out: one shared by fewer articles than the minimum stays."""
    articles = [_article(n, topic) for n, topic in enumerate(TOPICS[:4])]
    await store_deduped(database, articles)

    async with database.session() as session:
        lean = await queries.get_article(session, articles[0].url, keep_boilerplate=False)

    assert lean is not None
    assert [s.section.heading for s in lean.sections] == [
        "",
        "Affiliate disclosure",
        "How retinol works",
    ]
