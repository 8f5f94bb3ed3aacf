"""repository environments

Revision ID: 0008
Revises: 0007

Repository snapshots, dependency recipes and their images, SWE-bench-shaped tasks with the cut
of the funnel each reached, every validation run's per-test outcomes, and graded patches.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "envrecipe",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ecosystem", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("base_image", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("image", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("build_log", sa.Text(), nullable=False),
        sa.Column("build_time_s", sa.Float(), nullable=False),
        sa.Column("image_size_mb", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("envrecipe", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_envrecipe_created_at"), ["created_at"], unique=False)

    op.create_table(
        "reposnapshot",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("head_commit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("commits_scanned", sa.Integer(), nullable=False),
        sa.Column("funnel", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reposnapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reposnapshot_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reposnapshot_name"), ["name"], unique=False)

    op.create_table(
        "repotask",
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("snapshot_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("repo", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("base_commit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("source_commit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("patch", sa.Text(), nullable=False),
        sa.Column("test_patch", sa.Text(), nullable=False),
        sa.Column("test_files", sa.JSON(), nullable=False),
        sa.Column("problem_statement", sa.Text(), nullable=False),
        sa.Column("statement_source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("scrubbed", sa.JSON(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "environment_setup_commit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("recipe_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at_source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("FAIL_TO_PASS", sa.JSON(), nullable=False),
        sa.Column("PASS_TO_PASS", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("validation", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["reposnapshot.id"],
        ),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    with op.batch_alter_table("repotask", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repotask_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_repotask_recipe_id"), ["recipe_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repotask_repo"), ["repo"], unique=False)
        batch_op.create_index(batch_op.f("ix_repotask_snapshot_id"), ["snapshot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repotask_status"), ["status"], unique=False)

    op.create_table(
        "envrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("report_complete", sa.Boolean(), nullable=False),
        sa.Column("wall_time_s", sa.Float(), nullable=False),
        sa.Column("output_tail", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["repotask.instance_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("envrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_envrun_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_envrun_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "patchgrading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("patch_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patch_source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("patch", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fail_to_pass", sa.JSON(), nullable=False),
        sa.Column("pass_to_pass", sa.JSON(), nullable=False),
        sa.Column("reset_test_files", sa.JSON(), nullable=False),
        sa.Column("wall_time_s", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["repotask.instance_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patchgrading", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patchgrading_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patchgrading_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patchgrading_patch_sha256"), ["patch_sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("patchgrading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patchgrading_patch_sha256"))
        batch_op.drop_index(batch_op.f("ix_patchgrading_instance_id"))
        batch_op.drop_index(batch_op.f("ix_patchgrading_created_at"))

    op.drop_table("patchgrading")
    with op.batch_alter_table("envrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_envrun_instance_id"))
        batch_op.drop_index(batch_op.f("ix_envrun_created_at"))

    op.drop_table("envrun")
    with op.batch_alter_table("repotask", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repotask_status"))
        batch_op.drop_index(batch_op.f("ix_repotask_snapshot_id"))
        batch_op.drop_index(batch_op.f("ix_repotask_repo"))
        batch_op.drop_index(batch_op.f("ix_repotask_recipe_id"))
        batch_op.drop_index(batch_op.f("ix_repotask_created_at"))

    op.drop_table("repotask")
    with op.batch_alter_table("reposnapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reposnapshot_name"))
        batch_op.drop_index(batch_op.f("ix_reposnapshot_created_at"))

    op.drop_table("reposnapshot")
    with op.batch_alter_table("envrecipe", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_envrecipe_created_at"))

    op.drop_table("envrecipe")
