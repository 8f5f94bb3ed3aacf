"""compile output and time of each execution run

Revision ID: 0007
Revises: 0006

Compiled languages: what the compiler printed is kept apart from the program's stdout/stderr,
and the compile time apart from the run's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executionrun") as batch:
        batch.add_column(sa.Column("compile_output", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("compile_time_s", sa.Float(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("executionrun") as batch:
        batch.drop_column("compile_time_s")
        batch.drop_column("compile_output")
