"""The repository inbox sensor: bundles and lists of repositories become snapshot partitions
and environments_job runs, once each; unreadable entries are reported, not fatal."""

import json
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context
from git_builders import adder_repo

from factory.envs.inbox import repo_inbox
from factory.settings import inbox_dir
from sensors.repo_inbox import repo_inbox_sensor

BUNDLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "repos" / "humanize.bundle"


def evaluate(cursor: str | None = None):  # noqa: ANN201
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor)
    return repo_inbox_sensor(context)


def test_a_bundle_and_a_list_start_one_run_per_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_INBOX_SETTLE_SECONDS", "0")
    folder = repo_inbox(inbox_dir())
    folder.mkdir(parents=True)
    shutil.copyfile(BUNDLE, folder / "humanize.bundle")
    local = adder_repo(tmp_path / "adder")
    (folder / "more.repos").write_text(
        f"# repositories to mine\n{local.path}\n{tmp_path / 'missing'}\n"
    )
    result = evaluate()
    requests = {r.partition_key: r for r in result.run_requests}
    head = local.git("rev-parse", "HEAD")[:12]
    assert set(requests) == {"humanize@c3a124cdeb27", f"adder@{head}"}
    assert all(r.run_key == r.partition_key for r in requests.values())
    assert set(result.dynamic_partitions_requests[0].partition_keys) == set(requests)
    # The same snapshots again start nothing; the missing path is reported, not fatal.
    again = evaluate(result.cursor)
    assert isinstance(again, SkipReason)
    assert "none new (2 seen before); 1 unreadable" in again.skip_message
    # A new commit is a new snapshot.
    local.commit(
        "Another change to the adder module", {"adder.py": "def add(a, b):\n    return b + a\n"}
    )
    moved = evaluate(result.cursor)
    assert [r.partition_key for r in moved.run_requests] == [
        f"adder@{local.git('rev-parse', 'HEAD')[:12]}"
    ]
    assert len(json.loads(moved.cursor)["seen"]) == 3


def test_an_empty_inbox_says_what_it_saw() -> None:
    result = evaluate()
    assert isinstance(result, SkipReason)
    assert "0 snapshot(s), none new" in result.skip_message


def test_a_file_still_being_copied_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_INBOX_SETTLE_SECONDS", "60")
    folder = repo_inbox(inbox_dir())
    folder.mkdir(parents=True)
    shutil.copyfile(BUNDLE, folder / "humanize.bundle")
    result = evaluate()
    assert isinstance(result, SkipReason) and "1 still being written" in result.skip_message
