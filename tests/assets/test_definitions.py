"""The whole Definitions: asset graph, checks, partitions, jobs, sensor; and gate blocking."""

import shutil
import subprocess
from pathlib import Path

from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    asset,
    materialize,
)
from stage_runs import stage_resources

from assets.intake import prompts, prompts_gate
from assets.partitions import BATCH_PARTITIONS_NAME, batch_partitions, repo_partitions
from definitions import defs
from factory.intake.batch_id import batch_id_for
from factory.intake.ingest import file_sha256
from factory.settings import inbox_dir
from sensors.inbox import INBOX_SENSOR
from sensors.repo_inbox import REPO_INBOX_SENSOR

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data" / "intake"
GROUPS = {"pre_review", "post_review"}
ENVIRONMENT_ASSETS = ["repository_tasks", "environment_images", "environment_tasks"]


def test_asset_graph_has_prompts_with_its_blocking_gate() -> None:
    graph = defs.resolve_asset_graph()
    assert AssetKey("prompts") in graph.get_all_asset_keys()
    node = graph.get(AssetKey("prompts"))
    assert node.partitions_def == batch_partitions and node.group_name == "pre_review"
    check_key = AssetCheckKey(AssetKey("prompts"), "prompts_gate")
    assert check_key in graph.asset_check_keys
    assert graph.get_check_spec(check_key).blocking


def test_every_asset_of_the_chain_is_batch_partitioned_in_a_known_group() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable or node.group_name == "environments":
            continue
        assert node.partitions_def == batch_partitions, key
        assert node.group_name in GROUPS, key


def test_environment_assets_are_partitioned_per_repository_snapshot_behind_a_gate() -> None:
    graph = defs.resolve_asset_graph()
    environment_keys = {
        k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "environments"
    }
    assert environment_keys == {AssetKey(name) for name in ENVIRONMENT_ASSETS}
    for name in ENVIRONMENT_ASSETS:
        assert graph.get(AssetKey(name)).partitions_def == repo_partitions
    assert graph.get(AssetKey("environment_images")).parent_keys == {AssetKey("repository_tasks")}
    assert graph.get(AssetKey("environment_tasks")).parent_keys == {AssetKey("environment_images")}
    gate = AssetCheckKey(AssetKey("environment_tasks"), "environment_tasks_gate")
    assert graph.get_check_spec(gate).blocking
    job = defs.resolve_job_def("environments_job")
    assert job.partitions_def == repo_partitions
    assert set(job.asset_layer.executable_asset_keys) == environment_keys
    assert defs.resolve_sensor_def(REPO_INBOX_SENSOR).job_name == "environments_job"


def test_jobs_select_by_group_and_sensor_targets_pre_review() -> None:
    pre = defs.resolve_job_def("pre_review_job")
    post = defs.resolve_job_def("post_review_job")
    graph = defs.resolve_asset_graph()
    pre_keys = pre.asset_layer.executable_asset_keys
    assert AssetKey("prompts") in pre_keys
    assert all(graph.get(key).group_name == "pre_review" for key in pre_keys)
    assert all(
        graph.get(key).group_name == "post_review" for key in post.asset_layer.executable_asset_keys
    )
    assert pre.partitions_def == batch_partitions
    sensor = defs.resolve_sensor_def(INBOX_SENSOR)
    assert sensor.job_name == "pre_review_job"


def test_workspace_loads_with_the_dagster_cli(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "dagster"),
            "definitions",
            "validate",
            "-w",
            str(REPO_ROOT / "workspace.yaml"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(REPO_ROOT / ".venv" / "bin"), "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


@asset(partitions_def=batch_partitions, deps=[prompts])
def after_prompts() -> None:
    """A stand-in for generation: it must only run when the intake gate passes."""


def _run_chain(source: Path, tmp_path: Path):  # noqa: ANN202
    instance = DagsterInstance.ephemeral()
    target = inbox_dir() / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    partition = batch_id_for(target.name, file_sha256(target))
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])
    return materialize(
        [prompts, prompts_gate, after_prompts],
        partition_key=partition,
        instance=instance,
        resources=stage_resources(f"sqlite:///{tmp_path / 'chain.db'}"),
        raise_on_error=False,
    )


def test_failed_gate_stops_the_downstream_asset(tmp_path: Path) -> None:
    result = _run_chain(DATA / "bad_batch.jsonl", tmp_path)
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert result.asset_materializations_for_node("prompts")
    assert not result.asset_materializations_for_node("after_prompts")
    assert "after_prompts" not in {
        event.step_key for event in result.all_events if event.is_step_success
    }


def test_passed_gate_lets_the_downstream_asset_run(tmp_path: Path) -> None:
    result = _run_chain(DATA / "mbpp_sample.jsonl", tmp_path)
    assert result.success
    assert result.asset_materializations_for_node("after_prompts")
