"""environment run output escaped flag

Revision ID: 0010
Revises: 0009

A test run's output may hold characters no database can hold (NUL on PostgreSQL, lone
surrogates anywhere): they are escaped, and the run says so, as sandbox runs do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("envrun") as batch:
        batch.add_column(
            sa.Column("output_escaped", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("envrun") as batch:
        batch.drop_column("output_escaped")
