"""The user's hash lists (banks): import, versions, summaries and exact lookup.

Formats are plug-ins (:mod:`veilleur.lists.formats`): Project VIC VICS JSON 1.x/2.0, UK
CAID-style JSON, NCMEC hash-sharing XML, plain text, CSV and ``<type> <value>`` lines.

Lists are reference data the user holds, kept in the case store beside the case but apart from
it: a list file is never registered as evidence, and :data:`LIST_TABLES` are never exported with
case data. Nothing outside :func:`~veilleur.lists.lookup.exact_hits` reads an entry's data, and
that gives only a matched entry's identifier and category — except
:func:`~veilleur.lists.vpdq.active_vpdq_entries`, which gives the matcher the listed videos'
frames to compare against, never to show.
"""

from __future__ import annotations

from veilleur.lists.base import HASH_TYPES, KINDS, SCHEMES, ListConflict, ListFormat
from veilleur.lists.importer import ListImportReport, import_list
from veilleur.lists.lookup import ListHit, exact_hits
from veilleur.lists.summary import list_summaries

LIST_TABLES = frozenset({"hash_lists", "hash_list_versions", "hash_list_entries", "hash_list_vpdq_features"})
"""Tables holding hash-list data. Any export of case data must leave them out."""

__all__ = [
    "HASH_TYPES",
    "KINDS",
    "LIST_TABLES",
    "SCHEMES",
    "ListConflict",
    "ListFormat",
    "ListHit",
    "ListImportReport",
    "exact_hits",
    "import_list",
    "list_summaries",
]
