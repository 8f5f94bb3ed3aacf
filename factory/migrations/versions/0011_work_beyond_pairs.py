"""work beyond pairs

Revision ID: 0011
Revises: 0010

Review tasks become work of any kind (vocab.WorkKind): a kind, a subject and a work key, with
the pair's candidates optional. Submissions hold the answers to kinds other than pairwise, with
their ranks, review spans, refactoring steps; reasoning notes belong to claims.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "taskcandidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["reviewtask.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "candidate_id"),
        sa.UniqueConstraint("task_id", "position"),
    )
    with op.batch_alter_table("taskcandidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taskcandidate_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_taskcandidate_task_id"), ["task_id"], unique=False)

    op.create_table(
        "reasoningnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("seconds_in", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["taskclaim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["reviewtask.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reasoningnote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reasoningnote_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reasoningnote_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reasoningnote_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reasoningnote_task_id"), ["task_id"], unique=False)

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rubric_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=False),
        sa.Column("seconds_spent", sa.Float(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["taskclaim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["reviewtask.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id"),
        sa.UniqueConstraint("task_id", "reviewer_id"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_submission_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submission_task_id"), ["task_id"], unique=False)

    op.create_table(
        "rankentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "candidate_id"),
    )
    with op.batch_alter_table("rankentry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rankentry_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rankentry_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "refactorstep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("tests_passed", sa.Integer(), nullable=False),
        sa.Column("tests_total", sa.Integer(), nullable=False),
        sa.Column("breaks_tests", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "position"),
    )
    with op.batch_alter_table("refactorstep", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refactorstep_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "reviewspan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("start_line", sa.Integer(), nullable=False),
        sa.Column("end_line", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("cwe", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("suggested_fix", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviewspan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewspan_submission_id"), ["submission_id"], unique=False
        )

    for table in ("golditem", "goldanswer"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "kind",
                    sqlmodel.sql.sqltypes.AutoString(length=20),
                    nullable=False,
                    server_default="pairwise",
                )
            )
            batch_op.add_column(
                sa.Column("answer", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
            )
            batch_op.alter_column("preference", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("goldanswer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("grading", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("work", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("subject_code", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("repo_task", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_prompt_repo_task_repotask", "repotask", ["repo_task"], ["instance_id"]
        )
    with op.batch_alter_table("releaseitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_releaseitem_submission_id", ["submission_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_releaseitem_submission_id_submission", "submission", ["submission_id"], ["id"]
        )
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="pairwise",
            )
        )
        batch_op.add_column(
            sa.Column("subject", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column(
                "work_key",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.alter_column("candidate_a_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("candidate_b_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_reviewtask_kind"), ["kind"], unique=False)
        batch_op.create_index(
            "ix_reviewtask_work_key",
            ["batch_id", "kind", "work_key"],
            unique=True,
            postgresql_where=sa.text("kind <> 'pairwise'"),
            sqlite_where=sa.text("kind <> 'pairwise'"),
        )

    _recreate_queue_index()


OPEN = sa.text("status = 'open'")


def _recreate_queue_index() -> None:
    """SQLite's table copy rebuilds indexes from reflection, which drops the DESC: rebuild it."""
    op.drop_index("ix_reviewtask_open_queue", table_name="reviewtask")
    op.create_index(
        "ix_reviewtask_open_queue",
        "reviewtask",
        ["language", "task_type", sa.text("priority DESC"), "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    with op.batch_alter_table("goldanswer", schema=None) as batch_op:
        batch_op.drop_column("grading")
        batch_op.drop_column("score")
    for table in ("golditem", "goldanswer"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("preference", existing_type=sa.Integer(), nullable=False)
            batch_op.drop_column("answer")
            batch_op.drop_column("kind")
    with op.batch_alter_table("releaseitem", schema=None) as batch_op:
        batch_op.drop_constraint("fk_releaseitem_submission_id_submission", type_="foreignkey")
        batch_op.drop_index("ix_releaseitem_submission_id")
        batch_op.drop_column("submission_id")
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_constraint("fk_prompt_repo_task_repotask", type_="foreignkey")
        batch_op.drop_column("repo_task")
        batch_op.drop_column("subject_code")
        batch_op.drop_column("work")
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_reviewtask_work_key",
            postgresql_where=sa.text("kind <> 'pairwise'"),
            sqlite_where=sa.text("kind <> 'pairwise'"),
        )
        batch_op.drop_index(batch_op.f("ix_reviewtask_kind"))
        batch_op.alter_column("candidate_b_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("candidate_a_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("work_key")
        batch_op.drop_column("subject")
        batch_op.drop_column("kind")

    with op.batch_alter_table("reviewspan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewspan_submission_id"))

    op.drop_table("reviewspan")
    with op.batch_alter_table("refactorstep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refactorstep_submission_id"))

    op.drop_table("refactorstep")
    with op.batch_alter_table("rankentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rankentry_submission_id"))
        batch_op.drop_index(batch_op.f("ix_rankentry_candidate_id"))

    op.drop_table("rankentry")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_task_id"))
        batch_op.drop_index(batch_op.f("ix_submission_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_submission_kind"))
        batch_op.drop_index(batch_op.f("ix_submission_created_at"))

    op.drop_table("submission")
    with op.batch_alter_table("reasoningnote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reasoningnote_task_id"))
        batch_op.drop_index(batch_op.f("ix_reasoningnote_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_reasoningnote_created_at"))
        batch_op.drop_index(batch_op.f("ix_reasoningnote_claim_id"))

    op.drop_table("reasoningnote")
    with op.batch_alter_table("taskcandidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taskcandidate_task_id"))
        batch_op.drop_index(batch_op.f("ix_taskcandidate_candidate_id"))

    op.drop_table("taskcandidate")
    _recreate_queue_index()
