"""Heading levels from the outline on pages that head every section with an <h1>."""

from __future__ import annotations

from ingest.parse.html import parse_article

URL = "https://example.com/book/monitoring/"
TEXT = "Monitoring tells you when something is broken and what is about to break next. "


def _levels(body: str) -> list[tuple[int, str]]:
    page = (
        f"<html><head><title>Monitoring</title></head><body><article>{body}</article></body></html>"
    )
    return [(s.level, s.heading) for s in parse_article(page, URL).sections if s.heading]


def _section(heading: str, *inner: str, tag: str = "h1") -> str:
    return f"<section><{tag}>{heading}</{tag}><p>{TEXT}</p>{''.join(inner)}</section>"


def test_section_h1s_take_their_level_from_the_sections_around_them() -> None:
    """The book's layout: the title's h1, then an h1 per section and sections inside sections."""
    body = _section(
        "Monitoring",
        _section("Definitions"),
        _section("Why monitor?", _section("A tale of over-alerting", tag="h2")),
        _section("Conclusion"),
    )
    assert _levels(body) == [
        (2, "Definitions"),
        (2, "Why monitor?"),
        (3, "A tale of over-alerting"),
        (2, "Conclusion"),
    ]


def test_a_lower_rank_heading_inside_a_section_is_one_level_below_its_heading() -> None:
    """An h3 after a section's own h1, in the same section, is a subsection of it."""
    body = _section("Definitions", f"<h3>White-box</h3><p>{TEXT}</p>") + _section("Why monitor?")
    assert _levels(f"<h1>Monitoring</h1>{body}") == [
        (2, "Definitions"),
        (3, "White-box"),
        (2, "Why monitor?"),
    ]


def test_tags_give_the_levels_when_h1_is_not_used_for_sections() -> None:
    """One h1 besides the title is no outline: h1 stays 1 and h2/h3 keep their tags."""
    body = (
        f"<h1>Monitoring</h1><p>{TEXT}</p><section><h2>Definitions</h2><p>{TEXT}</p>"
        f"<section><h3>White-box</h3><p>{TEXT}</p></section></section>"
        f"<h1>Appendix</h1><p>{TEXT}</p>"
    )
    assert _levels(body) == [(2, "Definitions"), (3, "White-box"), (1, "Appendix")]
