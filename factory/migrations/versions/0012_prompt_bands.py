"""prompt bands

Revision ID: 0012
Revises: 0011

The near-duplicate index of intake moves from process memory into the database: one row per
LSH band key of each accepted prompt's MinHash signature. Earlier prompts get their keys at the
next ingestion (factory.intake.ingest), from the signatures they already store. Duplicates get
an index on (batch, external id), which intake looks them up by on every chunk of a rerun.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promptband",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("promptband", schema=None) as batch_op:
        batch_op.create_index("ix_promptband_band_key", ["band_key", "scheme"], unique=False)
        batch_op.create_index(batch_op.f("ix_promptband_prompt_id"), ["prompt_id"], unique=False)
    with op.batch_alter_table("duplicaterecord", schema=None) as batch_op:
        batch_op.create_index(
            "ix_duplicaterecord_batch_external", ["batch_id", "external_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("duplicaterecord", schema=None) as batch_op:
        batch_op.drop_index("ix_duplicaterecord_batch_external")
    with op.batch_alter_table("promptband", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promptband_prompt_id"))
        batch_op.drop_index("ix_promptband_band_key")
    op.drop_table("promptband")
