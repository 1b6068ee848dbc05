"""The demo's lawful returns, identity records and person attributes: synthetic, and designed so
that identity resolution and prioritisation have something to find, and something to refuse.

* **Returns** from the platform for four accounts (phones, e-mails, IP addresses with times), and
  for a second account that shares an IP address with one of them at the same hours (an alias
  candidate, weak on its own);
* **identity records** of five persons: the central account's user (same phone), a contact (same
  phone), a member found by name and e-mail, a group member (same phone), and a **homonym** of the
  central account's user — same name, another birth date, city and phone — who must not be linked;
* **attributes** with their sources: access to children and a record of a sexual offence against
  a minor for the central account's user, a profession with children for another, a profession
  without for a third.

All names, numbers and addresses are invented (phones in the French mobile format, IPs from the
RFC 5737 documentation ranges, e-mails at example.org/example.net).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from veilleur.demo.scenario import Case

__all__ = ["write_identity_records"]


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _e164(phone: str) -> str:
    return phone.replace(" ", "")


def write_identity_records(case: Case, out_dir: Path) -> dict[str, Any]:
    """Write ``records/`` under ``out_dir``; return the ground truth of what linking and ranking
    must conclude from it."""
    folder = out_dir / "records"
    folder.mkdir(parents=True, exist_ok=True)
    p = case.people
    central, lea, nathan, adam = p[0], p[2], p[4], p[12]
    alias_id = 7_000_000_123  # a second account, seen only in the returns

    _csv(
        folder / "returns-telegram.csv",
        ["platform", "account", "kind", "value", "first_seen", "last_seen"],
        [
            ["telegram", central.id, "phone", central.phone, "", ""],
            ["telegram", central.id, "email", "camille.renaud@example.org", "", ""],
            [
                "telegram",
                central.id,
                "ip",
                "203.0.113.42:51234",  # behind carrier-grade NAT the operator gives the source port
                "2026-05-01T08:00:00+02:00",
                "2026-05-12T21:00:00+02:00",
            ],
            ["telegram", lea.id, "phone", lea.phone, "", ""],
            ["telegram", nathan.id, "email", "n.girard@example.net", "", ""],
            [
                "telegram",
                nathan.id,
                "ip",
                "198.51.100.77",
                "2026-02-20T18:00:00+01:00",
                "2026-02-20T23:30:00+01:00",
            ],
            [
                "telegram",
                alias_id,
                "ip",
                "198.51.100.77",
                "2026-02-20T20:15:00+01:00",
                "2026-02-20T22:40:00+01:00",
            ],
            ["telegram", adam.id, "phone", adam.phone, "", ""],
        ],
    )
    identity = [
        [
            "P-001",
            "Camille",
            "Renaud",
            "1986-04-12",
            "12 rue des Alpes",
            "74000",
            "Annecy",
            "France",
            "74",
            "Tribunal judiciaire d'Annecy",
            central.phone,
            "camille.renaud@example.org",
        ],
        [
            "P-002",
            "Léa",
            "Moreau",
            "1991-09-03",
            "4 place du Marché",
            "73000",
            "Chambéry",
            "France",
            "73",
            "Tribunal judiciaire de Chambéry",
            lea.phone,
            "",
        ],
        [
            "P-003",
            "Nathan",
            "Girard",
            "1979-02-17",
            "27 avenue Jean Jaurès",
            "38000",
            "Grenoble",
            "France",
            "38",
            "Tribunal judiciaire de Grenoble",
            "",
            "n.girard@example.net",
        ],
        [
            "P-004",
            "Camille",
            "Renaud",
            "1990-11-30",
            "8 boulevard Longchamp",
            "13001",
            "Marseille",
            "France",
            "13",
            "Tribunal judiciaire de Marseille",
            "+33 6 11 22 33 44",
            "c.renaud13@example.net",
        ],
        [
            "P-005",
            "Adam",
            "Petit",
            "1995-06-21",
            "15 rue Garibaldi",
            "69003",
            "Lyon",
            "France",
            "69",
            "Tribunal judiciaire de Lyon",
            adam.phone,
            "",
        ],
        [
            "P-006",
            "Inès",
            "Benali",
            "1988-01-09",
            "3 chemin des Vignes",
            "01000",
            "Bourg-en-Bresse",
            "France",
            "01",
            "Tribunal judiciaire de Bourg-en-Bresse",
            "+33 6 55 44 33 22",
            "",
        ],
    ]
    _csv(
        folder / "identity.csv",
        [
            "person",
            "first_name",
            "last_name",
            "birth_date",
            "address",
            "postcode",
            "city",
            "country",
            "departement",
            "court",
            "phones",
            "emails",
        ],
        identity,
    )
    _csv(
        folder / "attributes.csv",
        ["person", "kind", "value", "offence_types", "contact_with_children", "source", "observed"],
        [
            [
                "P-001",
                "access_to_children",
                "deux enfants (5 et 8 ans) au foyer",
                "",
                "",
                "CAF, dossier allocataire",
                "2026-03-01",
            ],
            [
                "P-001",
                "criminal_record",
                "atteinte sexuelle sur mineur de quinze ans (2014)",
                "atteinte sexuelle sur mineur",
                "",
                "casier judiciaire, bulletin n° 1",
                "2026-03-02",
            ],
            [
                "P-003",
                "profession",
                "animateur périscolaire, école élémentaire",
                "",
                "true",
                "employeur (mairie)",
                "2026-03-05",
            ],
            ["P-005", "profession", "comptable", "", "false", "URSSAF", "2026-03-05"],
        ],
    )
    return {
        "files": [
            {
                "file": "returns-telegram.csv",
                "kind": "returns",
                "source": "Telegram, réponse à réquisition (synthetic)",
            },
            {"file": "identity.csv", "kind": "identity", "source": "Fichiers d'identité (synthetic)"},
            {"file": "attributes.csv", "kind": "attributes", "source": "Recoupements (synthetic)"},
        ],
        "links": {
            f"user:{central.id}": "P-001",
            f"user:{lea.id}": "P-002",
            f"user:{nathan.id}": "P-003",
            f"user:{adam.id}": "P-005",
        },
        "must_not_link": [[f"user:{central.id}", "P-004"]],
        "aliases": [[f"user:{nathan.id}", f"user:{alias_id}", "shared IP address at the same hours"]],
        "ranking_top": ["P-001", "P-003", "P-002"],
        "top_reasons": {"P-001": ["access_to_children", "criminal_record", "distribution"]},
    }
