"""Revision 0005 on a database that already holds review data, on SQLite and PostgreSQL: tasks
get their prompt's task type, reviewers who were already judging become active in every task
type of their languages (recorded as grandfathered), and the revision downgrades cleanly."""

from migration_builders import insert_batch, insert_prompt, insert_row, migrate_to
from sqlalchemy import Engine, inspect, text

from factory.vocab import TaskType


def _seed_before_pools(engine: Engine) -> None:
    insert_batch(engine)
    insert_prompt(engine, 1, task_type="bug_fix")
    for candidate_id in (1, 2):
        insert_row(
            engine,
            "candidate",
            id=candidate_id,
            prompt_id=1,
            batch_id="b",
            sample_index=candidate_id,
        )
    insert_row(
        engine,
        "reviewtask",
        batch_id="b",
        prompt_id=1,
        candidate_a_id=1,
        candidate_b_id=2,
        language="python",
        status="open",
    )
    insert_row(engine, "reviewer", username="old", languages='["python", "go"]', active=True)


def test_0005_fills_task_types_grandfathers_reviewers_and_downgrades(empty_engine):
    migrate_to(empty_engine, "0004")
    _seed_before_pools(empty_engine)
    migrate_to(empty_engine, "0005")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT task_type FROM reviewtask")).scalar_one() == "bug_fix"
        rows = conn.execute(
            text("SELECT language, task_type, status FROM poolmembership ORDER BY id")
        ).all()
        events = conn.execute(text("SELECT DISTINCT event FROM poolevent")).scalars().all()
    assert len(rows) == 2 * len(TaskType) and {r.status for r in rows} == {"active"}
    assert {r.language for r in rows} == {"python", "go"}
    assert events == ["grandfathered"]
    migrate_to(empty_engine, "0004", down=True)
    tables = set(inspect(empty_engine).get_table_names())
    assert not tables & {"golditem", "goldanswer", "poolmembership", "poolevent"}
    columns = {c["name"] for c in inspect(empty_engine).get_columns("reviewtask")}
    assert "task_type" not in columns
