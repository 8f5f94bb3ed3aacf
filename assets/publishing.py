"""`published_release`: the batch's release, published and tagged with its version."""

from assets.stage import POST_REVIEW, stage_asset, stage_gate
from expectations import publishing as suite
from factory.publishing import stage

published_release = stage_asset(
    name="published_release",
    run=stage.run,
    deps=["release_package"],
    group=POST_REVIEW,
    kinds={"huggingface"},
    description="The batch's release, published in one commit tagged with its version (local "
    "folder by default, or the Hugging Face Hub). Unchanged content makes no new commit.",
)
published_release_gate = stage_gate(published_release, suite)
