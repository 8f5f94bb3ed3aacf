"""The sign-off stage: whether, and by whom, a reviewed batch is signed off for packaging.

A senior signs off in the reviewer app (/signoff) or with `factory review sign-off`; this stage
reads the sign-off in force and reports it. The stage's gate (expectations/signoff.py) is what
stops packaging: no sign-off in force, a sign-off the batch's reviews have outgrown, or a
simulated one without `packaging.allow_simulated`.
"""

from dataclasses import dataclass

from factory.review.completion import BatchProgress, batch_progress
from factory.signoff.records import SignOffRecord, current_sign_off, revoked_count
from factory.stages.context import StageContext
from factory.stages.report import Markdown, Metadata, StageReport

HOW_TO_SIGN_OFF = (
    "a senior signs it off at /signoff in the reviewer app, or with "
    "`factory review sign-off BATCH --by USERNAME --note ...`"
)


@dataclass(frozen=True, slots=True)
class SignOffStageReport(StageReport):
    batch_id: str
    record: SignOffRecord | None
    progress: BatchProgress
    revoked: int  # revoked (or superseded) sign-offs of the batch

    @property
    def signed_off(self) -> bool:
        return self.record is not None and self.record.covers_current_reviews

    def summary(self) -> str:
        if self.record is None:
            return f"Batch {self.batch_id} is **not signed off**: {HOW_TO_SIGN_OFF}."
        return self.record.sentence()

    def metadata(self) -> Metadata:
        record = self.record
        return {
            "signed_off": self.signed_off,
            "summary": Markdown(self.summary()),
            "signed_by": record.signed_by if record else None,
            "signed_at": record.signed_at.isoformat(timespec="seconds") if record else None,
            "simulated": record.simulated if record else None,
            "note": record.note if record else None,
            "covers_current_reviews": record.covers_current_reviews if record else None,
            "revoked_sign_offs": self.revoked,
            "tasks_done": self.progress.done,
            "tasks_total": self.progress.tasks,
        }


def run(ctx: StageContext, batch_id: str) -> SignOffStageReport:
    with ctx.session() as session:
        record = current_sign_off(session, batch_id)
        progress = batch_progress(session, batch_id)
        revoked = revoked_count(session, batch_id)
    report = SignOffStageReport(batch_id, record, progress, revoked)
    if record is None:
        ctx.log.warning(
            f"batch {batch_id} is not signed off; packaging waits until {HOW_TO_SIGN_OFF}"
        )
    elif not record.covers_current_reviews:
        ctx.log.warning(
            f"batch {batch_id}: the sign-off by {record.signed_by} predates its current reviews "
            f"({record.tasks} task(s) then, {progress.tasks} now); it needs signing off again"
        )
    elif record.simulated:
        ctx.log.warning(
            f"batch {batch_id} was signed off by a SIMULATED calibrator ({record.signed_by}), "
            "not a person; packaging accepts it only with packaging.allow_simulated"
        )
    return report
