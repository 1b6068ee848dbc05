"""Case search on both backends: the index built at import and kept current, the query language
(words, stems, phrases, prefixes, AND/OR/NOT, fields, identifiers, time, chat and account filters,
regular expressions), snippets, hidden text, keyword lists and the audit of each search.

The messages are written here as a Telegram Desktop export: French, English, accents written both
ways, emoji, CJK, entity markup (mentions, links, bold), a poll, a file name, identifiers written
in text, and a later export that edits one message and leaves another out."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from veilleur import app
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.custody.audit import tail
from veilleur.search.query import QueryError, parse
from veilleur.search.tokens import tokens

T0 = 1769940000  # 2026-02-01T10:00:00Z
ALICE = ("Alice Martin", "user1001")
BOB = ("Bob", "user1002")
CHLOE = ("Chloé", "user1003")

# id -> (sender, text or entity list, extra keys)
MESSAGES: dict[int, tuple[tuple[str, str], Any, dict[str, Any]]] = {
    1: (ALICE, "Les élèves de l'école partent en sortie scolaire vendredi.", {}),
    2: (BOB, "The children will meet at the station.", {}),
    3: (ALICE, "Un enfant a oublié son sac.", {}),
    4: (CHLOE, "On se voit au café après ? ☕", {}),
    5: (BOB, "東京で会いましょう", {}),
    6: (ALICE, "Appelle-moi au 06 12 34 56 78 ou écris à Camille.R@Example.org", {}),
    7: (
        BOB,
        [
            "Demande à ",
            {"type": "mention", "text": "@camille_r"},
            " ou vois ",
            {"type": "text_link", "text": "ce lien", "href": "https://example.org/x"},
            " ",
            {"type": "bold", "text": "vite"},
        ],
        {},
    ),
    8: (
        CHLOE,
        "",
        {
            "poll": {
                "question": "Quelle sortie en forêt ?",
                "closed": False,
                "total_voters": 2,
                "answers": [
                    {"text": "La cascade", "voters": 1, "chosen": False},
                    {"text": "Le lac", "voters": 1, "chosen": False},
                ],
            }
        },
    ),
    9: (
        ALICE,
        "voir la liste",
        {
            "file": "files/liste_eleves.pdf",
            "file_name": "liste_élèves_CM2.pdf",
            "mime_type": "application/pdf",
            "media_type": None,
        },
    ),
    10: (BOB, "Serveur 203.0.113.42 en panne 🚴", {}),
    11: (CHLOE, "e\u0301le\u0300ve en NFD, ÉLÈVE en capitales", {}),
    12: (ALICE, "Rendez-vous pour la rencontre de samedi", {}),
}


def _entities(text: Any) -> list[dict[str, Any]]:
    if isinstance(text, str):
        return [{"type": "plain", "text": text}] if text else []
    return [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in text]


def write_export(folder: Path, *, edit: dict[int, str] | None = None, drop: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    folder.mkdir(parents=True)
    (folder / "files").mkdir()
    (folder / "files" / "liste_eleves.pdf").write_bytes(b"%PDF-1.4 synthetic list\n%%EOF\n")
    msgs = []
    for i, ((name, from_id), text, extra) in MESSAGES.items():
        if i in drop:
            continue
        m: dict[str, Any] = {
            "id": i,
            "type": "message",
            "date": f"2026-02-{1 + i:02d}T10:00:00",
            "date_unixtime": str(T0 + i * 86_400),
            "from": name,
            "from_id": from_id,
            "text": text,
            "text_entities": _entities(text),
            **extra,
        }
        if edit and i in edit:
            m.update(
                text=edit[i],
                text_entities=_entities(edit[i]),
                edited="2026-03-01T09:00:00",
                edited_unixtime=str(T0 + 40 * 86_400),
            )
        msgs.append(m)
    doc = {"name": "Sortie CM2", "type": "private_group", "id": 777, "messages": msgs}
    (folder / "result.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return folder


@pytest.fixture
def searched(case: Case, tmp_path: Path) -> Iterator[app.CaseSession]:
    with app.open_session(case.root, "tester") as s:
        app.import_export_file(s, write_export(tmp_path / "one"))
        yield s


def ids(s: app.CaseSession, query: str, **kw: Any) -> set[tuple[str, int | None]]:
    """(field, message id) of every hit."""
    v = app.search(s, query, limit=500, **kw)
    assert v.total == len(v.hits)
    return {(h.field, h.message_id) for h in v.hits}


def msgs(s: app.CaseSession, query: str, **kw: Any) -> set[int | None]:
    return {m for f, m in ids(s, query, **kw) if f == "text"}


def test_words_accents_case_and_stems(searched: app.CaseSession) -> None:
    s = searched
    assert msgs(s, "eleve") == {1, 11}  # élève, élèves, NFD, capitals
    assert msgs(s, "ÉLÈVES") == {1, 11}
    assert msgs(s, "enfants") == {3}  # French stem
    assert msgs(s, "stations") == {2}  # English stem
    assert msgs(s, "child") == set()  # irregular plurals are not stems (docs/search.md, limits)
    assert msgs(s, "meeting") == {2}  # meet
    assert msgs(s, "rencontrer") == {12}


def test_phrases_prefixes_and_boolean(searched: app.CaseSession) -> None:
    s = searched
    assert msgs(s, '"sortie scolaire"') == {1}
    assert msgs(s, '"scolaire sortie"') == set()
    assert msgs(s, "sort*") == {1}
    assert msgs(s, "l'ec*") == {1} and msgs(s, "東*") == {5}
    assert ids(s, "sortie") == {("text", 1), ("poll", 8), ("title", None)}  # the chat is "Sortie CM2"
    assert msgs(s, "enfant OR children") == {2, 3}
    assert msgs(s, "eleve AND ecole") == {1}
    assert msgs(s, "eleve ecole") == {1}
    assert msgs(s, "eleve NOT ecole") == {11}
    assert msgs(s, "eleve -ecole") == {11}
    assert msgs(s, "(enfant OR children) AND sac") == {3}


def test_emoji_cjk_and_entity_markup(searched: app.CaseSession) -> None:
    s = searched
    assert msgs(s, "☕") == {4}
    assert msgs(s, "🚴") == {10}
    assert msgs(s, '"東京"') == {5}
    assert msgs(s, "会") == {5}
    assert msgs(s, "camille") == {6, 7}  # the e-mail address's words, the mention
    assert msgs(s, '"ce lien"') == {7} and msgs(s, "vite") == {7}


def test_fields_and_identifiers(searched: app.CaseSession) -> None:
    s = searched
    assert ids(s, "poll:cascade") == {("poll", 8)}
    assert ids(s, "file:eleves") == {("file", 9)}
    assert ids(s, "chat:sortie") == {("title", None)}
    names = app.search(s, "name:alice").hits
    assert [h.account for h in names] == ["telegram:user:1001"]
    # written "06 12 34 56 78" in a message: found by its E.164 form, written any way
    for written in ("phone:0612345678", "phone:+33612345678", 'phone:"06.12.34.56.78"'):
        assert ids(s, written) == {("phone", 6)}
    assert ids(s, "email:camille.r@example.org") == {("email", 6)}
    assert ids(s, "ip:203.0.113.42") == {("ip", 10)}
    assert ids(s, "phone:0699999999") == set()


def test_filters(searched: app.CaseSession) -> None:
    s = searched
    assert msgs(s, "eleve after:2026-02-10") == {11}
    assert msgs(s, "eleve before:2026-02-10") == {1}
    assert msgs(s, "eleve OR children", account="user:1001") == {1}
    assert msgs(s, "eleve OR children", account="user:1001", direction="received") == {2, 11}
    assert msgs(s, "eleve from:user:1003") == {11}
    assert msgs(s, "eleve in:telegram:chat:777") == {1, 11} or msgs(s, "eleve", chat="Sortie CM2") == {1, 11}
    with pytest.raises(app.NotFound, match="did you mean"):
        app.search(s, "eleve from:Chloe")


def test_regular_expressions_over_a_bounded_set(searched: app.CaseSession) -> None:
    s = searched
    assert msgs(s, r're:"\b0[67](?: ?\d{2}){4}\b"') == {6}
    assert msgs(s, r'appelle re:"\d{2} \d{2}"') == {6}
    with pytest.raises(QueryError, match="regular expression"):
        parse('re:"(unclosed"')


def test_snippets_mark_the_words_and_results_cite_the_evidence(searched: app.CaseSession) -> None:
    v = app.search(searched, "eleves")
    h = next(h for h in v.hits if h.message_id == 1)
    assert [h.snippet[a:b] for a, b in h.marks] == ["élèves"]
    assert h.citation.startswith("evidence #") and "byte" in h.citation
    assert h.chat == "telegram:chat:777" or h.chat.startswith("telegram:")
    assert h.account == "telegram:user:1001" and h.date_utc == "2026-02-02T10:00:00Z"
    assert {c.hits for c in v.by_account} and sum(c.hits for c in v.by_chat) == v.total


def test_the_index_follows_later_exports(searched: app.CaseSession, tmp_path: Path) -> None:
    s = searched
    app.import_export_file(
        s, write_export(tmp_path / "two", edit={3: "Un petit a oublié son sac."}, drop={7})
    )
    assert msgs(s, "petit") == {3}
    found = app.search(s, "enfant").hits  # edited away: still found, in the earlier version, cited to it
    assert [(h.source, h.message_id, h.version) for h in found] == [("version", 3, 1)]
    assert "edited away" in found[0].citation
    again = app.search(s, "vite").hits  # message 7, which the later export should hold and does not
    assert [h.message_id for h in again] == [7] and again[0].possibly_deleted


def test_hidden_text_stays_hidden_in_snippets(searched: app.CaseSession) -> None:
    app.run_indicator_scan(searched)
    v = app.search(searched, "cafe")
    assert [h.message_id for h in v.hits] == [4]
    assert v.hits[0].hidden and "café" not in v.hits[0].snippet  # a meeting arrangement: sensitive


def test_a_search_is_an_audited_view_of_the_query_and_count(searched: app.CaseSession) -> None:
    app.search(searched, "eleve")
    with searched.reading() as conn:
        (last,) = tail(conn, 1)
    assert (last.action, last.operator) == ("view.search", "tester")
    assert last.details_value() == {"query": "eleve", "hits": 3, "offset": 0}  # two texts, a file name
    assert "élèves" not in (last.details or "")


def test_queries_that_cannot_be_read_say_why(searched: app.CaseSession) -> None:
    for bad, why in (
        ('"open', "never closed"),
        ("(a OR b", "never closed"),
        ("NOT", "needs a term"),
        ("a OR after:2026-01-01", "whole query"),
        ("after:2026-13-01 a", "YYYY-MM-DD"),
        ("phone:12", "phone"),
        ("after:2026-01-01", "nothing to find"),
        (")", "unexpected"),
    ):
        with pytest.raises(QueryError, match=why):
            app.search(searched, bad)


def test_keyword_lists(searched: app.CaseSession, tmp_path: Path) -> None:
    terms = tmp_path / "mots.txt"
    terms.write_text(
        '# liste\nenfant\n"sortie scolaire"\nphone:0612345678\n(broken\n\ncafe\n', encoding="utf-8"
    )
    r = app.run_keyword_list(searched, terms)
    assert r.by_term == {"enfant": 1, '"sortie scolaire"': 1, "phone:0612345678": 1, "cafe": 1}
    assert len(r.skipped) == 1 and r.skipped[0].startswith("line 5:")
    shown = app.keyword_hits_view(searched)
    assert shown.run_id == r.run_id and {c.key: c.hits for c in shown.terms} == r.by_term
    with searched.reading() as conn:
        actions = [e.action for e in tail(conn, 2)]
    assert actions == ["keywords", "view.keywords"]


def test_command_line(searched: app.CaseSession) -> None:
    base = ["--case", str(searched.case.root), "--operator", "tester"]
    res = CliRunner().invoke(cli, [*base, "search", "eleve", "--json"])
    assert res.exit_code == 0, res.output
    assert orjson.loads(res.output)["total"] == 3
    res = CliRunner().invoke(cli, [*base, "search", '"open'])
    assert res.exit_code == 3 and "never closed" in res.output


def test_tokens_are_the_same_whatever_the_normal_form() -> None:
    word = "élève Œuvre straße"
    assert tokens(word) == tokens(unicodedata.normalize("NFD", word)) == ["eleve", "oeuvre", "strasse"]
