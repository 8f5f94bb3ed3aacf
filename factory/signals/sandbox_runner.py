"""Growth timing runs through the factory sandbox, like any other candidate code.

The timing program (candidate + harness) is the job's code: it runs in the sandboxed worker at
import time and prints its result line to the worker's stdout, which the sandbox returns. The
job's tests are a trivial `check` so the sandbox's own protocol stays unchanged.
"""

from factory.sandbox import ExecutionJob, Sandbox
from factory.signals.growth import ProgramRunner
from factory.vocab import Verdict

_HARNESS_NAME = "_factory_args"  # defined by the growth harness; the job's nominal entry point
_TRIVIAL_CHECK = "def check(candidate):\n    assert candidate is not None\n"


class GrowthRunError(RuntimeError):
    pass


def sandbox_program_runner(sandbox: Sandbox, *, memory_mb: int) -> ProgramRunner:
    def run(program: str, timeout_s: float) -> str:
        outcome = sandbox.run(
            ExecutionJob(
                code=program,
                tests=_TRIVIAL_CHECK,
                entry_point=_HARNESS_NAME,
                test_style="check",
                timeout_s=timeout_s,
                memory_mb=memory_mb,
            )
        )
        if outcome.verdict != Verdict.PASSED:
            detail = outcome.error_type or outcome.stderr.strip()[-300:]
            raise GrowthRunError(f"timing run ended with {outcome.verdict}: {detail}")
        return outcome.stdout

    return run
