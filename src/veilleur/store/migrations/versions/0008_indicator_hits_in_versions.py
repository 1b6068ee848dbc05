"""indicator hits in earlier versions of a message: a text edited away between two exports is
still scanned, and its hits name the version they were found in

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicator_hits") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator_hits") as batch:
        batch.drop_column("version")
