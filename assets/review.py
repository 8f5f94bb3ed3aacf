"""`review_tasks`: a batch's candidate pairs queued for expert review, then gated."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations.review import build_suite, load_frame
from factory.review.completion import batch_progress
from factory.review.enqueue import enqueue_batch
from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource

REVIEW_GATE = "review_gate"


@asset(
    deps=["signals"],
    partitions_def=batch_partitions,
    group_name="pre_review",
    description=(
        "Review tasks for the batch: candidate pairs chosen by review.pair_strategy (default: "
        "both pass the tests but differ in signals), k > 1 reviews on review.overlap_fraction of "
        "them, gold pass-versus-fail tasks at review.gold_rate. Reruns only add missing tasks."
    ),
)
def review_tasks(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
) -> MaterializeResult:
    config = settings.load()
    with database.session() as session:
        counts = enqueue_batch(session, context.partition_key, config.review)
        progress = batch_progress(session, context.partition_key)
    if counts.prompts_without_pairs:
        context.log.info(
            f"{counts.prompts_without_pairs} prompt(s) have no pair worth reviewing under "
            f"strategy {config.review.pair_strategy!r}"
        )
    return MaterializeResult(
        metadata={
            **counts.as_metadata(),
            "tasks_total": progress.tasks,
            "reviews_required": progress.reviews_required,
            "reviewer_app": MetadataValue.md(
                "Reviewers work in the app started by `factory review serve`; "
                "`factory review simulate <batch>` completes a demo batch."
            ),
        }
    )


review_tasks_gate = gate_check(
    name=REVIEW_GATE,
    asset=review_tasks.key,
    description=(
        "At least one review task; each pairs two distinct, non-reference candidates of its own "
        "prompt in canonical order, needs 1..review.overlap_reviews reviews, and every gold task "
        "has its known answer."
    ),
    suite_factory=build_suite,
    frame_loader=load_frame,
)
