"""shingle hashes computed a chunk at a time

Revision ID: 0015
Revises: 0014

Signatures hashed each shingle with SHA-1, one Python call per shingle: about a fifth of the
work of ingesting a prompt. Shingles are now hashed from their tokens' hashes with array
operations over a whole chunk (factory.intake.dedup.window_hashes), under the same MinHash
permutations. A stored signature is only comparable with signatures of its own hashes, so every
stored prompt is signed again from its stored text, and the band keys made from the old
signatures are dropped: the next ingestion gives every batch keys of its new signatures
(factory.intake.ingest). The downgrade signs them again with SHA-1, as revision 0014's code did.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import sqlalchemy as sa
from alembic import op
from datasketch import MinHash

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROWS_PER_STEP = 5_000

Signer = Callable[[list[list[str]], int, int], np.ndarray]


def upgrade() -> None:
    from factory.intake.dedup import signatures

    _sign_again(signatures)


def downgrade() -> None:
    _sign_again(_sha1_signatures)


def _sha1_signatures(token_lists: list[list[str]], num_perm: int, shingle_size: int) -> np.ndarray:
    """Revision 0014's signatures: datasketch's affine32 MinHash of the set of shingles, each
    shingle its tokens joined by spaces (a list of at most `shingle_size` tokens is one)."""
    from factory.intake.dedup import _permutations

    rows = []
    for tokens in token_lists:
        starts = range(max(len(tokens) - shingle_size + 1, 1))
        shingles = {" ".join(tokens[i : i + shingle_size]) for i in starts}
        minhash = MinHash(
            num_perm=num_perm, scheme="affine32", permutations=_permutations(num_perm)
        )
        minhash.update_batch([s.encode("utf-8", "surrogatepass") for s in shingles])
        rows.append(minhash.hashvalues)
    return np.asarray(rows, dtype=np.uint32).reshape(len(token_lists), num_perm)


def _sign_again(sign: Signer) -> None:
    """Every stored signature taken again with `sign`, a slice of prompts at a time; an empty
    signature was never comparable and stays so. Band keys of the old signatures go."""
    from factory.intake.shingle_tokens import shingle_tokens
    from factory.settings import load_config

    shingle_size = load_config().intake.shingle_size
    prompt = sa.table(
        "prompt",
        sa.column("id", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("prompt", sa.Text()),
        sa.column("minhash", sa.LargeBinary()),
    )
    bind = op.get_bind()
    update = (
        sa.update(prompt)
        .where(prompt.c.id == sa.bindparam("pid"))
        .values(minhash=sa.bindparam("value", type_=sa.LargeBinary()))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(prompt.c.id, prompt.c.language, prompt.c.prompt, prompt.c.minhash)
            .where(prompt.c.id > last)
            .order_by(prompt.c.id)
            .limit(ROWS_PER_STEP)
        ).all()
        if not rows:
            break
        by_length: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
        for pid, language, text, stored in rows:
            if stored:
                by_length[len(stored) // 4].append((pid, shingle_tokens(text, language)))
        updates = []
        for num_perm, signed in by_length.items():
            values = sign([tokens for _, tokens in signed], num_perm, shingle_size)
            updates += [
                {"pid": pid, "value": row.astype("<u4").tobytes()}
                for (pid, _), row in zip(signed, values, strict=True)
            ]
        if updates:
            bind.execute(update, updates)
        last = rows[-1][0]
    for table in ("promptband", "sharedpromptband", "batchbanding"):
        op.execute(sa.text(f"DELETE FROM {table}"))
