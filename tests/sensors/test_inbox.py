"""The inbox sensor: one partition and one run per new batch content (sensors.inbox)."""

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from factory.intake.batch_id import batch_id_for
from factory.intake.ingest import file_sha256
from sensors.inbox import inbox_sensor

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    monkeypatch.setenv("FACTORY_INBOX", str(path))
    return path


def drop(source: Path, inbox: Path, name: str | None = None) -> Path:
    target = inbox / (name or source.name)
    shutil.copyfile(source, target)
    old = time.time() - 60  # settled: not still being copied
    os.utime(target, (old, old))
    return target


def tick(cursor: str | None = None) -> SensorResult | SkipReason:
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor)
    return inbox_sensor(context)


def test_empty_inbox_skips_and_says_what_it_saw(inbox: Path) -> None:
    result = tick()
    assert isinstance(result, SkipReason)
    assert f"inbox {inbox}: 0 batch file(s), none new (0 seen before)" == result.skip_message


def test_each_new_file_gives_one_partition_and_one_run(inbox: Path) -> None:
    first = drop(DATA / "mbpp_sample.jsonl", inbox)
    second = drop(DATA / "bad_batch.jsonl", inbox)
    (inbox / "readme.txt").write_text("not a batch")
    result = tick()
    assert isinstance(result, SensorResult)
    expected = {
        file_sha256(path): batch_id_for(path.name, file_sha256(path)) for path in (first, second)
    }
    assert {(r.run_key, r.partition_key) for r in result.run_requests} == set(expected.items())
    assert all(
        r.tags["factory/batch_file"] in {first.name, second.name} for r in result.run_requests
    )
    (add_request,) = result.dynamic_partitions_requests
    assert add_request.partitions_def_name == "batches"
    assert set(add_request.partition_keys) == set(expected.values())
    assert json.loads(result.cursor) == {"seen": expected}


def test_seen_content_starts_nothing_even_renamed(inbox: Path) -> None:
    drop(DATA / "mbpp_sample.jsonl", inbox)
    cursor = tick().cursor
    drop(DATA / "mbpp_sample.jsonl", inbox, name="same-content-new-name.jsonl")
    result = tick(cursor)
    assert isinstance(result, SkipReason)
    assert "2 batch file(s), none new (1 seen before)" in result.skip_message


def test_only_the_new_file_runs_after_earlier_ticks(inbox: Path) -> None:
    drop(DATA / "mbpp_sample.jsonl", inbox)
    cursor = tick().cursor
    new = drop(DATA / "bad_batch.jsonl", inbox)
    result = tick(cursor)
    assert [r.run_key for r in result.run_requests] == [file_sha256(new)]
    assert len(json.loads(result.cursor)["seen"]) == 2


def test_same_content_twice_in_one_tick_is_one_run(inbox: Path) -> None:
    drop(DATA / "mbpp_sample.jsonl", inbox, name="a.jsonl")
    drop(DATA / "mbpp_sample.jsonl", inbox, name="b.jsonl")
    result = tick()
    assert len(result.run_requests) == 1 and result.run_requests[0].partition_key.startswith("a-")


def test_file_still_being_written_waits(inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_INBOX_SETTLE_SECONDS", "30")
    shutil.copyfile(DATA / "mbpp_sample.jsonl", inbox / "fresh.jsonl")
    result = tick()
    assert isinstance(result, SkipReason) and "1 still being written" in result.skip_message
