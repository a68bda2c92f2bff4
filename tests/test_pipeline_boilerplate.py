"""Leaving a stored site's boilerplate out of extracted articles, on SQLite and PostgreSQL.

The stored side goes through the run's path (``support.articles.store_deduped``): six articles
of ``glow`` close with the same disclosure, which ``flag_boilerplate`` flags.
"""

from __future__ import annotations

import dataclasses

from ingest.config import DedupeConfig
from ingest.items import Article, Section
from ingest.pipeline.boilerplate import BoilerplateFilter, site_at_host, sites_of
from ingest.store import queries
from support.articles import store_deduped

DISCLOSURE = Section(
    "Affiliate disclosure",
    2,
    (
        (
            "We may earn a commission when you buy through links on this page, at no extra cost "
            "to you. Our editors choose every product on its merits, and brands never pay to be "
            "included in our reviews or rankings."
        ),
    ),
)
REWORDED = dataclasses.replace(
    DISCLOSURE,
    paragraphs=(DISCLOSURE.paragraphs[0].replace("no extra cost", "no additional cost"),),
)
TOPICS = ("retinol", "sunscreen", "peptides", "niacinamide", "ceramides", "exfoliation")


def _body(topic: str, n: int) -> Section:
    return Section(f"How {topic} works", 2, (f"{topic} was studied in trial {n} on skin.",))


def _stored(site: str) -> list[Article]:
    return [
        Article(f"https://{site}.example/{t}/", t, sections=(_body(t, n), DISCLOSURE))
        for n, t in enumerate(TOPICS)
    ]


def _page(site: str) -> Article:
    """A page never stored: its own section, then a reworded copy of the disclosure."""
    return Article(
        f"https://{site}.example/new/", "new", sections=(_body("azelaic acid", 99), REWORDED)
    )


async def test_a_reworded_copy_of_flagged_boilerplate_is_left_out_and_nothing_written(database):
    """The page keeps its own section; its reworded disclosure matches the flagged one and goes."""
    site_id = await store_deduped(database, _stored("glow"), site="glow")
    async with database.session() as session:
        before = await queries.table_counts(session)
    leave_out = BoilerplateFilter(DedupeConfig())

    async with database.session() as session:
        lean = await leave_out.apply(session, site_id, _page("glow"))
    async with database.session() as session:
        after = await queries.table_counts(session)

    assert lean.sections == (_body("azelaic acid", 99),)
    assert dataclasses.replace(lean, sections=()) == dataclasses.replace(_page("glow"), sections=())
    assert after == before


async def test_only_the_given_sites_boilerplate_counts(database):
    """The same disclosure stays on a page compared with a site where it is not boilerplate."""
    await store_deduped(database, _stored("glow"), site="glow")
    other = await store_deduped(database, _stored("news")[:2], site="news")
    async with database.session() as session:
        lean = await BoilerplateFilter(DedupeConfig()).apply(session, other, _page("news"))
    assert lean.sections == _page("news").sections


async def test_sites_of_names_or_hosts(database):
    """A name applies to every target, else a URL's host picks the site; the rest get None."""
    glow = await store_deduped(database, _stored("glow")[:1], site="glow")
    async with database.session() as session:
        named = await sites_of(session, ["page.html", "https://x.example/"], "glow")
        unknown = await sites_of(session, ["page.html"], "nope")
        by_host = await sites_of(
            session, ["https://GLOW.example/a/", "https://x.example/", "page.html"], None
        )
    assert named == {"page.html": glow, "https://x.example/": glow}
    assert unknown == {"page.html": None}
    assert by_host == {
        "https://GLOW.example/a/": glow,
        "https://x.example/": None,
        "page.html": None,
    }


def test_site_at_host_needs_the_port_and_prefers_the_longest_path():
    """Host and port must match; of two sites on one host the deeper matching path wins."""
    sites = [(1, "root", "http://h.example/"), (2, "blog", "http://h.example/blog/")]
    assert site_at_host(sites, "http://h.example/blog/post/") == 2
    assert site_at_host(sites, "https://h.example/news/") == 1
    assert site_at_host(sites, "http://h.example:8080/blog/post/") is None
    assert site_at_host(sites, "http://other.example/blog/") is None
