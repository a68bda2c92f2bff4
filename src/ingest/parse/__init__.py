"""Parsing: bytes and a URL in, items out. Pure and sync, no I/O; see each module."""

from __future__ import annotations

__all__ = ["extract_links", "parse_adstxt", "parse_article", "parse_page"]

from ingest.parse.adstxt import parse_adstxt
from ingest.parse.html import parse_article, parse_page
from ingest.parse.links import extract_links
