"""sandbox output of any bytes and intake records with control characters

Revision ID: 0003
Revises: 0002

Quarantined records and sandbox output may hold text no database can store as it is (NUL, lone
surrogates, other control characters); it is stored escaped, and these flags say where. Near-
duplicate signatures are now taken over code-aware tokens, so the stored signatures of earlier
prompts are recomputed from their text, keeping each one's permutation count.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = (
    ("quarantinedrecord", "raw_escaped"),
    ("executionrun", "output_escaped"),
    ("testresult", "output_escaped"),
)


def upgrade() -> None:
    for table, column in FLAGS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    _recompute_signatures()


def downgrade() -> None:
    for table, column in reversed(FLAGS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    # Signatures stay as recomputed: they are still valid MinHash signatures of the prompts.


def _recompute_signatures() -> None:
    """Every stored signature, taken again over code-aware tokens (factory.intake.dedup)."""
    from factory.intake.dedup import minhash_of
    from factory.settings import load_config

    shingle_size = load_config().intake.shingle_size
    prompt = sa.table(
        "prompt",
        sa.column("id", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("prompt", sa.Text()),
        sa.column("minhash", sa.JSON()),
    )
    bind = op.get_bind()
    query = sa.select(prompt.c.id, prompt.c.language, prompt.c.prompt, prompt.c.minhash)
    updates = [
        {
            "pid": prompt_id,
            "values": [
                int(value)
                for value in minhash_of(
                    text, language=language, num_perm=len(old), shingle_size=shingle_size
                ).hashvalues
            ],
        }
        for prompt_id, language, text, old in bind.execute(query).all()
        if old  # an empty signature was never comparable; it stays so
    ]
    if updates:
        bind.execute(
            prompt.update()
            .where(prompt.c.id == sa.bindparam("pid"))
            .values(minhash=sa.bindparam("values", type_=sa.JSON())),
            updates,
        )
