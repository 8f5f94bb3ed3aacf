"""The inbox sensor: each new batch file becomes one partition and one `pre_review_job` run.

Files are recognised by content, not name: the cursor keeps the sha256 of every file already
requested, and the run key is that sha256, so a file renamed or dropped again starts nothing.
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

from assets.jobs import pre_review_job
from assets.partitions import batch_partitions
from factory.intake.inbox import scan_inbox
from factory.settings import environment, inbox_dir

INBOX_SENSOR = "inbox_sensor"


def _load_cursor(raw: str | None) -> dict[str, str]:
    """The cursor is {"seen": {content sha256: batch id}}."""
    if not raw:
        return {}
    return dict(json.loads(raw).get("seen", {}))


@sensor(
    name=INBOX_SENSOR,
    job=pre_review_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts pre_review_job for each new *.jsonl / *.jsonl.gz file in the inbox "
    "(FACTORY_INBOX, default <FACTORY_HOME>/inbox).",
)
def inbox_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    inbox = inbox_dir()
    seen = _load_cursor(context.cursor)
    # A file younger than FACTORY_INBOX_SETTLE_SECONDS may still be being copied in: it waits.
    files, settling = scan_inbox(inbox, settle_seconds=environment().inbox_settle_seconds)
    new = {}
    for item in files:
        if item.content_sha256 not in seen and item.content_sha256 not in new:
            new[item.content_sha256] = item
    if not new:
        waiting = f"; {len(settling)} still being written" if settling else ""
        return SkipReason(
            f"inbox {inbox}: {len(files)} batch file(s), none new "
            f"({len(seen)} seen before){waiting}"
        )
    for sha, item in new.items():
        seen[sha] = item.batch_id
        context.log.info(f"new batch file {item.path.name} -> partition {item.batch_id}")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=sha,
                partition_key=item.batch_id,
                tags={"factory/batch_file": item.path.name},
            )
            for sha, item in new.items()
        ],
        dynamic_partitions_requests=[
            batch_partitions.build_add_request([item.batch_id for item in new.values()])
        ],
        cursor=json.dumps({"seen": seen}, sort_keys=True),
    )
