"""Reading indicator hits, and the audited reveal of their text.

:func:`hits_for` returns the current run's hits with their message citation (chat, message id,
date, sender, evidence file and byte offset) and span offsets. The text of a *sensitive* hit
(``intent``, ``request``, ``meeting``) is never read here: its ``snippet`` is None. A
non-sensitive hit (``access_to_children``, ``profession``) carries its snippet — exactly the
matched span, no context, so that nothing around it (possibly sensitive) comes along — once the
span has been checked to be still what its rule matched (a later import may have replaced the
message's text with an edited version; such a hit is marked ``verified=False`` and shown without
text until the indicators are run again).

:func:`reveal` is the only way to a sensitive hit's text: it takes the operator and a reason,
checks the span, writes a ``reveal.text`` audit entry (hit id, message citation, operator,
reason) and witnesses it, and only then returns the span with some context.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy import case as sql_case

from veilleur.analysis.indicators.matcher import Matcher
from veilleur.analysis.indicators.run import current_run
from veilleur.case import Case
from veilleur.custody.audit import record, witness
from veilleur.errors import VeilleurError
from veilleur.store.schema import accounts, chats, indicator_hits, message_versions, messages
from veilleur.timefmt import iso_utc

__all__ = ["CONTEXT", "HIDDEN", "IndicatorError", "IndicatorHit", "edited_away", "hits_for", "reveal"]

CONTEXT = 80
"""Characters of the message shown on each side of a revealed span."""
HIDDEN = "[hidden: use reveal]"
"""What views print in place of a sensitive hit's text."""


class IndicatorError(VeilleurError):
    """An indicator hit cannot be read or revealed as asked (unknown id, no reason, changed text)."""


@dataclass(frozen=True)
class IndicatorHit:
    """One stored hit with its message citation; ``snippet`` only for non-sensitive hits."""

    id: int
    run_id: int
    indicator: str
    rule: str
    language: str
    confidence: str
    sensitive: bool
    span_start: int  # character (code point) offsets in the text scanned (see ``version``)
    span_end: int
    message_pk: int
    chat_key: str
    chat_title: str | None
    message_id: int
    date_utc: int | None
    sender_id: int | None
    sender_key: str | None
    sender_name: str | None
    evidence_id: int
    byte_offset: int | None
    page: str | None
    snippet: str | None = None
    verified: bool | None = None  # span still what the rule matched (None: not checked: sensitive)
    version: int | None = None
    """None: found in the message's current text. N: in its version N, a text since edited away;
    ``evidence_id``, ``byte_offset`` and ``page`` are then that version's."""

    @property
    def citation(self) -> str:
        where = f"byte {self.byte_offset}" if self.byte_offset is not None else f"page {self.page}"
        return f"evidence #{self.evidence_id}, {where}{edited_away(self.version)}"

    def shown_text(self) -> str:
        """What a view prints for the hit's text: the snippet, or why there is none."""
        if self.sensitive:
            return HIDDEN
        if self.snippet is None:
            return "[message changed since this run: run the indicators again]"
        return self.snippet

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["date_utc"] = iso_utc(self.date_utc)
        d["citation"] = self.citation
        d["hidden"] = self.sensitive
        return d


@cache
def _matcher() -> Matcher:
    return Matcher()


def edited_away(version: int | None) -> str:
    """What a citation adds for a hit found in an earlier version of its message."""
    return f", version {version} (edited away since)" if version is not None else ""


def _from_version(version_col: Any, message_col: Any) -> Any:
    """The version's value for a hit found in an earlier version, the message row's otherwise."""
    return sql_case((indicator_hits.c.version.is_(None), message_col), else_=version_col)


_V = message_versions
_TEXT = _from_version(_V.c.text, messages.c.text)


def _select(with_span_text: bool) -> Any:
    """The hits with their citation; the span's text (for checking) only where not sensitive."""
    cols: list[Any] = [
        indicator_hits,
        messages.c.chat_id,
        messages.c.message_id,
        messages.c.date_utc,
        messages.c.sender_id,
        messages.c.sender_name,
        _from_version(_V.c.evidence_id, messages.c.evidence_id).label("evidence_id"),
        _from_version(_V.c.byte_offset, messages.c.byte_offset).label("byte_offset"),
        _from_version(_V.c.page, messages.c.page).label("page"),
        chats.c.key.label("chat_key"),
        chats.c.title.label("chat_title"),
        accounts.c.key.label("sender_key"),
    ]
    if with_span_text:
        length = indicator_hits.c.span_end - indicator_hits.c.span_start
        cols.append(
            sql_case(
                (indicator_hits.c.sensitive, None),
                else_=func.substr(_TEXT, indicator_hits.c.span_start + 1, length),
            ).label("span_text")
        )
    return (
        select(*cols)
        .join(messages, messages.c.id == indicator_hits.c.message_pk)
        .outerjoin(
            _V, and_(_V.c.message_pk == indicator_hits.c.message_pk, _V.c.version == indicator_hits.c.version)
        )
        .join(chats, chats.c.id == messages.c.chat_id)
        .outerjoin(accounts, accounts.c.id == messages.c.sender_id)
    )


def _hit(r: Any, snippet: str | None = None, verified: bool | None = None) -> IndicatorHit:
    return IndicatorHit(
        id=int(r.id),
        run_id=int(r.run_id),
        indicator=r.indicator,
        rule=r.rule,
        language=r.language,
        confidence=r.confidence,
        sensitive=bool(r.sensitive),
        span_start=int(r.span_start),
        span_end=int(r.span_end),
        message_pk=int(r.message_pk),
        chat_key=r.chat_key,
        chat_title=r.chat_title,
        message_id=int(r.message_id),
        date_utc=r.date_utc,
        sender_id=r.sender_id,
        sender_key=r.sender_key,
        sender_name=r.sender_name,
        evidence_id=int(r.evidence_id),
        byte_offset=r.byte_offset,
        page=r.page,
        snippet=snippet,
        verified=verified,
        version=r.version,
    )


def hits_for(
    conn: Connection,
    *,
    account_id: int | None = None,
    indicator: str | None = None,
    run_id: int | None = None,
) -> list[IndicatorHit]:
    """The current run's hits (or ``run_id``'s), optionally only those in messages sent by
    ``account_id`` or of one ``indicator``, by message time. Sensitive hits come without text."""
    run = run_id if run_id is not None else current_run(conn)
    if run is None:
        return []
    query = _select(with_span_text=True).where(indicator_hits.c.run_id == run)
    if account_id is not None:
        query = query.where(messages.c.sender_id == account_id)
    if indicator is not None:
        query = query.where(indicator_hits.c.indicator == indicator)
    query = query.order_by(
        messages.c.date_utc,
        messages.c.chat_id,
        messages.c.message_id,
        indicator_hits.c.span_start,
        indicator_hits.c.id,
    )
    out: list[IndicatorHit] = []
    for r in conn.execute(query):
        if r.sensitive:
            out.append(_hit(r))
            continue
        verified = _matcher().confirms(r.rule, r.span_text or "")
        out.append(_hit(r, r.span_text if verified is not False else None, verified is not False))
    return out


def reveal(case: Case, hit_id: int, *, operator: str, reason: str) -> str:
    """The text of hit ``hit_id`` with :data:`CONTEXT` characters around it, the span between
    ``⟦`` and ``⟧``; logged (``reveal.text``: hit, citation, operator, reason) and witnessed first.

    Refuses, logging nothing and showing nothing, without a reason, for an unknown hit, or when the
    message's text no longer holds what the rule matched (re-run the indicators)."""
    reason = (reason or "").strip()
    if not reason:
        raise IndicatorError("revealing a hit's text needs a reason (it goes into the audit log)")
    with case.engine.begin() as conn:
        r = conn.execute(
            _select(with_span_text=False)
            .add_columns(_TEXT.label("text"))
            .where(indicator_hits.c.id == hit_id)
        ).first()
        if r is None:
            raise IndicatorError(f"no indicator hit #{hit_id} in this case")
        text: str = r.text
        hit = _hit(r)
        if _matcher().confirms(hit.rule, text[hit.span_start : hit.span_end]) is False:
            raise IndicatorError(
                f"message {hit.chat_key} #{hit.message_id} changed since indicators run #{hit.run_id} "
                "(a later import brought another version): run 'veilleur indicators run' again"
            )
        where = record(
            conn,
            "reveal.text",
            operator=operator,
            subject=f"indicator hit #{hit.id}",
            details={
                "hit_id": hit.id,
                "run_id": hit.run_id,
                "indicator": hit.indicator,
                "rule": hit.rule,
                "sensitive": hit.sensitive,
                "chat": hit.chat_key,
                "message_id": hit.message_id,
                "message_pk": hit.message_pk,
                "date_utc": iso_utc(hit.date_utc),
                "sender": hit.sender_key,
                "evidence_id": hit.evidence_id,
                "byte_offset": hit.byte_offset,
                "page": hit.page,
                "version": hit.version,
                "span": [hit.span_start, hit.span_end],
                "reason": reason,
            },
        )
    witness(case, where)
    return _with_context(text, hit.span_start, hit.span_end)


def _with_context(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    return (
        ("…" if lo > 0 else "")
        + text[lo:start]
        + "⟦"
        + text[start:end]
        + "⟧"
        + text[end:hi]
        + ("…" if hi < len(text) else "")
    )
