"""The demo's live progress: a run's stage lines, counts, gate results and failure reasons."""

import uuid
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    asset_check,
    define_asset_job,
)

from commands.demo_progress import Reporter, RunFollower, figures


@asset
def numbers() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 3, "share": 0.5, "note": "not a count"})


@asset_check(asset=numbers)
def numbers_even() -> AssetCheckResult:
    return AssetCheckResult(passed=False, description="rows must be even")


@asset(deps=[numbers])
def broken() -> None:
    raise ValueError("record 7 has no tests")


def test_the_follower_prints_each_stage_while_the_run_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = Definitions(
        assets=[numbers, broken], asset_checks=[numbers_even], jobs=[define_asset_job("j")]
    ).resolve_job_def("j")
    run_id = str(uuid.uuid4())
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        with RunFollower(instance, run_id, Reporter()):
            result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success
    out = capsys.readouterr().out
    assert "numbers: started" in out
    assert "numbers: materialised numbers rows=3 share=0.5" in out
    assert "not a count" not in out
    assert "check numbers_even FAILED rows must be even" in out
    assert "broken: FAILED ValueError: record 7 has no tests" in out  # the cause, not the wrapper
    assert "DagsterExecutionStepExecutionError" not in out
    lines = out.splitlines()
    assert lines.index(next(x for x in lines if "numbers: started" in x)) < lines.index(
        next(x for x in lines if "broken: FAILED" in x)
    )


def test_figures_keeps_counts_and_drops_dagster_keys() -> None:
    assert figures({"accepted": 5, "dagster/row_count": 5, "path": "/x", "ok": 1.5}) == (
        "accepted=5 ok=1.5"
    )
