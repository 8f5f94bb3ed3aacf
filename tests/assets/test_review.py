"""The `review_tasks` asset: queues a batch's pairs, passes its gate, reruns add nothing, and
the gate blocks a batch with no reviewable pair; plus its place in the Definitions."""

import pytest
from dagster import AssetKey
from review_builders import build_batch
from review_data_builder import add_batch, add_candidate, add_prompt
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from stage_runs import materialize_batch

from assets.review import review_tasks, review_tasks_gate
from factory.models import ReviewTask


def run(engine: Engine, batch_id: str):  # type: ignore[no-untyped-def]
    return materialize_batch([review_tasks, review_tasks_gate], engine, batch_id)


def task_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(ReviewTask))


def test_review_tasks_queues_the_batch_and_passes_its_gate(sqlite_engine):
    batch = build_batch(sqlite_engine, prompts=5)
    result = run(sqlite_engine, batch.batch_id)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("review_tasks")
    created = materialization.metadata["created"].value
    assert created == task_count(sqlite_engine) == 5  # one passing pair each; no attention checks
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "review_tasks_gate" and check.passed
    rerun = run(sqlite_engine, batch.batch_id)
    (again,) = rerun.asset_materializations_for_node("review_tasks")
    assert again.metadata["created"].value == 0
    assert again.metadata["already_queued"].value == created
    assert task_count(sqlite_engine) == created


def test_the_gate_blocks_a_batch_without_any_pair(sqlite_engine):
    with Session(sqlite_engine) as session:
        add_batch(session, "lonely")
        prompt = add_prompt(session, "lonely", "only")
        add_candidate(session, prompt)  # a single candidate cannot be paired
        session.commit()
    result = run(sqlite_engine, "lonely")
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert "row_count" in str(check.metadata) or "row count" in (check.description or "")


@pytest.mark.parametrize("module", ["definitions"])
def test_definitions_wire_review_tasks_after_signals_with_a_blocking_gate(module):
    from definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("review_tasks"))
    assert AssetKey("signals") in node.parent_keys
    assert node.group_name == "pre_review"
    checks = {key.name for key in graph.asset_check_keys if key.asset_key == node.key}
    assert "review_tasks_gate" in checks
    assert (
        AssetKey("review_tasks")
        in defs.resolve_job_def("pre_review_job").asset_layer.selected_asset_keys
    )
