"""senior-authored gold, qualification and per-language, per-task-type pools

Revision ID: 0005
Revises: 0004

Expert gold items (hard pairs with a senior's answer) and the answers reviewers give them; pool
memberships (language x task type, with a status) and their history. Review tasks carry their
prompt's task type so the claim filters by pool from its index; a claim may serve a gold item.
Reviewers who existed before pools keep working: they become active in every task type of
their languages, and the history says so.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_String = sqlmodel.sql.sqltypes.AutoString
_Time = sqlmodel.sql.sqltypes.UTCDateTime
# vocab.TaskType at the time of this revision (a migration never imports the live vocabulary).
_TASK_TYPES = (
    "code_generation",
    "pairwise_preference",
    "code_review",
    "bug_fix",
    "refactoring",
    "reasoning",
    "agent_task",
)


def upgrade() -> None:
    with op.batch_alter_table("reviewtask") as batch:
        batch.add_column(
            sa.Column("task_type", _String(length=40), nullable=False, server_default="")
        )
        batch.drop_index("ix_reviewtask_open_queue")
    op.execute(
        "UPDATE reviewtask SET task_type = "
        "(SELECT prompt.task_type FROM prompt WHERE prompt.id = reviewtask.prompt_id)"
    )
    with op.batch_alter_table("reviewtask") as batch:
        batch.create_index(
            "ix_reviewtask_open_queue",
            ["language", "task_type", sa.text("priority DESC"), "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "golditem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("language", _String(length=30), nullable=False),
        sa.Column("task_type", _String(length=40), nullable=False),
        sa.Column("preference", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", _String(length=20), nullable=False),
        sa.Column("authored_by", sa.Integer(), nullable=False),
        sa.Column("authored_at", _Time(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", _Time(), nullable=True),
        sa.Column("confirm_note", sa.Text(), nullable=False),
        sa.Column("retired_at", _Time(), nullable=True),
        sa.Column("retired_by", sa.Integer(), nullable=True),
        sa.Column("retire_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["authored_by"], ["reviewer.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["reviewer.id"]),
        sa.ForeignKeyConstraint(["retired_by"], ["reviewer.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["reviewtask.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id"),
    )
    with op.batch_alter_table("golditem") as batch:
        batch.create_index("ix_golditem_pool", ["language", "task_type"], unique=False)
        batch.create_index(batch.f("ix_golditem_authored_at"), ["authored_at"], unique=False)
        batch.create_index(batch.f("ix_golditem_authored_by"), ["authored_by"], unique=False)

    with op.batch_alter_table("taskclaim") as batch:
        batch.add_column(sa.Column("gold_item_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_taskclaim_gold_item_id"), ["gold_item_id"], unique=False)
        batch.create_foreign_key(
            "fk_taskclaim_gold_item_id_golditem", "golditem", ["gold_item_id"], ["id"]
        )

    op.create_table(
        "goldanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gold_item_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("language", _String(length=30), nullable=False),
        sa.Column("task_type", _String(length=40), nullable=False),
        sa.Column("purpose", _String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("preference", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("seconds_spent", sa.Float(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("created_at", _Time(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["taskclaim.id"]),
        sa.ForeignKeyConstraint(["gold_item_id"], ["golditem.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id"),
        sa.UniqueConstraint("gold_item_id", "reviewer_id"),
    )
    with op.batch_alter_table("goldanswer") as batch:
        batch.create_index(
            "ix_goldanswer_pool", ["reviewer_id", "language", "task_type", "id"], unique=False
        )
        batch.create_index(batch.f("ix_goldanswer_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_goldanswer_gold_item_id"), ["gold_item_id"], unique=False)

    op.create_table(
        "poolmembership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("language", _String(length=30), nullable=False),
        sa.Column("task_type", _String(length=40), nullable=False),
        sa.Column("status", _String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retake_after", _Time(), nullable=True),
        sa.Column("active_since", _Time(), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _Time(), nullable=False),
        sa.Column("created_at", _Time(), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reviewer_id", "language", "task_type"),
    )
    with op.batch_alter_table("poolmembership") as batch:
        batch.create_index(batch.f("ix_poolmembership_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_poolmembership_reviewer_id"), ["reviewer_id"], unique=False)
        batch.create_index(batch.f("ix_poolmembership_status"), ["status"], unique=False)
        batch.create_index(batch.f("ix_poolmembership_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "poolevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("event", _String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _Time(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["reviewer.id"]),
        sa.ForeignKeyConstraint(["membership_id"], ["poolmembership.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poolevent") as batch:
        batch.create_index(batch.f("ix_poolevent_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_poolevent_membership_id"), ["membership_id"], unique=False)

    _grandfather_existing_reviewers()


def _grandfather_existing_reviewers() -> None:
    """Reviewers who were already judging keep judging: active in each task type of their
    languages, with an event that says they were admitted by this migration, not by gold."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    reviewers = bind.execute(
        sa.text("SELECT id, languages, simulated FROM reviewer WHERE active")
    ).all()
    membership = sa.table(
        "poolmembership",
        sa.column("id", sa.Integer()),
        sa.column("reviewer_id", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("task_type", sa.String()),
        sa.column("status", sa.String()),
        sa.column("attempt", sa.Integer()),
        sa.column("active_since", _Time()),
        sa.column("simulated", sa.Boolean()),
        sa.column("updated_at", _Time()),
        sa.column("created_at", _Time()),
    )
    event = sa.table(
        "poolevent",
        sa.column("membership_id", sa.Integer()),
        sa.column("event", sa.String()),
        sa.column("detail", sa.Text()),
        sa.column("created_at", _Time()),
    )
    for reviewer_id, languages, simulated in reviewers:
        if isinstance(languages, str):  # SQLite hands JSON back as text through sa.text()
            languages = json.loads(languages)
        for language in languages or []:
            for task_type in _TASK_TYPES:
                membership_id = bind.execute(
                    membership.insert()
                    .values(
                        reviewer_id=reviewer_id,
                        language=language,
                        task_type=task_type,
                        status="active",
                        attempt=1,
                        active_since=now,
                        simulated=bool(simulated),
                        updated_at=now,
                        created_at=now,
                    )
                    .returning(membership.c.id)
                ).scalar_one()
                bind.execute(
                    event.insert().values(
                        membership_id=membership_id,
                        event="grandfathered",
                        detail="reviewing before pools existed; admitted without qualification",
                        created_at=now,
                    )
                )


def downgrade() -> None:
    with op.batch_alter_table("poolevent") as batch:
        batch.drop_index(batch.f("ix_poolevent_membership_id"))
        batch.drop_index(batch.f("ix_poolevent_created_at"))
    op.drop_table("poolevent")
    with op.batch_alter_table("poolmembership") as batch:
        batch.drop_index(batch.f("ix_poolmembership_updated_at"))
        batch.drop_index(batch.f("ix_poolmembership_status"))
        batch.drop_index(batch.f("ix_poolmembership_reviewer_id"))
        batch.drop_index(batch.f("ix_poolmembership_created_at"))
    op.drop_table("poolmembership")
    with op.batch_alter_table("goldanswer") as batch:
        batch.drop_index(batch.f("ix_goldanswer_gold_item_id"))
        batch.drop_index(batch.f("ix_goldanswer_created_at"))
        batch.drop_index("ix_goldanswer_pool")
    op.drop_table("goldanswer")
    with op.batch_alter_table("taskclaim") as batch:
        batch.drop_constraint("fk_taskclaim_gold_item_id_golditem", type_="foreignkey")
        batch.drop_index(batch.f("ix_taskclaim_gold_item_id"))
        batch.drop_column("gold_item_id")
    with op.batch_alter_table("golditem") as batch:
        batch.drop_index(batch.f("ix_golditem_authored_by"))
        batch.drop_index(batch.f("ix_golditem_authored_at"))
        batch.drop_index("ix_golditem_pool")
    op.drop_table("golditem")
    with op.batch_alter_table("reviewtask") as batch:
        batch.drop_index("ix_reviewtask_open_queue")
        batch.drop_column("task_type")
    with op.batch_alter_table("reviewtask") as batch:
        batch.create_index(
            "ix_reviewtask_open_queue",
            ["language", sa.text("priority DESC"), "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
