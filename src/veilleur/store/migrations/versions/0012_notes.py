"""notes and tags that investigators put on accounts, persons, chats and messages: authored,
timed, never edited or deleted (withdrawn instead), shared into dossiers where the author says

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("withdrawn_at", sa.String(32)),
        sa.Column("withdrawn_by", sa.String(128)),
        sa.CheckConstraint("target_kind IN ('account', 'person', 'chat', 'message')", name="ck_notes_kind"),
    )
    op.create_index("ix_notes_target", "notes", ["target_kind", "target"])


def downgrade() -> None:
    op.drop_index("ix_notes_target", table_name="notes")
    op.drop_table("notes")
