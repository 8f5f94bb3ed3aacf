"""The `signals` asset, materialised for one batch partition with execution runs in place."""

from dagster import DagsterInstance, materialize
from generation_builder import add_candidate, add_execution_run, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select
from stage_runs import stage_resources

from assets.partitions import BATCH_PARTITIONS_NAME
from assets.signals import signals
from factory.models import Finding

BATCH = "batch-signals-asset"


def test_the_asset_stores_findings_and_reports_cwe_counts(sqlite_engine: Engine) -> None:
    [prompt] = add_humaneval_batch(sqlite_engine, BATCH, [2])
    insecure = add_candidate(
        sqlite_engine,
        prompt,
        "def truncate_number(number: float) -> float:\n"
        '    return eval(f"{number} - int({number})")\n',
    )
    add_execution_run(sqlite_engine, insecure, verdict="passed")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [BATCH])

    result = materialize(
        [signals],
        partition_key=BATCH,
        instance=instance,
        resources=stage_resources(sqlite_engine.url.render_as_string()),
    )

    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["candidates"] == 1
    assert metadata["cwe_ids"] == {"78": 1}  # B307 eval: CWE-78 in bandit 1.9
    assert metadata["growth_skipped"] == {}  # no prompt has a scaled input: no sandbox opened
    with Session(sqlite_engine) as session:
        rules = {f.rule_id for f in session.exec(select(Finding))}
    assert {"B307", "passed", "cc", "mi", "wall_time_s"} <= rules


def test_the_definitions_wire_generation_and_signals_into_the_pre_review_chain() -> None:
    from dagster import AssetCheckKey, AssetKey

    from definitions import defs

    graph = defs.resolve_asset_graph()
    candidates = graph.get(AssetKey("candidates"))
    signals_node = graph.get(AssetKey("signals"))

    assert candidates.parent_keys == {AssetKey("prompts")}
    assert signals_node.parent_keys == {AssetKey("candidates"), AssetKey("executions")}
    assert candidates.group_name == signals_node.group_name == "pre_review"
    assert candidates.partitions_def.name == signals_node.partitions_def.name == "batches"
    gate = AssetCheckKey(AssetKey("candidates"), "candidates_gate")
    assert gate in graph.asset_check_keys
    assert graph.get_check_spec(gate).blocking
