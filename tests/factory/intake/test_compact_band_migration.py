"""Revision 0013 on a database that already holds prompts and band keys, on SQLite and
PostgreSQL: signatures become 4-byte values with the same numbers, the band table is made again
keyed by the band key (the keys are new), the next ingestion gives earlier prompts their keys
and still finds them as near duplicates, and the revision downgrades to the JSON signatures."""

import json
from pathlib import Path

import numpy as np
import pytest
from migration_builders import (
    PROMPT,
    ingest_rewording,
    insert_batch,
    insert_prompt,
    insert_row,
    migrate_to,
)
from sqlalchemy import Engine, inspect, text

from factory.db import migrate
from factory.intake.dedup import signature, stored_signature
from factory.settings import IntakeSettings

VALUES = [0, 1, 4294967295, *range(3, 128)]


def _seed_at_0012(engine: Engine) -> list[int]:
    """A batch with two prompts and band rows of the old scheme; the first prompt's stored
    signature (that of PROMPT, as intake stores it)."""
    real = stored_signature(signature(PROMPT, IntakeSettings()))
    insert_batch(engine)
    for pid, text_, values in ((1, PROMPT, real), (2, "other", VALUES)):
        insert_prompt(engine, pid, external_id=f"p{pid}", prompt=text_, minhash=json.dumps(values))
    insert_row(engine, "promptband", prompt_id=1, scheme="128x8x16", band_key=42)
    return real


def test_0013_stores_signatures_as_bytes_rebuilds_bands_and_downgrades(
    empty_engine: Engine, tmp_path: Path
) -> None:
    migrate_to(empty_engine, "0012")
    real = _seed_at_0012(empty_engine)
    migrate_to(empty_engine, "0013")

    with empty_engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, minhash FROM prompt")).all())
        assert conn.execute(text("SELECT count(*) FROM promptband")).scalar_one() == 0
    assert bytes(stored[2]) == b"".join(v.to_bytes(4, "little") for v in VALUES)
    assert bytes(stored[1]) == np.asarray(real, dtype="<u4").tobytes()
    assert {c["name"] for c in inspect(empty_engine).get_columns("promptband")} == {
        "band_key",
        "prompt_id",
    }
    assert inspect(empty_engine).get_pk_constraint("promptband")["constrained_columns"] == [
        "band_key"
    ]
    if empty_engine.dialect.name == "sqlite":  # the key is the table's rowid: one B-tree
        with empty_engine.connect() as conn:
            plan = conn.execute(
                text("EXPLAIN QUERY PLAN SELECT prompt_id FROM promptband WHERE band_key = 5")
            ).all()
        assert "INTEGER PRIMARY KEY" in " ".join(str(row[-1]) for row in plan)

    # The next ingestion indexes the earlier prompts and finds the reworded one among them.
    migrate(empty_engine)  # on to head (0015 signs the prompts again)
    report = ingest_rewording(empty_engine, tmp_path)
    assert (report.accepted, report.duplicates_by_kind) == (0, {"near": 1})
    with empty_engine.connect() as conn:
        indexed = conn.execute(text("SELECT DISTINCT prompt_id FROM promptband")).scalars().all()
        marked = conn.execute(text("SELECT batch_id FROM batchbanding")).scalars().all()
        target = conn.execute(text("SELECT duplicate_of_prompt_id FROM duplicaterecord")).scalar()
    assert sorted(indexed) == [1, 2] and target == 1
    assert sorted(marked) == sorted(["b", report.batch_id])

    # Down to 0013's signatures (0015 signs them again as before it), then to JSON lists.
    migrate_to(empty_engine, "0013", down=True)
    with empty_engine.connect() as conn:
        at_0013 = {
            pid: np.frombuffer(bytes(v), dtype="<u4").tolist()
            for pid, v in conn.execute(text("SELECT id, minhash FROM prompt"))
        }
    assert len(at_0013[1]) == 128 and len(at_0013[2]) == len(VALUES)
    migrate_to(empty_engine, "0012", down=True)
    with empty_engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, minhash FROM prompt")).all())
    as_lists = {pid: v if isinstance(v, list) else json.loads(v) for pid, v in rows.items()}
    assert as_lists == at_0013
    assert {c["name"] for c in inspect(empty_engine).get_columns("promptband")} == {
        "id",
        "prompt_id",
        "scheme",
        "band_key",
    }


def test_0013_names_a_prompt_whose_stored_signature_is_not_32_bit_values(
    empty_engine: Engine,
) -> None:
    migrate_to(empty_engine, "0012")
    insert_batch(empty_engine)
    insert_prompt(empty_engine, 7, minhash=json.dumps([1, 2**40]))
    with pytest.raises(RuntimeError, match="prompt 7: its stored MinHash signature"):
        migrate_to(empty_engine, "0013")
    # Nothing of the revision stays behind, its schema changes included.
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0012"
    assert "scheme" in {c["name"] for c in inspect(empty_engine).get_columns("promptband")}
    assert "minhash_new" not in {c["name"] for c in inspect(empty_engine).get_columns("prompt")}
