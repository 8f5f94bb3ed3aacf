"""`release_package`: the batch's reviewed work packaged as a versioned release."""

from assets.stage import POST_REVIEW, stage_asset, stage_gate
from expectations import packaging as suite
from factory.packaging import stage

release_package = stage_asset(
    name="release_package",
    run=stage.run,
    deps=["sign_off"],
    group=POST_REVIEW,
    kinds={"parquet"},
    description="The batch's release: dpo (TRL standard), dpo_conversational, rlvr, sft and "
    "reward configs split by prompt (near duplicates together), with README data card, QA "
    "report and factory config; one ReleaseItem per row traces it to its sources. Unchanged "
    "content keeps its version; changed content gets the next minor.",
)
release_package_gate = stage_gate(release_package, suite)
