"""HTML page → :class:`Article`: metadata, the content block, and its sections in order.

How a page is read:

1. Decode (see :func:`ingest.parse.text.decode_document`) and parse with selectolax (Lexbor).
2. Read metadata before anything is removed: ``<title>``, meta description, Open Graph,
   JSON-LD ``headline``, ``<html lang>``.
3. Drop what never holds text (scripts, forms, embeds) and page chrome by tag, role and hidden
   markers (:mod:`ingest.parse.boilerplate`).
4. Find the content: ``[itemprop=articleBody]``, then class/id hints (``entry-content``…), then
   the largest ``<article>``, then ``<main>``, else the best text-dense block; then remove
   chrome inside it by the class/id rules.
5. Walk it in document order: each h1-h6 opens a section (the h1 that is the title does not);
   ``<p>`` and other text blocks become paragraphs; ``<ul>``/``<ol>`` become list blocks.

Fixed choices: nested lists are flattened, so a ``<ul>`` holds its items and its sub-lists' items
in document order (an item's own text excludes its sub-list); ``<figcaption>`` is dropped (it is
image credit, not body text) while other content inside ``<figure>`` is kept; a data table gives
one paragraph per row, cells joined by ``" | "`` (a table holding blocks is a layout table and is
walked like a ``<div>``); two ``<br>`` in a row split a paragraph, one is a space.
"""

from __future__ import annotations

__all__ = ["parse_article", "parse_page"]

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser

from ingest.items import Article, ListBlock, NotAnArticle, Section
from ingest.parse.boilerplate import (
    CHROME_ROLES,
    CHROME_TAGS,
    is_hidden,
    is_label_text,
    link_density,
    listing_reason,
    remove_chrome,
    remove_non_content,
)
from ingest.parse.text import (
    clean_title,
    decode_document,
    normalize_language,
    normalize_whitespace,
    titles_agree,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborNode

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        *_HEADINGS,
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "figure", "footer", "header", "hgroup", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
# Inside these a table is laid out with blocks, not data: walk it like a <div>.
_LAYOUT_TABLE_CHILDREN = "p, div, h1, h2, h3, h4, h5, h6, ul, ol, table, blockquote"
_SKIPPED_TAGS = frozenset({"figcaption", "img", "picture", "video", "audio", "source", "track"})
# Class/id hints of the element holding an article's body (matched as whole parts).
_CONTENT_HINT = re.compile(
    r"(?:^|[-_ ])(?:entry-content|post-content|article-content|article-body|articlebody|"
    r"post-body|story-body|entry-body|content-body|post-entry|post-text|article-text|"
    r"story-content|blog-post-content|markdown-body|single-content)(?:$|[-_ ])"
)
# A candidate tier is taken when its largest element holds at least this share of the text of
# the largest candidate of any tier (so a tiny `.post-content` teaser does not win).
_MIN_TIER_SHARE = 0.25
# Less body text than this (characters, so that it works for CJK too) is not an article.
_MIN_BODY_CHARS = 200


@dataclass(frozen=True, slots=True)
class _Metadata:
    title: str
    og_title: str
    headline: str
    site_names: tuple[str, ...]
    description: str | None
    language: str | None


def _meta_values(tree: LexborHTMLParser) -> dict[str, str]:
    """``name``/``property``/``http-equiv`` (lower-cased) → first non-empty ``content``."""
    values: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("http-equiv") or ""
        content = normalize_whitespace(attrs.get("content") or "")
        if key and content:
            values.setdefault(key.strip().lower(), content)
    return values


def _json_ld_headline(tree: LexborHTMLParser) -> str:
    """The first ``headline`` in the page's JSON-LD blocks, or ``""``."""
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text(deep=True))
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                headline = item.get("headline")
                if isinstance(headline, str) and headline.strip():
                    return headline
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return ""


def _read_metadata(tree: LexborHTMLParser) -> _Metadata:
    meta = _meta_values(tree)
    title_node = tree.css_first("title")
    root = tree.root
    lang = root.attributes.get("lang") if root is not None else None
    return _Metadata(
        title=title_node.text(deep=True) if title_node is not None else "",
        og_title=meta.get("og:title") or meta.get("twitter:title") or "",
        headline=_json_ld_headline(tree),
        site_names=tuple(meta[key] for key in ("og:site_name", "application-name") if key in meta),
        description=meta.get("description") or meta.get("og:description") or None,
        language=normalize_language(lang)
        or normalize_language(meta.get("og:locale"))
        or normalize_language(meta.get("content-language")),
    )


def _text(node: LexborNode, skip: frozenset[str] = frozenset()) -> str:
    """Whitespace-normalised text; block boundaries and ``<br>`` count as spaces."""
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_text_node:
            parts.append(current.text_content or "")
            continue
        tag = current.tag or ""
        if not current.is_element_node or tag in skip or tag in _SKIPPED_TAGS:
            continue
        if tag in _BLOCK_TAGS or tag == "br":
            parts.append(" ")
        stack.extend(reversed(list(current.iter(include_text=True))))
    return normalize_whitespace("".join(parts))


def _text_len(node: LexborNode) -> int:
    return len(normalize_whitespace(node.text(deep=True, separator=" ")))


def _remove_page_chrome(body: LexborNode) -> None:
    """Remove chrome that is chrome anywhere: nav/aside/footer tags, landmark roles, hidden."""
    doomed: list[LexborNode] = []
    stack = [child for child in body.iter() if child.is_element_node]
    while stack:
        node = stack.pop()
        role = (node.attributes.get("role") or "").strip().lower()
        if (node.tag or "") in CHROME_TAGS or role in CHROME_ROLES or is_hidden(node):
            doomed.append(node)
        else:
            stack.extend(child for child in node.iter() if child.is_element_node)
    for node in doomed:
        node.decompose()


def _hinted(body: LexborNode) -> list[LexborNode]:
    return [
        node
        for node in body.css("[class], [id]")
        if _CONTENT_HINT.search(
            f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
        )
    ]


def _best_by_density(body: LexborNode) -> LexborNode:
    """Readability-style scoring: paragraphs credit their parent fully, grandparent by half."""
    scores: dict[int, tuple[float, LexborNode]] = {}
    for para in body.css("p, pre, td, blockquote"):
        length = _text_len(para)
        if length < 25:  # noqa: PLR2004  (too short to say anything about its container)
            continue
        score = 1 + para.text(deep=True).count(",") + min(length / 100, 3)
        for share, node in ((1.0, para.parent), (0.5, para.parent and para.parent.parent)):
            if node is not None:
                old = scores.get(node.mem_id, (0.0, node))[0]
                scores[node.mem_id] = (old + score * share, node)
    ranked = sorted(
        scores.values(), key=lambda item: item[0] * (1 - link_density(item[1])), reverse=True
    )
    return ranked[0][1] if ranked else body


def _find_content(body: LexborNode) -> LexborNode:
    tiers = [
        body.css('[itemprop="articleBody"]'),
        _hinted(body),
        body.css("article"),
        body.css('main, [role="main"]'),
    ]
    sized = [[(_text_len(node), node) for node in tier] for tier in tiers]
    largest = max((size for tier in sized for size, _ in tier), default=0)
    for tier in sized:
        if tier:
            size, node = max(tier, key=lambda item: item[0])
            if size > 0 and size >= _MIN_TIER_SHARE * largest:
                return node
    return _best_by_density(body)


@dataclass(slots=True)
class _SectionBuilder:
    """Collects paragraphs and lists into sections as the walk meets them."""

    sections: list[Section] = field(default_factory=list)
    heading: str = ""
    level: int = 0
    paragraphs: list[str] = field(default_factory=list)
    lists: list[ListBlock] = field(default_factory=list)
    inline: list[str | None] = field(default_factory=list)
    """Text met outside a block; ``None`` marks a ``<br>``."""

    def add_paragraph(self, text: str) -> None:
        text = normalize_whitespace(text)
        if text and not is_label_text(text):
            self.paragraphs.append(text)

    def flush(self) -> None:
        run: list[str] = []
        breaks = 0
        for part in [*self.inline, None, None]:
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
        self.inline = []

    def start(self, heading: str, level: int) -> None:
        self.flush()
        if self.level or self.paragraphs or self.lists:
            self.sections.append(
                Section(self.heading, self.level, tuple(self.paragraphs), tuple(self.lists))
            )
        self.heading, self.level, self.paragraphs, self.lists = heading, level, [], []


def _list_block(node: LexborNode) -> ListBlock | None:
    items = [_text(li, frozenset({"ul", "ol"})) for li in node.css("li")]
    items = [item for item in items if item and not is_label_text(item)]
    return ListBlock(ordered=node.tag == "ol", items=tuple(items)) if items else None


def _table_rows(node: LexborNode) -> Iterator[str]:
    caption = node.css_first("caption")
    if caption is not None:
        yield _text(caption)
    for row in node.css("tr"):
        cells = [_text(cell) for cell in row.iter() if cell.tag in {"td", "th"}]
        yield " | ".join(cell for cell in cells if cell)


def _visit(node: LexborNode, skip_id: int | None, builder: _SectionBuilder) -> bool:
    """Hand one element to ``builder``; True when the walk should go into its children."""
    tag = node.tag or ""
    if tag in _SKIPPED_TAGS:
        return False
    if tag == "br":
        builder.inline.append(None)
        return False
    if tag in _HEADINGS:
        builder.flush()
        heading = _text(node)
        if node.mem_id != skip_id and heading:
            builder.start(heading, _HEADINGS[tag])
    elif tag in {"ul", "ol"}:
        builder.flush()
        block = _list_block(node)
        if block is not None:
            builder.lists.append(block)
    elif tag == "table" and all(
        inner.mem_id == node.mem_id for inner in node.css(_LAYOUT_TABLE_CHILDREN)
    ):
        builder.flush()
        for row in _table_rows(node):
            builder.add_paragraph(row)
    elif tag == "pre":
        builder.flush()
        builder.add_paragraph(_text(node))
    else:
        return True
    return False


def _walk(root: LexborNode, title_h1: LexborNode | None, builder: _SectionBuilder) -> None:
    """Feed ``root``'s blocks to ``builder`` in document order (an explicit stack, no recursion)."""
    skip_id = title_h1.mem_id if title_h1 is not None else None
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


def _pick_title(
    meta: _Metadata, body: LexborNode, content: LexborNode
) -> tuple[str, LexborNode | None]:
    """The article's title and the h1 carrying it (None when the title comes from metadata)."""
    metas = [
        clean_title(raw, meta.site_names)
        for raw in (meta.og_title, meta.headline, meta.title)
        if normalize_whitespace(raw)
    ]
    in_content = content.css("h1")
    ids = {node.mem_id for node in in_content}
    for h1 in [*in_content, *body.css("h1")]:
        text = clean_title(_text(h1), strip_suffix=False)
        if text and (h1.mem_id in ids or any(titles_agree(text, m) for m in metas)):
            return text, (h1 if h1.mem_id in ids else None)
    return (metas[0] if metas else ""), None


@dataclass(frozen=True, slots=True)
class _Extraction:
    article: Article
    listing: str | None


def _extract(content: bytes | str, url: str, charset: str | None) -> _Extraction:
    tree = LexborHTMLParser(decode_document(content, charset))
    meta = _read_metadata(tree)
    root, body = tree.root, tree.body
    if root is None or body is None:
        title = clean_title(meta.og_title or meta.headline or meta.title, meta.site_names)
        return _Extraction(Article(url, title, meta.description, meta.language), None)
    remove_non_content(root)
    _remove_page_chrome(body)
    content_root = _find_content(body)
    listing = listing_reason(body, content_root, url)
    remove_chrome(content_root)
    title, title_h1 = _pick_title(meta, body, content_root)
    builder = _SectionBuilder()
    _walk(content_root, title_h1, builder)
    article = Article(url, title, meta.description, meta.language, tuple(builder.sections))
    return _Extraction(article, listing)


def parse_article(content: bytes | str, url: str, *, charset: str | None = None) -> Article:
    """Best-effort article extraction from any page (used by ``ingest extract``).

    Never raises on arbitrary input: a page without content gives an article with no sections.
    """
    return _extract(content, url, charset).article


def parse_page(
    content: bytes | str, url: str, *, charset: str | None = None
) -> Article | NotAnArticle:
    """Like :func:`parse_article`, but returns :class:`NotAnArticle` for pages that are not one.

    Listing/index pages (many post cards or teaser headings), pages without sections and
    pages with less than 200 characters of body text are not articles.
    """
    extraction = _extract(content, url, charset)
    if extraction.listing is not None:
        return NotAnArticle(url, extraction.listing)
    article = extraction.article
    if not article.sections:
        return NotAnArticle(url, "no body text")
    chars = sum(len(f"{s.heading} {s.text}") for s in article.sections)
    if chars < _MIN_BODY_CHARS:
        return NotAnArticle(url, f"too little body text ({chars} characters)")
    return article
