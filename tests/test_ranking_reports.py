"""Reports that explain who comes first, on SQLite and PostgreSQL: a dossier states its account's
rank, score and every factor with its weight and records, whether each text-indicator hit counted
in the ranking and why, and the possibly new material it posted first; the case summary states
the ranking; both say when there is none. And the command-line views an investigator reads on an
80-column terminal: ``roles`` with every account key whole.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import orjson
from click.testing import CliRunner
from rich.cells import cell_len

from conftest import add_member
from matched_demo import Matched
from synthetic_chats import ANNE, BRUNO, CHLOE, DAVID, import_chats, key_id
from veilleur.analysis.indicators import run_indicators
from veilleur.analysis.priority import FACTORS, load_weights, rank_case, ranking
from veilleur.analysis.propagation import media_items, possibly_new_material
from veilleur.case import Case
from veilleur.cli import cli
from veilleur.outputs.dossier import file_stems
from veilleur.outputs.dossier_files import write_all_dossiers
from veilleur.outputs.packages import write_packages
from veilleur.store.schema import accounts


def small_case(case: Case, tmp_path: Path) -> None:
    """Anne states intent once to David, and arranges ordinary meetings with Bruno and the club."""
    import_chats(
        case,
        tmp_path / "exports",
        {
            "Club": (
                "private_group",
                7101,
                [(ANNE, "On se retrouve au café après ?", None), (CHLOE, "rdv samedi devant la gare", None)],
            ),
            "Bruno": (
                "personal_chat",
                72,
                [(ANNE, "Let's meet at the station at 6", None), (BRUNO, "rdv samedi au club", None)],
            ),
            "David": ("personal_chat", 74, [(ANNE, "ne dis rien à tes parents", None), (DAVID, "ok", None)]),
        },
    )


def dossier_of(case: Case, who: tuple[str, str], out: Path) -> str:
    (path,) = write_all_dossiers(case, out, operator="reviewer", pdf=False, account_ids=[key_id(case, who)])
    return path.read_text(encoding="utf-8")


def rows(page: str) -> list[str]:
    """Each table row's text, tags dropped and entities read."""
    return [html.unescape(re.sub(r"<[^>]+>", " ", r)) for r in re.findall(r"<tr>(.*?)</tr>", page, re.S)]


def squeeze(text: str) -> str:
    return " ".join(text.split())


def text_of(page: str) -> str:
    """What a reader sees: tags dropped, entities read, spaces squeezed."""
    return squeeze(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_a_dossier_says_where_its_account_is_ranked_and_why(case: Case, tmp_path: Path) -> None:
    small_case(case, tmp_path)
    never = dossier_of(case, ANNE, tmp_path / "before")
    assert "This case has not been ranked" in never
    hit_rows = [r for r in rows(never) if re.search(r"rule \w+\.\w+\.", r)]
    assert len(hit_rows) == 3 and all("no ranking of this case yet" in r for r in hit_rows)

    rid = rank_case(case, operator="t")
    with case.engine.connect() as conn:
        (entry,) = ranking(conn, rid)
    page = dossier_of(case, ANNE, tmp_path / "after")
    text = text_of(page)
    assert f"Rank 1 of 1 , score {entry.score:.1f} , in ranking #{rid}" in text
    assert f"weights version {load_weights().version}" in text
    table = [squeeze(r) for r in rows(page)]
    for name in FACTORS:  # each factor once, with its points, its weight and its records
        f = entry.factors[name]
        (row,) = [r for r in table if r.startswith(name.replace("_", " ") + " ")]
        assert f" {f.points:.1f} {f.weight:g} " in row, row
        assert all(squeeze(rec) in row for rec in f.records), row
    hidden = {}
    for r in map(squeeze, rows(page)):
        found = re.search(r"rule (\S+) confidence (\S+) .* hidden: .*? (yes|no) (.*?) evidence #", r)
        if found:
            hidden[found.group(1)] = found.groups()[1:]
    assert hidden["fr.intent.secrecy_parents"][:2] == ("medium", "yes")
    assert hidden["fr.meeting.time_place"][:2] == ("low", "no")
    assert hidden["en.meeting.time_place"][:2] == ("low", "no")
    assert hidden["en.meeting.time_place"][2].startswith("stated intent: a meeting arrangement alone")

    run_indicators(case, operator="t")  # a new run the ranking has not read
    stale = squeeze(html.unescape(dossier_of(case, ANNE, tmp_path / "stale")))
    assert f"ranking #{rid} read indicators run #1, this hit is from run #2: rank again" in stale
    bruno = squeeze(html.unescape(dossier_of(case, BRUNO, tmp_path / "bruno")))
    assert f"Not ranked in ranking #{rid}" in bruno and f"not a subject of ranking #{rid}" in bruno


def test_a_case_never_ranked_says_so_in_its_summary(case: Case, tmp_path: Path) -> None:
    small_case(case, tmp_path)
    write_packages(case, tmp_path / "packages", operator="reviewer", pdf=False)
    summary = (tmp_path / "packages" / "case-summary.html").read_text(encoding="utf-8")
    assert "Who comes first: no ranking yet" in summary and "has not been ranked" in summary


def test_the_summary_and_dossiers_explain_the_ranking(matched: Matched, tmp_path: Path) -> None:
    rid = rank_case(matched.case, operator="t")
    out = tmp_path / "packages"
    write_packages(matched.case, out, operator="reviewer", pdf=False)
    page_of_summary = (out / "case-summary.html").read_text(encoding="utf-8")
    summary = text_of(page_of_summary)
    with matched.case.engine.connect() as conn:
        ranked = ranking(conn, rid)
        keys = dict(conn.execute(accounts.select().with_only_columns(accounts.c.id, accounts.c.key)).all())
        new = possibly_new_material(media_items(conn), _exchanges(conn))
    assert f"Who comes first: ranking #{rid}" in summary
    for r in ranked:
        assert squeeze(f"{r.rank}. {r.label} — score {r.score:.1f}") in summary
    for name in FACTORS:  # every factor of every subject, with its weight
        label = name.replace("_", " ")
        assert summary.count(f" {label} ") >= len(ranked), name
    assert "every record is in the dossier" in summary  # the central account's 36 items, cut at 5

    top = ranked[0]
    (me,) = top.accounts
    (dossier,) = out.rglob(file_stems([keys[me]])[keys[me]] + ".html")
    page = text_of(dossier.read_text(encoding="utf-8"))
    assert f"Rank 1 of {len(ranked)} , score {top.score:.1f} , in ranking #{rid}" in page
    for record in top.factors["possible_new_material"].records:
        assert record in page  # the dossier lists every record
    mine = [i for i in new if i.first.sender_id == me]
    assert mine and f"Possibly new material it posted first: {len(mine)} item(s)" in page
    assert all(sha in page for i in mine for sha in i.files)
    participants = page_of_summary.split("<h2>Participants</h2>")[1].split("<h2>")[0]
    (row,) = [squeeze(r) for r in rows(participants) if keys[me] in r]
    assert f" 1 ({top.score:.1f}) " in row  # its rank and score beside its roles and volumes


def _exchanges(conn):  # type: ignore[no-untyped-def]
    from veilleur.analysis.exchanges import flagged_exchanges

    return flagged_exchanges(conn)


def test_roles_shows_every_account_key_whole_on_80_columns(matched: Matched) -> None:
    add_member(matched.case, "cli-user", "lead")
    base = ["--case", str(matched.case.root), "--operator", "cli-user", "roles"]
    runner = CliRunner()
    data = orjson.loads(runner.invoke(cli, [*base, "--json"]).output)
    table = runner.invoke(cli, base, env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    shown = {line.split("│")[1].strip() for line in lines if line.count("│") > 2}
    keys = [r["account"] for r in data["accounts"]]
    assert keys and [k for k in keys if k not in shown] == []
