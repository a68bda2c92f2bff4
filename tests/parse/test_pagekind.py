from __future__ import annotations

import pytest

from ingest.parse.pagekind import MAX_NOTICE_CHARS, notice_reason

SHORT = "Nothing to see here, try the search box."


@pytest.mark.parametrize(
    ("title", "heading", "text", "password", "kind"),
    [
        ("Page not found - Site", "", SHORT, False, "soft 404"),
        ("Site", "Oops! That page can\u2019t be found.", SHORT, False, "soft 404"),
        ("Error 404", "", SHORT, False, "soft 404"),
        ("Seite nicht gefunden", "", SHORT, False, "soft 404"),
        ("Log in | Members", "", SHORT, True, "login page"),
        ("Site", "Sign in to your account", SHORT, True, "login page"),
        ("Just a moment...", "", SHORT, False, "blocked page"),
        ("Site", "", "Please enable JavaScript and cookies to continue.", False, "blocked page"),
        ("Site", "", "Subscribe to continue reading this story.", False, "blocked page"),
    ],
)
def test_notices_are_recognised(
    title: str, heading: str, text: str, password: bool, kind: str
) -> None:
    """Soft-404, login and block pages are named by a phrase in their title, heading or text."""
    reason = notice_reason(title, heading, text, has_password=password)
    assert reason is not None
    assert reason.startswith(kind)


def test_long_pages_are_never_notices() -> None:
    """An article about 404 errors or logins (a long body) is not a notice."""
    text = "x" * (MAX_NOTICE_CHARS + 1)
    assert notice_reason("Fixing 404 errors", "", text, has_password=False) is None
    assert notice_reason("Log in safely", "", text, has_password=True) is None


def test_password_box_alone_is_not_a_login_page() -> None:
    """A site-wide login box on a short news item does not make it a login page."""
    assert notice_reason("Road reopens", "Road reopens", SHORT, has_password=True) is None


def test_ordinary_short_page_is_not_a_notice() -> None:
    """A short page without telling phrases gets no verdict here."""
    assert notice_reason("Opening hours", "Opening hours", SHORT, has_password=False) is None
