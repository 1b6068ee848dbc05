"""Text indicators: self-disclosed access to children, jobs with children, stated intent, requests
for material and arrangements to meet, found in message texts by French and English rules.

* :mod:`.rules` — the rules as data (ids, languages, confidences, patterns, examples), vocabulary,
  idioms masked, guards;
* :mod:`.text` — normalisation (case and accents folded) with the map back to original offsets;
* :mod:`.matcher` — one text in, matches with spans in its own offsets out;
* :mod:`.run` — :func:`run_indicators`, a run over every message of a case, stored and audited;
* :mod:`.hits` — :func:`hits_for` (citations, no sensitive text) and :func:`reveal` (audited).

A hit is a lead for an investigator to read, never evidence alone (``docs/indicators.md``).
"""

from veilleur.analysis.indicators.hits import HIDDEN, IndicatorError, IndicatorHit, hits_for, reveal
from veilleur.analysis.indicators.matcher import Match, Matcher
from veilleur.analysis.indicators.rules import INDICATORS, RULES, SENSITIVE, Rule
from veilleur.analysis.indicators.run import IndicatorReport, current_run, run_indicators

__all__ = [
    "HIDDEN",
    "INDICATORS",
    "RULES",
    "SENSITIVE",
    "IndicatorError",
    "IndicatorHit",
    "IndicatorReport",
    "Match",
    "Matcher",
    "Rule",
    "current_run",
    "hits_for",
    "reveal",
    "run_indicators",
]
