"""Text indicators: the rules on their own (FR and EN positives per indicator, negatives, guards,
spans mapped back to the original text), then on a case imported from a tiny synthetic Telegram
export on SQLite and PostgreSQL (runs, current hits, citations, hidden sensitive text, the
audited reveal, the CLI).

Every phrase here is synthetic. The sensitive ones are short, non-graphic keyword-list phrases,
only as explicit as a rule needs to be exercised.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from conftest import add_member
from veilleur.analysis.indicators import (
    HIDDEN,
    RULES,
    IndicatorError,
    Matcher,
    current_run,
    hits_for,
    reveal,
    run_indicators,
)
from veilleur.analysis.indicators import hits as hits_module
from veilleur.analysis.indicators import run as run_module
from veilleur.analysis.indicators.rules import (
    CONFIDENCES,
    IDIOM_ANCHORS,
    IDIOMS,
    INDICATORS,
    LANGUAGES,
    ruleset_digest,
)
from veilleur.analysis.indicators.text import fold
from veilleur.analysis.priority import rank_case
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody.audit import entries, tail, verify
from veilleur.errors import AuditError
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.store.schema import accounts, indicator_hits, message_versions, messages, ranking_entries

MATCHER = Matcher()


def found(text: str) -> list[tuple[str, str, str]]:
    """(rule id, confidence, matched original text) for each match in ``text``."""
    return [(m.rule.id, m.confidence, text[m.start : m.end]) for m in MATCHER.scan(text)]


def indicators_in(text: str) -> set[str]:
    return {m.rule.indicator for m in MATCHER.scan(text)}


# -- the rules as data ------------------------------------------------------------------------------


def test_rule_ids_are_unique_and_name_their_language_and_indicator() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    short = {"access_to_children": "access"}
    for r in RULES:
        assert r.language in LANGUAGES and r.indicator in INDICATORS and r.confidence in CONFIDENCES
        lang, ind, name = r.id.split(".")
        assert (lang, ind) == (r.language, short.get(r.indicator, r.indicator)) and name
        assert r.sensitive == (r.indicator in {"intent", "request", "meeting"})
        assert r.examples and r.catches
    # Every indicator has rules in both languages.
    assert {(r.indicator, r.language) for r in RULES} == {(i, lang) for i in INDICATORS for lang in LANGUAGES}
    assert len(ruleset_digest()) == 64


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_catches_its_examples_and_not_its_counter_examples(rule: Any) -> None:
    for example in rule.examples:
        assert rule.id in {m.rule.id for m in MATCHER.scan(example)}, example
    for counter in rule.counter_examples:
        assert rule.id not in {m.rule.id for m in MATCHER.scan(counter)}, counter


def test_anchors_skip_nothing_a_rule_would_find() -> None:
    """The anchor pre-filter is an optimisation only: with and without it, the same matches."""
    texts = [t for r in RULES for t in (*r.examples, *r.counter_examples)]
    texts += [" ".join(texts[i : i + 3]) for i in range(0, len(texts), 3)]  # several per message
    plain = Matcher(use_anchors=False)

    def key(ms: list[Any]) -> list[tuple[str, int, int, str]]:
        return [(m.rule.id, m.start, m.end, m.confidence) for m in ms]

    for t in texts:
        assert key(MATCHER.scan(t)) == key(plain.scan(t)), t


def test_idioms_are_masked_only_where_an_idiom_anchor_is() -> None:
    for pattern, example in IDIOMS:
        norm = fold(example).text
        assert any(a in norm for a in IDIOM_ANCHORS), example
        masked = MATCHER._mask(norm)
        assert len(masked) == len(norm) and "_" * 5 in masked, (pattern, example)


def test_a_rule_without_anchor_is_refused() -> None:
    rule = dataclasses.replace(RULES[0], anchors=())
    with pytest.raises(ValueError, match="anchor"):
        Matcher([rule])


def test_the_documentation_lists_every_rule() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert [r.id for r in RULES if f"`{r.id}`" not in doc] == []


def test_every_span_is_confirmed_by_its_rule_alone() -> None:
    """What reveal and hits_for check before showing a span (a changed message fails it)."""
    for r in RULES:
        for example in r.examples:
            for m in MATCHER.scan(example):
                assert MATCHER.confirms(m.rule.id, example[m.start : m.end]), (m.rule.id, example)
    assert MATCHER.confirms("fr.access.possessive_child", "bonjour") is False
    assert MATCHER.confirms("no.such.rule", "mon fils") is None


# -- positives, French and English, per indicator ----------------------------------------------------

POSITIVES = [
    # access_to_children
    ("ma fille de 6 ans", "fr.access.possessive_child_age", "high"),
    ("Mon fils a 8 ans", "fr.access.possessive_child_age", "high"),
    ("je garde les enfants de ma voisine", "fr.access.caring", "high"),
    ("mon fils", "fr.access.possessive_child", "medium"),
    ("my daughter is 7", "en.access.possessive_child_age", "high"),
    ("I coach the under-10s", "en.access.coaching", "high"),
    ("I have two kids", "en.access.have_children", "medium"),
    # profession
    ("je suis instit", "fr.profession.self_child_job", "high"),
    ("Je suis professeur des écoles", "fr.profession.self_child_job", "high"),
    ("je bosse comme assistante maternelle", "fr.profession.self_child_job", "high"),
    ("je suis animateur", "fr.profession.self_other_job", "medium"),
    ("I work as a teacher", "en.profession.self_other_job", "medium"),
    ("I'm a babysitter", "en.profession.self_child_job", "high"),
    ("i am a scout leader", "en.profession.self_child_job", "high"),
    # intent (sensitive)
    ("je veux rencontrer ta fille seul", "fr.intent.alone_with_child", "high"),
    ("ne dis rien à tes parents", "fr.intent.secrecy_parents", "medium"),
    ("I want to meet your daughter alone", "en.intent.alone_with_child", "high"),
    ("don't tell your mom", "en.intent.secrecy_parents", "medium"),
    # request (sensitive)
    ("cherche des vidéos d'enfants", "fr.request.material_child", "high"),
    ("tu as des vidéos", "fr.request.material", "low"),
    ("t'as du nouveau ?", "fr.request.new_stuff", "low"),
    ("send me pics of kids", "en.request.material_child", "high"),
    ("send me pics", "en.request.send_pics", "low"),
    ("any new stuff?", "en.request.new_stuff", "low"),
    # meeting (sensitive)
    ("on se voit où ?", "fr.meeting.time_place", "low"),
    ("rdv samedi", "fr.meeting.time_place", "low"),
    ("amène ta fille", "fr.meeting.with_child", "high"),
    ("let's meet at the station", "en.meeting.time_place", "low"),
    ("meet me after school", "en.meeting.school", "medium"),
]


@pytest.mark.parametrize(("text", "rule_id", "confidence"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_positives(text: str, rule_id: str, confidence: str) -> None:
    hits = {(rid, conf) for rid, conf, _ in found(text)}
    assert (rule_id, confidence) in hits, found(text)


def test_each_indicator_has_french_and_english_positives_above() -> None:
    covered = {(r.indicator, r.language) for r in RULES if r.id in {p[1] for p in POSITIVES}}
    assert covered == {(i, lang) for i in INDICATORS for lang in LANGUAGES}


def test_overlapping_matches_keep_the_most_confident_per_indicator() -> None:
    # "ma fille de 6 ans" is also "ma fille" (medium): one hit, the high one.
    assert found("ma fille de 6 ans") == [("fr.access.possessive_child_age", "high", "ma fille de 6 ans")]
    # Different indicators on the same words both stay.
    text = "je veux rencontrer ta fille seul, je suis prof"
    assert indicators_in(text) == {"intent", "profession"}


# -- negatives --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # negation
        "je n'ai pas d'enfants",
        "Je n’ai pas d’enfant.",
        "ce n'est pas mon fils",
        "c'est pas ma fille",
        "I don't have kids",
        "I do not have a daughter",
        "I have no children",
        "je ne suis pas instit",
        "I'm not a teacher",
        # a profession, or children, of someone else
        "mon frère est instit",
        "sa mère est prof des écoles",
        "my sister is a nanny",
        "your son is 7",
        "ton fils a 8 ans",
        # "enfant" and "kid" in phrases about no child
        "c'est un jeu d'enfant",
        "une soirée bon enfant",
        "l'enfant terrible du rock",
        "just kidding",
        "my kid brother is 17",
        "my grown kids",
        "it's child's play",
        # a pupil, not a job
        "je suis au collège",
        # ages that are not a child's
        "ma fille de 26 ans",
        # reported speech and quotation
        "il m'a dit que mon fils avait 8 ans",
        "she told me my daughter is 7",
        'il écrit "je suis instit"',
        "il a écrit « je suis nounou »",
        "> je suis nounou",
    ],
)
def test_negatives_are_not_disclosures(text: str) -> None:
    assert not indicators_in(text) & {"access_to_children", "profession"}, found(text)


def test_guards_lower_sensitive_matches_instead_of_dropping_them() -> None:
    # A negated or quoted request is still worth a look: kept, at low confidence.
    assert found("I don't want you to send me pics of kids")[0][:2] == ("en.request.material_child", "low")
    assert found('il a écrit "je veux rencontrer ta fille seul"')[0][:2] == (
        "fr.intent.alone_with_child",
        "low",
    )
    # Without a guard, the rule's own confidence.
    assert found("je veux rencontrer ta fille seul")[0][:2] == ("fr.intent.alone_with_child", "high")


def test_negation_stops_at_the_clause() -> None:
    assert found("non, ma fille de 6 ans dort") == [
        ("fr.access.possessive_child_age", "high", "ma fille de 6 ans")
    ]
    assert found("No. My daughter is 7") == [("en.access.possessive_child_age", "high", "My daughter is 7")]


# -- known failure modes: these tests document limitations and assert what happens today ---------------


def test_limitation_sarcasm_is_taken_literally() -> None:
    """KNOWN LIMITATION (docs/indicators.md): sarcasm is not understood. The phrase below mocks
    the claim, yet the rule reports a self-stated job. This asserts the current behaviour."""
    text = "ouais c'est ça, et moi je suis prof des écoles 🙄"
    assert found(text) == [("fr.profession.self_child_job", "high", "je suis prof des écoles")]


def test_limitation_homonyms_mineur_the_miner() -> None:
    """KNOWN LIMITATION: 'mineurs' (miners) outside the masked idioms ('mineur de fond', 'la
    mineur') reads as minors. This asserts the current behaviour (a false request hit), while the
    masked idiom is not one."""
    assert found("t'as des photos des mineurs en grève ?")[0][:2] == ("fr.request.material_child", "high")
    assert [r for r, _, _ in found("t'as des photos du mineur de fond ?")] == ["fr.request.material"]


def test_limitation_role_play_and_third_person_intent_are_not_told_apart() -> None:
    """KNOWN LIMITATION: the rules cannot tell role-play, fiction or a translation exercise from a
    statement; the phrase is reported as it reads."""
    assert found("(jeu de rôle) je veux rencontrer ta fille seul")[0][:2] == (
        "fr.intent.alone_with_child",
        "high",
    )


# -- spans map back to the original text exactly ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Élève : MA FILLE DE 6 ANS", "MA FILLE DE 6 ANS"),
        ("Léa 👧🏻❤️ ma fille de 6 ans !", "ma fille de 6 ans"),  # emoji, skin tone, variation selector
        ("👨\u200d👩\u200d👧 Ma sœur a une fille de 8 ans", "Ma sœur a une fille"),  # ZWJ, œ (1 char → 2)
        ("mon be\u0301be\u0301 dort", "mon be\u0301be\u0301"),  # combining accents, one ending the span
        ("ma nie\u0300ce arrive", "ma nie\u0300ce"),
        ("Straße: mon en\u200bfant", "mon en\u200bfant"),  # ß folds to two letters; a zero-width space
        ("ﬁn — je suis ＮＯＵＮＯＵ", "je suis ＮＯＵＮＯＵ"),  # ligature, fullwidth letters
        ("C’est décidé, je suis puéricultrice", "je suis puéricultrice"),
    ],
)
def test_spans_map_back_to_the_original_characters(text: str, span: str) -> None:
    matches = MATCHER.scan(text)
    assert [text[m.start : m.end] for m in matches] == [span]
    m = matches[0]
    assert text.index(span) == m.start and m.end == m.start + len(span)


def test_folding_keeps_a_source_index_for_every_character() -> None:
    text = "Œuvre e\u0301te\u0301 ﬁn 👍🏽"
    f = fold(text)
    assert f.text == "oeuvre ete fin 👍🏽"
    assert f.sources is not None and len(f.sources) == len(f.text)
    assert [text[f.source(i)] for i in range(len(f.text))][:3] == ["Œ", "Œ", "u"]
    assert fold("plain ascii").sources is None


# -- on a case, SQLite and PostgreSQL ---------------------------------------------------------------

ALICE, BOB = ("Alice", "user3"), ("Bob", "user4")
SENSITIVE_TEXTS = (
    "je veux rencontrer ta fille seul",
    "cherche des vidéos d'enfants",
    "send me pics of kids",
    "t'as du nouveau ?",
    "on se voit où ? rdv samedi",
)
MESSAGES: list[tuple[tuple[str, str], str]] = [
    (ALICE, "Bonjour ! Ma fille de 6 ans 👧🏻 adore l'école."),
    (ALICE, "Je suis instit en CM1."),
    (ALICE, "my daughter is 7 and I coach the under-10s"),
    (BOB, "I work as a teacher"),
    (ALICE, SENSITIVE_TEXTS[0]),
    (ALICE, SENSITIVE_TEXTS[1]),
    (ALICE, SENSITIVE_TEXTS[2]),
    (BOB, SENSITIVE_TEXTS[3]),
    (ALICE, SENSITIVE_TEXTS[4]),
    (
        BOB,
        "Je n'ai pas d'enfants, ce n'est pas mon fils. I don't have kids. "
        "Mon frère est instit. Un jeu d'enfant !",
    ),
    (BOB, "mon be\u0301be\u0301 dort"),
    (ALICE, ""),
    (BOB, "Rien à voir : la météo de demain."),
]


def write_export(folder: Path, edits: dict[int, str] | None = None) -> Path:
    """The chat as exported; ``edits``: message id → the text a later export shows, edited."""
    folder.mkdir(parents=True)
    edits = edits or {}
    msgs = [
        {
            "id": i,
            "type": "message",
            "date": f"2026-02-01T10:{i:02d}:00",
            "date_unixtime": str(1769940000 + 60 * i),
            "from": who[0],
            "from_id": who[1],
            "text": text,
            "text_entities": [{"type": "plain", "text": text}] if text else [],
        }
        for i, (who, text) in enumerate(MESSAGES, 1)
    ]
    for m in msgs:
        if m["id"] in edits:
            text = edits[m["id"]]
            m.update(text=text, text_entities=[{"type": "plain", "text": text}])
            m.update(edited="2026-02-02T09:00:00", edited_unixtime="1770022800")
    doc = {"name": "Bob", "type": "personal_chat", "id": 4, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return folder


@pytest.fixture
def imported(case: Case, tmp_path: Path) -> Case:
    import_export(case, write_export(tmp_path / "export"), ImportOptions("importer"))
    return case


def account_id(case: Case, key: str) -> int:
    with case.engine.connect() as conn:
        return int(conn.execute(select(accounts.c.id).where(accounts.c.key == key)).scalar_one())


def invoke(case: Case, *args: str, operator: str = "analyst") -> Any:
    add_member(case, operator, "analyst")
    return CliRunner().invoke(cli, ["--case", str(case.root), "--operator", operator, *args])


def test_run_stores_hits_with_citations_and_hides_sensitive_text(imported: Case) -> None:
    report = run_indicators(imported, operator="analyst")
    assert report.run_id == 1
    assert report.messages == len([m for m in MESSAGES if m[1]])  # empty texts are not scanned
    assert report.by_indicator == {
        "access_to_children": 4,  # ma fille de 6 ans, my daughter is 7, the under-10s, mon bébé
        "profession": 2,  # je suis instit, I work as a teacher
        "intent": 1,
        "request": 3,
        "meeting": 2,
    }
    assert report.dropped_by_guard["negation"] >= 1
    with imported.engine.connect() as conn:
        found_hits = hits_for(conn)
        texts = dict(conn.execute(select(messages.c.id, messages.c.text)).all())
    assert len(found_hits) == report.hits == 12
    for h in found_hits:
        assert h.run_id == 1 and h.chat_key == "telegram:user:4"
        assert h.evidence_id and h.byte_offset is not None and h.date_utc is not None
        assert h.sender_key in {"telegram:user:3", "telegram:user:4"}
        span = texts[h.message_pk][h.span_start : h.span_end]
        assert span  # offsets are character offsets into messages.text
        if h.sensitive:
            assert h.snippet is None and h.verified is None and h.shown_text() == HIDDEN
            assert span not in json.dumps(h.to_dict(), ensure_ascii=False)
        else:
            assert h.snippet == span and h.verified is True
    snippets = {h.snippet for h in found_hits if not h.sensitive}
    assert snippets == {
        "Ma fille de 6 ans",
        "Je suis instit",
        "my daughter is 7",
        "I coach the under-10s",
        "I work as a teacher",
        "mon be\u0301be\u0301",  # the decomposed accents, exactly as stored
    }
    # Where the same text is cut by the database (SQL substr counts characters too).
    first = next(h for h in found_hits if h.snippet == "Ma fille de 6 ans")
    assert (first.span_start, first.span_end) == (10, 27) and first.message_id == 1


def test_filters_by_account_and_indicator(imported: Case) -> None:
    run_indicators(imported, operator="analyst")
    bob = account_id(imported, "telegram:user:4")
    with imported.engine.connect() as conn:
        by_bob = hits_for(conn, account_id=bob)
        requests = hits_for(conn, indicator="request")
        bob_requests = hits_for(conn, account_id=bob, indicator="request")
    assert {h.sender_key for h in by_bob} == {"telegram:user:4"}
    assert {h.rule for h in by_bob} == {
        "en.profession.self_other_job",
        "fr.request.new_stuff",
        "fr.access.possessive_child",
    }
    assert {h.indicator for h in requests} == {"request"} and len(requests) == 3
    assert [h.rule for h in bob_requests] == ["fr.request.new_stuff"]


def test_rerun_makes_a_new_run_and_the_latest_is_current(
    imported: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_indicators(imported, operator="analyst")
    # Pages of two messages and single-row inserts: the streamed path gives the same hits.
    monkeypatch.setattr(run_module, "PAGE", 2)
    monkeypatch.setattr(run_module, "BATCH", 1)
    second = run_indicators(imported, operator="analyst")
    assert (first.run_id, second.run_id) == (1, 2)
    with imported.engine.connect() as conn:
        assert current_run(conn) == 2
        now = hits_for(conn)
        before = hits_for(conn, run_id=1)
        stored = conn.execute(select(indicator_hits.c.run_id)).scalars().all()
    assert {h.run_id for h in now} == {2} and {h.run_id for h in before} == {1}
    assert sorted(stored) == [1] * first.hits + [2] * second.hits  # earlier runs' rows are kept

    def same(hs: list[Any]) -> list[tuple[Any, ...]]:
        return [(h.message_pk, h.rule, h.span_start, h.span_end, h.confidence) for h in hs]

    assert same(now) == same(before)
    # A run that finds nothing still replaces the previous one.
    empty = run_indicators(imported, operator="analyst", matcher=Matcher(rules=()))
    assert empty.run_id == 3 and empty.hits == 0
    with imported.engine.connect() as conn:
        assert current_run(conn) == 3 and hits_for(conn) == []
        assert len(hits_for(conn, run_id=2)) == second.hits
    assert run_indicators(imported, operator="analyst").run_id == 4


def test_runs_are_audited_with_counts_only(imported: Case) -> None:
    report = run_indicators(imported, operator="analyst")
    with imported.engine.connect() as conn:
        logged = [e for e in entries(conn) if e.action == "indicators"]
        assert verify(conn, witness=imported.witness_path) == []
    assert len(logged) == 1 and logged[0].operator == "analyst"
    details = logged[0].details_value()
    assert details["run_id"] == report.run_id and details["hits"] == report.hits
    assert details["ruleset"] == ruleset_digest()
    for _, text in MESSAGES:
        for word in ("fille", "vidéos", "pics", "instit", "teacher", "samedi"):
            if word in text:
                assert word not in (logged[0].details or "")


def test_reveal_logs_first_then_returns_the_span_with_context(imported: Case) -> None:
    run_indicators(imported, operator="analyst")
    with imported.engine.connect() as conn:
        intent = hits_for(conn, indicator="intent")[0]
        seq_before = tail(conn, 1)[0].seq
    shown = reveal(imported, intent.id, operator="reviewer", reason="check the lead for the report")
    assert shown == "⟦je veux rencontrer ta fille seul⟧"
    with imported.engine.connect() as conn:
        last = tail(conn, 1)[0]
        assert verify(conn, witness=imported.witness_path) == []
    assert last.seq == seq_before + 1
    assert (last.action, last.operator, last.subject) == (
        "reveal.text",
        "reviewer",
        f"indicator hit #{intent.id}",
    )
    d = last.details_value()
    assert d["hit_id"] == intent.id and d["reason"] == "check the lead for the report"
    assert (d["chat"], d["message_id"], d["evidence_id"], d["byte_offset"]) == (
        intent.chat_key,
        intent.message_id,
        intent.evidence_id,
        intent.byte_offset,
    )
    assert "fille" not in (last.details or "")  # the entry names the hit, never its text
    # Context around a span in a longer message.
    with imported.engine.connect() as conn:
        meeting = hits_for(conn, indicator="meeting")
    assert reveal(imported, meeting[1].id, operator="reviewer", reason="r") == "on se voit où ? ⟦rdv samedi⟧"


def test_reveal_shows_nothing_when_it_cannot_log(imported: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    run_indicators(imported, operator="analyst")
    with imported.engine.connect() as conn:
        hit = hits_for(conn, indicator="request")[0]
        n = len(list(entries(conn)))

    def broken(*a: Any, **k: Any) -> Any:
        raise AuditError("the audit log cannot be appended to")

    monkeypatch.setattr(hits_module, "record", broken)
    with pytest.raises(AuditError):
        reveal(imported, hit.id, operator="reviewer", reason="r")
    monkeypatch.undo()
    with pytest.raises(IndicatorError, match="reason"):
        reveal(imported, hit.id, operator="reviewer", reason="  ")
    with pytest.raises(IndicatorError, match="no indicator hit"):
        reveal(imported, 10_000, operator="reviewer", reason="r")
    with imported.engine.connect() as conn:
        assert len(list(entries(conn))) == n  # refusals log nothing, and show nothing


def test_a_changed_message_is_not_shown_until_the_indicators_run_again(imported: Case) -> None:
    run_indicators(imported, operator="analyst")
    with imported.engine.connect() as conn:
        hits = hits_for(conn)
    job = next(h for h in hits if h.snippet == "Je suis instit")
    intent = next(h for h in hits if h.indicator == "intent")
    # As a later import of an edited version would: the row's text replaced.
    with imported.engine.begin() as conn:
        for h, text in ((job, "Pas de cours aujourd'hui."), (intent, "merci pour hier, à bientôt")):
            conn.execute(update(messages).where(messages.c.id == h.message_pk).values(text=text))
    with imported.engine.connect() as conn:
        again = {h.id: h for h in hits_for(conn)}
    assert again[job.id].snippet is None and again[job.id].verified is False
    with pytest.raises(IndicatorError, match="changed since"):
        reveal(imported, intent.id, operator="reviewer", reason="r")
    report = run_indicators(imported, operator="analyst")
    assert report.by_indicator["intent"] == 0 and report.by_indicator["profession"] == 1


def test_cli_run_show_and_reveal(imported: Case) -> None:
    res = invoke(imported, "indicators", "show")
    assert res.exit_code == 0, res.output
    assert "No indicators run" in res.output
    res = invoke(imported, "indicators", "run", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["hits"] == 12
    for args in (("indicators", "show"), ("indicators", "show", "--json")):
        res = invoke(imported, *args)
        assert res.exit_code == 0, res.output
        for text in SENSITIVE_TEXTS:  # sensitive text appears in no form
            assert text not in res.output, args
        for word in ("rencontrer", "vidéos", "nouveau", "samedi", "pics"):
            assert word not in res.output, (args, word)
        with imported.engine.connect() as conn:
            last = tail(conn, 1)[0]
        assert (last.action, last.operator) == ("view.indicators", "analyst")
    assert "[hidden" in invoke(imported, "indicators", "show").output
    shown = json.loads(invoke(imported, "indicators", "show", "--json").output)["hits"]
    assert {h["snippet"] for h in shown if not h["hidden"]} >= {"Je suis instit", "I work as a teacher"}
    assert all(h["snippet"] is None for h in shown if h["hidden"])
    res = invoke(imported, "indicators", "show", "--account", "user:4", "--indicator", "request", "--json")
    assert [h["rule"] for h in json.loads(res.output)["hits"]] == ["fr.request.new_stuff"]
    with imported.engine.connect() as conn:
        last = tail(conn, 1)[0]
    assert last.subject == "telegram:user:4" and last.details_value()["indicator"] == "request"
    request = next(h for h in shown if h["rule"] == "en.request.material_child")
    res = invoke(imported, "indicators", "reveal", str(request["id"]), operator="reviewer")
    assert res.exit_code != 0 and "--reason" in res.output and "pics" not in res.output
    res = invoke(
        imported, "indicators", "reveal", str(request["id"]), "--reason", "lead review", operator="reviewer"
    )
    assert res.exit_code == 0, res.output
    assert "send me pics of kids" in res.output
    with imported.engine.connect() as conn:
        last = tail(conn, 1)[0]
    assert (last.action, last.operator, last.details_value()["reason"]) == (
        "reveal.text",
        "reviewer",
        "lead review",
    )


def test_text_edited_away_between_two_exports_is_still_scanned_and_cited_from_its_export(
    imported: Case, tmp_path: Path
) -> None:
    # A second export, a day later: the intent edited into something bland, the request kept with
    # a word added, the daughter's age changed (the same disclosure reworded), the rest unchanged.
    later = {
        5: "merci pour hier, à bientôt",
        6: "cherche des vidéos d'enfants stp",
        1: "Bonjour ! Ma fille de 7 ans adore l'école.",
    }
    import_export(imported, write_export(tmp_path / "later", later), ImportOptions("importer"))
    with imported.engine.connect() as conn:
        first_evidence = conn.execute(
            select(messages.c.evidence_id).where(messages.c.message_id == 2)
        ).scalar()
        shown_now = dict(conn.execute(select(messages.c.message_id, messages.c.text)).all())
    assert shown_now[5] == later[5]  # the message row shows the edited text
    report = run_indicators(imported, operator="analyst")
    assert report.earlier_versions == 3 and report.hits_in_earlier_versions == 1
    assert report.hits == 12 and report.by_indicator["intent"] == 1  # nothing lost, nothing twice
    with imported.engine.connect() as conn:
        hits = hits_for(conn)
        intent = next(h for h in hits if h.indicator == "intent")
        version_evidence = conn.execute(
            select(message_versions.c.evidence_id).where(
                message_versions.c.message_pk == intent.message_pk, message_versions.c.version == 1
            )
        ).scalar()
        alice = account_id(imported, "telegram:user:3")
        ranked = hits_for(conn, account_id=alice, indicator="intent")
    assert intent.version == 1 and intent.message_id == 5
    assert intent.evidence_id == version_evidence == first_evidence  # the first export (message 2 is in it)
    assert "version 1 (edited away since)" in intent.citation
    assert [h.id for h in ranked] == [intent.id]
    for kept in (6, 1):  # still in the current text, or reworded there: found there, once
        assert [h.version for h in hits if h.message_id == kept] == [None]
    assert next(h for h in hits if h.message_id == 1).snippet == "Ma fille de 7 ans"
    # The reveal reads the version the hit was found in, and logs which.
    shown = reveal(imported, intent.id, operator="reviewer", reason="edited-away intent")
    assert shown == "⟦je veux rencontrer ta fille seul⟧"
    with imported.engine.connect() as conn:
        assert tail(conn, 1)[0].details_value()["version"] == 1
    # The ranking counts it, citing the version.
    rank_case(imported, operator="analyst")
    with imported.engine.connect() as conn:
        factors = json.loads(
            conn.execute(
                select(ranking_entries.c.factors).where(ranking_entries.c.subject == f"account:{alice}")
            ).scalar_one()
        )
    cited = json.dumps(factors["stated_intent"], ensure_ascii=False)
    assert "#5" in cited and "version 1 (edited away since)" in cited
