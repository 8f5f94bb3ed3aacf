"""Revision 0015 on a database that holds prompts signed with SHA-1 shingle hashes, on SQLite
and PostgreSQL: every signature is taken again with the vectorised hashes, the band keys of the
old signatures go, the next ingestion still finds a rewording of a stored prompt, and the
downgrade gives back the SHA-1 signatures."""

from pathlib import Path

import numpy as np
from datasketch import MinHash
from migration_builders import (
    PROMPT,
    ingest_rewording,
    insert_batch,
    insert_prompt,
    insert_row,
    migrate_to,
)
from sqlalchemy import Engine, text

from factory.db import migrate
from factory.intake.dedup import _permutations, signatures
from factory.intake.shingle_tokens import shingle_tokens


def _sha1_signature(text_: str) -> bytes:
    """The signature revision 0014 stored: datasketch's affine32 MinHash over the shingles as
    strings (five tokens joined by spaces)."""
    tokens = shingle_tokens(text_, "python")
    shingles = {" ".join(tokens[i : i + 5]) for i in range(len(tokens) - 4)}
    minhash = MinHash(num_perm=128, scheme="affine32", permutations=_permutations(128))
    minhash.update_batch([s.encode() for s in shingles])
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def _state(engine: Engine) -> tuple[dict[int, bytes], list[int]]:
    with engine.connect() as conn:
        stored = {pid: bytes(v) for pid, v in conn.execute(text("SELECT id, minhash FROM prompt"))}
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("promptband", "sharedpromptband", "batchbanding")
        ]
    return stored, counts


def test_0015_signs_prompts_again_drops_old_keys_and_downgrades(
    empty_engine: Engine, tmp_path: Path
) -> None:
    migrate_to(empty_engine, "0014")
    old = _sha1_signature(PROMPT)
    insert_batch(empty_engine)
    insert_prompt(empty_engine, 1, external_id="p1", prompt=PROMPT, minhash=old)
    insert_prompt(empty_engine, 2, external_id="p2", prompt="never signed", minhash=b"")
    insert_row(empty_engine, "promptband", band_key=42, prompt_id=1)
    insert_row(empty_engine, "batchbanding", batch_id="b", scheme="128x8x16")

    migrate(empty_engine)
    new = signatures([shingle_tokens(PROMPT, "python")], 128, 5)[0].astype("<u4").tobytes()
    assert new != old
    assert _state(empty_engine) == ({1: new, 2: b""}, [0, 0, 0])

    # The next ingestion gives the batch keys of the new signatures and finds the rewording.
    report = ingest_rewording(empty_engine, tmp_path)
    assert (report.accepted, report.duplicates_by_kind) == (0, {"near": 1})

    migrate_to(empty_engine, "0014", down=True)
    assert _state(empty_engine) == ({1: old, 2: b""}, [0, 0, 0])
