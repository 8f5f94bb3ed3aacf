"""`signals`: bandit, ruff, radon, sandbox verdict, run time, memory and growth per candidate."""

from contextlib import ExitStack

from dagster import AssetExecutionContext, MaterializeResult, asset
from sqlalchemy import Engine
from sqlmodel import Session, select

from assets.partitions import batch_partitions
from factory.errors import SandboxUnavailableError
from factory.models import Prompt
from factory.signals.collect import run_signals
from factory.signals.growth import scaled_input_for
from factory.signals.sandbox_runner import sandbox_program_runner
from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource


@asset(
    deps=["candidates", "executions"],
    partitions_def=batch_partitions,
    group_name="pre_review",
    description=(
        "Automatic evidence per candidate, as Finding rows: security (bandit, with CWE ids), "
        "style (ruff), readability (radon), correctness (the sandbox verdict) and efficiency "
        "(run time, peak memory, and growth with input size where a prompt has scaled_input)."
    ),
)
def signals(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
) -> MaterializeResult:
    config = settings.load()
    engine = database.get_engine()
    with ExitStack() as stack:
        runner = None
        if _needs_growth(engine, context.partition_key):
            from factory.sandbox import open_sandbox

            try:
                sandbox = stack.enter_context(open_sandbox(config.sandbox))
                runner = sandbox_program_runner(sandbox, memory_mb=config.sandbox.memory_mb)
            except SandboxUnavailableError as exc:
                context.log.warning(f"growth not measured: {exc}")
        report = run_signals(
            engine=engine, batch_id=context.partition_key, config=config, runner=runner
        )
    return MaterializeResult(metadata=report.metadata())


def _needs_growth(engine: Engine, batch_id: str) -> bool:
    """Whether any prompt of the batch has a scaled input, so the sandbox is worth opening."""
    with Session(engine) as session:
        prompts = session.exec(
            select(Prompt.external_id, Prompt.entry_point, Prompt.scaled_input).where(
                Prompt.batch_id == batch_id
            )
        )
        return any(
            scaled_input_for(external_id=e, entry_point=p, scaled_input=s) for e, p, s in prompts
        )
