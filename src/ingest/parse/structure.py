"""The content block's walk: headings open sections; paragraphs, lists and tables fill them.

Fixed choices: nested lists are flattened, so a ``<ul>`` holds its items and its sub-lists' items
in document order (an item's own text excludes its sub-list); a ``<figcaption>`` goes to its
section's captions, apart from the text (captions met before the first text go to the first
section that has some), while other content inside ``<figure>`` is kept; a data table gives
one paragraph per row, cells joined by ``" | "`` (a table holding blocks is a layout table and is
walked like a ``<div>``); ``<pre>`` is one paragraph; two ``<br>`` in a row split a paragraph,
one is a space; a paragraph or item that is only a chrome label ("Advertisement") is dropped.
The walk uses an explicit stack, so deep nesting never recurses.
"""

from __future__ import annotations

__all__ = [
    "HEADINGS",
    "LABEL_TEXTS",
    "build_sections",
    "caption_text",
    "is_label_text",
    "node_text",
]

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.items import Caption, ListBlock, Section
from ingest.parse.outline import outline_levels
from ingest.parse.text import normalize_whitespace, repeats_title, same_words
from ingest.parse.tree import HEADING_TAGS, outermost

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborNode

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        *HEADINGS,
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "figure", "footer", "header", "hgroup", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
# Inside these a table is laid out with blocks, not data: walk it like a <div>.
_LAYOUT_TABLE_CHILDREN = "p, div, h1, h2, h3, h4, h5, h6, ul, ol, table, blockquote"
# Headings at this level or above that repeat the title are the title, not a section.
_TITLE_LEVEL = 2
_MEDIA_TAGS = frozenset({"img", "picture", "video", "audio", "source", "track"})
# Left out of the text of a block: media, and captions (kept apart, see _visit).
_SKIPPED_TAGS = _MEDIA_TAGS | {"figcaption"}


# Paragraphs that are only a label for chrome around them (compared lower-cased, no punctuation).
LABEL_TEXTS = frozenset(
    {
        "ad",
        "ads",
        "advertisement",
        "advertisements",
        "advertising",
        "sponsored",
        "sponsored content",
        "sponsored post",
        "promoted",
        "promoted content",
        "paid content",
        "partner content",
        "continue reading below",
        "continue reading the main story",
        "story continues below",
        "story continues below advertisement",
        "article continues below",
        "scroll to continue with content",
        "share this",
        "share this article",
        "related",
        "related posts",
        "related articles",
    }
)

# Longer than this (punctuation and spaces included) is never one of the labels.
_MAX_LABEL_CHARS = 3 * max(map(len, LABEL_TEXTS))


def is_label_text(text: str) -> bool:
    """True when a paragraph is only a chrome label such as "Advertisement" or "Sponsored"."""
    if len(text) > _MAX_LABEL_CHARS:
        return False
    key = " ".join(re.findall(r"\w+", text.casefold()))
    return key in LABEL_TEXTS


def node_text(
    node: LexborNode, skip: frozenset[str] = frozenset(), *, skipped: frozenset[str] = _SKIPPED_TAGS
) -> str:
    """Whitespace-normalised text; block boundaries and ``<br>`` count as spaces.

    ``skipped`` tags (media and captions) and ``skip`` tags are left out.
    """
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_text_node:
            parts.append(current.text_content or "")
            continue
        tag = current.tag or ""
        if not current.is_element_node or tag in skip or tag in skipped:
            continue
        if tag in _BLOCK_TAGS or tag == "br":
            parts.append(" ")
        stack.extend(reversed(list(current.iter(include_text=True))))
    return normalize_whitespace("".join(parts))


@dataclass(slots=True)
class _SectionBuilder:
    """Collects paragraphs and lists into sections as the walk meets them."""

    title: str = ""
    description: str = ""
    sections: list[Section] = field(default_factory=list)
    heading: str = ""
    level: int = 0
    paragraphs: list[str] = field(default_factory=list)
    lists: list[ListBlock] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    inline: list[str | None] = field(default_factory=list)
    """Text met outside a block; ``None`` marks a ``<br>``."""
    levels: dict[int, int] = field(default_factory=dict)
    """Heading levels from the outline, by ``mem_id`` (:mod:`ingest.parse.outline`)."""

    def _before_text(self) -> bool:
        """True while no text has been met (the title and standfirst come before any)."""
        if (
            self.sections
            or self.paragraphs
            or self.lists
            or any(t and t.strip() for t in self.inline)
        ):
            self.title = self.description = ""
        return bool(self.title or self.description)

    def repeats_title(self, heading: str) -> bool:
        """True for a heading repeating the title before any text (later ones are sections)."""
        return self._before_text() and bool(self.title) and repeats_title(heading, self.title)

    def is_standfirst(self, heading: str) -> bool:
        """True for a heading before any text that says what the page's description says."""
        return self._before_text() and same_words(heading, self.description)

    def add_paragraph(self, text: str) -> None:
        """Keep a paragraph, unless it is a chrome label or the title set as a paragraph."""
        text = normalize_whitespace(text)
        if not text or is_label_text(text):
            return
        if not (self._before_text() and self.title and same_words(text, self.title)):
            self.paragraphs.append(text)

    def add_caption(self, text: str) -> None:
        """Keep a figure's caption here (not a chrome label, not the one just kept again)."""
        if text and not is_label_text(text) and text not in {c.text for c in self.captions[-1:]}:
            self.captions.append(Caption(text, len(self.paragraphs)))

    def flush(self) -> None:
        run: list[str] = []
        breaks = 0
        parts, self.inline = self.inline, []
        for part in [*parts, None, None]:
            if part is None:
                breaks += 1
                if breaks == 2:  # noqa: PLR2004  (two <br> in a row end a paragraph)
                    self.add_paragraph("".join(run))
                    run = []
                else:
                    run.append(" ")
                continue
            if part.strip():
                breaks = 0
            run.append(part)

    def start(self, heading: str, level: int) -> None:
        self.flush()
        if self.level or self.paragraphs or self.lists:
            section = Section(
                self.heading,
                self.level,
                tuple(self.paragraphs),
                tuple(self.lists),
                tuple(self.captions),
            )
            self.sections.append(section)
            self.captions = []
        # (captions before any text wait for the first section that has some)
        self.heading, self.level, self.paragraphs, self.lists = heading, level, [], []


def _list_block(node: LexborNode, after: int) -> ListBlock | None:
    items = [node_text(li, frozenset({"ul", "ol"})) for li in node.css("li")]
    items = [item for item in items if item and not is_label_text(item)]
    return ListBlock(node.tag == "ol", tuple(items), after) if items else None


def _table_rows(node: LexborNode) -> Iterator[str]:
    caption = node.css_first("caption")
    if caption is not None:
        yield node_text(caption)
    for row in node.css("tr"):
        cells = [node_text(cell) for cell in row.iter() if cell.tag in {"td", "th"}]
        yield " | ".join(cell for cell in cells if cell)


def _visit_list(node: LexborNode, builder: _SectionBuilder) -> bool:
    """Hand a list to ``builder``; a list whose items have headings is sections laid out."""
    if node.css_first(HEADING_TAGS) is not None:
        return True  # a grid of features, the steps of a how-to: walk it like a <div>
    builder.flush()
    _keep_captions(node, builder)
    block = _list_block(node, len(builder.paragraphs))
    if block is not None:
        builder.lists.append(block)
    return False


def caption_text(node: LexborNode) -> str:
    """The text of a caption (``<figcaption>`` or not), captions nested in it included."""
    return node_text(node, skipped=_MEDIA_TAGS)


def _keep_captions(node: LexborNode, builder: _SectionBuilder) -> None:
    """Keep the captions inside a block read as a whole (a list, a table): its text skips them.

    A caption nested in another is in the outer one's text, so only the outermost count.
    """
    for caption in outermost(node.css("figcaption")):
        builder.add_caption(caption_text(caption))


def _visit(node: LexborNode, skip_id: int | None, builder: _SectionBuilder) -> bool:
    """Hand one element to ``builder``; True when the walk should go into its children."""
    tag = node.tag or ""
    if tag == "figcaption":
        builder.add_caption(caption_text(node))
        return False
    if tag in _SKIPPED_TAGS:
        return False
    if tag == "br":
        builder.inline.append(None)
        return False
    if tag in HEADINGS:
        builder.flush()
        heading = node_text(node)
        if (
            node.mem_id != skip_id
            and heading
            and not (HEADINGS[tag] <= _TITLE_LEVEL and builder.repeats_title(heading))
            and not builder.is_standfirst(heading)
        ):
            builder.start(heading, builder.levels.get(node.mem_id, HEADINGS[tag]))
    elif tag in {"ul", "ol"}:
        return _visit_list(node, builder)
    elif tag == "table" and all(
        inner.mem_id == node.mem_id for inner in node.css(_LAYOUT_TABLE_CHILDREN)
    ):
        builder.flush()
        _keep_captions(node, builder)
        for row in _table_rows(node):
            builder.add_paragraph(row)
    elif tag == "pre":
        builder.flush()
        builder.add_paragraph(node_text(node))
    else:
        return True
    return False


def build_sections(
    root: LexborNode, title_h1: LexborNode | None, title: str = "", description: str = ""
) -> tuple[Section, ...]:
    """``root``'s blocks as sections in document order.

    ``title_h1`` opens no section, nor does an h1/h2 before any text that repeats ``title`` (or
    a piece of it, as a headline split into a kicker and a line): its text is the title's.
    A heading before any text saying what ``description`` says is the standfirst (the
    description keeps it), not a section. Headings with nothing after them to the end go
    (labels of chrome already removed). A heading's level is its tag's, or the outline's
    on a page that heads its sections with ``<h1>`` (:func:`ingest.parse.outline.outline_levels`).
    """
    skip_id = title_h1.mem_id if title_h1 is not None else None
    builder = _SectionBuilder(
        title=title, description=description, levels=outline_levels(root, title_h1)
    )
    stack: list[LexborNode | None] = list(reversed(list(root.iter(include_text=True))))
    while stack:
        node = stack.pop()
        if node is None:  # end of a block
            builder.flush()
        elif node.is_text_node:
            builder.inline.append(node.text_content or "")
        elif node.is_element_node and _visit(node, skip_id, builder):
            if (node.tag or "") in _BLOCK_TAGS:
                builder.flush()
                stack.append(None)
            stack.extend(reversed(list(node.iter(include_text=True))))
    builder.start("", 0)
    sections = builder.sections
    # A heading with nothing after it to the end labelled chrome that is gone ("Related posts");
    # its captions, if any, stay with the section before.
    while len(sections) > 1 and not (sections[-1].paragraphs or sections[-1].lists):
        gone = sections.pop()
        if gone.captions:
            last = sections[-1]
            end = len(last.paragraphs)
            moved = tuple(Caption(c.text, end) for c in gone.captions)
            sections[-1] = dataclasses.replace(last, captions=last.captions + moved)
    return tuple(sections)
