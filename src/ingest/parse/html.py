"""HTML page → :class:`Article` or :class:`NotAnArticle`: the stages of reading one page.

1. Decode (:func:`ingest.parse.text.decode_document`) and parse with selectolax (Lexbor).
2. Read metadata before anything is removed (:mod:`ingest.parse.metadata`).
3. Drop what never holds text (scripts, forms, embeds) and page-wide chrome
   (:mod:`ingest.parse.boilerplate`, :func:`ingest.parse.content.remove_page_chrome`).
4. Find the content block (:func:`ingest.parse.content.find_content`), tell listings apart,
   and remove chrome inside the block by the class/id rules.
5. Walk the block into sections (:mod:`ingest.parse.structure`).

A site's overrides (:class:`ingest.config.ExtractConfig`) act at steps 3 and 4: its ``drop``
selectors remove their matches with the tags that never hold text, and its ``content``
selector's first match is the content block (page-wide chrome outside it does not matter
then); when that selector matches nothing the general rules find the block as usual.
"""

from __future__ import annotations

__all__ = ["ContentRules", "Selectors", "parse_article", "parse_page"]

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from selectolax.lexbor import LexborHTMLParser

from ingest.items import Article, NotAnArticle, Section
from ingest.parse.boilerplate import remove_chrome, remove_non_content
from ingest.parse.content import find_content, remove_page_chrome
from ingest.parse.linklists import site_hosts
from ingest.parse.metadata import PageMetadata, declared_title, pick_title, read_metadata
from ingest.parse.pagekind import listing_reason, notice_reason
from ingest.parse.structure import build_sections
from ingest.parse.text import decode_document
from ingest.parse.tree import outermost

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# Less body text than this (characters, so that it works for CJK too) is not an article.
_MIN_BODY_CHARS = 200


class ContentRules(Protocol):
    """A site's overrides as the parser reads them (:class:`ingest.config.ExtractConfig`)."""

    @property
    def content(self) -> str | None:
        """CSS selector of the content root (its first match), or None."""

    @property
    def drop(self) -> tuple[str, ...]:
        """CSS selectors of parts removed first."""


class Selectors(NamedTuple):
    """:class:`ContentRules` as plain values, as they travel to a parse worker."""

    content: str | None
    drop: tuple[str, ...]

    @classmethod
    def of(cls, rules: ContentRules | None) -> Selectors | None:
        """``rules`` as plain values (None stays None)."""
        return None if rules is None else cls(rules.content, tuple(rules.drop))


@dataclass(frozen=True, slots=True)
class _Extraction:
    article: Article
    listing: str | None
    has_password: bool = False
    first_heading: str = ""


def _extract(
    content: bytes | str, url: str, charset: str | None, rules: ContentRules | None
) -> _Extraction:
    tree = LexborHTMLParser(decode_document(content, charset))
    meta = read_metadata(tree, url)
    root, body = tree.root, tree.body
    if root is None or body is None:
        title = declared_title(meta)[0]
        return _Extraction(_article(url, title, meta, ()), None)
    has_password = tree.css_first('input[type="password" i]') is not None
    first = tree.css_first("h1, h2")
    first_heading = first.text(deep=True) if first is not None else ""
    remove_non_content(root)
    content_root = _apply_overrides(body, rules) if rules is not None else None
    if content_root is None:
        remove_page_chrome(body)
        content_root = find_content(body)
    listing = listing_reason(body, content_root, url)
    remove_chrome(content_root, site_hosts(url, meta.canonical_url))
    title, title_h1 = pick_title(meta, body, content_root)
    sections = build_sections(content_root, title_h1, title, meta.description or "")
    article = _article(url, title, meta, sections)
    return _Extraction(article, listing, has_password, first_heading)


def _apply_overrides(body: LexborNode, rules: ContentRules) -> LexborNode | None:
    """Remove what ``rules.drop`` selects; return ``rules.content``'s first match, if any."""
    for selector in rules.drop:
        for node in outermost(body.css(selector)):
            if node.mem_id != body.mem_id:
                node.decompose()
    return body.css_first(rules.content) if rules.content else None


def _article(url: str, title: str, meta: PageMetadata, sections: tuple[Section, ...]) -> Article:
    return Article(
        url,
        title,
        meta.description,
        meta.language,
        sections,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        canonical_url=meta.canonical_url,
        site_name=meta.site_names[0] if meta.site_names else None,
    )


def parse_article(
    content: bytes | str,
    url: str,
    *,
    charset: str | None = None,
    rules: ContentRules | None = None,
) -> Article:
    """Best-effort article extraction from any page (used by ``ingest extract``).

    Never raises on arbitrary input: a page without content gives an article with no sections.
    ``rules`` are a site's overrides (content root and parts to drop), if it has any.
    """
    return _extract(content, url, charset, rules).article


def parse_page(
    content: bytes | str,
    url: str,
    *,
    charset: str | None = None,
    rules: ContentRules | None = None,
) -> Article | NotAnArticle:
    """Like :func:`parse_article`, but returns :class:`NotAnArticle` for pages that are not one.

    Listing/index pages (many post cards or teaser headings), soft-404s, login and block pages
    (:mod:`ingest.parse.pagekind`), pages without sections and pages with less than 200
    characters of body text are not articles.
    """
    extraction = _extract(content, url, charset, rules)
    if extraction.listing is not None:
        return NotAnArticle(url, extraction.listing)
    article = extraction.article
    text = "\n".join(f"{s.heading}\n{s.text}" for s in article.sections)
    notice = notice_reason(
        article.title, extraction.first_heading, text, has_password=extraction.has_password
    )
    if notice is not None:
        return NotAnArticle(url, notice)
    if not article.sections:
        return NotAnArticle(url, "no body text")
    chars = sum(len(f"{s.heading} {s.text}") for s in article.sections)
    if chars < _MIN_BODY_CHARS:
        return NotAnArticle(url, f"too little body text ({chars} characters)")
    return article
