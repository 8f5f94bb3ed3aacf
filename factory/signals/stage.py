"""The signals stage: automatic evidence per candidate, as Finding rows.

Security (bandit for Python; flawfinder, cppcheck, eslint, shellcheck and semgrep for the other
languages, with CWE ids), style (ruff, cppcheck, eslint, shellcheck), readability (radon, lizard),
correctness (the sandbox verdict) and efficiency (run time, peak memory, and growth with input
size where a prompt has a scaled input). Growth timings run in the same sandbox as every other
candidate run, as many at once as the pool has sandboxes, and the sandbox is opened only when
some prompt of the batch has a scaled input.
"""

from contextlib import ExitStack

from sqlmodel import select

from factory.errors import SandboxUnavailableError
from factory.models import Prompt
from factory.signals.collect import SignalsReport, run_signals
from factory.signals.growth import ProgramRunner, scaled_input_for
from factory.signals.sandbox_runner import sandbox_program_runner
from factory.stages.context import StageContext


def run(ctx: StageContext, batch_id: str) -> SignalsReport:
    with ExitStack() as stack:
        runner: ProgramRunner | None = None
        if _needs_growth(ctx, batch_id):
            try:
                sandbox = stack.enter_context(ctx.open_sandbox())
                runner = sandbox_program_runner(sandbox, memory_mb=ctx.config.sandbox.memory_mb)
            except SandboxUnavailableError as exc:
                ctx.log.warning(f"growth not measured: {exc}")
        return run_signals(
            engine=ctx.engine,
            batch_id=batch_id,
            config=ctx.config,
            runner=runner,
            concurrency=ctx.config.sandbox.pool_size,  # one timing per sandbox of the pool
        )


def _needs_growth(ctx: StageContext, batch_id: str) -> bool:
    """Whether any prompt of the batch has a scaled input, so the sandbox is worth opening."""
    with ctx.session() as session:
        prompts = session.exec(
            select(Prompt.external_id, Prompt.entry_point, Prompt.scaled_input).where(
                Prompt.batch_id == batch_id
            )
        )
        return any(
            scaled_input_for(external_id=e, entry_point=p, scaled_input=s) for e, p, s in prompts
        )
