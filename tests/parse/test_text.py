# ruff: noqa: RUF001  (typographic quotes are the subject of these tests)
from __future__ import annotations

import codecs

import pytest

from ingest.parse.text import (
    clean_title,
    decode_document,
    detect_encoding,
    normalize_language,
    normalize_whitespace,
    strip_site_name,
    strip_unmatched_quotes,
    titles_agree,
)


def test_whitespace_runs_and_nbsp_collapse_to_one_space() -> None:
    """Tabs, newlines, NBSP and thin spaces collapse to single spaces; ends are stripped."""
    assert normalize_whitespace(" a\u00a0\u00a0b\n\tc\u2009d  ") == "a b c d"


def test_invisible_characters_are_dropped_and_quotes_kept() -> None:
    """Zero-width spaces and soft hyphens vanish; typographic quotes are content and stay."""
    assert normalize_whitespace("skin\u200b’s “glow”\u00ad") == "skin’s “glow”"


def test_text_is_nfc_normalised() -> None:
    """A decomposed é (e + combining accent) becomes the single code point."""
    assert normalize_whitespace("Re\u0301sume\u0301") == "R\u00e9sum\u00e9"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("“Why Is My Skin Darker?", "Why Is My Skin Darker?"),
        ("Why Is My Skin Darker?”", "Why Is My Skin Darker?"),
        ('"Quoted"', '"Quoted"'),
        ("“Quoted” and more", "“Quoted” and more"),
        ("'Neutral' fact-checker", "'Neutral' fact-checker"),
        ("‘Star Wars’ cuts", "‘Star Wars’ cuts"),
        ("It’s fine", "It’s fine"),
        ('"Unclosed title', "Unclosed title"),
    ],
)
def test_only_unmatched_end_quotes_are_stripped(raw: str, expected: str) -> None:
    """A quote at either end without a partner goes; pairs and apostrophes stay."""
    assert strip_unmatched_quotes(raw) == expected


@pytest.mark.parametrize(
    ("raw", "names", "confirmed", "expected"),
    [
        ("Why Is My Skin Darker - Glow Theory", ("Glow Theory",), (), "Why Is My Skin Darker"),
        ("Glow Theory | Why Is My Skin Darker", ("Glow Theory",), (), "Why Is My Skin Darker"),
        ("How to Build a Terrarium | eHow", ("ehow.com", "ehow"), (), "How to Build a Terrarium"),
        ("Build a Terrarium | eHow", (), ("Build a terrarium",), "Build a Terrarium"),
        ("How to Build a Terrarium | eHow", (), (), "How to Build a Terrarium | eHow"),
        ("Outside the web · V8", (), ("V8", "Outside the web"), "Outside the web"),
        ("A: B | C D | Site", (), ("A: B",), "A: B"),
        ("Glow Theory", ("Glow Theory",), (), "Glow Theory"),
        ("Vision Pro - The Verge", ("theverge.com", "theverge"), (), "Vision Pro"),
        ("Pearl dress stolen | TMZ.com", ("tmz.com", "tmz"), (), "Pearl dress stolen"),
        ("Python - a language", (), (), "Python - a language"),
        ("Essay - Jane Q. Writer", (), ("Something else",), "Essay - Jane Q. Writer"),
        ("One - Two Three Four Five Six", (), ("One",), "One - Two Three Four Five Six"),
    ],
)  # fmt: skip
def test_site_name_suffix_is_removed(
    raw: str, names: tuple[str, ...], confirmed: tuple[str, ...], expected: str
) -> None:
    """A named site is cut at either end; another short last part only when an h1 confirms."""
    assert strip_site_name(raw, names, confirmed) == expected


def test_clean_title_combines_whitespace_suffix_and_quotes() -> None:
    """clean_title normalises spaces, drops the site suffix, then a stray opening quote."""
    raw = "  “Why Is My\u00a0Skin Darker?  - Glow Theory "
    assert clean_title(raw, ("Glow Theory",)) == "Why Is My Skin Darker?"
    assert clean_title("A - B C", strip_suffix=False) == "A - B C"


def test_titles_agree_on_same_words_or_prefix() -> None:
    """Case and punctuation do not matter; a title may extend the other."""
    assert titles_agree("Why Is My Skin Darker?", "why is my skin darker")
    assert titles_agree("Outside the web", "Outside the web: standalone binaries")
    assert not titles_agree("Glow Theory", "Why Is My Skin Darker")
    assert not titles_agree("", "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en_US", "en-US"),
        ("en-us", "en-US"),
        ("EN", "en"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de-DE, en", "de-DE"),
        ("  fr ", "fr"),
        ("", None),
        (None, None),
        ("x", None),
        ("not a tag!", None),
        ("12-US", None),
    ],
)
def test_language_tags_get_bcp47_casing(raw: str | None, expected: str | None) -> None:
    """Language lower, script title, region upper; anything that is not a tag gives None."""
    assert normalize_language(raw) == expected


def test_decode_prefers_the_charset_argument() -> None:
    """An explicit charset wins over the document's own <meta>."""
    body = '<meta charset="utf-8"><p>caf\xe9</p>'.encode("cp1252")
    assert "café" in decode_document(body, "windows-1252")


def test_decode_uses_bom_then_meta_then_utf8() -> None:
    """A BOM decides before <meta>; a <meta> decides before the UTF-8 default."""
    assert decode_document(codecs.BOM_UTF16_LE + "hé".encode("utf-16-le")) == "hé"
    latin = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\xe9'
    assert decode_document(latin.encode("cp1252")).endswith("é")
    assert decode_document("é “”".encode()) == "é “”"
    assert decode_document(codecs.BOM_UTF8 + b"x") == "x"


def test_decode_prefers_valid_utf8_over_stale_meta() -> None:
    """A page saved as UTF-8 that still says gb2312 in <meta> decodes as UTF-8."""
    body = '<meta charset="gb2312"><title>新电脑</title>'.encode()
    assert "新电脑" in decode_document(body)


def test_decode_never_raises() -> None:
    """Unknown labels are skipped; undeclared bytes that are not UTF-8 read as windows-1252."""
    assert decode_document(b"\xff\xfeA\x00", "no-such-codec") == "A"
    assert decode_document(b'<meta charset="bogus">\xff') == '<meta charset="bogus">\xff'
    assert decode_document(b"\xe9", "utf-8") == "\ufffd"  # declared UTF-8, and it is not


@pytest.mark.parametrize(
    ("content", "charset", "expected"),
    [
        (codecs.BOM_UTF8 + "é".encode(), "iso-8859-1", "utf-8"),  # the BOM beats the header
        (codecs.BOM_UTF16_BE + "é".encode("utf-16-be"), None, "utf-16-be"),
        ("é".encode("cp1252"), "ISO-8859-1", "cp1252"),  # a header label (WHATWG: windows-1252)
        ('<meta charset="koi8-r">\xc1'.encode("latin-1"), "x-no-such", "koi8-r"),
        ('<meta charset="latin1">é'.encode(), None, "utf-8"),  # stale <meta>, UTF-8 bytes
        (b"plain ascii", None, "utf-8"),
        ("é “”".encode(), None, "utf-8"),
        ("caf\xe9 \x93quoted\x94".encode("latin-1"), None, "cp1252"),  # the last resort
    ],
)
def test_detect_encoding_follows_the_browser_order(content, charset, expected) -> None:
    """BOM, then a valid header label, then <meta>, then UTF-8, then windows-1252."""
    assert detect_encoding(content, charset) == expected


def test_a_correctly_declared_legacy_page_has_no_replacement_characters() -> None:
    """Declared windows-1251 decodes exactly: no U+FFFD."""
    text = "<p>Привет, мир</p>"
    assert decode_document(text.encode("windows-1251"), "windows-1251") == text
    assert decode_document("already text") == "already text"


def test_site_name_strip_stays_fast_and_shallow_on_hostile_titles() -> None:
    """A <title> of thousands of parts neither recurses deeply nor tries every cut."""
    title = "word - " * 20000 + "end"
    assert strip_site_name(title, ("word",), ("nothing",)).endswith("word - end")
    assert strip_site_name(title, (), ("nothing",)) == title
