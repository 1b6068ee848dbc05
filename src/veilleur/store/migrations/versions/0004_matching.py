"""matching: per-list PDQ threshold, vPDQ list features, match runs and matches

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hash_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdq_threshold", sa.Integer(), nullable=True))

    op.create_table(
        "hash_list_vpdq_features",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest", "idx", name=op.f("pk_hash_list_vpdq_features")),
    )
    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.String(length=32), nullable=True),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("lists", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    op.create_table(
        "matches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("list_version_id", sa.Integer(), nullable=False),
        sa.Column("list_kind", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("hash_type", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=True),
        sa.Column("frame_ms", sa.BigInteger(), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("query_match_pct", sa.Float(), nullable=True),
        sa.Column("compared_match_pct", sa.Float(), nullable=True),
        sa.Column("suppressed_by", sa.BigInteger(), nullable=True),
        sa.Column("matched_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["hash_list_entries.id"], name=op.f("fk_matches_entry_id_hash_list_entries")
        ),
        sa.ForeignKeyConstraint(["list_id"], ["hash_lists.id"], name=op.f("fk_matches_list_id_hash_lists")),
        sa.ForeignKeyConstraint(
            ["list_version_id"],
            ["hash_list_versions.id"],
            name=op.f("fk_matches_list_version_id_hash_list_versions"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["match_runs.id"], name=op.f("fk_matches_run_id_match_runs")),
        sa.ForeignKeyConstraint(
            ["sha256"], ["media_hashes.sha256"], name=op.f("fk_matches_sha256_media_hashes")
        ),
        sa.ForeignKeyConstraint(
            ["suppressed_by"],
            ["hash_list_entries.id"],
            name=op.f("fk_matches_suppressed_by_hash_list_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_run_sha256", ["run_id", "sha256"], unique=False)
        batch_op.create_index("ix_matches_entry", ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_entry")
        batch_op.drop_index("ix_matches_run_sha256")
    op.drop_table("matches")
    op.drop_table("match_runs")
    op.drop_table("hash_list_vpdq_features")
    with op.batch_alter_table("hash_lists", schema=None) as batch_op:
        batch_op.drop_column("pdq_threshold")
