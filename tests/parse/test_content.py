from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.parse.content import (
    _CONTENT_HINT,
    _HINT_WORDS,
    _hinted,
    best_by_density,
    find_content,
    remove_page_chrome,
)

PARA = "Shore crabs walk down to the lower pools, where the water stays warmer, and wait. "


def _body(html: str) -> LexborNode:
    body = LexborHTMLParser(f"<html><body>{html}</body></html>").body
    assert body is not None
    return body


def test_text_in_a_div_with_breaks_counts_as_content() -> None:
    """A story written as text and <br> in a <div> (no <p>) beats a thread of short comments."""
    body = _body(
        f'<div id="story">{PARA}<br><br>{PARA}<br><br>{PARA}</div>'
        f'<div id="thread"><div class="comment"><p>{PARA}</p></div>'
        f'<div class="comment"><p>{PARA}</p></div><div class="comment"><p>{PARA}</p></div></div>'
    )
    assert best_by_density(body).attributes.get("id") == "story"


def test_candidates_inside_comment_threads_are_skipped() -> None:
    """A hinted body inside a comment box does not win over the article's own block."""
    body = _body(
        f'<div class="article-body"><p>{PARA}</p></div>'
        f'<div id="comment-box"><div class="user-post-text"><p>{PARA * 5}</p></div></div>'
    )
    assert find_content(body).attributes.get("class") == "article-body"


def test_hinted_paragraphs_stand_for_their_parent() -> None:
    """Sites marking every paragraph (p.post-text) give the block around them."""
    body = _body(
        f'<div id="story"><p class="post-text">{PARA}</p><p class="post-text">{PARA}</p>'
        f"<p>{PARA}</p></div>"
    )
    assert find_content(body).attributes.get("id") == "story"


def test_a_run_of_like_step_blocks_is_one_article() -> None:
    """Steps each in their own div.step give their common parent, not the longest step."""
    step = '<div class="mod step"><div class="inner"><div class="text"><p>{}</p></div></div></div>'
    body = _body(
        f'<div id="steps">{step.format(PARA * 3)}{step.format(PARA)}{step.format(PARA)}</div>'
        f'<div id="other"><p>{PARA}</p></div>'
    )
    assert find_content(body).attributes.get("id") == "steps"


def test_like_blocks_full_of_links_do_not_widen() -> None:
    """Like siblings that are link lists (teaser cards) do not pull the content up."""
    card = '<div class="card"><p>{}</p></div>'
    teaser = card.format(f'<a href="/x">{PARA}</a>')
    body = _body(f'<div id="page">{card.format(PARA * 3)}{teaser}{teaser}</div>')
    assert find_content(body).attributes.get("class") == "card"


def test_page_chrome_goes_by_tag_role_and_hidden() -> None:
    """nav/aside/footer tags, landmark roles and hidden elements are removed page-wide."""
    body = _body(
        '<nav>menu</nav><div role="navigation">links</div><div hidden>secret</div>'
        '<div style="position:absolute;left: -9999px"><a href="https://spam.test/">spam</a></div>'
        "<aside>side</aside><footer>foot</footer><p>kept</p>"
    )
    remove_page_chrome(body)
    assert body.text(deep=True, separator=" ").split() == ["kept"]


def test_every_content_hint_is_found_by_the_prefilter() -> None:
    """Each hint of the pattern holds a prefilter word, so lexbor hands its elements over.

    In any case, as class or id.
    """
    hints = _CONTENT_HINT.pattern.split("(?:", 2)[2].split(")")[0].split("|")
    assert len(hints) > 10
    for hint in hints:
        assert any(word in hint for word in _HINT_WORDS), hint
        for attribute in ("class", "id"):
            body = _body(f'<div {attribute}="x {hint.upper()}"><p>{PARA}</p></div><p>{PARA}</p>')
            assert [n.attributes.get(attribute) for n in _hinted(body)] == [f"x {hint.upper()}"]
