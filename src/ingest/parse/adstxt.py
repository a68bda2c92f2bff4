"""Parse an ads.txt / app-ads.txt file (IAB ads.txt 1.1) into records, variables and issues.

Policy: the file is read line by line and only the bad lines are dropped (as crawlers do), each
kept as an :class:`~ingest.items.AdsTxtIssue` with its 1-based line number and a reason code.
Every non-blank, non-comment line ends up in exactly one of ``records``, ``variables`` or
``issues``, in file order; records are not de-duplicated (the store counts duplicates).

Lines end at LF, CRLF or a lone CR. ``#`` starts a comment anywhere on a line. A leading BOM is
dropped; other U+FEFF characters are dropped too, except that in strict mode a U+FEFF before the
first field of a line makes that line invalid (``stray_bom``). Fields are split on ASCII commas
and trimmed; anything after the first ``;`` of a record is extension data, kept in
``extension``. A line is a variable when it has an ``=`` with no comma or ``;`` before it.

Reason codes (``AdsTxtIssue.reason``); for a record the first failing check in this order wins:

=========================  ===================================================================
code                       meaning
=========================  ===================================================================
``stray_bom``              (strict only) a U+FEFF before the first field of a line
``bad_variable_name``      ``NAME=value`` whose name is empty or contains whitespace
``empty_variable_value``   ``NAME=`` with nothing after the ``=``
``non_ascii_separator``    a comma look-alike (U+FF0C full-width, U+3001, U+060C …) in a record
``too_few_fields``         fewer than three comma-separated fields
``empty_trailing_field``   (strict only) a trailing comma after the fourth field
``too_many_fields``        more than four comma-separated fields
``empty_field``            the domain (field 1) or, after field 2, the relationship is empty
``whitespace_in_field``    whitespace inside field 1, then 2 or 3, then 4 (in lenient mode
                           field 4 keeps its first word and drops the rest)
``bad_domain``             field 1 is not a DNS host name (letters, digits, hyphens, a dot)
``empty_account_id``       field 2 is empty
``bad_relationship``       field 3 is neither ``DIRECT`` nor ``RESELLER`` in any case
=========================  ===================================================================

``lenient=True`` also accepts a U+FEFF before field 1, an empty trailing field after field 4
and junk after whitespace in field 4, matching the corpus README's lenient column.

What the lines mean (pure helpers over a parsed file; ``AdsTxt.unique_records()`` drops
repeated records, same :attr:`~ingest.items.AdsTxtRecord.key`, and counts them):
:func:`is_placeholder` tells the "no seller authorised" file (§3.2.1) from an empty one;
:func:`owner_domain` takes the first ``OWNERDOMAIN``; :func:`manager_domains` splits
``MANAGERDOMAIN=domain[, CC]``; :func:`declared_subdomains` lists the ``SUBDOMAIN=`` hosts that
really are below the file's host, the ones a crawler follows (one level).
"""

from __future__ import annotations

__all__ = [
    "BAD_DOMAIN",
    "BAD_RELATIONSHIP",
    "BAD_VARIABLE_NAME",
    "EMPTY_ACCOUNT_ID",
    "EMPTY_FIELD",
    "EMPTY_TRAILING_FIELD",
    "EMPTY_VARIABLE_VALUE",
    "KNOWN_VARIABLES",
    "NON_ASCII_SEPARATOR",
    "PLACEHOLDER",
    "REASONS",
    "STRAY_BOM",
    "TOO_FEW_FIELDS",
    "TOO_MANY_FIELDS",
    "WHITESPACE_IN_FIELD",
    "declared_subdomains",
    "is_placeholder",
    "manager_domains",
    "owner_domain",
    "parse_adstxt",
]

import re

from ingest.items import AdsTxt, AdsTxtIssue, AdsTxtRecord, AdsTxtVariable

STRAY_BOM = "stray_bom"
BAD_VARIABLE_NAME = "bad_variable_name"
EMPTY_VARIABLE_VALUE = "empty_variable_value"
NON_ASCII_SEPARATOR = "non_ascii_separator"
TOO_FEW_FIELDS = "too_few_fields"
EMPTY_TRAILING_FIELD = "empty_trailing_field"
TOO_MANY_FIELDS = "too_many_fields"
EMPTY_FIELD = "empty_field"
WHITESPACE_IN_FIELD = "whitespace_in_field"
BAD_DOMAIN = "bad_domain"
EMPTY_ACCOUNT_ID = "empty_account_id"
BAD_RELATIONSHIP = "bad_relationship"

REASONS = frozenset(
    {
        STRAY_BOM,
        BAD_VARIABLE_NAME,
        EMPTY_VARIABLE_VALUE,
        NON_ASCII_SEPARATOR,
        TOO_FEW_FIELDS,
        EMPTY_TRAILING_FIELD,
        TOO_MANY_FIELDS,
        EMPTY_FIELD,
        WHITESPACE_IN_FIELD,
        BAD_DOMAIN,
        EMPTY_ACCOUNT_ID,
        BAD_RELATIONSHIP,
    }
)
"""Every reason code an :class:`~ingest.items.AdsTxtIssue` can carry."""

KNOWN_VARIABLES = frozenset(
    {"CONTACT", "SUBDOMAIN", "INVENTORYPARTNERDOMAIN", "OWNERDOMAIN", "MANAGERDOMAIN"}
)
"""The variable names ads.txt 1.1 defines; other names are still kept as variables."""

PLACEHOLDER = ("placeholder.example.com", "placeholder", "DIRECT", "placeholder")
"""The record meaning "no seller is authorised" (ads.txt 1.1 §3.2.1): domain, id, relation, cert."""

_BOM = "\ufeff"
_RELATIONSHIPS = frozenset({"DIRECT", "RESELLER"})
_MAX_FIELDS = 4
_MIN_FIELDS = 3
_MAX_DOMAIN_LENGTH = 253

_COMMA_LOOKALIKES = (
    "\uff0c",  # FULLWIDTH COMMA
    "\u3001",  # IDEOGRAPHIC COMMA
    "\u060c",  # ARABIC COMMA
    "\ufe50",  # SMALL COMMA
    "\ufe51",  # SMALL IDEOGRAPHIC COMMA
    "\u201a",  # SINGLE LOW-9 QUOTATION MARK, often typed for a comma
)

# Labels of letters, digits and inner hyphens (1-63 characters), at least two labels, the last
# starting with a letter (no all-numeric TLD, so no bare IPv4 address). Lower-case input only.
# Each repetition is anchored by a literal dot, so matching stays linear in the input.
_SPACE = re.compile(r"\s")
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
    re.ASCII,
)


# The common, clean record line (ASCII, no whitespace inside a field, a valid host name and
# relationship): one regex match instead of the checks below, with the same result. ``_WS`` is
# what ``str.strip`` removes from an ASCII string; a line that does not match takes the full path.
_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_FIELD = r"[^\t\n\x0b\x0c\r\x1c-\x1f ,;]+"
_CLEAN = re.compile(
    r"((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
    rf"{_WS}*,{_WS}*({_FIELD}){_WS}*,{_WS}*((?i:direct|reseller))"
    rf"(?:{_WS}*,{_WS}*({_FIELD}))?(?:{_WS}*;(.*))?",
    re.ASCII | re.DOTALL,
)


def parse_adstxt(content: bytes | str, *, lenient: bool = False) -> AdsTxt:
    """Parse ads.txt text; never raises.

    Args:
        content: the file body; bytes are decoded as UTF-8, undecodable bytes become U+FFFD.
        lenient: also accept a U+FEFF before field 1, an empty trailing field after field 4
            and junk after whitespace in field 4 (see the module docstring).

    Returns:
        The records, variables and issues, each in file order, line numbers 1-based.
    """
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    text = text.removeprefix(_BOM)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    records: list[AdsTxtRecord] = []
    variables: list[AdsTxtVariable] = []
    issues: list[AdsTxtIssue] = []

    for number, raw in enumerate(text.split("\n"), start=1):
        body = raw.partition("#")[0]
        clean = _CLEAN.fullmatch(body.strip()) if body.isascii() else None
        if clean is not None and len(clean[1]) <= _MAX_DOMAIN_LENGTH:
            domain, account_id, relationship, certification_id, extension = clean.groups()
            if extension is not None:
                extension = extension.strip() or None
            records.append(
                AdsTxtRecord(
                    number,
                    domain.lower(),
                    account_id,
                    relationship.upper(),
                    certification_id,
                    extension,
                )
            )
            continue
        line = _parse_line(number, raw, body, lenient=lenient)
        if isinstance(line, AdsTxtRecord):
            records.append(line)
        elif isinstance(line, AdsTxtVariable):
            variables.append(line)
        elif line is not None:
            issues.append(line)

    return AdsTxt(records=tuple(records), variables=tuple(variables), issues=tuple(issues))


def _parse_line(
    number: int, raw: str, body: str, *, lenient: bool
) -> AdsTxtRecord | AdsTxtVariable | AdsTxtIssue | None:
    """Read one line (``body`` is ``raw`` without its comment) by every rule; None when blank."""
    if _BOM in body:
        if not lenient and body.lstrip().startswith(_BOM) and body.replace(_BOM, "").strip():
            return AdsTxtIssue(number, raw, STRAY_BOM)
        body = body.replace(_BOM, "")
    body = body.strip()
    if not body:
        return None

    name, equals, value = body.partition("=")
    if equals and "," not in name and ";" not in name:
        reason = _check_variable(name, value)
        if reason is None:
            return AdsTxtVariable(number, name.strip().upper(), value.strip())
        return AdsTxtIssue(number, raw, reason)

    outcome = _parse_record(number, body, lenient=lenient)
    if isinstance(outcome, str):
        return AdsTxtIssue(number, raw, outcome)
    return outcome


def _check_variable(name: str, value: str) -> str | None:
    """Return the reason a ``NAME=value`` line is invalid, or None when it is fine."""
    name = name.strip()
    if not name or len(name.split()) != 1:
        return BAD_VARIABLE_NAME
    if not value.strip():
        return EMPTY_VARIABLE_VALUE
    return None


def _parse_record(number: int, body: str, *, lenient: bool) -> AdsTxtRecord | str:
    """Parse a trimmed, comment-free record line; return the record or a reason code."""
    data, semicolon, rest = body.partition(";")
    fields = _split_fields(data, lenient=lenient)
    if isinstance(fields, str):
        return fields
    # One search over all fields keeps the common, clean line to a single regex call.
    spaced = _SPACE.search("".join(fields)) is not None
    reason = _check_required(fields[0], fields[1], fields[2], spaced=spaced)
    if reason is not None:
        return reason

    certification_id = fields[3] if len(fields) == _MAX_FIELDS and fields[3] else None
    if spaced and certification_id is not None and _has_inner_space(certification_id):
        if not lenient:
            return WHITESPACE_IN_FIELD
        certification_id = certification_id.split(None, 1)[0]

    extension = (rest.strip() or None) if semicolon else None
    # Positional arguments: noticeably faster than keywords for a frozen dataclass.
    return AdsTxtRecord(
        number, fields[0].lower(), fields[1], fields[2].upper(), certification_id, extension
    )


def _split_fields(data: str, *, lenient: bool) -> list[str] | str:
    """Split a record's data part into 3 or 4 trimmed fields, or return a reason code."""
    if not data.isascii() and any(mark in data for mark in _COMMA_LOOKALIKES):
        return NON_ASCII_SEPARATOR
    fields = list(map(str.strip, data.split(",")))
    count = len(fields)
    if count < _MIN_FIELDS:
        return TOO_FEW_FIELDS
    if count == _MAX_FIELDS + 1 and not fields[_MAX_FIELDS]:
        if not lenient:
            return EMPTY_TRAILING_FIELD
        del fields[_MAX_FIELDS]
    elif count > _MAX_FIELDS:
        return TOO_MANY_FIELDS
    return fields


def _check_required(domain: str, account_id: str, relationship: str, *, spaced: bool) -> str | None:
    """Return the reason the three required fields are invalid, or None when they are fine."""
    reason = _check_domain(domain, spaced=spaced)
    if reason is not None:
        return reason
    if not account_id:
        return EMPTY_ACCOUNT_ID
    if not relationship:
        return EMPTY_FIELD
    if spaced and (_has_inner_space(account_id) or _has_inner_space(relationship)):
        return WHITESPACE_IN_FIELD
    if relationship.upper() not in _RELATIONSHIPS:
        return BAD_RELATIONSHIP
    return None


def _check_domain(domain: str, *, spaced: bool) -> str | None:
    """Return the reason field 1 is not an advertising system's host name, or None."""
    if not domain:
        return EMPTY_FIELD
    if spaced and _has_inner_space(domain):
        return WHITESPACE_IN_FIELD
    if len(domain) > _MAX_DOMAIN_LENGTH or _HOST.fullmatch(domain.lower()) is None:
        return BAD_DOMAIN
    return None


def _has_inner_space(field: str) -> bool:
    """Tell whether a trimmed field contains whitespace (as :meth:`str.isspace` defines it)."""
    return _SPACE.search(field) is not None


def is_placeholder(adstxt: AdsTxt) -> bool:
    """True when the file's only records are the placeholder: no seller is authorised.

    An empty file is not a placeholder (the spec deprecates that older convention).
    """
    return bool(adstxt.records) and all(
        (r.domain, r.account_id, r.relationship, r.certification_id) == PLACEHOLDER
        for r in adstxt.records
    )


def owner_domain(adstxt: AdsTxt) -> str | None:
    """The first ``OWNERDOMAIN`` value, lower-cased; later ones do not count (§3.5.1)."""
    for variable in adstxt.variables:
        if variable.name == "OWNERDOMAIN":
            return variable.value.lower()
    return None


def manager_domains(adstxt: AdsTxt) -> tuple[tuple[str, str | None], ...]:
    """Each ``MANAGERDOMAIN`` as (domain lower-cased, ISO country code upper-cased or None)."""
    managers: list[tuple[str, str | None]] = []
    for variable in adstxt.variables:
        if variable.name == "MANAGERDOMAIN":
            domain, _, country = variable.value.partition(",")
            managers.append((domain.strip().lower(), country.strip().upper() or None))
    return tuple(managers)


def declared_subdomains(adstxt: AdsTxt, host: str) -> tuple[str, ...]:
    """The ``SUBDOMAIN=`` hosts below ``host``, lower-cased, unique, in file order.

    A value that is not a host name, or not below ``host``, is ignored: only a root file may
    point to its own subdomains, and only those are followed.
    """
    suffix = "." + host.lower().rstrip(".")
    found: list[str] = []
    for variable in adstxt.variables:
        if variable.name != "SUBDOMAIN":
            continue
        value = variable.value.strip().lower().rstrip(".")
        if (
            value.endswith(suffix)
            and len(value) <= _MAX_DOMAIN_LENGTH
            and _HOST.fullmatch(value)
            and value not in found
        ):
            found.append(value)
    return tuple(found)
