"""the source port of an IP address in lawful returns: behind carrier-grade NAT an operator names
the subscriber only from the address, the port and the time

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_identifiers") as batch:
        batch.add_column(sa.Column("port", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_identifiers") as batch:
        batch.drop_column("port")
