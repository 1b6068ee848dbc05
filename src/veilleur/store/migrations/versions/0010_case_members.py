"""the people of a case: each member's role (viewer, analyst, lead); the case's creator becomes its
lead, so a case made by one person keeps working for that person without ceremony

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_members",
        sa.Column("user_name", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(128), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'analyst', 'lead')", name="ck_case_members_role"),
    )
    conn = op.get_bind()
    creator = conn.execute(sa.text("SELECT value FROM case_meta WHERE key = 'created_by'")).scalar()
    if creator:
        conn.execute(
            sa.text(
                "INSERT INTO case_members (user_name, role, added_by, added_at) "
                "VALUES (:u, 'lead', 'case upgrade', :at)"
            ),
            {"u": creator, "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
        )


def downgrade() -> None:
    op.drop_table("case_members")
