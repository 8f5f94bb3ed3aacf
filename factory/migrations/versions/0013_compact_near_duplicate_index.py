"""compact near-duplicate index

Revision ID: 0013
Revises: 0012

A million-prompt batch wrote some eight million band keys through three B-trees (the table and
two indexes) and looked each one up through an index and then the table. A band key is now the
primary key of the row that holds it (on SQLite the table's rowid: one B-tree), the rare key that
a second accepted prompt shares goes to `sharedpromptband`, and the banding scheme is folded into
each key, with `batchbanding` saying which batches have keys of which scheme. The keys are new:
the band table is made again empty, and earlier prompts get their keys at the next ingestion
(factory.intake.ingest) from the signatures they store. Those signatures are stored as 4-byte
little-endian values instead of JSON text, which was most of each prompt's row, and exact keys
are indexed by their first 16 hex digits, a third of the index.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROWS_PER_STEP = 5_000


BAND_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: the rowid
SHA_PREFIX = sa.text("substr(normalized_sha256, 1, 16)")


def upgrade() -> None:
    with op.batch_alter_table("promptband", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promptband_prompt_id"))
        batch_op.drop_index("ix_promptband_band_key")
    op.drop_table("promptband")
    op.create_table(
        "promptband",
        sa.Column("band_key", BAND_KEY, autoincrement=False, nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.PrimaryKeyConstraint("band_key"),
    )
    op.create_table(
        "sharedpromptband",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_sharedpromptband_band_key"), "sharedpromptband", ["band_key"], unique=False
    )
    op.create_index(
        op.f("ix_sharedpromptband_prompt_id"), "sharedpromptband", ["prompt_id"], unique=False
    )
    op.create_table(
        "batchbanding",
        sa.Column("batch_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"]),
        sa.PrimaryKeyConstraint("batch_id", "scheme"),
    )
    _convert_signatures(sa.JSON(), sa.LargeBinary(), _to_bytes)
    op.drop_index("ix_prompt_normalized_sha256", table_name="prompt")
    op.create_index("ix_prompt_sha_prefix", "prompt", [SHA_PREFIX], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_sha_prefix", table_name="prompt")
    op.create_index("ix_prompt_normalized_sha256", "prompt", ["normalized_sha256"], unique=False)
    _convert_signatures(sa.LargeBinary(), sa.JSON(), _to_list)
    op.drop_table("batchbanding")
    op.drop_index(op.f("ix_sharedpromptband_prompt_id"), table_name="sharedpromptband")
    op.drop_index(op.f("ix_sharedpromptband_band_key"), table_name="sharedpromptband")
    op.drop_table("sharedpromptband")
    op.drop_table("promptband")
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


def _to_bytes(values: Any) -> bytes:
    if isinstance(values, str):  # a driver that hands JSON back as text
        values = json.loads(values)
    return np.asarray(values, dtype="<u4").tobytes()


def _to_list(data: Any) -> list[int]:
    return np.frombuffer(bytes(data), dtype="<u4").tolist()


def _convert_signatures(old: Any, new: Any, convert: Callable[[Any], Any]) -> None:
    """prompt.minhash from type `old` to `new`: a new column filled a slice of rows at a time,
    then put in the old one's place."""
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minhash_new", new, nullable=True))
    prompt = sa.table(
        "prompt",
        sa.column("id", sa.Integer()),
        sa.column("minhash", old),
        sa.column("minhash_new", new),
    )
    bind = op.get_bind()
    update = (
        sa.update(prompt)
        .where(prompt.c.id == sa.bindparam("pid"))
        .values(minhash_new=sa.bindparam("value", type_=new))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(prompt.c.id, prompt.c.minhash)
            .where(prompt.c.id > last)
            .order_by(prompt.c.id)
            .limit(ROWS_PER_STEP)
        ).all()
        if not rows:
            break
        bind.execute(update, [{"pid": pid, "value": _converted(convert, pid, v)} for pid, v in rows])
        last = rows[-1][0]
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_column("minhash")
        batch_op.alter_column(
            "minhash_new", new_column_name="minhash", existing_type=new, nullable=False
        )


def _converted(convert: Callable[[Any], Any], prompt_id: int, values: Any) -> Any:
    try:
        return convert(values)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RuntimeError(
            f"prompt {prompt_id}: its stored MinHash signature is not a list of unsigned 32-bit "
            f"values ({exc}); fix or delete that row, then migrate again"
        ) from exc
