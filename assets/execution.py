"""`executions`: every candidate of a batch run in the sandbox, with the gradable/stable funnel."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations.execution import build_suite, load_frame
from factory.execution.stage import run_execution
from resources.database import DatabaseResource
from resources.sandbox import SandboxResource
from resources.settings import FactorySettingsResource

EXECUTION_GATE = "execution_gate"


@asset(
    deps=["candidates"],
    partitions_def=batch_partitions,
    group_name="pre_review",
    kinds={"python", "docker"},
    description=(
        "Every candidate run against its prompt's tests in the sandbox (docker pool, or "
        "bubblewrap). References run first and twice: prompts whose reference fails are "
        "quarantined as not gradable, verdicts that change mark the prompt flaky. Verdicts are "
        "cached by code, tests and image, so a rerun executes only what is new."
    ),
)
def executions(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
    sandbox: SandboxResource,
) -> MaterializeResult:
    config = sandbox.effective_settings(settings.load().sandbox)
    report = run_execution(
        engine=database.get_engine(),
        batch_id=context.partition_key,
        settings=config,
        open_sandbox=lambda: sandbox.open(config),
        image=sandbox.image_tag(config),
    )
    context.log.info(
        f"batch {report.batch_id}: {report.gradable}/{report.accepted} prompts gradable, "
        f"{report.stable} stable; {report.executed} runs executed, {report.reused} reused"
    )
    metadata = report.metadata()
    metadata["verdicts"] = MetadataValue.json(metadata["verdicts"])
    metadata["reference_verdicts"] = MetadataValue.json(metadata["reference_verdicts"])
    metadata["funnel"] = MetadataValue.md(
        "| received | accepted | gradable | stable |\n|---|---|---|---|\n"
        f"| {report.received} | {report.accepted} | {report.gradable} | {report.stable} |"
    )
    metadata["dagster/row_count"] = report.candidates
    return MaterializeResult(metadata=metadata)


execution_gate = gate_check(
    name=EXECUTION_GATE,
    asset=executions.key,
    description=(
        "Every reference and every candidate of a gradable prompt has a verdict, and the share "
        "of sandbox errors is at most sandbox.max_sandbox_error_rate."
    ),
    suite_factory=build_suite,
    frame_loader=load_frame,
)
