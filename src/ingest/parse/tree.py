"""Element helpers the parsers share: sizes, link density, nesting."""

from __future__ import annotations

__all__ = ["HEADING_TAGS", "elements", "is_inside", "link_density", "outermost", "text_len"]

from typing import TYPE_CHECKING

from ingest.parse.text import text_length

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

HEADING_TAGS = "h1, h2, h3, h4, h5, h6"
"""A CSS selector of every heading element."""


def text_len(node: LexborNode) -> int:
    """How many characters of text ``node`` holds (whitespace collapsed)."""
    return text_length(node.text(deep=True, separator=""))


def elements(node: LexborNode) -> list[LexborNode]:
    """The element children of ``node`` (no text or comment nodes)."""
    return [child for child in node.iter() if child.is_element_node]


def link_density(node: LexborNode) -> float:
    """Share of ``node``'s text that sits inside links (0.0 for a node without text)."""
    total = text_len(node)
    if total == 0:
        return 0.0
    linked = sum(text_len(a) for a in node.css("a"))
    return min(linked / total, 1.0)


def outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """Drop nodes nested in another node of the list."""
    ids = {node.mem_id for node in nodes}
    out = []
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in ids:
            parent = parent.parent
        if parent is None:
            out.append(node)
    return out


def is_inside(node: LexborNode, ancestor: LexborNode) -> bool:
    """Whether ``node`` is a descendant of ``ancestor``."""
    parent = node.parent
    while parent is not None and parent.mem_id != ancestor.mem_id:
        parent = parent.parent
    return parent is not None
