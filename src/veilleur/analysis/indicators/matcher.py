"""Running the rules over one message text: normalise, mask idioms, match, guard, map back.

For each text :meth:`Matcher.scan`:

1. folds it (:func:`~veilleur.analysis.indicators.text.fold`): lower case, accents folded, with a
   map back to the original characters;
2. stops there unless one of the rules' literal anchors occurs (one pass of one regular
   expression finds them all; most messages end here);
3. masks idioms (:data:`~veilleur.analysis.indicators.rules.IDIOMS`: "un jeu d'enfant", "my kid
   brother") with ``_`` of the same length, so offsets do not move;
4. runs every rule one of whose anchors occurs, French and English alike (no language
   detection: a message may mix both, and a rule of the other language rarely matches);
5. applies the guards to each match: a negation or wish earlier in the clause ("ce n'est pas mon
   fils", "I don't have a daughter"), reported speech earlier in the sentence ("il m'a dit que
   …", "she told me …"), or a match inside quotation marks or on a quoted line (``> …``).
   A guarded disclosure (``access_to_children``, ``profession``) is dropped; a guarded sensitive
   match is kept at ``low`` confidence — a negated or quoted request is still worth a look;
6. keeps, per indicator, one match per stretch of text: where matches overlap, the most confident,
   then the longest, then the first;
7. maps each span back to ``[start, end)`` in the original text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from veilleur.analysis.indicators.rules import (
    CONFIDENCES,
    GUARDS,
    IDIOM_ANCHORS,
    IDIOMS,
    RULES,
    Rule,
    expand,
    rule_anchors,
)
from veilleur.analysis.indicators.text import fold

__all__ = ["Match", "Matcher", "ScanStats"]

_RANK = {c: i for i, c in enumerate(CONFIDENCES)}  # high 0, medium 1, low 2
_CLAUSE_END = re.compile(r"[.!?;,:()\n]")
_SENTENCE_END = re.compile(r"[.!?\n]")
NEGATION_WINDOW = 30
"""Characters before a match searched for a negation (within its clause)."""
REPORTED_WINDOW = 60
"""Characters before a match searched for reported speech (within its sentence)."""


@dataclass(frozen=True)
class Match:
    """One rule matched ``original[start:end]``; ``guard`` is what lowered its confidence."""

    rule: Rule
    start: int
    end: int
    confidence: str
    guard: str | None = None


@dataclass
class ScanStats:
    """What the guards did over a scan (counts only)."""

    dropped: Counter[str] = field(default_factory=Counter)  # disclosures dropped, by guard
    lowered: Counter[str] = field(default_factory=Counter)  # sensitive matches lowered, by guard
    overlapping: int = 0  # matches left out because a better one covered the same text


def _trie(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words`` (literal), factored by common prefix."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(root)


class Matcher:
    """The compiled rules. Build once (compiling takes a few milliseconds), scan many texts."""

    def __init__(self, rules: Iterable[Rule] = RULES, *, use_anchors: bool = True) -> None:
        self.rules = tuple(rules)
        self.use_anchors = use_anchors
        self._compiled = [(r, re.compile(expand(r.pattern)), rule_anchors(r)) for r in self.rules]
        for r, _, anchors in self._compiled:
            if not anchors or "" in anchors:
                raise ValueError(f"rule {r.id} names no anchor: every rule needs one (rules.py)")
        stems = sorted({s for _, _, anchors in self._compiled for s in anchors})
        # At every position, the longest stem starting there (the others there are its prefixes).
        self._stem_finder = re.compile(f"(?=({_trie(stems)}))")
        self._stems_at: dict[str, frozenset[str]] = {}
        self._stems = stems
        self._idioms = re.compile("|".join(f"(?:{pattern})" for pattern, _ in IDIOMS))
        self._guards = {
            (kind, lang): re.compile(expr)
            for kind, by_lang in GUARDS.items()
            for lang, expr in by_lang.items()
        }
        self._by_id = {r.id: rx for r, rx, _ in self._compiled}
        self.stats = ScanStats()

    def scan(self, text: str) -> list[Match]:
        """The matches in ``text``, with spans in ``text``'s own character offsets."""
        if not text:
            return []
        folded = fold(text)
        norm = folded.text
        present: set[str] | None = None
        if self.use_anchors:
            present = self._present(norm)
            if not present:
                return []
        masked = self._mask(norm)
        found: list[tuple[Rule, int, int, str, str | None]] = []
        for rule, rx, anchors in self._compiled:
            if present is not None and present.isdisjoint(anchors):
                continue
            for m in rx.finditer(masked):
                if m.end() == m.start():
                    continue
                confidence, guard = rule.confidence, self._guard(masked, m.start(), rule.language)
                if guard is not None:
                    if not rule.sensitive:
                        self.stats.dropped[guard] += 1
                        continue
                    self.stats.lowered[guard] += 1
                    confidence = "low"
                found.append((rule, m.start(), m.end(), confidence, guard))
        if not found:
            return []
        out: list[Match] = []
        for rule, start, end, confidence, guard in self._best(found):
            o_start, o_end = folded.span(start, end)
            out.append(Match(rule, o_start, o_end, confidence, guard))
        out.sort(key=lambda m: (m.start, m.end, m.rule.id))
        return out

    def confirms(self, rule_id: str, span: str) -> bool | None:
        """Whether ``span`` (a hit's text, cut from the message as it is now) is still what the rule
        ``rule_id`` matched: False when the message changed since the run (a later import brought an
        edited version), None when no rule has that id any more."""
        rx = self._by_id.get(rule_id)
        if rx is None:
            return None
        return bool(span) and rx.fullmatch(self._mask(fold(span).text)) is not None

    def _present(self, norm: str) -> set[str]:
        """The anchor stems occurring in ``norm`` (one pass, overlapping occurrences included).

        Masking idioms afterwards may remove some: a rule run for nothing, never one skipped."""
        present: set[str] = set()
        for m in self._stem_finder.finditer(norm):
            longest = m.group(1)
            found = self._stems_at.get(longest)
            if found is None:
                found = self._stems_at[longest] = frozenset(s for s in self._stems if longest.startswith(s))
            present |= found
        return present

    def _mask(self, norm: str) -> str:
        if not any(a in norm for a in IDIOM_ANCHORS):
            return norm
        return self._idioms.sub(lambda m: "_" * len(m.group()), norm)

    def _guard(self, text: str, start: int, language: str) -> str | None:
        """The guard that applies to a match starting at ``start``, if any."""
        before = text[:start]
        line = before[before.rfind("\n") + 1 :]
        if line.lstrip().startswith(">") or _inside_quotes(before):
            return "quoted"
        clause = _tail(before, NEGATION_WINDOW, _CLAUSE_END)
        if clause and self._guards[("negation", language)].search(clause):
            return "negation"
        sentence = _tail(before, REPORTED_WINDOW, _SENTENCE_END)
        if sentence and self._guards[("reported", language)].search(sentence):
            return "reported"
        return None

    def _best(
        self, found: list[tuple[Rule, int, int, str, str | None]]
    ) -> list[tuple[Rule, int, int, str, str | None]]:
        """Per indicator, drop matches overlapping a more confident, longer or earlier one."""
        kept: list[tuple[Rule, int, int, str, str | None]] = []
        for f in sorted(found, key=lambda f: (_RANK[f[3]], -(f[2] - f[1]), f[1], f[0].id)):
            rule, start, end = f[0], f[1], f[2]
            if any(k[0].indicator == rule.indicator and k[1] < end and start < k[2] for k in kept):
                self.stats.overlapping += 1
                continue
            kept.append(f)
        return kept


def _tail(before: str, window: int, stop: re.Pattern[str]) -> str:
    """The last ``window`` characters of ``before``, cut at the last ``stop`` character."""
    chunk = before[-window:]
    cut = None
    for cut in stop.finditer(chunk):  # noqa: B007 - the last one is wanted
        pass
    return chunk[cut.end() :] if cut is not None else chunk


def _inside_quotes(before: str) -> bool:
    """Whether text ending here is inside a quotation: an odd number of ``"`` before it (curly
    quotes are folded to ``"``), or a ``«`` not yet closed by ``»``."""
    if before.count('"') % 2 == 1:
        return True
    return before.rfind("\u00ab") > before.rfind("\u00bb")
