"""Revision 0014 drops the prompt indexes no query used, keeps the prompts, and downgrades to
them; a batch's prompts are still selected through the unique (batch_id, external_id) index."""

import pytest
from migration_builders import insert_batch, insert_prompt, migrate_to
from sqlalchemy import Engine, inspect, text

from factory.db import migrate

DROPPED = {
    f"ix_prompt_{column}"
    for column in (
        "batch_id",
        "external_id",
        "language",
        "task_type",
        "status",
        "contaminated",
        "created_at",
    )
}
BATCH_QUERY = "SELECT id FROM prompt WHERE batch_id = 'b' AND status = 'accepted'"


def _indexes(engine: Engine) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes("prompt")}


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_0014_drops_unused_prompt_indexes_and_downgrades(empty_engine: Engine) -> None:
    migrate_to(empty_engine, "0013")
    assert DROPPED <= _indexes(empty_engine)
    insert_batch(empty_engine)
    for pid in (1, 2):
        insert_prompt(empty_engine, pid, external_id=f"p{pid}", minhash="")

    migrate(empty_engine)
    assert not DROPPED & _indexes(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM prompt ORDER BY id")).scalars().all() == [1, 2]

    migrate_to(empty_engine, "0013", down=True)
    assert DROPPED <= _indexes(empty_engine)


def test_a_batch_s_prompts_are_found_through_the_unique_index(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.connect() as conn:
        if empty_engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {BATCH_QUERY}")
            plan = " ".join(str(row[-1]) for row in rows)
            assert "USING INDEX sqlite_autoindex_prompt_1 (batch_id=?)" in plan, plan
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {BATCH_QUERY}"))
            assert "prompt_batch_id_external_id_key" in plan, plan
