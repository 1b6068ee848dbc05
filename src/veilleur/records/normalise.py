"""How each value of a record is checked and written down: one function per value type.

Each function takes the value as the file gives it (a CSV cell, or a JSON value) and returns it
normalised, or raises :class:`Invalid` with a message that says what is wrong and what is expected.
Messages never repeat the value itself: it may be personal data, and the reader's error already
says where it is (file, line or item, field).

* phone numbers: parsed with ``phonenumbers`` (Google's libphonenumber metadata) and written in
  E.164 (``+33612345678``). A number without ``+`` or ``00`` is read in the default region (FR
  unless the import says otherwise); digits that are no possible number there but are one once
  read as international (``33612345678``, the form Telegram and operators give) are read so.
  A number must be *possible* (its length fits its country); a valid number is preferred.
* IP addresses: IPv4 or IPv6 (:mod:`ipaddress`), in canonical text (IPv6 compressed, lower-case;
  an IPv4-mapped IPv6 address as its IPv4 address); no prefix length. A source port, as operators
  write it behind carrier-grade NAT (``203.0.113.42:51234``, ``[2001:db8::1]:443``), is split off
  (:func:`ip_with_port`).
* e-mail addresses: trimmed and lower-cased; exactly one ``@``, a local part, a domain of
  dot-separated labels, no spaces.
* times: ISO 8601 with a UTC offset (``2026-03-02T21:14:05+01:00``, ``…Z``) or epoch seconds,
  as integer epoch seconds UTC.
* dates of birth: ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``YYYY-MM`` or ``YYYY``, written ``YYYY-MM-DD``,
  ``YYYY-MM`` or ``YYYY``.
* French départements: ``01``–``95`` except ``20``, ``2A``, ``2B``, ``971``–``976``; a single digit
  is zero-padded (spreadsheets drop the zero), ``2a`` is upper-cased.
* offence types: codes of :data:`OFFENCE_TYPES`, or their French and English wordings, become the
  code; other wordings are kept as stated.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers

from veilleur.errors import InvalidValue

DEFAULT_REGION = "FR"
MAX_EPOCH = 32_503_680_000  # 3000-01-01: a larger number is no time in seconds (milliseconds?)
_PHONE_CHARS = re.compile(r"\(?\+?[\d\s().\-/]+")
_DIGITS = re.compile(r"\d+")
_EMAIL_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-_]*[a-z0-9])?|xn--[a-z0-9\-]+", re.IGNORECASE)
_EMAIL_LOCAL_BAD = re.compile(r"[\s<>()\[\],;:\\\"@\x00-\x1f\x7f]")
_ACCOUNT = re.compile(r"(?:telegram:user:|user)?(\d{1,19})", re.IGNORECASE)
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YM = re.compile(r"(\d{4})-(\d{2})")
_Y = re.compile(r"(\d{4})")
DEPARTEMENTS: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + [str(n) for n in range(971, 977)]
)
TRUE = frozenset({"true", "yes", "y", "1", "oui", "o", "vrai"})
FALSE = frozenset({"false", "no", "n", "0", "non", "faux"})


class Invalid(InvalidValue):
    """A value that cannot be read as its column's type; the message says what is expected."""


# -- text -----------------------------------------------------------------------------------------


def text(value: Any, *, max_length: int | None = None) -> str:
    """A text value, trimmed. JSON numbers are taken as their decimal text."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"expected text, found {_json_type(value)}")
    s = str(value).strip()
    if "\x00" in s:
        raise Invalid("contains a NUL character")
    if max_length is not None and len(s) > max_length:
        raise Invalid(f"longer than {max_length} characters ({len(s)})")
    return s


def choice(value: Any, choices: tuple[str, ...]) -> str:
    s = text(value).lower()
    if s not in choices:
        raise Invalid(f"expected one of {', '.join(choices)}")
    return s


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = text(value).lower()
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise Invalid("expected true or false (also yes/no, oui/non, 1/0)")


def items(value: Any) -> list[str]:
    """A list value: a JSON array of texts, or a text of ``;``-separated items. Empty items dropped."""
    if isinstance(value, list):
        out = []
        for v in value:
            if v is None:
                continue
            s = text(v)
            if s:
                out.append(s)
        return out
    return [s for s in (p.strip() for p in text(value).split(";")) if s]


# -- identifiers ----------------------------------------------------------------------------------


def region(code: str) -> str:
    """A default region for phone numbers (ISO 3166-1 alpha-2 that libphonenumber knows)."""
    r = code.strip().upper()
    if r not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid(f"unknown phone region {code!r} (an ISO 3166-1 alpha-2 code, e.g. FR, BE, CH)")
    return r


def phone(value: Any, default_region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164."""
    s = text(value)
    if not s:
        raise Invalid("empty phone number")
    if not _PHONE_CHARS.fullmatch(s):
        raise Invalid("not a phone number (digits, an optional leading +, spaces and . - / ( ) only)")
    digits = re.sub(r"\D", "", s)
    if not 3 <= len(digits) <= 17:
        raise Invalid(f"not a phone number ({len(digits)} digits)")
    candidates = [s]
    if not s.startswith(("+", "0")):
        candidates.append("+" + digits)  # international without its + (Telegram, operators)
    parsed = []
    for c in candidates:
        try:
            parsed.append(phonenumbers.parse(c, default_region))
        except phonenumbers.NumberParseException:
            continue
    for check in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for n in parsed:
            if check(n):
                return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    raise Invalid(
        f"not a possible phone number (read in region {default_region} when it has no + or 00; "
        "give it in international form)"
    )


def ip(value: Any) -> str:
    """An IPv4 or IPv6 address in canonical text."""
    s = text(value)
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        hint = ""
        if s.startswith("[") or s.count(":") == 1:
            hint = " (an address with a port is written 203.0.113.42:51234 or [2001:db8::1]:443)"
        elif "/" in s:
            hint = " (give the address alone: no prefix length)"
        raise Invalid("not an IPv4 or IPv6 address" + hint) from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


_BRACKETED = re.compile(r"\[([^\]]+)\](?::(\d+))?")
_V4_PORT = re.compile(r"([\d.]+):(\d+)")


def port(value: Any) -> int:
    """A TCP/UDP port, 1–65535."""
    s = str(value) if isinstance(value, int) and not isinstance(value, bool) else text(value)
    if not s.isascii() or not s.isdigit() or not 1 <= int(s) <= 65535:
        raise Invalid("not a port: a whole number from 1 to 65535")
    return int(s)


def ip_with_port(value: Any) -> tuple[str, int | None]:
    """An IP address in canonical text and its source port if written with it.

    ``203.0.113.42:51234`` and ``[2001:db8::1]:443`` (RFC 3986's brackets, as operators write an
    IPv6 address with a port) carry one; a bare IPv6 address is all colons and carries none."""
    s = text(value)
    m = _BRACKETED.fullmatch(s) or _V4_PORT.fullmatch(s)
    if m is None:
        return ip(s), None
    address = ip(m.group(1))
    return address, (port(m.group(2)) if m.group(2) is not None else None)


def email(value: Any) -> str:
    """An e-mail address, lower-cased."""
    s = text(value, max_length=320).lower()
    if s.count("@") != 1:
        raise Invalid(f"an e-mail address has exactly one @ (found {s.count('@')})")
    local, domain = s.split("@")
    if not local or len(local) > 64 or _EMAIL_LOCAL_BAD.search(local):
        raise Invalid("not an e-mail address (bad part before the @)")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.fullmatch(label) for label in labels) or len(domain) > 253:
        raise Invalid("not an e-mail address (the part after the @ is no domain name)")
    return s


def identifier(kind: str, value: Any, default_region: str = DEFAULT_REGION) -> str:
    if kind == "phone":
        return phone(value, default_region)
    if kind == "ip":
        return ip(value)
    if kind == "email":
        return email(value)
    raise Invalid(f"unknown identifier kind {kind!r}")


def account(value: Any) -> int:
    """A Telegram user id: ``123``, ``user123`` or ``telegram:user:123``."""
    s = str(value) if isinstance(value, int) and not isinstance(value, bool) else text(value)
    m = _ACCOUNT.fullmatch(s)
    if m is None or int(m.group(1)) <= 0 or int(m.group(1)) >= 2**63:
        raise Invalid("expected a user id: digits, user<digits> or telegram:user:<digits>")
    return int(m.group(1))


# -- times ----------------------------------------------------------------------------------------


def timestamp(value: Any) -> int:
    """A time as epoch seconds UTC: ISO 8601 with an offset, or epoch seconds."""
    if isinstance(value, bool | float):
        raise Invalid("expected ISO 8601 with a UTC offset, or whole epoch seconds")
    if isinstance(value, int):
        return _epoch(value)
    s = text(value)
    if _DIGITS.fullmatch(s):
        return _epoch(int(s))
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise Invalid("not a time: expected ISO 8601 with a UTC offset, or epoch seconds") from None
    if dt.tzinfo is None:
        raise Invalid("a time needs its UTC offset (e.g. +01:00 or Z)")
    return int(dt.timestamp())


def _epoch(n: int) -> int:
    if n < 0 or n >= MAX_EPOCH:
        raise Invalid("epoch seconds out of range (milliseconds given?)")
    return n


def day(value: Any) -> int:
    """A date (``YYYY-MM-DD``, ``DD/MM/YYYY``: midnight UTC) or a time (as :func:`timestamp`)."""
    if isinstance(value, str):
        s = value.strip()
        m = _YMD.fullmatch(s)
        if m:
            d = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
        m = _DMY.fullmatch(s)
        if m:
            d = _date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
    try:
        return timestamp(value)
    except Invalid:
        raise Invalid(
            "not a date: expected YYYY-MM-DD, DD/MM/YYYY, ISO 8601 with a UTC offset, or epoch seconds"
        ) from None


def _date(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise Invalid("no such date") from None


def birth_date(value: Any, *, today: date | None = None) -> str:
    """A date of birth, full or partial: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    s = text(value)
    today = today or datetime.now(UTC).date()
    m = _YMD.fullmatch(s) or _DMY.fullmatch(s)
    if m is not None:
        if m.re is _YMD:
            d = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            d = _date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        _birth_year(d.year, today)
        if d > today:
            raise Invalid("a date of birth in the future")
        return d.isoformat()
    m = _YM.fullmatch(s)
    if m is not None:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise Invalid("no such month")
        _birth_year(int(m.group(1)), today)
        return s
    m = _Y.fullmatch(s)
    if m is not None:
        _birth_year(int(s), today)
        return s
    raise Invalid("not a date of birth: expected YYYY-MM-DD, DD/MM/YYYY, YYYY-MM or YYYY")


def _birth_year(year: int, today: date) -> None:
    if not 1880 <= year <= today.year:
        raise Invalid(f"a year of birth between 1880 and {today.year}")


# -- places ---------------------------------------------------------------------------------------


def departement(value: Any) -> str:
    """A French département code."""
    s = str(value).strip().upper() if isinstance(value, int) and not isinstance(value, bool) else None
    if s is None:
        s = text(value).upper()
    if len(s) == 1 and s.isdigit():
        s = "0" + s
    if s not in DEPARTEMENTS:
        raise Invalid("not a French département code (01–95 without 20, 2A, 2B, 971–976)")
    return s


# -- offence types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffenceType:
    code: str
    meaning: str
    against_minor_sexual: bool
    wordings: tuple[str, ...] = ()


OFFENCE_TYPES: tuple[OffenceType, ...] = (
    OffenceType(
        "sexual_offence_against_minor",
        "a sexual offence against a minor, not further specified",
        True,
        (
            "infraction sexuelle sur mineur",
            "sexual offence against a minor",
            "sexual offense against a minor",
        ),
    ),
    OffenceType(
        "rape_of_minor", "rape of a minor", True, ("viol sur mineur", "rape of a minor", "child rape")
    ),
    OffenceType(
        "sexual_assault_of_minor",
        "sexual assault of a minor",
        True,
        ("agression sexuelle sur mineur", "sexual assault of a minor", "child sexual assault"),
    ),
    OffenceType(
        "sexual_abuse_of_minor",
        "sexual abuse of a minor (French *atteinte sexuelle*)",
        True,
        ("atteinte sexuelle sur mineur", "sexual abuse of a minor", "child sexual abuse"),
    ),
    OffenceType(
        "sexual_solicitation_of_minor",
        "sexual solicitation of a minor, grooming",
        True,
        ("proposition sexuelle à un mineur", "sollicitation sexuelle de mineur", "grooming"),
    ),
    OffenceType(
        "corruption_of_minor",
        "corruption of a minor",
        True,
        ("corruption de mineur", "corruption of a minor"),
    ),
    OffenceType(
        "prostitution_of_minor",
        "procuring or paying for the prostitution of a minor",
        True,
        ("recours à la prostitution de mineur", "proxénétisme sur mineur", "child prostitution"),
    ),
    OffenceType(
        "csam_possession",
        "possessing or viewing child sexual abuse material",
        True,
        (
            "détention d'images pédopornographiques",
            "détention d'images à caractère pédopornographique",
            "consultation habituelle de site pédopornographique",
            "possession of child sexual abuse material",
            "possession of child pornography",
        ),
    ),
    OffenceType(
        "csam_distribution",
        "distributing, offering or making available child sexual abuse material",
        True,
        (
            "diffusion d'images pédopornographiques",
            "diffusion d'images à caractère pédopornographique",
            "distribution of child sexual abuse material",
            "distribution of child pornography",
        ),
    ),
    OffenceType(
        "csam_production",
        "producing or recording child sexual abuse material",
        True,
        (
            "fabrication d'images pédopornographiques",
            "enregistrement d'images pédopornographiques",
            "production of child sexual abuse material",
        ),
    ),
    OffenceType(
        "sexual_offence",
        "a sexual offence, victim not a minor or not stated",
        False,
        ("infraction sexuelle", "agression sexuelle", "sexual offence", "sexual offense"),
    ),
    OffenceType(
        "violence_against_minor",
        "violence against a minor (not sexual)",
        False,
        ("violences sur mineur", "violence against a minor"),
    ),
    OffenceType(
        "domestic_violence", "domestic violence", False, ("violences conjugales", "domestic violence")
    ),
    OffenceType("violence", "other violence", False, ("violences", "violence")),
    OffenceType("drugs", "drug offences", False, ("stupéfiants", "drug offence", "drug offense")),
    OffenceType("theft", "theft", False, ("vol", "theft")),
    OffenceType("fraud", "fraud", False, ("escroquerie", "fraud")),
)

_MINOR_SUFFIXES = ("", " de 15 ans", " de quinze ans", " de moins de 15 ans", " under 15")


def _term_key(s: str) -> str:
    """Accents, case, punctuation and spacing do not distinguish wordings."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[’'`_\-]", " ", s)
    return " ".join(s.split())


def _wording_index() -> dict[str, OffenceType]:
    index: dict[str, OffenceType] = {}
    for o in OFFENCE_TYPES:
        index[_term_key(o.code)] = o
        for w in o.wordings:
            for suffix in _MINOR_SUFFIXES if "mineur" in w else ("",):
                index[_term_key(w + suffix)] = o
    return index


_WORDINGS = _wording_index()


def offence_type(term: str) -> OffenceType | None:
    """The vocabulary entry a stated offence type names, if any."""
    return _WORDINGS.get(_term_key(term))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
