"""The `published_release` asset: its place in the graph, publishing a batch's release to the
local target and to the (stand-in) Hub, reruns, and a failed publication that shows no token."""

from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance, materialize
from sqlalchemy import Engine
from sqlmodel import Session
from stage_runs import stage_resources
from stand_ins.hub_server import running_hub
from stand_ins.release_folder import REPO_ID, TOKEN, write_release

from assets.partitions import BATCH_PARTITIONS_NAME
from assets.publishing import published_release, published_release_gate
from factory.models.release import Release
from factory.vocab import ReleaseStatus
from resources.hub import HubResource

BATCH = "batch-20260101-abcdef12"


def _add_release(engine: Engine, folder: Path) -> int:
    with Session(engine) as session:
        release = Release(
            name="code-rlhf",
            version="0.1.0",
            batch_ids=[BATCH],
            status=ReleaseStatus.PACKAGED,
            path=str(folder),
            config_sha256="ab" * 32,
            counts={"dpo": 5},
        )
        session.add(release)
        session.commit()
        assert release.id is not None
        return release.id


def _materialize(engine: Engine, tmp_path: Path, publishing: dict, hub: HubResource):  # type: ignore[no-untyped-def]
    config_path = tmp_path / "factory.yaml"
    config_path.write_text(yaml.safe_dump({"publishing": publishing}))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [BATCH])
    result = materialize(
        [published_release, published_release_gate],
        partition_key=BATCH,
        instance=instance,
        resources=stage_resources(
            engine.url.render_as_string(hide_password=False), config_path, hub=hub
        ),
        raise_on_error=False,
    )
    return result, instance


def _metadata(result) -> dict:  # type: ignore[no-untyped-def]
    [event] = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def _gate(result) -> tuple[bool, dict]:  # type: ignore[no-untyped-def]
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "published_release_gate"
    return check.passed, {key: value.value for key, value in check.metadata.items()}


def _release(engine: Engine, release_id: int) -> Release:
    with Session(engine) as session:
        release = session.get(Release, release_id)
        assert release is not None
        return release


def test_published_release_follows_release_package_in_the_post_review_job() -> None:
    from definitions import defs

    graph = defs.resolve_asset_graph()
    key = AssetKey("published_release")
    assert graph.get(key).group_name == "post_review"
    assert AssetKey("release_package") in graph.get(key).parent_keys
    assert key in defs.resolve_job_def("post_review_job").asset_layer.executable_asset_keys
    assert "hub" in defs.resolve_job_def("post_review_job").required_resource_keys


def test_publishes_to_the_local_target_and_a_rerun_changes_nothing(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    release_id = _add_release(sqlite_engine, write_release(tmp_path / "release"))
    publishing = {"local_root": str(tmp_path / "hub"), "repo_id": REPO_ID}

    first, _ = _materialize(sqlite_engine, tmp_path, publishing, HubResource())
    assert first.success
    metadata = _metadata(first)
    tag_dir = tmp_path / "hub" / "datasets" / REPO_ID / "tags" / "0.1.0"
    assert metadata["url"] == tag_dir.as_uri()
    assert (metadata["new_commit"], metadata["new_tag"], metadata["files"]) == (True, True, 6)
    assert (tag_dir / "README.md").is_file()
    release = _release(sqlite_engine, release_id)
    assert release.status == ReleaseStatus.PUBLISHED
    assert release.commit_id == metadata["commit_id"]

    assert _gate(first)[0]  # read back from the target: every file there, the same bytes

    again, _ = _materialize(sqlite_engine, tmp_path, publishing, HubResource())
    assert again.success
    assert (_metadata(again)["new_commit"], _metadata(again)["new_tag"]) == (False, False)
    assert _metadata(again)["commit_id"] == metadata["commit_id"]


def test_publishes_to_the_hub_when_the_settings_say_so(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    release_id = _add_release(sqlite_engine, write_release(tmp_path / "release"))
    with running_hub(TOKEN) as hub:
        result, _ = _materialize(
            sqlite_engine,
            tmp_path,
            {"target": "hub", "repo_id": REPO_ID},
            HubResource(token=TOKEN, endpoint=hub.endpoint),
        )
        assert result.success
        assert hub.repo(REPO_ID).tags == {"0.1.0": _metadata(result)["commit_id"]}
        assert _gate(result)[0]
    release = _release(sqlite_engine, release_id)
    assert (release.status, release.target, release.repo_id) == ("published", "hub", REPO_ID)
    assert release.url == f"{hub.endpoint}/datasets/{REPO_ID}/tree/0.1.0"


def test_a_failed_publication_fails_the_run_and_shows_no_token(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    release_id = _add_release(sqlite_engine, write_release(tmp_path / "release"))
    with running_hub(TOKEN) as hub:
        hub.fail("commit", times=1, status=403, echo_authorization=True)
        result, instance = _materialize(
            sqlite_engine,
            tmp_path,
            {"target": "hub", "repo_id": REPO_ID, "max_retries": 0},
            HubResource(token=TOKEN, endpoint=hub.endpoint),
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "HTTP 403" in str(failure.event_specific_data.error)
    logs = "\n".join(str(entry) for entry in instance.all_logs(result.run_id))
    assert "HTTP 403" in logs
    assert TOKEN not in logs
    release = _release(sqlite_engine, release_id)
    assert release.status == ReleaseStatus.FAILED and TOKEN not in release.error


def test_a_batch_without_a_release_fails_with_a_clear_reason(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    result, _ = _materialize(sqlite_engine, tmp_path, {}, HubResource())
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert f"no release contains batch '{BATCH}'" in str(failure.event_specific_data.error)


def test_the_gate_fails_when_the_published_copy_differs_from_the_release(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _add_release(sqlite_engine, write_release(tmp_path / "release"))
    publishing = {"local_root": str(tmp_path / "hub"), "repo_id": REPO_ID}
    first, _ = _materialize(sqlite_engine, tmp_path, publishing, HubResource())
    assert first.success and _gate(first)[0]
    # Someone edits the published copy behind the factory's back: the next run's gate says so,
    # before anyone downstream trusts the tag.
    tag_dir = (tmp_path / "hub" / "datasets" / REPO_ID / "tags" / "0.1.0").resolve()
    (tag_dir / "README.md").write_text("edited by hand\n")
    (tag_dir / "extra.txt").write_text("not in the release\n")
    again, _ = _materialize(sqlite_engine, tmp_path, publishing, HubResource())
    passed, metadata = _gate(again)
    assert not passed
    assert set(metadata["failed_expectations"]) == {
        "expect_column_values_to_be_in_set(in_release)",
        "expect_column_values_to_be_in_set(matches)",
    }
