"""The agreement stage: how far a reviewed batch's labels can be trusted.

The report is recomputed from the database on every run, so the stage and its gate see the same
figures for the same seed. Flagged reviewers' unverified work is reported here, not re-queued:
packaging leaves that work out when `agreement.exclude_flagged_reviewers` is set. Work beyond
pairs has figures of its own per kind and language (factory.agreement.work_figures), gated where
a threshold is configured and enough tasks were answered twice.
"""

from dataclasses import dataclass, field

from sqlmodel import Session

from factory.agreement.report import AgreementReport, agreement_report
from factory.packaging.selection import select_pairs
from factory.review.completion import BatchProgress, batch_progress
from factory.settings import AgreementSettings
from factory.stages.context import StageContext
from factory.stages.report import Markdown, Metadata, StageReport


@dataclass(slots=True)
class AgreementStageReport(StageReport):
    batch_id: str
    report: AgreementReport
    progress: BatchProgress
    settings: AgreementSettings
    unverified: list[int] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return len(self.report.gate_frame())

    @property
    def passed(self) -> bool:
        # Nothing to judge fails too, when evidence is required.
        return self.report.passed and (
            self.judged > 0 or not self.settings.require_agreement_evidence
        )

    def summary(self) -> str:
        if not self.judged and not self.passed:
            return (
                "Agreement **failed**: no figure could be judged (no task reviewed or answered "
                "twice with enough items, no reviewer with enough gold answers)."
            )
        if self.passed:
            return (
                "Agreement passed: every gated cell, work figure and gold-judged reviewer is over "
                "its threshold."
            )
        parts = [f"Agreement **failed**: {len(self.report.failing_cells)} failing cell(s)"]
        parts += [f"- {cell.name}: n={cell.n_items}" for cell in self.report.failing_cells]
        if self.report.failing_work:
            parts.append(f"{len(self.report.failing_work)} failing work figure(s)")
            parts += [f"- {f.name}: n={f.n_items}" for f in self.report.failing_work]
        if self.report.flagged_reviewers:
            flagged = ", ".join(map(str, self.report.flagged_reviewers))
            parts.append(f"Flagged reviewers: {flagged}")
        return "\n".join(parts)

    def metadata(self) -> Metadata:
        report = self.report
        return {
            "passed": self.passed,
            "summary": Markdown(self.summary()),
            "judged_figures": self.judged,
            "cells": Markdown(report.cells_markdown()),
            "gold_accuracy": Markdown(report.gold_markdown()),
            "cells_total": len(report.cells),
            "cells_gated": sum(1 for cell in report.cells if cell.gated),
            "failing_cells": [cell.name for cell in report.failing_cells],
            "work_agreement": Markdown(report.work_markdown()),
            "work_figures_total": len(report.work),
            "work_figures_gated": sum(1 for figure in report.work if figure.gated),
            "failing_work_figures": [figure.name for figure in report.failing_work],
            "flagged_reviewers": report.flagged_reviewers,
            "unverified_task_ids": self.unverified,
            "tasks_done": self.progress.done,
            "tasks_total": self.progress.tasks,
            "report": report.to_dict(),
        }


def run(ctx: StageContext, batch_id: str) -> AgreementStageReport:
    settings = ctx.config.agreement
    with ctx.session() as session:
        report = agreement_report(session, [batch_id], settings)
        progress = batch_progress(session, batch_id)
        unverified = unverified_task_ids(
            session, batch_id, report, opposite_direction=ctx.config.review.opposite_direction
        )
    if not progress.complete:
        ctx.log.warning(
            f"batch {batch_id} still has {progress.open} open and {progress.adjudication} "
            "awaiting-adjudication task(s); agreement covers the reviews submitted so far"
        )
    if unverified:
        ctx.log.warning(
            f"{len(unverified)} resolved task(s) rest on flagged reviewers "
            f"{report.flagged_reviewers} alone or are contradicted by others: {unverified}; "
            + (
                "packaging leaves them out (agreement.exclude_flagged_reviewers)"
                if settings.exclude_flagged_reviewers
                else "packaging still uses them (agreement.exclude_flagged_reviewers is off)"
            )
        )
    return AgreementStageReport(batch_id, report, progress, settings, unverified)


def unverified_task_ids(
    session: Session, batch_id: str, report: AgreementReport, *, opposite_direction: str
) -> list[int]:
    """Resolved tasks resting on flagged reviewers alone, or that the other reviewers contradict."""
    if not report.flagged_reviewers:
        return []
    # Simulated work is a packaging decision, not an agreement one: judge it like any other.
    selection = select_pairs(
        session,
        [batch_id],
        allow_simulated=True,
        flagged_reviewers=set(report.flagged_reviewers),
        opposite_direction=opposite_direction,
    )
    return sorted(selection.requeue_task_ids)
