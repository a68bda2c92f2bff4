"""Rendering articles as JSON-ready dicts, Markdown and text."""

from __future__ import annotations

from ingest.items import Article, Caption, ListBlock, Section
from ingest.render import article_to_dict, article_to_markdown, article_to_text

ARTICLE = Article(
    url="http://a.example/p/",
    title="Title",
    description=None,
    language="en",
    sections=(
        Section("", 0, ("Intro.",)),
        Section(
            "Steps",
            2,
            ("Do this:", "Then rest."),
            (ListBlock(ordered=True, items=("one", "two"), after=1),),
            (Caption("A cloche on a saucer. Photo: L. A.", after=1),),
        ),
        Section("Detail", 3, ("More.",)),
    ),
)


def test_dict_shape_is_exact():
    """The extract JSON shape: exactly these keys, in this order."""
    data = article_to_dict(ARTICLE)
    assert list(data) == ["url", "title", "description", "language", "sections"]
    assert data["sections"][1] == {
        "heading": "Steps",
        "level": 2,
        "paragraphs": ["Do this:", "Then rest."],
        "lists": [{"ordered": True, "items": ["one", "two"], "after": 1}],
        "captions": [{"text": "A cloche on a saucer. Photo: L. A.", "after": 1}],
    }
    assert data["sections"][0]["captions"] == []


def test_markdown():
    """Markdown: title at #, levels one deeper, ordered lists numbered, lists and captions in place.

    A caption is in italics, after a list at the same place.
    """
    assert article_to_markdown(ARTICLE) == (
        "# Title\n\nIntro.\n\n### Steps\n\nDo this:\n\n1. one\n2. two\n\n"
        "*A cloche on a saucer. Photo: L. A.*\n\nThen rest.\n\n"
        "#### Detail\n\nMore.\n"
    )


def test_text():
    """Plain text keeps the words, in order, and drops the markup and the captions."""
    assert article_to_text(ARTICLE) == (
        "Title\n\nIntro.\n\nSteps\n\nDo this:\n\none\n\ntwo\n\nThen rest.\n\nDetail\n\nMore.\n"
    )
