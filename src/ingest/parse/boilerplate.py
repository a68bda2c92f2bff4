"""What is not article content: page chrome as named rules, and the pass that removes it.

Rules are generic (no site's selectors): tags, ARIA roles, hidden markers, what an element's
attributes say it is (share-intent links, ``rel="tag"`` lists, microdata dates and bylines),
class/id token patterns and link-heavy blocks (short "label" paragraphs such as
"Advertisement" are dropped where paragraphs are read, :mod:`ingest.parse.structure`).
Class and id values are split into tokens (whitespace), tokens into parts (``-``, ``_`` and
camelCase), and a pattern matches whole parts only, so ``ad`` catches ``ad-slot`` and
``post-ad`` but never ``read``, ``head`` or ``shadow``. A class/id rule never removes a block
holding most of the content's text, so a content wrapper with a stray ``has-sidebar`` class
survives.
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

import functools
import re
from typing import TYPE_CHECKING

from ingest.parse.linklists import is_card_list, is_link_heavy, is_teaser
from ingest.parse.tree import HEADING_TAGS, elements, outermost, text_len

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

_NON_CONTENT_SELECTOR = ", ".join(sorted(NON_CONTENT_TAGS - {"form"}))

# Page structure that is chrome wherever it appears: menus, side columns, page footers.
# (`header` is handled apart: an article's own header holds its h1.)
CHROME_TAGS = frozenset({"nav", "aside", "footer", "menu"})

# ARIA landmark roles of page chrome: menus, side columns, site footer and header, search.
CHROME_ROLES = frozenset(
    {"navigation", "complementary", "contentinfo", "banner", "search", "menu", "menubar"}
)

# One word of a class or id, as a whole part (between - / _ / camelCase boundaries).
_PART_START = r"(?:^|[-_])"
_PART_END = r"(?:$|[-_])"


def _parts(*words: str) -> re.Pattern[str]:
    return re.compile(_PART_START + "(?:" + "|".join(words) + ")" + _PART_END)


CHROME_CLASS_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Ad slots and sponsored blocks: ad-slot, post-ad, ads, advert, advertisement, adsbygoogle.
    ("ad", _parts(r"ads?", r"advert\w*", r"adsense", r"adsbygoogle", r"ad(?:slot|unit|box)s?")),
    ("sponsor", _parts(r"sponsor\w*", r"promoted", r"partner(?:s|ship)?")),
    # Promotions and calls to action inside articles ("Get certified!" boxes, banners).
    (
        "promo",
        _parts(
            r"promo\w*",
            r"cta",
            r"banners?",
            r"callout-cta",
            r"upsell",
            r"free-trial",
            r"get-started",
        ),
    ),
    # Share buttons and social links (Jetpack's sharedaddy, addtoany, sharethis).
    ("share", _parts(r"share\w*", r"sharing", r"social\w*", r"addtoany", r"a2a")),
    # "Related posts" / "You may also like" blocks (jp-relatedposts, yarpp).
    ("related", _parts(r"related\w*", r"yarpp\w*", r"more-stories", r"recommend\w*")),
    # Comment threads and reply forms; `comments-count` in a byline goes with the meta rule.
    # Whole tokens, so `comments-count` or `comments-link` in a byline does not match here.
    (
        "comment",
        re.compile(
            r"^(?:\w+[-_])?(?:comments?|comment-?list|comments?-(?:area|section|wrap\w*)"
            r"|comment-respond|respond|disqus\w*)$"
        ),
    ),
    # Newsletter and subscription boxes, opt-in forms.
    ("newsletter", _parts(r"newsletter\w*", r"subscribe\w*", r"subscription", r"signup", r"optin")),
    ("newsletter", _parts(r"mc4wp\w*", r"mailchimp\w*")),
    # Widgets and side columns.
    ("sidebar", _parts(r"widgets?", r"widget-area", r"sidebar\w*")),
    ("breadcrumb", _parts(r"breadcrumbs?\w*", r"crumbs?")),
    # Language switchers: WPML, Polylang, TranslatePress ("en_USEnglish").
    ("language", _parts(r"lang", r"langs", r"language\w*", r"wpml\w*", r"polylang", r"pll")),
    ("language", _parts(r"trp", r"gtranslate", r"locale-switch\w*")),
    ("cookie", _parts(r"cookies?\w*", r"consent\w*", r"gdpr")),
    # The author box under an article.
    ("author", _parts(r"author-?(?:box|bio|info|card|profile|details)", r"about-author", r"bio")),
    # Post meta: byline, date, reading time, comment counts.
    ("meta", _parts(r"meta", r"postmeta", r"byline", r"posted-on", r"dateline")),
    # Tag and category link lists (whole tokens: WordPress puts `tag-x` on the article itself).
    ("tags", re.compile(r"^(?:\w+[-_])?(?:tags|tag-?links|tags-links|cat-links|categories)$")),
    ("tags", re.compile(r"^tag-?cloud$")),
    ("pagination", _parts(r"pagination", r"pager", r"page-numbers", r"paging", r"nav-links")),
    ("navigation", _parts(r"nav", r"navbar", r"navigation", r"menu\w*", r"post-navigation")),
    # Text for screen readers only ("Skip to content", "Opens in a new window").
    ("hidden", re.compile(r"^(?:hidden|sr-only|screen-reader-text|visually-hidden)$")),
    # Print-only blocks (a printed page's header repeats the URL).
    ("print", _parts(r"print\w*", r"print-only", r"no-print")),
    # Captions and credits outside <figcaption>: dropped like <figcaption>, for consistency.
    ("caption", _parts(r"\w*captions?", r"caption-\w+", r"credits?", r"photo-?credit\w*")),
    # Datelines and timestamps ("Updated 5:27 am CST").
    (
        "date",
        _parts(r"dates?", r"dateline", r"timestamps?", r"pub-?date", r"published", r"updated"),
    ),
)

# How many class/id tokens' verdicts are remembered (a page has a few hundred distinct ones).
_TOKEN_CACHE = 8192
# Every class/id rule in one pattern, a cheap first test of a token (most match no rule).
_ANY_CLASS_RULE = re.compile("|".join(f"(?:{p.pattern})" for _, p in CHROME_CLASS_RULES))

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

# Tag links holding this share of an element's text make it a tag list.
_TAG_LIST_SHARE = 0.6
_TAG_LINK = 'a[rel~="tag" i]'
# A form takes up to this many ancestors with it while they add at most this many characters.
_FORM_BOX_LEVELS = 3
_FORM_BOX_CHARS = 300
# A class/id rule spares a block holding at least this share of the content's text.
_PROTECTED_SHARE = 0.5
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Hidden, or moved far off the screen (``left:-9999px``: link spam and screen-reader text).
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:left|top|text-indent)\s*:\s*-\s*\d{4,}",
    re.IGNORECASE,
)


def _tokens(attrs: dict[str, str | None]) -> list[str]:
    raw = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    # Only a token with a capital can have a camelCase boundary.
    return [
        token if token.lower() == token else _CAMEL.sub("-", token).lower() for token in raw.split()
    ]


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
    if tag == "header" and node.css_first(HEADING_TAGS) is None:
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
    for token in _tokens(attrs):
        name = _class_rule(token)
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
        return name
    return None


@functools.lru_cache(maxsize=_TOKEN_CACHE)
def _class_rule(token: str) -> str | None:
    """The first class/id rule a token matches, else None (tokens repeat: asked once each)."""
    if not _ANY_CLASS_RULE.search(token):
        return None
    return next((name for name, pattern in CHROME_CLASS_RULES if pattern.search(token)), None)


# Class/id rules naming blocks that are never the article, whatever their size: text in them
# is not evidence of where the content is (a long comment thread outweighs a short story).
NEVER_CONTENT_RULES = frozenset({"comment", "related", "share", "newsletter", "cookie"})


_NEVER_PATTERNS = tuple(
    pattern for name, pattern in CHROME_CLASS_RULES if name in NEVER_CONTENT_RULES
)
_ANY_NEVER = re.compile("|".join(f"(?:{p.pattern})" for p in _NEVER_PATTERNS))
# Any class/id part naming a comment thread (``comment-box``, ``user-comments``), except the
# states and counters articles carry (``comments-open``, ``comment-count``).
_COMMENT_PART = _parts(r"comments?", r"disqus\w*")
_COMMENT_STATE = re.compile(
    r"comments?-(?:open|closed|count\w*|link\w*|number\w*)|(?:has|no)-comments"
)
_NEVER_OR_COMMENT = re.compile(f"(?:{_ANY_NEVER.pattern})|(?:{_COMMENT_PART.pattern})")


def is_never_content(node: LexborNode) -> bool:
    """True when a class/id token of ``node`` matches a :data:`NEVER_CONTENT_RULES` rule.

    Comment threads are recognised more widely here than by the chrome rules: any part
    ``comment(s)`` except states and counters such as ``comments-open``.
    """
    attrs = node.attributes
    if not (attrs.get("class") or attrs.get("id")):
        return False
    return any(map(_never_token, _tokens(attrs)))


@functools.lru_cache(maxsize=_TOKEN_CACHE)
def _never_token(token: str) -> bool:
    if not _NEVER_OR_COMMENT.search(token):
        return False
    if _ANY_NEVER.search(token):
        return True
    return bool(_COMMENT_PART.search(token)) and not _COMMENT_STATE.search(token)


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


def remove_chrome(root: LexborNode, sites: frozenset[str] = frozenset()) -> list[str]:
    """Remove chrome below ``root`` (never ``root`` itself); return the rule names that fired.

    Tag, role, hidden and class/id rules apply to every element; a class/id match on a block
    holding at least half of ``root``'s text is ignored. Link-heavy blocks, tag lists
    (``rel="tag"`` links and little else) and lists of story cards (less than half the text) go
    too; ``sites``, the hosts of the page's address and
    canonical URL, tell a list of the site's own pages from a list of links out. Nothing
    inside a ``<pre>`` is looked at: a code block's classes are its highlighter's.
    """
    total = max(text_len(root), 1)
    tag_lists = _tag_lists(root, total)
    doomed: list[LexborNode] = []
    fired: list[str] = []
    skip = {node.mem_id for node in tag_lists}
    stack = [child for child in elements(root) if child.mem_id not in skip]
    while stack:
        node = stack.pop()
        reason = chrome_reason(node)
        if reason in CHROME_TAGS or reason in NON_CONTENT_TAGS:
            pass
        elif reason is not None and text_len(node) / total >= _PROTECTED_SHARE:
            reason = None
        if reason is None and is_link_heavy(node, sites):
            reason = "link-heavy"
        # A list of story cards is chrome, unless it is most of the content (a round-up).
        if (
            reason is None
            and is_card_list(node, sites)
            and text_len(node) / total < _PROTECTED_SHARE
        ):
            reason = "cards"
        if reason is None and is_teaser(node):
            reason = "teaser"
        if reason is None:
            # Inside a code block, classes are a highlighter's (Prism's `token comment`).
            if node.tag != "pre":
                stack.extend(child for child in elements(node) if child.mem_id not in skip)
        else:
            doomed.append(node)
            fired.append(reason)
    for node in [*doomed, *tag_lists]:
        node.decompose()
    return [*fired, *(["tags"] * len(tag_lists))]
