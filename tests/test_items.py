"""A section's paragraphs and lists read back in the order the page gives them."""

from __future__ import annotations

from ingest.items import ListBlock, Section

STEPS = ListBlock(ordered=True, items=("Cleanse", "Tone"), after=1)
NOTES = ListBlock(ordered=False, items=("SPF 30",), after=1)


def test_blocks_put_each_list_after_the_paragraphs_before_it() -> None:
    """Two lists after the first paragraph, then the second paragraph."""
    section = Section("Routine", 2, ("Start here:", "Then rest."), (STEPS, NOTES))
    assert list(section.blocks()) == ["Start here:", STEPS, NOTES, "Then rest."]
    assert section.text == "Start here:\nCleanse\nTone\nSPF 30\nThen rest."


def test_a_list_before_any_paragraph_comes_first() -> None:
    """``after=0``: the list opens the section."""
    first = ListBlock(ordered=False, items=("One",))
    assert list(Section("Steps", 2, ("After.",), (first,)).blocks()) == [first, "After."]


def test_places_out_of_range_or_out_of_order_are_clamped() -> None:
    """A place past the last paragraph is the end; a place before an earlier list is after it."""
    late = ListBlock(ordered=False, items=("Late",), after=9)
    early = ListBlock(ordered=False, items=("Early",), after=0)
    section = Section("", 0, ("a", "b"), (late, early))
    assert list(section.blocks()) == ["a", "b", late, early]
