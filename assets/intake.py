"""Intake stage: the `prompts` asset (batch file -> prompts and quarantine) and its gate."""

from typing import Any

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset
from sqlmodel import Session, col, select

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations import intake as intake_expectations
from factory.errors import FactoryUserError
from factory.intake.inbox import find_batch_file, inbox_dir
from factory.intake.ingest import IntakeReport, build_report, ingest_batch
from factory.models import Batch, Prompt
from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource

PROMPTS_GATE = "prompts_gate"
PREVIEW_ROWS = 5
REJECTION_ROWS = 50


@asset(
    partitions_def=batch_partitions,
    group_name="pre_review",
    kinds={"python"},
    description="Prompts of one inbox batch: parsed, validated, deduplicated, scrubbed and "
    "checked for benchmark contamination. Refused records are quarantined with their reason.",
)
def prompts(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
) -> MaterializeResult:
    batch_id = context.partition_key
    config = settings.load()
    with database.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is not None:
            report = build_report(session, batch)
            report.already_ingested = True
        else:
            try:
                path = find_batch_file(batch_id, inbox_dir())
                report = ingest_batch(session, path, config, batch_id=batch_id)
            except FactoryUserError as exc:
                # Shown as the step's failure reason in the UI, without a stack trace to read.
                raise Failure(description=str(exc)) from exc
        preview = _preview(session, batch_id)
    context.log.info(
        f"batch {report.batch_id}: {report.received} received, {report.accepted} accepted, "
        f"{report.quarantined} quarantined, {report.duplicates} duplicates"
    )
    return MaterializeResult(metadata=_metadata(report, preview))


def _metadata(report: IntakeReport, preview: str) -> dict[str, Any]:
    rejections = "\n".join(
        f"| {r.line_no} | {r.external_id or ''} | {r.reason_code} | {_cell(r.reason)} |"
        for r in report.rejections[:REJECTION_ROWS]
    )
    return {
        "source_path": report.source_path,
        "format": report.format,
        "received": report.received,
        "accepted": report.accepted,
        "quarantined": report.quarantined,
        "duplicates": report.duplicates,
        "scrubbed": report.scrubbed_prompts,
        "scrub_events": report.scrub_events,
        "contaminated": report.contaminated,
        "already_ingested": report.already_ingested,
        "dagster/row_count": report.accepted,
        "quarantined_by_reason": MetadataValue.json(report.quarantined_by_reason),
        "duplicates_by_kind": MetadataValue.json(report.duplicates_by_kind),
        "rejections": MetadataValue.md(
            "| line | id | code | reason |\n|---|---|---|---|\n" + rejections
            if rejections
            else "none"
        ),
        "preview": MetadataValue.md(preview),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:200]


def _preview(session: Session, batch_id: str) -> str:
    rows = session.exec(
        select(Prompt)
        .where(Prompt.batch_id == batch_id)
        .order_by(col(Prompt.line_no))
        .limit(PREVIEW_ROWS)
    ).all()
    if not rows:
        return "no prompt accepted"
    lines = ["| line | id | language | task | contaminated | prompt |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.line_no} | {row.external_id} | {row.language} | {row.task_type} | "
            f"{row.contaminated} | {_cell(row.prompt.strip())[:120]} |"
        )
    return "\n".join(lines)


prompts_gate = gate_check(
    name=PROMPTS_GATE,
    asset=prompts,
    description="Blocks generation unless the batch has prompts, unique ids, non-empty prompt, "
    "tests and reference, enabled languages, known task types and a quarantine share under "
    "intake.max_quarantine_share.",
    suite_factory=intake_expectations.build_suite,
    frame_loader=intake_expectations.load_frame,
)
