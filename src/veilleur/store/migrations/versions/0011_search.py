"""case search: the searchable documents, the backend's full-text structure over their tokens
(SQLite FTS5, PostgreSQL tsvector + GIN), the vocabulary of stems, and keyword-list runs

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "search_docs",
        sa.Column("id", big, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("message_pk", sa.BigInteger()),
        sa.Column("version", sa.Integer()),
        sa.Column("chat_id", sa.Integer()),
        sa.Column("account_id", sa.Integer()),
        sa.Column("person_id", sa.Integer()),
        sa.Column("date_utc", sa.BigInteger()),
        sa.Column("content_hash", sa.String(32)),
        sa.Column("ref", sa.Text()),
        sa.Column("body", sa.Text()),
    )
    op.create_index("ix_search_docs_message", "search_docs", ["message_pk", "source", "field"])
    op.create_index("ix_search_docs_source", "search_docs", ["source"])
    op.create_index("ix_search_docs_chat_date", "search_docs", ["chat_id", "date_utc"])
    op.create_index("ix_search_docs_account", "search_docs", ["account_id"])
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(64), primary_key=True),
        sa.Column("fr", sa.String(64), nullable=False),
        sa.Column("en", sa.String(64), nullable=False),
    )
    op.create_index("ix_search_terms_fr", "search_terms", ["fr"])
    op.create_index("ix_search_terms_en", "search_terms", ["en"])
    op.create_table(
        "keyword_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("list_name", sa.Text(), nullable=False),
        sa.Column("list_sha256", sa.String(64), nullable=False),
        sa.Column("terms", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
    )
    op.create_table(
        "keyword_hits",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("keyword_runs.id"), primary_key=True),
        sa.Column("term_idx", sa.Integer(), primary_key=True),
        sa.Column("doc_id", sa.BigInteger(), primary_key=True),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("message_pk", sa.BigInteger()),
    )
    op.create_index("ix_keyword_hits_message", "keyword_hits", ["message_pk"])
    if op.get_bind().dialect.name == "sqlite":
        # The tokens are ours ([a-z0-9], space-separated): the ascii tokenizer only splits them.
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(words, tokenize = 'ascii')")
    else:
        op.execute("CREATE TABLE search_tsv (doc_id BIGINT PRIMARY KEY, words TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_search_tsv_words ON search_tsv USING GIN (words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    else:
        op.execute("DROP TABLE search_tsv")
    for t in ("keyword_hits", "keyword_runs", "search_terms", "search_docs"):
        op.drop_table(t)
