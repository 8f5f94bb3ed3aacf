"""`candidates`: solutions for every prompt of a batch, generated and/or replayed."""

from assets.stage import PRE_REVIEW, stage_asset, stage_gate
from expectations import generation as suite
from factory.generation import stage

candidates = stage_asset(
    name="candidates",
    run=stage.run,
    deps=["prompts"],
    group=PRE_REVIEW,
    description="Candidate solutions per prompt: from the OpenAI-compatible server in "
    "generation.base_url (cached, so a rerun spends no tokens) and/or a replay file; the "
    "bundled demo replay file when neither is configured. Optional LLM-judge pre-scores.",
)
candidates_gate = stage_gate(candidates, suite)
