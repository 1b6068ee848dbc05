"""media hashes and video frame hashes

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_hashes",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("media_class", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("decoder", sa.String(length=24), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("frame_hashes", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("hashed_at", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("hasher_version", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_media_hashes_evidence_id_evidence")
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_media_hashes")),
    )
    with op.batch_alter_table("media_hashes", schema=None) as batch_op:
        batch_op.create_index("ix_media_hashes_pdq", ["pdq"], unique=False)
        batch_op.create_index("ix_media_hashes_md5", ["md5"], unique=False)
        batch_op.create_index("ix_media_hashes_sha1", ["sha1"], unique=False)

    op.create_table(
        "media_pdq_dihedral",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["media_hashes.sha256"], name=op.f("fk_media_pdq_dihedral_sha256_media_hashes")
        ),
        sa.PrimaryKeyConstraint("sha256", "variant", name=op.f("pk_media_pdq_dihedral")),
    )
    op.create_table(
        "video_frame_hashes",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["media_hashes.sha256"], name=op.f("fk_video_frame_hashes_sha256_media_hashes")
        ),
        sa.PrimaryKeyConstraint("sha256", "frame_index", name=op.f("pk_video_frame_hashes")),
    )


def downgrade() -> None:
    op.drop_table("video_frame_hashes")
    op.drop_table("media_pdq_dihedral")
    with op.batch_alter_table("media_hashes", schema=None) as batch_op:
        batch_op.drop_index("ix_media_hashes_sha1")
        batch_op.drop_index("ix_media_hashes_md5")
        batch_op.drop_index("ix_media_hashes_pdq")
    op.drop_table("media_hashes")
