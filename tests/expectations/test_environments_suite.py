"""The environment gate: judged tasks with reasons, stable tasks decided by tests, one at least."""

import pandas as pd

from expectations.environments import build_suite
from expectations.gate import run_suite
from factory.settings import FactoryConfig


def frame(*rows: tuple[str, bool, bool]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {"instance_id": f"r-{i}", "status": s, "explained": e, "decided_by_tests": d,
             "stable": int(s == "stable")}
            for i, (s, e, d) in enumerate(rows)
        ]
    )  # fmt: skip


def passes(data: pd.DataFrame) -> bool:
    return run_suite(build_suite(FactoryConfig()), data).success


def test_a_judged_snapshot_with_a_stable_task_passes() -> None:
    assert passes(frame(("stable", True, True), ("not_gradable", True, True)))


def test_each_hole_fails_the_gate() -> None:
    assert not passes(frame(("not_runnable", True, True)))  # nothing stable
    assert not passes(frame(("stable", True, True), ("mined", True, True)))  # not judged
    assert not passes(frame(("stable", True, True), ("flaky", False, True)))  # no reason
    assert not passes(frame(("stable", True, False)))  # no FAIL_TO_PASS
    assert not passes(frame())
