"""Records about accounts and persons: lawful returns, identity records, person attributes.

``schemas`` states the three kinds' columns once; ``readers`` reads CSV and JSON files of them
as validated rows; ``normalise`` checks and normalises each value; ``importer`` imports a file in
one transaction (registered as evidence, audited); ``identifiers`` reads the identifiers of
accounts from returns and from full-account exports in one shape; ``summary`` counts what the
case holds. See ``docs/records.md``.
"""

from veilleur.records.identifiers import (
    AccountIdentifier,
    Citation,
    exporter_identifiers,
    return_identifiers,
)
from veilleur.records.importer import RecordImportReport, import_records
from veilleur.records.readers import RecordError, Row, read_rows
from veilleur.records.schemas import KINDS, SCHEMAS, Column
from veilleur.records.summary import records_summary

__all__ = [
    "KINDS",
    "SCHEMAS",
    "AccountIdentifier",
    "Citation",
    "Column",
    "RecordError",
    "RecordImportReport",
    "Row",
    "exporter_identifiers",
    "import_records",
    "read_rows",
    "records_summary",
    "return_identifiers",
]
