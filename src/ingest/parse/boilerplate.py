"""What is not article content: page chrome as named rules, and the pass that removes it.

Rules are generic (no site's selectors): tags, ARIA roles, hidden markers, what an element's
attributes say it is (share-intent links, ``rel="tag"`` lists, microdata dates and bylines),
class/id token patterns (:mod:`ingest.parse.classes`) and link-heavy blocks (short "label"
paragraphs such as "Advertisement" are dropped where paragraphs are read,
:mod:`ingest.parse.structure`). A class/id rule never removes a block holding most of the
content's text, so a content wrapper with a stray ``has-sidebar`` class survives; nor a code
block (a highlighter's classes), a formula, or a dateline its paragraph's sentence runs on
from.
"""

from __future__ import annotations

__all__ = [
    "CHROME_CLASS_RULES",
    "CHROME_ROLES",
    "CHROME_TAGS",
    "NEVER_CONTENT_RULES",
    "NON_CONTENT_TAGS",
    "chrome_reason",
    "is_never_content",
    "remove_chrome",
    "remove_non_content",
]

import re
from typing import TYPE_CHECKING

from ingest.parse.classes import (
    CHROME_CLASS_RULES,
    NEVER_CONTENT_RULES,
    class_rule,
    is_never_content,
    tokens,
)
from ingest.parse.linklists import is_card_list, is_link_heavy, is_teaser
from ingest.parse.structure import caption_text
from ingest.parse.tree import HEADING_TAGS, elements, link_density, outermost, text_len

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# Never text: scripts, styling, embedded documents, form controls and ad slots (`<ins>` is what
# AdSense and most ad servers inject), and a formula's machine-readable source (a MathML
# `<annotation>` repeats the formula as TeX; the `<math>` itself is content, read as text).
# Removed from the whole page before looking for content.
NON_CONTENT_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "canvas", "svg",
     "annotation", "annotation-xml", "form", "button", "input", "select", "textarea", "label",
     "ins", "dialog", "link", "meta"}
)  # fmt: skip

# Code blocks: their highlighter's classes say nothing about chrome.
_CODE_TAGS = frozenset({"pre", "code"})
# Looked at as a whole, never inside: a code block, a caption.
_WHOLE_TAGS = frozenset({"pre", "figcaption"})

_NON_CONTENT_SELECTOR = ", ".join(sorted(NON_CONTENT_TAGS - {"form"}))

# Page structure that is chrome wherever it appears: menus, side columns, page footers.
# (`header` is handled apart: an article's own header holds its h1.)
CHROME_TAGS = frozenset({"nav", "aside", "footer", "menu"})

# ARIA landmark roles of page chrome: menus, side columns, site footer and header, search.
CHROME_ROLES = frozenset(
    {"navigation", "complementary", "contentinfo", "banner", "search", "menu", "menubar"}
)

# Links that share the page instead of pointing somewhere: messenger schemes and the share
# endpoints of the big networks (a "Share this on WhatsApp" button is an <a>, not a <button>).
_SHARE_HREF = re.compile(
    r"\s*(?:(?:whatsapp|sms|fb-messenger|tg|viber|line):|mailto:\?|"
    r"(?:https?:)?//(?:[\w-]+\.)*(?:facebook\.com/sharer|twitter\.com/(?:intent|share)|"
    r"x\.com/intent|linkedin\.com/share|pinterest\.\w+/pin/create|reddit\.com/submit|"
    r"wa\.me/|api\.whatsapp\.com/send|t\.me/share|tumblr\.com/share|vk\.com/share))",
    re.IGNORECASE,
)
_SKIP_LINK = re.compile(r"\s*(?:skip|jump)\s+to\b", re.IGNORECASE)
# A share link with more text than this is a quote offered for sharing, not a button.
_MAX_SHARE_LABEL_CHARS = 60
# schema.org microdata naming the post's dates: the byline's timestamp, not article text.
_DATE_ITEMPROPS = frozenset({"datePublished", "dateModified", "dateCreated", "uploadDate"})

# An author-marked element longer than this is an author box, left to the class rules.
_MAX_BYLINE_CHARS = 100
# A <header> without a heading is the page's or article's masthead, unless it is prose.
_MIN_LEDE_CHARS = 100
_MAX_LEDE_LINKS = 0.3
# A date or meta phrase with this much more of its paragraph around it is part of a sentence.
_MIN_RUNNING_CHARS = 40

# Tag links holding this share of an element's text make it a tag list.
_TAG_LIST_SHARE = 0.6
_TAG_LINK = 'a[rel~="tag" i]'
# A form takes up to this many ancestors with it while they add at most this many characters.
_FORM_BOX_LEVELS = 3
_FORM_BOX_CHARS = 300
# A class/id rule spares a block holding at least this share of the content's text.
_PROTECTED_SHARE = 0.5
# Hidden, or moved far off the screen (``left:-9999px``: link spam and screen-reader text).
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:left|top|text-indent)\s*:\s*-\s*\d{4,}",
    re.IGNORECASE,
)


def is_hidden(node: LexborNode, attrs: dict[str, str | None] | None = None) -> bool:
    """True for ``hidden``, ``aria-hidden="true"``, inline ``display:none`` and off-screen."""
    attrs = node.attributes if attrs is None else attrs
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(attrs.get("style") or ""))


def _attribute_reason(node: LexborNode, tag: str, attrs: dict[str, str | None]) -> str | None:  # noqa: PLR0911  (a return per rule, in order)
    """The rule that an element's own attributes (not its class/id) mark it with, else None.

    The rules are tried in order, the first that matches names the element (called for every
    element of a page: each test runs only when the ones before it failed).
    """
    if tag == "header" and node.css_first(HEADING_TAGS) is None and not _is_lede(node):
        return "header"
    if is_hidden(node, attrs):
        return "hidden"
    href = attrs.get("href") or "" if tag == "a" else ""
    if tag == "a" and "hreflang" in attrs:
        return "language"
    # A share button, not a "click to tweet" quote wrapped in a share link.
    if href and _SHARE_HREF.match(href) is not None and text_len(node) < _MAX_SHARE_LABEL_CHARS:
        return "share"
    itemprops = (attrs.get("itemprop") or "").split()
    if not _DATE_ITEMPROPS.isdisjoint(itemprops):
        return "date"
    # "Skip to content" / "Jump to navigation": links to a landmark of the same page.
    if href.startswith("#") and _SKIP_LINK.match(node.text(deep=True)) is not None:
        return "skip-link"
    # A short element marked as the author is the byline (a long one is an author box, left
    # to the class rules).
    rels = (attrs.get("rel") or "").lower().split()
    if ("author" in itemprops or "author" in rels) and text_len(node) < _MAX_BYLINE_CHARS:
        return "author"
    return None


def chrome_reason(node: LexborNode) -> str | None:
    """The name of the tag, role or class/id rule that marks ``node`` as chrome, else None."""
    tag = node.tag or ""
    if tag in NON_CONTENT_TAGS or tag in CHROME_TAGS:
        return tag
    attrs = node.attributes
    role = (attrs.get("role") or "").strip().lower()
    if role in CHROME_ROLES:
        return f"role={role}"
    reason = _attribute_reason(node, tag, attrs)
    if reason is not None:
        return reason
    for token in tokens(attrs):
        name = class_rule(token)
        if name is None:
            continue
        # A formula is never chrome, whatever its renderer's classes say
        # (MathJax's `CtxtMenu_Attached` reads as a menu).
        if node.css_first("math") is not None:
            return None
        # Highlighters name a code block's language (Prism's `language-c`, Rouge's
        # `language-python` wrapper, prettify's `lang-js`): not a language switcher.
        if name == "language" and (tag in _CODE_TAGS or node.css_first("pre, code")):
            continue
        if name in {"meta", "date"} and _in_running_text(node):
            continue
        return name
    return None


def _is_lede(header: LexborNode) -> bool:
    """True for a ``<header>`` that is a sentence or more of prose, not a logo and links."""
    return text_len(header) >= _MIN_LEDE_CHARS and link_density(header) < _MAX_LEDE_LINKS


def _in_running_text(node: LexborNode) -> bool:
    """True for a phrase inside a paragraph's sentence (a "CAIRO —" dateline), not a byline."""
    parent = node.parent
    if parent is None or parent.tag != "p":
        return False
    return text_len(parent) > text_len(node) + _MIN_RUNNING_CHARS


def _form_box(form: LexborNode) -> LexborNode:
    """The box a form sits in, when the box holds little else.

    That is the highest of the form's three nearest ancestors whose text outside the form
    stays short ("Subscribe to our newsletter", "You have been subscribed!"), or the form
    itself when its parent has text of its own.
    """
    box, inner = form, text_len(form)
    for _ in range(_FORM_BOX_LEVELS):
        parent = box.parent
        if parent is None or (parent.tag or "") in {"body", "html"}:
            break
        if text_len(parent) - inner > _FORM_BOX_CHARS:
            break
        box = parent
    return box


def remove_non_content(root: LexborNode) -> None:
    """Remove the tags that never hold text (scripts, forms, embeds, ad slots) under ``root``.

    A form goes with the box around it when the box holds little but the form's headings,
    pitch and messages (see :func:`_form_box`).
    """
    for node in outermost(root.css(_NON_CONTENT_SELECTOR)):
        node.decompose()
    boxes = {box.mem_id: box for box in map(_form_box, root.css("form"))}
    for node in outermost(list(boxes.values())):
        node.decompose()


def _tag_lists(root: LexborNode, total: int) -> list[LexborNode]:
    """Blocks made of ``rel="tag"`` links ("Tags: a, b, c") below ``root``.

    ``rel=tag`` says a link names a tag of the current page; the element around such links is
    a tag list when the links hold most of its text (and it is not most of the content).
    """
    parents: dict[int, LexborNode] = {}
    for link in root.css(_TAG_LINK):
        parent = link.parent
        if parent is not None and parent.mem_id != root.mem_id:
            parents.setdefault(parent.mem_id, parent)
    lists = []
    for parent in outermost(list(parents.values())):
        size = text_len(parent)
        linked = sum(text_len(a) for a in parent.css(_TAG_LINK))
        if size / total < _PROTECTED_SHARE and linked >= _TAG_LIST_SHARE * size:
            lists.append(parent)
    return lists


def _removal_reason(node: LexborNode, total: int, sites: frozenset[str]) -> str | None:
    """Why ``node`` goes (or, for ``caption``, is kept apart), else None; see remove_chrome."""
    reason = chrome_reason(node)
    if reason in CHROME_TAGS or reason in NON_CONTENT_TAGS:
        return reason
    if reason is not None and text_len(node) / total < _PROTECTED_SHARE:
        return reason
    if is_link_heavy(node, sites):
        return "link-heavy"
    # A list of story cards is chrome, unless it is most of the content (a round-up).
    if is_card_list(node, sites) and text_len(node) / total < _PROTECTED_SHARE:
        return "cards"
    return "teaser" if is_teaser(node) else None


def remove_chrome(root: LexborNode, sites: frozenset[str] = frozenset()) -> list[str]:
    """Remove chrome below ``root`` (never ``root`` itself); return the rule names that fired.

    Tag, role, hidden and class/id rules apply to every element; a class/id match on a block
    holding at least half of ``root``'s text is ignored. Link-heavy blocks, tag lists
    (``rel="tag"`` links and little else) and lists of story cards (less than half the text) go
    too; ``sites``, the hosts of the page's address and
    canonical URL, tell a list of the site's own pages from a list of links out. Nothing
    inside a ``<pre>`` is looked at: a code block's classes are its highlighter's. A caption or
    credit outside ``<figcaption>`` (``wp-caption-text``, ``photo-credit``) becomes one, so the
    walk keeps it apart from the text like any other (:mod:`ingest.parse.structure`).
    """
    total = max(text_len(root), 1)
    tag_lists = _tag_lists(root, total)
    doomed: list[LexborNode] = []
    captions: list[LexborNode] = []
    fired: list[str] = []
    skip = {node.mem_id for node in tag_lists}
    stack = [child for child in elements(root) if child.mem_id not in skip]
    while stack:
        node = stack.pop()
        reason = _removal_reason(node, total, sites)
        if reason is None:
            # Inside a code block, classes are a highlighter's (Prism's `token comment`); a
            # caption is one caption, credits and all.
            if node.tag not in _WHOLE_TAGS:
                stack.extend(child for child in elements(node) if child.mem_id not in skip)
        else:
            (captions if reason == "caption" else doomed).append(node)
            fired.append(reason)
    for node in captions:
        caption = node.parser.create_node("figcaption")
        text = caption_text(node)
        if text:
            caption.insert_child(text)
        node.replace_with(caption)
    for node in [*doomed, *tag_lists]:
        node.decompose()
    return [*fired, *(["tags"] * len(tag_lists))]
