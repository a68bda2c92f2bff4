"""Pages that parse but are not articles: listings, soft-404s, login walls and bot blocks.

:func:`listing_reason` judges a page by its shape (post cards and little else);
:func:`notice_reason` by what it says about itself. A notice needs both a telling phrase (in
the title, the first heading or a short body) and a short body, so an article *about* 404
pages or logins stays an article.
"""

from __future__ import annotations

__all__ = ["MAX_NOTICE_CHARS", "listing_reason", "notice_reason"]

import re
import statistics
from typing import TYPE_CHECKING

from ingest.parse.linklists import headline_link, site_hosts
from ingest.parse.tree import is_inside, outermost, text_len

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# A page whose body text is longer than this (characters) is never judged a notice.
MAX_NOTICE_CHARS = 1200

# Error pages served with status 200 ("soft 404s"), in the languages the corpora show.
_NOT_FOUND = re.compile(
    r"\b404\b|page not found|(?:can[\u2019']?t|cannot|could ?n[o\u2019']?t|not) be found|"
    r"no longer (?:available|exists)|"
    r"(?:page|article|post) (?:does not|doesn't) exist|nothing (?:was )?found|"
    r"seite nicht gefunden|página no encontrada|page introuvable|pagina non trovata|"
    r"pagina niet gevonden|página não encontrada",
    re.IGNORECASE,
)
# A login page names itself in its title or first heading.
_LOGIN = re.compile(
    r"\b(?:log ?in|sign ?in|anmelden|connexion|iniciar sesi[oó]n|accedi|inloggen)\b", re.IGNORECASE
)
# Login walls and bot or access blocks.
_BLOCKED = re.compile(
    r"access denied|403 forbidden|are you a (?:robot|human)|verify (?:that )?you are (?:a )?human|"
    r"captcha|unusual traffic|just a moment|attention required|enable (?:javascript|cookies)|"
    r"(?:sign|log) ?in to (?:continue|read|view)|please (?:sign|log) ?in|"
    r"subscribe to (?:continue|read)|to read the full story",
    re.IGNORECASE,
)


def notice_reason(title: str, heading: str, text: str, *, has_password: bool) -> str | None:
    """Why a page is a soft-404, login or block notice rather than an article, or None.

    ``title`` and ``heading`` are the page title and first heading, ``text`` the extracted
    body, ``has_password`` whether the page had a password field before forms were removed.
    """
    if len(text) > MAX_NOTICE_CHARS:
        return None
    said = f"{title}\n{heading}\n{text}"
    if _NOT_FOUND.search(f"{title}\n{heading}"):
        return "soft 404: the page says it was not found"
    if has_password and _LOGIN.search(f"{title}\n{heading}"):
        return "login page: a password form under a log-in title"
    if _BLOCKED.search(said):
        return "blocked page: the page asks to log in, subscribe or prove it is human"
    return None


# A listing: at least this many cards (<article> elements or teaser headings linking to other
# pages of the site), no <article> holding this share of all their text, and less text
# outside the cards than the largest card or this many characters.
_MIN_CARDS = 3
_DOMINANT_CARD_SHARE = 0.6
_MIN_ARTICLE_CHARS = 500
# The card holding the content is the page's own article when it is at least this many times
# the median other card (and the article size above): a story among teasers of others.
_ARTICLE_CARD_FACTOR = 5


def _teaser_cards(content: LexborNode, url: str) -> list[LexborNode]:
    """The cards of headings that are one link to another page of the same site.

    A heading whose whole text is such a link stands for the block around it; a heading inside
    such a link (a whole card linked) for the link.
    """
    sites = site_hosts(url)
    cards = []
    for heading in content.css("h1, h2, h3, h4"):
        link = headline_link(heading, content, sites)
        if link is not None:
            cards.append(link if is_inside(heading, link) else heading.parent or heading)
    return cards


def listing_reason(body: LexborNode, content: LexborNode, url: str) -> str | None:
    """Why the page looks like a listing (post cards and little else), or None.

    Cards are ``<article>`` elements and teaser cards (:func:`_teaser_cards`); a page is a
    listing when it has at least three, and the content holds little text outside them, or
    lies inside one that is no bigger than a teaser (the page's own ``<article>`` among the
    ``<article>`` teasers of related stories is not a card: it dwarfs them).
    """
    outer = outermost(body.css("article"))
    teasers = _teaser_cards(content, url)
    if len(outer) < _MIN_CARDS and len(teasers) < _MIN_CARDS:
        return None  # too few cards of either kind (the sizes below need not be read)
    sized = [(node, size) for node in outer if (size := text_len(node))]
    articles = [node for node, _ in sized]
    sizes = [size for _, size in sized]
    if len(articles) >= _MIN_CARDS and max(sizes) < _DOMINANT_CARD_SHARE * sum(sizes):
        reason = f"listing page: {len(articles)} article cards"
        cards = outermost([*articles, *teasers])
    elif len(teasers) >= _MIN_CARDS:
        reason = f"listing page: {len(teasers)} headings link to other pages"
        cards = outermost(teasers)
    else:
        return None
    holder = next(
        (card for card in cards if card.mem_id == content.mem_id or is_inside(content, card)),
        None,
    )
    if holder is not None:
        return None if _is_own_article(holder, cards) else reason
    inside = [card for card in cards if is_inside(card, content)]
    rest = text_len(content) - sum(text_len(card) for card in inside)
    largest = max(text_len(card) for card in cards)
    return reason if rest < max(largest, _MIN_ARTICLE_CHARS) else None


def _is_own_article(holder: LexborNode, cards: list[LexborNode]) -> bool:
    """True when the card holding the content dwarfs the other cards (it is the article)."""
    size = text_len(holder)
    others = [text_len(card) for card in cards if card.mem_id != holder.mem_id]
    return size >= _MIN_ARTICLE_CHARS and (
        not others or size >= _ARTICLE_CARD_FACTOR * statistics.median(others)
    )
