"""Turn articles, stored articles and duplicate groups into JSON-ready dicts, Markdown or text.

Pure functions over ``items``: the CLI picks one and prints it. The JSON shape of an article
is the one ``ingest extract`` documents::

    {"url", "title", "description", "language",
     "sections": [{"heading", "level", "paragraphs": [str],
                   "lists": [{"ordered": bool, "items": [str]}]}]}

``ingest show`` adds ``canonical_id`` per section.
"""

from __future__ import annotations

__all__ = [
    "adstxt_to_dict",
    "article_to_dict",
    "article_to_markdown",
    "article_to_text",
    "group_to_dict",
    "section_to_dict",
    "stored_article_to_dict",
]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from ingest.items import AdsTxt, Article, DuplicateGroup, Section, StoredArticle


def section_to_dict(section: Section) -> dict[str, Any]:
    """A section in the documented JSON shape."""
    return {
        "heading": section.heading,
        "level": section.level,
        "paragraphs": list(section.paragraphs),
        "lists": [
            {"ordered": block.ordered, "items": list(block.items)} for block in section.lists
        ],
    }


def article_to_dict(article: Article) -> dict[str, Any]:
    """An article in the documented JSON shape of ``ingest extract``."""
    return {
        "url": article.url,
        "title": article.title,
        "description": article.description,
        "language": article.language,
        "sections": [section_to_dict(section) for section in article.sections],
    }


def stored_article_to_dict(stored: StoredArticle) -> dict[str, Any]:
    """``ingest show``: the extract shape plus each section's canonical id."""
    return {
        "url": stored.url,
        "title": stored.title,
        "description": stored.description,
        "language": stored.language,
        "sections": [
            section_to_dict(s.section) | {"canonical_id": s.canonical_id} for s in stored.sections
        ],
    }


def group_to_dict(group: DuplicateGroup) -> dict[str, Any]:
    """A duplicate group in the documented JSON shape of ``ingest duplicates``."""
    return {
        "canonical_id": group.canonical_id,
        "heading": group.heading,
        "occurrences": [
            {"url": o.url, "position": o.position, "heading": o.heading, "similarity": o.similarity}
            for o in group.occurrences
        ],
    }


def adstxt_to_dict(url: str, fetched_at: datetime, adstxt: AdsTxt) -> dict[str, Any]:
    """A stored ads.txt file: records, variables and malformed lines, with line numbers."""
    return {
        "url": url,
        "fetched_at": fetched_at.isoformat(),
        "records": [
            {
                "line": r.line,
                "domain": r.domain,
                "account_id": r.account_id,
                "relationship": r.relationship,
                "certification_id": r.certification_id,
                "extension": r.extension,
            }
            for r in adstxt.records
        ],
        "variables": [{"line": v.line, "name": v.name, "value": v.value} for v in adstxt.variables],
        "issues": [{"line": i.line, "raw": i.raw, "reason": i.reason} for i in adstxt.issues],
    }


def article_to_markdown(article: Article) -> str:
    """The article as Markdown: ``#`` title, headings at their level, lists as lists."""
    out = [f"# {article.title}"]
    if article.description:
        out.append(f"> {article.description}")
    for section in article.sections:
        if section.level > 0:
            out.append(f"{'#' * min(section.level + 1, 6)} {section.heading}")
        out.extend(section.paragraphs)
        out.extend(_markdown_list(block.ordered, block.items) for block in section.lists)
    return "\n\n".join(out) + "\n"


def _markdown_list(ordered: bool, items: tuple[str, ...]) -> str:
    return "\n".join(f"{n}. {item}" if ordered else f"- {item}" for n, item in enumerate(items, 1))


def article_to_text(article: Article) -> str:
    """The article as plain text: title, then headings and paragraphs, one block per line."""
    out = [article.title]
    for section in article.sections:
        if section.heading:
            out.append(section.heading)
        out.extend(section.paragraphs)
        for block in section.lists:
            out.extend(block.items)
    return "\n\n".join(out) + "\n"
