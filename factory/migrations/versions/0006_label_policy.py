"""disagreement, veto and release provenance records

Revision ID: 0006
Revises: 0005

Why a task went to a senior (opposite directions or distance), and a senior's explicit override
of the safety veto with its reason; adjudications by the simulated senior are marked simulated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewtask") as batch:
        batch.add_column(
            sa.Column(
                "adjudication_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
            )
        )
    with op.batch_alter_table("adjudication") as batch:
        batch.add_column(
            sa.Column("override_veto", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("simulated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("adjudication") as batch:
        batch.drop_column("simulated")
        batch.drop_column("override_reason")
        batch.drop_column("override_veto")
    with op.batch_alter_table("reviewtask") as batch:
        batch.drop_column("adjudication_reason")
