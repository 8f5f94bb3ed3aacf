"""`prompts`: one inbox batch parsed, validated, deduplicated, scrubbed and decontaminated."""

from assets.stage import PRE_REVIEW, stage_asset, stage_gate
from expectations import intake as suite
from factory.intake import stage

prompts = stage_asset(
    name="prompts",
    run=stage.run,
    deps=[],
    group=PRE_REVIEW,
    kinds={"python"},
    description="Prompts of one inbox batch: parsed, validated, deduplicated, scrubbed and "
    "checked for benchmark contamination. Refused records are quarantined with their reason.",
)
prompts_gate = stage_gate(prompts, suite)
