"""identity and prioritisation: record imports, account identifiers, persons, identity records,
person attributes, link runs, candidates and decisions, text indicator hits, rankings

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    tt = target.split(".")[0]
    return sa.ForeignKeyConstraint([col], [target], name=op.f(f"fk_{table}_{col}_{tt}"))


def upgrade() -> None:
    op.create_table(
        "record_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        _fk("record_imports", "evidence_id", "evidence.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_imports")),
    )
    op.create_table(
        "account_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("first_utc", sa.BigInteger(), nullable=True),
        sa.Column("last_utc", sa.BigInteger(), nullable=True),
        sa.Column("place", sa.String(64), nullable=False),
        _fk("account_identifiers", "account_id", "accounts.id"),
        _fk("account_identifiers", "import_id", "record_imports.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_identifiers")),
    )
    op.create_index("ix_account_identifiers_value", "account_identifiers", ["kind", "value"])
    op.create_index("ix_account_identifiers_account", "account_identifiers", ["account_id"])
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("key", name=op.f("uq_persons_key")),
    )
    op.create_table(
        "identity_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(16), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.String(64), nullable=True),
        sa.Column("departement", sa.String(8), nullable=True),
        sa.Column("court", sa.Text(), nullable=True),
        sa.Column("phones", sa.Text(), nullable=True),
        sa.Column("emails", sa.Text(), nullable=True),
        sa.Column("place", sa.String(64), nullable=False),
        _fk("identity_records", "import_id", "record_imports.id"),
        _fk("identity_records", "person_id", "persons.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_records")),
    )
    op.create_index("ix_identity_records_person", "identity_records", ["person_id"])
    op.create_table(
        "person_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("observed_utc", sa.BigInteger(), nullable=True),
        sa.Column("place", sa.String(64), nullable=False),
        _fk("person_attributes", "import_id", "record_imports.id"),
        _fk("person_attributes", "person_id", "persons.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_attributes")),
    )
    op.create_index("ix_person_attributes_person", "person_attributes", ["person_id"])
    op.create_table(
        "link_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_runs")),
    )
    op.create_table(
        "link_candidates",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("other_account_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(8), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        _fk("link_candidates", "account_id", "accounts.id"),
        _fk("link_candidates", "other_account_id", "accounts.id"),
        _fk("link_candidates", "person_id", "persons.id"),
        _fk("link_candidates", "run_id", "link_runs.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_candidates")),
    )
    op.create_index("ix_link_candidates_run", "link_candidates", ["run_id", "kind"])
    op.create_table(
        "link_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("other_account_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("link_decisions", "account_id", "accounts.id"),
        _fk("link_decisions", "other_account_id", "accounts.id"),
        _fk("link_decisions", "person_id", "persons.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_decisions")),
    )
    op.create_index("ix_link_decisions_pair", "link_decisions", ["kind", "account_id"])
    op.create_table(
        "indicator_hits",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.BigInteger(), nullable=False),
        sa.Column("indicator", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.String(8), nullable=False),
        _fk("indicator_hits", "message_pk", "messages.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_hits")),
    )
    op.create_index("ix_indicator_hits_message", "indicator_hits", ["message_pk"])
    op.create_table(
        "rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("weights_version", sa.String(64), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rankings")),
    )
    op.create_table(
        "ranking_entries",
        sa.Column("ranking_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("jurisdiction", sa.Text(), nullable=True),
        sa.Column("factors", sa.Text(), nullable=False),
        _fk("ranking_entries", "ranking_id", "rankings.id"),
        sa.PrimaryKeyConstraint("ranking_id", "subject", name=op.f("pk_ranking_entries")),
    )


def downgrade() -> None:
    for table in (
        "ranking_entries",
        "rankings",
        "indicator_hits",
        "link_decisions",
        "link_candidates",
        "link_runs",
        "person_attributes",
        "identity_records",
        "persons",
        "account_identifiers",
        "record_imports",
    ):
        op.drop_table(table)
