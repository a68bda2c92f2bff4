"""Where the article is: the one element holding the page's main content.

Page-wide chrome (nav/aside/footer tags, landmark roles, hidden elements) goes first. Then
candidates come in tiers of decreasing trust: ``[itemprop=articleBody]``, class/id hints
(``entry-content``…), the largest ``<article>``, ``<main>``. A tier wins when its largest
element holds a fair share of the text of the largest candidate of any tier; a winner that is
only a text block (a ``<p>``) stands for its parent, since sites that mark every paragraph
(``p.post-text``) mean the block around them. Without a tier the text-density scorer picks
(see :func:`best_by_density`), widened to the parent of a run of like blocks (``div.step``
after ``div.step``) when its block is one of them.
"""

from __future__ import annotations

__all__ = ["best_by_density", "find_content", "remove_page_chrome"]

import functools
import re
from typing import TYPE_CHECKING

from ingest.parse.boilerplate import (
    CHROME_ROLES,
    CHROME_TAGS,
    is_hidden,
    is_never_content,
)
from ingest.parse.text import normalize_whitespace, text_length
from ingest.parse.tree import elements, link_density, outermost

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# Every element that can be page chrome: the chrome tags and whatever has a role or hiding
# attribute or style (the rules then decide), so the page is not walked node by node.
_PAGE_CHROME_SELECTOR = ", ".join(
    [
        *sorted(CHROME_TAGS),
        "[role]",
        "[hidden]",
        "[aria-hidden]",
        '[style*="none" i]',
        '[style*="hidden" i]',
        '[style*=":-" i]',
        '[style*=": -" i]',
    ]
)
# Class/id hints of the element holding an article's body (matched as whole parts).
_CONTENT_HINT = re.compile(
    r"(?:^|[-_ ])(?:entry-content|post-content|article-content|article-body|articlebody|"
    r"post-body|story-body|entry-body|content-body|post-entry|post-text|article-text|"
    r"story-content|blog-post-content|markdown-body|single-content)(?:$|[-_ ])"
)
# A candidate tier is taken when its largest element holds at least this share of the text of
# the largest candidate of any tier (so a tiny `.post-content` teaser does not win).
_MIN_TIER_SHARE = 0.25
# Elements that are a text block, not a container: a hint on one means its parent.
_TEXT_BLOCKS = frozenset({"p", "span", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6"})
# Units of the density scorer: blocks whose whole text counts, and containers whose own
# text (text nodes and inline children, as in a <div> of text and <br>) counts.
_UNIT_BLOCKS = frozenset({"p", "pre", "blockquote"})
_UNIT_CONTAINERS = frozenset({"div", "section", "article", "td", "main", "font", "center"})
_INLINE = frozenset(
    {"a", "b", "i", "em", "strong", "span", "small", "sup", "sub", "u", "mark", "abbr", "cite",
     "code", "q", "s", "time", "br", "font", "bdi", "bdo", "kbd", "var", "wbr", "del", "ins"}
)  # fmt: skip
# A unit shorter than this (characters) says nothing about its container.
_MIN_UNIT_CHARS = 25
# How far above the densest block a run of like blocks is looked for, how many like siblings
# make a run, and how link-heavy a like sibling may be.
_WIDEN_LEVELS = 3
_MIN_LIKE_BLOCKS = 2
_MAX_LIKE_LINK_DENSITY = 0.3
# Commas in Latin, CJK full-width and Japanese ideographic forms.
_COMMAS = (",", "\uff0c", "\u3001")


def _text_len(node: LexborNode) -> int:
    return text_length(node.text(deep=True, separator=" "))


def _is_page_chrome(node: LexborNode) -> bool:
    role = (node.attributes.get("role") or "").strip().lower()
    return (node.tag or "") in CHROME_TAGS or role in CHROME_ROLES or is_hidden(node)


def remove_page_chrome(body: LexborNode) -> None:
    """Remove chrome that is chrome anywhere: nav/aside/footer tags, landmark roles, hidden."""
    candidates = [node for node in body.css(_PAGE_CHROME_SELECTOR) if _is_page_chrome(node)]
    for node in outermost(candidates):
        node.decompose()


def _is_hint(value: str) -> bool:
    """True when a class or id value names an article body."""
    return _CONTENT_HINT.search(value.lower()) is not None


# Class values repeat across elements and pages (ids rarely do: they are not remembered).
_is_class_hint = functools.lru_cache(maxsize=4096)(_is_hint)


# Every hint holds one of these words: lexbor picks the elements worth testing with the pattern.
_HINT_WORDS = ("content", "body", "entry", "text")
_MAY_BE_HINTED = ", ".join(
    f'[{attribute}*="{word}" i]' for attribute in ("class", "id") for word in _HINT_WORDS
)


def _hinted(body: LexborNode) -> list[LexborNode]:
    """Elements whose class or id names an article body, in document order."""
    hinted: list[LexborNode] = []
    last = None
    for node in body.css(_MAY_BE_HINTED):
        if node.mem_id == last:
            continue  # lexbor gives an element once per selector of the list it matches
        last = node.mem_id
        attrs = node.attributes
        if _is_class_hint(attrs.get("class") or "") or _is_hint(attrs.get("id") or ""):
            hinted.append(node)
    return hinted


def _own_text(node: LexborNode) -> str:
    """Text of ``node``'s text children and inline children (not its block children)."""
    parts = []
    for child in node.iter(include_text=True):
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif (child.tag or "") in _INLINE:
            parts.append(child.text(deep=True))
    return normalize_whitespace(" ".join(parts))


def _units(body: LexborNode) -> list[tuple[LexborNode, str]]:
    """Text units below ``body`` outside never-content blocks (comments, related, share…)."""
    units: list[tuple[LexborNode, str]] = []
    stack = elements(body)
    while stack:
        node = stack.pop()
        tag = node.tag or ""
        if is_never_content(node):
            continue
        if tag in _UNIT_BLOCKS:
            units.append((node, node.text(deep=True)))
            continue
        if tag in _UNIT_CONTAINERS and (own := _own_text(node)):
            units.append((node, own))
        stack.extend(elements(node))
    return units


def best_by_density(body: LexborNode) -> LexborNode:
    """Readability-style scoring of containers by the text units in them.

    A unit (a paragraph, or a container's own text of at least 25 characters) scores
    1 + its commas + its length/100 (at most 3) and credits its holder fully (a paragraph's
    parent, or the container itself) and the holder's parent by half; a container's score is
    then scaled by its share of text outside links. Units inside comment threads, related-post
    lists, share bars and the like (the boilerplate's never-content rules) credit nobody.
    """
    scores: dict[int, tuple[float, LexborNode]] = {}
    for unit, raw in _units(body):
        length = text_length(raw)
        if length < _MIN_UNIT_CHARS:
            continue
        score = 1 + sum(map(raw.count, _COMMAS)) + min(length / 100, 3)
        holder = unit.parent if (unit.tag or "") in _UNIT_BLOCKS else unit
        for share, node in ((1.0, holder), (0.5, holder and holder.parent)):
            if node is not None:
                old = scores.get(node.mem_id, (0.0, node))[0]
                scores[node.mem_id] = (old + score * share, node)
    final = {key: score * (1 - link_density(node)) for key, (score, node) in scores.items()}
    if not final:
        return body
    best_id = max(final, key=lambda key: final[key])
    return scores[best_id][1]


def _in_never_content(node: LexborNode, seen: dict[int, bool]) -> bool:
    """True when ``node`` or an ancestor is a never-content block (``seen`` remembers them)."""
    path: list[int] = []
    current: LexborNode | None = node
    found = False
    while current is not None and current.is_element_node:
        known = seen.get(current.mem_id)
        if known is not None:
            found = known
            break
        path.append(current.mem_id)
        if is_never_content(current):
            found = True
            break
        current = current.parent
    for mem_id in path:
        seen[mem_id] = found
    return found


def find_content(body: LexborNode) -> LexborNode:
    """The element holding the article: the first convincing tier, else the densest block.

    Candidates inside a comment thread or another never-content block are not candidates
    (a comment is an ``<article>`` with a ``post-text`` body in many themes).
    """
    seen: dict[int, bool] = {}
    tiers = [
        [node for node in tier if not _in_never_content(node, seen)]
        for tier in (
            body.css('[itemprop="articleBody"]'),
            _hinted(body),
            body.css("article"),
            body.css('main, [role="main"]'),
        )
    ]
    # A tier's largest element is one not nested in another of the tier (an ancestor holds its
    # descendants' text; on a tie the ancestor comes first, as in document order).
    sized = [[(_text_len(node), node) for node in outermost(tier)] for tier in tiers]
    largest = max((size for tier in sized for size, _ in tier), default=0)
    for tier in sized:
        if tier:
            size, node = max(tier, key=lambda item: item[0])
            if size > 0 and size >= _MIN_TIER_SHARE * largest:
                while (node.tag or "") in _TEXT_BLOCKS and node.parent is not None:
                    node = node.parent
                return node
    return _widen_to_repeated_blocks(best_by_density(body))


def _signature(node: LexborNode) -> tuple[str, str]:
    return node.tag or "", " ".join(sorted((node.attributes.get("class") or "").split()))


def _widen_to_repeated_blocks(best: LexborNode) -> LexborNode:
    """The parent of ``best``'s block when the block is one of a run of like blocks of text.

    Pages built of repeated step or section blocks (``div.step`` after ``div.step``) put each
    paragraph in its own block, so the densest block is one step: when ``best`` or one of its
    nearest ancestors has at least two siblings of the same tag and class holding text, with
    few links, the article is their common parent.
    """
    node = best
    for _ in range(_WIDEN_LEVELS):
        parent = node.parent
        if parent is None or not parent.is_element_node or (parent.tag or "") == "body":
            break
        signature = _signature(node)
        if signature[1]:
            like = [
                sibling
                for sibling in elements(parent)
                if sibling.mem_id != node.mem_id
                and _signature(sibling) == signature
                and not is_never_content(sibling)
                and _text_len(sibling) >= _MIN_UNIT_CHARS
                and link_density(sibling) < _MAX_LIKE_LINK_DENSITY
            ]
            if len(like) >= _MIN_LIKE_BLOCKS:
                return parent
        node = parent
    return best
