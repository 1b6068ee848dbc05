"""which import added each media row and which linked its file: the content seal of an import
(``veilleur.custody.seal``) covers exactly what that import wrote, and a later export that brings
a file an earlier one left out links it without changing what the earlier import's seal covers

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding them is a change of the catalogue only, on both backends, even
    # under millions of rows. Rows of cases imported before stay NULL (imported before sealing).
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("import_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("file_import_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("file_import_id")
        batch.drop_column("import_id")
