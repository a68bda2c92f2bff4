"""Page metadata: title, description, language, read before anything is removed.

The title is reconciled from the content's ``<h1>``, ``og:title``, JSON-LD ``headline`` and
``<title>``: an h1 inside the content wins; else an h1 anywhere that agrees with a metadata
title; else the first metadata title, with a site-name suffix and stray quotes removed.
"""

from __future__ import annotations

__all__ = ["PageMetadata", "pick_title", "read_metadata"]

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.parse.structure import node_text
from ingest.parse.text import (
    clean_title,
    normalize_language,
    normalize_whitespace,
    titles_agree,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says about itself in <head>: raw titles, site names, description, language."""

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


def read_metadata(tree: LexborHTMLParser) -> PageMetadata:
    """Read the metadata of a parsed page (nothing removed yet)."""
    meta = _meta_values(tree)
    title_node = tree.css_first("title")
    root = tree.root
    lang = root.attributes.get("lang") if root is not None else None
    return PageMetadata(
        title=title_node.text(deep=True) if title_node is not None else "",
        og_title=meta.get("og:title") or meta.get("twitter:title") or "",
        headline=_json_ld_headline(tree),
        site_names=tuple(meta[key] for key in ("og:site_name", "application-name") if key in meta),
        description=meta.get("description") or meta.get("og:description") or None,
        language=normalize_language(lang)
        or normalize_language(meta.get("og:locale"))
        or normalize_language(meta.get("content-language")),
    )


def pick_title(
    meta: PageMetadata, body: LexborNode, content: LexborNode
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
        text = clean_title(node_text(h1), strip_suffix=False)
        if text and (h1.mem_id in ids or any(titles_agree(text, m) for m in metas)):
            return text, (h1 if h1.mem_id in ids else None)
    return (metas[0] if metas else ""), None
