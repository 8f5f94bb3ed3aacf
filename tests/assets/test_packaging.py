"""The `release_package` asset: packages a reviewed batch under FACTORY_HOME/releases with its
metadata, passes its release_package_gate, reruns return the same release, and the gate fails on a
doctored table; plus its place in the graph."""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, materialize
from release_builders import reviewed_batch
from sqlalchemy import Engine
from sqlmodel import Session, select
from stage_runs import materialize_batch, stage_resources

from assets import ASSET_MODULES, packaging
from assets.packaging import release_package, release_package_gate
from assets.partitions import BATCH_PARTITIONS_NAME
from assets.publishing import published_release
from factory.models import Release
from factory.packaging import release as release_module


def run(engine: Engine, batch_id: str, config_path: Path):  # type: ignore[no-untyped-def]
    return materialize_batch(
        [release_package, release_package_gate], engine, batch_id, config_path=config_path
    )


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "factory.yaml"
    settings = {
        "packaging": {"allow_simulated": True, "test_fraction": 0.3},
        "agreement": {"bootstrap_samples": 20},
    }
    path.write_text(yaml.safe_dump(settings))
    return path


def test_release_package_materialises_passes_its_gate_and_reruns_unchanged(
    sqlite_engine, tmp_path, _isolated_factory_home
):
    batch = reviewed_batch(sqlite_engine)
    config_path = write_config(tmp_path)
    result = run(sqlite_engine, batch.batch_id, config_path)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("release_package")
    metadata = materialization.metadata
    folder = _isolated_factory_home / "releases" / "code-rlhf" / "0.1.0"
    assert metadata["path"].value == str(folder) and metadata["version"].value == "0.1.0"
    assert metadata["release"].value == "code-rlhf 0.1.0"
    counts = metadata["counts"].value
    dpo_rows = sum(len(pd.read_parquet(p)) for p in folder.glob("dpo/*.parquet"))
    assert sum(counts["dpo"].values()) == dpo_rows > 0
    assert metadata["rows_dpo_train"].value == counts["dpo"]["train"]
    assert metadata["qa_report"].value == (folder / "qa_report.md").read_text()
    assert metadata["qa_report_json"].value["packaged"] == counts
    assert metadata["simulated_labels"].value is True
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "release_package_gate" and check.passed
    assert check.metadata["rows"].value == dpo_rows

    rerun = run(sqlite_engine, batch.batch_id, config_path)
    (again,) = rerun.asset_materializations_for_node("release_package")
    assert again.metadata["release_id"].value == metadata["release_id"].value
    with Session(sqlite_engine) as session:
        assert len(session.exec(select(Release)).all()) == 1


def doctor(folder: Path) -> None:
    """chosen == rejected on one row, a blank prompt on another, a prompt in both splits, in a
    file without the `tests` column."""
    path = sorted(folder.glob("dpo/train-*.parquet"))[0]
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame.loc[0, "rejected"] = frame.loc[0, "chosen"]
    frame.loc[len(frame) - 1, "prompt"] = "   "
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)
    rlvr = sorted(folder.glob("rlvr/train-*.parquet"))[0]
    extra = pq.read_table(rlvr).slice(0, 1).drop_columns(["tests"])
    pq.write_table(extra, folder / "rlvr" / "test-00009.parquet")


def test_release_package_gate_fails_on_a_doctored_table(
    sqlite_engine, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    batch = reviewed_batch(sqlite_engine)
    real = release_module.write_plan

    def write_then_doctor(plan, folder, config):  # type: ignore[no-untyped-def]
        staged = real(plan, folder, config)
        doctor(folder)
        return staged

    monkeypatch.setattr(release_module, "write_plan", write_then_doctor)
    result = run(sqlite_engine, batch.batch_id, write_config(tmp_path))
    assert not result.success  # the blocking gate failed the run
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "release_package_gate" and not check.passed
    failed = check.metadata["failed_expectations"].value
    assert sorted(failed) == [
        "expect_column_values_to_be_between(prompt_splits)",
        "expect_column_values_to_be_in_set(chosen_differs)",
        "expect_column_values_to_be_null(missing_columns)",
        "expect_column_values_to_be_null(split_conflicts)",
        "expect_column_values_to_not_match_regex(prompt)",
    ]
    missing = check.metadata["expect_column_values_to_be_null(missing_columns)"].value
    assert "rlvr/test-00009.parquet: tests" in str(missing)


def test_the_packaged_release_is_what_publishing_publishes(sqlite_engine, tmp_path):
    batch = reviewed_batch(sqlite_engine)
    config_path = write_config(tmp_path)
    settings = yaml.safe_load(config_path.read_text())
    settings["publishing"] = {"local_root": str(tmp_path / "hub"), "repo_id": "factory/code-rlhf"}
    config_path.write_text(yaml.safe_dump(settings))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [batch.batch_id])
    result = materialize(
        [release_package, release_package_gate, published_release],
        partition_key=batch.batch_id,
        instance=instance,
        resources=stage_resources(sqlite_engine.url.render_as_string(False), config_path),
        raise_on_error=False,
    )
    assert result.success
    tag = tmp_path / "hub" / "datasets" / "factory" / "code-rlhf" / "tags" / "0.1.0"
    assert (tag / "README.md").is_file() and list(tag.glob("dpo/train-*.parquet"))
    with Session(sqlite_engine) as session:
        (release,) = session.exec(select(Release)).all()
    assert release.status == "published" and release.version == "0.1.0"
    (published,) = result.asset_materializations_for_node("published_release")
    assert published.metadata["release_items"].value == sum(release.counts.values())


def test_release_package_sits_after_sign_off_in_post_review():
    assert release_package.group_names_by_key[release_package.key] == "post_review"
    assert AssetKey("sign_off") in release_package.dependency_keys
    names = [module.__name__ for module in ASSET_MODULES]
    assert names.index("assets.signoff") < names.index(packaging.__name__)
    assert names.index(packaging.__name__) < names.index("assets.publishing")
