"""Text normalisation shared by the parsers: decoding, whitespace, quotes, titles, languages.

Everything here is a pure function on ``str`` (or ``bytes`` for :func:`decode_document`) that
never raises on odd input. Typographic quotes are content and are kept; only a *stray* quote
left at either end of a title (one with no partner) is dropped.
"""

from __future__ import annotations

__all__ = [
    "clean_title",
    "decode_document",
    "detect_encoding",
    "is_site_name",
    "normalize_language",
    "normalize_whitespace",
    "repeats_title",
    "same_words",
    "strip_site_name",
    "strip_unmatched_quotes",
    "text_length",
    "titles_agree",
]

import codecs
import re
import unicodedata

# Characters that render as nothing: zero-width space, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")  # as _has_invisible tests

_DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\u300c\u300d')
_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b\u2039\u203a")

# Separators sites put between an article title and their own name in <title> (Chinese
# portals join their parts with a bare "_": "标题_科技_腾讯网").
_TITLE_SEPARATORS = (
    " | ",
    " - ",
    " \u2013 ",
    " \u2014 ",
    " \u00b7 ",
    " :: ",
    " \u00bb ",
    " / ",
    "_",
)
# A trailing <title> part longer than this many words is not taken for a site name.
_MAX_SITE_NAME_WORDS = 4
# At most this many separated parts are taken off the end of a title ("X | Section | Site").
_MAX_SUFFIX_PARTS = 3

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE
)
# How far into a document the <meta charset> is looked for (the HTML spec says 1024 bytes;
# real pages put long <head>s first, so look further).
_META_SNIFF_BYTES = 4096
# WHATWG Encoding: labels a browser decodes as something else.
_ENCODING_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",  # a <meta> claiming UTF-16 in an ASCII-readable head is wrong
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

_LANGUAGE_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


def normalize_whitespace(text: str) -> str:
    """NFC-normalise, drop invisible characters, collapse any whitespace (NBSP too) to a space."""
    text = unicodedata.normalize("NFC", text)
    if _has_invisible(text):
        text = _INVISIBLE.sub("", text)
    # str.split() splits on exactly the characters the regex \s matches (str.isspace()).
    return " ".join(text.split())


def _has_invisible(text: str) -> bool:
    return "\u200b" in text or "\u2060" in text or "\ufeff" in text or "\u00ad" in text


def text_length(text: str) -> int:
    """``len(normalize_whitespace(text))`` without building the string (NFC aside), for sizes."""
    if _has_invisible(text):
        text = _INVISIBLE.sub("", text)
    return len(" ".join(text.split()))


def _is_apostrophe(text: str, index: int) -> bool:
    """True when the single quote at ``index`` sits between two letters (an apostrophe)."""
    return 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


def _quote_count(text: str, family: frozenset[str]) -> int:
    return sum(1 for i, ch in enumerate(text) if ch in family and not _is_apostrophe(text, i))


def strip_unmatched_quotes(text: str) -> str:
    """Drop a quote at either end of ``text`` that has no partner; balanced quotes stay."""
    text = text.strip()
    for family in (_DOUBLE_QUOTES, _SINGLE_QUOTES):
        if _quote_count(text, family) % 2 == 0:
            continue
        if text[:1] in family:
            text = text[1:].strip()
        elif text[-1:] in family:
            text = text[:-1].strip()
    return text


def _fold(text: str) -> str:
    """A comparison key: case-folded words only."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _squash(text: str) -> str:
    """A site-name key: case-folded word characters only ("The Verge" and "theverge")."""
    return "".join(_fold(text).split())


def is_site_name(title: str, site_names: tuple[str, ...]) -> bool:
    """True when ``title`` is nothing but one of ``site_names`` (compared as site names are)."""
    key = _squash(title)
    return bool(key) and any(_squash(name) == key for name in site_names)


def _short(text: str) -> bool:
    """True when every separated part of ``text`` is short enough to be a site name."""
    parts = [text]
    for sep in _TITLE_SEPARATORS:
        parts = [piece for part in parts for piece in part.split(sep)]
    return all(len(_fold(part).split()) <= _MAX_SITE_NAME_WORDS for part in parts)


def _cuts(title: str) -> list[tuple[str, str]]:
    """(head, tail) splits of ``title`` at its last few separators, the longest head first."""
    found = []
    for sep in _TITLE_SEPARATORS:
        index = title.rfind(sep)
        for _ in range(_MAX_SUFFIX_PARTS):
            if index <= 0:
                break
            found.append((index, sep))
            index = title.rfind(sep, 0, index)
    found = sorted(found, reverse=True)[:_MAX_SUFFIX_PARTS]
    return [(title[:index].strip(), title[index + len(sep) :].strip()) for index, sep in found]


def _strip_named(title: str, names: set[str]) -> str:
    """``title`` without the named site's parts at either end (a few times at most)."""
    for _ in range(2 * _MAX_SUFFIX_PARTS if names else 0):
        stripped = False
        for sep in _TITLE_SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if found and _squash(tail) in names and head.strip():
                title, stripped = head.strip(), True
                break
            head, found, tail = title.partition(sep)
            if found and _squash(head) in names and tail.strip():
                title, stripped = tail.strip(), True
                break
        if not stripped:
            break
    return title


def strip_site_name(
    title: str,
    site_names: tuple[str, ...] = (),
    confirmed: tuple[str, ...] = (),
    elsewhere: tuple[str, ...] = (),
) -> str:
    """Remove a ``" | Site"``/``" - Site"`` suffix (or ``"Site | "`` prefix) from a page title.

    A named site (``og:site_name``, the publisher, the domain) is removed wherever it sits at
    either end; names compare without case, punctuation or spaces, so "The Verge" is the site
    of ``theverge.com`` and "TMZ.com" of ``tmz.com``. Any other short last part (at most four
    words a part) goes only when the page confirms what stays: ``confirmed`` (the ``<h1>``
    texts of the content) holds the same words, or ``elsewhere`` (the page's other h1s, which
    may be a logo) does and what stays is the longer part (a first part is never cut so: an
    h1 equal to it is a site logo, not the title). So ``"How it works - Acme Blog"`` with an
    h1 "How it works" gives ``"How it works"``, and ``"Python - a language"`` or ``"Essay -
    Jane Q. Writer"`` without such an h1 stay whole.
    """
    names = {_squash(name) for name in site_names if _squash(name)}
    title = _strip_named(title, names)
    inside = {_fold(text) for text in confirmed if _fold(text)}
    outside = {_fold(text) for text in elsewhere if _fold(text)}
    if not (inside or outside) or _fold(title) in inside | outside:
        return title
    for head, tail in _cuts(title):
        if not (head and tail and _short(tail)):
            continue
        folded = _fold(head)
        if folded in inside or (folded in outside and len(folded) > len(_fold(tail))):
            return head
    return title


def clean_title(
    raw: str,
    site_names: tuple[str, ...] = (),
    *,
    strip_suffix: bool = True,
    confirmed: tuple[str, ...] = (),
) -> str:
    """Whitespace-normalise a title, drop a site-name suffix and stray end quotes."""
    title = normalize_whitespace(raw)
    if strip_suffix:
        title = strip_site_name(title, site_names, confirmed)
    return strip_unmatched_quotes(title)


def same_words(first: str, second: str) -> bool:
    """True when two titles are the same words, case and punctuation aside."""
    a = _fold(first)
    return bool(a) and a == _fold(second)


def repeats_title(heading: str, title: str) -> bool:
    """True when every word of ``heading`` is a word of ``title`` (the title, or a piece of it).

    Readability lets a quarter of the heading be new words; that takes section headings
    such as "Using standalone mode in Emscripten" for the title "Standalone binaries using
    Emscripten", so here none may be.
    """
    words = set(_fold(heading).split())
    return bool(words) and words <= set(_fold(title).split())


def titles_agree(first: str, second: str) -> bool:
    """True when two titles are the same words, or one starts with the other."""
    a, b = _fold(first), _fold(second)
    return bool(a and b) and (a == b or a.startswith(b) or b.startswith(a))


def normalize_language(value: str | None) -> str | None:
    """Normalise a language tag to BCP-47 casing (``en_us`` → ``en-US``); None when not a tag."""
    if not value:
        return None
    first = value.split(",")[0].split(";")[0].strip().replace("_", "-")
    parts = [part for part in first.split("-") if part]
    if not parts or not all(_LANGUAGE_SUBTAG.match(part) for part in parts):
        return None
    primary = parts[0]
    if not primary.isalpha() or not (2 <= len(primary) <= 8):  # noqa: PLR2004  (BCP-47 sizes)
        return None
    out = [primary.lower()]
    for part in parts[1:]:
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):  # noqa: PLR2004
            out.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():  # noqa: PLR2004
            out.append(part.title())  # script
        else:
            out.append(part.lower())
    return "-".join(out)


def _codec(label: str | None) -> str | None:
    """The Python codec for an encoding label, or None when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ENCODING_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _is_utf8(content: bytes) -> bool:
    """True when ``content`` has non-ASCII bytes and all of it is valid UTF-8.

    Text in a legacy encoding almost never happens to be valid UTF-8, so this beats a stale
    ``<meta charset>`` (but not an explicit ``charset`` argument or a BOM).
    """
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(content: bytes, charset: str | None = None) -> str:
    """The encoding an HTML body is read with (a Python codec name), as browsers choose it.

    A BOM first; then ``charset`` (the Content-Type header's label) when Python knows it; then
    a ``<meta>`` in the first 4 KiB (one naming a legacy encoding loses to UTF-8 when the
    bytes are valid UTF-8: a stale tag in a page saved as UTF-8); then UTF-8 when the bytes
    are valid UTF-8; else windows-1252, which decodes any byte.
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    codec = _codec(charset)
    if codec is not None:
        return codec
    match = _META_CHARSET.search(content[:_META_SNIFF_BYTES])
    codec = _codec(match.group(1).decode("ascii", errors="replace")) if match else None
    if codec is not None and (codec == "utf-8" or not _is_utf8(content)):
        return codec
    if codec is not None or content.isascii() or _is_utf8(content):
        return "utf-8"
    return "cp1252"


def decode_document(content: bytes | str, charset: str | None = None) -> str:
    """Decode an HTML body with :func:`detect_encoding`'s choice (``charset``: the header's).

    Bytes the chosen encoding cannot read become U+FFFD; this never raises.
    """
    if isinstance(content, str):
        return content
    codec = detect_encoding(content, charset)
    try:
        text = content.decode(codec, errors="replace")
    except (LookupError, ValueError):
        text = content.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")  # a BOM decodes to U+FEFF in the codec it names
