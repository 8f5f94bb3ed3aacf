"""`executions`: every candidate of a batch run in the sandbox, with the gradable/stable funnel."""

from assets.stage import PRE_REVIEW, stage_asset, stage_gate
from expectations import execution as suite
from factory.execution import stage

executions = stage_asset(
    name="executions",
    run=stage.run,
    deps=["candidates"],
    group=PRE_REVIEW,
    kinds={"python", "docker"},
    description="Every candidate run against its prompt's tests in the sandbox (docker pool, or "
    "bubblewrap). References run first and twice: prompts whose reference fails are "
    "quarantined as not gradable, verdicts that change mark the prompt flaky. Verdicts are "
    "cached by code, tests and image, so a rerun executes only what is new.",
)
executions_gate = stage_gate(executions, suite)
