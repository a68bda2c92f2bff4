"""Heading levels from the outline, for pages that head every section with an ``<h1>``.

Pages built from sectioning elements often give each one an ``<h1>`` (HTML5's outline, which
browsers never implemented), so the tag no longer tells the level. When the content holds two
``<h1>`` or more besides the title's, every heading's level comes from the sectioning elements
(``section``, ``article``, ``aside``, ``nav``) around it instead: the shallowest of those
``<h1>`` are level 2 and each section deeper is one level more (at most 6); a heading that is
not the first of its section and has a lower rank than that first one is one level below it.
"""

from __future__ import annotations

__all__ = ["outline_levels"]

from typing import TYPE_CHECKING

from ingest.parse.tree import HEADING_TAGS

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_SECTIONING = frozenset({"section", "article", "aside", "nav"})
_MIN_SECTION_H1 = 2
_TOP, _DEEPEST = 2, 6


def _sectioning(node: LexborNode, root: LexborNode) -> tuple[int, LexborNode]:
    """How many sectioning elements hold ``node`` below ``root``, and the nearest (or root)."""
    depth, nearest = 0, None
    parent = node.parent
    while parent is not None and parent.mem_id != root.mem_id:
        if parent.tag in _SECTIONING:
            depth += 1
            nearest = nearest or parent
        parent = parent.parent
    return depth, nearest or root


def outline_levels(root: LexborNode, title_h1: LexborNode | None) -> dict[int, int]:
    """Each heading's level by ``mem_id`` when the page uses ``<h1>`` for sections, else ``{}``.

    ``title_h1`` (the title's own heading) is left out and counts for nothing.
    """
    skip = title_h1.mem_id if title_h1 is not None else None
    if sum(1 for h in root.css("h1") if h.mem_id != skip) < _MIN_SECTION_H1:
        return {}  # the usual page: its tags tell the levels
    headings = [h for h in root.css(HEADING_TAGS) if h.mem_id != skip]
    placed = {h.mem_id: _sectioning(h, root) for h in headings}
    base = min(placed[h.mem_id][0] for h in headings if h.tag == "h1")
    levels = {}
    for heading in headings:
        depth, section = placed[heading.mem_id]
        level = _TOP + max(0, depth - base)
        first = next((h for h in section.css(HEADING_TAGS) if h.mem_id != skip), heading)
        if first.mem_id != heading.mem_id and (heading.tag or "") > (first.tag or ""):
            level += 1  # a lower rank after the section's own heading: a subsection of it
        levels[heading.mem_id] = min(level, _DEEPEST)
    return levels
