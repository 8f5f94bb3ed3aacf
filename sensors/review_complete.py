"""The review-completion sensor: one `post_review_job` run per batch whose reviews are done.

A batch is done when every review task is complete or adjudicated. The run key is the batch id
plus its completion marker, and the cursor keeps the marker already requested per batch, so a
batch fires exactly once; if it later gains tasks and completes again, it fires once more.
"""

import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlmodel import Session

from assets.jobs import post_review_job
from factory.review.completion import all_batch_progress
from resources.database import DatabaseResource

REVIEW_COMPLETE_SENSOR = "review_complete_sensor"


def _load_cursor(raw: str | None) -> dict[str, str]:
    """The cursor is {"fired": {batch id: completion marker}}."""
    if not raw:
        return {}
    return dict(json.loads(raw).get("fired", {}))


@sensor(
    name=REVIEW_COMPLETE_SENSOR,
    job=post_review_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts post_review_job (agreement, packaging, publishing) for each batch whose "
    "review tasks are all complete or adjudicated.",
)
def review_complete_sensor(
    context: SensorEvaluationContext, database: DatabaseResource
) -> SensorResult | SkipReason:
    fired = _load_cursor(context.cursor)
    with Session(database.get_engine()) as session:
        batches = all_batch_progress(session)
    done = [b for b in batches if b.complete]
    new = [b for b in done if fired.get(b.batch_id) != b.marker]
    if not new:
        in_review = [b for b in batches if not b.complete]
        pending = ", ".join(f"{b.batch_id} {b.done}/{b.tasks}" for b in in_review[:5])
        return SkipReason(
            f"{len(batches)} batch(es) with review tasks: {len(done)} complete and already "
            f"requested, {len(in_review)} in review" + (f" ({pending})" if pending else "")
        )
    for progress in new:
        fired[progress.batch_id] = progress.marker
        context.log.info(
            f"batch {progress.batch_id}: {progress.tasks} tasks reviewed, starting post_review_job"
        )
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=progress.run_key,
                partition_key=progress.batch_id,
                tags={"factory/review_marker": progress.marker},
            )
            for progress in new
        ],
        cursor=json.dumps({"fired": fired}, sort_keys=True),
    )
