"""Signals from the candidate's sandbox run: the verdict (correctness), wall time and peak memory.

The first attempt is the run of record; a stability re-run with another verdict is noted in the
message. A sandbox_error run is the factory's fault, never the candidate's: it yields no signal.
"""

from collections.abc import Sequence

from factory.models import ExecutionRun
from factory.signals.signal import Signal
from factory.vocab import Dimension, Verdict

TOOL = "sandbox"


def run_of_record(runs: Sequence[ExecutionRun]) -> ExecutionRun | None:
    usable = [run for run in runs if run.verdict != Verdict.SANDBOX_ERROR]
    if not usable:
        return None
    return min(usable, key=lambda run: (run.attempt, -(run.id or 0)))


def execution_signals(runs: Sequence[ExecutionRun]) -> list[Signal]:
    run = run_of_record(runs)
    if run is None:
        return []
    message = f"{run.verdict}: {run.tests_passed}/{run.tests_total} tests passed"
    if run.error_type:
        message += f" ({run.error_type})"
    others = sorted({r.verdict for r in runs if r.attempt != run.attempt} - {Verdict.SANDBOX_ERROR})
    if others and others != [run.verdict]:
        message += f"; a re-run gave {', '.join(others)} (flaky)"
    pass_rate = run.tests_passed / run.tests_total if run.tests_total else None
    return [
        Signal(
            tool=TOOL,
            dimension=Dimension.CORRECTNESS,
            rule_id=run.verdict,
            severity="" if run.verdict == Verdict.PASSED else "HIGH",
            value=pass_rate,
            message=message,
        ),
        Signal(
            tool=TOOL,
            dimension=Dimension.EFFICIENCY,
            rule_id="wall_time_s",
            value=run.wall_time_s,
            message=f"the test run took {run.wall_time_s:.3f} s",
        ),
        Signal(
            tool=TOOL,
            dimension=Dimension.EFFICIENCY,
            rule_id="peak_memory_kb",
            value=float(run.peak_memory_kb),
            message=f"peak memory {run.peak_memory_kb / 1024:.1f} MiB",
        ),
    ]
