"""The environment assets for one repository snapshot, as environments_job runs them: the
funnel in the materialisation's metadata, the gate passing, and a rerun adding nothing."""

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, materialize
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from stage_runs import stage_resources

from assets.environments import (
    environment_images,
    environment_tasks,
    environment_tasks_gate,
    repository_tasks,
)
from assets.partitions import REPO_PARTITIONS_NAME
from factory.envs.images import EnvironmentUnavailableError, docker_client
from factory.envs.inbox import repo_inbox, snapshot_id_of
from factory.models import RepoTask
from factory.settings import inbox_dir

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUNDLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "repos" / "cachetools.bundle"
ASSETS = [repository_tasks, environment_images, environment_tasks, environment_tasks_gate]


def test_the_funnel_materialises_per_snapshot_with_its_gate(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    try:
        docker_client()
    except EnvironmentUnavailableError as exc:
        pytest.skip(str(exc))
    folder = repo_inbox(inbox_dir())
    folder.mkdir(parents=True)
    shutil.copyfile(BUNDLE, folder / BUNDLE.name)
    snapshot_id = snapshot_id_of(str(folder / BUNDLE.name))
    config = tmp_path / "factory.yaml"
    config.write_text(yaml.safe_dump({"envs": {"max_tasks": 2, "stability_runs": 2}}))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(REPO_PARTITIONS_NAME, [snapshot_id])
    url = sqlite_engine.url.render_as_string(hide_password=False)

    def run() -> object:
        return materialize(
            ASSETS,
            partition_key=snapshot_id,
            instance=instance,
            resources=stage_resources(url, config),
        )

    result = run()
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    [mined] = result.asset_materializations_for_node("repository_tasks")
    assert mined.metadata["candidate_tasks"].value == 2
    assert "beyond max_tasks" in mined.metadata["left_out"].value
    [validated] = result.asset_materializations_for_node("environment_tasks")
    metadata = validated.metadata
    assert metadata["tasks_mined"].value == 2 and metadata["tasks_stable"].value >= 1
    assert "| stable |" in metadata["funnel"].value
    assert metadata["dagster/row_count"].value == metadata["tasks_stable"].value

    again = run()
    [images] = again.asset_materializations_for_node("environment_images")
    assert images.metadata["built"].value == 0
    with Session(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(RepoTask)).one() == 2
    assert instance.get_latest_materialization_event(AssetKey("environment_tasks"))
