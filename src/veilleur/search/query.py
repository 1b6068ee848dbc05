"""The query language investigators write, parsed once and compiled for either backend.

::

    enfant                   a word, and the indexed words with its French or English stem
    "on se voit"             a phrase: these words, in this order, exactly
    enfant*                  a prefix
    école AND sortie         both (AND is implied between terms: ``école sortie``)
    photo OR vidéo           either
    rencontre NOT café       the first without the second (also ``-café``)
    (photo OR vidéo) école   grouping
    name:camille             in a field: name, username, chat (titles), phone, email, ip, file,
                             poll, text (message texts, earlier versions included)
    phone:06.12.34.56.78     an identifier, normalised as the records' rules do: exact
    after:2026-01-01 before:2026-02-01      a time window (UTC days; ``before`` is exclusive)
    in:telegram:channel:123  only this chat       from:user:42   only what this account sent
    to:user:42               only what others sent in the chats of this account (received)
    re:"\\b0[67]\\d{8}\\b"     a regular expression, run over the texts the rest of the query finds

Words are matched as :mod:`veilleur.search.tokens` folds them, on both backends. The time, chat,
account and regular-expression operators apply to the whole query (they may not sit inside OR or
NOT). A query that is only NOT, or only filters, needs something to find: a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from veilleur.errors import InvalidValue, VeilleurError
from veilleur.records import normalise as norm
from veilleur.search.tokens import ALL_MARKER, exact_token, field_marker, tokens
from veilleur.timefmt import utc_day

__all__ = [
    "FIELDS",
    "IDENTIFIER_FIELDS",
    "And",
    "Not",
    "Or",
    "Parsed",
    "QueryError",
    "Term",
    "parse",
    "to_fts5",
    "to_tsquery",
    "word_tokens",
]

FIELDS = {
    "name": ("name",),
    "username": ("username",),
    "chat": ("title",),
    "title": ("title",),
    "phone": ("phone",),
    "email": ("email",),
    "ip": ("ip",),
    "file": ("file",),
    "poll": ("poll",),
    "text": ("text",),
}
IDENTIFIER_FIELDS = frozenset({"phone", "email", "ip", "username"})
FILTERS = frozenset({"after", "before", "in", "from", "to", "re"})


class QueryError(VeilleurError):
    """A query that cannot be read: the message says where and why."""


@dataclass(frozen=True)
class Term:
    """A leaf: ``tokens`` as a word (one token, widened by stems), a phrase, a prefix, or an exact
    identifier token; ``fields`` restricts it (empty: any field)."""

    kind: str  # word | phrase | prefix | exact
    tokens: tuple[str, ...]
    fields: tuple[str, ...] = ()
    shown: str = ""


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Term | And | Or | Not


@dataclass
class Parsed:
    """A query: the expression to match, and the filters that apply to all of it."""

    text: str
    node: Node | None
    after_utc: int | None = None
    before_utc: int | None = None
    chats: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)
    regex: re.Pattern[str] | None = None

    def positive_terms(self) -> list[Term]:
        """The terms a hit may show (not those under NOT), for marking snippets."""
        out: list[Term] = []

        def walk(n: Node, negated: bool) -> None:
            if isinstance(n, Term):
                if not negated:
                    out.append(n)
            elif isinstance(n, Not):
                walk(n.part, not negated)
            else:
                for p in n.parts:
                    walk(p, negated)

        if self.node is not None:
            walk(self.node, False)
        return out


_LEX = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<neg>-(?=[\w"(]))|'
    r'(?P<field>[a-z]+):(?=\S)|(?P<quote>"(?:[^"\\]|\\.)*"?)|(?P<bare>[^\s()"]+))'
)


def _lex(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _LEX.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"cannot read the query at character {pos + 1}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "field" and value not in FIELDS and value not in FILTERS:
            # not an operator ("10:30", "http://…", a key "telegram:user:1"): one bare word
            rest = _rest_of_word(text, m.end())
            out.append(("bare", text[m.start(kind) : m.end()] + rest, m.start(kind)))
            pos = m.end() + len(rest)
            continue
        if kind == "quote" and (len(value) < 2 or not value.endswith('"')):
            raise QueryError(f"a quote opened at character {m.start(kind) + 1} is never closed")
        out.append((kind, value, m.start(kind)))
        pos = m.end()
    return out


def _rest_of_word(text: str, at: int) -> str:
    m = re.match(r'[^\s()"]*', text[at:])
    return m.group() if m else ""


def _day(value: str, op: str) -> int:
    try:
        return utc_day(value, f"{op}:")
    except InvalidValue as e:
        raise QueryError(str(e)) from None


def _identifier(field_name: str, value: str) -> Term:
    """``phone:…``, ``email:…``, ``ip:…``, ``username:…``: the exact identifier token."""
    try:
        if field_name == "phone":
            normal = norm.phone(value)
        elif field_name == "email":
            normal = norm.email(value)
        elif field_name == "ip":
            normal = norm.ip(value)
        else:
            normal = value.removeprefix("@").casefold()
    except norm.Invalid as e:
        raise QueryError(f"{field_name}:{value}: {e}") from None
    return Term("exact", (exact_token(field_name, normal),), (field_name,), f"{field_name}:{normal}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0
        self.parsed = Parsed(text, None)

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str, int]:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Parsed:
        node = self.or_expr(top=True)
        if self.peek() is not None:
            _, value, at = self.take()
            raise QueryError(f"unexpected {value!r} at character {at + 1}")
        self.parsed.node = node
        return self.parsed

    def or_expr(self, top: bool = False) -> Node | None:
        parts = [self.and_expr(top=top)]
        while (t := self.peek()) is not None and t[0] == "bare" and t[1] == "OR":
            self.take()
            parts.append(self.and_expr(top=False))
        if len(parts) > 1 and any(p is None for p in parts):
            raise QueryError("OR needs a term on each side (filters such as after: apply to the whole query)")
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def and_expr(self, top: bool) -> Node | None:
        parts: list[Node] = []
        while (t := self.peek()) is not None and t[0] != "rp" and not (t[0] == "bare" and t[1] == "OR"):
            if t[0] == "bare" and t[1] == "AND":
                self.take()
                continue
            n = self.unary(top)
            if n is not None:
                parts.append(n)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, top: bool) -> Node | None:
        t = self.peek()
        if t is None:
            raise QueryError("the query ends where a term was expected")
        if (t[0] == "bare" and t[1] == "NOT") or t[0] == "neg":
            self.take()
            if self.peek() is None:
                raise QueryError(f"NOT at character {t[2] + 1} needs a term after it")
            inner = self.unary(top=False)
            if inner is None:
                raise QueryError(f"NOT at character {t[2] + 1} needs a term after it")
            return Not(inner)
        return self.atom(top)

    def atom(self, top: bool, fields: tuple[str, ...] = ()) -> Node | None:
        kind, value, at = self.take()
        if kind == "lp":
            inner = self.or_expr()
            close = self.peek()
            if close is None or close[0] != "rp":
                raise QueryError(f"the parenthesis opened at character {at + 1} is never closed")
            self.take()
            if inner is None:
                raise QueryError(f"empty parentheses at character {at + 1}")
            return inner if not fields else _restrict(inner, fields)
        if kind == "rp":
            raise QueryError(f"unexpected ) at character {at + 1}")
        if kind == "field":
            nxt = self.peek()
            if nxt is None:
                raise QueryError(f"{value}: at character {at + 1} needs a value")
            if value in FILTERS:
                if not top:
                    raise QueryError(
                        f"{value}: applies to the whole query; it cannot sit inside OR, NOT or ()"
                    )
                self.filter(value, self.take())
                return None
            if value in IDENTIFIER_FIELDS and nxt[0] in ("bare", "quote"):
                self.take()
                return _identifier(value, nxt[1].strip('"'))
            return self.atom(top=False, fields=FIELDS[value])
        if kind == "quote":
            words = tuple(tokens(_unquote(value)))
            if not words:
                raise QueryError(f"the phrase at character {at + 1} has no word in it")
            return Term("phrase" if len(words) > 1 else "exact", words, fields, value)
        # a bare word (possibly several tokens: "l'enfant", "06.12" -> a phrase of them)
        if value.endswith("*") and len(value) > 1:
            words = tuple(tokens(value[:-1]))
            if not words:
                raise QueryError(f"a prefix needs letters or digits: {value!r} at character {at + 1}")
            # "l'enf*", "東京*": the words before, then a prefix of the last one
            return Term("prefix", words, fields, value)
        words = tuple(tokens(value))
        if not words:
            return None  # punctuation alone
        if len(words) > 1:
            return Term("phrase", words, fields, value)
        return Term("word", words, fields, value)

    def filter(self, op: str, tok: tuple[str, str, int]) -> None:
        value = tok[1]
        if tok[0] == "quote":  # a pattern keeps its backslashes; only \\" stands for the quote
            value = value[1:-1].replace('\\"', '"') if op == "re" else _unquote(value)
        p = self.parsed
        if op == "after":
            p.after_utc = _day(value, op)
        elif op == "before":
            p.before_utc = _day(value, op)
        elif op == "in":
            p.chats.append(value)
        elif op == "from":
            p.senders.append(value)
        elif op == "to":
            p.receivers.append(value)
        else:
            try:
                p.regex = re.compile(value)
            except re.error as e:
                raise QueryError(f"re: not a regular expression: {e}") from None


def _unquote(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"') else value


def _restrict(node: Node, fields: tuple[str, ...]) -> Node:
    if isinstance(node, Term):
        return Term(node.kind, node.tokens, fields, node.shown)
    if isinstance(node, Not):
        return Not(_restrict(node.part, fields))
    return type(node)(tuple(_restrict(p, fields) for p in node.parts))


def parse(text: str) -> Parsed:
    """Read a query (see the module's docstring); a :class:`QueryError` says what is wrong."""
    if len(text) > 2_000:
        raise QueryError("a query is at most 2,000 characters")
    parsed = _Parser(text).parse()
    if parsed.node is None and parsed.regex is None:
        raise QueryError("the query has nothing to find: give a word, a phrase or a field")
    return parsed


# -- compiling ------------------------------------------------------------------------------------

Widen = dict[str, list[str]]
"""A word token -> the indexed words sharing one of its stems (itself included)."""


def _field_clause_fts(fields: tuple[str, ...]) -> str:
    return " OR ".join(f'"{field_marker(f)}"' for f in fields)


def to_fts5(node: Node, widen: Widen) -> str:
    """The node as an FTS5 MATCH expression over our ``[a-z0-9]`` tokens."""
    if isinstance(node, Term):
        if node.kind == "word":
            variants = widen.get(node.tokens[0], [node.tokens[0]])
            inner = " OR ".join(f'"{v}"' for v in variants)
        elif node.kind == "prefix":
            inner = '"' + " ".join(node.tokens) + '"*'
        elif node.kind == "phrase":
            inner = '"' + " ".join(node.tokens) + '"'
        else:
            inner = f'"{node.tokens[0]}"'
        if node.fields:
            return f"(({inner}) AND ({_field_clause_fts(node.fields)}))"
        return f"({inner})"
    if isinstance(node, And):
        positives = [p for p in node.parts if not isinstance(p, Not)]
        negatives = [p.part for p in node.parts if isinstance(p, Not)]
        base = " AND ".join(to_fts5(p, widen) for p in positives) if positives else f'"{ALL_MARKER}"'
        for n in negatives:
            base = f"({base}) NOT {to_fts5(n, widen)}"
        return f"({base})"
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(p, widen) for p in node.parts) + ")"
    return f'("{ALL_MARKER}" NOT {to_fts5(node.part, widen)})'


def to_tsquery(node: Node, widen: Widen) -> str:
    """The node as a PostgreSQL ``tsquery`` literal over the same tokens."""
    if isinstance(node, Term):
        if node.kind == "word":
            variants = widen.get(node.tokens[0], [node.tokens[0]])
            inner = " | ".join(f"'{v}'" for v in variants)
        elif node.kind == "prefix":
            inner = " <-> ".join([*(f"'{t}'" for t in node.tokens[:-1]), f"'{node.tokens[-1]}':*"])
        elif node.kind == "phrase":
            inner = " <-> ".join(f"'{t}'" for t in node.tokens)
        else:
            inner = f"'{node.tokens[0]}'"
        if node.fields:
            return f"(({inner}) & ({' | '.join(repr(field_marker(f)) for f in node.fields)}))"
        return f"({inner})"
    if isinstance(node, And):
        positives = [p for p in node.parts if not isinstance(p, Not)]
        negatives = [p.part for p in node.parts if isinstance(p, Not)]
        base = " & ".join(to_tsquery(p, widen) for p in positives) if positives else f"'{ALL_MARKER}'"
        for n in negatives:
            base = f"({base}) & !{to_tsquery(n, widen)}"
        return f"({base})"
    if isinstance(node, Or):
        return "(" + " | ".join(to_tsquery(p, widen) for p in node.parts) + ")"
    return f"('{ALL_MARKER}' & !{to_tsquery(node.part, widen)})"


def word_tokens(node: Node | None) -> set[str]:
    """The word terms' tokens, to widen by stem."""
    if node is None:
        return set()
    if isinstance(node, Term):
        return {node.tokens[0]} if node.kind == "word" else set()
    if isinstance(node, Not):
        return word_tokens(node.part)
    return set().union(*(word_tokens(p) for p in node.parts))
