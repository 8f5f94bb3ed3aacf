"""release items for repository tasks

Revision ID: 0009
Revises: 0008

A released row of the `swe` config comes from a repository task, not a prompt: ReleaseItem's
prompt_id becomes optional and the item names the task's instance_id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("releaseitem") as batch:
        batch.alter_column("prompt_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.create_index("ix_releaseitem_instance_id", ["instance_id"], unique=False)
        batch.create_foreign_key(
            "fk_releaseitem_instance_id_repotask", "repotask", ["instance_id"], ["instance_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("releaseitem") as batch:
        batch.drop_constraint("fk_releaseitem_instance_id_repotask", type_="foreignkey")
        batch.drop_index("ix_releaseitem_instance_id")
        batch.drop_column("instance_id")
        batch.alter_column("prompt_id", existing_type=sa.Integer(), nullable=False)
