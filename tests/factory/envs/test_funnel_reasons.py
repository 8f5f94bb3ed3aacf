"""How the funnel groups the reasons tasks left it for: the cause, without per-task details."""

import pytest

from factory.envs.funnel import reason_key


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        (
            "the suite does not collect at the base commit (tests/test_a.py, tests/test_b.py): "
            "ImportError: cannot import name 'MutableMapping'",
            "the suite does not collect at the base commit",
        ),
        (
            "environment: dependencies could not be had as wheels for Python 3.11: ERROR: no "
            "version satisfies coverage<4",
            "environment: dependencies could not be had as wheels for Python 3.11",
        ),
        (
            "no test fails before the gold patch and passes after it",
            "no test fails before the gold patch and passes after it",
        ),
        ("", "unknown"),
    ],
)
def test_reasons_group_by_their_cause(reason: str, key: str) -> None:
    assert reason_key(reason) == key
