"""server-side reviewer sessions, batch sign-off and judge hints

Revision ID: 0004
Revises: 0003

Reviewer sessions live in the database so that signing out ends them on the server; a senior's
sign-off of a reviewed batch is the gate before packaging. Judge hints need no schema change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviewersession",
        sa.Column("token_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"]),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    with op.batch_alter_table("reviewersession") as batch:
        batch.create_index(batch.f("ix_reviewersession_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_reviewersession_expires_at"), ["expires_at"], unique=False)
        batch.create_index(batch.f("ix_reviewersession_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "batchsignoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("review_marker", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"]),
        sa.ForeignKeyConstraint(["revoked_by"], ["reviewer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("batchsignoff") as batch:
        batch.create_index(batch.f("ix_batchsignoff_batch_id"), ["batch_id"], unique=False)
        batch.create_index(batch.f("ix_batchsignoff_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_batchsignoff_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batchsignoff") as batch:
        batch.drop_index(batch.f("ix_batchsignoff_reviewer_id"))
        batch.drop_index(batch.f("ix_batchsignoff_created_at"))
        batch.drop_index(batch.f("ix_batchsignoff_batch_id"))
    op.drop_table("batchsignoff")
    with op.batch_alter_table("reviewersession") as batch:
        batch.drop_index(batch.f("ix_reviewersession_reviewer_id"))
        batch.drop_index(batch.f("ix_reviewersession_expires_at"))
        batch.drop_index(batch.f("ix_reviewersession_created_at"))
    op.drop_table("reviewersession")
