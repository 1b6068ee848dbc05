"""The three record kinds and their columns, stated once.

Every column of every kind is one :class:`Column` here: its name, the type of value it takes (how
:mod:`veilleur.records.normalise` reads it), whether it is required, what it means and an
example. The readers (:mod:`veilleur.records.readers`) accept exactly these columns, in CSV
headers and JSON keys alike, and ``docs/records.md`` lists them (:func:`markdown_table` writes
its tables; a test checks that the document names every column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecordKind = Literal["returns", "identity", "attributes"]
KINDS: tuple[RecordKind, ...] = ("returns", "identity", "attributes")
FORMATS = ("csv", "json")

ValueType = Literal[
    "text",
    "choice",
    "account",
    "identifier",
    "port",
    "timestamp",
    "birth_date",
    "date",
    "departement",
    "phones",
    "emails",
    "terms",
    "boolean",
]

IDENTIFIER_KINDS = ("phone", "ip", "email")
ATTRIBUTE_KINDS = ("access_to_children", "criminal_record", "profession")
PLATFORMS = ("telegram",)


@dataclass(frozen=True)
class Column:
    name: str
    type: ValueType
    description: str
    example: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    max_length: int | None = None
    only_for: tuple[str, ...] = ()
    """For attributes: the attribute kinds this column applies to (empty: all)."""


RETURNS: tuple[Column, ...] = (
    Column(
        "platform",
        "choice",
        "The platform the account is on.",
        "telegram",
        choices=PLATFORMS,
        default="telegram",
    ),
    Column(
        "account",
        "account",
        "The platform's user id of the account: digits, or as Telegram exports write it "
        "(`user123456789`), or the case's account key (`telegram:user:123456789`).",
        "user123456789",
        required=True,
    ),
    Column("kind", "choice", "What the value is.", "ip", required=True, choices=IDENTIFIER_KINDS),
    Column(
        "value",
        "identifier",
        "The phone number, IP address or e-mail address, normalised by `kind` (see Normalisation). "
        "An IP address may carry its source port: `203.0.113.42:51234`, `[2001:db8::1]:443`.",
        "203.0.113.42",
        required=True,
        max_length=320,
    ),
    Column(
        "port",
        "port",
        "The source port of an IP address, 1–65535: behind carrier-grade NAT the operator names the "
        "subscriber only from the address, the port and the time. Kind `ip` only; where `value` "
        "also gives a port, both must agree.",
        "51234",
        only_for=("ip",),
    ),
    Column(
        "first_seen",
        "timestamp",
        "When the value was first used or seen for the account: ISO 8601 with a UTC offset, or epoch "
        "seconds.",
        "2026-03-02T21:14:05+01:00",
    ),
    Column(
        "last_seen",
        "timestamp",
        "When it was last used or seen (same forms; not before `first_seen`).",
        "1772482445",
    ),
)

IDENTITY: tuple[Column, ...] = (
    Column(
        "person",
        "text",
        "The records' own identifier for the person (a file number, a national identifier as the "
        "records give it). Rows with the same `person` are the same person, across files.",
        "P-2026-0042",
        required=True,
        max_length=200,
    ),
    Column("first_name", "text", "First name(s), as the record gives them.", "Marc"),
    Column("last_name", "text", "Last name, as the record gives it.", "Durand"),
    Column(
        "birth_date",
        "birth_date",
        "Date of birth: `YYYY-MM-DD`, `DD/MM/YYYY`, or partial `YYYY-MM` or `YYYY`.",
        "14/07/1981",
    ),
    Column("address", "text", "Street address.", "12 rue des Lilas"),
    Column("postcode", "text", "Postal code, as text (keeps leading zeros).", "74000", max_length=16),
    Column("city", "text", "City or town.", "Annecy"),
    Column("country", "text", "Country, as the record gives it.", "France", max_length=64),
    Column(
        "departement",
        "departement",
        "French département code: `01`–`95` (not `20`), `2A`, `2B`, `971`–`976`.",
        "74",
    ),
    Column(
        "court",
        "text",
        "The competent court or prosecutor's office, when the record says.",
        "Tribunal judiciaire d'Annecy",
    ),
    Column(
        "phones",
        "phones",
        "Phone numbers: `;`-separated in CSV, an array in JSON; each normalised to E.164.",
        "06 12 34 56 78; +33 4 50 00 00 00",
    ),
    Column(
        "emails",
        "emails",
        "E-mail addresses: `;`-separated in CSV, an array in JSON; each lower-cased.",
        "m.durand@example.org",
    ),
)

ATTRIBUTES: tuple[Column, ...] = (
    Column(
        "person",
        "text",
        "The person the attribute is about (as in identity records; created if new).",
        "P-2026-0042",
        required=True,
        max_length=200,
    ),
    Column("kind", "choice", "What the record says.", "profession", required=True, choices=ATTRIBUTE_KINDS),
    Column(
        "value",
        "text",
        "What the record states, in its words.",
        "teacher, école primaire Jean Jaurès",
        required=True,
    ),
    Column(
        "offence_types",
        "terms",
        "For `criminal_record`: offence types, `;`-separated in CSV, an array in JSON; codes of the "
        "vocabulary below or the record's own words.",
        "sexual_assault_of_minor; violence",
        only_for=("criminal_record",),
    ),
    Column(
        "sexual_offence_against_minor",
        "boolean",
        "For `criminal_record`: the record states a sexual offence against a minor (also set when an "
        "offence type says so).",
        "true",
        only_for=("criminal_record",),
    ),
    Column(
        "contact_with_children",
        "boolean",
        "For `profession`: whether the work brings the person into contact with children.",
        "true",
        only_for=("profession",),
    ),
    Column(
        "source",
        "text",
        "The record's own source: where this statement comes from.",
        "casier judiciaire B2",
        required=True,
    ),
    Column(
        "observed",
        "date",
        "When the statement was true or recorded: `YYYY-MM-DD`, `DD/MM/YYYY`, ISO 8601 with a UTC "
        "offset, or epoch seconds.",
        "2026-04-30",
    ),
)

SCHEMAS: dict[RecordKind, tuple[Column, ...]] = {
    "returns": RETURNS,
    "identity": IDENTITY,
    "attributes": ATTRIBUTES,
}

TITLES: dict[RecordKind, str] = {
    "returns": "Lawful returns: identifiers of accounts",
    "identity": "Identity records of persons",
    "attributes": "Attributes of persons",
}


def columns(kind: RecordKind) -> dict[str, Column]:
    """The columns of ``kind`` by name."""
    return {c.name: c for c in SCHEMAS[kind]}


def header_name(cell: str) -> str:
    """A CSV header cell or JSON key as a column name: trimmed, lower-case, spaces and ``-`` as ``_``."""
    return "_".join(cell.strip().lower().replace("-", " ").split())


def markdown_table(kind: RecordKind) -> str:
    """The column table of ``kind`` as it appears in ``docs/records.md``."""
    lines = ["| column | required | meaning | example |", "|---|---|---|---|"]
    for c in SCHEMAS[kind]:
        meaning = c.description
        if c.choices:
            meaning += " One of " + ", ".join(f"`{x}`" for x in c.choices) + "."
        if c.default:
            meaning += f" Default `{c.default}`."
        required = "yes" if c.required else "no"
        lines.append(f"| `{c.name}` | {required} | {meaning} | `{c.example}` |")
    return "\n".join(lines)
