"""Gold tasks: pass-versus-fail pairs whose answer is known, mixed in to measure reviewers.

The known answer favours the candidate that passes the tests; a review counts as correct when
its preference points the same way (strength is not graded).
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from factory.models import Annotation, Reviewer, ReviewTask


@dataclass(frozen=True, slots=True)
class GoldScore:
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def is_correct(preference: int, gold_preference: int) -> bool:
    """Same direction as the known answer (a tie is wrong unless the answer is a tie)."""
    return (preference > 0) - (preference < 0) == (gold_preference > 0) - (gold_preference < 0)


def gold_count(n_regular: int, rate: float, available: int) -> int:
    """How many gold tasks to mix into `n_regular` tasks at `rate` (at least one if any)."""
    if rate <= 0 or available == 0:
        return 0
    return min(available, max(1, round(n_regular * rate)))


def gold_scores(session: Session, batch_id: str) -> dict[str, GoldScore]:
    """Per reviewer username: gold tasks answered in the batch and how many correctly."""
    rows = session.execute(
        select(col(Reviewer.username), col(Annotation.preference), col(ReviewTask.gold_preference))
        .join(Annotation, col(Annotation.reviewer_id) == Reviewer.id)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .where(
            col(ReviewTask.batch_id) == batch_id,
            col(ReviewTask.is_gold).is_(True),
            col(ReviewTask.gold_preference).is_not(None),
        )
    ).all()
    tally: dict[str, list[int]] = {}
    for username, preference, gold in rows:
        counts = tally.setdefault(username, [0, 0])
        counts[0] += 1
        counts[1] += is_correct(preference, gold)
    return {name: GoldScore(answered, correct) for name, (answered, correct) in tally.items()}


def gold_total(session: Session, batch_id: str) -> int:
    total = session.scalar(
        select(func.count())
        .select_from(ReviewTask)
        .where(col(ReviewTask.batch_id) == batch_id, col(ReviewTask.is_gold).is_(True))
    )
    assert total is not None  # COUNT(*) always returns a row
    return total
