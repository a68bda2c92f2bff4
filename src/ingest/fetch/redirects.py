"""Redirects, followed by us one hop at a time so every hop is judged like the first URL.

The client never follows redirects itself (``follow_redirects=False``). For each 301, 302, 303,
307 or 308 with a ``Location``, :func:`next_hop` gives the absolute target (fragment dropped) and
:func:`check_hop` refuses it unless it is http(s) and, without DNS, not a forbidden literal
address; the connect-time guard then checks whatever the name resolves to, and ``fetch`` asks
robots.txt when it has a :class:`~ingest.fetch.politeness.RobotsCache`. More than
:data:`MAX_REDIRECTS` hops fail as ``redirect_loop``. Only GETs are sent, so a 303 needs no
method change.
"""

from __future__ import annotations

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "check_hop", "next_hop"]

from urllib.parse import urldefrag, urljoin, urlsplit

from ingest.errors import FetchError
from ingest.fetch.guard import Allow, check_url

MAX_REDIRECTS = 5
"""Redirect hops followed before a URL fails as ``redirect_loop``."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""Statuses whose ``Location`` we follow."""

_SCHEMES = frozenset({"http", "https"})


def next_hop(current: str, status: int, location: str | None) -> str | None:
    """The absolute URL a response redirects to, or None when it is not a redirect."""
    if status not in REDIRECT_STATUSES or not location or not location.strip():
        return None
    target, _ = urldefrag(urljoin(current, location.strip()))
    return target


def check_hop(
    url: str, hop: str, hops: int, *, allow: Allow = False, site: str | None = None
) -> None:
    """Refuse redirect number ``hops`` (1-based) of ``url`` to ``hop``; errors name ``url``.

    ``redirect_loop`` past :data:`MAX_REDIRECTS`; ``blocked_ssrf`` for a scheme other than
    http(s) (``file://``, ``gopher://``…) or a forbidden literal address; ``invalid_url`` for a
    malformed target.
    """
    if hops > MAX_REDIRECTS:
        raise FetchError(url, "redirect_loop", f"more than {MAX_REDIRECTS} redirects", site=site)
    scheme = urlsplit(hop).scheme.lower()
    if scheme not in _SCHEMES:
        raise FetchError(url, "blocked_ssrf", f"redirect to a {scheme}: URL: {hop}", site=site)
    try:
        check_url(hop, allow=allow, site=site)
    except FetchError as exc:
        raise FetchError(url, exc.kind, f"redirect to {hop}: {exc.detail}", site=site) from exc
