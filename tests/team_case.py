"""The demo case built through the application layer by a team: a lead, an analyst, a viewer,
an installation administrator who is no member, and a user who is no member; on SQLite and
PostgreSQL. Used by the application layer's and the web application's tests (each module builds
its own, since both change it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pgdb import backend_url
from veilleur import app

LEAD = "lead-user"
CENTRAL = "telegram:user:547712782"


@dataclass
class Team:
    root: Path
    truth: dict[str, Any]
    demo: Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def team(
    request: pytest.FixtureRequest, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    """The demo case built through the application layer by its lead, with an analyst, a viewer,
    an installation administrator who is no member, and a user who is no member."""
    with backend_url(request, request.param) as url:
        yield from _team(demo_dir, tmp_path_factory, url)


def _team(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, url: str | None) -> Iterator[Team]:
    truth = json.loads((demo_dir / "ground_truth.json").read_text(encoding="utf-8"))
    root = tmp_path_factory.mktemp("team") / "case"
    app.create_case(root, user=LEAD, name="team case", database_url=url).close()
    inst = app.open_installation()
    for user in ("analyst-user", "viewer-user", "outsider", "admin-user"):
        inst.ensure(user, by=LEAD)
    if not inst.is_admin("admin-user"):
        from veilleur.app.users import users

        with inst.engine.begin() as conn:
            conn.execute(users.update().where(users.c.name == "admin-user").values(is_admin=True))
    with app.open_session(root, LEAD) as s:
        app.set_member(s, "analyst-user", "analyst")
        app.set_member(s, "viewer-user", "viewer")
        for export in truth["import_order"]:
            offset = truth["exports"][export]["utc_offset"]
            app.import_export_file(s, demo_dir / "exports" / export, utc_offset=app.utc_offset(offset))
        app.hash_media(s, workers=0)
        for spec in truth["lists"]:
            app.import_hash_list(
                s,
                demo_dir / "lists" / spec["file"],
                name=spec["name"],
                negative=spec["kind"] == "negative",
                hash_type=spec.get("hash_type"),
            )
        app.match(s, app.MatchOptions(dihedral=True, threads=1))
        for spec in truth["identity"]["files"]:
            app.import_record_file(
                s, demo_dir / "records" / spec["file"], kind=spec["kind"], source=spec["source"]
            )
        app.run_linking(s)
        app.run_indicator_scan(s)
        app.rank(s)
        app.rank(s)
    yield Team(root, truth, demo_dir)
