"""indicator hits indexed by run: the ranking and ``indicators show`` read one run's hits, and the
latest run is found by its largest id

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_indicator_hits_run", "indicator_hits", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_indicator_hits_run", table_name="indicator_hits")
