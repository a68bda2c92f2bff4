"""Page metadata: title, description, language, authors, dates, canonical URL, site name.

Read before anything is removed. Authors, dates and the site name come from JSON-LD first (the
``Article``-like object's ``author``, ``datePublished``, ``dateModified``, ``publisher``), then
``<meta>`` (``author``, ``article:published_time``, ``article:modified_time``,
``og:updated_time``, ``og:site_name``), then the first ``<time datetime>`` for the published
date; dates are ISO 8601 as the page states them (kept only when they parse as such). The
canonical URL is ``<link rel=canonical>`` (else ``og:url``), resolved against the page URL.

The title is the one the page declares: JSON-LD ``headline``, else Dublin Core's
``DC.title``/``dcterms.title``, else ``og:title``/``twitter:title``, else ``<title>``; each
loses a site-name suffix (headlines carry one too: "Title - Author - Medium")
(:func:`ingest.parse.text.strip_site_name`: the site's name or domain, or any short last part
when an ``<h1>`` of the content holds exactly what stays, or another h1 does and what stays is
the longer part: an h1 outside the content is often the site's logo). A title that was cut is
spelled as the h1 with the same words spells it (the h1 keeps the punctuation a ``<title>``
drops). Stray end quotes go. A page declaring no title, or only the site's name, takes its
content's first h1. The h1 carrying the title (the content's first, else one agreeing with the
title) opens no section.
"""

from __future__ import annotations

__all__ = ["PageMetadata", "declared_title", "pick_title", "read_metadata"]

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from ingest.parse.structure import node_text
from ingest.parse.text import (
    clean_title,
    is_site_name,
    normalize_language,
    normalize_whitespace,
    same_words,
    strip_site_name,
    strip_unmatched_quotes,
    titles_agree,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborHTMLParser, LexborNode


# The XHTML-era wrappers around a script's text: a CDATA section or an HTML comment.
_LD_OPENING = re.compile(r"\s*(?://\s*)?(?:<!\[CDATA\[|<!--)")
_LD_CLOSINGS = ("]]>", "-->")


def _unwrap_json_ld(text: str) -> str:
    """A JSON-LD block without its ``<![CDATA[ … ]]>`` or comment wrapper (maybe behind ``//``).

    String tests at the end: a regular expression anchored there is tried at every position of
    a block that may be tens of kilobytes long (a third of a millisecond for 4 KB).
    """
    opening = _LD_OPENING.match(text)
    if opening is not None:
        text = text[opening.end() :]
    stripped = text.rstrip()
    for closing in _LD_CLOSINGS:
        if stripped.endswith(closing):
            return stripped[: -len(closing)].rstrip().removesuffix("//")
    return text


# Dublin Core's title, as ``<meta name>`` spells it (lower-cased).
_DC_TITLES = ("dc.title", "dcterms.title", "dc:title", "dcterms:title")

# Second-level labels under a country code (``bbc.co.uk``): the site's name is the label before.
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says about itself in <head>: raw titles, site names, description, language."""

    title: str
    og_title: str
    headline: str
    site_names: tuple[str, ...]
    description: str | None
    language: str | None
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    canonical_url: str | None = None
    host_names: tuple[str, ...] = ()
    """Names the host gives the site (``example.com``, ``example``): site names in titles."""
    dc_title: str = ""
    """Dublin Core's title (``DC.title``, ``dcterms.title``), as document sites declare it."""


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


def _json_ld_objects(tree: LexborHTMLParser) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD blocks, outermost first, in document order.

    A block wrapped in ``<![CDATA[ … ]]>`` or an HTML comment (either maybe behind ``//``), as
    XHTML-minded templates write it, is read without the wrapper.
    """
    for script in tree.css('script[type="application/ld+json"]'):
        text = _unwrap_json_ld(script.text(deep=True))
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                yield item
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)


def _json_ld_headline(objects: list[dict[str, Any]], page_titles: tuple[str, ...]) -> str:
    """The first ``headline`` in the page's JSON-LD, or ``""``.

    When the same object has a different ``name`` that agrees with the page's own title
    (``<title>``/``og:title``) and the headline does not, the name is the title: Wikipedia's
    headline, for one, is the article's one-line description.
    """
    for item in objects:
        headline = item.get("headline")
        if isinstance(headline, str) and headline.strip():
            name = item.get("name")
            if (
                isinstance(name, str)
                and any(titles_agree(name, title) for title in page_titles)
                and not any(titles_agree(headline, title) for title in page_titles)
            ):
                return name
            return headline
    return ""


def _names(value: object) -> list[str]:
    """Person or organisation names in a JSON-LD ``author``/``publisher`` value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _iso_date(value: object) -> str | None:
    """``value`` when it is an ISO 8601 date or date-time, trimmed; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return None
    return text


def _authors(objects: list[dict[str, Any]], meta: dict[str, str]) -> tuple[str, ...]:
    found = [name for item in objects if "datePublished" in item or "headline" in item
             for name in _names(item.get("author"))]  # fmt: skip
    if not found and meta.get("author"):
        found = [meta["author"]]
    if not found and meta.get("article:author", "").strip():
        found = [meta["article:author"]]
    cleaned = (normalize_whitespace(name) for name in found)
    return tuple(dict.fromkeys(n for n in cleaned if n and not n.startswith(("http:", "https:"))))


def _first_date(objects: list[dict[str, Any]], key: str, meta_keys: tuple[str, ...],
                meta: dict[str, str]) -> str | None:  # fmt: skip
    for item in objects:
        date = _iso_date(item.get(key))
        if date:
            return date
    for meta_key in meta_keys:
        date = _iso_date(meta.get(meta_key))
        if date:
            return date
    return None


def _canonical_url(tree: LexborHTMLParser, meta: dict[str, str], url: str) -> str | None:
    for link in tree.css("link[rel][href]"):
        if "canonical" in (link.attributes.get("rel") or "").lower().split():
            href = (link.attributes.get("href") or "").strip()
            if href:
                return _absolute(url, href)
    return _absolute(url, meta["og:url"]) if meta.get("og:url") else None


def _absolute(base: str, href: str) -> str | None:
    absolute = urljoin(base, href.strip())
    return absolute if urlsplit(absolute).scheme in {"http", "https"} else None


def _domain_names(url: str) -> list[str]:
    """Names a site goes by in its own titles, from the host: ``example.com``, ``example``."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")
    if len(labels) < 2 or host.replace(".", "").isdigit():  # noqa: PLR2004  (a name and a TLD)
        return []
    if labels[-2] in _SECOND_LEVEL and len(labels) > 2:  # noqa: PLR2004  (bbc.co.uk)
        return [host, labels[-3]]
    return [host, labels[-2]]


def _logo_names(tree: LexborHTMLParser, url: str) -> list[str]:
    """The text of each ``<h1>`` that is all one link to the site's home page: its logo."""
    names = []
    for h1 in tree.css("h1"):
        links = h1.css("a[href]")
        text = normalize_whitespace(h1.text(deep=True))
        if len(links) != 1 or not text or normalize_whitespace(links[0].text(deep=True)) != text:
            continue
        target = urlsplit(urljoin(url, (links[0].attributes.get("href") or "").strip()))
        if target.path in {"", "/"} and target.netloc == urlsplit(url).netloc:
            names.append(text)
    return names


def read_metadata(tree: LexborHTMLParser, url: str = "") -> PageMetadata:
    """Read the metadata of a parsed page (nothing removed yet); ``url`` resolves the canonical."""
    meta = _meta_values(tree)
    objects = list(_json_ld_objects(tree))
    title_node = tree.css_first("title")
    root = tree.root
    lang = root.attributes.get("lang") if root is not None else None
    publishers = [n for item in objects for n in _names(item.get("publisher"))]
    site_names = [meta[key] for key in ("og:site_name", "application-name") if key in meta]
    published = _first_date(
        objects, "datePublished", ("article:published_time", "date", "dc.date"), meta
    )
    if published is None:
        time = tree.css_first("time[datetime]")
        published = _iso_date(time.attributes.get("datetime")) if time is not None else None
    title = title_node.text(deep=True) if title_node is not None else ""
    og_title = meta.get("og:title") or meta.get("twitter:title") or ""
    dc_title = next((meta[key] for key in _DC_TITLES if key in meta), "")
    return PageMetadata(
        title=title,
        og_title=og_title,
        headline=_json_ld_headline(objects, (title, og_title)),
        dc_title=dc_title,
        site_names=tuple(dict.fromkeys([*site_names, *publishers, *_logo_names(tree, url)])),
        description=meta.get("description") or meta.get("og:description") or None,
        language=normalize_language(lang)
        or normalize_language(meta.get("og:locale"))
        or normalize_language(meta.get("content-language")),
        authors=_authors(objects, meta),
        published=published,
        modified=_first_date(
            objects, "dateModified", ("article:modified_time", "og:updated_time"), meta
        ),
        canonical_url=_canonical_url(tree, meta, url) if url else None,
        host_names=tuple(_domain_names(url)),
    )


def declared_title(
    meta: PageMetadata, confirmed: tuple[str, ...] = (), elsewhere: tuple[str, ...] = ()
) -> tuple[str, bool]:
    """The title the page declares, cleaned, and whether a site-name part was cut from it.

    ``confirmed`` and ``elsewhere``: the h1 texts inside and outside the content
    (:func:`ingest.parse.text.strip_site_name`).
    """
    for raw in (meta.headline, meta.dc_title, meta.og_title, meta.title):
        title = normalize_whitespace(raw)
        if title:
            names = (*meta.site_names, *meta.host_names)
            stripped = strip_site_name(title, names, confirmed, elsewhere)
            return strip_unmatched_quotes(stripped), stripped != title
    return "", False


def pick_title(
    meta: PageMetadata, body: LexborNode, content: LexborNode
) -> tuple[str, LexborNode | None]:
    """The article's title and the h1 carrying it (None when no h1 carries it)."""
    in_content = content.css("h1")
    ids = {node.mem_id for node in in_content}
    h1s = [
        (h1, clean_title(node_text(h1), strip_suffix=False))
        for h1 in [*in_content, *body.css("h1")]
    ]
    h1s = [(h1, text) for h1, text in h1s if text]
    title, cut = declared_title(
        meta,
        tuple(text for h1, text in h1s if h1.mem_id in ids),
        tuple(text for h1, text in h1s if h1.mem_id not in ids),
    )
    carrier = next(
        (h1 for h1, text in h1s if h1.mem_id in ids or (title and titles_agree(text, title))),
        None,
    )
    if not title or (carrier and is_site_name(title, (*meta.site_names, *meta.host_names))):
        # No declared title, or one that only names the site: the content's h1 says more.
        return (clean_title(node_text(carrier), strip_suffix=False) if carrier else title), carrier
    if cut:
        title = next((text for _, text in h1s if same_words(text, title)), title)
    return title, carrier
