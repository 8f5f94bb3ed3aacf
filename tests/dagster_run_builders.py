"""Waiting on a launched Dagster run and reading why it failed: shared by the deployment tests."""

import time

from dagster import DagsterInstance, DagsterRunStatus


def wait_for_run(instance: DagsterInstance, run_id: str, timeout_s: float) -> DagsterRunStatus:
    """The run's status once it has finished, or as it stands after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        if run.is_finished:
            return run.status
        time.sleep(2)
    return instance.get_run_by_id(run_id).status  # type: ignore[union-attr]


def run_failures(instance: DagsterInstance, run_id: str) -> str:
    """Every failure event of the run, a line each."""
    lines = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.is_failure:
            lines.append(f"{event.event_type_value}: {event.message}")
    return "\n".join(lines)
