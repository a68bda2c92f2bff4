"""Pages that parse but are not articles: soft-404s, login walls and bot blocks.

Listings are told apart in :func:`ingest.parse.boilerplate.listing_reason`; this module judges
a page by what it says about itself. A verdict needs both a telling phrase (in the title, the
first heading or a short body) and a short body, so an article *about* 404 pages or logins
stays an article.
"""

from __future__ import annotations

__all__ = ["MAX_NOTICE_CHARS", "notice_reason"]

import re

# A page whose body text is longer than this (characters) is never judged a notice.
MAX_NOTICE_CHARS = 1200

# Error pages served with status 200 ("soft 404s"), in the languages the corpora show.
_NOT_FOUND = re.compile(
    r"\b404\b|page not found|(?:can[\u2019']?t|cannot|could ?n[o\u2019']?t|not) be found|"
    r"no longer (?:available|exists)|"
    r"(?:page|article|post) (?:does not|doesn't) exist|nothing (?:was )?found|"
    r"seite nicht gefunden|página no encontrada|page introuvable|pagina non trovata|"
    r"pagina niet gevonden|página não encontrada",
    re.IGNORECASE,
)
# A login page names itself in its title or first heading.
_LOGIN = re.compile(
    r"\b(?:log ?in|sign ?in|anmelden|connexion|iniciar sesi[oó]n|accedi|inloggen)\b", re.IGNORECASE
)
# Login walls and bot or access blocks.
_BLOCKED = re.compile(
    r"access denied|403 forbidden|are you a (?:robot|human)|verify (?:that )?you are (?:a )?human|"
    r"captcha|unusual traffic|just a moment|attention required|enable (?:javascript|cookies)|"
    r"(?:sign|log) ?in to (?:continue|read|view)|please (?:sign|log) ?in|"
    r"subscribe to (?:continue|read)|to read the full story",
    re.IGNORECASE,
)


def notice_reason(title: str, heading: str, text: str, *, has_password: bool) -> str | None:
    """Why a page is a soft-404, login or block notice rather than an article, or None.

    ``title`` and ``heading`` are the page title and first heading, ``text`` the extracted
    body, ``has_password`` whether the page had a password field before forms were removed.
    """
    if len(text) > MAX_NOTICE_CHARS:
        return None
    said = f"{title}\n{heading}\n{text}"
    if _NOT_FOUND.search(f"{title}\n{heading}"):
        return "soft 404: the page says it was not found"
    if has_password and _LOGIN.search(f"{title}\n{heading}"):
        return "login page: a password form under a log-in title"
    if _BLOCKED.search(said):
        return "blocked page: the page asks to log in, subscribe or prove it is human"
    return None
