"""message conflicts: a later export that shows a stored message id with another sender is
recorded, never taken as a new version of the first sender's message

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_conflicts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_pk", sa.BigInteger, sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("byte_offset", sa.BigInteger),
        sa.Column("page", sa.Text),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("stored_account_id", sa.Integer, sa.ForeignKey("accounts.id")),
        sa.Column("found_account_id", sa.Integer, sa.ForeignKey("accounts.id")),
        sa.Column("found_name", sa.Text),
        sa.Column("content_hash", sa.String(32), nullable=False),
    )
    op.create_index("ix_message_conflicts_message", "message_conflicts", ["message_pk"])
    op.create_index("ix_message_conflicts_import", "message_conflicts", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_message_conflicts_import", table_name="message_conflicts")
    op.drop_index("ix_message_conflicts_message", table_name="message_conflicts")
    op.drop_table("message_conflicts")
