"""The `prompts` asset and its blocking intake gate, materialised in process (assets.intake)."""

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from sqlmodel import Session, select
from stage_runs import stage_resources

from assets.intake import prompts, prompts_gate
from assets.partitions import BATCH_PARTITIONS_NAME
from factory.db import make_engine
from factory.intake.batch_id import batch_id_for
from factory.intake.ingest import file_sha256
from factory.models import Prompt
from factory.settings import inbox_dir

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'assets.db'}"


def drop_in_inbox(source: Path, instance: DagsterInstance) -> str:
    """Copy a batch into the inbox as a user would and register its partition."""
    target = inbox_dir() / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    partition = batch_id_for(target.name, file_sha256(target))
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])
    return partition


def run_intake(partition: str, instance: DagsterInstance, database_url: str):  # noqa: ANN201
    return materialize(
        [prompts, prompts_gate],
        partition_key=partition,
        instance=instance,
        resources=stage_resources(database_url),
        raise_on_error=False,
    )


def test_prompts_materialises_with_intake_figures(database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    partition = drop_in_inbox(DATA / "mbpp_sample.jsonl", instance)
    result = run_intake(partition, instance, database_url)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("prompts")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert materialization.partition == partition
    assert (metadata["received"], metadata["accepted"], metadata["quarantined"]) == (5, 5, 0)
    assert (metadata["duplicates"], metadata["contaminated"], metadata["scrubbed"]) == (0, 0, 0)
    assert metadata["already_ingested"] is False
    assert "MBPP/1001" in metadata["preview"]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "prompts_gate" and check.passed
    assert check.metadata["expectations"].value == 8
    with Session(make_engine(database_url)) as session:
        stored = session.exec(select(Prompt.batch_id)).all()
    assert stored == [partition] * 5


def test_rerun_of_a_partition_is_idempotent(database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    partition = drop_in_inbox(DATA / "mbpp_sample.jsonl", instance)
    run_intake(partition, instance, database_url)
    again = run_intake(partition, instance, database_url)
    (materialization,) = again.asset_materializations_for_node("prompts")
    assert materialization.metadata["already_ingested"].value is True
    assert materialization.metadata["accepted"].value == 5
    with Session(make_engine(database_url)) as session:
        assert len(session.exec(select(Prompt)).all()) == 5


def test_bad_batch_fails_the_gate_with_per_expectation_metadata(database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    partition = drop_in_inbox(DATA / "bad_batch.jsonl", instance)
    result = run_intake(partition, instance, database_url)
    (materialization,) = result.asset_materializations_for_node("prompts")
    by_reason = materialization.metadata["quarantined_by_reason"].value
    assert by_reason["malformed_json"] == 1 and sum(by_reason.values()) == 17
    assert "| 2 |  | malformed_json |" in materialization.metadata["rejections"].value
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    failed = check.metadata["failed_expectations"].value
    assert failed == ["expect_column_max_to_be_between(quarantine_share)"]
    share = check.metadata["expect_column_max_to_be_between(quarantine_share)"].value
    assert share["thresholds"] == {"max_value": 0.25}
    assert share["observed_value"] == pytest.approx(17 / 25)


def test_partition_without_a_file_fails_with_a_clear_error(database_url: str) -> None:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, ["gone-0123456789ab"])
    result = run_intake("gone-0123456789ab", instance, database_url)
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    reason = failure.step_failure_data.user_failure_data.description
    assert "no file in the inbox" in reason and "gone-0123456789ab" in reason
