"""Per-reviewer work on a batch, for the admin page: counts, speed, skips, gold accuracy."""

import statistics
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from factory.models import Annotation, Reviewer, ReviewTask, TaskClaim
from factory.review.gold import GoldScore, gold_scores
from factory.vocab import ClaimStatus


@dataclass(frozen=True, slots=True)
class ReviewerStats:
    username: str
    simulated: bool
    reviews: int
    skips: int
    active_claims: int
    median_seconds: float | None
    reviews_per_hour: float | None
    gold: GoldScore


def reviewer_stats(session: Session, batch_id: str) -> list[ReviewerStats]:
    """One row per reviewer who claimed any task of the batch, most reviews first."""
    claims = session.execute(
        select(col(Reviewer.username), col(Reviewer.simulated), col(TaskClaim.status), func.count())
        .join(TaskClaim, col(TaskClaim.reviewer_id) == Reviewer.id)
        .join(ReviewTask, col(ReviewTask.id) == TaskClaim.task_id)
        # Claims serving expert gold point at their pair's task but are not the batch's work.
        .where(col(ReviewTask.batch_id) == batch_id, col(TaskClaim.gold_item_id).is_(None))
        .group_by(col(Reviewer.username), col(Reviewer.simulated), col(TaskClaim.status))
    ).all()
    seconds: dict[str, list[float]] = {}
    for username, spent in session.execute(
        select(col(Reviewer.username), col(Annotation.seconds_spent))
        .join(Annotation, col(Annotation.reviewer_id) == Reviewer.id)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .where(col(ReviewTask.batch_id) == batch_id)
    ):
        seconds.setdefault(username, []).append(spent)
    by_status: dict[str, dict[str, int]] = {}
    simulated: dict[str, bool] = {}
    for username, is_simulated, status, count in claims:
        by_status.setdefault(username, {})[status] = count
        simulated[username] = is_simulated
    golds = gold_scores(session, batch_id)
    rows = []
    for username, statuses in by_status.items():
        spent = seconds.get(username, [])
        total = sum(spent)
        rows.append(
            ReviewerStats(
                username=username,
                simulated=simulated[username],
                reviews=statuses.get(ClaimStatus.SUBMITTED, 0),
                skips=statuses.get(ClaimStatus.SKIPPED, 0),
                active_claims=statuses.get(ClaimStatus.ACTIVE, 0),
                median_seconds=statistics.median(spent) if spent else None,
                reviews_per_hour=len(spent) * 3600 / total if total > 0 else None,
                gold=golds.get(username, GoldScore(0, 0)),
            )
        )
    return sorted(rows, key=lambda r: (-r.reviews, r.username))
