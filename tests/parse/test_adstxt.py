"""Tests for ``ingest.parse.adstxt``: corpus counts, every reason code, lines, and a property."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.items import AdsTxt, AdsTxtIssue, AdsTxtRecord, AdsTxtVariable
from ingest.parse.adstxt import (
    BAD_DOMAIN,
    BAD_RELATIONSHIP,
    BAD_VARIABLE_NAME,
    EMPTY_ACCOUNT_ID,
    EMPTY_FIELD,
    EMPTY_TRAILING_FIELD,
    EMPTY_VARIABLE_VALUE,
    NON_ASCII_SEPARATOR,
    REASONS,
    STRAY_BOM,
    TOO_FEW_FIELDS,
    TOO_MANY_FIELDS,
    WHITESPACE_IN_FIELD,
    _parse_line,
    declared_subdomains,
    is_placeholder,
    manager_domains,
    owner_domain,
    parse_adstxt,
)

CORPORA = Path(
    os.environ.get("INGEST_CORPORA", Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
ADSTXT_CORPUS = CORPORA / "adstxt"

# From the corpus README: valid (strict), valid (lenient), variables, invalid (strict),
# comment/blank lines.
CORPUS_COUNTS: dict[str, tuple[int, int, dict[str, int], int, int]] = {
    "allwomenstalk.com__ads.txt": (319, 319, {}, 1, 25),
    "bild.de__ads.txt": (255, 255, {"OWNERDOMAIN": 1, "MANAGERDOMAIN": 1, "SUBDOMAIN": 3}, 0, 48),
    "bild.de__app-ads.txt": (91, 91, {"OWNERDOMAIN": 1, "MANAGERDOMAIN": 1, "SUBDOMAIN": 3}, 0, 22),
    "cas.ai__app-ads.txt": (4653, 4653, {"OWNERDOMAIN": 1, "INVENTORYPARTNERDOMAIN": 1}, 0, 28),
    "govtrack.us__ads.txt": (438, 439, {"MANAGERDOMAIN": 1, "OWNERDOMAIN": 1}, 19, 83),
    "iab-adstxtcrawler__content_blue_com__ads.txt": (0, 0, {"CONTENTDISTRIBUTORDOMAIN": 1}, 2, 1),
    "iab-adstxtcrawler__mvpd_red_com__ads.txt": (0, 0, {"CONTENTPRODUCERDOMAIN": 2}, 2, 1),
    "iab-spec-v1.1__ex4.3__ads.txt": (5, 5, {}, 0, 1),
    "iab-spec-v1.1__ex4.4__ads.txt": (2, 2, {"CONTACT": 2}, 0, 1),
    "iab-spec-v1.1__ex4.5-1__ads.txt": (2, 2, {"SUBDOMAIN": 1}, 0, 1),
    "iab-spec-v1.1__ex4.5-2__ads.txt": (2, 2, {}, 0, 1),
    "iab-spec-v1.1__ex4.6__app-ads.txt": (1, 1, {"INVENTORYPARTNERDOMAIN": 1}, 0, 1),
    "iab-spec-v1.1__ex4.8__ads.txt": (1, 1, {"OWNERDOMAIN": 1, "MANAGERDOMAIN": 2}, 0, 1),
    "iab-spec-v1.1__ex4.9__ads.txt": (1, 1, {}, 0, 0),
    "perry-mitchell-ads.txt__invalid.ads.txt": (1, 1, {}, 2, 0),
    "perry-mitchell-ads.txt__valid.ads.txt": (
        7,
        7,
        {"CONTACT": 1, "SUBDOMAIN": 1, "TESTVAR": 3},
        0,
        4,
    ),
    "spring-media-adsolutions__source-adtechnology.axelspringer.com__ads.txt": (
        0,
        0,
        {"OWNERDOMAIN": 1, "MANAGERDOMAIN": 1},
        0,
        0,
    ),
    "spring-media-adsolutions__source-politico.eu__app-ads.txt": (0, 0, {}, 0, 0),
}

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    """Split text into lines the way the spec says (LF, CRLF or CR), after a leading BOM."""
    return _LINE_BREAK.split(text.removeprefix("\ufeff"))


def _content_line_numbers(text: str) -> set[int]:
    """Numbers of lines that hold something besides whitespace, U+FEFF and a comment."""
    return {
        number
        for number, line in enumerate(_lines(text), start=1)
        if line.partition("#")[0].replace("\ufeff", "").strip()
    }


def _accounted_lines(parsed: AdsTxt) -> list[int]:
    """Line numbers of every record, variable and issue (with repeats, if any)."""
    return [
        *(record.line for record in parsed.records),
        *(variable.line for variable in parsed.variables),
        *(issue.line for issue in parsed.issues),
    ]


# --- the corpus ---------------------------------------------------------------------------


@pytest.mark.skipif(not ADSTXT_CORPUS.is_dir(), reason=f"corpus not found at {ADSTXT_CORPUS}")
def test_corpus_lists_every_file() -> None:
    """The count table covers exactly the files in the corpus folder."""
    assert {path.name for path in ADSTXT_CORPUS.glob("*.txt")} == set(CORPUS_COUNTS)


@pytest.mark.skipif(not ADSTXT_CORPUS.is_dir(), reason=f"corpus not found at {ADSTXT_CORPUS}")
@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
@pytest.mark.parametrize("name", sorted(CORPUS_COUNTS))
def test_corpus_counts(name: str, lenient: bool) -> None:
    """Each corpus file parses to the README's valid/variable/invalid/comment counts."""
    valid_strict, valid_lenient, variables, invalid_strict, blank = CORPUS_COUNTS[name]
    content = (ADSTXT_CORPUS / name).read_bytes()
    parsed = parse_adstxt(content, lenient=lenient)

    valid = valid_lenient if lenient else valid_strict
    invalid = invalid_strict - (valid_lenient - valid_strict if lenient else 0)
    assert len(parsed.records) == valid
    assert Counter(variable.name for variable in parsed.variables) == Counter(variables)
    assert len(parsed.issues) == invalid

    text = content.decode("utf-8")
    line_count = len(_lines(text)) - (1 if text.endswith(("\n", "\r")) or not text else 0)
    accounted = len(_accounted_lines(parsed))
    assert line_count - accounted == blank


@pytest.mark.skipif(not ADSTXT_CORPUS.is_dir(), reason=f"corpus not found at {ADSTXT_CORPUS}")
def test_corpus_govtrack_issue_reasons() -> None:
    """govtrack.us's bad lines are its banner/label lines and one cert id with a remark."""
    parsed = parse_adstxt((ADSTXT_CORPUS / "govtrack.us__ads.txt").read_bytes())
    reasons = Counter(issue.reason for issue in parsed.issues)
    assert reasons == {TOO_FEW_FIELDS: 18, WHITESPACE_IN_FIELD: 1}
    (spaced,) = (issue for issue in parsed.issues if issue.reason == WHITESPACE_IN_FIELD)
    assert spaced == AdsTxtIssue(
        29, "sharethrough.com, zJ0DuQhf, RESELLER, d53b998a7bd4ecd2 (Google Ob)", spaced.reason
    )
    lenient = parse_adstxt((ADSTXT_CORPUS / "govtrack.us__ads.txt").read_bytes(), lenient=True)
    (record,) = (record for record in lenient.records if record.line == 29)
    assert record.certification_id == "d53b998a7bd4ecd2"


# --- reason codes ---------------------------------------------------------------------------

REASON_CASES = [
    ("\ufeffa.com, 1, DIRECT", STRAY_BOM),
    ("  \ufeffcontact=x", STRAY_BOM),
    ("my var=1", BAD_VARIABLE_NAME),
    ("=value", BAD_VARIABLE_NAME),
    ("contact=", EMPTY_VARIABLE_VALUE),
    ("contact=   # only a comment", EMPTY_VARIABLE_VALUE),
    ("a.com\uff0c 1\uff0c DIRECT", NON_ASCII_SEPARATOR),
    ("a.com, 1, DIRECT\u3001 abc", NON_ASCII_SEPARATOR),
    ("Appnexus:", TOO_FEW_FIELDS),
    ("a.com, 1", TOO_FEW_FIELDS),
    ("-------****-------", TOO_FEW_FIELDS),
    ("a.com, 1, DIRECT, abc,", EMPTY_TRAILING_FIELD),
    ("a.com, 1, DIRECT, abc, def", TOO_MANY_FIELDS),
    ("a.com, 1, DIRECT, abc, ,", TOO_MANY_FIELDS),
    (", 1, DIRECT", EMPTY_FIELD),
    ("a.com, 1, ", EMPTY_FIELD),
    ("a .com, 1, DIRECT", WHITESPACE_IN_FIELD),
    ("a.com, 1 2, DIRECT", WHITESPACE_IN_FIELD),
    ("a.com, 1, DIRECT RESELLER", WHITESPACE_IN_FIELD),
    ("a.com, 1, DIRECT, abc (x)", WHITESPACE_IN_FIELD),
    ("a.com, 1\u00a02, DIRECT", WHITESPACE_IN_FIELD),
    ("green_ssp.com, 1, DIRECT", BAD_DOMAIN),
    ("localhost, 1, DIRECT", BAD_DOMAIN),
    ("a..com, 1, DIRECT", BAD_DOMAIN),
    ("-a.com, 1, DIRECT", BAD_DOMAIN),
    ("a-.com, 1, DIRECT", BAD_DOMAIN),
    ("1.2.3.4, 1, DIRECT", BAD_DOMAIN),
    ("b\u00fccher.de, 1, DIRECT", BAD_DOMAIN),
    (f"{'a' * 64}.com, 1, DIRECT", BAD_DOMAIN),
    ("<html>, 1, DIRECT", BAD_DOMAIN),
    ("a.com, , DIRECT", EMPTY_ACCOUNT_ID),
    ("a.com, 1, DIRECT/RESELLER", BAD_RELATIONSHIP),
    ("a.com, 1, UNKNOWN", BAD_RELATIONSHIP),
    ("a.com, 1, RESELLERe1a5", BAD_RELATIONSHIP),
]


@pytest.mark.parametrize(("line", "reason"), REASON_CASES)
def test_reason_code(line: str, reason: str) -> None:
    """A bad line on line 2 becomes one issue with its raw text and the stated reason."""
    parsed = parse_adstxt(f"ok.com, 1, DIRECT\n{line}\nok.com, 2, DIRECT\n")
    assert parsed.issues == (AdsTxtIssue(2, line, reason),)
    assert [record.line for record in parsed.records] == [1, 3]
    assert parsed.variables == ()


def test_every_reason_code_has_a_case() -> None:
    """Each documented reason code is exercised above, and no undocumented code is."""
    assert {reason for _, reason in REASON_CASES} == REASONS


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\ufeffa.com, 1, DIRECT", AdsTxtRecord(2, "a.com", "1", "DIRECT")),
        ("a.com, 1, DIRECT, abc,", AdsTxtRecord(2, "a.com", "1", "DIRECT", "abc")),
        ("a.com, 1, DIRECT, ,", AdsTxtRecord(2, "a.com", "1", "DIRECT")),
        ("a.com, 1, DIRECT, abc (Google Ob)", AdsTxtRecord(2, "a.com", "1", "DIRECT", "abc")),
    ],
)
def test_lenient_accepts(line: str, expected: AdsTxtRecord) -> None:
    """Lenient mode turns a stray BOM, a trailing empty field and a remark into a record."""
    parsed = parse_adstxt(f"ok.com, 1, DIRECT\n{line}\n", lenient=True)
    assert parsed.issues == ()
    assert parsed.records[1] == expected


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("a.com, 1 2, DIRECT, abc", WHITESPACE_IN_FIELD),
        ("a.com, 1, DIRECT, abc, def", TOO_MANY_FIELDS),
        ("a.com, 1, DIRECT, abc, ,", TOO_MANY_FIELDS),
        ("green_ssp.com, 1, DIRECT", BAD_DOMAIN),
    ],
)
def test_lenient_still_rejects(line: str, reason: str) -> None:
    """Lenient mode relaxes only its three rules: other bad lines stay issues."""
    assert parse_adstxt(line, lenient=True).issues == (AdsTxtIssue(1, line, reason),)


# --- records, variables, lines --------------------------------------------------------------


def test_record_fields() -> None:
    """A record keeps the account id exactly, lower-cases the domain, upper-cases the relation."""
    parsed = parse_adstxt("Google.COM , pub-AbC ,\treseller , f08c47fec0942fa0 ")
    assert parsed == AdsTxt(
        records=(AdsTxtRecord(1, "google.com", "pub-AbC", "RESELLER", "f08c47fec0942fa0"),)
    )


def test_empty_certification_field_is_absent() -> None:
    """An empty fourth field (``DIRECT,``) is a valid record without a certification id."""
    assert parse_adstxt("a.com, 1, DIRECT,").records == (AdsTxtRecord(1, "a.com", "1", "DIRECT"),)


def test_extension_data_is_kept_verbatim() -> None:
    """Everything after the first ``;`` is extension data, trimmed but otherwise untouched."""
    parsed = parse_adstxt("a.com, 1, DIRECT, abc; ext=1;Foo, bar  # note")
    assert parsed.records == (AdsTxtRecord(1, "a.com", "1", "DIRECT", "abc", "ext=1;Foo, bar"),)
    assert parse_adstxt("a.com, 1, DIRECT;").records[0].extension is None


def test_comments_anywhere() -> None:
    """``#`` starts a comment at any position, also inside a variable's value."""
    text = "# whole line\n  # indented\na.com, 1, DIRECT#tail\ncontact=ops@a.com # who\n#x=1"
    parsed = parse_adstxt(text)
    assert parsed.records == (AdsTxtRecord(3, "a.com", "1", "DIRECT"),)
    assert parsed.variables == (AdsTxtVariable(4, "CONTACT", "ops@a.com"),)
    assert parsed.issues == ()


def test_variable_names_are_case_insensitive_and_unknown_names_kept() -> None:
    """Variable names are upper-cased; values keep commas and case; unknown names stay."""
    text = (
        "contact=Jane%20Doe\nOwnerDomain=cas.ai\nMANAGERDOMAIN=m.com, FR\n"
        "subdomain = sub.a.com\ntestvar=Value1\ninventorypartnerdomain=p.com"
    )
    assert parse_adstxt(text).variables == (
        AdsTxtVariable(1, "CONTACT", "Jane%20Doe"),
        AdsTxtVariable(2, "OWNERDOMAIN", "cas.ai"),
        AdsTxtVariable(3, "MANAGERDOMAIN", "m.com, FR"),
        AdsTxtVariable(4, "SUBDOMAIN", "sub.a.com"),
        AdsTxtVariable(5, "TESTVAR", "Value1"),
        AdsTxtVariable(6, "INVENTORYPARTNERDOMAIN", "p.com"),
    )


def test_equals_in_a_record_is_not_a_variable() -> None:
    """A line with a comma before its ``=`` is a record (the ``=`` is in a field)."""
    assert parse_adstxt("a.com, id=1, DIRECT").records == (
        AdsTxtRecord(1, "a.com", "id=1", "DIRECT"),
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(newline: str) -> None:
    """LF, CRLF and a lone CR each end a line, so line numbers agree across them."""
    text = newline.join(["# c", "a.com, 1, DIRECT", "", "contact=x", "bad", ""])
    parsed = parse_adstxt(text.encode())
    assert parsed == AdsTxt(
        records=(AdsTxtRecord(2, "a.com", "1", "DIRECT"),),
        variables=(AdsTxtVariable(4, "CONTACT", "x"),),
        issues=(AdsTxtIssue(5, "bad", TOO_FEW_FIELDS),),
    )


def test_mixed_line_endings() -> None:
    """Line endings may be mixed in one file; a CR LF pair is one break."""
    parsed = parse_adstxt(b"a.com, 1, DIRECT\rb.com, 2, DIRECT\r\n\nc.com, 3, DIRECT")
    assert [record.line for record in parsed.records] == [1, 2, 4]


def test_leading_bom_is_dropped() -> None:
    """A UTF-8 BOM before the first line is not part of the first field."""
    parsed = parse_adstxt(b"\xef\xbb\xbfa.com, 1, DIRECT\r\n")
    assert parsed == AdsTxt(records=(AdsTxtRecord(1, "a.com", "1", "DIRECT"),))


def test_stray_bom_inside_a_line_is_dropped() -> None:
    """A U+FEFF that is not before field 1 is removed in strict mode too."""
    parsed = parse_adstxt("a.com,\ufeff 1, DIRECT\ufeff")
    assert parsed.records == (AdsTxtRecord(1, "a.com", "1", "DIRECT"),)


def test_invalid_utf8_is_replaced() -> None:
    """Undecodable bytes become U+FFFD instead of raising; the line is still judged."""
    parsed = parse_adstxt(b"a.com, \xff\xfe, DIRECT\n\xffbad\n")
    assert parsed.records == (AdsTxtRecord(1, "a.com", "\ufffd\ufffd", "DIRECT"),)
    assert parsed.issues == (AdsTxtIssue(2, "\ufffdbad", TOO_FEW_FIELDS),)


@pytest.mark.parametrize("content", [b"", "", "\n\n", "\ufeff", "# only\r\n  \t\r\n"])
def test_empty_file(content: bytes | str) -> None:
    """An empty (or comment-only) file parses to nothing at all."""
    assert parse_adstxt(content) == AdsTxt()


def test_duplicates_are_kept_in_order() -> None:
    """Records are not de-duplicated: the store counts duplicates."""
    parsed = parse_adstxt("a.com, 1, DIRECT\nA.com, 1, direct\na.com, 1, DIRECT")
    assert [record.line for record in parsed.records] == [1, 2, 3]
    assert len(set(parsed.records)) == 3


# --- properties ---------------------------------------------------------------------------

_ADSTXT_ALPHABET = st.sampled_from(
    [*"ab.c-_1,;=# \t\r\n", "\ufeff", "\uff0c", "\u00a0", "DIRECT", "reseller", "contact", "é"]
)
_ADSTXT_TEXT = st.lists(_ADSTXT_ALPHABET | st.characters(), max_size=80).map("".join)


@given(text=_ADSTXT_TEXT, lenient=st.booleans())
def test_every_content_line_is_accounted_for_once(text: str, lenient: bool) -> None:
    """Each non-blank, non-comment line is exactly one record, variable or issue."""
    parsed = parse_adstxt(text, lenient=lenient)
    accounted = _accounted_lines(parsed)
    assert len(accounted) == len(set(accounted))
    assert set(accounted) == _content_line_numbers(text)
    lines = _lines(text)
    for issue in parsed.issues:
        assert issue.raw == lines[issue.line - 1]
        assert issue.reason in REASONS
    for record in parsed.records:
        assert record.relationship in {"DIRECT", "RESELLER"}
        assert record.domain == record.domain.lower()
        assert record.account_id


@given(content=st.binary(max_size=200), lenient=st.booleans())
def test_arbitrary_bytes_never_raise(content: bytes, lenient: bool) -> None:
    """Any bytes parse, and the lines of their UTF-8 (replace) decoding are all accounted for."""
    parsed = parse_adstxt(content, lenient=lenient)
    text = content.decode("utf-8", errors="replace")
    assert sorted(_accounted_lines(parsed)) == sorted(_content_line_numbers(text))


_BAD_FIELD = st.sampled_from(["", " ", "x y", "\x0b", "é", "\ufeff", "=", "#", "a,b"])


def _mostly(*good: str) -> st.SearchStrategy[str]:
    """One of ``good`` four times in five, else a field that breaks a rule."""
    return st.one_of(*[st.sampled_from(good)] * 4, _BAD_FIELD)


_RECORD_LINE = st.tuples(
    _mostly("a.com", "B.Example.ORG", "x-y.co", "-a.com", "a..com", "1.2.3.4", "a" * 254),
    _mostly(",", ", ", " ,\t", "\x1c,", ",\u00a0", "\uff0c", ";"),
    _mostly("pub-1", "ID=7", "0"),
    _mostly(",", ", ", " ,\t", "\x1c,"),
    _mostly("DIRECT", "Reseller", "direct", "direkt"),
    _mostly("", ", f08c47fec0942fa0", ",TAG", ",", ", a b"),
    _mostly("", ";", "; ext=1 ", " ;x", ", ,", "  "),
).map("".join)


@settings(max_examples=300)
@given(line=_RECORD_LINE, lenient=st.booleans())
def test_clean_line_shortcut_agrees_with_the_full_rules(line: str, lenient: bool) -> None:
    """The one-regex path for clean record lines reads every line as the full rules do."""
    body = line.partition("#")[0]
    expected = _parse_line(2, line, body, lenient=lenient)
    parsed = parse_adstxt(
        "# line 1 keeps a leading U+FEFF from being the file's BOM\n" + line, lenient=lenient
    )
    assert [*parsed.records, *parsed.variables, *parsed.issues] == (
        [] if expected is None else [expected]
    )


# --- meaning of the lines -----------------------------------------------------------------


def test_unique_records_keep_the_first_and_count_repeats() -> None:
    """Same fields (any case of relationship/domain) count as one record; repeats are counted."""
    parsed = parse_adstxt("a.com, 1, DIRECT\nA.com, 1, direct\nb.com, 1, DIRECT\na.com, 1, DIRECT")
    records, duplicates = parsed.unique_records()
    assert [(r.line, r.domain) for r in records] == [(1, "a.com"), (3, "b.com")]
    assert duplicates == 2


def test_placeholder_means_no_seller_but_empty_does_not() -> None:
    """The placeholder record marks 'no seller authorised'; an empty file is just empty."""
    placeholder = "placeholder.example.com, placeholder, DIRECT, placeholder\n"
    assert is_placeholder(parse_adstxt(placeholder))
    assert not is_placeholder(parse_adstxt(""))
    assert not is_placeholder(parse_adstxt(placeholder + "a.com, 1, DIRECT"))


def test_owner_and_manager_domains() -> None:
    """The first OWNERDOMAIN counts; MANAGERDOMAIN splits an optional country code."""
    parsed = parse_adstxt(
        "OWNERDOMAIN=Owner.com\nownerdomain=second.com\n"
        "MANAGERDOMAIN=m.com\nmanagerdomain=de.m.com, de\n"
    )
    assert owner_domain(parsed) == "owner.com"
    assert manager_domains(parsed) == (("m.com", None), ("de.m.com", "DE"))
    assert owner_domain(AdsTxt()) is None


def test_declared_subdomains_only_below_the_host() -> None:
    """SUBDOMAIN= values below the file's host are followed, once each; others are ignored."""
    parsed = parse_adstxt(
        "SUBDOMAIN=sport.bild.de\nsubdomain=Sport.Bild.de\nSUBDOMAIN=evil.com\n"
        "SUBDOMAIN=bild.de\nSUBDOMAIN=not a host.bild.de\nSUBDOMAIN=a.b.bild.de"
    )
    assert declared_subdomains(parsed, "bild.de") == ("sport.bild.de", "a.b.bild.de")
