"""`signals`: bandit, ruff, radon, sandbox verdict, run time, memory and growth per candidate."""

from assets.stage import PRE_REVIEW, stage_asset, stage_gate
from expectations import signals as suite
from factory.signals import stage

signals = stage_asset(
    name="signals",
    run=stage.run,
    deps=["candidates", "executions"],
    group=PRE_REVIEW,
    description="Automatic evidence per candidate, as Finding rows: security (bandit, with CWE "
    "ids), style (ruff), readability (radon), correctness (the sandbox verdict) and efficiency "
    "(run time, peak memory, and growth with input size where a prompt has scaled_input).",
)
signals_gate = stage_gate(signals, suite)
