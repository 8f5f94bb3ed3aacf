"""prompt indexes the queries use

Revision ID: 0014
Revises: 0013

Every query on prompts selects a batch's (through the unique (batch_id, external_id) index) or
a prompt by id, and exact duplicates are found through the key-prefix index. The seven
single-column indexes on batch_id (the unique index's leading column already), external_id,
language, task_type, status, contaminated and created_at served no query, and each accepted
prompt paid one B-tree insert for each of them: about a third of what storing a prompt costs
in a million-prompt batch.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNUSED = ("batch_id", "external_id", "language", "task_type", "status", "contaminated", "created_at")


def upgrade() -> None:
    for column in UNUSED:
        op.drop_index(f"ix_prompt_{column}", table_name="prompt")


def downgrade() -> None:
    for column in UNUSED:
        op.create_index(f"ix_prompt_{column}", "prompt", [column], unique=False)
