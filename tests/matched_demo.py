"""The synthetic demo case imported, hashed and matched once per backend per session, shared by
the test modules that only read it (or add rows of their own beside what they check)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pgdb import backend_url
from veilleur.case import Case, init_case
from veilleur.demo.check import store_key
from veilleur.demo.generate import generate_demo_case
from veilleur.demo.scenario import build_case
from veilleur.hashing import hash_case_media
from veilleur.ingest.importer import ImportOptions, import_export
from veilleur.lists import import_list
from veilleur.matching.run import MatchOptions, match_case
from veilleur.sources.telegram_common import utc_offset
from veilleur.store.schema import accounts


@dataclass
class Matched:
    case: Case
    truth: dict[str, Any]
    ids: dict[str, int]  # account key (store) -> id

    def account(self, truth_key: str) -> int:
        return self.ids[store_key(truth_key)]

    def person(self, index: int) -> int:
        return self.account(f"user:{build_case(7).people[index].id}")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("network_demo")
    generate_demo_case(out, seed=7)
    return out


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def matched(
    request: pytest.FixtureRequest, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matched]:
    """The demo case imported, hashed and matched once per backend; tests only read it (or write
    reports beside it)."""
    with backend_url(request, request.param) as url:
        yield from _matched(demo_dir, tmp_path_factory, url)


def _matched(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, url: str | None) -> Iterator[Matched]:
    truth = json.loads((demo_dir / "ground_truth.json").read_text(encoding="utf-8"))
    case = init_case(
        tmp_path_factory.mktemp("case") / "case", name="network test", database_url=url, operator="t"
    )
    try:
        for export in truth["import_order"]:
            offset = truth["exports"][export]["utc_offset"]
            import_export(case, demo_dir / "exports" / export, ImportOptions("t", utc_offset(offset)))
        hash_case_media(case, workers=0, operator="t")
        for spec in truth["lists"]:
            import_list(
                case,
                demo_dir / "lists" / spec["file"],
                name=spec["name"],
                operator="t",
                kind=spec["kind"],
                hash_type=spec.get("hash_type"),
            )
        match_case(case, MatchOptions(dihedral=True, threads=1), operator="t")
        with case.engine.connect() as conn:
            ids = dict(conn.execute(select(accounts.c.key, accounts.c.id)).all())
        yield Matched(case, truth, ids)
    finally:
        case.close()
