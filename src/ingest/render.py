"""Turn articles, stored articles and duplicate groups into JSON-ready dicts, Markdown or text.

Pure functions over ``items``: the CLI picks one and prints it. The JSON shape of an article
is the one ``ingest extract`` documents::

    {"url", "title", "description", "language",
     "sections": [{"heading", "level", "paragraphs": [str],
                   "lists": [{"ordered": bool, "items": [str], "after": int}],
                   "captions": [{"text": str, "after": int}]}]}

A list's or a caption's ``after`` is how many of its section's paragraphs come before it. The
captions (figure captions, photo credits) are kept apart from the text: Markdown shows them in
place, in italics; plain text leaves them out.

``ingest show`` adds ``canonical_id`` and ``boilerplate`` (flagged as site boilerplate) per
section.
"""

from __future__ import annotations

__all__ = [
    "adstxt_check_to_dict",
    "adstxt_files_to_dict",
    "article_to_dict",
    "article_to_markdown",
    "article_to_text",
    "group_to_dict",
    "section_to_dict",
    "stored_article_to_dict",
]

from typing import TYPE_CHECKING, Any

from ingest.items import Caption

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ingest.items import (
        AdsTxt,
        AdsTxtChange,
        AdsTxtRecord,
        Article,
        DuplicateGroup,
        ListBlock,
        Section,
        StoredAdsTxt,
        StoredArticle,
    )


def section_to_dict(section: Section) -> dict[str, Any]:
    """A section in the documented JSON shape."""
    return {
        "heading": section.heading,
        "level": section.level,
        "paragraphs": list(section.paragraphs),
        "lists": [
            {"ordered": block.ordered, "items": list(block.items), "after": block.after}
            for block in section.lists
        ],
        "captions": [{"text": c.text, "after": c.after} for c in section.captions],
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
    """``ingest show``: the extract shape plus each section's canonical id and boilerplate flag."""
    return {
        "url": stored.url,
        "title": stored.title,
        "description": stored.description,
        "language": stored.language,
        "sections": [
            section_to_dict(s.section)
            | {"canonical_id": s.canonical_id, "boilerplate": s.boilerplate}
            for s in stored.sections
        ],
    }


def group_to_dict(group: DuplicateGroup) -> dict[str, Any]:
    """A duplicate group in the documented JSON shape of ``ingest duplicates``."""
    return {
        "canonical_id": group.canonical_id,
        "fingerprint": group.fingerprint,
        "heading": group.heading,
        "boilerplate": group.boilerplate,
        "occurrences": [
            {
                "url": o.url,
                "position": o.position,
                "heading": o.heading,
                "similarity": o.similarity,
                "rule": o.rule,
            }
            for o in group.occurrences
        ],
    }


def adstxt_check_to_dict(adstxt: AdsTxt, duplicates: int) -> dict[str, Any]:
    """A parsed file as ``ingest adstxt check`` prints it (the documented JSON shape)."""
    return {
        "records": [_record_dict(r) for r in adstxt.records],
        "variables": [{"line": v.line, "name": v.name, "value": v.value} for v in adstxt.variables],
        "errors": [{"line": i.line, "reason": i.reason, "text": i.raw} for i in adstxt.issues],
        "duplicates": duplicates,
    }


def _record_dict(record: AdsTxtRecord) -> dict[str, Any]:
    return {
        "line": record.line,
        "domain": record.domain,
        "account_id": record.account_id,
        "relationship": record.relationship,
        "cert_id": record.certification_id,
        "extension": record.extension,
    }


def adstxt_files_to_dict(
    site: str, files: Sequence[StoredAdsTxt], changes: Sequence[AdsTxtChange] | None = None
) -> dict[str, Any]:
    """A site's tracked ads.txt files (current lines, last check) and, when asked, the changes."""
    out: dict[str, Any] = {
        "site": site,
        "files": [
            {
                "url": f.url,
                "final_url": f.final_url,
                "status": f.status,
                "status_code": f.status_code,
                "is_stale": f.is_stale,
                "error_kind": f.error_kind,
                "fetched_at": f.fetched_at.isoformat(),
                "checked_at": f.checked_at.isoformat() if f.checked_at else None,
                "is_placeholder": f.is_placeholder,
                **adstxt_check_to_dict(f.adstxt, f.duplicates),
            }
            for f in files
        ],
    }
    if changes is not None:
        out["changes"] = [
            {"at": c.at.isoformat(), "change": c.change, "url": c.url, **_record_dict(c.record)}
            for c in changes
        ]
    return out


def article_to_markdown(article: Article) -> str:
    """The article as Markdown: ``#`` title, headings at their level, lists as lists."""
    out = [f"# {article.title}"]
    if article.description:
        out.append(f"> {article.description}")
    for section in article.sections:
        if section.level > 0:
            out.append(f"{'#' * min(section.level + 1, 6)} {section.heading}")
        out.extend(_markdown_block(block) for block in section.blocks_and_captions())
    return "\n\n".join(out) + "\n"


def _markdown_block(block: str | ListBlock | Caption) -> str:
    if isinstance(block, str):
        return block
    if isinstance(block, Caption):
        return f"*{block.text}*"
    return _markdown_list(block.ordered, block.items)


def _markdown_list(ordered: bool, items: tuple[str, ...]) -> str:
    return "\n".join(f"{n}. {item}" if ordered else f"- {item}" for n, item in enumerate(items, 1))


def article_to_text(article: Article) -> str:
    """The article as plain text: title, then headings and paragraphs, one block per line."""
    out = [article.title]
    for section in article.sections:
        if section.heading:
            out.append(section.heading)
        out.extend(section.lines())
    return "\n\n".join(out) + "\n"
