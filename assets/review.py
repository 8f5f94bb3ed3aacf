"""`review_tasks`: a batch's candidate pairs queued for expert review."""

from assets.stage import PRE_REVIEW, stage_asset, stage_gate
from expectations import review as suite
from factory.review import stage

review_tasks = stage_asset(
    name="review_tasks",
    run=stage.run,
    deps=["signals"],
    group=PRE_REVIEW,
    description="Review tasks for the batch: candidate pairs chosen by review.pair_strategy "
    "(default: both pass the tests but differ in signals), k > 1 reviews on "
    "review.overlap_fraction of them, pass-versus-fail attention checks at review.gold_rate "
    "(off by default). Reruns only add missing tasks.",
)
review_tasks_gate = stage_gate(review_tasks, suite)
