from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.items import Article, Caption, ListBlock, NotAnArticle, Section
from ingest.parse.html import parse_article, parse_page

ROOT = Path(__file__).resolve().parents[2]
SKINCARE = ROOT / "fixtures" / "skincare"
GOLDENS = sorted(
    path
    for path in (SKINCARE / "expected").glob("*.json")
    if "is_article" in json.loads(path.read_text(encoding="utf-8"))
)
CORPORA = Path(os.environ.get("INGEST_CORPORA", ROOT.parent / "shared" / "corpora"))
URL = "http://127.0.0.1:8765/post/"
FILLER = "Microneedling stimulates collagen and elastin in the treated skin. " * 4


def _page_for(url: str) -> Path:
    path = urlsplit(url).path.strip("/")
    return SKINCARE / "site" / path / "index.html" if path else SKINCARE / "site" / "index.html"


def _as_golden(article: Article) -> dict[str, object]:
    return {
        "url": article.url,
        "title": article.title,
        "description": article.description,
        "language": article.language,
        "sections": [
            {
                "heading": s.heading,
                "level": s.level,
                "paragraphs": list(s.paragraphs),
                "lists": [
                    {"after": b.after, "ordered": b.ordered, "items": list(b.items)}
                    for b in s.lists
                ],
                "captions": [{"text": c.text, "after": c.after} for c in s.captions],
            }
            for s in article.sections
        ],
    }


def _all_text(article: Article) -> str:
    return "\n".join([article.title, *(f"{s.heading}\n{s.text}" for s in article.sections)])


def test_goldens_exist() -> None:
    """The skincare fixture site has golden pages, so the parametrized case below runs."""
    assert len(GOLDENS) >= 4


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.stem)
def test_golden_page(golden: Path) -> None:
    """Each fixture page extracts exactly as its golden file; chrome strings never show up."""
    expected = json.loads(golden.read_text(encoding="utf-8"))
    content = _page_for(expected["url"]).read_bytes()
    result = parse_page(content, expected["url"])
    if not expected["is_article"]:
        assert isinstance(result, NotAnArticle)
        assert result.url == expected["url"]
        return
    assert isinstance(result, Article)
    assert _as_golden(result) == expected["extract"]
    assert parse_article(content, expected["url"]) == result
    text = _all_text(result)
    for needle in expected["must_contain"]:
        assert needle in text
    for needle in expected["must_not_contain"]:
        assert needle not in text


PAGES = ROOT / "fixtures" / "pages"
PAGE_GOLDENS = sorted((PAGES / "expected").glob("*.json"))


@pytest.mark.parametrize("golden", PAGE_GOLDENS, ids=lambda p: p.stem)
def test_chrome_fixture_page(golden: Path) -> None:
    """Each hand-written chrome page extracts exactly as its golden; no chrome text survives.

    Non-articles (listing, soft-404, login, block page) are recognised with their reason.
    """
    expected = json.loads(golden.read_text(encoding="utf-8"))
    content = (PAGES / f"{golden.stem}.html").read_bytes()
    result = parse_page(content, expected["url"])
    if not expected["is_article"]:
        assert isinstance(result, NotAnArticle)
        assert result.reason.startswith(expected["reason_starts_with"])
        return
    assert isinstance(result, Article)
    assert _as_golden(result) == expected["extract"]
    text = _all_text(result).casefold()
    for needle in expected["must_contain"]:
        assert needle.casefold() in text
    for needle in expected["must_not_contain"]:
        assert needle.casefold() not in text


def test_chrome_fixture_pages_exist() -> None:
    """The chrome pages and the three kinds of non-article are all there."""
    assert {p.stem for p in PAGE_GOLDENS} >= {
        "chrome-blog",
        "chrome-news",
        "listing",
        "soft-404",
        "login",
        "blocked",
    }


def test_article_about_404s_stays_an_article() -> None:
    """A long article whose title mentions 404 is not a soft-404."""
    body = f"<article><h1>Fixing 404 errors</h1><p>{FILLER * 6}</p></article>"
    assert isinstance(parse_page(_page(body, "<title>Fixing 404 errors</title>"), URL), Article)


def _page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_title_h1_is_not_a_section_and_intro_is_level_zero() -> None:
    """Text before the first heading is a level-0 section; the title h1 opens no section."""
    html = _page(
        f"<article><header><h1>The  Title</h1></header><p>Intro {FILLER}</p>"
        "<h2>First</h2><p>One.</p><h3>Sub</h3><h2>Second</h2><p>Two.</p></article>"
    )
    article = parse_article(html, URL)
    assert article.title == "The Title"
    assert [(s.heading, s.level) for s in article.sections] == [
        ("", 0),
        ("First", 2),
        ("Sub", 3),
        ("Second", 2),
    ]
    assert article.sections[0].paragraphs == (f"Intro {FILLER}".strip(),)
    assert article.sections[2].paragraphs == ()


def test_title_prefers_agreeing_h1_over_suffixed_title_tag() -> None:
    """<title> "X - Site" and an h1 "“X?" give "X?": no suffix, no stray quote."""
    html = _page(
        f"<main><h1>\u201cWhy Is It?</h1><p>{FILLER}</p></main>",
        "<title>Why Is It - Site</title><meta property='og:site_name' content='Site'>",
    )
    assert parse_article(html, URL).title == "Why Is It?"


def test_title_falls_back_to_metadata_without_h1() -> None:
    """Without any h1, og:title (site name removed) is the title; JSON-LD headline next."""
    head = (
        "<meta property='og:title' content='Real Title | Glow'>"
        "<meta property='og:site_name' content='Glow'><title>Other</title>"
    )
    assert parse_article(_page(f"<p>{FILLER}</p>", head), URL).title == "Real Title"
    ld = '<script type="application/ld+json">{"@graph":[{"headline":"From LD"}]}</script>'
    assert parse_article(_page(f"<p>{FILLER}</p>", ld), URL).title == "From LD"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (f"<article><p>{FILLER}</p></article>", "Tide pools at dawn - Jane Roe"),
        (f"<article><h1>Tide pools at dawn</h1><p>{FILLER}</p></article>", "Tide pools at dawn"),
    ],
)
def test_json_ld_headline_loses_a_site_name_suffix_too(body: str, title: str) -> None:
    """A headline "X - Author - Site" loses the named site; the rest only where an h1 says X."""
    head = (
        '<script type="application/ld+json">{"headline":"Tide pools at dawn - Jane Roe - Glow"}'
        "</script><meta property='og:site_name' content='Glow'>"
    )
    assert parse_article(_page(body, head), URL).title == title


def test_an_underscore_joins_a_title_to_its_section_and_site() -> None:
    """Chinese portals write "标题_频道_网站" in <title>: the h1 confirms what the title is."""
    head = "<title>DeepMind新电脑已可利用记忆自学_科技_腾讯网</title>"
    body = f"<article><h1>DeepMind新电脑已可利用记忆自学</h1><p>{FILLER}</p></article>"
    assert parse_article(_page(body, head), URL).title == "DeepMind新电脑已可利用记忆自学"


@pytest.mark.parametrize(
    "head",
    [
        (
            "<title>draft-tide-pools-04 - Tide Pools</title>"
            "<meta name='DC.Title' content='Tide Pools'>"
            "<meta property='og:title' content='Tide pools, a draft'>"
        ),
        "<title>draft-tide-pools-04</title><meta name='dcterms.title' content='Tide Pools'>",
    ],
)
def test_dublin_core_title_comes_before_og_title_and_the_title_tag(head: str) -> None:
    """``DC.title`` (document sites declare it) beats og:title and a ``<title>`` naming a file."""
    assert parse_article(_page(f"<p>{FILLER}</p>", head), URL).title == "Tide Pools"


def test_highlighted_code_keeps_its_text() -> None:
    """A highlighter's ``language-c`` is no language switcher, its ``token comment`` no thread."""
    code = (
        '<div class="language-c highlighter-rouge"><pre class="language-c">'
        '<code class="language-c"><span class="token comment">// add.c</span><br>'
        '<span class="token keyword">int</span> add(int x, int y)</code></pre></div>'
    )
    switcher = '<div class="language-switcher"><a href="/fr/">Fran\u00e7ais</a></div>'
    html = _page(f"<article><h1>Add</h1><p>{FILLER}</p>{code}{switcher}<p>{FILLER}</p></article>")
    text = "\n".join(s.text for s in parse_article(html, URL).sections)
    assert "// add.c" in text
    assert "int add(int x, int y)" in text
    assert "Fran\u00e7ais" not in text


def test_a_dateline_opening_a_paragraph_and_a_prose_header_are_content() -> None:
    """A "CAIRO \u2014" dateline runs into its sentence; a <header> of prose is a lede."""
    lede = "Neuroscience tells us most of the work of our brains is unconscious. " * 2
    html = _page(
        f"<article><h1>Museum attack</h1><header>{lede}</header>"
        '<header><a href="/">Glow</a></header>'
        '<p><span class="dateline">CAIRO —</span> Gunmen opened fire on visitors at the'
        f' museum on Wednesday.</p><div class="dateline">Updated 5:27 am</div><p>{FILLER}</p>'
        "</article>"
    )
    text = "\n".join(s.text for s in parse_article(html, URL).sections)
    assert "CAIRO — Gunmen opened fire" in text
    assert lede.strip() in text
    assert "Updated 5:27" not in text
    assert "Glow" not in text


def test_captions_are_kept_apart_in_their_place() -> None:
    """Figure captions and credits by class go to their section's captions, never its text.

    A caption before any text waits for the first section with some; one inside a list item
    is kept though the item's text leaves it out; one under a trailing empty heading stays.
    """
    credit = (
        '<div class="wp-caption"><img src="/a.jpg"><p class="wp-caption-text">A cloche</p></div>'
    )
    html = _page(
        "<article><h1>Terrarium</h1>"
        '<figure><img src="/lead.jpg"><figcaption>The lead photo'
        f' <span class="credit">L. Akins</span></figcaption></figure><p>{FILLER}</p>{credit}'
        "<p>Step two.</p><ul><li>Moss<figure><figcaption>Moss, close up</figcaption></figure>"
        "</li><li>Glass</li></ul>"
        "<h2>Finished</h2><p>Done.</p><h2>Gallery</h2>"
        "<figure><img src='/b.jpg'><figcaption>On a saucer</figcaption></figure></article>"
    )
    first, finished = parse_article(html, URL).sections
    assert first.captions == (
        Caption("The lead photo L. Akins", 0),
        Caption("A cloche", 1),
        Caption("Moss, close up", 2),
    )
    assert first.paragraphs == (FILLER.strip(), "Step two.")
    assert first.lists[0].items == ("Moss", "Glass")
    assert finished.captions == (Caption("On a saucer", 1),)
    text = first.text + finished.text
    assert "cloche" not in text
    assert "Akins" not in text


def test_a_caption_nested_in_a_caption_is_kept_once() -> None:
    """Inside a list or a table (read as a whole) as in running text: the outer caption holds it."""

    def figure(subject: str) -> str:
        return (
            f"<figure><figcaption>{subject} <figcaption>J. Doe</figcaption></figcaption></figure>"
        )

    html = _page(
        f"<article><h1>Terrarium</h1><p>{FILLER}</p><ul><li>Moss{figure('Moss')}</li>"
        f"<li>Glass</li></ul><table><tr><td>Jar</td><td>{figure('A jar')}</td></tr></table>"
        f"<p>Done.</p>{figure('The lid')}</article>"
    )
    (section,) = parse_article(html, URL).sections
    assert section.captions == (
        Caption("Moss J. Doe", 1),
        Caption("A jar J. Doe", 1),
        Caption("The lid J. Doe", 3),
    )


def test_declared_title_wins_over_a_different_h1() -> None:
    """og:title, not a display h1 with other words, is the title; the h1 still opens no section."""
    html = _page(
        f"<article><h1>Make it yours</h1><p>{FILLER}</p></article>",
        "<meta property='og:title' content='Browser \u2014 Customize and make it your own'>",
    )
    article = parse_article(html, URL)
    assert article.title == "Browser \u2014 Customize and make it your own"
    assert [s.heading for s in article.sections] == [""]


def test_title_suffix_goes_only_when_it_names_the_site_or_an_h1_confirms() -> None:
    """An unnamed last part stays unless the content's h1 is what is left; the domain names too."""
    head = "<title>On Recent Events - Jane Q. Writer (jqw)</title>"
    body = f"<main><p>{FILLER}</p></main>"
    assert parse_article(_page(body, head), URL).title == "On Recent Events - Jane Q. Writer (jqw)"
    confirmed = f"<main><h1>On Recent Events</h1><p>{FILLER}</p></main>"
    head = "<title>On Recent Events - Jane Writer</title>"
    assert parse_article(_page(confirmed, head), URL).title == "On Recent Events"
    head = "<title>Ferry route approved | Harbour Gazette</title>"
    gazette = "https://www.harbourgazette.example/news/ferry"
    assert parse_article(_page(body, head), URL).title == "Ferry route approved | Harbour Gazette"
    head = "<title>Ferry route approved | HarbourGazette</title>"
    assert parse_article(_page(body, head), gazette).title == "Ferry route approved"


def test_a_declared_title_that_is_only_the_site_name_yields_to_the_h1() -> None:
    """og:title "Shoreline Notes" (the og:site_name) says nothing: the content's h1 is the title."""
    html = _page(
        f"<article><h1>How Tide Pools Survive</h1><p>{FILLER}</p></article>",
        "<meta property='og:title' content='Shoreline Notes'>"
        "<meta property='og:site_name' content='Shoreline Notes'>",
    )
    assert parse_article(html, URL).title == "How Tide Pools Survive"


def test_a_logo_h1_outside_the_content_confirms_no_cut() -> None:
    """A header h1 equal to the <title>'s first part is the site's logo, not the title."""
    html = _page(
        f"<header><h1>Blog Name</h1></header><article><p>{FILLER}</p></article>",
        "<title>Blog Name :: A post about tide pools</title>",
    )
    assert parse_article(html, URL).title == "Blog Name :: A post about tide pools"


@pytest.mark.parametrize(
    ("h1", "title", "expected"),
    [
        (
            "A post about tide pools",
            "A post about tide pools _Science _Portal",
            "A post about tide pools",
        ),
        (
            "Tide",
            "Tide - Pools Weekly",
            "Tide - Pools Weekly",
        ),  # a logo: "Tide" is the shorter part
    ],
)
def test_an_h1_outside_the_content_confirms_a_cut_that_keeps_the_longer_part(
    h1: str, title: str, expected: str
) -> None:
    """Portals put the headline's h1 above the content: it confirms a cut when it is the title.

    A site's logo h1 equal to the first part confirms no cut: that part is shorter than the rest.
    """
    body = f"<header><h1>{h1}</h1></header><article><p>{FILLER}</p></article>"
    assert parse_article(_page(body, f"<title>{title}</title>"), URL).title == expected


@pytest.mark.parametrize(
    ("title", "logo_href", "expected"),
    [
        (
            "Outside the web: standalone binaries \u00b7 V8",
            "/",
            "Outside the web: standalone binaries",
        ),
        (
            "V8 :: Outside the web: standalone binaries",
            "http://127.0.0.1:8765/",
            "Outside the web: standalone binaries",
        ),
        (
            "Outside the web: standalone binaries \u00b7 V8",
            "/blog/",
            "Outside the web: standalone binaries \u00b7 V8",
        ),
        (
            "Outside the web: standalone binaries \u00b7 V8",
            "https://other.example/",
            "Outside the web: standalone binaries \u00b7 V8",
        ),
    ],
)
def test_an_h1_linking_to_the_home_page_is_the_site_name(
    title: str, logo_href: str, expected: str
) -> None:
    """A logo h1 (all one link to the site's root) names the site: the title loses it."""
    html = _page(
        f"<header><h1><a href='{logo_href}'>V8</a></h1></header><article><p>{FILLER}</p></article>",
        f"<title>{title}</title>",
    )
    article = parse_article(html, URL)
    assert article.title == expected
    assert article.site_name == ("V8" if expected != title else None)


def test_json_ld_in_cdata_and_name_over_a_descriptive_headline() -> None:
    """JSON-LD wrapped in CDATA is read; a headline that is a description yields to its name."""
    ld = (
        '<script type="application/ld+json">//<![CDATA[\n{"@type":"Article",'
        '"name":"Hermitian matrix","headline":"matrix equal to its conjugate-transpose"}\n//]]>'
        "</script><title>Hermitian matrix - Wikipedia</title>"
    )
    assert parse_article(_page(f"<p>{FILLER}</p>", ld), URL).title == "Hermitian matrix"
    ld = ld.replace('"name":"Hermitian matrix",', "").replace("//<![CDATA[", "<![CDATA[")
    ld = ld.replace("//]]>", "]]>")
    page = _page(f"<p>{FILLER}</p>", ld)
    assert parse_article(page, URL).title == "matrix equal to its conjugate-transpose"


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<!--", "-->"), ("\n  // <!--\n", "\n  // -->\n"), ("<![CDATA[", "//]]>  "), ("", "")],
)
def test_json_ld_in_a_comment_is_read(opening: str, closing: str) -> None:
    """JSON-LD behind an HTML comment (maybe after ``//``) is read without its wrapper."""
    ld = (
        f'<script type="application/ld+json">{opening}{{"@type":"Article",'
        f'"headline":"Tide pools // a field guide -->"}}{closing}</script>'
    )
    title = parse_article(_page(f"<p>{FILLER}</p>", ld), URL).title
    assert title == "Tide pools // a field guide -->"


def test_description_comes_from_meta_and_is_never_invented() -> None:
    """Meta description, else og:description, else None (not the first paragraph)."""
    og = "<meta property='og:description' content=' OG  text '>"
    both = og + "<meta name='description' content='Meta text'>"
    assert parse_article(_page(f"<p>{FILLER}</p>", both), URL).description == "Meta text"
    assert parse_article(_page(f"<p>{FILLER}</p>", og), URL).description == "OG text"
    assert parse_article(_page(f"<p>{FILLER}</p>"), URL).description is None


@pytest.mark.parametrize(
    ("html", "language"),
    [
        ('<html lang="en-us"><body><p>x</p></body></html>', "en-US"),
        ("<html><head><meta property='og:locale' content='fr_FR'></head></html>", "fr-FR"),
        ("<html><head><meta http-equiv='content-language' content='de'></head></html>", "de"),
        ("<html><body><p>x</p></body></html>", None),
    ],
)
def test_language_sources_and_casing(html: str, language: str | None) -> None:
    """<html lang>, then og:locale, then Content-Language; BCP-47 casing; None if absent."""
    assert parse_article(html, URL).language == language


def test_lists_are_flattened_in_order() -> None:
    """A nested list's items follow their parent item in the outer list block."""
    html = _page(
        f"<article><p>{FILLER}</p><ol><li>One <b>bold</b><ul><li>One.a</li><li>One.b</li>"
        "</ul></li><li>\n Two\u00a0 </li><li></li></ol></article>"
    )
    section = parse_article(html, URL).sections[0]
    items = ("One bold", "One.a", "One.b", "Two")
    assert section.lists == (ListBlock(ordered=True, items=items, after=1),)


def test_figure_caption_dropped_table_rows_kept_br_splits() -> None:
    """Figcaptions go; a data table gives a paragraph per row; two <br> split a paragraph."""
    html = _page(
        f"<article><p>{FILLER}</p><figure><img src=x><figcaption>Photo: Getty</figcaption>"
        "</figure><table><caption>Doses</caption><tr><th>Week</th><th>Dose</th></tr>"
        "<tr><td>1</td><td>low</td></tr></table><div>line one<br>same<br><br>new</div>"
        "<pre>code   here</pre><blockquote><p>Quoted.</p></blockquote></article>"
    )
    paragraphs = parse_article(html, URL).sections[0].paragraphs
    assert paragraphs[1:] == (
        "Doses",
        "Week | Dose",
        "1 | low",
        "line one same",
        "new",
        "code here",
        "Quoted.",
    )
    assert "Getty" not in _all_text(parse_article(html, URL))


def test_chrome_inside_content_is_removed() -> None:
    """Ad slots, labels, share boxes, promo boxes and the byline never reach the sections."""
    html = _page(
        '<article><header class="entry-header"><h1>T</h1><div class="entry-meta">Posted on'
        f' May 1</div></header><div class="entry-content"><p>{FILLER}</p>'
        '<div class="ad-slot"><span>Advertisement</span></div><p>Advertisement</p>'
        '<div class="promo-box"><h3>Certification</h3><p>Enroll</p></div>'
        '<div class="sharedaddy"><h3>Share this:</h3></div><p class="lead">Read on.</p>'
        "</div></article>"
    )
    article = parse_article(html, URL)
    assert article.sections == (Section("", 0, (FILLER.strip(), "Read on.")),)


def test_content_prefers_article_body_over_page_text() -> None:
    """Menus, sidebars and footers outside the content block are not extracted."""
    html = _page(
        '<nav><a href="/">Home</a></nav><div class="sidebar"><p>Sidebar words here.</p></div>'
        f'<div itemprop="articleBody"><p>{FILLER}</p></div><footer>All rights reserved</footer>'
    )
    assert _all_text(parse_article(html, URL)).strip() == FILLER.strip()


def test_content_found_by_density_without_hints() -> None:
    """With no article markup, the block with the most prose wins over link lists."""
    links = "".join(f'<a href="/{i}">Link {i}</a> ' for i in range(30))
    html = _page(f"<div>{links}</div><div><div><p>{FILLER}</p><p>{FILLER}</p></div></div>")
    article = parse_article(html, URL)
    assert "Link 3" not in _all_text(article)
    assert article.sections[0].paragraphs == (FILLER.strip(), FILLER.strip())


def test_parse_page_rejects_listings_and_empty_pages() -> None:
    """Post cards, empty pages and near-empty pages are NotAnArticle; an article is not."""
    cards = "".join(
        f'<article><h2><a href="/p{i}/">Post {i}</a></h2><p>{FILLER}</p></article>'
        for i in range(4)
    )
    assert isinstance(parse_page(_page(f"<main>{cards}</main>"), URL), NotAnArticle)
    assert parse_page(b"", URL) == NotAnArticle(URL, "no body text")
    assert isinstance(parse_page(_page("<p>Too short.</p>"), URL), NotAnArticle)
    assert isinstance(parse_page(_page(f"<article><p>{FILLER}</p></article>"), URL), Article)


def test_bytes_are_decoded_with_the_declared_charset() -> None:
    """A windows-1252 page declared in <meta> decodes its accents."""
    html = _page(f"<p>Caf\xe9 {FILLER}</p>", '<meta charset="windows-1252">').encode("cp1252")
    assert parse_article(html, URL).sections[0].paragraphs[0].startswith("Café ")
    utf8 = _page(f"<p>Caf\xe9 {FILLER}</p>").encode()
    assert parse_article(utf8, URL, charset="utf-8").sections[0].paragraphs[0].startswith("Café")


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000)))
def test_parsers_never_raise_on_arbitrary_input(content: bytes | str) -> None:
    """Any bytes or text give an Article, or NotAnArticle from parse_page."""
    assert isinstance(parse_article(content, URL), Article)
    assert isinstance(parse_page(content, URL), Article | NotAnArticle)


TAGS = st.sampled_from(["div", "p", "ul", "ol", "li", "h1", "h2", "table", "tr", "td", "br"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TAGS, st.text(max_size=20), st.booleans()), max_size=60))
def test_parsers_never_raise_on_tag_soup(parts: list[tuple[str, str, bool]]) -> None:
    """Random unbalanced markup (opening and closing tags in any order) never raises."""
    html = "".join(f"<{'/' if close else ''}{tag}>{text}" for tag, text, close in parts)
    assert isinstance(parse_article(html, URL), Article)
    assert isinstance(parse_page(html, URL), Article | NotAnArticle)


def test_deeply_nested_markup_does_not_recurse() -> None:
    """Thousands of nested elements are walked without hitting Python's recursion limit."""
    html = "<div>" * 5000 + f"<p>{FILLER}</p>" + "</div>" * 5000
    assert parse_article(html, URL).sections[0].paragraphs == (FILLER.strip(),)


def test_corpus_page_yields_title_and_sections() -> None:
    """A real third-party article page gives a title and at least one section."""
    source = CORPORA / "readability-pages" / "lifehacker-working" / "source.html"
    if not source.is_file():
        pytest.skip(f"corpora folder absent ({CORPORA}); set INGEST_CORPORA")
    article = parse_article(source.read_bytes(), "https://lifehacker.com/")
    assert article.title
    assert len(article.sections) >= 1
    assert any(block.items for s in article.sections for block in s.lists)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from(["div", "span", "section", "li", "td", "b", "blockquote", "article"])),
    st.integers(min_value=1, max_value=3000),
)
def test_deep_random_nesting_never_raises(tags: list[str], depth: int) -> None:
    """Markup nested thousands deep from a mix of tags gives an Article with the text kept."""
    cycle = tags or ["div"]
    opened = [cycle[i % len(cycle)] for i in range(depth)]
    html = "".join(f"<{t}>" for t in opened) + f"<p>{FILLER}</p>"
    html += "".join(f"</{t}>" for t in reversed(opened))
    article = parse_article(html, URL)
    assert FILLER.strip() in _all_text(article)


def _head(head: str) -> str:
    body = "<article><h1>Title</h1>" + "<p>Some words of body text here.</p>" * 20 + "</article>"
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_metadata_from_json_ld_wins_over_meta_tags():
    """Authors, dates and publisher come from the JSON-LD article object first."""
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "ignored"},
            {
                "@type": "NewsArticle",
                "headline": "Title",
                "author": [{"@type": "Person", "name": "Ada  Lovelace"}, "Charles Babbage"],
                "datePublished": "2024-03-01T08:00:00Z",
                "dateModified": "2024-03-02",
                "publisher": {"@type": "Organization", "name": "The Engine"},
            },
        ],
    }
    head = (
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        '<meta name="author" content="Someone Else">'
        '<meta property="article:published_time" content="2020-01-01">'
        '<link rel="canonical" href="/posts/title">'
    )
    article = parse_article(_head(head), "https://engine.example/posts/title?utm=x")
    assert article.authors == ("Ada Lovelace", "Charles Babbage")
    assert (article.published, article.modified) == ("2024-03-01T08:00:00Z", "2024-03-02")
    assert article.canonical_url == "https://engine.example/posts/title"
    assert article.site_name == "The Engine"


def test_metadata_falls_back_to_meta_tags_and_time():
    """Without JSON-LD: <meta> author and site name, og:url, the first <time datetime>."""
    head = (
        '<meta name="author" content="Grace Hopper">'
        '<meta property="og:site_name" content="Compilers Weekly">'
        '<meta property="og:url" content="https://cw.example/a">'
        '<meta property="article:modified_time" content="not a date">'
    )
    page = _head(head).replace("<h1>", '<time datetime="2023-12-24">Dec 24</time><h1>')
    article = parse_article(page, "https://cw.example/a?ref=feed")
    assert article.authors == ("Grace Hopper",)
    assert (article.published, article.modified) == ("2023-12-24", None)
    assert article.canonical_url == "https://cw.example/a"
    assert article.site_name == "Compilers Weekly"


def test_metadata_absent_is_empty_not_invented():
    """A page saying nothing about itself gets no authors, dates, canonical or site name."""
    article = parse_article(_head(""), "https://plain.example/")
    assert (article.authors, article.published, article.modified) == ((), None, None)
    assert (article.canonical_url, article.site_name) == (None, None)


def test_mathml_formulas_are_text_and_their_tex_annotation_is_not() -> None:
    """A <math> formula reads as text (even in a `CtxtMenu` container); its TeX copy does not."""
    formula = (
        '<mjx-container class="MathJax CtxtMenu_Attached_0"><math><semantics><mi>a</mi>'
        "<mo>\u2260</mo><mn>0</mn><annotation encoding='application/x-tex'>a \\neq 0"
        "</annotation></semantics></math></mjx-container>"
    )
    html = _page(f"<article><p>When {formula}, there are two roots. {FILLER}</p></article>")
    text = parse_article(html, URL).sections[0].paragraphs[0]
    assert text.startswith("When a\u22600, there are two roots.")
    assert "neq" not in text


def test_a_heading_repeating_the_title_before_the_text_opens_no_section() -> None:
    """An h2 repeating the title (or a piece of it) at the top is the title; later ones stay."""
    html = _page(
        f"<header><h1>Tide Pools: Winter Survival</h1></header><article><h2>Tide Pools:</h2>"
        f"<h2>Winter survival</h2><p>{FILLER}</p><h2>Survival</h2><p>One.</p>"
        f"<h2>Winter survival tricks</h2><p>Two.</p></article>",
        "<title>Tide Pools: Winter Survival</title>",
    )
    article = parse_article(html, URL)
    assert article.title == "Tide Pools: Winter Survival"
    assert [s.heading for s in article.sections] == ["", "Survival", "Winter survival tricks"]


def test_a_heading_saying_the_description_before_the_text_is_the_standfirst() -> None:
    """A sub-head repeating the page's description opens no section; the description has it."""
    dek = "Here is how to figure out what is best for your play habits and your wallet."
    head = f'<title>So many ways to play</title><meta name="description" content="{dek}">'
    html = _page(
        f"<article><h1>So many ways to play</h1><h2>{dek}</h2><p>{FILLER}</p>"
        f"<h2>Why it matters</h2><p>{FILLER}</p><h2>{dek}</h2><p>{FILLER}</p></article>",
        head,
    )
    article = parse_article(html, URL)
    assert article.description == dek
    assert [s.heading for s in article.sections] == ["", "Why it matters", dek]


def test_the_title_set_as_a_paragraph_before_the_text_is_not_body() -> None:
    """A page styling its title as a <p> gives it once, as the title; a later repeat is text."""
    title = "Home care service reports two vans broken into"
    html = _page(
        f'<div class="news"><p class="titulo">{title}</p><p>{FILLER}</p><p>{title}</p></div>',
        f"<title>{title}</title>",
    )
    article = parse_article(html, URL)
    assert article.title == title
    assert article.sections[0].paragraphs == (FILLER.strip(), title)


def test_a_heading_left_with_nothing_after_it_at_the_end_goes() -> None:
    """The label of a removed chrome block ("Related posts") is not an empty last section."""
    html = _page(
        f"<article><h1>The story</h1><p>{FILLER}</p><h2>Kept</h2><p>{FILLER}</p>"
        '<h3>Related posts</h3><div class="related-posts"><a href="/a/">A</a></div>'
        "<h4>Share this</h4></article>"
    )
    assert [s.heading for s in parse_article(html, URL).sections] == ["", "Kept"]
    middle = _page(f"<article><h1>T</h1><h2>Part one</h2><h3>Step</h3><p>{FILLER}</p></article>")
    assert [s.heading for s in parse_article(middle, URL).sections] == ["Part one", "Step"]
