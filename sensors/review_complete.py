"""The review-completion sensor: `post_review_job` when a batch's reviews are done, and again
when a senior signs it off.

A batch is done when every review task is complete or adjudicated. The first run computes its
agreement for the calibrator to read and stops at `sign_off_gate`; the sign-off (covering the
reviews as they are) starts the run that packages and publishes. The run key is the batch id
plus its marker (completion marker, and the sign-off in force), and the cursor keeps the marker
already requested per batch, so each state fires exactly once.
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
from factory.signoff.records import SignOffRecord, current_sign_offs
from resources.database import DatabaseResource

REVIEW_COMPLETE_SENSOR = "review_complete_sensor"


def _marker(review_marker: str, sign_off: SignOffRecord | None) -> str:
    """The batch's state as the sensor sees it: its reviews, and the sign-off covering them."""
    if sign_off is None or not sign_off.covers_current_reviews:
        return review_marker
    return f"{review_marker}+signoff-{sign_off.id}"


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
    description="Starts post_review_job (agreement, sign-off gate, packaging, publishing) for "
    "each batch whose review tasks are all complete or adjudicated, and again once a senior "
    "signs the batch off.",
)
def review_complete_sensor(
    context: SensorEvaluationContext, database: DatabaseResource
) -> SensorResult | SkipReason:
    fired = _load_cursor(context.cursor)
    with Session(database.get_engine()) as session:
        batches = all_batch_progress(session)
        done = [b for b in batches if b.complete]
        signed = current_sign_offs(session, [b.batch_id for b in done])
    markers = {b.batch_id: _marker(b.marker, signed[b.batch_id]) for b in done}
    new = [b for b in done if fired.get(b.batch_id) != markers[b.batch_id]]
    if not new:
        in_review = [b for b in batches if not b.complete]
        pending = ", ".join(f"{b.batch_id} {b.done}/{b.tasks}" for b in in_review[:5])
        return SkipReason(
            f"{len(batches)} batch(es) with review tasks: {len(done)} complete and already "
            f"requested, {len(in_review)} in review" + (f" ({pending})" if pending else "")
        )
    for progress in new:
        fired[progress.batch_id] = markers[progress.batch_id]
        state = "signed off" if signed[progress.batch_id] else "awaiting sign-off"
        context.log.info(
            f"batch {progress.batch_id}: {progress.tasks} tasks reviewed, {state}; "
            "starting post_review_job"
        )
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"{progress.batch_id}:{markers[progress.batch_id]}",
                partition_key=progress.batch_id,
                tags={"factory/review_marker": markers[progress.batch_id]},
            )
            for progress in new
        ],
        cursor=json.dumps({"fired": fired}, sort_keys=True),
    )
