"""Class and id rules: which word of an element's ``class``/``id`` names which kind of chrome.

Class and id values are split into tokens (whitespace), tokens into parts (``-``, ``_`` and
camelCase), and a pattern matches whole parts only, so ``ad`` catches ``ad-slot`` and
``post-ad`` but never ``read``, ``head`` or ``shadow``. :func:`class_rule` names the first rule
a token matches; :func:`is_never_content` tells the blocks (comments, related posts, share
bars, newsletter boxes, cookie notices) whose text is never evidence of the article.
"""

from __future__ import annotations

__all__ = ["CHROME_CLASS_RULES", "NEVER_CONTENT_RULES", "class_rule", "is_never_content", "tokens"]

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

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
    # Captions and credits outside <figcaption>: kept apart like <figcaption>, for consistency.
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

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def tokens(attrs: dict[str, str | None]) -> list[str]:
    """The tokens of an element's ``class`` and ``id``, lower-cased, camelCase parts split."""
    raw = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    # Only a token with a capital can have a camelCase boundary.
    return [
        token if token.lower() == token else _CAMEL.sub("-", token).lower() for token in raw.split()
    ]


@functools.lru_cache(maxsize=_TOKEN_CACHE)
def class_rule(token: str) -> str | None:
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
    return any(map(_never_token, tokens(attrs)))


@functools.lru_cache(maxsize=_TOKEN_CACHE)
def _never_token(token: str) -> bool:
    if not _NEVER_OR_COMMENT.search(token):
        return False
    if _ANY_NEVER.search(token):
        return True
    return bool(_COMMENT_PART.search(token)) and not _COMMENT_STATE.search(token)
