"""`agreement`: how far a reviewed batch's labels can be trusted, behind a blocking gate.

The report (factory.agreement) is recomputed from the database on every run, so the asset and
its gate see the same figures for the same seed. Flagged reviewers' unverified work is reported
here, not re-queued: the factory has no re-queue operation, and packaging already leaves that
work out when `agreement.exclude_flagged_reviewers` is set.
"""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from sqlmodel import Session

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations.agreement import build_suite
from factory.agreement.report import AgreementReport, agreement_report
from factory.packaging.selection import select_pairs
from factory.review.completion import batch_progress
from factory.settings import FactoryConfig
from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource

AGREEMENT_GATE = "agreement_gate"


def load_frame(session: Session, batch_id: str, config: FactoryConfig) -> pd.DataFrame:
    return agreement_report(session, [batch_id], config.agreement).gate_frame()


def unverified_task_ids(session: Session, batch_id: str, report: AgreementReport) -> list[int]:
    """Resolved tasks resting on flagged reviewers alone, or that the other reviewers contradict."""
    if not report.flagged_reviewers:
        return []
    # Simulated work is a packaging decision, not an agreement one: judge it like any other.
    selection = select_pairs(
        session,
        [batch_id],
        allow_simulated=True,
        flagged_reviewers=set(report.flagged_reviewers),
    )
    return sorted(selection.requeue_task_ids)


def _summary(report: AgreementReport, judged: int, passed: bool) -> str:
    if not judged and not passed:
        return (
            "Agreement **failed**: no figure could be judged (no task reviewed twice with "
            "enough items, no reviewer with enough gold answers)."
        )
    if passed:
        return "Agreement passed: every gated cell and gold-judged reviewer is over its threshold."
    parts = [f"Agreement **failed**: {len(report.failing_cells)} failing cell(s)"]
    parts += [f"- {cell.name}: n={cell.n_items}" for cell in report.failing_cells]
    if report.flagged_reviewers:
        parts.append(f"Flagged reviewers: {', '.join(map(str, report.flagged_reviewers))}")
    return "\n".join(parts)


@asset(
    deps=["review_tasks"],
    partitions_def=batch_partitions,
    group_name="post_review",
    description=(
        "Inter-reviewer agreement for the batch: quadratic-weighted kappa on preferences and "
        "ordinal Krippendorff alpha on dimension scores per language x task type x dimension "
        "(n and bootstrap 95% CI), gold accuracy per reviewer, flagged reviewers. The "
        "agreement_gate blocks packaging when a gated figure is under its threshold."
    ),
)
def agreement(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
) -> MaterializeResult:
    config = settings.load()
    batch_id = context.partition_key
    with database.session() as session:
        report = agreement_report(session, [batch_id], config.agreement)
        progress = batch_progress(session, batch_id)
        unverified = unverified_task_ids(session, batch_id, report)
    if not progress.complete:
        context.log.warning(
            f"batch {batch_id} still has {progress.open} open and {progress.adjudication} "
            "awaiting-adjudication task(s); agreement covers the reviews submitted so far"
        )
    if unverified:
        context.log.warning(
            f"{len(unverified)} resolved task(s) rest on flagged reviewers "
            f"{report.flagged_reviewers} alone or are contradicted by others: {unverified}; "
            + (
                "packaging leaves them out (agreement.exclude_flagged_reviewers)"
                if config.agreement.exclude_flagged_reviewers
                else "packaging still uses them (agreement.exclude_flagged_reviewers is off)"
            )
        )
    gated = [cell for cell in report.cells if cell.gated]
    judged = len(report.gate_frame())
    # The gate also refuses a batch with nothing to judge, when evidence is required.
    passed = report.passed and (judged > 0 or not config.agreement.require_agreement_evidence)
    return MaterializeResult(
        metadata={
            "passed": passed,
            "summary": MetadataValue.md(_summary(report, judged, passed)),
            "judged_figures": judged,
            "cells": MetadataValue.md(report.cells_markdown()),
            "gold_accuracy": MetadataValue.md(report.gold_markdown()),
            "cells_total": len(report.cells),
            "cells_gated": len(gated),
            "failing_cells": MetadataValue.json([cell.name for cell in report.failing_cells]),
            "flagged_reviewers": MetadataValue.json(report.flagged_reviewers),
            "unverified_task_ids": MetadataValue.json(unverified),
            "tasks_done": progress.done,
            "tasks_total": progress.tasks,
            "report": MetadataValue.json(report.to_dict()),
        }
    )


agreement_gate = gate_check(
    name=AGREEMENT_GATE,
    asset=agreement.key,
    description=(
        "Every gated kappa cell >= agreement.min_preference_kappa, every gated alpha cell >= "
        "agreement.min_dimension_alpha, every gold-judged reviewer >= "
        "agreement.min_gold_accuracy; with agreement.require_agreement_evidence, at least one "
        "judged figure. Failing figures are named in `offending`."
    ),
    suite_factory=build_suite,
    frame_loader=load_frame,
)
