"""Case search: every message, name and identifier findable, with citations, the same on SQLite
and PostgreSQL (``docs/search.md``).

* :mod:`.tokens` — text into tokens, one way for both backends;
* :mod:`.index` — :func:`refresh`, the index kept current after every import;
* :mod:`.query` — the query language, parsed once, compiled to FTS5 or ``tsquery``;
* :mod:`.run` — :func:`search` (ranked, paged, cited hits with snippets) and :func:`matching_ids`;
* :mod:`.keywords` — a keyword list run over the whole case, its hits kept.
"""

from veilleur.search.index import IndexReport, refresh
from veilleur.search.query import Parsed, QueryError, parse
from veilleur.search.run import Found, Hit, Scope, matching_ids, search

__all__ = [
    "Found",
    "Hit",
    "IndexReport",
    "Parsed",
    "QueryError",
    "Scope",
    "matching_ids",
    "parse",
    "refresh",
    "search",
]
