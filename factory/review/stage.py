"""The review stage: a batch's candidate pairs queued for expert review.

Pairs are chosen by `review.pair_strategy`; k > 1 reviews go to `review.overlap_fraction` of
them and automatic attention checks to `review.gold_rate` (off by default). Reruns only add
missing tasks. The reviews themselves are people's work in the reviewer app
(`factory review serve`).
"""

from dataclasses import dataclass

from factory.review.completion import BatchProgress, batch_progress
from factory.review.enqueue import EnqueueCounts, enqueue_batch
from factory.stages.context import StageContext
from factory.stages.report import Markdown, Metadata, StageReport
from factory.tasktypes.enqueue import WorkCounts, enqueue_work

REVIEWER_APP = (
    "Reviewers work in the app started by `factory review serve`; "
    "`factory review simulate <batch>` completes a demo batch."
)


@dataclass(slots=True)
class ReviewQueueReport(StageReport):
    batch_id: str
    strategy: str
    counts: EnqueueCounts
    progress: BatchProgress
    work: WorkCounts

    def summary(self) -> str:
        text = (
            f"batch {self.batch_id}: {self.counts.created} task(s) queued, "
            f"{self.counts.already_queued} already queued, {self.progress.tasks} in all"
        )
        if self.work.by_kind:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.work.by_kind.items()))
            text += f"; work beyond pairs: {kinds} ({self.work.created} new)"
        if self.counts.prompts_without_pairs:
            text += (
                f"; {self.counts.prompts_without_pairs} prompt(s) have no pair worth reviewing "
                f"under strategy {self.strategy!r}"
            )
        return text

    def row_count(self) -> int:
        return self.progress.tasks

    def metadata(self) -> Metadata:
        return {
            **self.counts.metadata(),
            **self.work.metadata(),
            "tasks_total": self.progress.tasks,
            "reviews_required": self.progress.reviews_required,
            "reviewer_app": Markdown(REVIEWER_APP),
        }


def run(ctx: StageContext, batch_id: str) -> ReviewQueueReport:
    settings = ctx.config.review
    with ctx.session() as session:
        counts = enqueue_batch(session, batch_id, settings)
        work = enqueue_work(session, batch_id, settings)
        progress = batch_progress(session, batch_id)
    return ReviewQueueReport(batch_id, settings.pair_strategy, counts, progress, work)
