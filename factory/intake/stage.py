"""The intake stage: the batch file a partition names, from the inbox into prompts.

A batch already in the database is not read again: its report is rebuilt from what was stored.
"""

from sqlmodel import Session, col, select

from factory.intake.inbox import find_batch_file
from factory.intake.ingest import IntakeReport, build_report, ingest_batch
from factory.models import Batch, Prompt
from factory.settings import inbox_dir
from factory.stages.context import StageContext
from factory.stages.report import markdown_table

PREVIEW_ROWS = 5


def run(ctx: StageContext, batch_id: str) -> IntakeReport:
    with ctx.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is not None:
            report = build_report(session, batch)
            report.already_ingested = True
        else:
            path = find_batch_file(batch_id, inbox_dir())
            report = ingest_batch(session, path, ctx.config, batch_id=batch_id)
        report.preview = _preview(session, batch_id)
    return report


def _preview(session: Session, batch_id: str) -> str:
    rows = session.exec(
        select(Prompt)
        .where(Prompt.batch_id == batch_id)
        .order_by(col(Prompt.line_no))
        .limit(PREVIEW_ROWS)
    ).all()
    if not rows:
        return ""
    return markdown_table(
        ["line", "id", "language", "task", "contaminated", "prompt"],
        [
            [
                r.line_no,
                r.external_id,
                r.language,
                r.task_type,
                r.contaminated,
                r.prompt.strip()[:120],
            ]
            for r in rows
        ],
    )
