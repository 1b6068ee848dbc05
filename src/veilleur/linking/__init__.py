"""Identity resolution: accounts linked to persons (deterministic rules, then splink) and to other
accounts (aliases), every link with named factors and the records behind them, and analyst
decisions every run respects. See docs/linking.md.
"""

from veilleur.linking.run import (
    Decision,
    LinkError,
    LinkReport,
    LinkView,
    PersonLink,
    current_links,
    decide,
    latest_run,
    link_case,
    person_of,
    persons_of,
)
from veilleur.linking.settings import LinkSettings, LinkSettingsError, parse_settings

__all__ = [
    "Decision",
    "LinkError",
    "LinkReport",
    "LinkSettings",
    "LinkSettingsError",
    "LinkView",
    "PersonLink",
    "current_links",
    "decide",
    "latest_run",
    "link_case",
    "parse_settings",
    "person_of",
    "persons_of",
]
